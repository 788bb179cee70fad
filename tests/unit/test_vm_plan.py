"""The VM plan: what provision.yml creates on Hyper-V, computed on the controller."""

import importlib.util
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm
from ansible_collections.mlplatform.installer.plugins.module_utils.vm_plan import (
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


def plan(nodes, hypervisors=None, cluster=None, defaults=None):
    hypervisors = hypervisors if hypervisors is not None else {"hv01": {"address": "10.20.1.11"}}
    return build_plan(nodes, hypervisors, cluster or CLUSTER, defaults or DEFAULTS)


def node_refusals(nodes, gpu_nodes=(), cluster=None, hypervisors=("hv01",)):
    """What the validation's node rules (which the vm_plan filter runs first) say of these nodes."""
    cluster = cluster or CLUSTER
    common = {"cluster_subnet": cluster["subnet"], "cluster_gateway": cluster["gateway"],
              "cluster_domain": cluster["domain"]}
    hostvars = {hv: {"ansible_host": "10.20.1.%d" % (11 + i)} for i, hv in enumerate(hypervisors)}
    hostvars.update({name: dict(common, **values) for name, values in nodes.items()})
    groups = {"all": list(hypervisors) + list(nodes), "hyperv_hosts": list(hypervisors),
              "kube_node": list(nodes), "gpu_nodes": list(gpu_nodes)}
    model = {"groups": groups, "hostvars": hostvars, "varnames": {h: list(v) for h, v in hostvars.items()}}
    return [str(defect) for defect in cm.node_defects(model)]


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
    by_path = "/dev/disk/by-path/acpi-VMBUS:00-vmbus-f8b3781a1e824818a1c363d806ec15bb-lun-%d"
    assert vm["os_disk"] == {"name": "os", "size_gb": 100, "path": "C:\\Hyper-V\\mlp\\cp01\\cp01-os.vhdx", "mode": "copy",
                             "controller": 0, "lun": 0, "guest_path": by_path % 0}
    assert vm["data_disks"] == [{"name": "etcd", "size_gb": 20, "path": "C:\\Hyper-V\\mlp\\cp01\\cp01-etcd.vhdx",
                                 "controller": 0, "lun": 1, "guest_path": by_path % 1}]
    assert vm["critical"] is False
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
    vm = plan({"gpu01": node("10.20.0.31", node_gpu_devices=gpus)}, defaults=defaults)[0]
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
# The node variables' own rules are the validation's (cluster_rules_nodes and friends):
# the plan is made only after they pass, so their messages are the validation's.

def test_unknown_or_missing_hypervisor():
    refusals = node_refusals({"a": node("10.20.0.11", hv="hv09"), "b": {"node_ip": "10.20.0.12"}})
    assert any(r.startswith("host a: node_hypervisor = 'hv09': is not a host of hyperv_hosts (hv01)") for r in refusals)
    assert any(r.startswith("host b: node_hypervisor = (not set): required variable is not set") for r in refusals)


def test_duplicate_mac_and_address():
    refusals = node_refusals({"a": node("10.20.0.11", node_mac="00:15:5d:14:00:11"),
                              "b": node("10.20.0.11", node_mac="00:15:5d:14:00:11")})
    assert "host b: node_ip = '10.20.0.11': is already the address of host a. Fix: give every host its own address" \
        in refusals
    assert any(r.startswith("host b: node_mac = '00:15:5d:14:00:11': is already the MAC of host a") for r in refusals)


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
    refusals = node_refusals({
        "a": node("10.20.0.11", node_memory_mb=4097, node_vcpus=0),
        "c": node("10.20.0.13", node_disks=[{"name": "os", "size_gb": 0}]),
        "d": node("10.20.0.14", node_gpu_devices=["PCIROOT(0)#PCI(0300)#PCI(0000)"]),
        "e": node("10.20.0.15", node_gpu_devices=["0000:03:00.0"]),
        "f": node("10.20.0.16", node_mac="01:00:5e:00:00:01"),
    }, gpu_nodes=["e"])
    expected = [
        "host a: node_vcpus = 0: must be between 1 and 240 (Hyper-V limit)",
        "host a: node_memory_mb = 4097: Hyper-V needs the memory to be a multiple of 2 MB",
        "host c: node_disks = {name: 'os', size_gb: 0}: size_gb must be an integer between 1 and 65536",
        "host d: node_gpu_devices = ['PCIROOT(0)#PCI(0300)#PCI(0000)']: GPUs are passed through only to hosts of gpu_nodes",
        "host e: node_gpu_devices = '0000:03:00.0': is not a PCI location path",
        "host f: node_mac = '01:00:5e:00:00:01': is a multicast address",
    ]
    for text in expected:
        assert any(r.startswith(text) for r in refusals), (text, refusals)
    # The disk layout is the plan's own rule.
    errors = errors_of({"b": node("10.20.0.12", node_disks=[{"name": "data", "size_gb": 10}, {"name": "os", "size_gb": 60}])})
    assert any("host b: the first disk of node_disks must be the OS disk" in e for e in errors)


def test_one_gpu_goes_to_one_vm_per_host():
    gpu = ["PCIROOT(0)#PCI(0300)#PCI(0000)"]
    refusals = node_refusals({"a": node("10.20.0.11", node_gpu_devices=gpu), "b": node("10.20.0.12", node_gpu_devices=gpu)},
                             gpu_nodes=["a", "b"])
    assert any("this GPU of hv01 is already passed through to a" in r for r in refusals), refusals


def test_address_outside_the_subnet_and_bad_settings():
    assert node_refusals({"a": node("10.30.0.11")})[0].startswith(
        "host a: node_ip = '10.30.0.11': is outside cluster_subnet 10.20.0.0/24")
    errors = errors_of({"a": node("10.20.0.11", hyperv_vm_vlan_id=5000, hyperv_vm_root="relative\\path",
                                  hyperv_vm_os_disk_mode="linked")})
    for text in ("hyperv_vm_vlan_id is 5000", "hyperv_vm_root is 'relative\\\\path'",
                 "hyperv_vm_os_disk_mode is 'linked'; use one of copy, differencing"):
        assert any(text in e for e in errors), (text, errors)


def test_a_vm_name_with_a_quote_is_refused():
    refusals = node_refusals({"web'1": node("10.20.0.11")})
    assert any(r.startswith("host web'1: inventory_hostname = 'web''1': is not a valid RFC 1123 host name")
               for r in refusals), refusals


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


# --- Disks: controller, LUN and the guest's stable path ------------------------

from ansible_collections.mlplatform.installer.plugins.module_utils.vm_plan import (  # noqa: E402
    SEED_DVD_LUN,
    confirmation_errors,
    disk_guest_path,
    folder_cleanup,
    guest_disk_path,
    removal_refusals,
    state_source_errors,
)

BY_PATH = "/dev/disk/by-path/acpi-VMBUS:00-vmbus-f8b3781a1e824818a1c363d806ec15bb-lun-%d"


def test_disks_get_fixed_luns_in_node_disks_order():
    disks = [{"name": "os", "size_gb": 60}, {"name": "etcd", "size_gb": 20}, {"name": "brick1", "size_gb": 500}]
    vm = plan({"a": node("10.20.0.11", node_disks=disks)})[0]
    assert [(d["controller"], d["lun"]) for d in [vm["os_disk"]] + vm["data_disks"]] == [(0, 0), (0, 1), (0, 2)]
    assert [d["guest_path"] for d in vm["data_disks"]] == [BY_PATH % 1, BY_PATH % 2]
    assert disk_guest_path(disks, "brick1", "a") == BY_PATH % 2
    # Never a kernel name: hot-added disks are named in discovery order.
    assert not disk_guest_path(disks, "brick1").startswith("/dev/sd")


def test_guest_path_is_hypervs_controller_id_without_dashes_and_the_lun():
    assert guest_disk_path(0, 1) == BY_PATH % 1
    assert guest_disk_path(1, 0).endswith("vmbus-f8b3781b1e824818a1c363d806ec15bb-lun-0")
    with pytest.raises(ValueError):
        guest_disk_path(0, SEED_DVD_LUN + 1)


def test_disk_guest_path_names_the_host_and_the_fix():
    disks = [{"name": "os", "size_gb": 60}]
    with pytest.raises(ValueError, match="host gl01: node_disks has no disk named 'brick1' \\(it has os\\)"):
        disk_guest_path(disks, "brick1", "gl01")
    with pytest.raises(ValueError, match="is the OS disk"):
        disk_guest_path(disks, "os", "gl01")


def test_too_many_data_disks_for_the_controller():
    disks = [{"name": "os", "size_gb": 60}] + [{"name": "d%d" % i, "size_gb": 1} for i in range(SEED_DVD_LUN)]
    assert any("at most 62" in e for e in errors_of({"a": node("10.20.0.11", node_disks=disks)}))


def test_production_storage_nodes_get_their_brick_disk_from_the_plan(load_inventory):
    """The production example's VM plan, fed to the storage role's variable, per host."""
    inventory = load_inventory(PRODUCTION)
    vms = {vm["name"]: vm for vm in _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS)}
    storage = inventory.groups["gluster_nodes"]
    assert storage == ["gl01", "gl02", "gl03"]
    for name in storage:
        brick = [d for d in vms[name]["data_disks"] if d["name"] == "brick1"]
        assert len(brick) == 1 and brick[0]["size_gb"] == 4096
        device = inventory.hostvars[name]["gluster_server_brick_device"]
        assert device == brick[0]["guest_path"] == BY_PATH % brick[0]["lun"]
        # The rule roles/gluster_server/tasks/preflight.yml applies.
        assert device.startswith("/dev/disk/by-path/")
    # Only storage nodes get one.
    assert "gluster_server_brick_device" not in inventory.hostvars["cp01"]


# --- hyperv_vm_state: absent only from the VM's own entry ----------------------

def test_state_absent_from_the_vms_own_entry_is_accepted():
    assert state_source_errors("wk02", "absent", {"host": "absent", "groups": {}, "hypervisor": {}}) == []


def test_state_absent_from_a_group_a_hyperv_host_or_extra_vars_is_refused():
    errors = state_source_errors("wk02", "absent", {"host": None, "groups": {"kube_node": "absent"}})
    assert errors == ["host wk02: hyperv_vm_state: absent is set for group kube_node (group_vars/kube_node or the "
                      "group's vars in hosts.yml), which would remove every VM under it; removal applies per VM "
                      "only: delete it there and set it in host_vars/wk02.yml or under wk02 in hosts.yml"]
    errors = state_source_errors("wk02", "absent", {"host": None, "groups": {}})
    assert len(errors) == 1 and "not in wk02's own inventory entry" in errors[0] and "extra vars (-e)" in errors[0]
    # A group value is refused even where the VM says present: it is one typo from removing the group.
    assert state_source_errors("wk01", "present", {"host": "present", "groups": {"all": "absent"}})
    assert state_source_errors("wk01", "present", {"hypervisor": {"hv01": "absent"}})


def test_hyperv_host_value_no_longer_removes_its_vms():
    hypervisors = {"hv01": {"address": "10.20.1.11", "hyperv_vm_state": "absent"}}
    errors = errors_of({"a": node("10.20.0.11")}, hypervisors=hypervisors)
    assert any("hyperv_vm_state: absent is set for Hyper-V host hv01" in e for e in errors)


def _inventory_dir(tmp_path, host_vars=None, group_vars=None, inline=""):
    (tmp_path / "hosts.yml").write_text(
        "all:\n  children:\n    hyperv_hosts:\n      hosts:\n        hv01: {ansible_host: 10.20.1.11}\n"
        "    kube_node:\n      hosts:\n"
        "        wk01: {node_ip: 10.20.0.21, node_hypervisor: hv01, node_vcpus: 4, node_memory_mb: 8192,"
        " node_disks: [{name: os, size_gb: 60}]%s}\n"
        "        wk02: {node_ip: 10.20.0.22, node_hypervisor: hv01, node_vcpus: 4, node_memory_mb: 8192,"
        " node_disks: [{name: os, size_gb: 60}]}\n" % inline)
    for kind, entries in (("host_vars", host_vars or {}), ("group_vars", group_vars or {})):
        if entries:
            (tmp_path / kind).mkdir()
        for name, text in entries.items():
            (tmp_path / kind / ("%s.yml" % name)).write_text(text)
    (tmp_path / "group_vars").mkdir(exist_ok=True)
    (tmp_path / "group_vars" / "all.yml").write_text(
        "cluster_subnet: 10.20.0.0/24\ncluster_gateway: 10.20.0.1\ncluster_domain: dc1.example.com\n"
        + (group_vars or {}).get("all", ""))
    return str(tmp_path)


@pytest.mark.parametrize("where, expected", [
    ({"host_vars": {"wk02": "hyperv_vm_state: absent\n"}}, None),
    ({"inline": ", hyperv_vm_state: absent"}, None),
    ({"group_vars": {"kube_node": "hyperv_vm_state: absent\n"}}, "set for group kube_node"),
    ({"group_vars": {"all": "hyperv_vm_state: absent\n"}}, "set for group all"),
    ({"group_vars": {"hyperv_hosts": "hyperv_vm_state: absent\n"}}, "set for group hyperv_hosts"),
    ({"host_vars": {"hv01": "hyperv_vm_state: absent\n"}}, "set for Hyper-V host hv01"),
])
def test_the_plan_traces_absent_to_where_the_inventory_writes_it(load_inventory, tmp_path, where, expected):
    path = _inventory_dir(tmp_path, **where)
    inventory = load_inventory(path)
    if expected is None:
        vms = _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS, inventory.sources)
        states = {vm["name"]: vm["state"] for vm in vms}
        assert states == ({"wk01": "absent", "wk02": "present"} if "inline" in where
                          else {"wk01": "present", "wk02": "absent"})
        return
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match=expected):
        _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS, inventory.sources)


def test_extra_vars_absent_is_refused(load_inventory, tmp_path):
    """-e hyperv_vm_state=absent reaches every host's merged vars, but no entry of the inventory."""
    from ansible.errors import AnsibleFilterError
    inventory = load_inventory(_inventory_dir(tmp_path))
    inventory.variable_manager._extra_vars = {"hyperv_vm_state": "absent"}
    with pytest.raises(AnsibleFilterError, match="comes from extra vars"):
        _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS, inventory.sources)


def test_a_bad_node_ip_is_refused_once_by_the_validations_rule(load_inventory, tmp_path):
    """One rule, one place: the plan reports the validation's node_ip defect, word for word, and no copy of its own."""
    from ansible.errors import AnsibleFilterError
    inventory = load_inventory(_inventory_dir(tmp_path))
    inventory.inventory.get_host("wk01").set_variable("node_ip", "10.20.0.300")
    full = cm.validate(cm.model_from_hostvars(inventory.hostvars, inventory.groups))
    expected = [str(d) for d in full if d.variable == "node_ip"]
    assert expected == ["host wk01: node_ip = '10.20.0.300': is not a valid IPv4 address. Fix: write four numbers "
                        "0-255 separated by dots, without leading zeros or spaces (a free address in "
                        "10.20.0.1-10.20.0.254)"]
    with pytest.raises(AnsibleFilterError) as refused:
        _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS, inventory.sources)
    lines = str(refused.value.message).splitlines()
    assert [line for line in lines if "node_ip" in line] == ["  - " + expected[0]]


def test_a_vm_outside_the_node_groups_is_refused(load_inventory, tmp_path):
    """Its node_* values would reach the plan unjudged: the validation reads only the node groups."""
    from ansible.errors import AnsibleFilterError
    path = _inventory_dir(tmp_path)
    with open(os.path.join(path, "hosts.yml"), "a") as hosts:
        hosts.write("    tools:\n      hosts:\n        bastion: {node_ip: 10.20.0.40, node_hypervisor: hv01}\n")
    inventory = load_inventory(path)
    with pytest.raises(AnsibleFilterError, match="host bastion: node_hypervisor is set but bastion is in none of "
                                                 "the node groups"):
        _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS, inventory.sources)


def test_control_plane_and_etcd_vms_are_critical(load_inventory):
    inventory = load_inventory(PRODUCTION)
    vms = _filters().vm_plan(inventory.hostvars, inventory.groups, DEFAULTS)
    assert sorted(vm["name"] for vm in vms if vm["critical"]) == ["cp01", "cp02", "cp03"]


# --- Confirmation ----------------------------------------------------------------

def _absent(*names):
    return [{"name": n, "state": "absent"} for n in names] + [{"name": "keep", "state": "present"}]


def test_removal_needs_the_exact_list_of_vms():
    assert confirmation_errors(_absent("wk02"), ["wk02"]) == []
    assert confirmation_errors(_absent(), []) == []
    missing = confirmation_errors(_absent("wk02"), [])
    assert missing and 'hyperv_vm_confirm_remove": ["wk02"]' in missing[0]
    assert "planned absent but not confirmed: gl01" in confirmation_errors(_absent("wk02", "gl01"), ["wk02"])[0]
    assert "confirmed but not planned absent: keep" in confirmation_errors(_absent("wk02"), ["wk02", "keep"])[0]
    assert "give a list of VM names" in confirmation_errors(_absent("wk02"), "wk02")[0]
    assert confirmation_errors(_absent(), ["wk02"])


# --- Removal rules against observed state ----------------------------------------

GROUPS = {"kube_control_plane": ["cp01", "cp02", "cp03"], "etcd": ["cp01", "cp02", "cp03"],
          "gluster_nodes": ["gl01", "gl02", "gl03"]}
ADDRESSES = {"gl01": "10.40.8.41", "gl02": "10.40.8.42", "gl03": "10.40.8.43"}


def _pool(bricks_on=("10.40.8.41", "10.40.8.42", "10.40.8.43"), connected=(True, True), pending=0):
    peers = [{"hostname": "localhost", "hostnames": ["localhost"], "connected": True, "local": True},
             {"hostname": "10.40.8.41", "hostnames": ["10.40.8.41"], "connected": connected[0], "local": False},
             {"hostname": "10.40.8.43", "hostnames": ["10.40.8.43"], "connected": connected[1], "local": False}]
    return {"observer": "gl02", "error": "", "peers": peers,
            "volumes": {"gv0": {"bricks": ["%s:/data/glusterfs/gv0/brick" % a for a in bricks_on],
                                "heal_pending": pending, "client_quorum_met": True, "offline_bricks": []}}}


def test_a_worker_may_go():
    assert removal_refusals(["wk02"], GROUPS, ADDRESSES) == []


def test_one_of_three_etcd_members_may_go_two_may_not():
    assert removal_refusals(["cp03"], GROUPS, ADDRESSES) == []
    refused = removal_refusals(["cp02", "cp03"], GROUPS, ADDRESSES)
    assert any(r.startswith("rule etcd-quorum: etcd has 3 members (quorum 2); removing cp02, cp03 leaves 1")
               for r in refused)
    # One member already down: removing another breaks quorum.
    assert removal_refusals(["cp03"], GROUPS, ADDRESSES, etcd_unhealthy=["cp01"])


def test_the_last_control_plane_node_stays():
    groups = dict(GROUPS, kube_control_plane=["cp01"], etcd=["cp01"])
    refused = removal_refusals(["cp01"], groups, ADDRESSES)
    assert any(r.startswith("rule last-control-plane") for r in refused)
    assert any(r.startswith("rule etcd-quorum") for r in refused)


def test_a_storage_node_holding_a_brick_is_refused_with_its_heal_state():
    refused = removal_refusals(["gl01"], GROUPS, ADDRESSES, _pool(pending=7))
    assert refused == [
        "rule gluster-data: gl01 holds brick 10.40.8.41:/data/glusterfs/gv0/brick of volume gv0 (seen from gl02: "
        "7 entries pending heal, client quorum met): its data would go with the VM. Move the brick first (gluster "
        "volume replace-brick or remove-brick), wait for the heal, then remove the VM"]


def test_a_storage_node_is_not_removed_blind():
    assert removal_refusals(["gl01"], GROUPS, ADDRESSES, None)[0].startswith("rule gluster-data: gl01 is a storage")
    failed = dict(_pool(), error="`gluster pool list` failed")
    assert "`gluster pool list` failed" in removal_refusals(["gl01"], GROUPS, ADDRESSES, failed)[0]


def test_a_drained_storage_peer_may_go_unless_server_quorum_would_be_lost():
    drained = _pool(bricks_on=("10.40.8.42", "10.40.8.43"))
    assert removal_refusals(["gl01"], GROUPS, ADDRESSES, drained) == []
    one_down = _pool(bricks_on=("10.40.8.42", "10.40.8.43"), connected=(True, False))
    assert removal_refusals(["gl01"], GROUPS, ADDRESSES, one_down)[0].startswith("rule gluster-quorum")


# --- absent.ps1's folder rule ------------------------------------------------------

def test_folder_keeps_every_disk_but_the_os_disk_and_is_never_removed_with_them():
    folder = "D:\\Hyper-V\\mlp\\gl01"
    files = [folder + "\\gl01-os.vhdx", folder + "\\cidata-0123456789ab.iso", folder + "\\gl01-brick1.vhdx"]
    delete, keep, remove_folder = folder_cleanup(files, folder + "\\GL01-OS.vhdx")
    assert delete == files[:2] and keep == [files[2]] and remove_folder is False
    delete, keep, remove_folder = folder_cleanup(files[:2], folder + "\\gl01-os.vhdx")
    assert keep == [] and remove_folder is True
