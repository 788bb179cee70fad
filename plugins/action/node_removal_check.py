# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Controller-side action: every reason remove_node.yml refuses the nodes asked
# for, from data already on the controller (the inventory's groups, Gluster's
# volume info and health read on a storage node, the pdb_check verdicts).
# Logic: module_utils/node_removal.py. Documentation: plugins/modules/node_removal_check.py.

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster, node_removal, upgrade_plan


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _status, args = self.validate_argument_spec(
            argument_spec=dict(
                remove_nodes=dict(type="list", elements="str", required=True),
                groups=dict(type="dict", required=True),
                gluster_volume_info=dict(type="str", default=""),
                gluster_health=dict(type="dict", default={}),
                replacement_bricks=dict(type="dict", default={}),
                host_aliases=dict(type="dict", default={}),
                pdb_verdicts=dict(type="list", elements="dict", default=[]),
                drain=dict(type="dict"),
                fail_on_refusal=dict(type="bool", default=True),
            )
        )
        volumes = {}
        if args["gluster_volume_info"]:
            try:
                volumes = gluster.parse_volume_info(args["gluster_volume_info"])
            except (gluster.GlusterError, ValueError) as exc:
                raise AnsibleActionFail("gluster_volume_info is not `gluster --xml volume info` output: %s" % exc)
        groups = args["groups"]
        found = node_removal.refusals(
            args["remove_nodes"], groups, groups.get("all") or [], volumes, args["gluster_health"],
            args["replacement_bricks"], args["host_aliases"], args["pdb_verdicts"])
        found += [{"rule": "drain_settings", "node": "-", "message": problem,
                   "fix": "correct cluster_drain in the cluster description (roles/cluster_upgrade/README.md)"}
                  for problem in upgrade_plan.drain_settings_problems(args["drain"])]
        lines = node_removal.refusal_lines(found)
        # Kubespray's remove-node.yml: the nodes and no interactive prompt; the
        # drain settings are in the generated inventory (from cluster_drain).
        kubespray_vars = {"node": ",".join(args["remove_nodes"]), "skip_confirmation": True}
        result.update(
            changed=False,
            refusals=found,
            refusal_lines=lines,
            kubespray_vars=kubespray_vars,
            replacements=[{"volume": volume, "old": brick, "new": args["replacement_bricks"][brick]}
                          for node in args["remove_nodes"]
                          for volume, brick in node_removal.node_bricks(volumes, node, args["host_aliases"].get(node))
                          if brick in args["replacement_bricks"]],
            bricks={node: [b for _v, b in node_removal.node_bricks(volumes, node, args["host_aliases"].get(node))]
                    for node in args["remove_nodes"]},
            msg=" ".join(lines) or "no rule refuses removing %s" % ", ".join(args["remove_nodes"]),
        )
        if found and args["fail_on_refusal"]:
            result["failed"] = True
        return result
