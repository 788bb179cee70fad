# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure a node's clock offset against the controller.

Reads the node's clock with `date +%s.%N` and brackets that call with the
controller's clock: offset = node time - midpoint, uncertainty = half the
round trip. Read-only: never reports a change; runs in check mode too.
"""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase


def offset_from(before, node_stdout, after):
    """(offset_ms, uncertainty_ms) from controller times around the node's reading."""
    node = float(str(node_stdout).strip())
    midpoint = (before + after) / 2
    return round((node - midpoint) * 1000, 1), round((after - before) * 1000 / 2, 1)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result["changed"] = False
        # A warm-up call, so connection setup is not inside the measured round trip.
        self._low_level_execute_command("true")
        before = time.time()
        out = self._low_level_execute_command("LC_ALL=C date +%s.%N")
        after = time.time()
        try:
            result["offset_ms"], result["uncertainty_ms"] = offset_from(before, out.get("stdout", ""), after)
        except ValueError:
            result["failed"] = True
            result["msg"] = "could not read the node clock: %r" % (out.get("stdout") or out.get("stderr"))
        return result
