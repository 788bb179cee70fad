# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Controller-side action: the plan and the version gate of playbooks/upgrade.yml
# from data already on the controller (the API's /version and Nodes as
# kubernetes.core read them, etcd's `endpoint status`, the target bundle), with
# the same matrix file and rules as version_check. Nothing is sent to a host.
# Logic: module_utils/upgrade_plan.py. Documentation: plugins/modules/upgrade_plan.py.

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mlplatform.installer.plugins.module_utils import upgrade_plan, version_matrix


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _status, args = self.validate_argument_spec(
            argument_spec=dict(
                wanted=dict(type="dict", required=True),
                version_info=dict(type="dict", default={}),
                nodes=dict(type="list", elements="dict", default=[]),
                etcd_status=dict(type="raw"),
                matrix=dict(type="path"),
                drain=dict(type="dict"),
                fail_on_refusal=dict(type="bool", default=False),
            )
        )
        path = self._loader.path_dwim(args["matrix"]) if args["matrix"] else version_matrix.DEFAULT_MATRIX
        try:
            matrix = version_matrix.load_matrix(path)
        except version_matrix.MatrixError as exc:
            raise AnsibleActionFail(str(exc))
        etcd = None
        if args["etcd_status"]:
            try:
                etcd = upgrade_plan.parse_etcd_endpoint_status(args["etcd_status"])
            except ValueError as exc:
                raise AnsibleActionFail("etcd_status is not `etcdctl endpoint status -w json` output: %s" % exc)

        running = upgrade_plan.running_versions(args["version_info"], args["nodes"], etcd)
        rows = upgrade_plan.plan(running, args["wanted"])
        refusals = upgrade_plan.version_gate(matrix, running, args["wanted"])
        refusals += [{"rule": "drain_settings", "message": problem, "source": "",
                      "fix": "correct cluster_drain in the cluster description (roles/cluster_upgrade/README.md, Drain settings)"}
                     for problem in upgrade_plan.drain_settings_problems(args["drain"])]
        result.update(
            changed=False,
            running=running,
            plan=rows,
            plan_lines=upgrade_plan.plan_lines(rows),
            refusals=refusals,
            refusal_lines=upgrade_plan.refusal_lines(refusals),
            kubespray_drain_vars=upgrade_plan.kubespray_drain_vars(args["drain"]),
            matrix=path,
            msg="; ".join(upgrade_plan.refusal_lines(refusals)) or "the versions allow this upgrade",
        )
        if refusals and args["fail_on_refusal"]:
            result["failed"] = True
        return result
