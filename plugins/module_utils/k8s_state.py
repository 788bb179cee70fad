# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Pure checks of a live Kubernetes cluster against the cluster description.
# Inputs are the API's own JSON (kubernetes.core.k8s_info `resources`, the
# /version document); outputs are problem sentences that name the object and
# say what to do. No I/O: plain pytest covers them with output captured from
# the bed's real API server.

from __future__ import annotations

import datetime

# The control-plane controllers whose leader lease says they are running:
# without them Node conditions and workload status are no longer updated,
# and every other check here would read stale status.
CONTROLLERS = ("kube-controller-manager", "kube-scheduler")


def _name(obj):
    return ((obj or {}).get("metadata") or {}).get("name", "?")


def _condition(obj, kind):
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def kubelet_versions(nodes):
    """{node name: kubeletVersion} of every Node."""
    return {_name(n): ((n.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion") for n in nodes or []}


def found_versions(version_info, nodes):
    """The `found` argument of version_check: the apiserver and each kubelet."""
    found = {"hosts": {name: {"kubelet": v} for name, v in kubelet_versions(nodes).items() if v}}
    server = (version_info or {}).get("gitVersion")
    if server:
        found["apiserver"] = server
    return found


def node_problems(nodes, expected_hosts):
    """Every Node of the inventory exists and is Ready; no other Node exists.

    nodes: Node objects as the API returns them.
    expected_hosts: the inventory's k8s_cluster hosts (Node names equal host names).
    """
    problems = []
    present = {_name(n): n for n in nodes or []}
    expected = list(dict.fromkeys(expected_hosts or []))
    for host in expected:
        if host not in present:
            problems.append("%s: no Node of that name in the cluster (the inventory lists it in k8s_cluster); "
                            "join it to the cluster, or remove it from the inventory" % host)
    for name in sorted(present):
        if name not in expected:
            problems.append("%s: a Node the inventory does not list; add it to k8s_cluster in the inventory, "
                            "or drain and delete it" % name)
    for host in expected:
        node = present.get(host)
        if node is None:
            continue
        ready = _condition(node, "Ready")
        if ready is None:
            problems.append("%s: NotReady (the Node reports no Ready condition yet)" % host)
        elif ready.get("status") != "True":
            problems.append("%s: NotReady (Ready=%s since %s: %s)" % (
                host, ready.get("status"), ready.get("lastTransitionTime", "?"),
                ready.get("message") or ready.get("reason") or "no reason given"))
        if (node.get("spec") or {}).get("unschedulable"):
            problems.append("%s: cordoned (spec.unschedulable); uncordon it when its maintenance is over" % host)
    return problems


def workload_problems(deployments=(), daemonsets=(), statefulsets=()):
    """Workloads whose ready replicas fall short of what they ask for."""
    problems = []
    for dep in deployments or []:
        want = (dep.get("spec") or {}).get("replicas", 1)
        status = dep.get("status") or {}
        available = _condition(dep, "Available")
        if status.get("availableReplicas", 0) < want or (available and available.get("status") != "True"):
            problems.append("Deployment %s/%s: %d of %d replicas available" % (
                dep["metadata"].get("namespace"), _name(dep), status.get("availableReplicas", 0), want))
    for ds in daemonsets or []:
        status = ds.get("status") or {}
        want = status.get("desiredNumberScheduled", 0)
        if status.get("numberAvailable", 0) < want:
            problems.append("DaemonSet %s/%s: %d of %d pods available" % (
                ds["metadata"].get("namespace"), _name(ds), status.get("numberAvailable", 0), want))
    for sts in statefulsets or []:
        want = (sts.get("spec") or {}).get("replicas", 1)
        ready = (sts.get("status") or {}).get("readyReplicas", 0)
        if ready < want:
            problems.append("StatefulSet %s/%s: %d of %d replicas ready" % (
                sts["metadata"].get("namespace"), _name(sts), ready, want))
    return problems


def _time(text):
    return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def controller_problems(leases, now):
    """kube-controller-manager and kube-scheduler hold a recently renewed lease.

    leases: the Lease objects of kube-system; now: the controller's time (ISO 8601, UTC).
    A lease is stale after three lease durations, and never sooner than 60 s
    (clock skew between the controller and the cluster).
    """
    present = {_name(lease): lease.get("spec") or {} for lease in leases or []}
    problems = []
    for name in CONTROLLERS:
        spec = present.get(name)
        if not spec or not spec.get("renewTime"):
            problems.append("%s holds no leader lease in kube-system: it is not running, so Node and workload "
                            "status are not updated" % name)
            continue
        age = (_time(now) - _time(spec["renewTime"])).total_seconds()
        limit = max(60, 3 * int(spec.get("leaseDurationSeconds") or 15))
        if age > limit:
            problems.append("%s last renewed its leader lease %d s ago (at %s): it is not running, so Node and "
                            "workload status may be stale" % (name, age, spec["renewTime"]))
    return problems


def storage_class_problems(classes, expected, default="", provisioner=""):
    """Every expected StorageClass exists, is served by our provisioner, and the default one is marked so."""
    present = {_name(c): c for c in classes or []}
    problems = ["StorageClass %s is missing; run playbooks/kubernetes.yml (gluster_k8s)" % name
                for name in expected or [] if name not in present]
    for name in expected or []:
        found = (present.get(name) or {}).get("provisioner")
        if provisioner and found and found != provisioner:
            problems.append("StorageClass %s is served by %s, not %s; delete it and run playbooks/kubernetes.yml"
                            % (name, found, provisioner))
    if default and default in present:
        annotations = (present[default].get("metadata") or {}).get("annotations") or {}
        if annotations.get("storageclass.kubernetes.io/is-default-class") != "true":
            problems.append("StorageClass %s is not marked as the cluster default" % default)
    return problems


def version_summary(version_info, nodes):
    """One line: the server version and the kubelet versions with their counts."""
    counts = {}
    for version in kubelet_versions(nodes).values():
        counts[version] = counts.get(version, 0) + 1
    kubelets = ", ".join("%s x%d" % (v, n) for v, n in sorted(counts.items(), key=lambda i: str(i[0])))
    return "kube-apiserver %s; kubelets %s" % ((version_info or {}).get("gitVersion", "?"), kubelets or "none")
