"""playbooks/kubernetes.yml in Kubespray mode against production, with no network.

Issue 14's done-when: `ansible-playbook playbooks/kubernetes.yml -i
inventories/production --check` in a network namespace with no routes
(unshare -rn) prints the decision (the API does not answer, so cluster.yml)
and writes the generated Kubespray inventory, contacting no host. A spy
stands in for ssh (ansible_ssh_executable): any connection to a node would
leave its mark. Without --check the same run tries the first control-plane
node once, with kubespray_layer_api_timeout as its SSH connect timeout, for
its kubeconfig (the API read), decides cluster.yml,
and stops because Kubespray is not installed here, saying how to install or
mirror it. Runs on a copy of the inventory, so the checkout's
inventories/production stays clean.
"""

import concurrent.futures
import os
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
SPY = "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/ssh-called\"\necho 'spy: no ssh in this test' >&2\nexit 255\n"


def _run(work, *extra):
    inventory = work / "production"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), inventory,
                    ignore=shutil.ignore_patterns("artifacts", "reports"))
    spy = work / "ssh-spy"
    spy.write_text(SPY, encoding="utf-8")
    spy.chmod(0o755)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    proc = subprocess.run(["unshare", "-rn", ANSIBLE_PLAYBOOK, "playbooks/kubernetes.yml", "-i", str(inventory),
                           "-e", "ansible_ssh_executable=%s" % spy, *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return {"rc": proc.returncode, "out": " ".join((proc.stdout + proc.stderr).split()),
            "inventory": inventory,
            "ssh": (work / "ssh-called").read_text(encoding="utf-8") if (work / "ssh-called").exists() else ""}


@pytest.fixture(name="runs", scope="module")
def fixture_runs(tmp_path_factory):
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to run the playbook without routes")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        check = pool.submit(_run, tmp_path_factory.mktemp("check"), "--check")
        real = pool.submit(_run, tmp_path_factory.mktemp("real"))
        return {"check": check.result(), "real": real.result()}


def test_check_prints_the_decision_and_writes_the_inventory_without_contacting_a_host(runs):
    run = runs["check"]
    assert run["rc"] == 0, run["out"][-4000:]
    assert ("Kubespray: cluster - the API server does not answer (no admin kubeconfig on the controller at %s/"
            "artifacts/admin.conf, and check mode does not fetch it): cluster.yml builds the cluster"
            % run["inventory"]) in run["out"]
    assert run["ssh"] == ""
    generated = run["inventory"] / "artifacts" / "kubespray"
    hosts = yaml.safe_load((generated / "hosts.yml").read_text(encoding="utf-8"))
    assert "cp01" in str(hosts) and (generated / "group_vars").is_dir()
    report = yaml.safe_load((run["inventory"] / "reports" / "kubespray-decision.yml").read_text(encoding="utf-8"))
    assert report["decision"] == "cluster" and report["playbook"] == "cluster" and report["check_mode"] is True
    assert len(report["inventory_hash"]) == 64
    # Nothing ran: no Kubespray log, no kubeconfig, no StorageClass play past the decision.
    assert not list((run["inventory"] / "reports").glob("kubespray-cluster-*.log"))
    assert not (run["inventory"] / "artifacts" / "admin.conf").exists()
    assert "check mode: would run" in run["out"] and "kubernetes_sigs.kubespray.cluster" in run["out"]


def test_without_check_the_api_read_fails_fast_and_a_missing_kubespray_is_named(runs):
    run = runs["real"]
    assert run["rc"] != 0
    # The only contact: the first control-plane node, for its kubeconfig.
    assert len(run["ssh"].splitlines()) == 1 and " 10.40.8.11 " in run["ssh"]
    assert "Kubespray: cluster - the API server does not answer" in run["out"]
    assert "Kubespray (kubernetes_sigs.kubespray) is not installed" in run["out"]
    assert "make collections" in run["out"] and "ansible-galaxy collection download" in run["out"]
    # A node that drops packets is waited for kubespray_layer_api_timeout, not ansible.cfg's 30 s.
    assert "-o ConnectTimeout=5 " in run["ssh"]
    assert "(no admin kubeconfig on the controller at %s/artifacts/admin.conf, and cp01 did not answer over SSH)" \
        % run["inventory"] in run["out"]
