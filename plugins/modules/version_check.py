#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/version_check.py (like ansible.builtin.assert), with the
# rules in plugins/module_utils/version_matrix.py and the data in
# compatibility/matrix.yml.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: version_check
short_description: Check a release bundle and the versions found on hosts against the compatibility matrix
description:
  - Evaluates the wanted versions (the inventory's C(cluster_release)) and, when given, versions found on hosts
    or in a running cluster against C(compatibility/matrix.yml).
  - "Rules: Kubespray release to Kubernetes versions, containerd, etcd series, ansible-core range and operating
    systems; containerd recommended per Kubernetes minor; GPU Operator to Kubernetes range per OS, driver branches,
    containerd; Kubeflow to minimum Kubernetes and kustomize; Kubernetes version skew (kubelet never newer than
    kube-apiserver and at most 3 minors older, HA apiservers within one minor) and upgrades one minor at a time;
    minimum kernel; the container runtime (Docker Engine refused from Kubernetes 1.24 on, dockershim being
    removed); the GlusterFS pin against the version each node OS ships."
  - The inventory validation (C(playbooks/validate_inventory.yml)) runs the same rules on the release bundle before
    any host is touched, through C(plugins/module_utils/cluster_model.py); this action adds the versions found on
    live hosts and in a running cluster.
  - Returns C(compatible) and every conflict with the rule it breaks and that rule's source; fails listing all
    conflicts unless O(fail_on_conflict=false).
  - Runs on the controller only; no connection to the host is made.
options:
  wanted:
    description:
      - The release bundle. Keys used - C(kubespray), C(kubernetes) (both required), C(containerd), C(etcd), C(os)
        (list such as C([ubuntu-24.04])), C(gpu_operator), C(nvidia_driver), C(kubeflow), C(kustomize),
        C(glusterfs), C(container_runtime) (a name such as C(containerd) or C(docker)).
    type: dict
    required: true
  found:
    description:
      - Versions found, all optional. C(ansible_core) (the controller's), C(apiserver) (a version or a list, one
        per kube-apiserver instance), C(hosts) (per host name a dict with C(kubelet), C(containerd),
        C(container_runtime) (a name, or a Node's C(containerRuntimeVersion) such as C(docker://24.0.7)), C(kernel),
        C(os), C(nvidia_driver) and C(gpu) true for GPU nodes).
    type: dict
    default: {}
  matrix:
    description:
      - Path of the matrix file; relative paths are resolved like other playbook files.
      - Defaults to C(compatibility/matrix.yml) of the repository that holds this plugin.
    type: path
  fail_on_conflict:
    description:
      - Fail the task when there is a conflict. With C(false) the result only reports.
    type: bool
    default: true
  exact:
    description:
      - The found C(apiserver) versions and each host's C(kubelet) must equal C(wanted.kubernetes)
        (rule C(running_equals_bundle)), as for an existing cluster that is checked, not upgraded.
    type: bool
    default: false
notes:
  - Supports check mode (it never changes anything).
  - Versions may carry a C(v) prefix or a package suffix (C(v1.35.4), C(1.7.28-0ubuntu1)); OS names are written
    C(ubuntu-24.04) or as in facts (C(Ubuntu 24.04)).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Check a release bundle alone (the inventory validation already does this for cluster_release)
  mlplatform.installer.version_check:
    wanted: "{{ cluster_release }}"
  run_once: true

- name: Check what runs against what is wanted before an upgrade
  mlplatform.installer.version_check:
    wanted: "{{ cluster_release }}"
    found:
      ansible_core: "{{ ansible_version.full }}"
      apiserver: "{{ __upgrade_apiserver_versions }}"
      hosts: "{{ __upgrade_found_versions }}"
  run_once: true
"""

RETURN = r"""
compatible:
  description: True when no rule is broken.
  returned: always
  type: bool
conflicts:
  description: Every conflict found.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: Stable rule name, for example C(kubelet_max_skew).
      type: str
    component:
      description: What was checked, for example C(kubernetes) or C(hosts/cp1/kubelet).
      type: str
    value:
      description: The version that breaks the rule.
      type: str
    expected:
      description: What the rule allows.
      type: str
    source:
      description: URL of the upstream statement the rule comes from.
      type: str
    message:
      description: One readable line combining the above.
      type: str
    fix:
      description: What to change, phrased for the release bundle (or the host).
      type: str
  sample:
    - rule: containerd_kubernetes
      component: containerd
      value: 2.0.5
      expected: 2.2.0+, 2.1.5+, 1.7.28+ for Kubernetes 1.35
      source: https://github.com/containerd/containerd/blob/main/RELEASES.md#kubernetes-support
      message: "containerd = 2.0.5 breaks containerd_kubernetes (...): expected 2.2.0+, 2.1.5+, 1.7.28+ for Kubernetes 1.35"
      fix: pin a containerd at or above one of 2.2.0+, 2.1.5+, 1.7.28+ (the newest patch of its series)
matrix:
  description: Path of the matrix file used.
  returned: always
  type: str
msg:
  description: C(compatible), or one line per conflict.
  returned: always
  type: str
"""
