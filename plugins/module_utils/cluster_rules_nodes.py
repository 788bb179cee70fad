# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on each node (VM): address, Hyper-V host, size, disks, GPUs, MAC.

Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .cluster_formats import DISK_NAME_RE, LOCATION_PATH_RE, MAC_RE, closest, usable_range
from .cluster_values import MISSING, show, type_name
from .cluster_vars import (
    GROUP_CONTROL_PLANE,
    GROUP_GPU,
    GROUP_HYPERV,
    GROUP_WORKERS,
    HYPERV_MAX_DISK_GB,
    HYPERV_MAX_MEMORY_MB,
    HYPERV_MAX_VCPUS,
    KUBEADM_CP_MIN_MEMORY_MB,
    KUBEADM_CP_MIN_VCPUS,
    MIN_MEMORY_MB,
)


class NodeRules:
    """node_* variables, per node, and GPUs passed through once per Hyper-V host."""

    def _check_node(self, host: str) -> None:
        where = "host %s" % host
        values = self.hostvars.get(host, {})
        groups = self.host_groups.get(host, [])
        # Address
        text = self.var(where, values, "node_ip")
        if text is not MISSING:
            free = "a free address in %s" % usable_range(self.subnet) if self.subnet is not None else "e.g. 10.40.8.21"
            address = self._ipv4(where, "node_ip", text, free)
            if address is not None:
                if self.subnet is not None:
                    if address not in self.subnet:
                        self.add(where, "node_ip", text, "is outside cluster_subnet %s" % self.subnet,
                                 "use a free address in %s, or correct cluster_subnet" % usable_range(self.subnet))
                        address = None
                    elif address in (self.subnet.network, self.subnet.broadcast):
                        self.add(where, "node_ip", text, "is the %s address of cluster_subnet %s" % (
                            "network" if address == self.subnet.network else "broadcast", self.subnet),
                            "use a free address in %s" % usable_range(self.subnet))
                        address = None
                    elif self.gateway is not None and address == self.gateway:
                        self.add(where, "node_ip", text, "is the gateway address (cluster_gateway)",
                                 "use a free address in %s other than the gateway" % usable_range(self.subnet))
                        address = None
                if address is not None:
                    self.node_ips[host] = address
        # The Hyper-V host that runs the VM
        on_hyperv = bool(self.hyperv)
        hypervisor = self.var(where, values, "node_hypervisor", required=on_hyperv,
                              hint="set node_hypervisor to the %s host that runs %s" % (GROUP_HYPERV, host))
        if hypervisor is not MISSING:
            if not isinstance(hypervisor, str):
                self.add(where, "node_hypervisor", hypervisor, "must be a host name, got %s" % type_name(hypervisor),
                         "write the name of a host of %s" % GROUP_HYPERV)
            elif not self.hyperv:
                self.add(where, "node_hypervisor", hypervisor, "names a Hyper-V host but the %s group is empty" % GROUP_HYPERV,
                         "add %s to %s, or remove node_hypervisor" % (hypervisor, GROUP_HYPERV))
            elif hypervisor not in self.hyperv:
                twin = closest(hypervisor, self.hyperv, 0.8)
                self.add(where, "node_hypervisor", hypervisor, "is not a host of %s (%s)" % (GROUP_HYPERV, ", ".join(self.hyperv)),
                         "write %s" % twin if twin else "write one of %s" % ", ".join(self.hyperv))
        # Size of the VM: required when the installer creates it on Hyper-V
        control = GROUP_CONTROL_PLANE in groups
        vcpus = self.var(where, values, "node_vcpus", required=on_hyperv)
        if vcpus is not MISSING and self.expect(where, "node_vcpus", vcpus, int, "an integer (the number of virtual CPUs)"):
            if not 1 <= vcpus <= HYPERV_MAX_VCPUS:
                self.add(where, "node_vcpus", vcpus, "must be between 1 and %d (Hyper-V limit)" % HYPERV_MAX_VCPUS,
                         "write the number of virtual CPUs")
            elif control and vcpus < KUBEADM_CP_MIN_VCPUS:
                self.add(where, "node_vcpus", vcpus, "kubeadm needs at least 2 CPUs on a control-plane node",
                         "give the control-plane VM at least 2 virtual CPUs")
        memory = self.var(where, values, "node_memory_mb", required=on_hyperv)
        if memory is not MISSING and self.expect(where, "node_memory_mb", memory, int, "an integer (MB)"):
            if not MIN_MEMORY_MB <= memory <= HYPERV_MAX_MEMORY_MB:
                self.add(where, "node_memory_mb", memory,
                         "must be between %d and %d MB" % (MIN_MEMORY_MB, HYPERV_MAX_MEMORY_MB),
                         "write the memory in MB, e.g. 16384 for 16 GB")
            elif memory % 2:
                self.add(where, "node_memory_mb", memory, "Hyper-V needs the memory to be a multiple of 2 MB",
                         "write %d" % (memory + 1))
            elif control and memory < KUBEADM_CP_MIN_MEMORY_MB:
                self.add(where, "node_memory_mb", memory, "kubeadm needs about 2 GB on a control-plane node",
                         "give the control-plane VM at least %d MB" % KUBEADM_CP_MIN_MEMORY_MB)
        disks = self.var(where, values, "node_disks", required=on_hyperv)
        if disks is not MISSING:
            self._check_disks(where, disks)
        devices = self.var(where, values, "node_gpu_devices", required=on_hyperv and GROUP_GPU in groups,
                           hint="list the PCI location paths of the GPUs to pass through to %s" % host)
        if devices is not MISSING:
            self._check_gpu_devices(host, where, devices, GROUP_GPU in groups)
        mac = self.var(where, values, "node_mac", required=False)
        if mac is not MISSING:
            self._check_mac(where, mac)

    def _check_disks(self, where: str, disks: Any) -> None:
        example = "[{name: os, size_gb: 100}]"
        if not isinstance(disks, (list, tuple)) or not disks:
            self.add(where, "node_disks", disks, "must be a non-empty list of {name, size_gb}", "write e.g. %s" % example)
            return
        names = set()
        for disk in disks:
            if not isinstance(disk, Mapping):
                self.add(where, "node_disks", disk, "every disk must be a mapping {name, size_gb}, got %s" % type_name(disk),
                         "write e.g. %s" % example)
                continue
            unknown = sorted(str(k) for k in disk if k not in ("name", "size_gb"))
            if unknown:
                self.add(where, "node_disks", dict(disk), "unknown key %s in a disk" % ", ".join(unknown),
                         "a disk has exactly the keys name and size_gb")
            name = disk.get("name", MISSING)
            if not isinstance(name, str) or not DISK_NAME_RE.match(name):
                self.add(where, "node_disks", dict(disk), "disk name %s is not a short lowercase name" % show(name),
                         "name the disk with a-z, 0-9, '-' or '_', e.g. os or data")
            elif name in names:
                self.add(where, "node_disks", dict(disk), "disk name %s is used twice" % show(name), "give every disk of a VM its own name")
            else:
                names.add(name)
            size = disk.get("size_gb", MISSING)
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= HYPERV_MAX_DISK_GB:
                self.add(where, "node_disks", dict(disk),
                         "size_gb must be an integer between 1 and %d (GB), got %s" % (HYPERV_MAX_DISK_GB, show(size)),
                         "write the disk size in GB, e.g. size_gb: 100")

    def _check_gpu_devices(self, host: str, where: str, devices: Any, is_gpu_node: bool) -> None:
        if not isinstance(devices, (list, tuple)):
            self.add(where, "node_gpu_devices", devices, "must be a list of PCI location paths, got %s" % type_name(devices),
                     "write e.g. ['PCIROOT(0)#PCI(0300)#PCI(0000)']")
            return
        if not is_gpu_node:
            if devices:
                self.add(where, "node_gpu_devices", devices, "GPUs are passed through only to hosts of %s" % GROUP_GPU,
                         "add %s to %s (and %s), or remove node_gpu_devices" % (host, GROUP_GPU, GROUP_WORKERS))
            return
        if not devices and self.hyperv:
            self.add(where, "node_gpu_devices", devices, "a GPU node needs at least one GPU to pass through",
                     "list the GPUs' PCI location paths (Get-PnpDeviceProperty -KeyName DEVPKEY_Device_LocationPaths on the Hyper-V host)")
        seen = set()
        for device in devices:
            if not isinstance(device, str) or not LOCATION_PATH_RE.match(device.upper()):
                self.add(where, "node_gpu_devices", device, "is not a PCI location path",
                         "write the PCIROOT form Hyper-V prints, e.g. PCIROOT(0)#PCI(0300)#PCI(0000)")
            elif device.upper() in seen:
                self.add(where, "node_gpu_devices", device, "is listed twice", "list each GPU once")
            else:
                seen.add(device.upper())

    def _check_mac(self, where: str, mac: Any) -> None:
        if isinstance(mac, int) and not isinstance(mac, bool):
            self.add(where, "node_mac", mac, "YAML read the unquoted MAC address as a base-60 number",
                     "quote the MAC address, e.g. node_mac: \"52:54:00:12:34:56\"")
            return
        if not isinstance(mac, str) or not MAC_RE.match(mac):
            self.add(where, "node_mac", mac, "is not a MAC address", "write six hex pairs, e.g. 00:15:5d:28:08:11, or remove node_mac")
            return
        first = int(mac[:2], 16)
        if first & 1:
            self.add(where, "node_mac", mac, "is a multicast address; a NIC needs a unicast one",
                     "use an address from Hyper-V's range 00:15:5d:xx:xx:xx")
        elif re.sub(r"[:-]", "", mac) == "000000000000":
            self.add(where, "node_mac", mac, "is all zeros", "use an address from Hyper-V's range 00:15:5d:xx:xx:xx")

    def _check_gpu_assignment(self) -> None:
        """The same GPU of one Hyper-V host cannot be passed to two VMs."""
        used: dict = {}
        for host in self.nodes:
            values = self.hostvars.get(host, {})
            hypervisor = values.get("node_hypervisor")
            devices = values.get("node_gpu_devices")
            if not isinstance(hypervisor, str) or not isinstance(devices, (list, tuple)):
                continue
            for device in dict.fromkeys(d.upper() for d in devices if isinstance(d, str)):
                if not LOCATION_PATH_RE.match(device):
                    continue
                other = used.get((hypervisor, device))
                if other:
                    self.add("host %s" % host, "node_gpu_devices", device,
                             "this GPU of %s is already passed through to %s" % (hypervisor, other),
                             "pass each GPU to one VM only: check the location path, or node_hypervisor")
                else:
                    used[(hypervisor, device)] = host
