# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Controller-side action: the matrix lives in this repository
# (compatibility/matrix.yml) and everything evaluated is data already on the
# controller (the inventory's cluster_release, versions registered from
# hosts), so nothing is sent to or run on a managed host. A module would need
# the matrix copied to the target or `delegate_to: localhost`.
# Documentation: plugins/modules/version_check.py.

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

_HERE = os.path.dirname(os.path.abspath(__file__))


from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _status, args = self.validate_argument_spec(
            argument_spec=dict(
                wanted=dict(type="dict", required=True),
                found=dict(type="dict", default={}),
                matrix=dict(type="path"),
                fail_on_conflict=dict(type="bool", default=True),
                exact=dict(type="bool", default=False),
            )
        )
        # The same file and loader the inventory validation uses (cluster_model.py).
        path = self._loader.path_dwim(args["matrix"]) if args["matrix"] else version_matrix.DEFAULT_MATRIX
        try:
            matrix = version_matrix.load_matrix(path)
        except version_matrix.MatrixError as exc:
            raise AnsibleActionFail(str(exc))

        conflicts = version_matrix.evaluate(matrix, args["wanted"], args["found"] or None, args["exact"])
        result.update(
            changed=False,
            compatible=not conflicts,
            conflicts=conflicts,
            matrix=path,
            msg=version_matrix.summary(conflicts),
        )
        if conflicts and args["fail_on_conflict"]:
            result["failed"] = True
        return result
