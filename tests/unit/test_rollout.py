"""Rolling changes: cluster_rollout is validated, and node_prep.yml's batches follow it.

The batch test runs the real playbooks/node_prep.yml with ansible-playbook on
a made-up cluster whose hosts all use the local connection, in check mode,
with its health gates only (`--tags health_gate --skip-tags always`: the
gates are read-only and find neither gluster nor etcdctl here, so they pass),
in a network namespace without routes. Each batch of a play prints the play's
banner once, so the banners count the batches.
"""

import copy
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(REPO, "tests", "fixtures", "inventories", "base.yml")


@pytest.fixture(name="base_model", scope="module")
def fixture_base_model():
    from conftest import LoadedInventory

    inventory = LoadedInventory(BASE)
    return cm.model_from_hostvars(inventory.hostvars, inventory.groups, inventory.sources)


def defects(base_model, rollout):
    model = copy.deepcopy(base_model)
    model["sources"] = []
    for values in model["hostvars"].values():
        values["cluster_rollout"] = copy.deepcopy(rollout)
    return [str(d) for d in cm.validate(model) if "cluster_rollout" in d.variable]


def test_the_defaults_and_other_sizes_are_valid(base_model):
    assert defects(base_model, dict(cm.ROLLOUT_DEFAULTS)) == []
    assert defects(base_model, {"control_plane": 2, "storage": "34%", "nodes": 5}) == []
    assert defects(base_model, {}) == []


@pytest.mark.parametrize("rollout, expected", [
    ({"storage": 0}, "all: cluster_rollout.storage = 0: must be a number of nodes (1 or more) or a share"),
    ({"nodes": "150%"}, "all: cluster_rollout.nodes = '150%': must be a number of nodes"),
    ({"nodes": "25"}, "all: cluster_rollout.nodes = '25': must be a number of nodes"),
    ({"control_plane": True}, "all: cluster_rollout.control_plane = true: must be a number of nodes"),
    ({"storgae": 1}, "all: cluster_rollout.storgae = 1: is not a rollout key (control_plane, storage, nodes). "
                     "Fix: rename it to storage"),
    ("1", "all: cluster_rollout = '1': must be a mapping"),
])
def test_bad_sizes_are_defects_naming_the_key(base_model, rollout, expected):
    found = defects(base_model, rollout)
    assert len(found) == 1 and found[0].startswith(expected), found


HOSTS = {
    "kube_control_plane": ["cp1", "cp2"],
    "etcd": ["cp1", "cp2"],
    "kube_node": ["w%d" % n for n in range(1, 9)],
    "gluster_nodes": ["g1", "g2"],
}


def batches(tmp_path, rollout):
    """{play name: [hosts of each batch]} of a node_prep.yml run on a made-up cluster."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to run the playbook without routes")
    inventory = {"all": {"children": {group: {"hosts": {h: None for h in hosts}} for group, hosts in HOSTS.items()}}}
    inventory["all"]["children"]["k8s_cluster"] = {"children": {"kube_control_plane": None, "kube_node": None}}
    inventory["all"]["vars"] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    if rollout is not None:
        inventory["all"]["vars"]["cluster_rollout"] = rollout
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_CACHE_PLUGIN="memory",
               ANSIBLE_CALLBACKS_ENABLED="", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    proc = subprocess.run(
        ["unshare", "-n", "ansible-playbook", "playbooks/node_prep.yml", "-i", str(tmp_path / "hosts.yml"),
         "--check", "--tags", "health_gate", "--skip-tags", "always"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    found = {}
    current = None
    for line in proc.stdout.splitlines():
        banner = re.match(r"PLAY \[(Node prep \| .+?)\] \*", line)
        if banner:
            current = found.setdefault(banner.group(1), [])
            current.append([])
            continue
        host = re.match(r"(?:ok|skipping|changed): \[([a-z0-9]+)\]", line)
        if host and current is not None and host.group(1) not in current[-1]:
            current[-1].append(host.group(1))
    return found


def sizes(found, play):
    return [len(batch) for batch in found[play]]


def test_batches_follow_the_defaults(tmp_path):
    found = batches(tmp_path, None)
    for role in ("network", "proxy and CA trust"):
        # One canary, then 25 % of the 8 other nodes at a time: 1, 2, 2, 2, 1
        # (no gate there, so no task names the hosts).
        assert len(found["Node prep | %s | other nodes, a canary node first" % role]) == 5
        # Nodes holding quorum: one at a time.
        assert found["Node prep | %s | control-plane and etcd nodes, gated" % role] == [["cp1"], ["cp2"]]
        assert found["Node prep | %s | storage nodes, gated" % role] == [["g1"], ["g2"]]


def test_batches_follow_the_description(tmp_path):
    found = batches(tmp_path, {"control_plane": 2, "storage": 1, "nodes": "50%"})
    assert len(found["Node prep | network | other nodes, a canary node first"]) == 3  # 1, 4, 3
    assert sizes(found, "Node prep | network | control-plane and etcd nodes, gated") == [2]
    assert sizes(found, "Node prep | network | storage nodes, gated") == [1, 1]
