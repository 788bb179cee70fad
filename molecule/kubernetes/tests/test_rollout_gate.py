"""The rolling plays of playbooks/node_prep.yml stop at an unhealthy etcd.

Against the scenario's real etcd 3.6 (TLS, kubeadm's layout, as the bed runs
it): the health gates of node_prep.yml (`--tags health_gate`; `--skip-tags
always` leaves out the inventory validation, and `--limit` keeps the
kwok-only hosts, which are never contacted, out) pass on the healthy member,
and fail, naming the node, once etcd is stopped. Runs after
test_kubernetes.py (alphabetical order): stopping etcd takes the API away for
a few seconds, and the test waits until it answers again.
"""

import os
import subprocess
import time

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
CP = "kubernetes-cp1"
# The bed's own setting for the gate: kubeadm's certificate layout.
BED_GATE_VARS = "@" + os.path.join(REPO, "inventories", "testbed", "group_vars", "all", "health_gate.yml")


def node_prep(*extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(
        ["ansible-playbook", "playbooks/node_prep.yml", "-i", INVENTORY_DIR, "--limit", CP,
         "--tags", "health_gate", "--skip-tags", "always", "-e", BED_GATE_VARS, *extra],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def wait_for_api(timeout=180):
    deadline = time.time() + timeout
    while True:
        proc = subprocess.run(["podman", "exec", CP, "/usr/local/bin/kubectl", "--kubeconfig",
                               "/etc/kubernetes/admin.conf", "get", "--raw", "/readyz"],
                              capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip() == "ok":
            return
        assert time.time() < deadline, "the API is not ready again: " + proc.stdout + proc.stderr
        time.sleep(2)


def test_etcd_gates_pass_on_the_healthy_member():
    rc, out = node_prep()
    assert rc == 0, out[-4000:]
    # cp1 is a control-plane and etcd node: gated before and after each of
    # the two rolling roles; --cluster reaches the member by its advertised URL.
    assert out.count("%s: etcd healthy around node_network" % CP) == 2, out[-4000:]
    assert out.count("%s: etcd healthy around node_proxy" % CP) == 2, out[-4000:]
    assert "https://10.82.0.11:2379 is healthy" in out, out[-4000:]


def test_a_stopped_etcd_stops_the_rollout():
    subprocess.run(["podman", "exec", CP, "systemctl", "stop", "etcd"], check=True)
    try:
        rc, out = node_prep("-e", "health_gate_etcd_wait_timeout=4", "-e", "health_gate_wait_interval=2")
        assert rc != 0, out[-4000:]
        assert "%s: etcd health gate around node_network failed after waiting 4 s" % CP in out, out[-4000:]
        # The first gate failed: nothing else of the rollout ran.
        assert "around node_proxy" not in out, out[-4000:]
    finally:
        subprocess.run(["podman", "exec", CP, "systemctl", "start", "etcd"], check=True)
        wait_for_api()
