#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/clock_offset.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: clock_offset
short_description: Offset of a node's clock from the controller's, in milliseconds
description:
  - Runs C(date +%s.%N) on the node and compares it with the controller's clock
    taken just before and after, so the round trip bounds the error.
options: {}
notes:
  - Supports check mode (it never changes anything).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Measure the clock offset of every node
  mlplatform.installer.clock_offset:
  register: offset
"""

RETURN = r"""
offset_ms:
  description: node clock minus controller clock, in milliseconds
  type: float
  returned: success
uncertainty_ms:
  description: half the round trip of the measurement, in milliseconds
  type: float
  returned: success
"""
