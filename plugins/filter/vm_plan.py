# -*- coding: utf-8 -*-
"""Filters that plan the Hyper-V VMs from the inventory (hyperv_vm role).

The logic lives in module_utils/vm_plan.py (pure, unit-tested); these filters
only pick the variables they need out of hostvars.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: vm_plan
short_description: Plan the Hyper-V VMs of the cluster description
description:
  - C(vm_plan) returns one entry per VM (inventory hosts with C(node_hypervisor)).
  - C(vm_plan_lines) formats a plan as one line per VM.
  - C(vm_mac) derives the static MAC a node gets when C(node_mac) is not set.
"""

import os

import ansible.module_utils
from ansible.errors import AnsibleFilterError

# Share plugins/module_utils with the modules: docs/CONVENTIONS.md, "Modules".
_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils")
if _UTILS not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_UTILS)

# The node variables of the inventory model, named once in cluster_model.
from ansible.module_utils.cluster_model import NODE_VARS  # noqa: E402
from ansible.module_utils.vm_plan import (  # noqa: E402
    SETTING_KEYS,
    PlanError,
    build_plan,
    derive_mac,
    format_plan,
)


def _pick(host_vars, keys):
    return {key: host_vars[key] for key in keys if key in host_vars}


def vm_plan(hostvars, groups, defaults):
    """Plan every VM. `defaults` maps hyperv_vm_<setting> to the role default."""
    hyperv_hosts = set(groups.get("hyperv_hosts", []))
    setting_names = ["hyperv_vm_" + key for key in SETTING_KEYS]
    hypervisors = {}
    for name in hyperv_hosts:
        picked = _pick(hostvars[name], setting_names)
        picked["address"] = hostvars[name].get("ansible_host", name)
        hypervisors[name] = picked
    nodes = {}
    for name in groups.get("all", []):
        if name in hyperv_hosts:
            continue
        nodes[name] = _pick(hostvars[name], list(NODE_VARS) + setting_names)
    first = groups["all"][0] if groups.get("all") else None
    cluster = {}
    if first is not None:
        cluster = {
            "subnet": hostvars[first].get("cluster_subnet"),
            "gateway": hostvars[first].get("cluster_gateway"),
            "domain": hostvars[first].get("cluster_domain"),
        }
    missing = [name for name in setting_names if name not in defaults]
    if missing:
        raise AnsibleFilterError("vm_plan: defaults lack %s" % ", ".join(missing))
    try:
        return build_plan(nodes, hypervisors, set(groups.get("gpu_nodes", [])), cluster,
                          defaults)
    except PlanError as exc:
        raise AnsibleFilterError("The VM plan cannot be made from this inventory:\n  - %s"
                                 % "\n  - ".join(exc.errors))


def vm_plan_lines(plan):
    return format_plan(plan)


def vm_mac(node_ip):
    try:
        return derive_mac(node_ip)
    except ValueError as exc:
        raise AnsibleFilterError("vm_mac: %s" % exc)


class FilterModule:
    def filters(self):
        return {"vm_plan": vm_plan, "vm_plan_lines": vm_plan_lines, "vm_mac": vm_mac}
