# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that plan the Hyper-V VMs from the inventory (hyperv_vm role).

The logic lives in module_utils/vm_plan.py (pure, unit-tested); these filters
only pick the variables they need. The node variables come from the cluster
model after its node rules passed (cluster_model.node_defects), so a bad
node_ip is refused once, by the validation's rule and in its words.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: vm_plan
short_description: Plan the Hyper-V VMs of the cluster description
description:
  - C(vm_plan) returns one entry per VM (inventory hosts with C(node_hypervisor)).
  - C(vm_plan_lines) formats a plan as one line per VM.
  - C(vm_mac) derives the static MAC a node gets when C(node_mac) is not set.
  - C(vm_disk_path) gives the stable guest path (/dev/disk/by-path) of a disk named in C(node_disks).
  - C(vm_removal_confirmation) and C(vm_removal_refusals) check a removal before any host changes.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as model
from ansible_collections.mlplatform.installer.plugins.module_utils.vm_plan import (
    SETTING_KEYS,
    PlanError,
    build_plan,
    confirmation_errors,
    derive_mac,
    disk_guest_path,
    format_plan,
    removal_refusals,
)

STATE = "hyperv_vm_state"


def _pick(host_vars, keys):
    return {key: host_vars[key] for key in keys if key in host_vars}


def _state_sources(sources, vm_hv):
    """Where hyperv_vm_state is written in the inventory, per VM (vm_plan.state_source_errors).

    hostvars only hold the merged value, so the inventory sources are read
    again as ansible-playbook reads them: each host's and group's own vars
    (inline in hosts.yml) and its host_vars/group_vars files (vars plugins).
    """
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.plugins import get_vars_from_inventory_sources

    loader = DataLoader()
    sources = list(sources)
    inventory = InventoryManager(loader=loader, sources=sources)

    def own(entity):
        # Vars plugins run at the stage RUN_VARS_PLUGINS says (demand: "task"); read both.
        found = {}
        for stage in ("inventory", "task"):
            found.update(get_vars_from_inventory_sources(loader, sources, [entity], stage))
        if STATE in found:
            return found[STATE]
        return entity.get_vars().get(STATE)

    result = {}
    for vm, hv_name in vm_hv.items():
        host = inventory.get_host(vm)
        if host is None:
            continue
        hv = inventory.get_host(hv_name) if hv_name else None
        groups = {}
        for group in list(host.get_groups()) + (list(hv.get_groups()) if hv is not None else []):
            value = own(group)
            if value is not None:
                groups[group.name] = value
        hypervisor = {}
        if hv is not None and own(hv) is not None:
            hypervisor[hv_name] = own(hv)
        result[vm] = {"host": own(host), "groups": groups, "hypervisor": hypervisor}
    return result


def vm_plan(hostvars, groups, defaults, inventory_sources=None):
    """Plan every VM. `defaults` maps hyperv_vm_<setting> to the role default.

    With `inventory_sources` (ansible_inventory_sources), hyperv_vm_state is
    also traced to where it is written: absent counts only from the VM's own
    inventory entry.
    """
    setting_names = ["hyperv_vm_" + key for key in SETTING_KEYS]
    missing = [name for name in setting_names if name not in defaults]
    if missing:
        raise AnsibleFilterError("vm_plan: defaults lack %s" % ", ".join(missing))
    described = model.model_from_hostvars(hostvars, groups)
    # The validation's node rules, not a copy: a plan is made from judged values only.
    refusals = [str(defect) for defect in model.node_defects(described)]
    view = model.ClusterView(described)
    view.collect_cluster_values()
    for name in groups.get("all", []):
        if name not in view.hyperv and name not in view.nodes and \
                described["hostvars"].get(name, {}).get("node_hypervisor") is not None:
            refusals.append("host %s: node_hypervisor is set but %s is in none of the node groups (%s), so "
                            "the description does not make it a VM. Fix: add %s to the group of its role, or "
                            "remove node_hypervisor" % (name, name, ", ".join(model.NODE_GROUPS), name))
    if refusals:
        raise AnsibleFilterError("The VM plan cannot be made from this inventory:\n  - %s" % "\n  - ".join(refusals))
    hypervisors = {}
    for name in view.hyperv:
        picked = _pick(hostvars[name], setting_names)
        picked["address"] = hostvars[name].get("ansible_host", name)
        hypervisors[name] = picked
    nodes = {}
    for name in view.nodes:
        nodes[name] = _pick(view.hostvars[name], model.NODE_VARS)
        nodes[name].update(_pick(hostvars[name], setting_names))
    cluster = {"subnet": view.cluster.get("cluster_subnet"), "gateway": view.cluster.get("cluster_gateway"),
               "domain": view.cluster.get("cluster_domain")}
    state_sources = None
    if inventory_sources:
        state_sources = _state_sources(inventory_sources,
                                       {name: nodes[name].get("node_hypervisor") for name in nodes})
    critical = set(groups.get("kube_control_plane", [])) | set(groups.get("etcd", []))
    try:
        return build_plan(nodes, hypervisors, cluster, defaults, state_sources=state_sources,
                          critical_nodes=critical)
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


def vm_disk_path(node_disks, disk_name, host="this host"):
    """Stable guest path of a disk of node_disks, e.g. the brick disk of a storage node."""
    try:
        return disk_guest_path(node_disks, disk_name, host)
    except ValueError as exc:
        raise AnsibleFilterError("vm_disk_path: %s" % exc)


def vm_removal_confirmation(plan, confirm):
    """Problems with hyperv_vm_confirm_remove against the plan (empty list: confirmed)."""
    return confirmation_errors(plan, confirm)


def vm_removal_refusals(hostvars, groups):
    """Every rule the planned removals (group hyperv_vms_absent) break, against observed state.

    The pool as a storage node that stays saw it is that node's
    hyperv_vm_gluster_observed fact (tasks/removal_observe.yml).
    """
    removing = list(groups.get("hyperv_vms_absent", []))
    storage = list(groups.get("gluster_nodes", []))
    addresses = {}
    observed = None
    for name in storage:
        host = hostvars[name]
        addresses[name] = host.get("gluster_server_address") or host.get("node_ip")
        if observed is None and "hyperv_vm_gluster_observed" in host:
            observed = host["hyperv_vm_gluster_observed"]
    return removal_refusals(removing, groups, addresses, observed)


class FilterModule:
    def filters(self):
        return {"vm_plan": vm_plan, "vm_plan_lines": vm_plan_lines, "vm_mac": vm_mac,
                "vm_disk_path": vm_disk_path, "vm_removal_confirmation": vm_removal_confirmation,
                "vm_removal_refusals": vm_removal_refusals}
