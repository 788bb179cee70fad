# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values for the NVIDIA GPU Operator chart, generated from the cluster description (issue 17).

Pure functions, free of Ansible imports: plain pytest covers them and the
filter ``plugins/filter/gpu_operator.py`` stays a thin wrapper.

* :func:`cluster_gpu_problems` checks the description key this layer adds
  (``cluster_gpu``); each problem names the variable and the fix.
* :func:`values` maps the settings (the release bundle's driver and chart
  versions, the proxy, the mirror, the CA, cluster_gpu) to chart values.
  tests/unit/test_gpu_operator_values.py checks every key path against the
  pinned chart's values.yaml (helm silently ignores a key it does not know).
* :func:`cluster_policy` is the ClusterPolicy the chart's template
  (templates/clusterpolicy.yaml at v26.7.0) renders from those values, for the
  sections this project sets: the bed's API server validates it against the
  pinned CRD (molecule/kubernetes), and the role writes it beside the values
  for review.
* :func:`apt_sources` is the driver container's apt source list when the
  Nexus apt proxy is configured (``driver.repoConfig``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from . import proxy_url
# Helm's merge of values, as callers of this module name it (filter gpu_operator).
from .deep_merge import deep_merge as merged  # pylint: disable=unused-import

# The chart's own version at the tag (Chart.yaml says v1.0.0-devel /
# main-latest there): every image whose tag defaults to appVersion gets the
# release's tag explicitly.
APP_VERSION_IMAGES = ("operator", "validator", "nodeStatusExporter")
# Keys values.yaml documents only as comments ("#version: \"\"": "If version is
# not specified, then default is to use chart.AppVersion"). The contract test
# checks each is there, commented, in its section.
COMMENTED_KEYS = tuple("%s.version" % name for name in APP_VERSION_IMAGES)
# Keys of the vendored node-feature-discovery subchart (0.19.0,
# deployments/gpu-operator/charts/node-feature-discovery/values.yaml: image.repository,
# worker.nodeSelector), which the umbrella values.yaml does not repeat.
SUBCHART = "node-feature-discovery"
SUBCHART_KEYS = ("image.repository", "image.tag", "worker.nodeSelector")
NFD_VERSION = "v0.19.0"

# Every image of the chart's values (section path, upstream repository): with
# a mirror each becomes <registry>/<upstream path>, as the Kubespray layer lays
# out the mirror (kubespray_inventory.IMAGES). The vgpu-manager image has no
# public repository (built by the site) and is not listed.
IMAGES = (
    ("operator", "nvcr.io/nvidia"),
    ("validator", "nvcr.io/nvidia"),
    ("driver", "nvcr.io/nvidia"),
    ("driver.manager", "nvcr.io/nvidia/cloud-native"),
    ("toolkit", "nvcr.io/nvidia/k8s"),
    ("devicePlugin", "nvcr.io/nvidia"),
    ("dcgm", "nvcr.io/nvidia/cloud-native"),
    ("dcgmExporter", "nvcr.io/nvidia/k8s"),
    ("gfd", "nvcr.io/nvidia"),
    ("migManager", "nvcr.io/nvidia/cloud-native"),
    ("nodeStatusExporter", "nvcr.io/nvidia"),
    ("gds", "nvcr.io/nvidia/cloud-native"),
    ("gdrcopy", "nvcr.io/nvidia/cloud-native"),
    ("vgpuManager.driverManager", "nvcr.io/nvidia/cloud-native"),
    ("vgpuDeviceManager", "nvcr.io/nvidia/cloud-native"),
    ("vfioManager", "nvcr.io/nvidia/cloud-native"),
    ("vfioManager.driverManager", "nvcr.io/nvidia/cloud-native"),
    ("sandboxDevicePlugin", "nvcr.io/nvidia"),
    ("kataSandboxDevicePlugin", "nvcr.io/nvidia/cloud-native"),
    ("ccManager", "nvcr.io/nvidia/cloud-native"),
    ("draDriver", "nvcr.io/nvidia"),
)
NFD_IMAGE = "registry.k8s.io/nfd/node-feature-discovery"
# dcgmExporter's chart default does not name the tag of dcgm it embeds: the
# chart pins these tags, which the release does not change.
PINNED_TAGS = {
    "driver.manager": "v0.12.0",
    "toolkit": "v1.20.0",
    "devicePlugin": "v0.20.0",
    "dcgmExporter": "4.6.0-4.8.3-distroless",
    "gfd": "v0.20.0",
    "migManager": "v0.15.0",
}

# The label the role puts on the Nodes of gpu_nodes: NFD's worker runs only
# there, so only they get the NVIDIA PCI label the operator deploys on.
GPU_NODE_LABEL = "mlplatform.io/gpu-node"
# ConfigMaps the role creates in the operator's namespace.
CA_CONFIGMAP = "mlp-corporate-ca"
CA_KEY = "mlp-corporate-ca.crt"
REPO_CONFIGMAP = "mlp-driver-apt"
REPO_KEY = "mlp-nexus.list"
# A proxy URL with user:password goes to a Secret, read by the driver as env.
PROXY_SECRET = "mlp-driver-proxy"

CLUSTER_GPU_DEFAULTS = {"mig_strategy": "single", "driver_apt_url": "", "use_precompiled": False, "driver_crd": False}
CLUSTER_GPU_DOC = {
    "mig_strategy": "how MIG devices are advertised: none, single or mixed (chart: mig.strategy)",
    "driver_apt_url": "the Nexus apt proxy of Ubuntu's archive the driver container builds from "
                      "(https://nexus.example.com/repository/ubuntu), or \"\" for the archive through the proxy",
    "use_precompiled": "true: the precompiled driver (Ubuntu 22.04/24.04 with driver branch 580 or 595 only)",
    "driver_crd": "true: the driver is managed through an NVIDIADriver object (the chart's default one, on the GPU "
                  "nodes) instead of the ClusterPolicy's driver section (chart: driver.nvidiaDriverCRD)",
}
MIG_STRATEGIES = ("none", "single", "mixed")
# Precompiled drivers exist only for these branches (compatibility/matrix.yml,
# gpu_operator 26.7 driver_branches.source).
PRECOMPILED_BRANCHES = (580, 595)
UBUNTU_CODENAMES = {"ubuntu-22.04": "jammy", "ubuntu-24.04": "noble"}


# --------------------------------------------------------------------------
# Validation of cluster_gpu (hook: cluster_rules_global._check_gpu)
# --------------------------------------------------------------------------


def cluster_gpu_problems(value: Any, driver: Any = None) -> list:
    """Problems of a cluster_gpu value, each naming the variable and the fix (None: none)."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return ["cluster_gpu must be a mapping: write e.g. {mig_strategy: single}, or remove it for %s"
                % _show(CLUSTER_GPU_DEFAULTS)]
    problems = []
    for key in value:
        if key not in CLUSTER_GPU_DEFAULTS:
            problems.append("cluster_gpu.%s is not a key of cluster_gpu (%s): remove it or fix its name"
                            % (key, ", ".join(CLUSTER_GPU_DEFAULTS)))
    mig = value.get("mig_strategy", "single")
    if mig not in MIG_STRATEGIES:
        problems.append("cluster_gpu.mig_strategy is %r, not one of %s: write one of them"
                        % (mig, ", ".join(MIG_STRATEGIES)))
    url = value.get("driver_apt_url", "")
    why = _apt_url_problem(url)
    if why:
        problems.append("cluster_gpu.driver_apt_url %s: write the Nexus apt proxy's URL, e.g. "
                        "https://nexus.example.com/repository/ubuntu, or \"\"" % why)
    precompiled = value.get("use_precompiled", False)
    if not isinstance(precompiled, bool):
        problems.append("cluster_gpu.use_precompiled is %r, not a boolean: write true or false (unquoted)" % (precompiled,))
    elif precompiled and driver is not None:
        branch = str(driver).split(".", 1)[0]
        if not branch.isdigit() or int(branch) not in PRECOMPILED_BRANCHES:
            problems.append("cluster_gpu.use_precompiled is true but cluster_release.nvidia_driver %s is not of branch %s, "
                            "the only ones with precompiled drivers: set use_precompiled false or pin such a driver"
                            % (driver, " or ".join(str(b) for b in PRECOMPILED_BRANCHES)))
    driver_crd = value.get("driver_crd", False)
    if not isinstance(driver_crd, bool):
        problems.append("cluster_gpu.driver_crd is %r, not a boolean: write true or false (unquoted)" % (driver_crd,))
    return problems


def _apt_url_problem(url: Any) -> str:
    if url == "":
        return ""
    if not isinstance(url, str) or "://" not in url:
        return "(%r) is not an http:// or https:// URL" % (url,)
    if proxy_url.has_credentials(url):
        return "holds credentials, which would be readable in a ConfigMap"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return "does not parse as a URL (%s)" % exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "(%s) must be an http:// or https:// URL with a host" % url
    if parts.query or parts.fragment:
        return "(%s) must not have a query or fragment" % url
    return ""


def _show(value: Any) -> str:
    return "{%s}" % ", ".join("%s: %s" % (k, str(v).lower() if isinstance(v, bool) else (v if v != "" else '""'))
                              for k, v in value.items())


def gpu_settings(value: Any) -> dict:
    """cluster_gpu with its defaults."""
    settings = dict(CLUSTER_GPU_DEFAULTS)
    if isinstance(value, Mapping):
        settings.update(value)
    return settings


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def _mirrored(registry: str, upstream: str) -> str:
    return "%s/%s" % (registry, upstream) if registry else upstream


def _section(values: dict, path: str) -> dict:
    node = values
    for part in path.split("."):
        node = node.setdefault(part, {})
    return node


def values(chart_version: str, driver_version: str, *, registry: str = "", http_proxy: str = "",
           https_proxy: str = "", no_proxy: Any = (), ca_bundle: bool = False, cluster_gpu: Any = None) -> dict:
    """The chart's values for this description.

    ``chart_version``: cluster_release.gpu_operator (v26.7.0); ``driver_version``:
    cluster_release.nvidia_driver, always explicit (the chart's default moves
    with every chart release); ``registry``: cluster_mirror.registry or "";
    ``ca_bundle``: whether cluster_ca_bundle is set (the role puts it in the
    ConfigMap ``CA_CONFIGMAP``); ``cluster_gpu``: the description's mapping.
    """
    gpu = gpu_settings(cluster_gpu)
    out: dict = {}
    for path, upstream in IMAGES:
        _section(out, path)["repository"] = _mirrored(registry, upstream)
    for name in APP_VERSION_IMAGES:
        _section(out, name)["version"] = chart_version
    for path, tag in PINNED_TAGS.items():
        _section(out, path)["version"] = tag
    nfd = out.setdefault(SUBCHART, {})
    nfd["image"] = {"repository": _mirrored(registry, NFD_IMAGE), "tag": NFD_VERSION}
    # Node selection: NFD labels only the gpu_nodes (the role labels them), and
    # the operator deploys its operands only on Nodes NFD found a GPU on.
    nfd["worker"] = {"nodeSelector": {GPU_NODE_LABEL: "true"}}

    # The role applies the CRDs itself (server-side apply) before every install
    # and upgrade: the chart's pre-upgrade hook Job doing the same is left out.
    out["operator"]["upgradeCRD"] = False

    driver = out["driver"]
    driver.update({"enabled": True, "version": str(driver_version), "usePrecompiled": bool(gpu["use_precompiled"])})
    # One node at a time, drained first: GPU workloads move off before the driver reloads.
    driver["upgradePolicy"] = {
        "autoUpgrade": True,
        "maxParallelUpgrades": 1,
        "maxUnavailable": "1",
        "drain": {"enable": True, "force": False, "timeoutSeconds": 300, "deleteEmptyDir": True},
    }
    env = []
    secret_env = bool(proxy_url.has_credentials(http_proxy or "") or proxy_url.has_credentials(https_proxy or ""))
    if not secret_env:
        for name, value in (("HTTP_PROXY", http_proxy), ("HTTPS_PROXY", https_proxy)):
            if value:
                env += [{"name": name, "value": value}, {"name": name.lower(), "value": value}]
    if (http_proxy or https_proxy) and no_proxy:
        joined = ",".join(no_proxy) if isinstance(no_proxy, (list, tuple)) else str(no_proxy)
        env += [{"name": "NO_PROXY", "value": joined}, {"name": "no_proxy", "value": joined}]
    driver["env"] = env
    if secret_env:
        # The proxy's password must not land in the ClusterPolicy (readable by
        # anyone who may list it): the role puts HTTP(S)_PROXY in this Secret.
        driver["secretEnv"] = PROXY_SECRET
    if gpu["driver_apt_url"]:
        driver["repoConfig"] = {"configMapName": REPO_CONFIGMAP}
    if ca_bundle:
        driver["certConfig"] = {"name": CA_CONFIGMAP}
    # The chart's default NVIDIADriver (templates/nvidiadriver.yaml) carries the
    # driver section above instead of the ClusterPolicy. It is the fallback for
    # every GPU node (the CRD refuses a nodeSelector on a default one): the
    # nodes NFD labels, which are the gpu_nodes only.
    driver["nvidiaDriverCRD"] = {"enabled": bool(gpu["driver_crd"]), "deployDefaultCR": True, "driverType": "gpu"}

    out["toolkit"]["enabled"] = True
    out["dcgmExporter"]["enabled"] = True
    out["devicePlugin"]["enabled"] = True
    out["gfd"]["enabled"] = True
    out["mig"] = {"strategy": gpu["mig_strategy"]}
    out["migManager"]["enabled"] = gpu["mig_strategy"] != "none"
    return out


def apt_sources(url: str, os_names: Any) -> tuple[str, list]:
    """(the driver container's sources list, problems): one Ubuntu release, its updates and security suites."""
    codenames = sorted({UBUNTU_CODENAMES[o] for o in (os_names or []) if o in UBUNTU_CODENAMES})
    if len(codenames) != 1:
        return "", ["cluster_gpu.driver_apt_url needs exactly one Ubuntu release in cluster_release.os for the GPU nodes "
                    "(found %s): the driver container builds against that release's kernel headers"
                    % (", ".join(codenames) or "none")]
    base = url.rstrip("/")
    lines = ["deb %s %s%s main restricted universe" % (base, codenames[0], suite) for suite in ("", "-updates", "-security")]
    return "\n".join(lines) + "\n", []


# --------------------------------------------------------------------------
# The ClusterPolicy the chart renders from the values
# --------------------------------------------------------------------------

# Keys the template copies from a component's values when they are set
# (templates/clusterpolicy.yaml: "{{- if .Values.<c>.<key> }} <key>: ...").
_COMPONENT_KEYS = ("repository", "image", "version", "imagePullPolicy", "imagePullSecrets", "resources", "env", "args",
                   "installDir", "hostNetwork")
_COMPONENTS = ("toolkit", "devicePlugin", "dcgm", "dcgmExporter", "gfd", "migManager", "nodeStatusExporter")


def _copy(section: Mapping, keys: tuple) -> dict:
    return {key: copy.deepcopy(section[key]) for key in keys if section.get(key) not in (None, "", [], {}, False)}


def cluster_policy(vals: Mapping, app_version: str, chart_version: str = "v1.0.0-devel") -> dict:
    """The ClusterPolicy the chart renders from ``vals`` (the chart's values.yaml merged with ours).

    ``app_version``/``chart_version``: Chart.yaml's appVersion and version.

    Mirrors templates/clusterpolicy.yaml at v26.7.0 for the sections the
    project sets or the CRD requires; the disabled sandbox, vGPU and
    confidential-computing components are left out (the CRD does not require them).
    """
    spec: dict = {}
    spec["hostPaths"] = {k: vals["hostPaths"][k] for k in ("rootFS", "driverInstallDir") if vals["hostPaths"].get(k)}
    spec["operator"] = _copy(vals["operator"], ("runtimeClass", "defaultGPUMode"))
    ds = vals["daemonsets"]
    spec["daemonsets"] = _copy(ds, ("annotations", "tolerations", "priorityClassName", "updateStrategy"))
    spec["daemonsets"]["labels"] = dict(ds.get("labels") or {}, **{"app.kubernetes.io/managed-by": "gpu-operator",
                                                                   "helm.sh/chart": "gpu-operator-%s" % chart_version})
    if ds.get("rollingUpdate"):
        spec["daemonsets"]["rollingUpdate"] = {"maxUnavailable": str(ds["rollingUpdate"]["maxUnavailable"])}
    validator = _copy(vals["validator"], ("repository", "image", "imagePullPolicy", "imagePullSecrets", "resources", "env",
                                          "args", "hostNetwork"))
    validator["version"] = str(vals["validator"].get("version") or app_version)
    if vals["validator"].get("plugin"):
        validator["plugin"] = {"env": vals["validator"]["plugin"].get("env") or []}
    spec["validator"] = validator
    spec["mig"] = _copy(vals["mig"], ("strategy",))
    spec["psa"] = {"enabled": bool(vals["psa"]["enabled"])}
    spec["cdi"] = {"enabled": bool(vals["cdi"]["enabled"])}
    spec["driver"] = _driver(vals["driver"])
    for name in _COMPONENTS:
        section = vals[name]
        rendered = {"enabled": bool(section.get("enabled"))}
        rendered.update(_copy(section, _COMPONENT_KEYS))
        if name == "dcgmExporter":
            rendered.update(_copy(section, ("annotations", "serviceMonitor", "service", "hostPID", "hpcJobMapping")))
            if (section.get("config") or {}).get("name"):
                rendered["config"] = {"name": section["config"]["name"]}
        if name == "migManager" and section.get("config"):
            rendered["config"] = dict({"default": section["config"].get("default")},
                                      **({"name": section["config"]["name"]} if section["config"].get("name") else {}))
            if section.get("gpuClientsConfig"):
                rendered["gpuClientsConfig"] = copy.deepcopy(section["gpuClientsConfig"])
        if name == "nodeStatusExporter":
            rendered["version"] = str(section.get("version") or app_version)
        spec[name] = rendered
    return {"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy", "metadata": {"name": "cluster-policy"}, "spec": spec}


def _unquoted(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _upgrade_policy(driver: Mapping) -> Any:
    """driver.upgradePolicy as both templates (clusterpolicy.yaml, nvidiadriver.yaml) render it, or None."""
    policy = driver.get("upgradePolicy")
    if not policy:
        return None
    drain = policy.get("drain") or {}
    deletion = policy.get("gpuPodDeletion") or {}
    waiting = policy.get("waitForCompletion") or {}
    return {
        "autoUpgrade": bool(policy.get("autoUpgrade")),
        "maxParallelUpgrades": int(policy.get("maxParallelUpgrades") or 0),
        # Written unquoted by the template: "1" comes out as the number 1.
        "maxUnavailable": _unquoted(policy.get("maxUnavailable") or "25%"),
        "waitForCompletion": dict({"timeoutSeconds": waiting.get("timeoutSeconds")},
                                  **({"podSelector": waiting["podSelector"]} if waiting.get("podSelector") else {})),
        "podDeletion": {"force": bool(deletion.get("force")), "timeoutSeconds": deletion.get("timeoutSeconds"),
                        "deleteEmptyDir": bool(deletion.get("deleteEmptyDir"))},
        "drain": dict({"enable": bool(drain.get("enable")), "force": bool(drain.get("force")),
                       "timeoutSeconds": drain.get("timeoutSeconds"), "deleteEmptyDir": bool(drain.get("deleteEmptyDir"))},
                      **({"podSelector": drain["podSelector"]} if drain.get("podSelector") else {})),
    }


def _driver(driver: Mapping) -> dict:
    out = {"enabled": bool(driver["enabled"]), "useNvidiaDriverCRD": bool(driver["nvidiaDriverCRD"]["enabled"])}
    if not out["useNvidiaDriverCRD"]:
        out["kernelModuleType"] = driver["kernelModuleType"]
        out["usePrecompiled"] = bool(driver["usePrecompiled"])
        out.update(_copy(driver, ("repository", "image", "version", "imagePullPolicy", "imagePullSecrets", "startupProbe",
                                  "livenessProbe", "readinessProbe")))
        out["rdma"] = {"enabled": bool(driver["rdma"]["enabled"]), "useHostMofed": bool(driver["rdma"]["useHostMofed"])}
        out["manager"] = _copy(driver["manager"], ("repository", "image", "version", "imagePullPolicy", "env"))
        # The template writes these mappings whole whenever they exist (empty names included).
        for key, target in (("repoConfig", "repoConfig"), ("certConfig", "certConfig"), ("licensingConfig", "licensingConfig"),
                            ("virtualTopology", "virtualTopology"), ("kernelModuleConfig", "kernelModuleConfig")):
            if driver.get(key):
                out[target] = copy.deepcopy(driver[key])
        out.update(_copy(driver, ("secretEnv", "resources", "env", "args")))
    policy = _upgrade_policy(driver)
    if policy:
        out["upgradePolicy"] = policy
    if driver.get("hostNetwork"):
        out["hostNetwork"] = True
    return out


# --------------------------------------------------------------------------
# The NVIDIADriver the chart renders from the values
# --------------------------------------------------------------------------


def nvidia_driver(vals: Mapping) -> Any:
    """The default NVIDIADriver the chart renders from ``vals`` (merged values), or None when it renders none.

    Mirrors templates/nvidiadriver.yaml at v26.7.0: rendered when
    driver.enabled, driver.nvidiaDriverCRD.enabled and its deployDefaultCR;
    ``default: true`` (the fallback for every GPU node), so no nodeSelector.
    """
    driver = vals["driver"]
    crd = driver.get("nvidiaDriverCRD") or {}
    if not (driver.get("enabled") and crd.get("enabled") and crd.get("deployDefaultCR")):
        return None
    ds = vals.get("daemonsets") or {}
    spec: dict = {"default": True, "repository": driver["repository"], "image": driver["image"],
                  "version": str(driver["version"]), "kernelModuleType": driver["kernelModuleType"],
                  "usePrecompiled": bool(driver["usePrecompiled"]), "driverType": crd.get("driverType") or "gpu"}
    spec.update(_copy(ds, ("annotations", "labels")))
    spec.update(_copy(driver, ("imagePullSecrets", "manager", "startupProbe", "livenessProbe", "readinessProbe")))
    policy = _upgrade_policy(driver)
    if policy:
        spec["upgradePolicy"] = policy
    spec["rdma"] = {"enabled": bool(driver["rdma"]["enabled"]), "useHostMofed": bool(driver["rdma"]["useHostMofed"])}
    spec.update(_copy(ds, ("tolerations",)))
    if (driver.get("repoConfig") or {}).get("configMapName"):
        spec["repoConfig"] = {"name": driver["repoConfig"]["configMapName"]}
    if (driver.get("certConfig") or {}).get("name"):
        spec["certConfig"] = {"name": driver["certConfig"]["name"]}
    licensing = driver.get("licensingConfig") or {}
    nls = licensing.get("nlsEnabled")
    if licensing.get("secretName"):
        spec["licensingConfig"] = {"secretName": licensing["secretName"], "nlsEnabled": True if nls in (None, "") else nls}
    elif licensing.get("configMapName"):
        spec["licensingConfig"] = {"name": licensing["configMapName"], "nlsEnabled": True if nls in (None, "") else nls}
    if (driver.get("virtualTopology") or {}).get("config"):
        spec["virtualTopologyConfig"] = {"name": driver["virtualTopology"]["config"]}
    if (driver.get("kernelModuleConfig") or {}).get("name"):
        spec["kernelModuleConfig"] = {"name": driver["kernelModuleConfig"]["name"]}
    spec.update(_copy(driver, ("secretEnv", "resources", "env", "args", "hostNetwork")))
    for name in ("gds", "gdrcopy"):
        section = vals.get(name) or {}
        # gds only when enabled; gdrcopy whenever the section exists ("enabled | default false").
        if (name == "gds" and section.get("enabled")) or (name == "gdrcopy" and section):
            rendered = {"enabled": bool(section.get("enabled"))}
            rendered.update(_copy(section, ("repository", "image")))
            rendered["version"] = "" if section.get("version") is None else str(section["version"])
            rendered.update(_copy(section, ("imagePullPolicy", "imagePullSecrets", "env", "args")))
            spec[name] = rendered
    return {"apiVersion": "nvidia.com/v1alpha1", "kind": "NVIDIADriver", "metadata": {"name": "default"}, "spec": spec}


# The operator's documented switch that keeps its operands off a Node.
OPERANDS_OFF = {"nvidia.com/gpu.deploy.operands": "false"}


def node_label_patches(nodes: Any, gpu_nodes: Any, gpu_label: str) -> list:
    """Merge patches labelling every Node: GPU nodes in (gpu_label), the others out."""
    gpu = set(gpu_nodes or [])
    return [{"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": node, "labels": {gpu_label: "true"} if node in gpu else dict(OPERANDS_OFF)}}
            for node in nodes or []]
