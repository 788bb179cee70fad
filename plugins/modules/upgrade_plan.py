#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/upgrade_plan.py, with the logic in plugins/module_utils/upgrade_plan.py
# and the rules in plugins/module_utils/version_matrix.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: upgrade_plan
short_description: Plan an upgrade from the versions a live cluster runs to the release bundle, and gate it
description:
  - Reads the running versions from what the live API returned (the C(/version) document, each Node's
    C(kubeletVersion) and C(containerRuntimeVersion)) and, when given, etcd's C(endpoint status).
  - Returns the plan, one row per component and running version, from -> to (etcd, kube-apiserver, containerd,
    kubelet, in Kubespray's upgrade order).
  - Returns every refusal of the version gate, each with its rule and fix - the rules of C(version_check)
    (what the Kubespray release installs, one Kubernetes minor at a time, kubelet not newer than kube-apiserver
    and within its skew, containerd per minor) on the target bundle and the running versions, plus
    C(no_downgrade) and C(running_versions_readable).
  - Runs on the controller only; no connection to the host is made.
options:
  wanted:
    description: The target release bundle (C(cluster_release)).
    type: dict
    required: true
  version_info:
    description: The API's C(/version) document (C(kubernetes.core.k8s_cluster_info)'s C(version.server.kubernetes)).
    type: dict
    default: {}
  nodes:
    description: The Node objects (C(kubernetes.core.k8s_info) C(resources)).
    type: list
    elements: dict
    default: []
  etcd_status:
    description: Output of C(etcdctl endpoint status -w json --cluster), text or parsed; omitted when not read.
    type: raw
  matrix:
    description: Path of the matrix file; defaults to C(compatibility/matrix.yml) of this collection.
    type: path
  drain:
    description:
      - The drain settings of the description (C(cluster_drain)) - timeout_seconds, grace_period_seconds,
        retries, retry_delay_seconds, fail_if_drain_fails, uncordon_after_drain_failure. A wrong setting is
        a refusal of rule C(drain_settings).
    type: dict
  fail_on_refusal:
    description: Fail the task when the versions refuse the upgrade.
    type: bool
    default: false
notes:
  - Supports check mode (it never changes anything).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Plan and gate the upgrade
  mlplatform.installer.upgrade_plan:
    wanted: "{{ cluster_release }}"
    version_info: "{{ __info.version.server.kubernetes }}"
    nodes: "{{ __nodes.resources }}"
  run_once: true
"""

RETURN = r"""
running:
  description: What runs - C(apiserver) (list), C(hosts) (per Node kubelet, containerd, container_runtime), C(etcd).
  returned: always
  type: dict
plan:
  description: Rows of component, from, to, action (upgrade, unchanged, downgrade, unknown, unread) and instances.
  returned: always
  type: list
  elements: dict
plan_lines:
  description: The plan as printable lines, for example C(kubelet 1.35.3 -> 1.35.4 (upgrade; 2 Nodes - a, b)).
  returned: always
  type: list
  elements: str
refusals:
  description: Each refusal as rule, message, fix and source.
  returned: always
  type: list
  elements: dict
refusal_lines:
  description: C([rule] message. Fix - fix) per refusal.
  returned: always
  type: list
  elements: str
kubespray_drain_vars:
  description: Kubespray's drain variables (drain_nodes, drain_timeout, ...) from O(drain) over Kubespray's defaults.
  returned: always
  type: dict
matrix:
  description: Path of the matrix file used.
  returned: always
  type: str
msg:
  description: The refusals in one line, or that the versions allow the upgrade.
  returned: always
  type: str
"""
