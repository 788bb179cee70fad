# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Pure logic of playbooks/upgrade.yml: the versions a running cluster reports
# (the API's /version, each Node's nodeInfo, etcd's `endpoint status`), the
# plan from -> to per component against the target release bundle
# (cluster_release), and the version gate. The compatibility and skew rules
# (one Kubernetes minor at a time, kubelet never newer than kube-apiserver,
# containerd per minor, what Kubespray installs) are version_matrix.py's:
# this file only feeds them what it found and adds the one rule the matrix
# has no reason to know, that an upgrade never goes backwards. No I/O.

from __future__ import annotations

import json

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory, version_matrix

# Rules of this file (version_matrix.RULES holds the others).
RULES = {
    "no_downgrade": "an upgrade never goes to an older version (Kubernetes and etcd do not support downgrades)",
    "running_versions_readable": "the running versions must be read from the live cluster before planning",
}

# Components in the order they are upgraded (Kubespray's upgrade_cluster.yml:
# etcd, then the control plane, then each node's container runtime and kubelet).
COMPONENTS = ("etcd", "kube-apiserver", "containerd", "kubelet")
_BUNDLE_KEY = {"etcd": "etcd", "kube-apiserver": "kubernetes", "containerd": "containerd", "kubelet": "kubernetes"}


def _strip(value):
    """'v1.35.4' -> '1.35.4'; 'containerd://2.2.3' -> '2.2.3'."""
    text = str(value).strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text[1:] if text.startswith("v") else text


def parse_etcd_endpoint_status(stdout):
    """`etcdctl endpoint status -w json [--cluster]` -> {endpoint: version}.

    etcdctl prints one JSON array of {Endpoint, Status: {header, version, ...}}.
    """
    data = json.loads(stdout) if isinstance(stdout, str) else stdout
    return {entry.get("Endpoint", "?"): (entry.get("Status") or {}).get("version")
            for entry in data or [] if (entry.get("Status") or {}).get("version")}


def running_versions(version_info, nodes, etcd=None):
    """What the live cluster runs.

    version_info: the API's /version document ({gitVersion: v1.35.4, ...}), as
      kubernetes.core.k8s_cluster_info returns it under version.server.kubernetes.
    nodes: Node objects as the API returns them.
    etcd: {endpoint: version} (parse_etcd_endpoint_status), or None when not read.
    Returns {apiserver: [..], hosts: {node: {kubelet, containerd, container_runtime}}, etcd: {..}}.
    """
    hosts = {}
    for node in nodes or []:
        name = (node.get("metadata") or {}).get("name", "?")
        info = (node.get("status") or {}).get("nodeInfo") or {}
        runtime = info.get("containerRuntimeVersion") or ""
        entry = {"kubelet": info.get("kubeletVersion")}
        if runtime:
            entry["container_runtime"] = version_matrix.runtime_name(runtime)
            if entry["container_runtime"] == "containerd":
                entry["containerd"] = _strip(runtime)
        hosts[name] = entry
    server = (version_info or {}).get("gitVersion")
    return {"apiserver": [server] if server else [], "hosts": hosts, "etcd": dict(etcd or {})}


def _instances(running, component):
    """[(instance, version)] of one component."""
    if component == "kube-apiserver":
        return [("api", v) for v in running.get("apiserver") or []]
    if component == "etcd":
        return sorted((running.get("etcd") or {}).items())
    key = "kubelet" if component == "kubelet" else "containerd"
    return [(host, facts.get(key)) for host, facts in sorted((running.get("hosts") or {}).items())
            if facts.get(key)]


def _compare(current, target):
    try:
        a, b = version_matrix.parse_version(current), version_matrix.parse_version(target)
    except version_matrix.BadVersion:
        return "unknown"
    return "unchanged" if a == b else ("upgrade" if a < b else "downgrade")


def plan(running, wanted):
    """One row per component and running version: {component, from, to, action, instances}.

    action: upgrade, unchanged, downgrade, unknown (a version that does not
    parse), or unread (the component was not read: its `from` is None).
    Instances that run the same version share a row.
    """
    rows = []
    for component in COMPONENTS:
        target = wanted.get(_BUNDLE_KEY[component])
        target = _strip(target) if target is not None else None
        by_version = {}
        for instance, version in _instances(running, component):
            by_version.setdefault(_strip(version), []).append(instance)
        if not by_version:
            rows.append({"component": component, "from": None, "to": target, "action": "unread", "instances": []})
            continue
        for version in sorted(by_version, key=_sort_key):
            action = _compare(version, target) if target is not None else "unchanged"
            rows.append({"component": component, "from": version, "to": target if target is not None else version,
                         "action": action, "instances": by_version[version]})
    return rows


def _sort_key(version):
    try:
        return (0, version_matrix.parse_version(version), version)
    except version_matrix.BadVersion:
        return (1, (0, 0, 0), version)


def plan_lines(rows):
    """Printable lines: 'kubelet 1.35.3 -> 1.35.4 (upgrade; 2 Nodes: a, b)'."""
    lines = []
    for row in rows:
        if row["action"] == "unread":
            lines.append("%s: running version not read -> %s" % (row["component"], row["to"]))
            continue
        count = len(row["instances"])
        where = ""
        if row["component"] in ("kubelet", "containerd"):
            shown = ", ".join(row["instances"][:5]) + (", ..." if count > 5 else "")
            where = "; %d Node%s: %s" % (count, "" if count == 1 else "s", shown)
        elif row["component"] == "etcd":
            where = "; %d member%s" % (count, "" if count == 1 else "s")
        lines.append("%s %s -> %s (%s%s)" % (row["component"], row["from"], row["to"], row["action"], where))
    return lines


def _refusal(rule, message, fix, source=""):
    return {"rule": rule, "message": message, "fix": fix, "source": source}


def version_gate(matrix, running, wanted):
    """Every reason the versions refuse this upgrade: [{rule, message, fix, source}] (empty: go).

    The bundle itself and the running versions go through version_matrix.evaluate
    (what Kubespray installs, one minor at a time, kubelet skew, containerd per
    minor); this adds no_downgrade and running_versions_readable.
    """
    refusals = []
    if not running.get("apiserver"):
        refusals.append(_refusal(
            "running_versions_readable", "kube-apiserver's version could not be read from /version",
            "make the API answer through the admin kubeconfig (run playbooks/kubernetes.yml to fetch it), then plan again"))
    if not running.get("hosts"):
        refusals.append(_refusal(
            "running_versions_readable", "no Node reported a kubelet version",
            "check that the cluster has Nodes (`kubectl get nodes`) and that the kubeconfig may list them"))
    found = {"apiserver": running.get("apiserver") or [],
             "hosts": {h: {k: v for k, v in f.items() if v is not None} for h, f in (running.get("hosts") or {}).items()}}
    for conflict in version_matrix.evaluate(matrix, wanted, found):
        refusals.append(_refusal(conflict["rule"], conflict["message"], conflict["fix"], conflict.get("source") or ""))
    for row in plan(running, wanted):
        if row["action"] == "downgrade":
            bundle_key = _BUNDLE_KEY[row["component"]]
            refusals.append(_refusal(
                "no_downgrade",
                "%s runs %s on %s; cluster_release.%s = %s is older (%s)"
                % (row["component"], row["from"], ", ".join(row["instances"]), bundle_key, row["to"], RULES["no_downgrade"]),
                "set cluster_release.%s to %s or newer" % (bundle_key, row["from"])))
    return refusals


def refusal_lines(refusals):
    """'[rule] message. Fix: fix' per refusal."""
    return ["[%s] %s. Fix: %s" % (r["rule"], r["message"].rstrip("."), r["fix"]) for r in refusals]


# --- Drain settings of the cluster description (cluster_drain) -------
# One definition, in the Kubespray mapping (kubespray_inventory.DRAIN_DEFAULTS);
# the batch of workers upgraded together is cluster_rollout.nodes (`serial`).


def drain_settings_problems(value):
    """Problems of cluster_drain, each naming the key and the fix."""
    return kubespray_inventory.drain_problems(value)


def kubespray_drain_vars(value):
    """Kubespray's variables for the upgrade's drains, from cluster_drain over its defaults."""
    return dict(kubespray_inventory.drain_vars(value), drain_nodes=True)
