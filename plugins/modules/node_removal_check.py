#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/node_removal_check.py, with the logic in plugins/module_utils/node_removal.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_removal_check
short_description: Refuse removing nodes that hold the cluster together
description:
  - Evaluates the nodes to remove against the inventory's groups, the Gluster volumes and their health, and the
    PodDisruptionBudget pre-check, and returns every refusal with its rule and fix.
  - "Rules: C(remove_nodes_known), C(first_control_plane), C(etcd_quorum), C(etcd_odd_members),
    C(gluster_bricks_hold_data), C(gluster_heal_pending), C(gluster_quorum), C(pdb_blocks_drain)."
  - Runs on the controller only; no connection to the host is made.
options:
  remove_nodes:
    description: Inventory names of the nodes to remove.
    type: list
    elements: str
    required: true
  groups:
    description: The inventory's C(groups) (C(all), C(kube_control_plane), C(etcd), C(gluster_nodes) are read).
    type: dict
    required: true
  gluster_volume_info:
    description: Output of C(gluster --mode=script --xml volume info) on a storage node; empty when there is none.
    type: str
    default: ""
  mlplatform.installer.gluster_health:
    description: The C(volumes) returned by C(mlplatform.installer.gluster_health) (heal counters, quorum).
    type: dict
    default: {}
  replacement_bricks:
    description: Per brick to give up (C(host:/path) as Gluster names it), the brick replacing it.
    type: dict
    default: {}
  host_aliases:
    description: Per inventory host, the names Gluster may use for it in brick names (address, FQDN).
    type: dict
    default: {}
  pdb_verdicts:
    description: The C(verdicts) of C(mlplatform.installer.pdb_check) for the nodes to remove.
    type: list
    elements: dict
    default: []
  drain:
    description: The description's drain settings (C(cluster_drain)); a wrong one is a refusal of rule C(drain_settings).
    type: dict
  fail_on_refusal:
    description: Fail the task when a rule refuses.
    type: bool
    default: true
notes:
  - Supports check mode (it never changes anything).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Refuse what must not be removed
  mlplatform.installer.node_removal_check:
    remove_nodes: "{{ remove_nodes }}"
    groups: "{{ groups }}"
  run_once: true
"""

RETURN = r"""
refusals:
  description: Each refusal as rule, node, message and fix.
  returned: always
  type: list
  elements: dict
refusal_lines:
  description: C([rule] message. Fix - fix) per refusal.
  returned: always
  type: list
  elements: str
kubespray_vars:
  description: Extra variables for Kubespray's remove-node.yml - node, skip_confirmation and the drain settings.
  returned: always
  type: dict
replacements:
  description: The bricks to replace, each as volume, old and new (only bricks still in a volume).
  returned: always
  type: list
  elements: dict
bricks:
  description: Per node to remove, the Gluster bricks it holds.
  returned: always
  type: dict
msg:
  description: The refusals in one line, or that no rule refuses.
  returned: always
  type: str
"""
