"""The Kubernetes layer's checks, on API output captured from the bed.

tests/unit/fixtures/k8s/ holds what the bed's real kube-apiserver v1.35.4
answered (kubectl get -o json), healthy and with faults made for real:
worker2's kwok instance stopped (the node lifecycle controller marked it
NotReady), a Node rogue1 created behind the inventory's back, and so one of
CoreDNS's two replicas unavailable.
"""

import json
import os

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.filter import kubernetes as k8s_filters
from ansible_collections.mlplatform.installer.plugins.module_utils import k8s_state
from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix as vm

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "k8s")
REPO = os.path.dirname(os.path.dirname(HERE))
BED_HOSTS = ["cp1", "worker1", "worker2"]
BUNDLE = {"kubespray": "v2.31.0", "kubernetes": "1.35.4", "containerd": "2.2.3", "etcd": "3.6.10",
          "os": ["debian-12"]}

with open(os.path.join(REPO, "compatibility", "matrix.yml")) as _handle:
    MATRIX = yaml.safe_load(_handle)


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        data = json.load(handle)
    return data.get("items", data)


def test_a_healthy_cluster_has_no_problem():
    assert k8s_state.node_problems(load("nodes-healthy.json"), BED_HOSTS) == []
    assert k8s_state.workload_problems(load("deployments-healthy.json")) == []


def test_a_stopped_kubelet_and_an_unlisted_node_are_each_named():
    problems = k8s_state.node_problems(load("nodes-faults.json"), BED_HOSTS)
    assert len(problems) == 2, problems
    assert problems[0].startswith("rogue1: a Node the inventory does not list")
    assert problems[1].startswith("worker2: NotReady (Ready=Unknown since ")
    assert "Kubelet stopped posting node status" in problems[1]


def test_a_node_the_cluster_lacks_is_named():
    problems = k8s_state.node_problems(load("nodes-healthy.json"), BED_HOSTS + ["worker3"])
    assert problems == ["worker3: no Node of that name in the cluster (the inventory lists it in k8s_cluster); "
                        "join it to the cluster, or remove it from the inventory"]


def test_a_cordoned_node_is_named():
    nodes = load("nodes-healthy.json")
    nodes[1]["spec"]["unschedulable"] = True
    assert k8s_state.node_problems(nodes, BED_HOSTS) == [
        "worker1: cordoned (spec.unschedulable); uncordon it when its maintenance is over"]


def test_an_unavailable_deployment_is_named():
    assert k8s_state.workload_problems(load("deployments-unavailable.json")) == [
        "Deployment kube-system/coredns: 1 of 2 replicas available"]


def test_daemonsets_and_statefulsets_short_of_replicas_are_named():
    ds = {"metadata": {"name": "calico-node", "namespace": "kube-system"},
          "status": {"desiredNumberScheduled": 3, "numberAvailable": 2}}
    sts = {"metadata": {"name": "db", "namespace": "kube-system"}, "spec": {"replicas": 3},
           "status": {"readyReplicas": 3}}
    assert k8s_state.workload_problems([], [ds], [sts]) == ["DaemonSet kube-system/calico-node: 2 of 3 pods available"]


def test_storage_classes_missing_or_not_default_are_named():
    classes = load("storageclasses.json")
    assert k8s_state.storage_class_problems(classes, ["gluster-gv0"], "gluster-gv0") == []
    assert k8s_state.storage_class_problems(classes, ["gluster-gv0", "gluster-gv1"], "gluster-gv0") == [
        "StorageClass gluster-gv1 is missing; run playbooks/kubernetes.yml (gluster_k8s)"]
    classes[0]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] = "false"
    assert k8s_state.storage_class_problems(classes, ["gluster-gv0"], "gluster-gv0") == [
        "StorageClass gluster-gv0 is not marked as the cluster default"]


def test_found_versions_feed_version_check_and_match_the_bundle():
    found = k8s_state.found_versions(load("version.json"), load("nodes-healthy.json"))
    assert found == {"apiserver": "v1.35.4",
                     "hosts": {"cp1": {"kubelet": "v1.35.4"}, "worker1": {"kubelet": "v1.35.4"},
                               "worker2": {"kubelet": "v1.35.4"}}}
    assert vm.evaluate(MATRIX, BUNDLE, found, exact=True) == []


@pytest.mark.parametrize("component, value", [("apiserver", "v1.35.3"), ("kubelet", "v1.34.2")])
def test_a_running_version_other_than_the_bundle_is_refused(component, value):
    found = k8s_state.found_versions(load("version.json"), load("nodes-healthy.json"))
    if component == "apiserver":
        found["apiserver"] = value
    else:
        found["hosts"]["worker1"]["kubelet"] = value
    rules = [c["rule"] for c in vm.evaluate(MATRIX, BUNDLE, found, exact=True)]
    assert rules == ["running_equals_bundle"]
    # Without exact, only the skew rules apply, and these versions are within them.
    assert vm.evaluate(MATRIX, BUNDLE, found) == []


def test_a_kubelet_newer_than_the_apiserver_breaks_skew_and_equality():
    found = k8s_state.found_versions(load("version.json"), load("nodes-healthy.json"))
    found["hosts"]["cp1"]["kubelet"] = "v1.36.0"
    rules = sorted(c["rule"] for c in vm.evaluate(MATRIX, BUNDLE, found, exact=True))
    assert rules == ["kubelet_not_newer_than_apiserver", "kubelet_not_newer_than_apiserver", "running_equals_bundle"]


def test_summary_names_server_and_kubelet_versions():
    assert k8s_state.version_summary(load("version.json"), load("nodes-healthy.json")) == \
        "kube-apiserver v1.35.4; kubelets v1.35.4 x3"


def test_controllers_with_fresh_leases_pass_and_stale_or_missing_ones_are_named():
    leases = load("leases-kube-system.json")
    renewed = max(lease["spec"]["renewTime"] for lease in leases)
    assert k8s_state.controller_problems(leases, renewed) == []
    later = "2026-11-29T18:37:06Z"  # ten minutes after the capture
    problems = k8s_state.controller_problems(leases, later)
    assert [p.split(" ")[0] for p in problems] == ["kube-controller-manager", "kube-scheduler"]
    assert "last renewed its leader lease 6" in problems[0]
    gone = [lease for lease in leases if lease["metadata"]["name"] != "kube-scheduler"]
    assert k8s_state.controller_problems(gone, renewed) == [
        "kube-scheduler holds no leader lease in kube-system: it is not running, so Node and workload status "
        "are not updated"]


def test_a_storage_class_served_by_another_provisioner_is_named():
    classes = load("storageclasses.json")
    ours = classes[0]["provisioner"]
    assert k8s_state.storage_class_problems(classes, ["gluster-gv0"], "", ours) == []
    assert k8s_state.storage_class_problems(classes, ["gluster-gv0"], "", "other.example/prov") == [
        "StorageClass gluster-gv0 is served by %s, not other.example/prov; delete it and run "
        "playbooks/kubernetes.yml" % ours]


def test_an_unreadable_running_version_is_reported_once():
    found = {"apiserver": "vX", "hosts": {"worker1": {"kubelet": "garbage"}}}
    rules = [c["rule"] for c in vm.evaluate(MATRIX, BUNDLE, found, exact=True)]
    assert rules == ["version_format", "version_format"]


def test_listed_picks_one_kind_out_of_a_looped_k8s_info():
    # The shape a registered loop has: one result per [kind, namespace], skipped ones without resources.
    results = [{"item": ["Deployment", "kube-system"], "resources": load("deployments-healthy.json")},
               {"item": ["DaemonSet", "kube-system"], "resources": []},
               {"item": ["Lease", "kube-system"], "resources": load("leases-kube-system.json")},
               {"item": ["StatefulSet", "kube-system"], "skipped": True}]
    assert [d["metadata"]["name"] for d in k8s_filters.k8s_listed(results, "Deployment")] == ["coredns"]
    assert len(k8s_filters.k8s_listed(results, "Lease")) == 3
    assert k8s_filters.k8s_listed(results, "StatefulSet") == []
