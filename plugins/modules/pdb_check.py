#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/pdb_check.py, with the logic in plugins/module_utils/pdb_check.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pdb_check
short_description: Ask the live API whether draining nodes would hang on a PodDisruptionBudget
description:
  - For every node given, lists its pods and leaves out those a drain leaves alone (DaemonSet pods, mirror pods,
    pods that already ended or are being deleted), as C(kubectl drain) does.
  - For each other pod, posts an Eviction with C(dryRun=All) to the live API. Nothing is cordoned, evicted or
    changed. HTTP 429 means a PodDisruptionBudget refuses the eviction; the budget is named with its namespace,
    name and allowed disruptions.
  - Fails naming every refused pod and its budget (rule C(pdb_blocks_drain)) unless O(fail_on_block=false); any
    other refusal (for example a pod selected by several budgets) is rule C(eviction_dry_run_failed).
  - Runs on the controller only, through the kubernetes Python client and the admin kubeconfig.
options:
  kubeconfig:
    description: Path of the admin kubeconfig on the controller.
    type: path
    required: true
  nodes:
    description: Names of the Nodes that will be drained.
    type: list
    elements: str
    required: true
  fail_on_block:
    description: Fail the task when an eviction would be refused. With C(false) the result only reports.
    type: bool
    default: true
  timeout:
    description: Seconds each API request may take.
    type: int
    default: 30
notes:
  - Supports check mode (it never changes anything; dry-run evictions are how it asks).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Stop before any drain that a PodDisruptionBudget would hang
  mlplatform.installer.pdb_check:
    kubeconfig: "{{ inventory_dir }}/artifacts/admin.conf"
    nodes: "{{ groups['kube_node'] }}"
  run_once: true
"""

RETURN = r"""
verdicts:
  description: One entry per pod asked about.
  returned: always
  type: list
  elements: dict
  contains:
    node: {description: The Node the pod runs on., type: str}
    pod: {description: namespace/name of the pod., type: str}
    verdict: {description: "C(allowed), C(blocked) (HTTP 429) or C(error).", type: str}
    http_status: {description: HTTP status of the dry-run eviction., type: int}
    pdbs:
      description: The budgets selecting the pod, each with namespace, name, disruptions_allowed, current_healthy,
        desired_healthy, expected_pods and budget (its minAvailable or maxUnavailable).
      type: list
      elements: dict
    message: {description: What the API said., type: str}
blocked:
  description: The verdicts that are not C(allowed).
  returned: always
  type: list
  elements: dict
skipped:
  description: Pods a drain leaves alone, each with node, pod and reason.
  returned: always
  type: list
  elements: dict
refusals:
  description: One sentence per refused eviction, naming the rule, the budget and the fix.
  returned: always
  type: list
  elements: str
warnings_pressure:
  description: Budgets that allow fewer disruptions than the pods of one node they cover (the drain waits).
  returned: always
  type: list
  elements: str
msg:
  description: Summary line, then the refusals.
  returned: always
  type: str
"""
