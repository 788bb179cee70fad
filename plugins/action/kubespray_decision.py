# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlplatform.installer.kubespray_decision: whether Kubespray must run, and which playbook.

Controller side: reads the generated Kubespray inventory on the controller
and decides from data the caller read from the API; touches no host. The
logic is plugins/module_utils/kubespray_decision.py (pure, pytest).
Documentation (options, return values): plugins/modules/kubespray_decision.py.
"""

from __future__ import annotations

import datetime
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_decision as kd


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _status, args = self.validate_argument_spec(argument_spec=dict(
            inventory=dict(type="path"),
            release=dict(type="dict", required=True),
            api_answered=dict(type="bool", required=True),
            api_error=dict(type="str", default=""),
            version_info=dict(type="dict", default={}),
            nodes=dict(type="list", elements="dict", default=[]),
            record=dict(type="dict", default={}),
        ))
        inventory = args["inventory"] or os.path.join(task_vars.get("inventory_dir") or "", "artifacts", "kubespray")
        try:
            state = kd.inventory_state(kd.read_tree(inventory))
        except kd.InventoryError as exc:
            raise AnsibleActionFail(str(exc))
        live = kd.live_state(args["version_info"], args["nodes"]) if args["api_answered"] else None
        record = kd.parse_record(args["record"]) if live is not None else None
        decision = kd.decide(state, args["release"], live, record, args["api_error"])
        applied_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        result.update(decision, changed=False, inventory=inventory, inventory_hash=state["hash"],
                      hosts=sorted(state["hosts"]),
                      record_data=kd.record_data(state, args["release"], applied_at, decision["playbook"] or "none"),
                      msg="Kubespray: %s: %s" % (decision["decision"], decision["reason"]))
        return result
