"""playbooks/node_prep.yml rolls only the nodes its plan finds changes on.

The real playbook on the scenario's two nodes, without node_base and
hyperv_guest, whose settings this scenario does not give, and without the
inventory validation (skipped by its own tags: this scenario is not a full
cluster description). node_proxy, never converged here, has nothing to
change on these nodes: the scenario gives no proxy and no corporate CA. cp1 is a control-plane node,
worker1 a storage node: each has its own gated rolling play. The plan runs
both roles in check mode on both nodes; the callback change_plan (enabled by
the scenario's ansible.cfg, .config/molecule/config.yml) names what would
change, and a node with nothing to change is in no rolling play.
"""

import os
import re
import subprocess

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
CP1, WORKER1 = "node_network-cp1", "node_network-worker1"
ROLLING = re.compile(r"^PLAY \[(Node prep \| (?:network|proxy and CA trust) \| [^\]]+)\]", re.M)


def node_prep(**env_extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **env_extra)
    proc = subprocess.run(
        ["ansible-playbook", "playbooks/node_prep.yml", "-i", INVENTORY_DIR,
         "--skip-tags", "validate_inventory_collect,validate_inventory_report,node_base,hyperv_guest"],
        cwd=REPO, capture_output=True, text=True, timeout=900, env=env, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def rolled(out):
    """{rolling play: hosts that ran a task in it}, plays without hosts left out."""
    found = {}
    parts = ROLLING.split(out)
    for name, body in zip(parts[1::2], parts[2::2]):
        body = body.split("\nPLAY ", 1)[0]
        hosts = set(re.findall(r"^(?:ok|changed|skipping|fatal): \[([\w-]+)", body, re.M))
        if hosts:
            found.setdefault(name, set()).update(hosts)
    return found


def changed(out):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^([\w-]+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)}


def hosts_file(name):
    return subprocess.run(["podman", "exec", name, "cat", "/etc/hosts"], capture_output=True, text=True,
                          check=True).stdout


def test_nodes_with_nothing_to_change_roll_nowhere():
    rc, out = node_prep()
    assert rc == 0, out[-4000:]
    assert "nothing to change, left out of the rollouts: %s, %s" % (CP1, WORKER1) in out, out[-4000:]
    assert rolled(out) == {}, out[-4000:]
    assert changed(out) == {CP1: 0, WORKER1: 0}, out[-4000:]


def test_drift_on_one_node_rolls_that_node_only():
    cp1_line = "10.78.0.11 cp1.node.mlp.test cp1"
    assert cp1_line in hosts_file(WORKER1)
    # In place: /etc/hosts is podman's bind mount.
    subprocess.run(["podman", "exec", WORKER1, "sh", "-c",
                    "grep -v ' cp1$' /etc/hosts > /tmp/hosts && cat /tmp/hosts > /etc/hosts"], check=True)
    rc, out = node_prep()
    assert rc == 0, out[-4000:]
    assert "%s: node_network would change: List every cluster node in /etc/hosts" % WORKER1 in out, out[-4000:]
    assert rolled(out) == {"Node prep | network | storage nodes, gated": {WORKER1}}, out[-4000:]
    assert cp1_line in hosts_file(WORKER1)
    # cp1 changed nothing, not even in the plan.
    assert changed(out)[CP1] == 0, out[-4000:]


def test_without_the_callback_every_node_rolls():
    rc, out = node_prep(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    assert rc == 0, out[-4000:]
    assert "%s: node_network not planned here, it rolls" % CP1 in out, out[-4000:]
    assert rolled(out) == {
        "Node prep | network | control-plane and etcd nodes, gated": {CP1},
        "Node prep | network | storage nodes, gated": {WORKER1},
        "Node prep | proxy and CA trust | control-plane and etcd nodes, gated": {CP1},
        "Node prep | proxy and CA trust | storage nodes, gated": {WORKER1},
    }, out[-4000:]
    assert changed(out) == {CP1: 0, WORKER1: 0}, out[-4000:]


def test_a_network_change_is_planned_then_applied_in_the_rollout():
    """The plan never applies: the change is armed, applied (netplan generate
    here, the scenario's seam) and confirmed by the rolling play only. Had
    the plan armed the rollback timer, the real run could not arm its own."""
    netplan = "/etc/netplan/60-mlp-static.yaml"
    state = "/var/lib/mlp-netplan/change.state"
    subprocess.run(["podman", "exec", CP1, "sh", "-c", "echo '# hand edit' >> %s" % netplan], check=True)
    before = subprocess.run(["podman", "exec", CP1, "cat", state], capture_output=True, text=True, check=True).stdout
    rc, out = node_prep()
    assert rc == 0, out[-4000:]
    plan = out.split("PLAY [Node prep | network |", 1)[0]
    assert "%s: node_network would change: Write the static network" % CP1 in plan, plan[-4000:]
    armed_in_plan = re.search(r"TASK \[node_network : Arm the rollback timer\].*?\n(\w+): \[%s\]" % CP1, plan, re.S)
    assert armed_in_plan is None or armed_in_plan.group(1) == "skipping", plan[-4000:]
    assert rolled(out) == {"Node prep | network | control-plane and etcd nodes, gated": {CP1}}, out[-4000:]
    after = subprocess.run(["podman", "exec", CP1, "cat", state], capture_output=True, text=True, check=True).stdout
    assert after.startswith("confirmed ") and after != before, (before, after)
    assert "# hand edit" not in subprocess.run(["podman", "exec", CP1, "cat", netplan], capture_output=True,
                                               text=True, check=True).stdout
