# -*- coding: utf-8 -*-
# Copyright: contributors to this project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster description (inventory model): validation and no_proxy.

Pure functions, free of Ansible imports, so that plain pytest covers them and
the filter plugin ``plugins/filter/cluster.py`` stays a thin wrapper.

* :func:`model_from_hostvars` turns Ansible's ``hostvars`` and ``groups`` into
  a plain *model* dict (it only reads mappings, so tests may pass plain dicts).
* :func:`validate` returns every defect of a model as a list of
  :class:`Defect`. It never raises: wrong types, missing keys and garbage all
  become defects that name the host, the variable, the value and the fix.
  The release bundle is also judged against ``compatibility/matrix.yml`` by
  ``version_matrix`` (the rules preflight's ``version_check`` runs), so an
  incompatible bundle stops before any host is touched.
* :func:`no_proxy` computes the ``no_proxy`` list of the cluster.

The model is documented, key by key, in ``inventories/sample/``. The model
dict has these keys::

    groups:   {group name: [host, ...]}          # Ansible's `groups`
    hostvars: {host: {variable: value}}          # node_*, cluster_* and a few more
    varnames: {host: [every variable name]}      # to spot misspelt variables
    sources:  [inventory source path, ...]       # `ansible_inventory_sources`
    matrix:   {...}                              # optional: the compatibility matrix
                                                 # (default: compatibility/matrix.yml)
"""

from __future__ import annotations

import base64
import binascii
import datetime
import difflib
import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import netaddr

from . import proxy_url
from . import version_matrix

# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

GROUP_HYPERV = "hyperv_hosts"
GROUP_CONTROL_PLANE = "kube_control_plane"
GROUP_ETCD = "etcd"
GROUP_WORKERS = "kube_node"
GROUP_K8S = "k8s_cluster"
GROUP_GPU = "gpu_nodes"
GROUP_GLUSTER = "gluster_nodes"
GROUP_NEXUS = "nexus"

# Every host of these groups is a VM of the cluster ("node"): it needs node_ip.
NODE_GROUPS = (GROUP_CONTROL_PLANE, GROUP_ETCD, GROUP_WORKERS, GROUP_GPU, GROUP_GLUSTER, GROUP_NEXUS)
MODEL_GROUPS = (GROUP_HYPERV,) + NODE_GROUPS + (GROUP_K8S,)

CLUSTER_VARS = (
    "cluster_name",
    "cluster_domain",
    "cluster_subnet",
    "cluster_gateway",
    "cluster_dns_servers",
    "cluster_search_domains",
    "cluster_ntp_servers",
    "cluster_http_proxy",
    "cluster_https_proxy",
    "cluster_no_proxy_extra",
    "cluster_ca_bundle",
    "cluster_service_cidr",
    "cluster_pod_cidr",
    "cluster_dns_domain",
    "cluster_api_address",
    "cluster_api_port",
    "cluster_api_fqdn",
    "cluster_gluster_volumes",
    "cluster_release",
    "cluster_kubernetes_source",
    "cluster_rollout",
)

# Where the Kubernetes cluster comes from (roles/kubernetes_cluster).
KUBERNETES_SOURCES = ("kubespray", "existing")

# cluster_rollout: how many nodes a rolling change (playbooks/node_prep.yml)
# touches at once, per kind of node, and the defaults when a key is absent.
ROLLOUT_DEFAULTS = {"control_plane": 1, "storage": 1, "nodes": "25%"}

NODE_VARS = (
    "node_ip",
    "node_hypervisor",
    "node_vcpus",
    "node_memory_mb",
    "node_disks",
    "node_gpu_devices",
    "node_mac",
)

# Other variables the checks read (Kubespray's per-node pod block size).
OTHER_VARS = ("inventory_dir", "ansible_host", "kube_network_node_prefix")

RELEASE_REQUIRED = ("kubespray", "kubernetes", "containerd", "etcd", "os")
RELEASE_OPTIONAL = (
    "gpu_operator",
    "nvidia_driver",
    "kube_prometheus_stack",
    "kubeflow",
    "kustomize",
    "glusterfs",
    "nexus",
)
SUPPORTED_OS = ("ubuntu-22.04", "ubuntu-24.04", "debian-12")

ETCD_SIZES = (1, 3, 5)
DEFAULT_NODE_PREFIX = 24  # Kubespray's kube_network_node_prefix
MAX_DNS_SERVERS = 3  # glibc's resolver reads only the first three (MAXNS)
HYPERV_MAX_VCPUS = 240  # Hyper-V generation 2 VM limit
HYPERV_MAX_MEMORY_MB = 12 * 1024 * 1024  # 12 TB, Hyper-V generation 2 VM limit
HYPERV_MAX_DISK_GB = 64 * 1024  # VHDX limit, 64 TB
KUBEADM_CP_MIN_VCPUS = 2
KUBEADM_CP_MIN_MEMORY_MB = 2048
MIN_MEMORY_MB = 1024
SAMPLE = "inventories/sample/group_vars/all/cluster.yml"

_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_LABEL_ANYCASE_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_DISK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_VOLUME_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_LOCATION_PATH_RE = re.compile(r"^PCIROOT\([0-9A-F]{1,4}\)(#PCI\([0-9A-F]{4}\)){1,8}$")
_MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_SEMVER_RE = re.compile(r"^\d+\.\d+\.\d+$")
_TAG_RE = re.compile(r"^v\d+\.\d+\.\d+$")
_COMPONENT_VERSION_RE = re.compile(r"^v?\d+(\.\d+)*([-+][0-9A-Za-z.-]+)?$")
_PEM_CERT_RE = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


class _Missing:
    """The value of a variable that is not set at all."""

    def __repr__(self) -> str:
        return "(not set)"


MISSING = _Missing()


@dataclass(frozen=True)
class TemplateFailure:
    """A variable whose Jinja expression could not be evaluated."""

    error: str


@dataclass(frozen=True)
class Defect:
    """One defect of the cluster description, with the fix a person can apply."""

    where: str
    variable: str
    value: Any
    problem: str
    fix: str

    def __str__(self) -> str:
        return "%s: %s = %s: %s. Fix: %s" % (self.where, self.variable, show(self.value), self.problem, self.fix)


def show(value: Any, limit: int = 160) -> str:
    """Render a value in YAML flow notation (single quotes, so JSON output stays readable)."""
    # Any URL password (a proxy, a misspelt variable) is masked before a cut could hide its '@'.
    text = proxy_url.mask_in_text(_show(proxy_url.masked(value) if isinstance(value, str) else value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    if isinstance(value, TemplateFailure):
        return "(cannot be evaluated)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join("%s: %s" % (_show_key(k), _show(v)) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return _show(str(value))


def _show_key(key: Any) -> str:
    return key if isinstance(key, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) else _show(key)


def type_name(value: Any) -> str:
    """The YAML name of a value's type, as a person reads it in the inventory."""
    if value is MISSING:
        return "nothing"
    if value is None:
        return "null (empty)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a %s" % type(value).__name__


# --------------------------------------------------------------------------
# From Ansible's hostvars to the plain model
# --------------------------------------------------------------------------


def _plain(value: Any, depth: int = 0) -> Any:
    """Copy a templated value into plain Python types (str, int, list, dict...)."""
    if depth > 50:
        return TemplateFailure("nested too deeply")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {(str(k) if isinstance(k, str) else k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if "Undefined" in type(value).__name__:
        return TemplateFailure("undefined variable")
    return str(value)


def model_from_hostvars(hostvars: Any, groups: Any, sources: Any = None) -> dict:
    """Build the plain model from Ansible's ``hostvars`` and ``groups``.

    Reading a variable through ``hostvars`` evaluates its Jinja expression;
    an expression that fails becomes a :class:`TemplateFailure` value, which
    :func:`validate` reports like any other defect.
    """
    model: dict = {"groups": {}, "hostvars": {}, "varnames": {}, "sources": [], "errors": []}
    if isinstance(groups, Mapping):
        for group, hosts in groups.items():
            if isinstance(hosts, (list, tuple)):
                model["groups"][str(group)] = [str(h) for h in hosts]
    else:
        model["errors"].append("groups is %s, expected a mapping" % type_name(groups))
    if isinstance(sources, (list, tuple)):
        model["sources"] = [str(s) for s in sources]
    elif isinstance(sources, str):
        model["sources"] = [sources]
    if not isinstance(hostvars, Mapping):
        model["errors"].append("hostvars is %s, expected a mapping" % type_name(hostvars))
        return model
    for host in model["groups"].get("all", []):
        values: dict = {}
        names: list = []
        try:
            host_vars = hostvars[host]
            names = [str(k) for k in host_vars.keys()]
        except Exception as exc:  # an inventory Ansible could not read: report, do not crash
            model["errors"].append("variables of host %s cannot be read: %s" % (host, exc))
            host_vars = {}
        for name in names:
            if not (name.startswith(("node_", "cluster_")) or name in OTHER_VARS):
                continue
            try:
                values[name] = _plain(host_vars[name])
            except Exception as exc:  # a Jinja expression that fails
                values[name] = TemplateFailure(_one_line(str(exc)))
        model["hostvars"][host] = values
        model["varnames"][host] = names
    return model


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------
# Small parsers (return None when the text is not what it should be)
# --------------------------------------------------------------------------


def parse_ipv4(text: Any) -> netaddr.IPAddress | None:
    """A strictly written IPv4 address (no prefix, no leading zeros, no spaces)."""
    if not isinstance(text, str):
        return None
    try:
        address = netaddr.IPAddress(text, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    return address if address.version == 4 else None


def parse_cidr(text: Any) -> tuple[netaddr.IPNetwork | None, str]:
    """A strictly written IPv4 network 'a.b.c.d/n'. Returns (network, why-not)."""
    if not isinstance(text, str):
        return None, "must be a string such as '10.0.0.0/24', got %s" % type_name(text)
    address_text, slash, prefix_text = text.partition("/")
    if not slash:
        return None, "is not in CIDR notation (address/prefix)"
    address = parse_ipv4(address_text)
    if address is None or not re.match(r"^\d{1,2}$", prefix_text) or int(prefix_text) > 32:
        return None, "is not an IPv4 network in CIDR notation (address/prefix, prefix 0-32)"
    network = netaddr.IPNetwork("%s/%s" % (address, int(prefix_text)))
    if network.ip != network.network:
        return None, "has host bits set: the network address of this prefix is %s" % network.cidr
    return network, ""


def is_domain(text: Any) -> bool:
    """A DNS name made of RFC 1123 labels (case-insensitive, no trailing dot).

    The last label is never all digits, so '10.0.0.300' is not a name.
    """
    if not isinstance(text, str) or not text or len(text) > 253:
        return False
    labels = text.split(".")
    return all(_LABEL_ANYCASE_RE.match(label) for label in labels) and not labels[-1].isdigit()


def _is_host(text: Any) -> bool:
    return parse_ipv4(text) is not None or is_domain(text)


def _closest(word: str, choices: Any, cutoff: float = 0.75) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def _usable_range(network: netaddr.IPNetwork) -> str:
    if network.prefixlen >= 31:
        return "%s-%s" % (network[0], network[-1])
    return "%s-%s" % (network[1], network[-2])


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


class _Validator:
    """Runs every check; each check adds Defects and never stops the others."""

    def __init__(self, model: Any) -> None:
        self.defects: list[Defect] = []
        self.model = model if isinstance(model, Mapping) else {}
        groups = self.model.get("groups")
        self.groups: dict = {}
        if isinstance(groups, Mapping):
            for group, hosts in groups.items():
                if isinstance(hosts, (list, tuple)):
                    self.groups[str(group)] = [str(h) for h in hosts]
        hostvars = self.model.get("hostvars")
        self.hostvars: dict = {}
        if isinstance(hostvars, Mapping):
            for host, values in hostvars.items():
                self.hostvars[str(host)] = dict(values) if isinstance(values, Mapping) else {}
        varnames = self.model.get("varnames")
        self.varnames: dict = varnames if isinstance(varnames, Mapping) else {}
        self.all_hosts = self.groups.get("all", [])
        self.hyperv = self._members(GROUP_HYPERV)
        node_set = set()
        for group in NODE_GROUPS:
            node_set.update(self.groups.get(group, []))
        # A Hyper-V host listed in a node group is reported once, by the group checks.
        node_set.difference_update(self.hyperv)
        # Inventory order, so messages follow the file a person reads.
        self.nodes = [h for h in self.all_hosts if h in node_set]
        self.host_groups: dict = {h: [] for h in self.all_hosts}
        for group, hosts in self.groups.items():
            if group in ("all", "ungrouped"):
                continue
            for host in hosts:
                self.host_groups.setdefault(host, []).append(group)
        self.cluster: dict = {}
        self.consumed_typos: set = set()
        # Parsed values shared between checks (None when missing or invalid).
        self.subnet = None
        self.gateway = None
        self.service = None
        self.pod = None
        self.api = None
        self.inventory_dir = None
        self.node_ips: dict = {}

    # -- helpers -----------------------------------------------------------

    def _members(self, group: str) -> list:
        return list(self.groups.get(group, []))

    def add(self, where: str, variable: str, value: Any, problem: str, fix: str) -> None:
        self.defects.append(Defect(where, variable, value, problem, fix))

    def guard(self, check, *args) -> None:
        """Run one check; an unexpected exception becomes a defect, not a traceback."""
        try:
            check(*args)
        except Exception as exc:  # the last line of defence: never a traceback
            self.add(
                "validation",
                check.__name__.lstrip("_"),
                _one_line("%s: %s" % (type(exc).__name__, exc)),
                "internal error in this check (the other checks ran)",
                "report this as a bug of plugins/module_utils/cluster_model.py, with the inventory",
            )

    def var(self, where: str, values: Mapping, name: str, required: bool = True, hint: str = "") -> Any:
        """A variable's value, or MISSING after reporting why it cannot be used."""
        value = values.get(name, MISSING)
        if isinstance(value, TemplateFailure):
            self.add(where, name, value, "its Jinja expression cannot be evaluated (%s)" % value.error,
                     "correct the expression or write the value literally")
            return MISSING
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            self.add(where, name, value, "still holds a Jinja expression after templating (an undefined variable?)",
                     "correct the expression or write the value literally")
            return MISSING
        if value is MISSING and required:
            self.add(where, name, MISSING, "required variable is not set", self._missing_fix(where, values, name, hint))
        return value

    def _missing_fix(self, where: str, values: Mapping, name: str, hint: str) -> str:
        host = where[len("host "):] if where.startswith("host ") else None
        names = self.varnames.get(host) if host else None
        if names is None and self.nodes:
            names = self.varnames.get(self.nodes[0])
        candidates = [n for n in (names or []) if n not in CLUSTER_VARS + NODE_VARS]
        typo = _closest(name, candidates, 0.7)
        if typo:
            self.consumed_typos.add(typo)
            return "rename the variable %s to %s" % (typo, name)
        if hint:
            return hint
        if host:
            return "set %s for host %s in hosts.yml" % (name, host)
        return "define %s in group_vars/all (every key is documented in %s)" % (name, SAMPLE)

    def expect(self, where: str, name: str, value: Any, kind: type | tuple, what: str) -> bool:
        """Type check; bool is never accepted as an integer."""
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _as_tuple(kind))
        if not ok:
            fix = "write %s" % what
            if int in _as_tuple(kind) and isinstance(value, str) and value.strip().isdigit():
                fix = "write %s without quotes" % value.strip()
            self.add(where, name, value, "must be %s, got %s" % (what, type_name(value)), fix)
        return ok

    def string_list(self, where: str, name: str, value: Any, example: str) -> list | None:
        """A YAML list of strings; a comma-separated string is a classic mistake."""
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
            self.add(where, name, value, "must be a YAML list, got a string",
                     "write a list, e.g. %s" % show(items or [example]))
            return None
        if not isinstance(value, (list, tuple)):
            self.add(where, name, value, "must be a list, got %s" % type_name(value),
                     "write a list, e.g. %s" % show([example]))
            return None
        for item in value:
            if not isinstance(item, str):
                self.add(where, name, value, "every entry must be a string, found %s (%s)" % (show(item), type_name(item)),
                         "quote the entry or correct it, e.g. %s" % show([example]))
                return None
        return list(value)

    # -- entry point -------------------------------------------------------

    def run(self) -> list[Defect]:
        for error in self.model.get("errors") or []:
            self.add("inventory", "hostvars", MISSING, str(error), "check the inventory with ansible-inventory --list")
        if not self.all_hosts:
            self.add("inventory", "hosts", self.model.get("sources") or [],
                     "the inventory has no hosts (Ansible could not read it, or it is empty)",
                     "check the -i path; Ansible's warnings above name the file it could not parse")
            return self.defects
        self.guard(self._check_sources)
        self.guard(self._check_groups)
        self.guard(self._check_hostnames)
        self.guard(self._collect_cluster_values)
        self.guard(self._check_cluster_consistency)
        self.guard(self._check_identity)
        self.guard(self._check_kubernetes_source)
        self.guard(self._check_rollout)
        self.guard(self._check_network)
        self.guard(self._check_cidrs)
        self.guard(self._check_name_resolution)
        self.guard(self._check_proxy)
        self.guard(self._check_ca_bundle)
        for host in self.nodes:
            self.guard(self._check_node, host)
        self.guard(self._check_unique_addresses)
        self.guard(self._check_api_endpoint)
        self.guard(self._check_gpu_assignment)
        self.guard(self._check_gluster)
        self.guard(self._check_release)
        self.guard(self._check_typos)
        return self.defects

    # -- inventory files ---------------------------------------------------

    def _check_sources(self) -> None:
        self.defects.extend(source_defects(self.model.get("sources") or [], set(self.all_hosts)))

    # -- groups ------------------------------------------------------------

    def _check_groups(self) -> None:
        known = set(MODEL_GROUPS) | {"all", "ungrouped"}
        for group in self.groups:
            if group in known:
                continue
            twin = _closest(group, MODEL_GROUPS, 0.8)
            if twin:
                self.add("group %s" % group, "group name", group,
                         "is not a group of the model; it looks like a misspelling of %s" % twin,
                         "rename the group to %s" % twin)
        for host in self.groups.get("ungrouped", []):
            if host != "localhost":
                self.add("host %s" % host, "groups", [], "the host is in no group, so no layer will use it",
                         "list it under one of %s" % ", ".join(MODEL_GROUPS))

        control = self._members(GROUP_CONTROL_PLANE)
        if not control:
            self.add("group %s" % GROUP_CONTROL_PLANE, "hosts", control, "a cluster needs a control-plane node",
                     "add 1 or 3 hosts to %s" % GROUP_CONTROL_PLANE)
        elif len(control) == 2:
            self.add("group %s" % GROUP_CONTROL_PLANE, "hosts", control,
                     "two control-plane nodes give no fault tolerance over one, and the API endpoint must still be a VIP",
                     "use 1 control-plane node, or 3 for high availability")
        etcd = self._members(GROUP_ETCD)
        if len(etcd) not in ETCD_SIZES:
            self.add("group %s" % GROUP_ETCD, "hosts", etcd,
                     "etcd needs an odd number of members (1, 3 or 5) to keep quorum; %d given" % len(etcd),
                     "list 1, 3 or 5 hosts under %s (usually the control-plane nodes)" % GROUP_ETCD)
        workers = self._members(GROUP_WORKERS)
        if not workers:
            self.add("group %s" % GROUP_WORKERS, "hosts", workers, "a cluster needs at least one worker",
                     "add the workers (and the GPU workers) to %s" % GROUP_WORKERS)
        k8s = set(self._members(GROUP_K8S))
        missing = [h for h in self.all_hosts if h in set(control) | set(workers) and h not in k8s]
        if missing:
            self.add("group %s" % GROUP_K8S, "hosts", sorted(k8s),
                     "does not contain %s" % ", ".join(missing),
                     "declare %s with children %s and %s, as in the sample" % (GROUP_K8S, GROUP_CONTROL_PLANE, GROUP_WORKERS))
        for host in self._members(GROUP_K8S):
            if host not in control and host not in workers and host not in self.hyperv:
                self.add("host %s" % host, "groups", self.host_groups.get(host, []),
                         "is in %s but in neither %s nor %s, so no layer installs Kubernetes on it"
                         % (GROUP_K8S, GROUP_CONTROL_PLANE, GROUP_WORKERS),
                         "list %s under %s (or %s); %s only has those two children" % (host, GROUP_WORKERS, GROUP_CONTROL_PLANE, GROUP_K8S))
        for host in self._members(GROUP_GPU):
            if host not in workers:
                self.add("host %s" % host, "groups", self.host_groups.get(host, []),
                         "is in %s but not in %s, so Kubernetes would never schedule on it" % (GROUP_GPU, GROUP_WORKERS),
                         "add %s to %s as well" % (host, GROUP_WORKERS))
        nexus = self._members(GROUP_NEXUS)
        if len(nexus) > 1:
            self.add("group %s" % GROUP_NEXUS, "hosts", nexus, "the model has one Nexus host, %d given" % len(nexus),
                     "keep one host in %s" % GROUP_NEXUS)
        for host in self.hyperv:
            node_groups = [g for g in self.host_groups.get(host, []) if g in NODE_GROUPS]
            if node_groups:
                self.add("host %s" % host, "groups", self.host_groups.get(host, []),
                         "a Hyper-V host cannot also be a cluster VM (%s)" % ", ".join(node_groups),
                         "give the VM its own inventory name and keep %s only in %s" % (host, GROUP_HYPERV))

    def _check_hostnames(self) -> None:
        seen: dict = {}
        for host in self.all_hosts:
            if host == "localhost":
                continue
            if host in self.nodes:
                self._check_node_name(host)
            elif host in self.hyperv and not is_domain(host):
                self.add("host %s" % host, "inventory_hostname", host,
                         "is not a valid RFC 1123 host name",
                         "use the Hyper-V host's DNS name: letters, digits and '-', dot-separated")
            twin = seen.get(host.lower())
            if twin is not None:
                self.add("host %s" % host, "inventory_hostname", host,
                         "is the same name as host %s (host names are case-insensitive)" % twin,
                         "give every host a unique name")
            seen.setdefault(host.lower(), host)

    def _check_node_name(self, host: str) -> None:
        where = "host %s" % host
        if _LABEL_RE.match(host):
            return
        if "." in host:
            short = host.split(".")[0]
            self.add(where, "inventory_hostname", host,
                     "a node name must be a short name: the FQDN is built as name + '.' + cluster_domain",
                     "rename the host to %s" % short)
        elif _LABEL_ANYCASE_RE.match(host):
            self.add(where, "inventory_hostname", host,
                     "Kubernetes node names must be lowercase (RFC 1123)", "rename the host to %s" % host.lower())
        else:
            self.add(where, "inventory_hostname", host,
                     "is not a valid RFC 1123 host name (a-z, 0-9 and '-', at most 63, starting and ending with a letter or digit)",
                     "rename the host, e.g. %s" % (re.sub(r"[^a-z0-9-]+", "-", host.lower()).strip("-")[:63] or "node1"))

    # -- cluster-wide values -----------------------------------------------

    def _collect_cluster_values(self) -> None:
        """Take each cluster_* value from the nodes (the value most of them get)."""
        owners = self.nodes or [h for h in self.all_hosts if h != "localhost"]
        for name in CLUSTER_VARS:
            counts: Counter = Counter()
            first: dict = {}
            for host in owners:
                value = self.hostvars.get(host, {}).get(name, MISSING)
                key = _canonical(value) if value is not MISSING else "\0missing"
                counts[key] += 1
                first.setdefault(key, value)
            if counts:
                best = max(counts.items(), key=lambda item: (item[1], item[0] != "\0missing"))[0]
                self.cluster[name] = first[best]
        for host in owners:
            directory = self.hostvars.get(host, {}).get("inventory_dir")
            if isinstance(directory, str) and directory:
                self.inventory_dir = directory
                break

    def _check_cluster_consistency(self) -> None:
        for name in CLUSTER_VARS:
            reference = self.cluster.get(name, MISSING)
            if reference is MISSING:
                continue
            for host in self.nodes:
                value = self.hostvars.get(host, {}).get(name, MISSING)
                if value is MISSING or _canonical(value) != _canonical(reference):
                    problem = ("differs from the value the other hosts get (%s)" % show(reference, 60)
                               if value is not MISSING else "is not set for this host although the other hosts get it")
                    self.add("host %s" % host, name, value, problem,
                             "cluster-wide variables belong in group_vars/all only: remove %s from this host's "
                             "entry, its host_vars and its other groups' vars" % name)

    def _check_identity(self) -> None:
        name = self.var("all", self.cluster, "cluster_name")
        if name is not MISSING and self.expect("all", "cluster_name", name, str, "a string"):
            if not _LABEL_RE.match(name):
                self.add("all", "cluster_name", name, "is not a lowercase RFC 1123 label",
                         "use a-z, 0-9 and '-' only, e.g. %s" % (re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "mlp"))
        domain = self.var("all", self.cluster, "cluster_domain")
        dns_domain = self.var("all", self.cluster, "cluster_dns_domain")
        domain_ok = self._check_domain_value("cluster_domain", domain, "dc1.example.com")
        dns_ok = self._check_domain_value("cluster_dns_domain", dns_domain, "cluster.local")
        if domain_ok and dns_ok:
            a, b = domain.lower(), dns_domain.lower()
            if a == b or a.endswith("." + b) or b.endswith("." + a):
                self.add("all", "cluster_domain", domain,
                         "overlaps cluster_dns_domain %s: CoreDNS would answer for the node names" % show(dns_domain),
                         "use the data centre's DNS domain for cluster_domain and keep cluster_dns_domain: cluster.local")
        if domain_ok:
            for host in self.nodes:
                if _LABEL_RE.match(host) and len(host) + 1 + len(domain) > 253:
                    self.add("host %s" % host, "inventory_hostname", host,
                             "the FQDN %s.%s is longer than 253 characters" % (host, domain), "shorten the name or the domain")

    def _check_kubernetes_source(self) -> None:
        source = self.var("all", self.cluster, "cluster_kubernetes_source", required=False)
        if source is not MISSING and source not in KUBERNETES_SOURCES:
            self.add("all", "cluster_kubernetes_source", source, "is not one of %s" % ", ".join(KUBERNETES_SOURCES),
                     "use kubespray (this project installs the cluster) or existing (a running cluster, checked "
                     "against this description)")

    def _check_rollout(self) -> None:
        """Optional batch sizes: a positive integer or a percentage 'N%' (1-100) per known key."""
        rollout = self.var("all", self.cluster, "cluster_rollout", required=False)
        if rollout is MISSING or not self.expect("all", "cluster_rollout", rollout, dict, "a mapping such as %s"
                                                 % show(ROLLOUT_DEFAULTS)):
            return
        for key, value in rollout.items():
            name = "cluster_rollout.%s" % key
            if key not in ROLLOUT_DEFAULTS:
                twin = _closest(str(key), ROLLOUT_DEFAULTS, 0.6)
                self.add("all", name, value, "is not a rollout key (%s)" % ", ".join(ROLLOUT_DEFAULTS),
                         "rename it to %s" % twin if twin else "remove it")
                continue
            percent = re.fullmatch(r"(\d+)%", value) if isinstance(value, str) else None
            if percent and 1 <= int(percent.group(1)) <= 100:
                continue
            if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
                continue
            self.add("all", name, value, "must be a number of nodes (1 or more) or a share such as '25%'",
                     "write e.g. %s: %s" % (key, show(ROLLOUT_DEFAULTS[key])))

    def _check_domain_value(self, name: str, value: Any, example: str) -> bool:
        if value is MISSING or not self.expect("all", name, value, str, "a string"):
            return False
        if value.endswith("."):
            self.add("all", name, value, "ends with a dot", "write %s" % value.rstrip("."))
            return False
        if not is_domain(value):
            self.add("all", name, value, "is not a valid DNS domain (RFC 1123 labels separated by dots)",
                     "write a domain such as %s" % example)
            return False
        return True

    def _check_network(self) -> None:
        subnet_text = self.var("all", self.cluster, "cluster_subnet")
        if subnet_text is not MISSING:
            subnet, why = parse_cidr(subnet_text)
            if subnet is None:
                self.add("all", "cluster_subnet", subnet_text, why, _cidr_fix(subnet_text, "10.40.8.0/24"))
            elif subnet.prefixlen > 29:
                self.add("all", "cluster_subnet", subnet_text, "a /%d has too few addresses for a cluster" % subnet.prefixlen,
                         "use the real prefix of the node network (typically /24)")
            else:
                self.subnet = subnet
        gateway_text = self.var("all", self.cluster, "cluster_gateway")
        if gateway_text is not MISSING:
            gateway = self._ipv4("all", "cluster_gateway", gateway_text, "e.g. 10.40.8.1")
            if gateway is not None and self.subnet is not None:
                if gateway not in self.subnet:
                    self.add("all", "cluster_gateway", gateway_text, "is outside cluster_subnet %s" % self.subnet,
                             "use the router address of the node network (inside %s), or correct cluster_subnet"
                             % _usable_range(self.subnet))
                elif gateway in (self.subnet.network, self.subnet.broadcast):
                    self.add("all", "cluster_gateway", gateway_text,
                             "is the %s address of cluster_subnet %s" % (
                                 "network" if gateway == self.subnet.network else "broadcast", self.subnet),
                             "use the router address, inside %s" % _usable_range(self.subnet))
                else:
                    self.gateway = gateway
            elif gateway is not None:
                self.gateway = gateway

    def _ipv4(self, where: str, name: str, value: Any, example: str) -> netaddr.IPAddress | None:
        if not isinstance(value, str):
            self.add(where, name, value, "must be an IPv4 address string, got %s" % type_name(value),
                     "write the address as a.b.c.d (%s)" % example)
            return None
        if "/" in value:
            address = parse_ipv4(value.split("/")[0])
            if address is not None:
                self.add(where, name, value, "must be a plain address; the prefix comes from cluster_subnet",
                         "write %s" % address)
                return None
        address = parse_ipv4(value)
        if address is None:
            self.add(where, name, value, "is not a valid IPv4 address",
                     "write four numbers 0-255 separated by dots, without leading zeros or spaces (%s)" % example)
        return address

    def _check_cidrs(self) -> None:
        nets = {}
        for name, example in (("cluster_service_cidr", "10.233.0.0/18"), ("cluster_pod_cidr", "10.233.64.0/18")):
            text = self.var("all", self.cluster, name)
            if text is MISSING:
                continue
            network, why = parse_cidr(text)
            if network is None:
                self.add("all", name, text, why, _cidr_fix(text, example))
                continue
            nets[name] = network
        service = nets.get("cluster_service_cidr")
        pod = nets.get("cluster_pod_cidr")
        if service is not None:
            if service.prefixlen < 12:
                self.add("all", "cluster_service_cidr", str(service),
                         "kube-apiserver refuses an IPv4 service range larger than /12", "use a /12 to /24, e.g. 10.233.0.0/18")
                service = None
            elif service.prefixlen > 24:
                self.add("all", "cluster_service_cidr", str(service),
                         "is too small for the cluster's services", "use a /12 to /24, e.g. 10.233.0.0/18")
                service = None
        if pod is not None:
            node_prefix = self._node_prefix()
            if node_prefix is not None and pod.prefixlen >= node_prefix:
                self.add("all", "cluster_pod_cidr", str(pod),
                         "must be larger than one node's pod block (/%d, kube_network_node_prefix)" % node_prefix,
                         "use a range such as 10.233.64.0/18")
                pod = None
            elif node_prefix is not None:
                k8s_nodes = set(self._members(GROUP_CONTROL_PLANE)) | set(self._members(GROUP_WORKERS))
                blocks = 2 ** (node_prefix - pod.prefixlen)
                if blocks < len(k8s_nodes):
                    self.add("all", "cluster_pod_cidr", str(pod),
                             "holds %d blocks of /%d but the cluster has %d Kubernetes nodes" % (blocks, node_prefix, len(k8s_nodes)),
                             "use a larger range (smaller prefix)")
        pairs = (
            ("cluster_service_cidr", service, "cluster_subnet", self.subnet),
            ("cluster_pod_cidr", pod, "cluster_subnet", self.subnet),
            ("cluster_pod_cidr", pod, "cluster_service_cidr", service),
        )
        for name, net, other_name, other in pairs:
            if net is not None and other is not None and (net.first <= other.last and other.first <= net.last):
                self.add("all", name, str(net), "overlaps %s %s" % (other_name, other),
                         "choose %s outside %s (Kubespray's defaults are 10.233.0.0/18 for services and "
                         "10.233.64.0/18 for pods)" % (name, other))
                if name == "cluster_service_cidr":
                    service = None
                else:
                    pod = None
        self.service, self.pod = service, pod

    def _node_prefix(self) -> int | None:
        values = [self.hostvars.get(h, {}).get("kube_network_node_prefix", MISSING) for h in self.nodes]
        value = next((v for v in values if v is not MISSING), MISSING)
        if value is MISSING:
            return DEFAULT_NODE_PREFIX
        if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 28:
            self.add("all", "kube_network_node_prefix", value, "must be an integer between 16 and 28",
                     "remove it to use Kubespray's default 24")
            return None
        return value

    def _in_cluster_ranges(self, address: netaddr.IPAddress) -> str | None:
        for name, net in (("cluster_service_cidr", self.service), ("cluster_pod_cidr", self.pod)):
            if net is not None and address in net:
                return "%s %s" % (name, net)
        return None

    def _check_name_resolution(self) -> None:
        servers = self.var("all", self.cluster, "cluster_dns_servers")
        if servers is not MISSING:
            items = self.string_list("all", "cluster_dns_servers", servers, "10.40.0.10")
            if items is not None:
                if not items:
                    self.add("all", "cluster_dns_servers", items, "the nodes need at least one DNS server",
                             "list the data centre's DNS servers")
                elif len(items) > MAX_DNS_SERVERS:
                    self.add("all", "cluster_dns_servers", items,
                             "the resolver uses only the first %d servers" % MAX_DNS_SERVERS, "list at most 3 servers")
                seen = set()
                for item in items:
                    address = self._ipv4("all", "cluster_dns_servers", item, "e.g. 10.40.0.10")
                    if address is None:
                        continue
                    clash = self._in_cluster_ranges(address)
                    if clash:
                        self.add("all", "cluster_dns_servers", item, "is inside %s, so nodes could not reach it" % clash,
                                 "correct the address or move the Kubernetes ranges")
                    if address in seen:
                        self.add("all", "cluster_dns_servers", item, "is listed twice", "list each server once")
                    seen.add(address)
        search = self.var("all", self.cluster, "cluster_search_domains", hint="define cluster_search_domains in "
                          "group_vars/all; write [] when the nodes need none")
        if search is not MISSING:
            items = self.string_list("all", "cluster_search_domains", search, "dc1.example.com")
            for item in items or []:
                if not is_domain(item):
                    self.add("all", "cluster_search_domains", item, "is not a valid DNS domain",
                             "write a domain such as dc1.example.com")
        ntp = self.var("all", self.cluster, "cluster_ntp_servers")
        if ntp is not MISSING:
            items = self.string_list("all", "cluster_ntp_servers", ntp, "ntp1.example.com")
            if items is not None and not items:
                self.add("all", "cluster_ntp_servers", items, "etcd and TLS need synchronised clocks",
                         "list the data centre's NTP servers")
            for item in items or []:
                if not _is_host(item):
                    self.add("all", "cluster_ntp_servers", item, "is neither an IPv4 address nor a host name",
                             "write a host name or an address, e.g. ntp1.example.com")

    def _check_proxy(self) -> None:
        urls = {}
        for name in ("cluster_http_proxy", "cluster_https_proxy"):
            value = self.var("all", self.cluster, name, hint="define %s in group_vars/all; write \"\" when the "
                             "nodes reach the internet without a proxy" % name)
            if value is MISSING:
                continue
            if not isinstance(value, str):
                self.add("all", name, value, "must be a URL string, got %s" % type_name(value),
                         "write \"\" for no proxy or a URL such as http://proxy.example.com:3128")
                continue
            urls[name] = value
            if value:
                # Credentials first, and only the masked URL in any message: it is printed and logged.
                problem, fix = proxy_url.credentials_problem(value)
                if problem:
                    self.add("all", name, proxy_url.masked(value), problem, fix)
                    continue
                problem = proxy_url_problem(value)
                if problem:
                    self.add("all", name, proxy_url.masked(value), problem,
                             "write the proxy as http://host:port, e.g. http://proxy.example.com:3128")
        http, https = urls.get("cluster_http_proxy"), urls.get("cluster_https_proxy")
        if http is not None and https is not None and bool(http) != bool(https):
            empty = "cluster_https_proxy" if http else "cluster_http_proxy"
            self.add("all", empty, "", "is empty while the other proxy variable is set, so half of the downloads bypass the proxy",
                     "set both (usually to the same URL) or neither")
        extra = self.var("all", self.cluster, "cluster_no_proxy_extra", hint="define cluster_no_proxy_extra in "
                         "group_vars/all; write [] when nothing needs adding")
        if extra is MISSING:
            return
        items = self.string_list("all", "cluster_no_proxy_extra", extra, ".example.com")
        for item in items or []:
            problem = no_proxy_entry_problem(item)
            if problem:
                self.add("all", "cluster_no_proxy_extra", item, problem,
                         "write one host, domain (.example.com), IPv4 address or CIDR per list entry")

    def _check_ca_bundle(self) -> None:
        value = self.var("all", self.cluster, "cluster_ca_bundle", hint="define cluster_ca_bundle in group_vars/all; "
                         "write \"\" when no corporate CA is needed")
        if value is MISSING:
            return
        if not isinstance(value, str):
            self.add("all", "cluster_ca_bundle", value, "must be a path string, got %s" % type_name(value),
                     "write \"\" or a path relative to the inventory directory")
            return
        if not value:
            return
        path = value if os.path.isabs(value) else os.path.join(self.inventory_dir or os.getcwd(), value)
        for problem, fix in ca_bundle_problems(path):
            self.add("all", "cluster_ca_bundle", value, problem, fix)

    # -- per node ----------------------------------------------------------

    def _check_node(self, host: str) -> None:
        where = "host %s" % host
        values = self.hostvars.get(host, {})
        groups = self.host_groups.get(host, [])
        # Address
        text = self.var(where, values, "node_ip")
        if text is not MISSING:
            free = "a free address in %s" % _usable_range(self.subnet) if self.subnet is not None else "e.g. 10.40.8.21"
            address = self._ipv4(where, "node_ip", text, free)
            if address is not None:
                if self.subnet is not None:
                    if address not in self.subnet:
                        self.add(where, "node_ip", text, "is outside cluster_subnet %s" % self.subnet,
                                 "use a free address in %s, or correct cluster_subnet" % _usable_range(self.subnet))
                        address = None
                    elif address in (self.subnet.network, self.subnet.broadcast):
                        self.add(where, "node_ip", text, "is the %s address of cluster_subnet %s" % (
                            "network" if address == self.subnet.network else "broadcast", self.subnet),
                            "use a free address in %s" % _usable_range(self.subnet))
                        address = None
                    elif self.gateway is not None and address == self.gateway:
                        self.add(where, "node_ip", text, "is the gateway address (cluster_gateway)",
                                 "use a free address in %s other than the gateway" % _usable_range(self.subnet))
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
                twin = _closest(hypervisor, self.hyperv, 0.8)
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
            if not isinstance(name, str) or not _DISK_NAME_RE.match(name):
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
            if not isinstance(device, str) or not _LOCATION_PATH_RE.match(device.upper()):
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
        if not isinstance(mac, str) or not _MAC_RE.match(mac):
            self.add(where, "node_mac", mac, "is not a MAC address", "write six hex pairs, e.g. 00:15:5d:28:08:11, or remove node_mac")
            return
        first = int(mac[:2], 16)
        if first & 1:
            self.add(where, "node_mac", mac, "is a multicast address; a NIC needs a unicast one",
                     "use an address from Hyper-V's range 00:15:5d:xx:xx:xx")
        elif re.sub(r"[:-]", "", mac) == "000000000000":
            self.add(where, "node_mac", mac, "is all zeros", "use an address from Hyper-V's range 00:15:5d:xx:xx:xx")

    # -- cross-host --------------------------------------------------------

    def _check_unique_addresses(self) -> None:
        owners: dict = {}
        for host in self.hyperv:
            address = parse_ipv4(self.hostvars.get(host, {}).get("ansible_host"))
            if address is not None:
                owners.setdefault(address, "Hyper-V host %s (ansible_host)" % host)
        for host in self.nodes:
            address = self.node_ips.get(host)
            if address is None:
                continue
            if address in owners:
                self.add("host %s" % host, "node_ip", str(address), "is already the address of %s" % owners[address],
                         "give every host its own address")
            else:
                owners[address] = "host %s" % host
        macs: dict = {}
        for host in self.nodes:
            mac = self.hostvars.get(host, {}).get("node_mac")
            if isinstance(mac, str) and _MAC_RE.match(mac):
                key = re.sub(r"[:-]", "", mac).lower()
                if key in macs:
                    self.add("host %s" % host, "node_mac", mac, "is already the MAC of host %s" % macs[key],
                             "give every VM its own MAC address")
                else:
                    macs[key] = host

    def _check_api_endpoint(self) -> None:
        text = self.var("all", self.cluster, "cluster_api_address")
        control = self._members(GROUP_CONTROL_PLANE)
        if text is not MISSING:
            address = self._ipv4("all", "cluster_api_address", text, "e.g. 10.40.8.10")
            if address is not None:
                owner = next((h for h, a in self.node_ips.items() if a == address), None)
                clash = self._in_cluster_ranges(address)
                if clash:
                    self.add("all", "cluster_api_address", text, "is inside %s" % clash,
                             "use the VIP or load balancer address on the node network")
                elif self.subnet is not None and address in (self.subnet.network, self.subnet.broadcast):
                    self.add("all", "cluster_api_address", text, "is the network or broadcast address of cluster_subnet",
                             "use a free address in %s for the VIP" % _usable_range(self.subnet))
                elif self.gateway is not None and address == self.gateway:
                    self.add("all", "cluster_api_address", text, "is the gateway address",
                             "use a free address for the VIP, or the control-plane node's address when there is one")
                elif owner is not None and owner not in control:
                    self.add("all", "cluster_api_address", text,
                             "is the address of %s, which is not a control-plane node" % owner,
                             "use the VIP/load balancer address, or the control-plane node's node_ip")
                elif owner is not None and len(control) > 1:
                    self.add("all", "cluster_api_address", text,
                             "is the address of control-plane node %s; with %d control-plane nodes the API endpoint "
                             "must be a VIP or load balancer that survives losing one" % (owner, len(control)),
                             "use a free address of the node network as the VIP, or the load balancer's address")
                self.api = address
        port = self.var("all", self.cluster, "cluster_api_port")
        if port is not MISSING and self.expect("all", "cluster_api_port", port, int, "an integer (a TCP port)"):
            if not 1 <= port <= 65535:
                self.add("all", "cluster_api_port", port, "is not a TCP port", "write 6443 unless the load balancer listens elsewhere")
        fqdn = self.var("all", self.cluster, "cluster_api_fqdn", hint="define cluster_api_fqdn in group_vars/all; write "
                        "\"\" when the API is reached by address only")
        if fqdn is not MISSING and self.expect("all", "cluster_api_fqdn", fqdn, str, "a string"):
            if fqdn and (not is_domain(fqdn) or "." not in fqdn):
                self.add("all", "cluster_api_fqdn", fqdn, "is not a fully qualified DNS name",
                         "write the API's DNS name, e.g. api.dc1.example.com, or \"\"")

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
                if not _LOCATION_PATH_RE.match(device):
                    continue
                other = used.get((hypervisor, device))
                if other:
                    self.add("host %s" % host, "node_gpu_devices", device,
                             "this GPU of %s is already passed through to %s" % (hypervisor, other),
                             "pass each GPU to one VM only: check the location path, or node_hypervisor")
                else:
                    used[(hypervisor, device)] = host

    def _check_gluster(self) -> None:
        volumes = self.var("all", self.cluster, "cluster_gluster_volumes", hint="define cluster_gluster_volumes in "
                           "group_vars/all; write [] when there are no GlusterFS nodes")
        if volumes is MISSING:
            return
        example = "[{name: gv0, replica: 3, arbiter: 0}]"
        if not isinstance(volumes, (list, tuple)):
            self.add("all", "cluster_gluster_volumes", volumes, "must be a list, got %s" % type_name(volumes), "write e.g. %s" % example)
            return
        nodes = self._members(GROUP_GLUSTER)
        if volumes and not nodes:
            self.add("all", "cluster_gluster_volumes", volumes, "volumes are defined but the %s group is empty" % GROUP_GLUSTER,
                     "add the storage VMs to %s, or write []" % GROUP_GLUSTER)
        names = set()
        for volume in volumes:
            if not isinstance(volume, Mapping):
                self.add("all", "cluster_gluster_volumes", volume, "every volume must be a mapping, got %s" % type_name(volume),
                         "write e.g. %s" % example)
                continue
            volume = dict(volume)
            unknown = sorted(str(k) for k in volume if k not in ("name", "replica", "arbiter", "options"))
            if unknown:
                self.add("all", "cluster_gluster_volumes", volume, "unknown key %s" % ", ".join(unknown),
                         "a volume has the keys name, replica, arbiter and optionally options")
            if "options" in volume and not isinstance(volume["options"], Mapping):
                self.add("all", "cluster_gluster_volumes", volume, "options must be a mapping of volume options, got %s"
                         % type_name(volume["options"]), "write e.g. options: {performance.cache-size: 256MB}")
            name = volume.get("name", MISSING)
            if not isinstance(name, str) or not _VOLUME_NAME_RE.match(name):
                self.add("all", "cluster_gluster_volumes", volume, "volume name %s is not valid" % show(name),
                         "name it with letters, digits, '-' or '_', e.g. gv0")
            elif name in names:
                self.add("all", "cluster_gluster_volumes", volume, "volume name %s is used twice" % show(name),
                         "give every volume its own name")
            else:
                names.add(name)
            replica = volume.get("replica", MISSING)
            arbiter = volume.get("arbiter", MISSING)
            if isinstance(replica, bool) or not isinstance(replica, int) or replica < 2:
                self.add("all", "cluster_gluster_volumes", volume, "replica must be an integer of at least 2, got %s" % show(replica),
                         "write replica: 3")
                continue
            if isinstance(arbiter, bool) or arbiter not in (0, 1):
                self.add("all", "cluster_gluster_volumes", volume, "arbiter must be 0 or 1, got %s" % show(arbiter),
                         "write arbiter: 0 (three full copies) or arbiter: 1 with replica: 2 (two copies and an arbiter)")
                continue
            # The layouts gluster_server builds: "replica 3" and "replica 2 arbiter 1",
            # both three bricks per set, both keep quorum when one node fails.
            if arbiter == 1 and replica != 2:
                self.add("all", "cluster_gluster_volumes", volume,
                         "an arbiter volume is replica 2 arbiter 1 (two data copies and one arbiter brick per set)",
                         "write replica: 2, arbiter: 1")
                continue
            if replica == 2 and arbiter == 0:
                self.add("all", "cluster_gluster_volumes", volume, "replica 2 volumes split-brain when a node fails",
                         "write replica: 3, or replica: 2 with arbiter: 1")
                continue
            if replica != 3 and arbiter == 0:
                self.add("all", "cluster_gluster_volumes", volume, "replica %d is not a layout this installer builds" % replica,
                         "write replica: 3, or replica: 2 with arbiter: 1")
                continue
            set_size = replica + arbiter  # bricks per replica set: 3 in both layouts
            if nodes and (len(nodes) < set_size or len(nodes) % set_size):
                sizes = sorted({n for n in (len(nodes) - len(nodes) % set_size, (len(nodes) // set_size + 1) * set_size) if n >= set_size})
                self.add("all", "cluster_gluster_volumes", volume,
                         "a replica set of %d bricks needs a multiple of %d GlusterFS nodes (one brick per node), but %s has %d"
                         % (set_size, set_size, GROUP_GLUSTER, len(nodes)),
                         "put %s hosts in %s, or change the replica count" % (" or ".join(map(str, sizes)), GROUP_GLUSTER))

    def _check_release(self) -> None:
        release = self.var("all", self.cluster, "cluster_release")
        if release is MISSING:
            return
        if not isinstance(release, Mapping):
            self.add("all", "cluster_release", release, "must be a mapping of component versions, got %s" % type_name(release),
                     "write it as in %s" % SAMPLE)
            return
        known = RELEASE_REQUIRED + RELEASE_OPTIONAL
        unknown = [key for key in release if key not in known]
        checked: dict = {}  # values that passed their format check: what the matrix judges
        for key in RELEASE_REQUIRED:
            name = "cluster_release.%s" % key
            if key not in release:
                twin = next((k for k in unknown if _closest(str(k), (key,), 0.8)), None)
                if twin is None:
                    self.add("all", name, MISSING, "the release bundle must pin %s" % key, "add %s to cluster_release" % key)
                continue
            value = release[key]
            if key == "os":
                usable = self._check_os_list(name, value)
                if usable:
                    checked[key] = usable
            elif key == "kubespray":
                if self._check_version(name, value, _TAG_RE, "a Kubespray release tag such as 'v2.31.0'"):
                    checked[key] = value
            elif self._check_version(name, value, _SEMVER_RE, "an exact version without a leading v, such as '1.35.4'"):
                checked[key] = value
        for key in RELEASE_OPTIONAL:
            if key in release and self._check_version("cluster_release.%s" % key, release[key], _COMPONENT_VERSION_RE,
                                                      "an exact version string"):
                checked[key] = release[key]
        conflicts = self._release_conflicts(release, checked, unknown)
        for key in unknown:
            self._unknown_release_key(release, key, known, [c for c in conflicts if c["component"] == key])
        reported: set = set()
        for conflict in conflicts:
            if conflict["component"] in unknown:
                continue
            component = conflict["component"]
            value = release[component] if component in release and component != "os" else conflict["value"]
            problem = _conflict_problem(conflict)
            if (component, problem) not in reported:
                reported.add((component, problem))
                self.add("all", "cluster_release.%s" % component, value, problem, conflict["fix"])

    def _release_conflicts(self, release: Mapping, checked: dict, unknown: list) -> list:
        """The bundle against compatibility/matrix.yml: the rules preflight's version_check runs, minus the
        versions found on hosts. Runs once kubespray and kubernetes are well written (the rest of the
        bundle is judged from them); a value with a format defect is left out, so it is reported once."""
        if "kubespray" not in checked or "kubernetes" not in checked:
            return []
        matrix = self.model.get("matrix")
        if not isinstance(matrix, Mapping):
            try:
                matrix = _default_matrix()
            except version_matrix.MatrixError as exc:
                self.add("validation", "compatibility matrix", version_matrix.DEFAULT_MATRIX,
                         "the release bundle cannot be checked: %s" % _one_line(str(exc), 400),
                         "restore compatibility/matrix.yml from the repository")
                return []
        wanted = dict(checked)
        # Keys outside the bundle that a matrix rule still judges (container_runtime: docker): the
        # verdict is added to the unknown-key defect, so the person learns both facts at once.
        wanted.update({key: release[key] for key in unknown if key in version_matrix.BUNDLE_KEYS})
        return version_matrix.evaluate(dict(matrix), wanted)

    def _unknown_release_key(self, release: Mapping, key: Any, known: tuple, conflicts: list) -> None:
        """A key no layer reads: silently ignored otherwise, whatever it says."""
        name = "cluster_release.%s" % key
        twin = _closest(str(key), known, 0.8)
        if twin and twin not in release and not conflicts:
            self.add("all", name, release[key], "is not a component of the release bundle", "rename it to %s" % twin)
            return
        closest = twin or _closest(str(key), known, 0.6)
        problem = "is not a component of the release bundle, so nothing reads it"
        if closest:
            problem += " (the closest known key is %s%s)" % (closest, ", which is set as well" if closest in release else "")
        fix = "remove %s (the components are %s)" % (key, ", ".join(known))
        if closest and closest not in release:
            fix = "rename it to %s, or remove it" % closest
        for conflict in conflicts:
            problem += "; and %s = %s breaks a rule: %s" % (key, show(release[key]), _conflict_problem(conflict))
            fix = "remove %s and %s" % (key, conflict["fix"])
        self.add("all", name, release[key], problem, fix)

    def _check_version(self, name: str, value: Any, pattern: re.Pattern, what: str) -> bool:
        """True when the version is well written; otherwise report it."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.add("all", name, value, "YAML read the version as a number, which drops digits such as a trailing 0",
                     "write %s, in quotes if YAML could read it as a number" % what)
            return False
        if not isinstance(value, str) or not pattern.match(value):
            fix = "write %s" % what
            if isinstance(value, str) and pattern is _SEMVER_RE and _SEMVER_RE.match(value.lstrip("vV")):
                fix = "write '%s' (Kubespray 2.29 and later take versions without the v)" % value.lstrip("vV")
            elif isinstance(value, str) and pattern is _TAG_RE and _SEMVER_RE.match(value):
                fix = "write 'v%s' (the Kubespray git tag)" % value
            self.add("all", name, value, "is not %s" % what, fix)
            return False
        return True

    def _check_os_list(self, name: str, value: Any) -> list:
        """The supported entries of the OS list (the others are reported)."""
        if isinstance(value, str):
            self.add("all", name, value, "must be a list", "write [%s]" % value)
            return []
        if not isinstance(value, (list, tuple)) or not value:
            self.add("all", name, value, "must be a non-empty list of operating systems",
                     "write e.g. [ubuntu-24.04]")
            return []
        usable = []
        for item in value:
            if item not in SUPPORTED_OS:
                twin = _closest(str(item).lower(), SUPPORTED_OS, 0.6)
                self.add("all", name, item, "is not a supported node OS (%s)" % ", ".join(SUPPORTED_OS),
                         "write %s" % twin if twin else "use one of %s" % ", ".join(SUPPORTED_OS))
            else:
                usable.append(item)
        return usable

    def _check_typos(self) -> None:
        """Variables that look like a misspelt model variable are defects."""
        found: dict = {}
        for host in self.all_hosts:
            for name in self.varnames.get(host, []) or []:
                if name in CLUSTER_VARS or name in NODE_VARS or name in self.consumed_typos:
                    continue
                if name.startswith("cluster_"):
                    twin = _closest(name, CLUSTER_VARS, 0.85)
                elif name.startswith("node_"):
                    twin = _closest(name, NODE_VARS, 0.85)
                else:
                    twin = None
                if twin:
                    found.setdefault((name, twin), []).append(host)
        for (name, twin), hosts in found.items():
            value = self.hostvars.get(hosts[0], {}).get(name, MISSING)
            where = "all" if set(hosts) >= set(self.nodes) else "host %s" % ", ".join(hosts)
            self.add(where, name, value, "is not a variable of the model; it looks like a misspelling of %s" % twin,
                     "rename %s to %s (or remove it)" % (name, twin))


def _conflict_problem(conflict: Mapping) -> str:
    """A version_matrix conflict as the problem part of a Defect: the rule, what it allows, its source."""
    text = "%s: expected %s (rule %s in compatibility/matrix.yml%s)" % (
        version_matrix.RULES[conflict["rule"]], conflict["expected"], conflict["rule"],
        "; source: %s" % conflict["source"] if conflict["source"] else "")
    if conflict["message"].endswith("[source not verified]"):
        text += " [source not verified]"
    return text


_MATRIX_CACHE: dict = {}


def _default_matrix() -> dict:
    """compatibility/matrix.yml, read once per change of the file (validate runs often in tests)."""
    path = version_matrix.DEFAULT_MATRIX
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = None
    if _MATRIX_CACHE.get("stamp") != (path, stamp) or "matrix" not in _MATRIX_CACHE:
        _MATRIX_CACHE.clear()
        _MATRIX_CACHE["matrix"] = version_matrix.load_matrix(path)
        _MATRIX_CACHE["stamp"] = (path, stamp)
    return _MATRIX_CACHE["matrix"]


def _cidr_fix(text: Any, example: str) -> str:
    """The fix for a CIDR that parse_cidr rejected."""
    if isinstance(text, str) and "/" in text:
        address, _, prefix = text.partition("/")
        if parse_ipv4(address) is not None and re.match(r"^\d{1,2}$", prefix) and int(prefix) <= 32:
            return "write %s" % netaddr.IPNetwork("%s/%s" % (address, int(prefix))).cidr
    return "write it as address/prefix, e.g. %s" % example


def _as_tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def validate(model: Any) -> list[Defect]:
    """Every defect of the cluster description; never raises."""
    validator = _Validator(model)
    try:
        return validator.run()
    except Exception as exc:  # the last line of defence: never a traceback
        validator.add("validation", "model", _one_line("%s: %s" % (type(exc).__name__, exc)),
                      "internal error", "report this as a bug of plugins/module_utils/cluster_model.py, with the inventory")
        return validator.defects


# --------------------------------------------------------------------------
# Proxy and CA bundle
# --------------------------------------------------------------------------


def proxy_url_problem(url: str) -> str:
    """Why a proxy URL would not work, or '' when it parses."""
    if url != url.strip() or any(c.isspace() for c in url):
        return "contains spaces"
    if "://" not in url:
        return "has no scheme (http://)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return "does not parse as a URL (%s)" % exc
    if parts.scheme not in ("http", "https"):
        return "scheme %s is not supported by apt, containerd and curl alike; use http" % show(parts.scheme)
    if not parts.hostname or not _is_host(parts.hostname):
        return "has no valid proxy host name"
    if port is None and parts.netloc.endswith(":"):
        return "has an empty port"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must not have a path, query or fragment"
    return ""


def no_proxy_entry_problem(entry: str) -> str:
    """Why a no_proxy entry is not usable, or '' when it is."""
    if not entry or any(c.isspace() for c in entry) or "," in entry:
        return "one entry per list item, without spaces or commas"
    if entry == "*":
        return "'*' turns the proxy off for every host"
    if _classify(entry) is None:
        return "is not a host name, .domain, IPv4 address or CIDR"
    return ""


def ca_bundle_problems(path: str) -> list[tuple[str, str]]:
    """(problem, fix) pairs for a CA bundle file; empty when it is usable."""
    fix_path = "put the corporate CA bundle (PEM) at this path, relative to the inventory directory, or write \"\""
    if not os.path.exists(path):
        return [("the file does not exist (looked for %s)" % path, fix_path)]
    if not os.path.isfile(path):
        return [("is not a regular file (%s)" % path, fix_path)]
    try:
        with open(path, "rb") as handle:
            data = handle.read(8 * 1024 * 1024 + 1)
    except OSError as exc:
        return [("cannot be read: %s" % exc.strerror, "make the file readable by the user running ansible-playbook")]
    if len(data) > 8 * 1024 * 1024:
        return [("is larger than 8 MB, which is not a CA bundle", fix_path)]
    if b"PRIVATE KEY-----" in data:
        return [("contains a PRIVATE KEY; a CA bundle holds only certificates", "remove the key from the file and keep it secret")]
    blocks = _PEM_CERT_RE.findall(data)
    if not blocks:
        if data[:1] == b"\x30":
            return [("is DER, not PEM", "convert it: openssl x509 -inform der -in FILE -out FILE.pem")]
        return [("is not PEM: it has no -----BEGIN CERTIFICATE----- block", fix_path)]
    problems = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for number, block in enumerate(blocks, start=1):
        try:
            der = base64.b64decode(b"".join(block.split()), validate=True)
        except (binascii.Error, ValueError):
            problems.append(("certificate %d of the bundle is not valid base64" % number, "export the certificate again"))
            continue
        problems.extend(_certificate_problems(number, der, now))
    return problems


def _certificate_problems(number: int, der: bytes, now: datetime.datetime) -> list[tuple[str, str]]:
    try:
        from cryptography import x509  # ansible-core depends on it on the controller
    except ImportError:  # pragma: no cover - without it only the PEM armour is checked
        return []
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return [("certificate %d of the bundle is not an X.509 certificate" % number, "export the certificate again")]
    subject = cert.subject.rfc4514_string() or "(empty subject)"
    if cert.not_valid_after_utc < now:
        return [("certificate %d (%s) expired on %s" % (number, subject, cert.not_valid_after_utc.date()),
                 "get the current CA certificate from the PKI team")]
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        return [("certificate %d (%s) is not a CA certificate" % (number, subject),
                 "export the issuing root/intermediate CA, not a server certificate")]
    return []


# --------------------------------------------------------------------------
# Inventory files: duplicate host entries that Ansible merges silently
# --------------------------------------------------------------------------


def source_defects(sources: Any, known_hosts: set | None = None) -> list[Defect]:
    """Defects visible only in the YAML inventory files themselves.

    * a key written twice in one mapping (YAML keeps the last one silently);
    * one host name defined in two places with different host variables
      (a copied block not renamed: Ansible merges both into one host).
    """
    defects: list[Defect] = []
    for path in _yaml_sources(sources):
        try:
            duplicates, data = _load_yaml_with_duplicates(path)
        except Exception:  # Ansible has already reported a file it cannot parse
            continue
        label = _display_path(path)
        for key, first, second in duplicates:
            host = key if known_hosts and key in known_hosts else None
            defects.append(Defect(
                "host %s" % host if host else "inventory file",
                "%s line %d" % (label, second), key,
                "repeats the key of line %d in the same mapping; YAML keeps only the last one, so the first is lost" % first,
                "rename one of the two entries (every VM needs its own name) or delete the duplicate"))
        definitions: dict = {}
        if isinstance(data, Mapping):
            for group, body in data.items():
                _collect_host_definitions(str(group), body, definitions, 0)
        for host, entries in definitions.items():
            for index, (group, host_vars) in enumerate(entries):
                for other_group, other_vars in entries[:index]:
                    differ = [n for n in host_vars if n in other_vars and _canonical(other_vars[n]) != _canonical(host_vars[n])]
                    if not differ:
                        continue
                    name = differ[0]
                    defects.append(Defect(
                        "host %s" % host, name, host_vars[name],
                        "%s defines host %s under %s and again under %s with other values (%s = %s under %s%s); "
                        "Ansible merges both into one host and silently keeps one value of each"
                        % (label, host, other_group, group, name, show(other_vars[name]), other_group,
                           ", and %s differ too" % ", ".join(differ[1:]) if differ[1:] else ""),
                        "give the second VM its own name, or remove the duplicate definition"))
                    break
    return defects


def _yaml_sources(sources: Any) -> list[str]:
    files: list[str] = []
    for source in sources if isinstance(sources, (list, tuple)) else []:
        if not isinstance(source, str):
            continue
        if os.path.isdir(source):
            for name in sorted(os.listdir(source)):
                full = os.path.join(source, name)
                if os.path.isfile(full) and name.endswith((".yml", ".yaml")) and not name.startswith("."):
                    files.append(full)
        elif os.path.isfile(source) and source.endswith((".yml", ".yaml")):
            files.append(source)
    return files


def _display_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _load_yaml_with_duplicates(path: str) -> tuple[list, Any]:
    import yaml  # PyYAML, an ansible-core dependency; only the controller runs this

    duplicates: list = []

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                duplicates.append((key, seen[key], line))
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def construct_tagged(loader, _suffix, node):  # !unsafe, !vault: keep the text
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return construct_mapping(loader, node, deep=True)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_multi_constructor("!", construct_tagged)
    with open(path, "rb") as handle:
        data = yaml.load(handle, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    return duplicates, data


def _collect_host_definitions(group: str, body: Any, definitions: dict, depth: int) -> None:
    if depth > 50 or not isinstance(body, Mapping):
        return
    hosts = body.get("hosts")
    if isinstance(hosts, Mapping):
        for host, host_vars in hosts.items():
            if isinstance(host_vars, Mapping) and host_vars:
                definitions.setdefault(str(host), []).append((group, dict(host_vars)))
    children = body.get("children")
    if isinstance(children, Mapping):
        for child, child_body in children.items():
            _collect_host_definitions(str(child), child_body, definitions, depth + 1)


# --------------------------------------------------------------------------
# no_proxy
# --------------------------------------------------------------------------


def _classify(entry: str) -> tuple[str, Any] | None:
    """('ip'|'cidr'|'domain'|'host', normalised value) or None when not usable."""
    if "/" in entry:
        network, _ = parse_cidr(entry)
        if network is None:  # IPv6, or an IPv4 network written with host bits
            address_text, _, prefix = entry.partition("/")
            try:
                address = netaddr.IPAddress(address_text, flags=netaddr.INET_PTON)
            except (netaddr.AddrFormatError, ValueError, TypeError):
                return None
            if not prefix.isdigit() or int(prefix) > (32 if address.version == 4 else 128):
                return None
            network = netaddr.IPNetwork("%s/%d" % (address, int(prefix))).cidr
        if network.size == 1:
            return ("ip", network.ip)
        return ("cidr", network.cidr)
    address = parse_ipv4(entry)
    if address is None:
        try:
            address = netaddr.IPAddress(entry, flags=netaddr.INET_PTON)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            address = None
    if address is not None:
        return ("ip", address)
    text = entry.lower()
    if text.startswith("*."):
        text = text[1:]
    if text.startswith("."):
        return ("domain", text) if is_domain(text[1:]) else None
    return ("host", text) if is_domain(text) else None


def no_proxy(model: Any, extra: Any = None, compact: bool = False) -> list[str]:
    """The no_proxy list of the cluster, merged and de-duplicated.

    Contains localhost, every node's address, short name and FQDN, the node
    subnet, the service and pod CIDRs, ``.svc`` and the cluster DNS domain,
    the API endpoint (address and FQDN), and ``cluster_no_proxy_extra`` plus
    ``extra``. CIDRs are merged with netaddr. Addresses and names covered by a
    CIDR or ``.domain`` entry are kept unless ``compact`` is true, because
    older tools (curl before 7.86, wget, Python's urllib, Java) ignore CIDRs.
    Invalid values are skipped here: :func:`validate` reports them.
    """
    validator = _Validator(model)
    try:
        validator._collect_cluster_values()
    except Exception:  # an unusable model yields the fixed entries only
        pass
    cluster = validator.cluster
    domain = cluster.get("cluster_domain")
    dns_domain = cluster.get("cluster_dns_domain")
    entries: list = ["localhost", "127.0.0.1", "::1"]
    for host in validator.nodes:
        values = validator.hostvars.get(host, {})
        if isinstance(values.get("node_ip"), str):
            entries.append(values["node_ip"])
        entries.append(host)
        if isinstance(domain, str) and is_domain(domain):
            entries.append("%s.%s" % (host, domain))
    for name in ("cluster_subnet", "cluster_service_cidr", "cluster_pod_cidr", "cluster_api_address", "cluster_api_fqdn"):
        if isinstance(cluster.get(name), str):
            entries.append(cluster[name])
    entries.append(".svc")
    if isinstance(dns_domain, str) and is_domain(dns_domain):
        entries.append("." + dns_domain)
    for more in (cluster.get("cluster_no_proxy_extra"), extra):
        if isinstance(more, str):
            more = more.split(",")
        if isinstance(more, (list, tuple)):
            entries.extend(str(item).strip() for item in more if isinstance(item, (str, int)))
    return merge_no_proxy(entries, compact=compact)


def merge_no_proxy(entries: Any, compact: bool = False) -> list[str]:
    """Normalise, merge (netaddr.cidr_merge) and de-duplicate no_proxy entries.

    Order: names first (localhost, hosts, .domains, in order of appearance),
    then addresses and CIDRs sorted numerically.
    """
    names: list = []
    addresses: list = []
    networks: list = []
    for entry in entries if isinstance(entries, (list, tuple)) else []:
        if not isinstance(entry, str) or not entry or no_proxy_entry_problem(entry):
            continue
        kind, value = _classify(entry)
        if kind == "ip":
            addresses.append(value)
        elif kind == "cidr":
            networks.append(value)
        elif value not in names:
            names.append(value)
    merged = netaddr.cidr_merge(networks)
    if compact:
        domains = [n for n in names if n.startswith(".")]
        names = [n for n in names if n.startswith(".") or not any(n.endswith(d) for d in domains)]
        addresses = [a for a in addresses if not any(a in net for net in merged if net.version == a.version)]
    unique_addresses = sorted(set(addresses), key=lambda a: (a.version, int(a)))
    return names + [str(a) for a in unique_addresses] + [str(n) for n in sorted(merged, key=lambda n: (n.version, n.first, n.prefixlen))]
