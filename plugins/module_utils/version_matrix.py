# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Pure evaluation of a release bundle (and optionally the versions found on
# hosts or in a cluster) against compatibility/matrix.yml; plain pytest covers
# every rule. The only I/O is load_matrix(), which reads the matrix file.
#
# One implementation for every caller: the inventory validation
# (cluster_model.py, before any host is touched) evaluates the bundle alone;
# the version_check action (preflight, validate, the Kubernetes layer) adds
# what it found on live hosts and in the running cluster.

from __future__ import annotations

import os
import re

# compatibility/matrix.yml of the repository (or collection) holding this file.
DEFAULT_MATRIX = os.path.normpath(
    os.path.join(os.path.dirname(os.path.realpath(__file__)), os.pardir, os.pardir, "compatibility", "matrix.yml")
)

# Rule names are stable identifiers: playbooks and tests match on them.
RULES = {
    "bundle_required": "the release bundle must name kubespray and kubernetes",
    "version_format": "a version must start with dotted numbers, e.g. 1.35.4",
    "kubespray_release_known": "the Kubespray release must be described in the matrix",
    "kubespray_kubernetes_version": "Kubespray installs only the Kubernetes versions it has checksums for",
    "kubespray_containerd_version": "Kubespray installs only the containerd versions it has checksums for",
    "kubespray_etcd_series": "Kubespray pairs each Kubernetes minor with one etcd release series",
    "kubespray_etcd_version": "Kubespray installs only the etcd versions it has checksums for",
    "kubespray_ansible_core": "Kubespray runs only with its supported ansible-core range",
    "kubespray_os": "Kubespray supports only the listed operating systems",
    "containerd_kubernetes": "containerd must be a version recommended for the Kubernetes minor",
    "gpu_operator_release_known": "the GPU Operator release must be described in the matrix",
    "gpu_operator_os": "the GPU Operator supports only the listed operating systems",
    "gpu_operator_kubernetes": "the GPU Operator supports a Kubernetes range per operating system",
    "gpu_operator_driver_branch": "the GPU Operator supports only the listed driver branches",
    "gpu_operator_containerd": "the GPU Operator is validated up to a containerd release series",
    "kubeflow_release_known": "the Kubeflow release must be described in the matrix",
    "kubeflow_kubernetes_minimum": "Kubeflow needs a minimum Kubernetes minor",
    "kubeflow_kustomize": "Kubeflow's manifests are built with a minimum kustomize version",
    "kubelet_not_newer_than_apiserver": "kubelet must not be newer than kube-apiserver",
    "kubelet_max_skew": "kubelet may be at most N minor versions older than kube-apiserver",
    "apiserver_ha_skew": "kube-apiserver instances must be within one minor version of each other",
    "upgrade_one_minor_at_a_time": "Kubernetes upgrades must not skip a minor version",
    "kernel_minimum": "nodes need at least the minimum kernel version",
    "running_equals_bundle": "a running cluster must run exactly the release bundle's Kubernetes version",
    "dockershim_removed": "Kubernetes removed dockershim in 1.24, so from 1.24 on the kubelet cannot run Docker Engine",
    "glusterfs_os": "GlusterFS is installed from the node OS's archive, so the pin must be the version that OS ships",
}

# Bundle keys (cluster_release) the rules read; a key that is not here is
# read by no rule.
BUNDLE_KEYS = ("kubespray", "kubernetes", "containerd", "etcd", "os", "gpu_operator", "nvidia_driver", "kubeflow",
               "kustomize", "glusterfs", "container_runtime")

_VERSION_RE = re.compile(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


class BadVersion(ValueError):
    pass


class MatrixError(ValueError):
    """The matrix file cannot be read or is not a mapping."""


def load_matrix(path=None):
    """Read the matrix (default: DEFAULT_MATRIX); MatrixError names the file and why."""
    import yaml  # PyYAML, an ansible-core dependency; only the controller loads the matrix

    path = path or DEFAULT_MATRIX
    try:
        with open(path, encoding="utf-8") as handle:
            matrix = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise MatrixError("cannot read the compatibility matrix %s: %s" % (path, exc)) from exc
    if not isinstance(matrix, dict):
        raise MatrixError("the compatibility matrix %s is not a mapping" % path)
    return matrix


def parse_version(value):
    """'v1.35.4' / '1.35.4-1.1' / '2.2' / 595 -> (1, 35, 4) / (2, 2, 0) / (595, 0, 0)."""
    match = _VERSION_RE.match(str(value)) if value is not None else None
    if not match:
        raise BadVersion("%r is not a version" % (value,))
    return tuple(int(part) if part is not None else 0 for part in match.groups())


def minor_of(value):
    """(major, minor) of a version, e.g. '1.35.4' -> (1, 35)."""
    return parse_version(value)[:2]


def minor_str(minor):
    return "%d.%d" % minor


def release_key(value):
    """Bundle release names to matrix keys: 'v26.7.0' -> '26.7', '26.03' -> '26.03'."""
    text = str(value).strip().lstrip("v")
    parts = text.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else text


def normalize_os(value):
    """'Ubuntu 24.04' / 'ubuntu-24.04' / 'Debian 12.7' -> 'ubuntu-24.04' / 'debian-12'."""
    text = re.sub(r"[\s_]+", "-", str(value).strip().lower())
    name, _sep, version = text.partition("-")
    if name == "debian" and version:
        version = version.split(".")[0]
    return "%s-%s" % (name, version) if version else name


class _Evaluator:
    def __init__(self, matrix):
        self.matrix = matrix or {}
        self.conflicts = []

    def add(self, rule, component, value, expected, source, detail=None, fix=None):
        """Record a conflict; `fix` is what to change, phrased for the release bundle."""
        url = source.get("url", "") if isinstance(source, dict) else str(source or "")
        unverified = isinstance(source, dict) and source.get("verified") is False
        message = "%s = %s breaks %s (%s): expected %s" % (component, value, rule, RULES[rule], expected)
        if detail:
            message += "; " + detail
        if unverified:
            message += " [source not verified]"
        self.conflicts.append(
            {
                "rule": rule,
                "component": component,
                "value": value if value is None else str(value),
                "expected": expected,
                "source": url,
                "message": message,
                "fix": fix or "make %s %s" % (component, expected),
            }
        )

    def version(self, component, value):
        """Parse or record a version_format conflict and return None."""
        try:
            return parse_version(value)
        except BadVersion:
            self.add("version_format", component, value, "a version such as 1.35.4", "",
                     fix="write %s as an exact version such as 1.35.4" % component)
            return None


def _qualifies_containerd(version, minimums):
    """containerd `version` meets one of the per-series minimums, or is newer
    than the newest series listed (an open-ended "X.Y.0+")."""
    parsed = [parse_version(m) for m in minimums]
    for floor in parsed:
        if version[:2] == floor[:2]:
            return version >= floor
    newest = max(parsed)
    return version[:2] > newest[:2]


def _check_containerd(ev, component, containerd, k8s_minor):
    table = (ev.matrix.get("containerd") or {}).get("kubernetes_minimums") or {}
    source = (ev.matrix.get("containerd") or {}).get("source")
    minimums = table.get(minor_str(k8s_minor))
    listed = ", ".join("%s+" % m for m in minimums) if minimums else ""
    if minimums is None:
        ev.add(
            "containerd_kubernetes",
            component,
            containerd,
            "a Kubernetes minor listed in containerd's table (%s)" % ", ".join(sorted(table)),
            source,
            "Kubernetes %s is not listed" % minor_str(k8s_minor),
            fix="pin a Kubernetes minor containerd's table lists (%s)" % ", ".join(sorted(table)),
        )
    elif not _qualifies_containerd(parse_version(containerd), minimums):
        ev.add(
            "containerd_kubernetes",
            component,
            containerd,
            "%s for Kubernetes %s" % (listed, minor_str(k8s_minor)),
            source,
            fix="pin a containerd that meets one of %s (each a minimum within its own release series)" % listed,
        )


def _check_kubespray(ev, wanted, k8s, k8s_text):
    release = wanted.get("kubespray")
    entry = (ev.matrix.get("kubespray") or {}).get(str(release))
    if entry is None:
        known = ", ".join(sorted(ev.matrix.get("kubespray") or {}))
        ev.add("kubespray_release_known", "kubespray", release, "one of %s" % known, "",
               fix="pin a Kubespray release the matrix describes (%s), or describe the new release in "
                   "compatibility/matrix.yml with its sources" % known)
        return None
    kube = entry["kubernetes"]
    newest = kube["newest_patch"].get(minor_str(k8s[:2]))
    if newest is None or k8s > parse_version(newest) or k8s < parse_version(kube["minimum"]):
        ranges = ", ".join("%s.0-%s" % (m, p) for m, p in sorted(kube["newest_patch"].items()))
        ev.add("kubespray_kubernetes_version", "kubernetes", k8s_text, "one of %s (Kubespray %s)" % (ranges, release),
               kube["source"], fix="pin a Kubernetes version Kubespray %s installs, e.g. its default %s, or a Kubespray "
               "release that installs %s" % (release, kube["default"], k8s_text))

    containerd = wanted.get("containerd")
    if containerd is not None:
        version = ev.version("containerd", containerd)
        block = entry["containerd"]
        if version and not parse_version(block["minimum"]) <= version <= parse_version(block["maximum"]):
            ev.add(
                "kubespray_containerd_version",
                "containerd",
                containerd,
                "%s to %s (Kubespray %s)" % (block["minimum"], block["maximum"], release),
                block["source"],
                fix="pin a containerd from %s to %s, e.g. Kubespray %s's default %s"
                    % (block["minimum"], block["maximum"], release, block["default"]),
            )

    etcd = wanted.get("etcd")
    if etcd is not None:
        version = ev.version("etcd", etcd)
        block = entry["etcd"]
        series = block["series_by_kubernetes_minor"].get(minor_str(k8s[:2]))
        if version and series and version[:2] != parse_version(series)[:2]:
            ev.add(
                "kubespray_etcd_series",
                "etcd",
                etcd,
                "etcd %s.x with Kubernetes %s (Kubespray %s)" % (series, minor_str(k8s[:2]), release),
                block["source"],
                fix="pin an etcd %s.x release (Kubespray %s installs %s to %s), or the Kubernetes minor that "
                    "Kubespray pairs with etcd %s" % (series, release, block["minimum"], block["maximum"],
                                                      ".".join(str(p) for p in version[:2])),
            )
        if version and not parse_version(block["minimum"]) <= version <= parse_version(block["maximum"]):
            ev.add(
                "kubespray_etcd_version",
                "etcd",
                etcd,
                "%s to %s (Kubespray %s)" % (block["minimum"], block["maximum"], release),
                block["source"],
                fix="pin an etcd version from %s to %s of the series Kubespray pairs with the Kubernetes minor"
                    % (block["minimum"], block["maximum"]),
            )

    for os_name in wanted.get("os") or []:
        _check_kubespray_os(ev, entry, release, "os", os_name)
    return entry


def _check_kubespray_os(ev, entry, release, component, os_name):
    block = entry["os"]
    if normalize_os(os_name) not in block["supported"]:
        ev.add(
            "kubespray_os",
            component,
            os_name,
            "one of %s (Kubespray %s)" % (", ".join(block["supported"]), release),
            block["source"],
            fix="run the nodes on one of %s" % ", ".join(block["supported"]),
        )


def _check_gpu_operator(ev, wanted, k8s):
    release = wanted.get("gpu_operator")
    operators = ev.matrix.get("gpu_operator") or {}
    entry = operators.get(release_key(release))
    if entry is None:
        ev.add("gpu_operator_release_known", "gpu_operator", release, "one of %s" % ", ".join(sorted(operators)), "",
               fix="pin a GPU Operator release the matrix describes (%s), or describe the new release in "
                   "compatibility/matrix.yml with its sources" % ", ".join("v%s.x" % k for k in sorted(operators)))
        return None
    for os_name in wanted.get("os") or []:
        _check_gpu_os(ev, entry, release, "os", os_name, k8s)
    driver = wanted.get("nvidia_driver")
    if driver is not None:
        _check_driver(ev, entry, release, "nvidia_driver", driver)
    containerd = wanted.get("containerd")
    if containerd is not None and parse_version(containerd)[:2] > parse_version(entry["containerd"]["newest_series"])[:2]:
        ev.add(
            "gpu_operator_containerd",
            "containerd",
            containerd,
            "containerd %s.x or older (GPU Operator %s)" % (entry["containerd"]["newest_series"], release),
            entry["containerd"]["source"],
            fix="pin containerd %s.x or older" % entry["containerd"]["newest_series"],
        )
    return entry


def _check_gpu_os(ev, entry, release, component, os_name, k8s):
    by_os = entry["kubernetes_by_os"]
    key = normalize_os(os_name)
    if key not in by_os:
        ev.add(
            "gpu_operator_os",
            component,
            os_name,
            "one of %s (GPU Operator %s)" % (", ".join(sorted(by_os)), release),
            entry["source"],
            fix="run the GPU nodes on one of %s" % ", ".join(sorted(by_os)),
        )
        return
    if k8s is None:
        return
    span = by_os[key]
    if not minor_of(span["minimum"]) <= k8s[:2] <= minor_of(span["maximum"]):
        ev.add(
            "gpu_operator_kubernetes",
            "kubernetes",
            minor_str(k8s[:2]),
            "Kubernetes %s to %s on %s (GPU Operator %s)" % (span["minimum"], span["maximum"], key, release),
            entry["source"],
            fix="pin Kubernetes %s to %s, or a GPU Operator release that supports Kubernetes %s on %s"
                % (span["minimum"], span["maximum"], minor_str(k8s[:2]), key),
        )


def _check_driver(ev, entry, release, component, driver):
    version = ev.version(component, driver)
    block = entry["driver_branches"]
    if version and version[0] not in block["supported"]:
        ev.add(
            "gpu_operator_driver_branch",
            component,
            driver,
            "a driver from branch %s (GPU Operator %s)" % (", ".join(str(b) for b in block["supported"]), release),
            block["source"],
            fix="pin a driver of branch %s, e.g. the GPU Operator's default %s"
                % (", ".join(str(b) for b in block["supported"]), block["default"]),
        )


def _check_kubeflow(ev, wanted, k8s):
    release = wanted.get("kubeflow")
    releases = ev.matrix.get("kubeflow") or {}
    entry = releases.get(release_key(release))
    if entry is None:
        ev.add("kubeflow_release_known", "kubeflow", release, "one of %s" % ", ".join(sorted(releases)), "",
               fix="pin a Kubeflow release the matrix describes (%s), or describe the new release in "
                   "compatibility/matrix.yml with its sources" % ", ".join(sorted(releases)))
        return
    minimum = entry["kubernetes"]["minimum"]
    if k8s is not None and k8s[:2] < minor_of(minimum):
        ev.add(
            "kubeflow_kubernetes_minimum",
            "kubernetes",
            minor_str(k8s[:2]),
            "Kubernetes %s or newer (Kubeflow %s)" % (minimum, release),
            entry["kubernetes"]["source"],
            fix="pin Kubernetes %s or newer, or a Kubeflow release that supports Kubernetes %s"
                % (minimum, minor_str(k8s[:2])),
        )
    kustomize = wanted.get("kustomize")
    if kustomize is not None:
        version = ev.version("kustomize", kustomize)
        block = entry["kustomize"]
        if version and version < parse_version(block["minimum"]):
            ev.add(
                "kubeflow_kustomize",
                "kustomize",
                kustomize,
                "kustomize %s or newer (Kubeflow %s is tested with %s)" % (block["minimum"], release, block["tested"]),
                block["source"],
                fix="pin kustomize %s (what Kubeflow %s is tested with)" % (block["tested"], release),
            )


def runtime_name(value):
    """'Docker' / 'docker://24.0.7' (a Node's containerRuntimeVersion) -> 'docker'."""
    return str(value).strip().lower().split("://", maxsplit=1)[0].strip()


def _check_container_runtime(ev, component, value, k8s):
    """A runtime the matrix bounds by Kubernetes version (docker: dockershim, gone in 1.24)."""
    name = runtime_name(value)
    for runtime, block in sorted((ev.matrix.get("container_runtimes") or {}).items()):
        if name not in [str(n).lower() for n in block.get("names") or [runtime]]:
            continue
        below = block.get("kubernetes_below")
        if below is not None and k8s is not None and k8s[:2] >= minor_of(below):
            ev.add(
                "dockershim_removed",
                component,
                value,
                "Kubernetes older than %s for %s (this bundle pins Kubernetes %s)" % (below, runtime, minor_str(k8s[:2])),
                block.get("source"),
                fix="run containerd, the runtime this installer deploys (its version is cluster_release.containerd); "
                    "Docker Engine would need Mirantis' cri-dockerd, which this installer neither deploys nor tests",
            )


def _numbers(value):
    """The leading dotted numbers of a version as strings: '10.3-5' -> ['10', '3']."""
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", str(value))
    return match.group(1).split(".") if match else []


def _check_glusterfs(ev, wanted):
    """The glusterfs pin against what each node OS ships (apt installs `glusterfs-server=<pin>*`)."""
    block = ev.matrix.get("glusterfs") or {}
    shipped_by_os = block.get("shipped_by_os") or {}
    pin = _numbers(wanted["glusterfs"])
    for os_name in wanted.get("os") or []:
        shipped = shipped_by_os.get(normalize_os(os_name))
        if shipped is None:
            continue  # an OS without data is kubespray_os's to refuse
        parts = _numbers(shipped)
        if len(pin) > len(parts) or parts[: len(pin)] != pin:
            ships = ", ".join("%s ships %s" % (normalize_os(o), shipped_by_os[normalize_os(o)])
                              for o in wanted.get("os") or [] if normalize_os(o) in shipped_by_os)
            ev.add(
                "glusterfs_os",
                "glusterfs",
                wanted["glusterfs"],
                "GlusterFS %s, the version %s ships" % (shipped, normalize_os(os_name)),
                block.get("source"),
                fix="pin what every node OS ships (%s), or remove cluster_release.glusterfs to install each OS's own "
                    "version" % ships,
            )


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_exact(ev, found, wanted, k8s):
    """Running apiservers and kubelets equal the bundle (an existing cluster is
    checked, not upgraded: a difference means the description is out of date)."""
    running = [("apiserver[%d]" % i, v) for i, v in enumerate(_as_list(found.get("apiserver")))]
    running += [("hosts/%s/kubelet" % host, (facts or {}).get("kubelet"))
                for host, facts in sorted((found.get("hosts") or {}).items())]
    for component, value in running:
        try:
            version = parse_version(value) if value is not None else None
        except BadVersion:
            continue  # _check_found already reported it (version_format)
        if version and version != k8s:
            ev.add("running_equals_bundle", component, value, wanted.get("kubernetes"),
                   "the release bundle (cluster_release.kubernetes)")


def _check_found(ev, found, wanted, k8s, kubespray_entry, gpu_entry):
    skew = ev.matrix.get("kubernetes_skew") or {}
    upgrade = ev.matrix.get("kubernetes_upgrade") or {}
    max_older = skew.get("kubelet_max_minors_older", 3)

    ansible_core = found.get("ansible_core")
    if ansible_core is not None and kubespray_entry is not None:
        version = ev.version("ansible_core", ansible_core)
        block = kubespray_entry["ansible_core"]
        if version and not parse_version(block["minimum"]) <= version < parse_version(block["below"]):
            ev.add(
                "kubespray_ansible_core",
                "ansible_core",
                ansible_core,
                ">= %s and < %s (Kubespray %s)" % (block["minimum"], block["below"], wanted.get("kubespray")),
                block["source"],
            )

    apiservers = []
    for index, value in enumerate(_as_list(found.get("apiserver"))):
        version = ev.version("apiserver[%d]" % index, value)
        if version:
            apiservers.append((value, version))
    if apiservers:
        newest = max(apiservers, key=lambda item: item[1])
        oldest = min(apiservers, key=lambda item: item[1])
        spread = newest[1][1] - oldest[1][1]
        if newest[1][0] != oldest[1][0] or spread > skew.get("apiserver_ha_max_minor_spread", 1):
            ev.add(
                "apiserver_ha_skew",
                "apiserver",
                ", ".join(str(v) for v, _p in apiservers),
                "all instances within %d minor of each other" % skew.get("apiserver_ha_max_minor_spread", 1),
                skew.get("source"),
            )
        if k8s is not None:
            step = upgrade.get("max_minor_step", 1)
            if k8s[0] == oldest[1][0] and k8s[1] - oldest[1][1] > step:
                ev.add(
                    "upgrade_one_minor_at_a_time",
                    "kubernetes",
                    wanted.get("kubernetes"),
                    "at most Kubernetes %d.%d while kube-apiserver runs %s (upgrade one minor at a time)"
                    % (oldest[1][0], oldest[1][1] + step, oldest[0]),
                    upgrade.get("source"),
                )

    # kubelets are judged against the running apiservers (the oldest one is
    # the binding limit for "not newer", the newest for "not too old") and
    # against the wanted version, which the control plane runs after the play.
    references = []
    if apiservers:
        references.append(("running kube-apiserver", oldest, newest))
    if k8s is not None:
        references.append(("wanted kube-apiserver", (wanted.get("kubernetes"), k8s), (wanted.get("kubernetes"), k8s)))

    for host in sorted(found.get("hosts") or {}):
        facts = found["hosts"][host] or {}
        prefix = "hosts/%s/" % host
        kubelet = facts.get("kubelet")
        kubelet_version = ev.version(prefix + "kubelet", kubelet) if kubelet is not None else None
        if kubelet_version:
            for label, (low_text, low), (high_text, high) in references:
                if kubelet_version[:2] > low[:2]:
                    ev.add(
                        "kubelet_not_newer_than_apiserver",
                        prefix + "kubelet",
                        kubelet,
                        "at most %s (%s %s)" % (minor_str(low[:2]), label, low_text),
                        skew.get("source"),
                    )
                if high[0] == kubelet_version[0] and high[1] - kubelet_version[1] > max_older:
                    ev.add(
                        "kubelet_max_skew",
                        prefix + "kubelet",
                        kubelet,
                        "at least %d.%d (at most %d minors older than %s %s)"
                        % (high[0], high[1] - max_older, max_older, label, high_text),
                        skew.get("source"),
                    )
        containerd = facts.get("containerd")
        if containerd is not None and ev.version(prefix + "containerd", containerd):
            target = k8s[:2] if k8s is not None else (kubelet_version[:2] if kubelet_version else None)
            if target:
                _check_containerd(ev, prefix + "containerd", containerd, target)
        runtime = facts.get("container_runtime")
        if runtime is not None and k8s is not None:
            _check_container_runtime(ev, prefix + "container_runtime", runtime, k8s)
        kernel = facts.get("kernel")
        if kernel is not None:
            version = ev.version(prefix + "kernel", kernel)
            block = ev.matrix.get("kernel") or {}
            if version and block and version < parse_version(block["minimum"]):
                ev.add("kernel_minimum", prefix + "kernel", kernel, "%s or newer" % block["minimum"], block["source"])
        os_name = facts.get("os")
        if os_name is not None and kubespray_entry is not None:
            _check_kubespray_os(ev, kubespray_entry, wanted.get("kubespray"), prefix + "os", os_name)
        is_gpu = facts.get("gpu") or facts.get("nvidia_driver") is not None
        if is_gpu and gpu_entry is not None:
            if os_name is not None:
                _check_gpu_os(ev, gpu_entry, wanted.get("gpu_operator"), prefix + "os", os_name, k8s)
            if facts.get("nvidia_driver") is not None:
                _check_driver(ev, gpu_entry, wanted.get("gpu_operator"), prefix + "nvidia_driver", facts["nvidia_driver"])


def evaluate(matrix, wanted, found=None, exact=False):
    """Return the list of conflicts (empty when compatible).

    wanted: the release bundle, e.g. {kubespray: v2.31.0, kubernetes: 1.35.4,
      containerd: 2.2.3, etcd: 3.6.10, os: [ubuntu-24.04], gpu_operator: v26.7.0,
      nvidia_driver: 595.91.07, kubeflow: '26.03', kustomize: 5.8.1,
      glusterfs: '11.1', container_runtime: containerd}; see BUNDLE_KEYS.
    found (optional): {ansible_core: '2.18.19', apiserver: '1.34.3' or a list
      for HA, hosts: {name: {kubelet, containerd, container_runtime, kernel, os,
      nvidia_driver, gpu}}}.
    exact: the found apiservers and kubelets must equal wanted's Kubernetes
      version (running_equals_bundle), as for a cluster checked, not upgraded.
    Each conflict is {rule, component, value, expected, source, message, fix};
    `fix` says what to change in the release bundle (or on the host).
    """
    ev = _Evaluator(matrix)
    wanted = wanted or {}
    for key in ("kubespray", "kubernetes"):
        if not wanted.get(key):
            ev.add("bundle_required", key, None, "a value in the release bundle", "",
                   fix="add %s to cluster_release" % key)
    k8s = None
    if wanted.get("kubernetes"):
        k8s = ev.version("kubernetes", wanted["kubernetes"])
    # Stop at a malformed bundle version: every later rule would repeat it.
    for key in ("containerd", "etcd", "nvidia_driver", "kustomize", "glusterfs"):
        if wanted.get(key) is not None:
            ev.version(key, wanted[key])
    if ev.conflicts:
        return ev.conflicts

    kubespray_entry = _check_kubespray(ev, wanted, k8s, wanted["kubernetes"])
    if wanted.get("containerd") is not None:
        _check_containerd(ev, "containerd", wanted["containerd"], k8s[:2])
    gpu_entry = _check_gpu_operator(ev, wanted, k8s) if wanted.get("gpu_operator") else None
    if wanted.get("kubeflow"):
        _check_kubeflow(ev, wanted, k8s)
    if wanted.get("container_runtime") is not None:
        _check_container_runtime(ev, "container_runtime", wanted["container_runtime"], k8s)
    if wanted.get("glusterfs") is not None:
        _check_glusterfs(ev, wanted)
    if found:
        _check_found(ev, found, wanted, k8s, kubespray_entry, gpu_entry)
        if exact:
            _check_exact(ev, found, wanted, k8s)
    return ev.conflicts


def summary(conflicts):
    """Multi-line text listing every conflict, for a failure message."""
    if not conflicts:
        return "compatible"
    lines = ["%d compatibility conflict(s):" % len(conflicts)]
    lines.extend("- %s (source: %s)" % (c["message"], c["source"] or "compatibility/matrix.yml") for c in conflicts)
    return "\n".join(lines)
