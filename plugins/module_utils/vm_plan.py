# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the per-VM Hyper-V plan from the cluster description (pure functions).

The plan is what `playbooks/provision.yml` creates: one entry per inventory
host that has `node_hypervisor`, with everything the Hyper-V scripts and the
first-boot seed need (CPU, memory, disks, switch, VLAN, MAC, address, GPUs).
It is computed on the controller before any host is contacted, printed, and
written next to the inventory, so a person can review it.

Settings named `hyperv_vm_*` resolve per VM in this order: the node's own
host var, then the Hyper-V host's var, then the role default.

The node variables a plan reads (node_ip, node_vcpus, node_memory_mb,
node_disks, node_gpu_devices, node_mac, node_hypervisor) and cluster_subnet,
cluster_gateway and cluster_domain have already passed the inventory
validation's rules (cluster_model.node_defects, run by the vm_plan filter), so
this module holds no rule of its own on them: only the plan's own rules (the
disk layout, hyperv_vm_* settings, where a removal is written, MACs derived
or inside a host's dynamic pool).

No Ansible imports here: plain pytest covers these functions
(tests/unit/test_vm_plan.py).
"""

from __future__ import annotations

import ipaddress
import ntpath
import re

# The MAC format the validation accepts, written once (cluster_formats).
from .cluster_formats import MAC_RE

# Hyper-V's OUI. Hyper-V hands out *dynamic* MACs from a per-host pool
# 00:15:5D:XX:YY:00-FF, where XX:YY are the last two octets of the host's
# management IPv4 address. Derived static MACs put 0xFE in the fourth byte and
# the node's last two IPv4 octets after it: stable for the life of the address
# (so a re-created VM keeps its MAC and its netplan match), unique within a
# /16, and outside every host's dynamic pool unless a host address has 254 as
# its third octet, which build_plan checks.
HYPERV_OUI = "00:15:5d"
DERIVED_MAC_MARKER = 0xFE

GENERATION = 2
OS_DISK_NAME = "os"

# Where each disk sits, so the guest finds it by a stable path (disks are
# hot-added; /dev/sdX follows discovery order). Every disk is on the SCSI
# controller New-VM gives a generation 2 VM (number 0): the OS disk at
# location (LUN) 0, data disks at 1, 2, ... in node_disks order, and the seed
# DVD at the last location, so a data disk added later never finds its
# location taken (disks.ps1, seed.ps1).
SCSI_CONTROLLER = 0
OS_DISK_LUN = 0
SEED_DVD_LUN = 63
MAX_DATA_DISKS = SEED_DVD_LUN - 1

# The guest's name for a disk. Hyper-V offers the synthetic SCSI controller N
# of a VM on VMBus with the instance id f8b3781a-1e82-4818-a1c3-63d806ec15bb
# for N = 0 (..1b for 1, up to ..1d for 3); Azure's own udev rules (WALinuxAgent,
# 66-azure-storage.rules) match these as the "well-known SCSI controllers".
# systemd's path_id builtin names a disk on it
# acpi-VMBUS:00-vmbus-<instance id without dashes>-lun-<LUN> on a generation 2
# VM (the VMBus device is ACPI's VMBUS:00 there), the form Azure's generation 2
# Ubuntu images show under /dev/disk/by-path. The storage role checks on the
# node that the path is a block device before it touches it.
_SCSI_INSTANCE_IDS = ("f8b3781a", "f8b3781b", "f8b3781c", "f8b3781d")
_SCSI_INSTANCE_TAIL = "1e82-4818-a1c3-63d806ec15bb"
GUEST_DISK_DIR = "/dev/disk/by-path"

SETTING_KEYS = (
    "state",
    "root",
    "switch_name",
    "vlan_id",
    "os_disk_mode",
    "dynamic_memory",
    "dynamic_memory_minimum_mb",
    "secure_boot_template",
    "automatic_start_action",
    "automatic_start_delay",
    "automatic_stop_action",
    "gpu_low_mmio_mb",
    "gpu_high_mmio_mb_per_gpu",
)

CHOICES = {
    "state": ("present", "absent"),
    "os_disk_mode": ("copy", "differencing"),
    "automatic_start_action": ("Nothing", "StartIfRunning", "Start"),
    "automatic_stop_action": ("TurnOff", "Save", "ShutDown"),
}


class PlanError(ValueError):
    """The cluster description cannot be planned; .errors lists every defect."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def normalize_mac(value):
    """Return a MAC as lowercase aa:bb:cc:dd:ee:ff, or None if malformed."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if not MAC_RE.match(text):
        return None
    digits = re.sub(r"[:-]", "", text)
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def derive_mac(ip):
    """Static MAC in Hyper-V's OUI derived from an IPv4 address.

    >>> derive_mac("10.40.8.11")
    '00:15:5d:fe:08:0b'
    """
    octets = ipaddress.IPv4Address(ip).packed
    return "%s:%02x:%02x:%02x" % (HYPERV_OUI, DERIVED_MAC_MARKER, octets[2], octets[3])


def hyperv_mac(mac):
    """The form Hyper-V's -StaticMacAddress takes: 12 uppercase hex digits."""
    return mac.replace(":", "").upper()


def dynamic_pool(host_ip):
    """Hyper-V's default dynamic MAC pool of a host: (first, last) MAC."""
    octets = ipaddress.IPv4Address(host_ip).packed
    base = "%s:%02x:%02x" % (HYPERV_OUI, octets[2], octets[3])
    return base + ":00", base + ":ff"


def guest_disk_path(controller, lun):
    """The /dev/disk/by-path name an Ubuntu guest gives the disk at (controller, lun).

    >>> guest_disk_path(0, 1)
    '/dev/disk/by-path/acpi-VMBUS:00-vmbus-f8b3781a1e824818a1c363d806ec15bb-lun-1'
    """
    if not 0 <= controller < len(_SCSI_INSTANCE_IDS) or not 0 <= lun <= SEED_DVD_LUN:
        raise ValueError("no SCSI controller %r / location %r on a generation 2 VM" % (controller, lun))
    instance = (_SCSI_INSTANCE_IDS[controller] + _SCSI_INSTANCE_TAIL).replace("-", "")
    return "%s/acpi-VMBUS:00-vmbus-%s-lun-%d" % (GUEST_DISK_DIR, instance, lun)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _ipv4(value):
    try:
        return ipaddress.IPv4Address(value)
    except (ipaddress.AddressValueError, ValueError, TypeError):
        return None


def _setting(key, node_vars, hv_vars, defaults):
    name = "hyperv_vm_" + key
    for source in (node_vars, hv_vars, defaults):
        if name in source:
            return source[name]
    raise KeyError("no default for %s" % name)


def _check_settings(vm_name, settings, errors):
    where = "host %s" % vm_name
    for key, allowed in CHOICES.items():
        if settings[key] not in allowed:
            errors.append("%s: hyperv_vm_%s is %r; use one of %s"
                          % (where, key, settings[key], ", ".join(allowed)))
    vlan = settings["vlan_id"]
    if not _is_int(vlan) or not 0 <= vlan <= 4094:
        errors.append("%s: hyperv_vm_vlan_id is %r; use 0 (untagged) or a VLAN "
                      "id 1-4094" % (where, vlan))
    if not isinstance(settings["switch_name"], str):
        errors.append("%s: hyperv_vm_switch_name must be a string (\"\" picks the "
                      "host's only external switch)" % where)
    if not isinstance(settings["root"], str) or not ntpath.isabs(settings["root"]):
        errors.append("%s: hyperv_vm_root is %r; use an absolute Windows path such "
                      "as D:\\Hyper-V\\mlp" % (where, settings["root"]))
    for key in ("automatic_start_delay", "gpu_low_mmio_mb", "gpu_high_mmio_mb_per_gpu",
                "dynamic_memory_minimum_mb"):
        if not _is_int(settings[key]) or settings[key] < 0:
            errors.append("%s: hyperv_vm_%s is %r; use a whole number >= 0"
                          % (where, key, settings[key]))
    if not isinstance(settings["dynamic_memory"], bool):
        errors.append("%s: hyperv_vm_dynamic_memory is %r; use true or false"
                      % (where, settings["dynamic_memory"]))


def _plan_disks(name, disks, vm_path, errors):
    if not isinstance(disks, list) or not disks:
        errors.append("host %s: node_disks must list the VM's disks, the OS disk first: "
                      "[{name: os, size_gb: 100}, ...]" % name)
        return None, []
    planned = []
    for index, disk in enumerate(disks):
        if not isinstance(disk, dict) or set(disk) != {"name", "size_gb"}:
            errors.append("host %s: node_disks[%d] is %r; each disk is {name, size_gb}"
                          % (name, index, disk))
            continue
        # Names and sizes are the validation's rules (cluster_rules_nodes); the shape
        # is checked here too because vm_disk_path reads node_disks on its own.
        disk_name, size = disk["name"], disk["size_gb"]
        lun = OS_DISK_LUN + len(planned)
        planned.append({
            "name": disk_name,
            "size_gb": size,
            "path": ntpath.join(vm_path, "%s-%s.vhdx" % (name, disk_name)),
            "controller": SCSI_CONTROLLER,
            "lun": lun,
            "guest_path": guest_disk_path(SCSI_CONTROLLER, lun) if lun <= MAX_DATA_DISKS else "",
        })
    if planned and planned[0]["name"] != OS_DISK_NAME:
        errors.append("host %s: the first disk of node_disks must be the OS disk, named "
                      "%r (it is made from the golden image); found %r"
                      % (name, OS_DISK_NAME, planned[0]["name"]))
        return None, []
    if not planned:
        return None, []
    if len(planned) - 1 > MAX_DATA_DISKS:
        errors.append("host %s: node_disks has %d data disks; a VM takes at most %d on its SCSI "
                      "controller (location %d holds the seed DVD)"
                      % (name, len(planned) - 1, MAX_DATA_DISKS, SEED_DVD_LUN))
        return None, []
    return planned[0], planned[1:]


def disk_guest_path(node_disks, disk_name, host="this host"):
    """The stable guest path of the disk named `disk_name` in a node's node_disks.

    The same planning as build_plan (same controller and LUN), so the storage
    layer and the VM layer cannot disagree. Raises ValueError naming the host,
    the variable and the fix.
    """
    errors = []
    os_disk, data_disks = _plan_disks(host, node_disks, "", errors)
    if errors:
        raise ValueError("; ".join(errors))
    for disk in [os_disk] + data_disks:
        if disk["name"] == disk_name:
            if disk_name == OS_DISK_NAME:
                raise ValueError("host %s: %r is the OS disk; bricks need a data disk of their own"
                                 % (host, disk_name))
            return disk["guest_path"]
    raise ValueError("host %s: node_disks has no disk named %r (it has %s); add {name: %s, size_gb: ...} "
                     "to node_disks or name the brick disk with gluster_server_brick_disk"
                     % (host, disk_name, ", ".join(d["name"] for d in [os_disk] + data_disks), disk_name))


def state_source_errors(name, effective, sources):
    """Where hyperv_vm_state: absent may come from: the VM's own inventory entry only.

    sources: {"host": the value in the VM's own entry (its hosts.yml entry or
    host_vars/<vm>), or None; "groups": {group: value} for every group of the
    VM and of its Hyper-V host that sets it; "hypervisor": {host: value} for
    the Hyper-V host's own entry}. A group or Hyper-V host value of absent
    would remove every VM under it at once, so it is refused even where a VM
    overrides it; an effective absent that the VM's own entry does not say
    came from extra vars (-e) or play vars, which reach every VM.
    """
    errors = []
    for kind, files, where in (("group", "group_vars/%s or the group's vars in hosts.yml", sources.get("groups") or {}),
                               ("Hyper-V host", "host_vars/%s or its entry in hosts.yml", sources.get("hypervisor") or {})):
        for owner in sorted(where):
            if where[owner] == "absent":
                errors.append("host %s: hyperv_vm_state: absent is set for %s %s (%s), which would remove "
                              "every VM under it; removal applies per VM only: delete it there and set it in "
                              "host_vars/%s.yml or under %s in hosts.yml"
                              % (name, kind, owner, files % owner, name, name))
    if not errors and effective == "absent" and sources.get("host") != "absent":
        errors.append("host %s: hyperv_vm_state is absent, but not in %s's own inventory entry: it comes "
                      "from extra vars (-e) or play vars, which reach every VM. Removal applies per VM only: "
                      "set hyperv_vm_state: absent in host_vars/%s.yml or under %s in hosts.yml"
                      % (name, name, name, name))
    return errors


def build_plan(nodes, hypervisors, cluster, defaults, state_sources=None, critical_nodes=()):
    """Plan every VM of the cluster description.

    nodes:       {inventory name: {node_* and hyperv_vm_* host vars}}, every
                 node of the description (hosts without node_hypervisor are
                 skipped: no Hyper-V host exists). Their node_* values have
                 passed cluster_model.node_defects.
    hypervisors: {inventory name: {"address": ansible_host or name,
                 hyperv_vm_* host vars}}.
    cluster:     {"subnet", "gateway", "domain"} from group_vars/all, validated
                 with the nodes.
    defaults:    {"hyperv_vm_<setting>": value} for every SETTING_KEYS entry.
    state_sources: {vm name: where hyperv_vm_state is set, see
                 state_source_errors}; None skips that check (no inventory).
    critical_nodes: control-plane and etcd members: their VMs are stopped
                 one batch at a time (`critical` in the plan).

    hyperv_vm_state resolves from the node's own vars or the default, never
    from the Hyper-V host: removal is per VM.

    Returns the list of planned VMs sorted by (hypervisor, name); raises
    PlanError naming every defect (host, variable, fix) at once.
    """
    errors = []
    subnet = ipaddress.IPv4Network(cluster["subnet"])
    plan = []
    macs = {}
    for name in sorted(nodes):
        node = nodes[name]
        hv_name = node.get("node_hypervisor")
        if not hv_name:
            continue
        hv = hypervisors[hv_name]
        settings = {key: _setting(key, node, hv, defaults) for key in SETTING_KEYS if key != "state"}
        settings["state"] = _setting("state", node, {}, defaults)
        _check_settings(name, settings, errors)
        if state_sources is not None:
            errors.extend(state_source_errors(name, settings["state"], state_sources.get(name) or {}))
        elif hv.get("hyperv_vm_state") == "absent":
            errors.extend(state_source_errors(name, settings["state"], {"hypervisor": {hv_name: "absent"}}))

        ip = ipaddress.IPv4Address(node["node_ip"])
        vcpus = node["node_vcpus"]
        memory = node["node_memory_mb"]
        gpus = list(node.get("node_gpu_devices") or [])

        if node.get("node_mac") not in (None, ""):
            mac = normalize_mac(node["node_mac"])
            mac_source = "node_mac"
        else:
            mac = derive_mac(str(ip))
            mac_source = ("derived from node_ip (00:15:5d:fe + its last two octets), so "
                          "it survives re-creation and stays out of Hyper-V's dynamic pools")
        # Derived MACs repeat beyond a /16; two equal node_mac are the validation's.
        if mac in macs:
            errors.append("host %s: MAC %s is also %s's; set a distinct node_mac on one "
                          "of them" % (name, mac, macs[mac]))
        macs.setdefault(mac, name)
        for other_hv, other in sorted(hypervisors.items()):
            if _ipv4(other.get("address")) is None:
                continue
            low, high = dynamic_pool(other["address"])
            if low <= mac <= high:
                errors.append("host %s: MAC %s lies in the dynamic MAC pool of Hyper-V host "
                              "%s (%s-%s), which may hand it to another VM; set node_mac "
                              "outside it" % (name, mac, other_hv, low, high))

        vm_path = ntpath.join(settings["root"], name) if isinstance(settings["root"], str) else ""
        os_disk, data_disks = _plan_disks(name, node.get("node_disks"), vm_path, errors)
        if os_disk is None:
            continue
        os_disk["mode"] = settings["os_disk_mode"]

        # Device assignment pins guest memory: Hyper-V refuses DDA with dynamic memory.
        dynamic = bool(settings["dynamic_memory"]) and not gpus
        stop_action = "TurnOff" if gpus else settings["automatic_stop_action"]
        plan.append({
            "name": name,
            "hypervisor": hv_name,
            "state": settings["state"],
            "critical": name in critical_nodes,
            "generation": GENERATION,
            "root": settings["root"],
            "path": vm_path,
            "vcpus": vcpus,
            "memory_mb": memory,
            "dynamic_memory": dynamic,
            "dynamic_memory_minimum_mb": settings["dynamic_memory_minimum_mb"] if dynamic else memory,
            "os_disk": os_disk,
            "data_disks": data_disks,
            "switch_name": settings["switch_name"],
            "vlan_id": settings["vlan_id"],
            "mac": mac,
            "mac_source": mac_source,
            "ip": str(ip),
            "prefix": subnet.prefixlen,
            "fqdn": "%s.%s" % (name, cluster["domain"]),
            "gpus": list(gpus),
            "gpu_low_mmio_mb": settings["gpu_low_mmio_mb"] if gpus else 0,
            "gpu_high_mmio_mb": settings["gpu_high_mmio_mb_per_gpu"] * len(gpus) if gpus else 0,
            "secure_boot_template": settings["secure_boot_template"],
            "automatic_start_action": settings["automatic_start_action"],
            "automatic_start_delay": settings["automatic_start_delay"],
            "automatic_stop_action": stop_action,
        })

    if errors:
        raise PlanError(errors)
    return sorted(plan, key=lambda vm: (vm["hypervisor"], vm["name"]))


def format_plan(plan):
    """One human-readable line per VM, for the play's output."""
    lines = []
    for vm in plan:
        disks = ", ".join("%s %d GB" % (d["name"], d["size_gb"])
                          for d in [vm["os_disk"]] + vm["data_disks"])
        memory = "%d MB %s" % (vm["memory_mb"], "dynamic" if vm["dynamic_memory"] else "static")
        net = "switch %s vlan %s" % (vm["switch_name"] or "(host's external)",
                                     vm["vlan_id"] or "untagged")
        lines.append("%s %s: %s | %d vCPU | %s | disks %s | %s | MAC %s (%s) | %s/%d | GPUs %s"
                     % (vm["hypervisor"], vm["name"], vm["state"], vm["vcpus"], memory, disks,
                        net, vm["mac"], "node_mac" if vm["mac_source"] == "node_mac" else "derived",
                        vm["ip"], vm["prefix"], ", ".join(vm["gpus"]) or "none"))
    return lines


# --------------------------------------------------------------------------
# Removal (hyperv_vm_state: absent): confirmation and the rules that refuse it
# --------------------------------------------------------------------------

def confirmation_errors(plan, confirm):
    """Removal needs hyperv_vm_confirm_remove to list exactly the VMs planned absent."""
    absent = sorted(vm["name"] for vm in plan if vm["state"] == "absent")
    example = "-e '{\"hyperv_vm_confirm_remove\": [%s]}'" % ", ".join('"%s"' % n for n in absent)
    if confirm in (None, "", []):
        if not absent:
            return []
        return ["hyperv_vm_confirm_remove is not set, and the plan removes %s (each VM and its OS disk; data disks stay). Review "
                "reports/vm-plan.yml, then confirm exactly these VMs: %s" % (", ".join(absent), example)]
    if not isinstance(confirm, (list, tuple)) or not all(isinstance(n, str) for n in confirm):
        return ["hyperv_vm_confirm_remove is %r; give a list of VM names, e.g. %s" % (confirm, example)]
    missing = sorted(set(absent) - set(confirm))
    extra = sorted(set(confirm) - set(absent))
    if not missing and not extra:
        return []
    parts = []
    if missing:
        parts.append("planned absent but not confirmed: %s" % ", ".join(missing))
    if extra:
        parts.append("confirmed but not planned absent: %s" % ", ".join(extra))
    return ["hyperv_vm_confirm_remove must list exactly the VMs planned absent (%s): %s. Nothing was "
            "changed. Use %s" % (", ".join(absent) or "none", "; ".join(parts),
                                 example if absent else "no hyperv_vm_confirm_remove")]


def _peer_names(peer):
    return set(peer.get("hostnames") or []) | {peer.get("hostname")}


def removal_refusals(removing, groups, addresses, gluster=None, etcd_unhealthy=()):
    """The rules a removal must pass, against observed state; one sentence per refusal.

    removing:  names of the VMs planned absent.
    groups:    inventory groups (kube_control_plane, etcd, gluster_nodes).
    addresses: {storage node: its pool address} (gluster_server_address, else node_ip).
    gluster:   what a storage node that stays saw of the pool: {"observer",
               "error", "peers": gluster pool list entries, "volumes": {name:
               {"bricks": [HOST:/path], "heal_pending", "client_quorum_met",
               "offline_bricks"}}}; None when it was not read.
    etcd_unhealthy: etcd members known to be down now.
    """
    removing = set(removing)
    refusals = []
    control_plane = list(groups.get("kube_control_plane") or [])
    if control_plane and set(control_plane) <= removing:
        refusals.append("rule last-control-plane: removing %s leaves kube_control_plane without a node: "
                        "the Kubernetes API and every cluster's state would go. Keep at least one "
                        "control-plane VM" % ", ".join(sorted(control_plane)))

    members = list(groups.get("etcd") or [])
    gone = sorted(set(members) & removing)
    if gone:
        quorum = len(members) // 2 + 1
        healthy = [m for m in members if m not in removing and m not in set(etcd_unhealthy)]
        if len(healthy) < quorum:
            refusals.append(
                "rule etcd-quorum: etcd has %d members (quorum %d); removing %s leaves %d healthy (%s). "
                "Removing a VM does not remove its etcd member, so the cluster still counts it: remove "
                "members one at a time (etcdctl member remove, then take the host out of the etcd group)"
                % (len(members), quorum, ", ".join(gone), len(healthy), ", ".join(healthy) or "none"))

    for name in sorted(set(groups.get("gluster_nodes") or []) & removing):
        if not gluster or gluster.get("error"):
            refusals.append("rule gluster-data: %s is a storage node and the pool could not be read from a "
                            "storage node that stays (%s); a VM whose bricks may hold data is not removed "
                            "blind" % (name, (gluster or {}).get("error") or "no remaining peer observed it"))
            continue
        address = addresses.get(name)
        held = []
        for volume in sorted(gluster.get("volumes") or {}):
            state = gluster["volumes"][volume]
            for brick in state.get("bricks") or []:
                if brick.partition(":")[0] in (address, name):
                    held.append((volume, brick, state))
        for volume, brick, state in held:
            refusals.append(
                "rule gluster-data: %s holds brick %s of volume %s (seen from %s: %s entries pending heal, "
                "client quorum %s): its data would go with the VM. Move the brick first (gluster volume "
                "replace-brick or remove-brick), wait for the heal, then remove the VM"
                % (name, brick, volume, gluster.get("observer"), state.get("heal_pending", "unknown"),
                   "met" if state.get("client_quorum_met") else "NOT met"))
        if held:
            continue
        peers = gluster.get("peers") or []
        if any(address in _peer_names(p) or name in _peer_names(p) for p in peers):
            leaving = {addresses.get(n) for n in removing} | removing
            connected = [p for p in peers if (p.get("local") or p.get("connected"))
                         and not _peer_names(p) & leaving]
            if len(connected) * 2 <= len(peers):
                refusals.append(
                    "rule gluster-quorum: %s is a peer of the pool; without it %d of %d peers stay "
                    "connected, which loses server quorum (more than half): glusterd would stop every "
                    "brick. Bring the other peers back first" % (name, len(connected), len(peers)))
    return refusals


def folder_cleanup(files, os_disk_path, seed_pattern="cidata-*.iso"):
    """What absent.ps1 may delete in a removed VM's folder, after Remove-VM.

    files: paths of every file left under the folder. Deletes the OS disk and
    the seed ISOs one by one; keeps every other disk (a data disk holds data
    the plan cannot vouch for) and anything unknown; the folder goes only
    when nothing is kept, and never recursively. Returns (delete, keep,
    remove_folder).
    """
    prefix, _sep, suffix = seed_pattern.partition("*")
    delete, keep = [], []
    for path in files:
        base = ntpath.basename(path)
        if path.lower() == os_disk_path.lower():
            delete.append(path)
        elif base.lower().startswith(prefix.lower()) and base.lower().endswith(suffix.lower()):
            delete.append(path)
        else:
            # Data disks (and anything this installer did not write) stay.
            keep.append(path)
    return delete, keep, not keep
