# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge every node's preflight figures, write the report, and gate on it.

Runs on the controller only. The report is output, like a log: writing it
changes no managed system, so this action never reports a change and runs in
check mode too (a dry run still deserves its report). It fails, after
writing the report, when any check failed, naming each node and its figures.
"""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase


from ansible_collections.mlplatform.installer.plugins.module_utils import preflight


def _write_atomically(path, text):
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".preflight.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        rows = args.get("rows")
        dest = args.get("dest")
        if not isinstance(rows, list) or not dest:
            raise AnsibleActionFail("preflight_report needs `rows` (a list) and `dest` (a directory)")
        allowlist = args.get("allowlist") or []
        counts = preflight.summary(rows)
        os.makedirs(dest, exist_ok=True)
        json_path = os.path.join(dest, "preflight.json")
        md_path = os.path.join(dest, "preflight.md")
        _write_atomically(json_path, json.dumps({"summary": counts, "rows": rows,
                                                 "egress_allowlist": allowlist}, indent=2) + "\n")
        _write_atomically(md_path, preflight.markdown_report(rows, args.get("title", "Preflight report"),
                                                             allowlist))
        result.update(changed=False, summary=counts, json=json_path, markdown=md_path,
                      gate_failed=bool(counts[preflight.FAIL]))
        # A gate that measured nothing (a live etcd, a disk that holds data)
        # is printed as a warning too, not only listed in the report.
        warnings = preflight.unmeasured_warnings(rows)
        if warnings:
            result["warnings"] = warnings
        if counts[preflight.FAIL]:
            result["failed"] = boolean(args.get("fail_on_gate", True), strict=True)
            result["msg"] = "%s\nreport: %s" % (preflight.failure_message(rows), md_path)
        else:
            result["msg"] = "preflight passed (%d pass, %d warn); report: %s" % (
                counts[preflight.PASS], counts[preflight.WARN], md_path)
        return result
