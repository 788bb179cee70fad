#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/gpu_check.py, with the logic in plugins/module_utils/gpu_validation.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_check
short_description: Check the GPU Operator's result on the live API
description:
  - Waits up to O(wait_timeout) seconds for the ClusterPolicy O(cluster_policy) to report C(status.state=ready);
    when it does not, fails with the state and the conditions found.
  - On every Node of O(nodes), allocatable C(nvidia.com/gpu) must equal the inventory's device count; a failure
    names the node and both counts.
  - With O(driver_version), the driver version GPU feature discovery labels each Node with
    (C(nvidia.com/cuda.driver-version.full), or the deprecated C(nvidia.com/cuda.driver.major/minor/rev)) must
    equal it.
  - With O(cuda_sample_image), runs the CUDA vectorAdd sample on every Node of O(nodes) (one Pod each, pinned to the
    Node, asking for one C(nvidia.com/gpu)) and waits up to O(cuda_sample_timeout) seconds for each to succeed with
    C(Test PASSED) in its log; a failure names the node and the state found (Pending with the scheduler's reason,
    Failed with the log's end, still Running). The Pods are removed afterwards, also on failure.
  - Runs on the controller only, through the kubernetes Python client and the admin kubeconfig; leaves nothing
    changed (the sample's Pods are removed; in check mode the sample does not run).
options:
  kubeconfig:
    description: Path of the admin kubeconfig on the controller.
    type: path
    required: true
  nodes:
    description: The GPU Nodes, each with its device count (the length of its node_gpu_devices).
    type: dict
    required: true
  driver_version:
    description: The driver the Nodes must run (cluster_release.nvidia_driver); omitted, the version is not checked.
    type: str
  cluster_policy:
    description: Name of the ClusterPolicy the chart creates.
    type: str
    default: cluster-policy
  wait_timeout:
    description: Seconds to wait for the ClusterPolicy to become ready.
    type: int
    default: 300
  poll_interval:
    description: Seconds between two reads of the ClusterPolicy.
    type: int
    default: 5
  timeout:
    description: Seconds each API request may take.
    type: int
    default: 30
  skip:
    description:
      - Checks not to run, among C(cluster_policy), C(allocatable), C(driver), C(cuda_sample) (the role passes the
        ones gpu_operator_skip_checks names, and prints why).
    type: list
    elements: str
    default: []
  cuda_sample_image:
    description: The CUDA vectorAdd sample image (from the mirror, pinned by tag); needed unless C(cuda_sample) is skipped.
    type: str
  cuda_sample_namespace:
    description: Namespace of the sample's Pods.
    type: str
    default: gpu-operator
  cuda_sample_timeout:
    description: Seconds each sample Pod may take from creation to C(Succeeded).
    type: int
    default: 300
notes:
  - Supports check mode (it only reads; the CUDA sample, which creates Pods, does not run).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: ClusterPolicy ready, GPUs allocatable, driver at the bundle's version
  mlplatform.installer.gpu_check:
    kubeconfig: "{{ inventory_dir }}/artifacts/admin.conf"
    nodes: {gpu01: 2, gpu02: 4}
    driver_version: "595.91.07"
    cuda_sample_image: nexus01.dc1.example.com:8443/nvcr.io/nvidia/k8s/cuda-sample:vectoradd-cuda12.5.0
  run_once: true
"""

RETURN = r"""
ready:
  description: Whether the ClusterPolicy reported ready.
  returned: always
  type: bool
state:
  description: The ClusterPolicy's state and conditions, as found.
  returned: always
  type: str
problems:
  description: One sentence per failed check, naming the node or object and the state found.
  returned: always
  type: list
  elements: str
cuda_sample:
  description: C(passed), C(failed), or why it did not run.
  returned: always
  type: str
waited:
  description: Seconds spent waiting for the ClusterPolicy.
  returned: always
  type: float
msg:
  description: The problems, or a summary when there are none.
  returned: always
  type: str
"""
