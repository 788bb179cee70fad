#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/kubespray_decision.py, with the logic in
# plugins/module_utils/kubespray_decision.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kubespray_decision
short_description: Decide whether Kubespray must run, and which playbook
description:
  - Reads the generated Kubespray inventory on the controller and decides, from data the caller read from the
    Kubernetes API, whether Kubespray must run and with which playbook; touches no host.
  - The decision is one of C(skip), C(scale), C(cluster) or C(refuse). A refusal never fails the task, so the
    caller can print and report the decision first, then stop.
  - Runs on the controller only; no connection to the host is made.
options:
  inventory:
    description:
      - The generated Kubespray inventory directory.
      - Defaults to C(<inventory_dir>/artifacts/kubespray).
    type: path
  release:
    description:
      - The release bundle (C(cluster_release)) with the versions wanted.
    type: dict
    required: true
  api_answered:
    description:
      - Whether the Kubernetes API server answered.
    type: bool
    required: true
  api_error:
    description:
      - Why the API server did not answer; named in the reason.
    type: str
    default: ""
  version_info:
    description:
      - The API server's C(/version) (C(kubernetes.core.k8s_cluster_info)'s C(version.server.kubernetes)).
    type: dict
    default: {}
  nodes:
    description:
      - The Node objects (C(kubernetes.core.k8s_info)'s C(resources)).
    type: list
    elements: dict
    default: []
  record:
    description:
      - The data of the apply record ConfigMap; empty or omitted when there is none.
    type: dict
    default: {}
notes:
  - Supports check mode (it never changes anything).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Decide whether Kubespray must run
  mlplatform.installer.kubespray_decision:
    inventory: "{{ inventory_dir }}/artifacts/kubespray"
    release: "{{ cluster_release }}"
    api_answered: "{{ __cluster_info.version is defined }}"
    version_info: "{{ __cluster_info.version.server.kubernetes | default({}) }}"
    nodes: "{{ __cluster_nodes.resources | default([]) }}"
    record: "{{ __record.resources[0].data | default({}) }}"
  register: __decision
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
decision:
  description: C(skip), C(scale), C(cluster) or C(refuse).
  returned: always
  type: str
  sample: scale
reason:
  description: Why, in one readable line.
  returned: always
  type: str
playbook:
  description: The Kubespray playbook to run (C(cluster) or C(scale)), or null when none must run.
  returned: always
  type: str
new_hosts:
  description: Hosts in the inventory that the cluster does not have yet.
  returned: always
  type: list
  elements: str
removed_hosts:
  description: Nodes of the cluster that the inventory no longer has.
  returned: always
  type: list
  elements: str
record_stale:
  description: True when Kubespray need not run but the apply record must be rewritten.
  returned: always
  type: bool
inventory:
  description: The inventory directory read.
  returned: always
  type: str
inventory_hash:
  description: Hash of the generated inventory.
  returned: always
  type: str
hosts:
  description: The hosts of the generated inventory, sorted.
  returned: always
  type: list
  elements: str
record_data:
  description: The apply record ConfigMap data to write after a successful run (hash, per-host digests, versions,
    time).
  returned: always
  type: dict
msg:
  description: The decision and its reason.
  returned: always
  type: str
"""
