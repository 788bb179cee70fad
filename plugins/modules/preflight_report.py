#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/preflight_report.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_report
short_description: Write the preflight report (JSON and Markdown) and fail on failed checks
options:
  rows:
    description: Verdict rows from the preflight_evaluate filter.
    type: list
    elements: dict
    required: true
  dest:
    description: Directory for preflight.json and preflight.md (created if missing).
    type: path
    required: true
  title:
    description: Report title.
    type: str
    default: Preflight report
  allowlist:
    description: Egress allowlist entries to append to the report, each with C(host), C(port), C(component) and
      C(purpose).
    type: list
    elements: dict
    default: []
  fail_on_gate:
    description:
      - Fail when any check failed. With C(false) the result carries C(gate_failed) and the same message, for a
        caller that runs further checks before its own verdict (playbooks/validate.yml).
    type: bool
    default: true
description:
  - Judges every node's preflight rows, writes C(preflight.json) and C(preflight.md) to O(dest) and fails, after
    writing, when any check failed, naming each node and its figures.
  - Runs on the controller only; the report is output, so it never reports a change and runs in check mode too.
notes:
  - Supports check mode.
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Write the report and gate on it
  mlplatform.installer.preflight_report:
    rows: "{{ rows }}"
    dest: "{{ inventory_dir }}/reports"
"""

RETURN = r"""
summary:
  description: How many checks passed, warned and failed.
  type: dict
  returned: always
json:
  description: Path of the JSON report written.
  type: str
  returned: always
markdown:
  description: Path of the Markdown report written.
  type: str
  returned: always
gate_failed:
  description: Whether any check failed (the task fails too unless O(fail_on_gate=false)).
  type: bool
  returned: always
"""
