"""playbooks/upgrade.yml --check against the scenario's real API server and etcd.

Deployments, PodDisruptionBudgets and a DaemonSet (files/upgrade/workload.yaml)
run on a kwok Node (kwok makes their pods Running and Ready, so the disruption
controller counts them): `blocked` allows no disruption, `spare` allows one.
The plan is read from the live API (kube-apiserver's /version, each Node's
kubelet and containerd) and etcd (`endpoint status --cluster`), and every
gate's verdict is printed: the PDB pre-check names the blocking budget, a
two-minor target and a kubelet newer than the apiserver are refused naming
their rule, and nothing is changed. The storage nodes exist only in the
description and the workers only as kwok Nodes, so the gates that log in to
them (upgrade_gate_gluster, upgrade_gate_nodes) are left out and reported as
not run.

Host names, the container and the bundle are read from the scenario's
inventory, so a copy of the scenario under another name runs the same test.
Runs after test_rollout_gate.py (alphabetical order), which restarts etcd.
"""

import functools
import json
import os
import re
import subprocess
import time

import pytest

from kube import get, kubectl

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
WORKLOAD = os.path.join(REPO, "molecule", "kubernetes", "files", "upgrade", "workload.yaml")
# The bed's etcd is laid out as kubeadm lays it out (the health gate's setting for the bed).
BED_GATE_VARS = "@" + os.path.join(REPO, "inventories", "testbed", "group_vars", "all", "health_gate.yml")
LABEL = "mlp-test/upgrade-gates"


@functools.lru_cache(maxsize=None)
def inventory():
    out = subprocess.run(["ansible-inventory", "-i", INVENTORY_DIR, "--list"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def group(name):
    return inventory()[name]["hosts"]


def hostvar(host, name):
    return inventory()["_meta"]["hostvars"][host][name]


CP = group("kube_control_plane")[0]
WORKERS = group("kube_node")
NODES = sorted(set(group("kube_control_plane") + WORKERS))
DRAINED = WORKERS[0]
BUNDLE = hostvar(CP, "cluster_release")


def wait_for(what, predicate, timeout=180):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(2)


def set_kubelet(node, version):
    """Write a kubelet version into a Node's status, as a kubelet reports it (kwok keeps it)."""
    kubectl("patch", "node", node, "--subresource=status", "--type=merge",
            "--patch=" + json.dumps({"status": {"nodeInfo": {"kubeletVersion": version}}}))
    wait_for("%s to report %s" % (node, version),
             lambda: get("node", node)["status"]["nodeInfo"]["kubeletVersion"] == version)


def budgets():
    return {p["metadata"]["name"]: p.get("status") or {} for p in get("pdb", "-n", "upgrade-gates")["items"]}


def budgets_settled(blocked_allowed):
    def check():
        status = budgets()
        return (status.get("blocked", {}).get("disruptionsAllowed") == blocked_allowed
                and status.get("blocked", {}).get("currentHealthy", 0) >= 1
                and status.get("spare", {}).get("disruptionsAllowed") == 1)
    return check


class Run:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = " ".join((proc.stdout + proc.stderr).split())

    def __contains__(self, text):
        return text in self.stdout

    def tail(self):
        return self.stdout[-6000:]


def upgrade_check(bundle=None):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    extra = ["-e", json.dumps({"cluster_release": bundle})] if bundle else []
    return Run(subprocess.run(
        ["ansible-playbook", "playbooks/upgrade.yml", "-i", INVENTORY_DIR, "--check",
         "--skip-tags", "upgrade_gate_gluster,upgrade_gate_nodes", "-e", BED_GATE_VARS, *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900, env=env, check=False))


@pytest.fixture(scope="module", autouse=True)
def workload():
    wait_for("the API to be ready", lambda: kubectl("get", "--raw", "/readyz", check=False).stdout.strip() == "ok")
    kubectl("label", "node", DRAINED, "%s=drain" % LABEL, "--overwrite")
    kubectl("apply", "-f", WORKLOAD)
    wait_for("the budgets to count the pods", budgets_settled(0))
    yield
    kubectl("delete", "namespace", "upgrade-gates", "--wait=true", check=False)
    kubectl("label", "node", DRAINED, LABEL + "-", check=False)
    for node in WORKERS:
        set_kubelet(node, "v" + BUNDLE["kubernetes"])


def older_patch(version):
    major, minor, patch = (int(p) for p in version.split("."))
    assert patch > 0, "the bundle's Kubernetes has no older patch to start from: " + version
    return "%d.%d.%d" % (major, minor, patch - 1)


def test_a_patch_upgrade_prints_the_plan_and_every_verdict_and_names_the_blocking_pdb():
    # The bed's kube-apiserver is the newest 1.35 patch Kubespray v2.31.0
    # installs, so the newer patch is the bundle's for the kubelets: the
    # workers report one patch older, as a half-upgraded cluster does.
    target = BUNDLE["kubernetes"]
    for node in WORKERS:
        set_kubelet(node, "v" + older_patch(target))
    run = upgrade_check()
    assert run.returncode != 0, run.tail()
    # The plan, from the live API and etcd.
    assert "kube-apiserver %s -> %s (unchanged)" % (target, target) in run, run.tail()
    assert "kubelet %s -> %s (upgrade; %d Nodes: %s)" % (older_patch(target), target, len(WORKERS),
                                                         ", ".join(sorted(WORKERS))) in run, run.tail()
    assert "kubelet %s -> %s (unchanged; 1 Node: %s)" % (target, target, CP) in run, run.tail()
    assert "containerd %s -> %s (unchanged; %d Nodes" % (BUNDLE["containerd"], BUNDLE["containerd"], len(NODES)) in run, run.tail()
    assert "etcd %s -> %s (unchanged; 1 member)" % (BUNDLE["etcd"], BUNDLE["etcd"]) in run, run.tail()
    # Every gate's verdict.
    assert "gate versions: passed" in run, run.tail()
    assert "gate cluster: passed - %d Nodes Ready as listed" % len(NODES) in run, run.tail()
    assert "gate etcd: passed - %s: https://%s:2379 is healthy" % (CP, hostvar(CP, "node_ip")) in run, run.tail()
    assert "gate gluster: NOT RUN" in run and "gate nodes: NOT RUN" in run, run.tail()
    assert "gate snapshot: not run in check mode" in run, run.tail()
    # The blocking budget, named with its allowed disruptions; the one that allows a disruption is not.
    refusal = re.search(r"gate pdb: REFUSED - (.*?)\", \"gate snapshot", run.stdout)
    assert refusal, run.tail()
    assert ("[pdb_blocks_drain] draining %s would hang: evicting pod upgrade-gates/blocked-" % DRAINED
            in refusal.group(1)), run.tail()
    assert "PodDisruptionBudget upgrade-gates/blocked (minAvailable 1, disruptionsAllowed 0" in refusal.group(1)
    assert "upgrade-gates/spare" not in refusal.group(1)
    assert "upgrade refused by gate(s) pdb; nothing was changed" in run, run.tail()
    # Dry runs only: no pod evicted, no Node cordoned.
    pods = get("pods", "-n", "upgrade-gates")["items"]
    assert len([p for p in pods if p["metadata"]["labels"]["app"] in ("blocked", "spare")]) == 3
    assert not get("node", DRAINED)["spec"].get("unschedulable")


def test_a_budget_that_allows_a_disruption_passes_and_check_mode_stops_after_the_gates():
    kubectl("scale", "deployment", "blocked", "-n", "upgrade-gates", "--replicas=2")
    try:
        wait_for("blocked to allow a disruption", budgets_settled(1))
        run = upgrade_check()
        assert run.returncode == 0, run.tail()
        assert "gate pdb: passed - PDB pre-check of %d node(s)" % len(NODES) in run, run.tail()
        # Two pods of each budget on one Node: each eviction is allowed, the drain waits for replacements.
        assert "holds 2 pods of PodDisruptionBudget upgrade-gates/spare, which allows 1 disruption(s)" in run
        assert "check mode: the plan and the gates above; nothing was changed, stopping here" in run, run.tail()
        # Nothing after the verdicts ran: no snapshot, no Kubespray, no validate.yml.
        assert not re.search(r"changed=[1-9]|unreachable=[1-9]|failed=[1-9]", run.stdout), run.tail()
    finally:
        kubectl("scale", "deployment", "blocked", "-n", "upgrade-gates", "--replicas=1")
        wait_for("blocked to allow no disruption again", budgets_settled(0))


def test_a_kubelet_newer_than_the_apiserver_is_refused_naming_the_rule():
    newer = "1.%d.0" % (int(BUNDLE["kubernetes"].split(".")[1]) + 1)
    set_kubelet(DRAINED, "v" + newer)
    try:
        run = upgrade_check()
    finally:
        set_kubelet(DRAINED, "v" + BUNDLE["kubernetes"])
    assert run.returncode != 0, run.tail()
    assert "gate versions: REFUSED" in run, run.tail()
    assert "[kubelet_not_newer_than_apiserver] hosts/%s/kubelet = v%s" % (DRAINED, newer) in run, run.tail()
    assert "Fix: " in run


def test_a_two_minor_target_is_refused_naming_the_rule():
    # Two minors above the running apiserver. Kubespray v2.31.0 installs no such
    # version, so the inventory validation refuses the bundle before any plan:
    # the one-minor rule itself is proven on captured API data in
    # tests/unit/test_upgrade_plan.py (a 1.33 cluster to 1.35).
    major, minor = (int(p) for p in BUNDLE["kubernetes"].split(".")[:2])
    run = upgrade_check(dict(BUNDLE, kubernetes="%d.%d.0" % (major, minor + 2)))
    assert run.returncode != 0, run.tail()
    assert "kubespray_kubernetes_version" in run, run.tail()
    assert "upgrade plan (from the live cluster" not in run, run.tail()


def remove_node_check(*nodes):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return Run(subprocess.run(
        ["ansible-playbook", "playbooks/remove_node.yml", "-i", INVENTORY_DIR, "--check",
         "-e", json.dumps({"remove_nodes": list(nodes)})],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False))


def test_remove_node_refuses_a_drain_blocked_by_a_pdb():
    run = remove_node_check(DRAINED)
    assert run.returncode != 0, run.tail()
    assert "[pdb_blocks_drain] the drain of %s would hang: evicting upgrade-gates/blocked-" % DRAINED in run, run.tail()
    assert "upgrade-gates/blocked (disruptionsAllowed 0)" in run and "Fix: " in run, run.tail()
    assert not get("node", DRAINED)["spec"].get("unschedulable")


def test_remove_node_refuses_the_first_control_plane_node():
    run = remove_node_check(CP)
    assert run.returncode != 0, run.tail()
    assert "[first_control_plane] %s is kube_control_plane[0]" % CP in run, run.tail()
    # The scenario's single etcd member cannot go either.
    assert "[etcd_quorum] removing 1 of 1 etcd members leaves 0" in run, run.tail()
