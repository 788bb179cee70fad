# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Nexus mirror holds, generated from the release bundle (issue 16, item 3).

Pure functions, free of Ansible imports: plain pytest covers them and the
filter ``plugins/filter/nexus_layout.py`` stays a thin wrapper.

* :func:`repositories` is every Nexus repository the cluster needs, each as
  ``{format, type, name, payload}``; ``payload`` is the body of Nexus's REST
  API v1 ``POST /service/rest/v1/repositories/<format>/<type>`` (the
  nexus_repository module creates and updates them).
* :func:`files` is every file Kubespray downloads, as (upstream URL, path in
  the raw repository): the seed list of the ``files_repo`` layout.
* :func:`images` is every image the pinned bundle pulls (Kubespray's,
  kubeadm's, the GPU Operator's and kube-prometheus-stack's), by upstream
  name, for pre-seeding the docker proxies.
* :func:`helm_repo_url` is the helm proxy a chart is installed from when
  ``cluster_mirror.helm_url`` is set; :func:`apt_sources` is an Ubuntu node's
  apt sources through ``cluster_mirror.apt_url``; :func:`gpu_settings` gives
  the GPU driver container that apt proxy unless ``cluster_gpu`` names one.

The layout decisions (README "Mirror"):

* One docker group with its own HTTPS connector port (the port of
  ``cluster_mirror.registry``): containerd's mirror host and Kubespray's
  ``registry_host`` are a host:port serving ``/v2/`` at its root, with each
  image under its upstream path (kubespray_inventory.IMAGES), so the group
  needs no path prefix. The group answers a name from its first member that
  has it: docker.io comes last, since Docker Hub holds look-alike copies of
  names the other registries own (calico/node).
* The raw repository is HOSTED and seeded from :func:`files`: a raw proxy
  maps one upstream URL, but ``files_repo`` holds files of several upstream
  hosts under ``<host>/<path>``, and a group of raw proxies would ask every
  member for the same ``<host>/<path>`` (so https://github.com/github.com/...).
* One apt proxy of Ubuntu's archive: archive.ubuntu.com carries the
  ``-security`` pocket too, so node prep and the driver container use one URL
  for ``<codename>``, ``-updates`` and ``-security``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import kubespray_inventory as ki
from . import gpu_operator_values as gov
from .cluster_values import MISSING

BLOB_STORE = "default"
DOCKER_GROUP = "docker-mirror"
FILES_REPOSITORY = "kubespray-files"
APT_REPOSITORY = "ubuntu"
PYPI_REPOSITORY = "pypi"
# Every upstream registry's address as a docker client reaches it (Docker Hub's
# API is not at docker.io): the proxies' remote URLs.
REGISTRY_REMOTES = {"docker.io": "https://registry-1.docker.io"}
# The group's member order (see the module docstring: docker.io last).
REGISTRY_ORDER = ("registry.k8s.io", "quay.io", "ghcr.io", "nvcr.io", "gcr.io", "docker.io")
APT_REMOTE = "https://archive.ubuntu.com/ubuntu/"
PYPI_REMOTE = "https://pypi.org/"
# The helm repositories of the pinned charts (roles/gpu_operator and
# roles/monitoring name them in their defaults' comments): chart -> (proxy, upstream).
HELM_REPOSITORIES = {
    "gpu-operator": ("helm-nvidia", "https://helm.ngc.nvidia.com/nvidia"),
    "kube-prometheus-stack": ("helm-prometheus-community", "https://prometheus-community.github.io/helm-charts"),
}
# Minutes Nexus keeps content and metadata, and remembers a miss (its defaults).
CACHE_MINUTES = 1440

# Kubespray v2.31.0's own versions of what the release bundle does not pin
# (roles/kubespray_defaults/defaults/main/download.yml at the tag; those in
# ../shared/upstream/kubespray-v2.31.0/versions.tsv are checked against it by
# the tests, nodelocaldns and kube-vip are read from download.yml lines 262, 281).
KUBESPRAY_VERSIONS = {
    "runc_version": "1.4.2", "calico_version": "3.31.5", "coredns_version": "1.12.4", "cni_version": "1.9.1",
    "crictl_version": "1.35.0", "nerdctl_version": "2.2.2", "pod_infra_version": "3.10.1",
    "nodelocaldns_version": "1.25.0", "dnsautoscaler_version": "1.8.8", "kube_vip_version": "1.0.3",
}
# The architectures the nodes run (the model's nodes are x86-64 VMs).
ARCHES = ("amd64",)
# Kubespray's image variables (kubespray_inventory.IMAGES) -> (upstream
# registry, tag template), from download.yml at v2.31.0 (*_image_repo: the
# registry; *_image_tag: the tag).
KUBESPRAY_IMAGES = {
    "calico_node_image_repo": ("quay.io", "v{calico_version}"),
    "calico_cni_image_repo": ("quay.io", "v{calico_version}"),
    "calico_policy_image_repo": ("quay.io", "v{calico_version}"),
    "pod_infra_image_repo": ("registry.k8s.io", "{pod_infra_version}"),
    "coredns_image_repo": ("registry.k8s.io", "v{coredns_version}"),
    "nodelocaldns_image_repo": ("registry.k8s.io", "{nodelocaldns_version}"),
    "dnsautoscaler_image_repo": ("registry.k8s.io", "v{dnsautoscaler_version}"),
    "nginx_image_repo": ("docker.io", "1.28.2-alpine"),
    "kube_vip_image_repo": ("ghcr.io", "v{kube_vip_version}"),
}
# Pulled by one API mode only (kubespray_inventory.api_mode): nginx is
# Kubespray's local API proxy on every node when the API is one node's address
# (loadbalancer_apiserver_localhost, loadbalancer_apiserver_type nginx).
MODE_IMAGES = {"nginx_image_repo": "node", "kube_vip_image_repo": "kube-vip"}
# kubeadm's control-plane images at kube_version (etcd runs as a host service,
# etcd_deployment_type host, so kubeadm pulls no etcd image).
KUBEADM_IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")

# The GPU Operator's images at chart v26.7.0 that this project's values deploy:
# the section's image name in the chart's values.yaml (the values set only
# repository and version). Sections the values leave off are not pulled:
# dcgm (dcgmExporter embeds it), gds, gdrcopy and nodeStatusExporter (disabled
# by default), and vgpu*, vfio*, sandbox*, kata*, ccManager (only with
# sandboxWorkloads.enabled, false by default).
GPU_IMAGES = {
    "operator": "gpu-operator", "validator": "gpu-operator", "driver": "driver", "driver.manager": "k8s-driver-manager",
    "toolkit": "container-toolkit", "devicePlugin": "k8s-device-plugin", "dcgmExporter": "dcgm-exporter",
    "gfd": "k8s-device-plugin", "migManager": "k8s-mig-manager",
}
# The driver image's tag is <version>-<os> (the operator adds the node's OS).
GPU_DRIVER_OS = {"ubuntu-22.04": "ubuntu22.04", "ubuntu-24.04": "ubuntu24.04"}

# kube-prometheus-stack 88.5.3's images (values.yaml: image.registry,
# repository, tag; an empty tag is the chart's appVersion v0.93.1), those the
# chart deploys with this project's values (thanosRuler, the admission
# webhook's own Deployment and the CRD upgrade job are off by default).
KPS_APP_VERSION = "v0.93.1"
KPS_IMAGES = (
    ("alertmanager.alertmanagerSpec.image", "quay.io/prometheus/alertmanager:v0.34.0"),
    ("prometheusOperator.image", "quay.io/prometheus-operator/prometheus-operator:" + KPS_APP_VERSION),
    ("prometheusOperator.prometheusConfigReloader.image",
     "quay.io/prometheus-operator/prometheus-config-reloader:" + KPS_APP_VERSION),
    ("prometheusOperator.admissionWebhooks.patch.image", "ghcr.io/jkroepke/kube-webhook-certgen:1.8.7"),
    ("prometheus.prometheusSpec.image", "quay.io/prometheus/prometheus:v3.14.0-distroless"),
)
# Its subcharts' images (grafana, kube-state-metrics, prometheus-node-exporter)
# are in the subcharts' own values, which ../shared/upstream does not hold:
# not listed here, said in the README (seed them from a rendered chart).

_TEMPLATE_RE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def _release(description: Mapping) -> dict:
    release = ki.cluster_value(description, "cluster_release")
    return dict(release) if isinstance(release, Mapping) else {}


def mirror(description: Mapping) -> dict:
    """cluster_mirror with its defaults ({} when no mirror is configured)."""
    return ki.mirror_settings(description)


def _registry_port(registry: str) -> int:
    _host, sep, port = str(registry).rpartition(":")
    return int(port) if sep and port.isdigit() else 443


def _registries(description: Mapping) -> list:
    """The proxied registries, in the group's order (those the description lists)."""
    wanted = list(mirror(description).get("registries") or ki.MIRROR_REGISTRIES_DEFAULT)
    ordered = [r for r in REGISTRY_ORDER if r in wanted] + [r for r in wanted if r not in REGISTRY_ORDER]
    if "docker.io" in ordered:
        ordered.remove("docker.io")
        ordered.append("docker.io")
    return ordered


def docker_proxy_name(registry: str) -> str:
    """The docker proxy of an upstream registry (a Nexus name: letters, digits, '.', '-', '_')."""
    return "docker-%s" % re.sub(r"[^A-Za-z0-9._-]", "_", registry)


def _proxy(name: str, remote: str, blob_store: str, strict: bool = True) -> dict:
    """The attributes every proxy repository's payload shares."""
    return {
        "name": name,
        "online": True,
        "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": strict},
        "proxy": {"remoteUrl": remote, "contentMaxAge": CACHE_MINUTES, "metadataMaxAge": CACHE_MINUTES},
        "negativeCache": {"enabled": True, "timeToLive": CACHE_MINUTES},
        "httpClient": {"blocked": False, "autoBlock": True},
    }


def _ubuntu_codename(description: Mapping) -> str:
    names = [gov.UBUNTU_CODENAMES[o] for o in _release(description).get("os") or [] if o in gov.UBUNTU_CODENAMES]
    return names[0] if names else "noble"


def repositories(description: Mapping, blob_store: str = BLOB_STORE) -> list:
    """Every repository of the mirror, proxies before the group that lists them.

    Each is {format, type, name, payload}; payload is the REST API v1 body of
    POST /service/rest/v1/repositories/<format>/<type> (PUT .../<name> takes
    the same). ``description`` is {groups, hostvars} (or the model); without
    cluster_mirror the docker group listens on 443.
    """
    out = []
    # Nodes pull without credentials (containerd's hosts.toml carries none):
    # forceBasicAuth true would refuse them even where anonymous reads are on,
    # and it is Nexus's default, so it is always written.
    docker = {"v1Enabled": False, "forceBasicAuth": False}
    members = []
    for registry in _registries(description):
        name = docker_proxy_name(registry)
        payload = _proxy(name, REGISTRY_REMOTES.get(registry, "https://%s" % registry), blob_store)
        payload["docker"] = dict(docker)
        payload["dockerProxy"] = {"indexType": "HUB" if registry == "docker.io" else "REGISTRY", "cacheForeignLayers": False}
        out.append({"format": "docker", "type": "proxy", "name": name, "payload": payload})
        members.append(name)
    registry = mirror(description).get("registry") or ""
    out.append({"format": "docker", "type": "group", "name": DOCKER_GROUP, "payload": {
        "name": DOCKER_GROUP, "online": True,
        "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": True},
        "group": {"memberNames": members},
        # Its own connector: the nodes reach it at cluster_mirror.registry's port.
        "docker": dict(docker, httpsPort=_registry_port(registry)),
    }})

    apt = _proxy(APT_REPOSITORY, APT_REMOTE, blob_store)
    apt["apt"] = {"distribution": _ubuntu_codename(description), "flat": False}
    out.append({"format": "apt", "type": "proxy", "name": APT_REPOSITORY, "payload": apt})

    out.append({"format": "raw", "type": "hosted", "name": FILES_REPOSITORY, "payload": {
        "name": FILES_REPOSITORY, "online": True,
        # Versioned paths never change: a second upload of a path is refused.
        # Binaries without an extension are not checked against their names.
        "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": False, "writePolicy": "allow_once"},
        "raw": {"contentDisposition": "ATTACHMENT"},
    }})

    for _chart, (name, remote) in sorted(HELM_REPOSITORIES.items()):
        out.append({"format": "helm", "type": "proxy", "name": name, "payload": _proxy(name, remote, blob_store)})

    out.append({"format": "pypi", "type": "proxy", "name": PYPI_REPOSITORY,
                "payload": _proxy(PYPI_REPOSITORY, PYPI_REMOTE, blob_store)})
    return out


# --------------------------------------------------------------------------
# Files and images
# --------------------------------------------------------------------------


def _versions(description: Mapping) -> dict:
    release = _release(description)
    versions = dict(KUBESPRAY_VERSIONS)
    versions.update({"kube_version": str(release.get("kubernetes", "")), "etcd_version": str(release.get("etcd", "")),
                     "containerd_version": str(release.get("containerd", ""))})
    versions["calico_ctl_version"] = versions["calico_version"]
    return versions


def _render(template: str, values: Mapping) -> str:
    """Kubespray's URL template with our values; an expression it does not know is an error."""
    def one(match):
        expression = match.group(1)
        if expression not in values:
            raise ValueError("nexus_layout cannot render {{ %s }} in %s" % (expression, template))
        return str(values[expression])
    return _TEMPLATE_RE.sub(one, template)


def files(description: Mapping) -> list:
    """Every file Kubespray downloads: [(upstream URL, path in the raw repository)], in Kubespray's order.

    The path is what kubespray_inventory.FILE_DOWNLOADS asks files_repo for
    (``<upstream host>/<upstream path>``), so the upstream URL is https:// + path.
    """
    out = []
    for arch in ARCHES:
        values = dict(_versions(description), files_repo="", image_arch=arch)
        values["ansible_system | lower"] = "linux"
        values["'static-' if containerd_static_binary else ''"] = ""  # Kubespray's default: the dynamic build
        for _name, template in ki.FILE_DOWNLOADS:
            path = _render(template, values).lstrip("/")
            out.append(("https://%s" % path, path))
    return out


def _kubespray_images(description: Mapping) -> list:
    versions = _versions(description)
    mode = ki.api_mode(description)[0]
    out = []
    for variable, path in ki.IMAGES:
        if variable in MODE_IMAGES and MODE_IMAGES[variable] != mode:
            continue
        registry, tag = KUBESPRAY_IMAGES[variable]
        out.append("%s/%s:%s" % (registry, path, tag.format(**versions)))
    kube = versions["kube_version"]
    out += ["registry.k8s.io/%s:v%s" % (name, kube) for name in KUBEADM_IMAGES]
    return out


def _gpu_images(description: Mapping) -> list:
    release = _release(description)
    if not release.get("gpu_operator") or not release.get("nvidia_driver"):
        return []
    value = ki.cluster_value(description, "cluster_gpu")
    gpu = gov.gpu_settings(None if value is MISSING else value)
    vals = gov.values(str(release["gpu_operator"]), str(release["nvidia_driver"]), cluster_gpu=gpu)
    out = []
    for section, image in GPU_IMAGES.items():
        if section == "migManager" and gpu["mig_strategy"] == "none":
            continue
        node = vals
        for part in section.split("."):
            node = node[part]
        if section == "driver":
            if gpu["use_precompiled"]:
                continue  # tagged <branch>-<kernel>-<os>: one per kernel, seeded by the site
            for os_name in release.get("os") or []:
                if os_name in GPU_DRIVER_OS:
                    out.append("%s/%s:%s-%s" % (node["repository"], image, node["version"], GPU_DRIVER_OS[os_name]))
            continue
        out.append("%s/%s:%s" % (node["repository"], image, node["version"]))
    nfd = vals[gov.SUBCHART]["image"]
    out.append("%s:%s" % (nfd["repository"], nfd["tag"]))
    return out


def _monitoring_images(description: Mapping) -> list:
    if not _release(description).get("kube_prometheus_stack"):
        return []
    return [image for _path, image in KPS_IMAGES]


def images(description: Mapping) -> list:
    """Every image the pinned bundle pulls, by upstream name (registry/path:tag), each once, sorted."""
    found = _kubespray_images(description) + _gpu_images(description) + _monitoring_images(description)
    return sorted(set(found))


def helm_repo_url(mirror_value: Any, chart: str) -> str:
    """The helm proxy of a chart under cluster_mirror.helm_url, or "" (no mirror, or no helm_url)."""
    if not isinstance(mirror_value, Mapping) or not mirror_value.get("helm_url"):
        return ""
    return "%s/%s" % (str(mirror_value["helm_url"]).rstrip("/"), HELM_REPOSITORIES[chart][0])


# Components of Ubuntu's archive the nodes install from (Ubuntu's own default sources).
APT_COMPONENTS = ("main", "restricted", "universe", "multiverse")
APT_KEYRING = "/usr/share/keyrings/ubuntu-archive-keyring.gpg"


def apt_sources(url: str, codename: str, style: str = "deb822") -> str:
    """Ubuntu's sources through the apt proxy: the release, -updates and -security suites.

    ``style`` "deb822" is the file Ubuntu 24.04 ships (sources.list.d/ubuntu.sources),
    "list" the one-line format of Ubuntu 22.04's /etc/apt/sources.list.
    """
    base = str(url).rstrip("/")
    suites = ["%s%s" % (codename, suffix) for suffix in ("", "-updates", "-security")]
    if style == "list":
        return "".join("deb %s %s %s\n" % (base, suite, " ".join(APT_COMPONENTS)) for suite in suites)
    if style != "deb822":
        raise ValueError("apt_sources: style %r is not deb822 or list" % (style,))
    return "Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\nSigned-By: %s\n" % (
        base, " ".join(suites), " ".join(APT_COMPONENTS), APT_KEYRING)


def gpu_settings(cluster_gpu: Any, mirror_value: Any) -> dict:
    """cluster_gpu with driver_apt_url defaulting to cluster_mirror.apt_url (the driver container's repoConfig).

    A driver_apt_url the description sets (even "") is kept: it is the site's choice.
    """
    settings = dict(cluster_gpu) if isinstance(cluster_gpu, Mapping) else {}
    if isinstance(mirror_value, Mapping) and mirror_value.get("apt_url") and "driver_apt_url" not in settings:
        settings["driver_apt_url"] = str(mirror_value["apt_url"])
    return settings
