# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster description as a Kubespray v2.31.0 inventory (issue 14, item 1).

Pure functions, free of Ansible imports: plain pytest covers them and the
filter ``plugins/filter/kubespray.py`` stays a thin wrapper.

* :func:`description_from_hostvars` reads what the mapping needs from
  Ansible's ``hostvars`` and ``groups`` (a value encrypted with
  ``ansible-vault encrypt_string`` stays encrypted, as :class:`Vaulted`).
* :func:`description_problems` checks the description keys this mapping
  adds to the model (``cluster_mirror``, ``cluster_drain``,
  ``cluster_api_loadbalancer``); :func:`secret_problems` refuses a secret it
  would have to write in clear. Each problem names the variable and the fix.
* :func:`generate` maps the description to the inventory as data: the
  groups and hosts, and one list of :class:`Var` per group_vars file, each
  variable paired with the description key it comes from.
* :func:`render` writes that data as YAML files (hosts.yml, group_vars/...,
  extra-vars.yml), a comment above each variable naming its source key.

Why a generated inventory and not our own: Kubespray's defaults must not mix
with ours (``cluster_name`` is a variable of both, and Kubespray's
``dns_domain`` defaults to its ``cluster_name``), so Kubespray runs with this
inventory alone and every name it shares with us is set explicitly here.
Booleans are written as YAML booleans: Kubespray reads the string "false" as
true in a ``when:``.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import proxy_url
from .cluster_formats import closest, parse_cidr, parse_ipv4
from .cluster_values import MISSING, Defect

KUBESPRAY_VERSION = "v2.31.0"

# Kubespray's groups, in the order of its sample inventory; k8s_cluster is
# written as the parent of kube_control_plane and kube_node, as Kubespray's
# sample does. Only hosts of these groups are written: Kubespray must never
# reach the Hyper-V hosts, the GlusterFS nodes or Nexus.
HOST_GROUPS = ("kube_control_plane", "etcd", "kube_node")
# etcd's plain-HTTP metrics listener (Kubespray's etcd.env.j2 reads
# etcd_metrics_port); roles/monitoring scrapes it (monitoring_etcd_metrics_port).
ETCD_METRICS_PORT = 2381
K8S_CHILDREN = ("kube_control_plane", "kube_node")

# Ansible's connection variables the project sets for the nodes
# (group_vars/all/connection.yml): Kubespray must reach the nodes the same way,
# with the same host-key checking. Secrets (ansible_password...) are never copied.
CONNECTION_VARS = ("ansible_user", "ansible_port", "ansible_ssh_private_key_file", "ansible_ssh_common_args")

# Defaults when the description leaves cluster_drain out: Kubespray v2.31.0's
# own (roles/upgrade/pre-upgrade/defaults/main.yml), written explicitly.
# The one definition of cluster_drain: the upgrade and remove-node plays
# (module_utils/upgrade_plan.py) take their Kubespray variables from here too.
DRAIN_DEFAULTS = {"grace_period_seconds": 300, "timeout_seconds": 360, "retries": 3, "retry_delay_seconds": 10,
                  "fail_if_drain_fails": True, "uncordon_after_drain_failure": True}
DRAIN_VARS = {"grace_period_seconds": "drain_grace_period", "timeout_seconds": "drain_timeout",
              "retries": "drain_retries", "retry_delay_seconds": "drain_retry_delay_seconds",
              "fail_if_drain_fails": "upgrade_node_fail_if_drain_fails",
              "uncordon_after_drain_failure": "upgrade_node_uncordon_after_drain_failure"}
DRAIN_BOOLEANS = ("fail_if_drain_fails", "uncordon_after_drain_failure")
DRAIN_DOC = {
    "grace_period_seconds": "seconds each pod gets to stop (kubectl drain --grace-period)",
    "timeout_seconds": "seconds before a drain gives up (kubectl drain --timeout); longer than grace_period_seconds",
    "retries": "how often a failed drain is tried again (0 or more)",
    "retry_delay_seconds": "seconds between those tries",
    "fail_if_drain_fails": "true: a drain that fails stops the upgrade of that node (uncordoned, left as it was)",
    "uncordon_after_drain_failure": "true: a node whose drain failed is made schedulable again",
}
# The registries containerd sends to the mirror: the docker proxies of the
# Nexus layer (issue 16), behind one group.
MIRROR_REGISTRIES_DEFAULT = ("registry.k8s.io", "docker.io", "quay.io", "ghcr.io", "nvcr.io")
MIRROR_KEYS = {
    "files_url": "the raw repository laid out as Kubespray's files_repo (https://nexus.example.com/repository/kubespray-files)",
    "registry": "the docker group's host:port, without https:// (nexus.example.com:8443)",
    "registries": "the upstream registries containerd pulls through the mirror (default %s)" % ", ".join(MIRROR_REGISTRIES_DEFAULT),
    # Optional (issue 16, item 4): node prep's apt sources and the charts' helm repositories.
    "apt_url": "the apt proxy of Ubuntu's archive (https://nexus.example.com/repository/ubuntu)",
    "helm_url": "where the helm proxies are, each chart's as <helm_url>/<proxy> (https://nexus.example.com/repository)",
}
MIRROR_OPTIONAL_URLS = ("apt_url", "helm_url")
# Where containerd finds an upstream registry when the mirror does not answer
# (hosts.toml "server"); docker.io's registry is not at docker.io.
REGISTRY_SERVERS = {"docker.io": "https://registry-1.docker.io"}
API_LOADBALANCERS = ("kube-vip", "external")
# The trust store node_proxy rebuilds with the corporate CA (update-ca-certificates
# on Debian and Ubuntu, the only node systems of the model): it holds the
# public roots too, so pointing a tool at it adds the CA without dropping them.
NODE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# Every file Kubespray v2.31.0 downloads with this configuration (calico,
# containerd, etcd on the hosts), as Kubespray's sample offline.yml writes the
# override: files_repo + the upstream host and path. Checked against
# ../shared/upstream/kubespray-v2.31.0/offline-downloads.tsv by the contract tests.
FILE_DOWNLOADS = (
    ("kubeadm_download_url", "{{ files_repo }}/dl.k8s.io/release/v{{ kube_version }}/bin/linux/{{ image_arch }}/kubeadm"),
    ("kubectl_download_url", "{{ files_repo }}/dl.k8s.io/release/v{{ kube_version }}/bin/linux/{{ image_arch }}/kubectl"),
    ("kubelet_download_url", "{{ files_repo }}/dl.k8s.io/release/v{{ kube_version }}/bin/linux/{{ image_arch }}/kubelet"),
    ("etcd_download_url",
     "{{ files_repo }}/github.com/etcd-io/etcd/releases/download/v{{ etcd_version }}/etcd-v{{ etcd_version }}-linux-{{ image_arch }}.tar.gz"),
    ("cni_download_url",
     "{{ files_repo }}/github.com/containernetworking/plugins/releases/download/v{{ cni_version }}/"
     "cni-plugins-linux-{{ image_arch }}-v{{ cni_version }}.tgz"),
    ("crictl_download_url",
     "{{ files_repo }}/github.com/kubernetes-sigs/cri-tools/releases/download/v{{ crictl_version }}/"
     "crictl-v{{ crictl_version }}-{{ ansible_system | lower }}-{{ image_arch }}.tar.gz"),
    ("runc_download_url", "{{ files_repo }}/github.com/opencontainers/runc/releases/download/v{{ runc_version }}/runc.{{ image_arch }}"),
    ("containerd_download_url",
     "{{ files_repo }}/github.com/containerd/containerd/releases/download/v{{ containerd_version }}/"
     "containerd-{{ 'static-' if containerd_static_binary else '' }}{{ containerd_version }}-linux-{{ image_arch }}.tar.gz"),
    ("nerdctl_download_url",
     "{{ files_repo }}/github.com/containerd/nerdctl/releases/download/v{{ nerdctl_version }}/"
     "nerdctl-{{ nerdctl_version }}-{{ ansible_system | lower }}-{{ image_arch }}.tar.gz"),
    ("calicoctl_download_url",
     "{{ files_repo }}/github.com/projectcalico/calico/releases/download/v{{ calico_ctl_version }}/calicoctl-linux-{{ image_arch }}"),
    ("calico_crds_download_url", "{{ files_repo }}/github.com/projectcalico/calico/raw/v{{ calico_version }}/manifests/crds.yaml"),
)
# The hosts Kubespray downloads any other file from (roles/kubespray_defaults/
# defaults/main/download.yml): pointed at the mirror too, so a file this list
# does not name (helm, when enabled) still never goes to the internet.
FILE_BASES = (
    ("github_url", "{{ files_repo }}/github.com"),
    ("dl_k8s_io_url", "{{ files_repo }}/dl.k8s.io"),
    ("storage_googleapis_url", "{{ files_repo }}/storage.googleapis.com"),
    ("get_helm_url", "{{ files_repo }}/get.helm.sh"),
)
# The upstream registries of Kubespray's images; kubeadm builds the control
# plane's image names from kube_image_repo.
IMAGE_BASES = ("kube_image_repo", "gcr_image_repo", "github_image_repo", "docker_image_repo", "quay_image_repo")
# Every image Kubespray pulls with this configuration, named explicitly so the
# artifact shows where each comes from (checked against offline-downloads.tsv);
# the path under registry_host is the upstream path, as Kubespray's offline
# docs lay out the registry.
IMAGES = (
    ("calico_node_image_repo", "calico/node"),
    ("calico_cni_image_repo", "calico/cni"),
    ("calico_policy_image_repo", "calico/kube-controllers"),
    ("pod_infra_image_repo", "pause"),
    ("coredns_image_repo", "coredns/coredns"),
    ("nodelocaldns_image_repo", "dns/k8s-dns-node-cache"),
    ("dnsautoscaler_image_repo", "cpa/cluster-proportional-autoscaler"),
    ("nginx_image_repo", "library/nginx"),
    ("kube_vip_image_repo", "kube-vip/kube-vip"),
)

_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_PERCENT_RE = re.compile(r"^(\d+)%$")


@dataclass(frozen=True)
class Vaulted:
    """A value encrypted with ansible-vault encrypt_string: only its ciphertext is handled."""

    ciphertext: str

    def __str__(self) -> str:
        return "(vault-encrypted)"


@dataclass(frozen=True)
class Var:
    """One generated Kubespray variable and the description key it comes from."""

    name: str
    value: Any
    source: str


@dataclass
class Inventory:
    """The generated inventory as data (see :func:`render` for the files)."""

    hosts: dict = field(default_factory=dict)          # host: [Var] (ansible_host, ip, access_ip)
    connection: list = field(default_factory=list)     # [Var] for all.vars
    groups: dict = field(default_factory=dict)         # group: [host]
    group_vars: dict = field(default_factory=dict)     # "group_vars/all/all.yml": [Var]
    extra_vars: list = field(default_factory=list)     # [Var] play keywords (serial): -e @extra-vars.yml
    problems: list = field(default_factory=list)

    def variables(self) -> dict:
        """{name: value} of every generated group variable and extra variable."""
        out: dict = {}
        for variables in list(self.group_vars.values()) + [self.extra_vars, self.connection]:
            for var in variables:
                out[var.name] = var.value
        return out


# --------------------------------------------------------------------------
# From Ansible's hostvars
# --------------------------------------------------------------------------


def _plain(value: Any, depth: int = 0) -> Any:
    """Plain Python types; a vault-encrypted string stays encrypted (Vaulted)."""
    if depth > 50:
        return None
    ciphertext = getattr(value, "_ciphertext", None)
    if ciphertext is not None:  # AnsibleVaultEncryptedUnicode, read without importing Ansible
        return Vaulted(ciphertext.decode("ascii") if isinstance(ciphertext, bytes) else str(ciphertext))
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    return str(value)


def _wanted(name: str) -> bool:
    return name.startswith(("node_", "cluster_")) or name in CONNECTION_VARS or name in ("inventory_dir", "kube_network_node_prefix")


def description_from_hostvars(hostvars: Any, groups: Any) -> dict:
    """{groups, hostvars} with what the mapping reads (node_*, cluster_*, connection variables).

    Reads raw values first so that an encrypted string is seen before Ansible
    templating decrypts it; everything else is read templated, as a play sees it.
    """
    description: dict = {"groups": {}, "hostvars": {}}
    for group, hosts in (groups or {}).items():
        if isinstance(hosts, (list, tuple)):
            description["groups"][str(group)] = [str(h) for h in hosts]
    for host in description["groups"].get("all", []):
        host_vars = hostvars[host]
        raw = getattr(host_vars, "_vars", None)  # HostVarsVars keeps the untemplated values here
        values: dict = {}
        for name in list(host_vars.keys()):
            if not _wanted(str(name)):
                continue
            raw_value = raw.get(name) if isinstance(raw, Mapping) else None
            if getattr(raw_value, "_ciphertext", None) is not None:
                values[str(name)] = _plain(raw_value)
                continue
            try:
                values[str(name)] = _plain(host_vars[name])
            except Exception:  # noqa: BLE001 - an expression that fails: the inventory validation names it
                continue
        description["hostvars"][host] = values
    return description


# --------------------------------------------------------------------------
# Reading the description
# --------------------------------------------------------------------------


def _hosts_of(description: Mapping, group: str) -> list:
    return list((description.get("groups") or {}).get(group, []))


def _nodes(description: Mapping) -> list:
    """Hosts of Kubespray's groups, in inventory order."""
    members = set()
    for group in HOST_GROUPS:
        members.update(_hosts_of(description, group))
    order = _hosts_of(description, "all") or sorted(members)
    return [h for h in order if h in members]


def _hostvars(description: Mapping, host: str) -> Mapping:
    return (description.get("hostvars") or {}).get(host) or {}


def cluster_value(description: Mapping, name: str) -> Any:
    """A cluster-wide value, read from the first node that has it (the validation keeps them equal)."""
    for host in _nodes(description) or _hosts_of(description, "all"):
        values = _hostvars(description, host)
        if name in values:
            return values[name]
    return MISSING


def _problem(variable: str, value: Any, problem: str, fix: str) -> Defect:
    """A defect of the inventory validation (cluster_model.validate reports it)."""
    return Defect("all", variable, value, problem, fix)


def _subnet(description: Mapping):
    return parse_cidr(cluster_value(description, "cluster_subnet"))[0]


def api_mode(description: Mapping) -> tuple[str, str]:
    """(mode, why): "node" (the one control-plane node's own address), "kube-vip" or "external".

    Without cluster_api_loadbalancer the mode follows the sample's documented
    meaning: a free address of cluster_subnet is a VIP (kube-vip), an address
    outside it is an external load balancer.
    """
    address = cluster_value(description, "cluster_api_address")
    for host in _hosts_of(description, "kube_control_plane"):
        if _hostvars(description, host).get("node_ip") == address:
            return "node", "the address of control-plane node %s, no load balancer" % host
    chosen = cluster_value(description, "cluster_api_loadbalancer")
    if chosen in API_LOADBALANCERS:
        return chosen, "cluster_api_loadbalancer is %s" % chosen
    subnet, ip = _subnet(description), parse_ipv4(address)
    if subnet is not None and ip is not None and ip in subnet:
        return "kube-vip", "a free address of cluster_subnet and cluster_api_loadbalancer unset, so a VIP held by kube-vip"
    return "external", "outside cluster_subnet and cluster_api_loadbalancer unset, so an external load balancer"


def drain_settings(description: Mapping) -> tuple[dict, set]:
    """(settings over DRAIN_DEFAULTS, the keys the description set)."""
    drain = cluster_value(description, "cluster_drain")
    given = dict(drain) if isinstance(drain, Mapping) else {}
    return dict(DRAIN_DEFAULTS, **{k: v for k, v in given.items() if k in DRAIN_DEFAULTS}), set(given)


def drain_vars(drain: Any) -> dict:
    """Kubespray's drain variables from a cluster_drain value (over DRAIN_DEFAULTS)."""
    given = dict(drain) if isinstance(drain, Mapping) else {}
    settings = dict(DRAIN_DEFAULTS, **{k: v for k, v in given.items() if k in DRAIN_DEFAULTS})
    return {DRAIN_VARS[key]: ("%ds" % value if key == "timeout_seconds" else value) for key, value in settings.items()}


def drain_problems(drain: Any) -> list:
    """Problems of a cluster_drain value, as the validation's messages (MISSING/None: none)."""
    return [] if drain is None else [str(defect) for defect in _drain_problems(drain)]


def mirror_settings(description: Mapping) -> dict:
    """cluster_mirror with its defaults, or {} when no mirror is configured."""
    mirror = cluster_value(description, "cluster_mirror")
    if not isinstance(mirror, Mapping) or not mirror:
        return {}
    settings = dict(mirror)
    settings.setdefault("registries", list(MIRROR_REGISTRIES_DEFAULT))
    return settings


def mirror_hosts(description: Mapping) -> list:
    """The mirror's host names (files, apt, helm and registry), for additional_no_proxy."""
    mirror = mirror_settings(description)
    hosts = []
    for key in ("files_url",) + MIRROR_OPTIONAL_URLS:
        url = mirror.get(key)
        if isinstance(url, str):
            try:
                hosts.append(urlsplit(url).hostname or "")
            except ValueError:
                pass
    registry = mirror.get("registry")
    if isinstance(registry, str):
        hosts.append(registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry)
    return [h for h in dict.fromkeys(hosts) if h]


# --------------------------------------------------------------------------
# Validation of the keys this mapping adds (hook: cluster_model.validate)
# --------------------------------------------------------------------------


def description_problems(description: Mapping) -> list:
    """Problems of the keys this mapping adds, as the validation's messages."""
    return [str(defect) for defect in description_defects(description)]


def description_defects(description: Mapping) -> list:
    """Defects of the keys this mapping adds: cluster_mirror, cluster_drain, cluster_api_loadbalancer.

    Each names the variable, its value (passwords masked) and the fix; the
    inventory validation (cluster_model.validate) reports them with its own.
    ``description`` is {groups, hostvars}: cluster_model's model works too.
    """
    problems: list = []
    problems += _mirror_problems(cluster_value(description, "cluster_mirror"))
    problems += _drain_problems(cluster_value(description, "cluster_drain"))
    problems += _api_problems(description)
    return problems


def secret_problems(description: Mapping) -> list:
    """A proxy password in clear, which the generated inventory would have to hold in clear: refused.

    Needs the description read by :func:`description_from_hostvars` (a model
    built from templated hostvars holds vault values decrypted, which would
    look like passwords in clear).
    """
    return [str(defect) for defect in _secret_problems(description)]


def _mirror_problems(mirror: Any) -> list:
    if mirror is MISSING or mirror == {}:
        return []
    example = "{files_url: https://nexus.example.com/repository/kubespray-files, registry: nexus.example.com:8443}"
    if not isinstance(mirror, Mapping):
        return [_problem("cluster_mirror", mirror, "must be a mapping", "write e.g. %s, or remove it for no mirror" % example)]
    problems = []
    for key in mirror:
        if key not in MIRROR_KEYS:
            twin = closest(str(key), [k for k in MIRROR_KEYS if k not in mirror], 0.6)  # a key already set is not the one meant
            problems.append(_problem("cluster_mirror.%s" % key, mirror[key], "is not a key of cluster_mirror (%s)" % ", ".join(MIRROR_KEYS),
                                     "rename it to %s" % twin if twin else "remove it"))
    files = mirror.get("files_url", MISSING)
    why = _files_url_problem(files)
    if why:
        problems.append(_problem("cluster_mirror.files_url", files, why, "write %s" % MIRROR_KEYS["files_url"]))
    registry = mirror.get("registry", MISSING)
    why = _registry_problem(registry)
    if why:
        problems.append(_problem("cluster_mirror.registry", registry, why, "write %s" % MIRROR_KEYS["registry"]))
    for key in MIRROR_OPTIONAL_URLS:
        why = _files_url_problem(mirror[key]) if key in mirror else ""
        if why:
            problems.append(_problem("cluster_mirror.%s" % key, mirror[key], why.replace("every download URL", "every URL under it"),
                                     "write %s, or remove it" % MIRROR_KEYS[key]))
    registries = mirror.get("registries", MISSING)
    if registries is not MISSING:
        if not isinstance(registries, (list, tuple)) or not registries:
            problems.append(_problem("cluster_mirror.registries", registries, "must be a non-empty list of registry names",
                                     "write e.g. %s, or remove it for that default" % list(MIRROR_REGISTRIES_DEFAULT)))
        else:
            for name in registries:
                if not isinstance(name, str) or not _HOST_RE.match(name.rsplit(":", 1)[0]) or "/" in name:
                    problems.append(_problem("cluster_mirror.registries", name, "is not a registry name (host or host:port)",
                                             "write the registry as images name it, e.g. registry.k8s.io"))
            duplicates = sorted({n for n in registries if isinstance(n, str) and list(registries).count(n) > 1})
            if duplicates:
                problems.append(_problem("cluster_mirror.registries", duplicates, "is listed twice", "list each registry once"))
    return problems


def _files_url_problem(url: Any) -> str:
    if url is MISSING:
        return "is required when cluster_mirror is set (Kubespray downloads every file from it)"
    if not isinstance(url, str) or "://" not in url:
        return "must be an http:// or https:// URL"
    if proxy_url.has_credentials(url):
        return "holds credentials, which Kubespray would write into every node's download logs and task output"
    try:
        parts = urlsplit(url)
        _port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return "does not parse as a URL (%s)" % exc
    if parts.scheme not in ("http", "https") or not parts.hostname or not _HOST_RE.match(parts.hostname):
        return "must be an http:// or https:// URL with a host name or address"
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    if url.endswith("/"):
        return "ends with '/', so every download URL would hold '//'"
    return ""


def _registry_problem(registry: Any) -> str:
    if registry is MISSING:
        return "is required when cluster_mirror is set (Kubespray pulls every image from it)"
    if not isinstance(registry, str) or not registry:
        return "must be a string host:port"
    if "://" in registry:
        return "is a host:port, not a URL (Kubespray prefixes image names with it)"
    host, _sep, port = registry.partition(":")
    if "/" in registry or not _HOST_RE.match(host):
        return "is not a host name or address, optionally with :port (no path: the mirror serves /v2/ at its root)"
    if port and (not port.isdigit() or not 1 <= int(port) <= 65535):
        return "has an invalid port"
    return ""


def _drain_problems(drain: Any) -> list:
    if drain is MISSING:
        return []
    example = "{grace_period_seconds: 300, timeout_seconds: 360, fail_if_drain_fails: true}"
    if not isinstance(drain, Mapping):
        return [_problem("cluster_drain", drain, "must be a mapping", "write e.g. %s, or remove it for these defaults" % example)]
    problems = []
    for key, value in drain.items():
        name = "cluster_drain.%s" % key
        if key not in DRAIN_DEFAULTS:
            twin = closest(str(key), [k for k in DRAIN_DEFAULTS if k not in drain], 0.6)
            problems.append(_problem(name, value, "is not a key of cluster_drain (%s)" % ", ".join(DRAIN_DEFAULTS),
                                     "rename it to %s" % twin if twin else "remove it"))
        elif key in DRAIN_BOOLEANS and not isinstance(value, bool):
            problems.append(_problem(name, value, "must be a boolean (Kubespray reads the string 'false' as true)",
                                     "write true or false without quotes"))
        elif key not in DRAIN_BOOLEANS and (isinstance(value, bool) or not isinstance(value, int)
                                            or value < (0 if key == "retries" else 1)):
            problems.append(_problem(name, value, "must be a whole number%s" % (
                " of tries, 0 or more" if key == "retries" else " of seconds, 1 or more"),
                "write e.g. %s: %s without quotes or unit" % (key, DRAIN_DEFAULTS[key])))
    grace, timeout = drain.get("grace_period_seconds", 300), drain.get("timeout_seconds", 360)
    if all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (grace, timeout)) and timeout <= grace:
        problems.append(_problem("cluster_drain.timeout_seconds", timeout,
                                 "is not longer than grace_period_seconds (%d): the drain would give up before its pods had their "
                                 "time to stop" % grace, "write a timeout_seconds above %d, e.g. %d" % (grace, grace + 60)))
    return problems


def _api_problems(description: Mapping) -> list:
    chosen = cluster_value(description, "cluster_api_loadbalancer")
    if chosen is MISSING:
        return []
    if chosen not in API_LOADBALANCERS:
        return [_problem("cluster_api_loadbalancer", chosen, "is not one of %s" % ", ".join(API_LOADBALANCERS),
                         "write kube-vip (the control-plane nodes hold cluster_api_address as a VIP) or external "
                         "(a load balancer forwards it to every control-plane node's port 6443)")]
    address = cluster_value(description, "cluster_api_address")
    owner = next((h for h in _hosts_of(description, "all") if _hostvars(description, h).get("node_ip") == address), None)
    if owner is not None:
        return [_problem("cluster_api_loadbalancer", chosen, "cluster_api_address %s is the address of %s, so no load balancer "
                         "is in front of the API" % (address, owner),
                         "remove cluster_api_loadbalancer, or give cluster_api_address the VIP or load balancer address")]
    subnet, ip = _subnet(description), parse_ipv4(address)
    if chosen == "kube-vip" and subnet is not None and ip is not None and ip not in subnet:
        return [_problem("cluster_api_loadbalancer", chosen, "kube-vip announces the VIP by ARP on the node network, but "
                         "cluster_api_address %s is outside cluster_subnet %s" % (address, subnet),
                         "use a free address of %s, or write external for a load balancer" % subnet)]
    return []


def _secret_problems(description: Mapping) -> list:
    """A proxy password in clear would land in clear in the generated files: refused."""
    problems = []
    for name in ("cluster_http_proxy", "cluster_https_proxy"):
        value = cluster_value(description, name)
        if isinstance(value, str) and proxy_url.has_credentials(value):
            problems.append(_problem(
                name, value, "holds credentials that are not vault-encrypted, and the generated Kubespray inventory is a "
                "file meant to be read and diffed: it would hold the password in clear",
                "encrypt the URL where it is set: ansible-vault encrypt_string --name %s 'http://user:password@host:port', "
                "pasted in group_vars/all (the generated inventory then carries the same ciphertext, and Kubespray run by "
                "hand asks for the same vault password)" % name))
    return problems


# --------------------------------------------------------------------------
# The mapping
# --------------------------------------------------------------------------


def _connection(description: Mapping, nodes: list) -> tuple[list, dict]:
    """Connection variables: ([Var] shared by every node, {host: [Var]} for those that differ).

    A path under the description's inventory directory is rewritten relative
    to the artifact's own directory (<inventory>/artifacts/kubespray), so the
    artifact does not depend on where the repository is checked out.
    """
    def portable(host: str, value: Any) -> Any:
        directory = _hostvars(description, host).get("inventory_dir")
        if isinstance(value, str) and isinstance(directory, str) and directory:
            return value.replace(directory.rstrip("/"), "{{ inventory_dir }}/../..")
        return value

    shared: list = []
    per_host: dict = {}
    for name in CONNECTION_VARS:
        values = {h: portable(h, _hostvars(description, h)[name]) for h in nodes if name in _hostvars(description, h)}
        if not values:
            continue
        distinct = {repr(v) for v in values.values()}
        if len(distinct) == 1 and len(values) == len(nodes):
            shared.append(Var(name, next(iter(values.values())), "%s (how this project reaches the nodes)" % name))
        else:
            for host, value in values.items():
                per_host.setdefault(host, []).append(Var(name, value, "%s of %s" % (name, host)))
    return shared, per_host


def _proxy_vars(description: Mapping, no_proxy: list) -> list:
    http = cluster_value(description, "cluster_http_proxy")
    https = cluster_value(description, "cluster_https_proxy")
    if not http and not https:
        return []
    out = []
    if http:
        out.append(Var("http_proxy", http, "cluster_http_proxy"))
    if https:
        out.append(Var("https_proxy", https, "cluster_https_proxy"))
    entries = list(no_proxy or [])
    for host in mirror_hosts(description):
        if host not in entries:
            entries.append(host)
    # One entry per line for a readable diff: Kubespray reads the list
    # (roles/network_facts), which it otherwise splits out of the string.
    out.append(Var("additional_no_proxy_list", entries,
                   "cluster_no_proxy_extra and the computed no_proxy (nodes, cluster_subnet, service and pod CIDRs, "
                   "cluster_dns_domain, the API, the mirror); no_proxy itself is never set, so Kubespray still computes its own"))
    out.append(Var("additional_no_proxy", "{{ additional_no_proxy_list | join(',') }}", "the list above, as Kubespray's string"))
    out.append(Var("skip_http_proxy_on_os_packages", True,
                   "cluster_http_proxy: node_proxy already gives apt the proxy in a root-only file; Kubespray would append it "
                   "to the world-readable /etc/apt/apt.conf"))
    return out


def _ca_vars(description: Mapping) -> list:
    if not cluster_value(description, "cluster_ca_bundle"):
        return []
    return [
        Var("https_proxy_cert_file", NODE_CA_BUNDLE,
            "cluster_ca_bundle: the nodes' trust store, where node_proxy added the corporate CA (downloads run with SSL_CERT_FILE)"),
        Var("download_validate_certs", True, "cluster_ca_bundle: the corporate CA is trusted, so downloads keep checking certificates"),
    ]


def _api_vars(description: Mapping) -> tuple[list, list, list]:
    """([Var] for group_vars/all, [Var] for k8s_cluster, [Var] for kube-vip)."""
    mode, why = api_mode(description)
    address = cluster_value(description, "cluster_api_address")
    port = cluster_value(description, "cluster_api_port")
    fqdn = cluster_value(description, "cluster_api_fqdn")
    everywhere: list = []
    k8s: list = []
    vip: list = []
    if mode == "node":
        everywhere.append(Var("loadbalancer_apiserver_localhost", True,
                              "cluster_api_address (%s; the other nodes reach the API through Kubespray's local proxy)" % why))
        everywhere.append(Var("kube_apiserver_port", port, "cluster_api_port"))
        if fqdn:
            k8s.append(Var("supplementary_addresses_in_ssl_keys", [fqdn], "cluster_api_fqdn (in the API server certificate)"))
        return everywhere, k8s, vip
    everywhere.append(Var("loadbalancer_apiserver", {"address": address, "port": port},
                          "cluster_api_address, cluster_api_port (%s)" % why))
    everywhere.append(Var("apiserver_loadbalancer_domain_name", fqdn or address,
                          "cluster_api_fqdn" if fqdn else "cluster_api_address (cluster_api_fqdn is empty)"))
    everywhere.append(Var("loadbalancer_apiserver_localhost", False, "cluster_api_address (%s)" % why))
    if mode == "kube-vip":
        # The VIP moves between control-plane nodes; it forwards nothing, so
        # the API server itself listens on the endpoint's port.
        everywhere.append(Var("kube_apiserver_port", port, "cluster_api_port (kube-vip moves the address, not the port)"))
        vip.append(Var("kube_vip_enabled", True, "cluster_api_address (%s)" % why))
        vip.append(Var("kube_vip_controlplane_enabled", True, "cluster_api_address (the VIP is the API endpoint)"))
        vip.append(Var("kube_vip_arp_enabled", True, "cluster_api_address (announced by ARP on cluster_subnet)"))
        vip.append(Var("kube_vip_address", address, "cluster_api_address"))
        k8s.append(Var("kube_proxy_strict_arp", True,
                       "cluster_api_address (kube-vip in ARP mode with kube-proxy ipvs needs strict ARP; Kubespray asserts it)"))
    return everywhere, k8s, vip


def _mirror_vars(description: Mapping) -> tuple[list, list]:
    """([Var] for offline.yml, [Var] for containerd.yml)."""
    mirror = mirror_settings(description)
    if not mirror:
        return [], []
    offline = [
        Var("files_repo", mirror["files_url"], "cluster_mirror.files_url"),
        Var("registry_host", mirror["registry"], "cluster_mirror.registry"),
    ]
    offline += [Var(name, value, "cluster_mirror.files_url") for name, value in FILE_BASES]
    offline += [Var(name, value, "cluster_mirror.files_url") for name, value in FILE_DOWNLOADS]
    offline += [Var(name, "{{ registry_host }}", "cluster_mirror.registry") for name in IMAGE_BASES]
    offline += [Var(name, "{{ registry_host }}/%s" % path, "cluster_mirror.registry") for name, path in IMAGES]
    host = {"host": "https://%s" % mirror["registry"], "capabilities": ["pull", "resolve"], "skip_verify": False,
            "override_path": False}
    source = "cluster_mirror.registry, cluster_mirror.registries"
    if cluster_value(description, "cluster_ca_bundle"):
        host["ca"] = [NODE_CA_BUNDLE]
        source += ", cluster_ca_bundle"
    mirrors = [{"prefix": name, "server": REGISTRY_SERVERS.get(name, "https://%s" % name), "mirrors": [dict(host)]}
               for name in mirror["registries"]]
    return offline, [Var("containerd_registries_mirrors", mirrors,
                         "%s (containerd 2 certs.d/<registry>/hosts.toml: the mirror first, then the registry itself)" % source)]


def _serial(description: Mapping, default_nodes: Any) -> Any:
    rollout = cluster_value(description, "cluster_rollout")
    if isinstance(rollout, Mapping) and "nodes" in rollout:
        return rollout["nodes"], "cluster_rollout.nodes"
    return default_nodes, "cluster_rollout.nodes (not set: its default)"


def generate(description: Mapping, no_proxy: list, rollout_default: Any = "25%") -> Inventory:
    """The Kubespray inventory of a description (problems set, nothing else, when it cannot be made).

    ``no_proxy`` is the cluster's computed no_proxy list (the
    ``cluster_no_proxy`` filter: the same list node_proxy writes), sent to
    Kubespray as ``additional_no_proxy``. ``rollout_default`` is
    ``cluster_rollout``'s default share of workers (cluster_model.ROLLOUT_DEFAULTS).
    """
    inventory = Inventory()
    inventory.problems = description_problems(description) + secret_problems(description) + _release_problems(description)
    if inventory.problems:
        return inventory
    nodes = _nodes(description)
    shared, per_host = _connection(description, nodes)
    inventory.connection = shared
    for host in nodes:
        address = _hostvars(description, host).get("node_ip")
        inventory.hosts[host] = [Var("ansible_host", address, "node_ip"), Var("ip", address, "node_ip"),
                                 Var("access_ip", address, "node_ip")] + per_host.get(host, [])
    for group in HOST_GROUPS:
        inventory.groups[group] = [h for h in nodes if h in _hosts_of(description, group)]

    release = cluster_value(description, "cluster_release")
    release = release if isinstance(release, Mapping) else {}
    api_all, api_k8s, api_vip = _api_vars(description)
    offline, containerd_mirrors = _mirror_vars(description)
    drain = drain_settings(description)[0]

    group_vars: dict = {}
    group_vars["group_vars/all/all.yml"] = api_all + _proxy_vars(description, no_proxy) + _ca_vars(description)
    group_vars["group_vars/all/containerd.yml"] = [
        Var("containerd_version", release.get("containerd"), "cluster_release.containerd"),
    ] + containerd_mirrors
    group_vars["group_vars/all/etcd.yml"] = [
        Var("etcd_deployment_type", "host", "the installer's choice (issue 14): etcd as systemd services on the etcd hosts, "
            "so backups and the health gate reach it the same way on every cluster"),
        Var("etcd_version", release.get("etcd"), "cluster_release.etcd"),
        Var("etcd_metrics_port", ETCD_METRICS_PORT, "the monitoring layer (issue 18): etcd's metrics on plain HTTP "
            "(/metrics and /health only), scraped by kube-prometheus-stack's kubeEtcd (monitoring_etcd_metrics_port)"),
    ]
    if offline:
        group_vars["group_vars/all/offline.yml"] = offline
    group_vars["group_vars/all/upgrade.yml"] = [
        Var(DRAIN_VARS[key], ("%ds" % drain[key]) if key == "timeout_seconds" else drain[key],
            _drain_source(description, key)) for key in DRAIN_DEFAULTS]
    k8s = [
        Var("kube_version", release.get("kubernetes"), "cluster_release.kubernetes"),
        Var("cluster_name", cluster_value(description, "cluster_name"),
            "cluster_name (kubeadm's clusterName and the kubeconfig context; set here so Kubespray's default never applies)"),
        Var("dns_domain", cluster_value(description, "cluster_dns_domain"),
            "cluster_dns_domain (Kubespray's default is its cluster_name: set explicitly)"),
        Var("kube_service_addresses", cluster_value(description, "cluster_service_cidr"), "cluster_service_cidr"),
        Var("kube_pods_subnet", cluster_value(description, "cluster_pod_cidr"), "cluster_pod_cidr"),
    ]
    prefix = cluster_value(description, "kube_network_node_prefix")
    if prefix is not MISSING:
        k8s.append(Var("kube_network_node_prefix", prefix, "kube_network_node_prefix (the pod block per node the validation sized)"))
    group_vars["group_vars/k8s_cluster/k8s-cluster.yml"] = k8s + api_k8s
    if api_vip:
        group_vars["group_vars/k8s_cluster/kube-vip.yml"] = api_vip
    inventory.group_vars = group_vars
    serial, source = _serial(description, rollout_default)
    inventory.extra_vars = [Var("serial", serial, "%s (the share of workers upgraded at once; a play keyword, so group_vars "
                                                  "cannot set it)" % source)]
    return inventory


def _release_problems(description: Mapping) -> list:
    """The mapping is written, and contract-tested, for one Kubespray release."""
    release = cluster_value(description, "cluster_release")
    wanted = release.get("kubespray") if isinstance(release, Mapping) else MISSING
    if wanted == KUBESPRAY_VERSION:
        return []
    return [str(_problem("cluster_release.kubespray", wanted,
                         "this installer maps the description to Kubespray %s's variables only" % KUBESPRAY_VERSION,
                         "write kubespray: %s, or extend plugins/module_utils/kubespray_inventory.py (and its "
                         "contract data in ../shared/upstream/) for the other release" % KUBESPRAY_VERSION))]


def _drain_source(description: Mapping, key: str) -> str:
    _settings, given = drain_settings(description)
    return "cluster_drain.%s%s" % (key, "" if key in given else " (not set: Kubespray's default, written explicitly)")


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _dumper():
    import yaml  # PyYAML, an ansible-core dependency; imported here so the mapping itself needs nothing

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow=False, indentless=False):
            # Sequences indented under their key, as yamllint's default wants.
            return super().increase_indent(flow, False)

    def vaulted(dumper, value):
        return dumper.represent_scalar("!vault", value.ciphertext.strip() + "\n", style="|")

    def string(dumper, value):
        # Strings that YAML could read as another type are quoted by PyYAML itself.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if "{{" in value else None)

    Dumper.add_representer(Vaulted, vaulted)
    Dumper.add_representer(str, string)
    return yaml, Dumper


def _yaml_var(var: Var, indent: int) -> list:
    yaml, dumper = _dumper()
    pad = " " * indent
    text = yaml.dump({var.name: var.value}, Dumper=dumper, default_flow_style=False, sort_keys=False, width=140, indent=2)
    comment = textwrap.wrap("from %s" % var.source, width=140 - indent)
    lines = ["%s# %s" % (pad, line) for line in comment]
    lines += [pad + line if line else line for line in text.rstrip("\n").split("\n")]
    return lines


def _header(label: str, what: str) -> list:
    return [
        "---",
        "# Generated by the mlplatform.installer kubespray_inventory role from the cluster",
        "# description %s, for Kubespray %s: %s." % (label, KUBESPRAY_VERSION, what),
        "# Do not edit: change the description and run playbooks/kubernetes.yml again.",
        "# Above each variable, the description key it comes from.",
    ]


def render(inventory: Inventory, label: str) -> dict:
    """{relative path: file text}: hosts.yml, the group_vars files and extra-vars.yml."""
    files: dict = {}
    lines = _header(label, "its hosts and groups")
    lines += ["all:"]
    if inventory.connection:
        lines += ["  vars:"]
        for var in inventory.connection:
            lines += _yaml_var(var, 4)
    lines += ["  hosts:"]
    for host, variables in inventory.hosts.items():
        lines += ["    %s:" % host]
        for var in variables:
            lines += _yaml_var(var, 6)
    lines += ["  children:"]
    for group, hosts in inventory.groups.items():
        lines += ["    %s:" % group, "      hosts:" + ("" if hosts else " {}")]
        lines += ["        %s:" % host for host in hosts]
    lines += ["    k8s_cluster:", "      children:"] + ["        %s:" % child for child in K8S_CHILDREN]
    files["hosts.yml"] = "\n".join(lines) + "\n"
    for path, variables in inventory.group_vars.items():
        lines = _header(label, path.split("/", 1)[1])
        for var in variables:
            lines += [""] + _yaml_var(var, 0)
        files[path] = "\n".join(lines) + "\n"
    lines = _header(label, "play keywords, which inventory variables cannot set; run Kubespray with -e @extra-vars.yml")
    for var in inventory.extra_vars:
        lines += [""] + _yaml_var(var, 0)
    files["extra-vars.yml"] = "\n".join(lines) + "\n"
    return files
