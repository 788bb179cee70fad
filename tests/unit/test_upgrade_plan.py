"""upgrade.yml's plan and version gate (plugins/module_utils/upgrade_plan.py).

The running versions are real API answers: tests/unit/fixtures/upgrade/ holds
what the bed's kube-apiserver v1.35.4 and etcd 3.6.10 (molecule scenario)
returned for /version, the Nodes (two kwok Nodes' status patched to kubelet
v1.35.3, one to containerd 2.2.0, as a half-upgraded cluster reports them;
then one Node at kubelet v1.36.0) and `etcdctl endpoint status --cluster -w
json`. The rules are version_matrix.py's with the real compatibility/matrix.yml;
each test checks the exact set of rules refused, so an unrelated refusal fails it.
"""

import copy
import json
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import upgrade_plan as up
from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "upgrade")
MATRIX = version_matrix.load_matrix()


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read() if name.startswith("etcd") else json.load(handle)


VERSION = load("version.json")
ETCD = up.parse_etcd_endpoint_status(load("etcd-endpoint-status.json"))
BUNDLE = {"kubespray": "v2.31.0", "kubernetes": "1.35.4", "containerd": "2.2.3", "etcd": "3.6.10", "os": ["debian-12"]}


def running(nodes_file, version=VERSION):
    return up.running_versions(version, load(nodes_file)["items"], ETCD)


def rules(refusals):
    return sorted({r["rule"] for r in refusals})


def test_running_versions_come_from_the_api_and_etcd():
    found = running("nodes-kubelets-1.35.3.json")
    assert found["apiserver"] == ["v1.35.4"]
    assert found["etcd"] == {"https://10.86.0.11:2379": "3.6.10"}
    assert found["hosts"]["h6-gpu1"] == {"kubelet": "v1.35.3", "container_runtime": "containerd", "containerd": "2.2.0"}
    assert found["hosts"]["h6-cp1"]["kubelet"] == "v1.35.4"


def test_a_patch_upgrade_is_planned_from_to_per_component_and_passes_the_gate():
    found = running("nodes-kubelets-1.35.3.json")
    rows = up.plan(found, BUNDLE)
    lines = up.plan_lines(rows)
    assert "etcd 3.6.10 -> 3.6.10 (unchanged; 1 member)" in lines
    assert "kube-apiserver 1.35.4 -> 1.35.4 (unchanged)" in lines
    assert "containerd 2.2.0 -> 2.2.3 (upgrade; 1 Node: h6-gpu1)" in lines
    assert "kubelet 1.35.3 -> 1.35.4 (upgrade; 2 Nodes: h6-gpu1, h6-worker1)" in lines
    assert "kubelet 1.35.4 -> 1.35.4 (unchanged; 1 Node: h6-cp1)" in lines
    assert up.version_gate(MATRIX, found, BUNDLE) == []


def test_a_two_minor_jump_is_refused_naming_the_rule_and_the_fix():
    # The live 1.35.4 cluster to 1.37.0: two minors; Kubespray v2.31.0 has no
    # 1.37 and containerd's table no 1.37 row, which are refused too.
    found = running("nodes-kubelets-1.35.3.json")
    refusals = up.version_gate(MATRIX, found, dict(BUNDLE, kubernetes="1.37.0"))
    assert rules(refusals) == ["containerd_kubernetes", "kubespray_kubernetes_version", "upgrade_one_minor_at_a_time"]
    jump = next(r for r in refusals if r["rule"] == "upgrade_one_minor_at_a_time")
    assert "at most Kubernetes 1.36 while kube-apiserver runs v1.35.4" in jump["message"]
    assert jump["fix"] == "make kubernetes at most Kubernetes 1.36 while kube-apiserver runs v1.35.4 " \
                          "(upgrade one minor at a time)"
    assert any(line.startswith("[upgrade_one_minor_at_a_time] ") and "Fix: " in line
               for line in up.refusal_lines(refusals))


def test_a_two_minor_jump_alone_is_the_only_refusal():
    # The same Nodes as answered by the API, rewritten to 1.33.11 (Kubespray
    # v2.31.0 installs 1.33 to 1.35): 1.33 -> 1.35 breaks one rule only.
    nodes = copy.deepcopy(load("nodes-kubelets-1.35.3.json")["items"])
    for node in nodes:
        node["status"]["nodeInfo"]["kubeletVersion"] = "v1.33.11"
    found = up.running_versions(dict(VERSION, gitVersion="v1.33.11"), nodes, ETCD)
    assert rules(up.version_gate(MATRIX, found, BUNDLE)) == ["upgrade_one_minor_at_a_time"]
    # One minor at a time passes: 1.33.11 -> 1.34.7 (etcd stays 3.5 with 1.34).
    step = dict(BUNDLE, kubernetes="1.34.7", etcd="3.5.26")
    found["etcd"] = {}
    assert up.version_gate(MATRIX, found, step) == []


def test_a_kubelet_newer_than_the_apiserver_is_refused_naming_the_node():
    found = running("nodes-kubelet-1.36.0.json")
    refusals = up.version_gate(MATRIX, found, BUNDLE)
    # Newer than the running and the wanted apiserver (two conflicts), and
    # the bundle would take that kubelet backwards.
    assert rules(refusals) == ["kubelet_not_newer_than_apiserver", "no_downgrade"]
    skew = [r for r in refusals if r["rule"] == "kubelet_not_newer_than_apiserver"]
    assert {r["message"].split(" = ")[0] for r in skew} == {"hosts/h6-gpu1/kubelet"}
    assert "at most 1.35 (running kube-apiserver v1.35.4)" in skew[0]["message"]
    assert any(r["component"] == "kubelet" and r["from"] == "1.36.0" and r["action"] == "downgrade"
               for r in up.plan(found, BUNDLE))


def test_a_downgrade_is_refused():
    found = running("nodes-kubelets-1.35.3.json")
    refusals = up.version_gate(MATRIX, found, dict(BUNDLE, kubernetes="1.35.2"))
    assert "no_downgrade" in rules(refusals)
    down = [r for r in refusals if r["rule"] == "no_downgrade"]
    assert "kube-apiserver runs 1.35.4" in down[0]["message"]
    assert down[0]["fix"] == "set cluster_release.kubernetes to 1.35.4 or newer"


def test_nothing_read_is_refused_not_planned():
    found = up.running_versions({}, [], None)
    assert "running_versions_readable" in rules(up.version_gate(MATRIX, found, BUNDLE))
    assert [r["action"] for r in up.plan(found, BUNDLE)] == ["unread"] * 4


def test_drain_settings_are_checked_and_become_kubespray_variables():
    # The one definition of cluster_drain is the Kubespray mapping's: the
    # upgrade gets the same checks and variables as the generated inventory.
    assert up.drain_settings_problems(None) == []
    assert up.drain_settings_problems({"timeout_seconds": 600}) == []
    problems = up.drain_settings_problems({"timout_seconds": 1, "retries": "3", "fail_if_drain_fails": "false",
                                           "serial": "0%", "timeout_seconds": 60, "grace_period_seconds": 90})
    assert len(problems) == 5
    assert all(p.startswith("all: cluster_drain") and ". Fix: " in p for p in problems)
    assert any("cluster_drain.serial" in p and "is not a key of cluster_drain" in p for p in problems)
    assert up.kubespray_drain_vars({"timeout_seconds": 600}) == {
        "drain_nodes": True, "drain_timeout": "600s", "drain_grace_period": 300, "drain_retries": 3,
        "drain_retry_delay_seconds": 10, "upgrade_node_fail_if_drain_fails": True,
        "upgrade_node_uncordon_after_drain_failure": True}


@pytest.mark.parametrize("text", ["", "not json"])
def test_etcd_status_that_is_not_json_raises(text):
    with pytest.raises(ValueError):
        up.parse_etcd_endpoint_status(text)
