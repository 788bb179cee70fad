# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the wall time of each layer when a playbook run ends.

Plays are named `<Layer> | <what the play does>` (docs/CONVENTIONS.md); plays
sharing a layer name are summed, so `site.yml` ends with one line per layer.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: layer_times
author:
  - ML platform team (@mlplatform)
type: aggregate
short_description: wall time per layer at the end of a run
description:
  - Groups plays by the text before C( | ) in their name and prints the time
    spent in each group, in run order, when the playbook ends.
requirements:
  - enabled in ansible.cfg callbacks_enabled
"""

import time

from ansible.plugins.callback import CallbackBase


def layer_of(play_name: str) -> str:
    """The layer a play belongs to: the part of its name before ' | '."""
    name = (play_name or "").strip()
    return name.split(" | ", 1)[0].strip() if " | " in name else name or "(unnamed play)"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mlplatform.installer.layer_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._order: list[str] = []
        self._seconds: dict[str, float] = {}
        self._current: str | None = None
        self._started = 0.0
        self._run_started = time.monotonic()

    def _close_play(self):
        if self._current is not None:
            self._seconds[self._current] += time.monotonic() - self._started
            self._current = None

    def v2_playbook_on_play_start(self, play):
        self._close_play()
        layer = layer_of(play.get_name())
        if layer not in self._seconds:
            self._order.append(layer)
            self._seconds[layer] = 0.0
        self._current = layer
        self._started = time.monotonic()

    def v2_playbook_on_stats(self, stats):
        self._close_play()
        if not self._order:
            return
        width = max(len(layer) for layer in self._order)
        self._display.banner("LAYER TIMES")
        for layer in self._order:
            self._display.display("%s %8.1fs" % (layer.ljust(width), self._seconds[layer]))
        self._display.display("%s %8.1fs" % ("total".ljust(width), time.monotonic() - self._run_started))
