"""The VM plan: what provision.yml creates on Hyper-V, computed on the controller."""

import importlib.util
import os

import pytest

from module_utils.vm_plan import (
    PlanError,
    build_plan,
    derive_mac,
    dynamic_pool,
    format_plan,
    hyperv_mac,
    normalize_mac,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCTION = os.path.join(REPO, "inventories", "production")

DEFAULTS = {
    "hyperv_vm_state": "present",
    "hyperv_vm_root": "C:\\Hyper-V\\mlp",
    "hyperv_vm_switch_name": "",
    "hyperv_vm_vlan_id": 0,
    "hyperv_vm_os_disk_mode": "copy",
    "hyperv_vm_dynamic_memory": False,
    "hyperv_vm_dynamic_memory_minimum_mb": 2048,
    "hyperv_vm_secure_boot_template": "MicrosoftUEFICertificateAuthority",
    "hyperv_vm_automatic_start_action": "Start",
    "hyperv_vm_automatic_start_delay": 0,
    "hyperv_vm_automatic_stop_action": "ShutDown",
    "hyperv_vm_gpu_low_mmio_mb": 3072,
    "hyperv_vm_gpu_high_mmio_mb_per_gpu": 131072,
}
CLUSTER = {"subnet": "10.20.0.0/24", "gateway": "10.20.0.1", "domain": "dc1.example.com"}


def node(ip, hv="hv01", **extra):
    base = {"node_ip": ip, "node_hypervisor": hv, "node_vcpus": 4, "node_memory_mb": 8192,
            "node_disks": [{"name": "os", "size_gb": 60}]}
    base.update(extra)
    return base


def plan(nodes, hypervisors=None, gpu_nodes=(), cluster=None, defaults=None):
    hypervisors = hypervisors if hypervisors is not None else {"hv01": {"address": "10.20.1.11"}}
    return build_plan(nodes, hypervisors, set(gpu_nodes), cluster or CLUSTER, defaults or DEFAULTS)


def errors_of(*args, **kwargs):
    with pytest.raises(PlanError) as caught:
        plan(*args, **kwargs)
    return caught.value.errors


# --- MACs ---------------------------------------------------------------------

def test_derived_mac_is_hyperv_oui_marker_and_last_two_octets():
    assert derive_mac("10.40.8.11") == "00:15:5d:fe:08:0b"
    assert derive_mac("192.168.200.254") == "00:15:5d:fe:c8:fe"
    assert hyperv_mac(derive_mac("10.40.8.11")) == "00155DFE080B"


def test_derived_mac_is_stable_and_distinct_within_a_slash_16():
    assert derive_mac("10.20.0.11") == derive_mac("10.20.0.11")
    macs = {derive_mac("10.20.%d.%d" % (a, b)) for a in range(0, 256, 17) for b in range(1, 255, 7)}
    assert len(macs) == len(range(0, 256, 17)) * len(range(1, 255, 7))


def test_normalize_mac_accepts_the_usual_spellings_and_rejects_others():
    assert normalize_mac("00:15:5D:28:08:11") == "00:15:5d:28:08:11"
    assert normalize_mac("00-15-5d-28-08-11") == "00:15:5d:28:08:11"
    assert normalize_mac("00155d280811") == "00:15:5d:28:08:11"
    for bad in ("00:15:5d:28:08", "00:15:5d:28:08:1g", 1508, None, ""):
        assert normalize_mac(bad) is None


def test_dynamic_pool_is_built_from_the_hosts_last_two_octets():
    assert dynamic_pool("10.40.1.11") == ("00:15:5d:01:0b:00", "00:15:5d:01:0b:ff")


# --- A plan -----------------------------------------------------------------------

def test_a_plain_vm():
    vm = plan({"cp01": node("10.20.0.11", node_disks=[{"name": "os", "size_gb": 100},
                                                       {"name": "etcd", "size_gb": 20}])})[0]
    assert vm["name"] == "cp01" and vm["hypervisor"] == "hv01" and vm["generation"] == 2
    assert vm["path"] == "C:\\Hyper-V\\mlp\\cp01"
    assert vm["os_disk"] == {"name": "os", "size_gb": 100, "path": "C:\\Hyper-V\\mlp\\cp01\\cp01-os.vhdx", "mode": "copy"}
    assert vm["data_disks"] == [{"name": "etcd", "size_gb": 20, "path": "C:\\Hyper-V\\mlp\\cp01\\cp01-etcd.vhdx"}]
    assert (vm["ip"], vm["prefix"], vm["fqdn"]) == ("10.20.0.11", 24, "cp01.dc1.example.com")
    assert vm["mac"] == "00:15:5d:fe:00:0b" and vm["mac_source"].startswith("derived from node_ip")
    assert vm["dynamic_memory"] is False and vm["automatic_stop_action"] == "ShutDown"
    assert vm["gpus"] == [] and vm["gpu_high_mmio_mb"] == 0


def test_node_mac_wins_over_the_derived_one():
    vm = plan({"cp01": node("10.20.0.11", node_mac="00-15-5D-14-00-11")})[0]
    assert (vm["mac"], vm["mac_source"]) == ("00:15:5d:14:00:11", "node_mac")


def test_gpu_vm_gets_static_memory_turn_off_and_mmio_per_gpu():
    gpus = ["PCIROOT(0)#PCI(0300)#PCI(0000)", "PCIROOT(80)#PCI(0300)#PCI(0000)"]
    defaults = dict(DEFAULTS, hyperv_vm_dynamic_memory=True)
    vm = plan({"gpu01": node("10.20.0.31", node_gpu_devices=gpus)}, gpu_nodes=["gpu01"], defaults=defaults)[0]
    assert vm["gpus"] == gpus
    assert vm["dynamic_memory"] is False
    assert vm["automatic_stop_action"] == "TurnOff"
    assert (vm["gpu_low_mmio_mb"], vm["gpu_high_mmio_mb"]) == (3072, 2 * 131072)


def test_settings_resolve_node_then_hypervisor_then_default():
    hypervisors = {"hv01": {"address": "10.20.1.11", "hyperv_vm_switch_name": "ext", "hyperv_vm_vlan_id": 20},
                   "hv02": {"address": "hv02.dc1.example.com"}}
    vms = plan({"a": node("10.20.0.11"), "b": node("10.20.0.12", hyperv_vm_vlan_id=30),
                "c": node("10.20.0.13", hv="hv02")}, hypervisors=hypervisors)
    got = {vm["name"]: (vm["switch_name"], vm["vlan_id"]) for vm in vms}
    assert got == {"a": ("ext", 20), "b": ("ext", 30), "c": ("", 0)}


def test_dynamic_memory_for_a_plain_vm_when_asked():
    vm = plan({"a": node("10.20.0.11", hyperv_vm_dynamic_memory=True)})[0]
    assert vm["dynamic_memory"] is True and vm["dynamic_memory_minimum_mb"] == 2048


def test_absent_vm_is_planned_with_its_state():
    vm = plan({"a": node("10.20.0.11", hyperv_vm_state="absent")})[0]
    assert vm["state"] == "absent"


def test_hosts_without_node_hypervisor_are_not_vms_when_there_is_no_hyperv_host():
    assert plan({"bed1": {"node_ip": "10.20.0.11"}}, hypervisors={}) == []


def test_plan_is_sorted_by_host_then_name():
    vms = plan({"b": node("10.20.0.12", hv="hv02"), "a": node("10.20.0.11", hv="hv02"), "z": node("10.20.0.13")},
               hypervisors={"hv01": {"address": "h1"}, "hv02": {"address": "h2"}})
    assert [(vm["hypervisor"], vm["name"]) for vm in vms] == [("hv01", "z"), ("hv02", "a"), ("hv02", "b")]


# --- Defects, each naming host, variable and fix ----------------------------------

def test_unknown_or_missing_hypervisor():
    errors = errors_of({"a": node("10.20.0.11", hv="hv09"), "b": {"node_ip": "10.20.0.12"}})
    assert any("host a: node_hypervisor 'hv09' is not in hyperv_hosts (hv01)" in e for e in errors)
    assert any("host b: node_hypervisor is not set" in e for e in errors)


def test_duplicate_mac_and_address():
    errors = errors_of({"a": node("10.20.0.11", node_mac="00:15:5d:14:00:11"),
                        "b": node("10.20.0.11", node_mac="00:15:5d:14:00:11")})
    assert any("MAC 00:15:5d:14:00:11 is also a's" in e for e in errors)
    assert any("node_ip 10.20.0.11 is also a's" in e for e in errors)


def test_derived_macs_collide_beyond_a_slash_16():
    cluster = dict(CLUSTER, subnet="10.0.0.0/8")
    errors = errors_of({"a": node("10.1.8.11"), "b": node("10.2.8.11")}, cluster=cluster)
    assert any("host b: MAC 00:15:5d:fe:08:0b is also a's; set a distinct node_mac" in e for e in errors)


def test_mac_inside_a_hosts_dynamic_pool_is_refused():
    # Host 10.20.254.8 hands out 00:15:5d:fe:08:00-ff; a node at x.x.8.y derives 00:15:5d:fe:08:yy.
    cluster = dict(CLUSTER, subnet="10.20.8.0/24", gateway="10.20.8.1")
    errors = errors_of({"a": node("10.20.8.11")}, hypervisors={"hv01": {"address": "10.20.254.8"}}, cluster=cluster)
    assert any("lies in the dynamic MAC pool of Hyper-V host hv01" in e for e in errors)


def test_bad_sizes_disks_and_gpus():
    errors = errors_of({
        "a": node("10.20.0.11", node_memory_mb=4097, node_vcpus=0),
        "b": node("10.20.0.12", node_disks=[{"name": "data", "size_gb": 10}, {"name": "os", "size_gb": 60}]),
        "c": node("10.20.0.13", node_disks=[{"name": "os", "size_gb": 0}]),
        "d": node("10.20.0.14", node_gpu_devices=["PCIROOT(0)#PCI(0300)#PCI(0000)"]),
        "e": node("10.20.0.15", node_gpu_devices=["0000:03:00.0"]),
        "f": node("10.20.0.16", node_mac="01:00:5e:00:00:01"),
    }, gpu_nodes=["e"])
    expected = [
        "host a: node_vcpus is 0", "host a: node_memory_mb is 4097; use an even number",
        "host b: the first disk of node_disks must be the OS disk", "host c: node_disks[0].size_gb is 0",
        "host d: node_gpu_devices is set but the host is not in gpu_nodes",
        "host e: node_gpu_devices entry '0000:03:00.0' is not a PCI location path",
        "host f: node_mac 01:00:5e:00:00:01 is a multicast address",
    ]
    for text in expected:
        assert any(text in e for e in errors), (text, errors)


def test_one_gpu_goes_to_one_vm_per_host():
    gpu = ["PCIROOT(0)#PCI(0300)#PCI(0000)"]
    errors = errors_of({"a": node("10.20.0.11", node_gpu_devices=gpu), "b": node("10.20.0.12", node_gpu_devices=gpu)},
                       gpu_nodes=["a", "b"])
    assert any("GPU PCIROOT(0)#PCI(0300)#PCI(0000) of hv01 is already assigned to a" in e for e in errors)


def test_address_outside_the_subnet_and_bad_settings():
    errors = errors_of({"a": node("10.30.0.11", hyperv_vm_vlan_id=5000, hyperv_vm_root="relative\\path",
                                  hyperv_vm_os_disk_mode="linked")})
    for text in ("node_ip 10.30.0.11 is not a host address of cluster_subnet 10.20.0.0/24",
                 "hyperv_vm_vlan_id is 5000", "hyperv_vm_root is 'relative\\\\path'",
                 "hyperv_vm_os_disk_mode is 'linked'; use one of copy, differencing"):
        assert any(text in e for e in errors), (text, errors)


def test_a_vm_name_with_a_quote_is_refused():
    errors = errors_of({"web'1": node("10.20.0.11")})
    assert any("host web'1: a VM's inventory name is its host name" in e for e in errors)


# --- The production example inventory, read as ansible-playbook reads it -----------

def _filters():
    spec = importlib.util.spec_from_file_location("vm_plan_filter", os.path.join(REPO, "plugins", "filter", "vm_plan.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_example_plan(load_inventory):
    inventory = load_inventory(PRODUCTION)
    vms = _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS)
    vm_hosts = sorted(h for h in inventory.groups["all"] if h not in inventory.groups["hyperv_hosts"])
    assert sorted(vm["name"] for vm in vms) == vm_hosts
    by_name = {vm["name"]: vm for vm in vms}
    for name, vm in by_name.items():
        host = inventory.hostvars[name]
        assert vm["hypervisor"] == host["node_hypervisor"]
        assert (vm["vcpus"], vm["memory_mb"], vm["ip"]) == (host["node_vcpus"], host["node_memory_mb"], host["node_ip"])
        assert [vm["os_disk"]["size_gb"]] + [d["size_gb"] for d in vm["data_disks"]] == \
            [d["size_gb"] for d in host["node_disks"]]
        assert vm["mac"] == normalize_mac(host.get("node_mac") or derive_mac(host["node_ip"]))
        assert vm["gpus"] == list(host.get("node_gpu_devices") or [])
    for name in inventory.groups.get("gpu_nodes", []):
        vm = by_name[name]
        assert vm["gpus"] and not vm["dynamic_memory"] and vm["automatic_stop_action"] == "TurnOff"
        assert vm["gpu_high_mmio_mb"] == 131072 * len(vm["gpus"])
    lines = format_plan(vms)
    assert len(lines) == len(vms)
    gpu = [line for line in lines if " gpu01:" in line][0]
    for part in ("hv01 gpu01", "32 vCPU", "262144 MB static", "disks os 500 GB", "MAC 00:15:5d:28:08:31",
                 "10.40.8.31/24", "PCIROOT(0)#PCI(0300)#PCI(0000)"):
        assert part in gpu, (part, gpu)


def test_production_example_without_node_mac_derives_macs(load_inventory):
    inventory = load_inventory(PRODUCTION)
    for name in inventory.groups["all"]:
        inventory.inventory.get_host(name).vars.pop("node_mac", None)
    vms = _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS)
    assert {vm["mac"] for vm in vms} == {derive_mac(vm["ip"]) for vm in vms}
    assert all(vm["mac_source"].startswith("derived") for vm in vms)
