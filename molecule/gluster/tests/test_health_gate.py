"""The rolling plays of playbooks/node_prep.yml stop at a Gluster pool in trouble.

Runs after test_gluster.py (the pool is healed by then) and leaves the pool
healed again. Each case runs the real playbook, its health gates only
(`--tags health_gate`; `--skip-tags always` leaves out the inventory
validation, which needs a full cluster description this scenario does not
have): the storage nodes go one at a time, and the gate before the first
storage node must see a peer that is down, or heals that are pending, fail
there naming the node and the problem, and change no further node.
"""

import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
STORAGE = ["gluster-storage1", "gluster-storage2", "gluster-storage3"]


def podman(name, *argv, check=True):
    return subprocess.run(["podman", "exec", name, *argv], capture_output=True, text=True, check=check)


def node_prep(*extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(
        ["ansible-playbook", "playbooks/node_prep.yml", "-i", INVENTORY_DIR, "--tags", "health_gate",
         "--skip-tags", "always", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900, env=env, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def hosts_touched(output):
    """Hosts that ran a task: Ansible prints `ok: [host]`, `fatal: [host]`..."""
    return {name for name in STORAGE if "[%s]" % name in output.replace("[%s ->" % name, "[%s]" % name)}


def wait_healthy():
    """The pool whole again: every peer, brick and heal (the gate's own module)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        ["ansible", "gluster-storage1", "-i", INVENTORY_DIR, "--become", "-m", "mlplatform.installer.gluster_health",
         "-a", "wait_timeout=300 wait_interval=3"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_gates_pass_on_the_healed_pool():
    rc, out = node_prep()
    assert rc == 0, out[-4000:]
    # Each storage node was gated before and after each of the two rolling
    # roles, one node per batch.
    assert out.count("Gluster pool healthy around node_network") == 6, out[-4000:]
    assert out.count("Gluster pool healthy around node_proxy") == 6, out[-4000:]
    assert hosts_touched(out) == set(STORAGE)


def test_a_peer_down_stops_the_rollout_at_the_first_storage_node():
    podman("gluster-storage3", "systemctl", "stop", "glusterd")
    try:
        rc, out = node_prep("-e", "health_gate_gluster_wait_timeout=6")
        assert rc != 0, out[-4000:]
        assert "gluster-storage1: Gluster health gate around node_network failed after waiting 6 s" in out, out[-4000:]
        assert "peer 10.79.0.13" in out and "is not connected" in out, out[-4000:]
        # The rollout stopped there: the other storage nodes were never touched.
        assert hosts_touched(out) == {"gluster-storage1"}, out[-4000:]
    finally:
        podman("gluster-storage3", "systemctl", "start", "glusterd")
        wait_healthy()


def brick_pid(volume, address):
    xml = podman("gluster-storage1", "gluster", "--mode=script", "volume", "status", volume, "--xml").stdout
    for node in ET.fromstring(xml).iter("node"):
        if node.findtext("hostname") == address and node.findtext("path") == "/data/glusterfs/%s/brick" % volume:
            return node.findtext("pid")
    pytest.fail("no brick of %s on %s in: %s" % (volume, address, xml[-2000:]))


def test_pending_heals_stop_the_rollout():
    """Every brick online again, but the returning brick has not caught up."""
    # Without the self-heal daemon the heal stays pending while the gate looks.
    podman("gluster-storage1", "gluster", "--mode=script", "volume", "set", "gv0", "cluster.self-heal-daemon", "off")
    try:
        podman("gluster-storage3", "kill", brick_pid("gv0", "10.79.0.13"))
        podman("gluster-client1", "sh", "-c",
               "mkdir -p /mnt/gluster/gv0/gate && for i in 1 2 3 4 5; do echo $i > /mnt/gluster/gv0/gate/f$i; done")
        podman("gluster-storage1", "gluster", "--mode=script", "volume", "start", "gv0", "force")
        deadline = time.time() + 60
        while brick_pid("gv0", "10.79.0.13") in ("", "-1", "N/A"):
            assert time.time() < deadline, "the killed brick did not come back"
            time.sleep(2)
        rc, out = node_prep("-e", "health_gate_gluster_wait_timeout=6")
        assert rc != 0, out[-4000:]
        assert "gluster-storage1: Gluster health gate around node_network failed" in out, out[-4000:]
        assert "gv0:" in out and "entries wait for self-heal (allowed 0)" in out, out[-4000:]
        assert "is offline" not in out, out[-4000:]
        assert hosts_touched(out) == {"gluster-storage1"}, out[-4000:]
    finally:
        podman("gluster-storage1", "gluster", "--mode=script", "volume", "set", "gv0", "cluster.self-heal-daemon", "on",
               check=False)
        podman("gluster-storage1", "gluster", "--mode=script", "volume", "start", "gv0", "force", check=False)
        podman("gluster-storage1", "gluster", "--mode=script", "volume", "heal", "gv0", check=False)
        wait_healthy()
