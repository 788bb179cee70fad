"""The Kubespray layer's decision: skip, scale, cluster or refuse.

The live side is what the bed's real kube-apiserver v1.35.4 answered
(tests/unit/fixtures/k8s/: /version and the Nodes cp1, worker1, worker2);
the generated inventory is written the way Kubespray reads one (hosts.yml
with groups, group_vars files with comments).
"""

import copy
import json
import os

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_decision as kd

HERE = os.path.dirname(os.path.abspath(__file__))
K8S = os.path.join(HERE, "fixtures", "k8s")
RELEASE = {"kubespray": "v2.31.0", "kubernetes": "1.35.4", "containerd": "2.2.3", "etcd": "3.6.10"}


def _fixture(name):
    with open(os.path.join(K8S, name), encoding="utf-8") as handle:
        return json.load(handle)


def _live(nodes="nodes-healthy.json"):
    return kd.live_state(_fixture("version.json"), _fixture(nodes)["items"])


def _hosts(workers=("worker1", "worker2"), control=("cp1",), extra_vars=None):
    all_hosts = {}
    for name in list(control) + list(workers):
        # cpN at .1N, workerN at .2N: adding a host leaves the others' addresses alone.
        address = "10.80.0.%d%s" % (1 if name.startswith("cp") else 2, name[-1])
        all_hosts[name] = {"ansible_host": address, "ip": address, "access_ip": address}
        all_hosts[name].update((extra_vars or {}).get(name, {}))
    return {"all": {"hosts": all_hosts, "children": {
        "kube_control_plane": {"hosts": {h: None for h in control}},
        "etcd": {"hosts": {h: None for h in control}},
        "kube_node": {"hosts": {h: None for h in workers}},
        "k8s_cluster": {"children": {"kube_control_plane": None, "kube_node": None}}}}}


def _files(hosts=None, comment="# from cluster_release.kubernetes", kube_version="1.35.4"):
    return {
        "hosts.yml": yaml.safe_dump(hosts or _hosts()).encode(),
        "group_vars/k8s_cluster/k8s-cluster.yml": (
            "---\n%s\nkube_version: %s\n# from cluster_service_cidr\nkube_service_addresses: 10.233.0.0/18\n"
            % (comment, kube_version)).encode(),
        "group_vars/all/all.yml": b"---\n# from cluster_http_proxy\nhttp_proxy: ''\n",
    }


def _state(**kwargs):
    return kd.inventory_state(_files(**kwargs))


def _record(state=None, release=None, **data_edits):
    data = kd.record_data(state or _state(), release or RELEASE, "2026-11-29T22:00:00Z", "cluster")
    data.update(data_edits)
    return kd.parse_record(data)


# --- hash -------------------------------------------------------------------

def test_hash_is_sha256_over_sorted_paths_and_contents(tmp_path):
    files = _files()
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    (tmp_path / "group_vars" / "k8s_cluster").mkdir(parents=True)
    for path, content in files.items():
        (tmp_path / path).write_bytes(content)
    read = kd.read_tree(str(tmp_path))
    assert read == files
    # Independent of the order files were listed or written in.
    assert kd.inventory_hash(dict(reversed(list(files.items())))) == kd.inventory_hash(files)
    assert len(kd.inventory_hash(files)) == 64


@pytest.mark.parametrize("edit", [
    lambda f: f.update({"hosts.yml": f["hosts.yml"] + b"\n"}),
    lambda f: f.update({"group_vars/all/extra.yml": b"---\n"}),
    # The same bytes moved from one file to another, or a file renamed.
    lambda f: f.update({"group_vars/all/all.yml": b"---\n# from cluster_http_proxy\n",
                        "hosts.yml": b"http_proxy: ''\n" + f["hosts.yml"]}),
    lambda f: f.update({"group_vars/all/other.yml": f.pop("group_vars/all/all.yml")}),
])
def test_any_change_of_a_file_changes_the_hash(edit):
    files = _files()
    before = kd.inventory_hash(files)
    edit(files)
    assert kd.inventory_hash(files) != before


def test_read_tree_names_what_is_missing(tmp_path):
    with pytest.raises(kd.InventoryError, match="no generated Kubespray inventory at .*kubespray_inventory"):
        kd.read_tree(str(tmp_path / "absent"))
    (tmp_path / "group_vars").mkdir()
    with pytest.raises(kd.InventoryError, match="has no hosts.yml"):
        kd.read_tree(str(tmp_path))


def test_inventory_state_reads_groups_through_children():
    state = _state()
    assert sorted(state["hosts"]) == ["cp1", "worker1", "worker2"]
    assert state["hosts"]["cp1"]["groups"] == ["etcd", "k8s_cluster", "kube_control_plane"]
    assert state["hosts"]["worker1"]["groups"] == ["k8s_cluster", "kube_node"]


def test_a_reworded_comment_keeps_the_semantic_digests():
    one, two = _state(), _state(comment="# from cluster_release.kubernetes (the bundle)")
    assert one["hash"] != two["hash"]
    assert one["settings"] == two["settings"] and one["hosts"] == two["hosts"]


# --- record -----------------------------------------------------------------

def test_record_round_trip_holds_only_strings():
    data = kd.record_data(_state(), RELEASE, "2026-11-29T22:00:00Z", "scale")
    assert all(isinstance(v, str) for v in data.values())
    record = kd.parse_record(data)
    assert record["versions"] == RELEASE
    assert sorted(record["hosts"]) == ["cp1", "worker1", "worker2"]


@pytest.mark.parametrize("data", [None, {}, {"inventory_hash": ""}, {"inventory_hash": "ab", "hosts": "not json"},
                                  {"inventory_hash": "ab", "hosts": "[1, 2]"}])
def test_an_unreadable_record_counts_as_missing(data):
    assert kd.parse_record(data) is None


def test_live_state_from_the_real_api():
    assert _live() == {"apiserver": "v1.35.4",
                       "nodes": {"cp1": "v1.35.4", "worker1": "v1.35.4", "worker2": "v1.35.4"}}


# --- decision -----------------------------------------------------------------

def test_api_not_answering_means_cluster():
    out = kd.decide(_state(), RELEASE, live=None, record=None, api_error="connection refused")
    assert out["decision"] == "cluster" and out["playbook"] == "cluster"
    assert "does not answer (connection refused)" in out["reason"]


def test_nothing_changed_skips():
    out = kd.decide(_state(), RELEASE, _live(), _record())
    assert out["decision"] == "skip" and out["playbook"] is None
    assert "nothing changed since the last apply (2026-11-29T22:00:00Z)" in out["reason"]
    assert out["record_stale"] is False


def test_only_comments_changed_skips_and_asks_for_a_new_record():
    out = kd.decide(_state(comment="# reworded"), RELEASE, _live(), _record())
    assert out["decision"] == "skip" and out["record_stale"] is True
    assert "not their content" in out["reason"]


def test_record_missing_on_a_running_cluster_means_cluster():
    out = kd.decide(_state(), RELEASE, _live(), None)
    assert out["decision"] == "cluster"
    assert "no apply record" in out["reason"]


def test_new_worker_only_scales_limited_to_it():
    recorded = _record()
    now = _state(hosts=_hosts(workers=("worker1", "worker2", "worker3")))
    out = kd.decide(now, RELEASE, _live(), recorded)
    assert out == {"decision": "scale", "playbook": "scale", "new_hosts": ["worker3"], "removed_hosts": [],
                   "record_stale": False,
                   "reason": "new worker hosts only: worker3 (scale.yml limited to them, after Kubespray's facts "
                             "on every host)"}


def test_a_worker_whose_node_vanished_is_joined_again_by_scale():
    live = _live()
    del live["nodes"]["worker2"]
    out = kd.decide(_state(), RELEASE, live, _record())
    assert out["decision"] == "scale" and out["new_hosts"] == ["worker2"]


def test_new_control_plane_host_needs_cluster():
    now = _state(hosts=_hosts(control=("cp1", "cp2", "cp3")))
    out = kd.decide(now, RELEASE, _live(), _record())
    assert out["decision"] == "cluster" and out["new_hosts"] == ["cp2", "cp3"]
    assert "scale.yml joins workers only" in out["reason"]


def test_new_worker_with_other_changes_is_cluster():
    recorded = _record()
    files = _files(hosts=_hosts(workers=("worker1", "worker2", "worker3")))
    files["group_vars/all/all.yml"] = b"---\nhttp_proxy: http://proxy:3128\n"
    out = kd.decide(kd.inventory_state(files), RELEASE, _live(), recorded)
    assert out["decision"] == "cluster"
    assert "cluster-wide settings (group_vars) changed" in out["reason"] and "new hosts: worker3" in out["reason"]


def test_a_changed_host_address_is_cluster():
    now = _state(hosts=_hosts(extra_vars={"worker1": {"access_ip": "10.80.0.99"}}))
    out = kd.decide(now, RELEASE, _live(), _record())
    assert out["decision"] == "cluster"
    assert "the variables or groups of worker1 changed" in out["reason"]


def test_a_worker_moved_into_the_control_plane_is_cluster():
    now = _state(hosts=_hosts(control=("cp1", "worker2"), workers=("worker1",)))
    out = kd.decide(now, RELEASE, _live(), _record())
    assert out["decision"] == "cluster" and "worker2" in out["reason"]


def test_removed_host_still_a_node_refuses_with_remove_node():
    now = _state(hosts=_hosts(workers=("worker1",)))
    out = kd.decide(now, RELEASE, _live(), _record())
    assert out["decision"] == "refuse" and out["removed_hosts"] == ["worker2"]
    assert """playbooks/remove_node.yml -e '{"remove_nodes": ["worker2"]}'""" in out["reason"]


def test_removed_host_already_gone_is_cluster():
    live = _live()
    del live["nodes"]["worker2"]
    now = _state(hosts=_hosts(workers=("worker1",)))
    out = kd.decide(now, RELEASE, live, _record())
    assert out["decision"] == "cluster"
    assert "worker2 left the inventory and the cluster" in out["reason"]


def test_other_kube_version_refuses_pointing_at_upgrade():
    release = dict(RELEASE, kubernetes="1.35.5")
    out = kd.decide(_state(kube_version="1.35.5"), release, _live(), _record())
    assert out["decision"] == "refuse" and out["playbook"] is None
    assert out["reason"] == ("the cluster runs Kubernetes v1.35.4 and cluster_release.kubernetes is 1.35.5: run "
                             "playbooks/upgrade.yml to change versions; this layer installs and scales, it never "
                             "upgrades")


def test_an_older_kube_version_is_a_downgrade():
    out = kd.decide(_state(), dict(RELEASE, kubernetes="1.34.7"), _live(), _record())
    assert out["decision"] == "refuse"
    assert out["reason"] == ("the cluster runs Kubernetes v1.35.4 and cluster_release.kubernetes is 1.34.7, older: "
                             "versions change only through playbooks/upgrade.yml, and Kubernetes cannot be "
                             "downgraded; set cluster_release.kubernetes back to 1.35.4")


def test_refusal_wins_over_a_missing_record_and_new_hosts():
    now = _state(hosts=_hosts(workers=("worker1", "worker2", "worker3")))
    out = kd.decide(now, dict(RELEASE, kubernetes="1.35.5"), _live(), None)
    assert out["decision"] == "refuse"


def test_a_kubelet_left_behind_refuses():
    nodes = copy.deepcopy(_fixture("nodes-healthy.json")["items"])
    nodes[1]["status"]["nodeInfo"]["kubeletVersion"] = "v1.34.7"
    live = kd.live_state(_fixture("version.json"), nodes)
    out = kd.decide(_state(), RELEASE, live, _record())
    assert out["decision"] == "refuse"
    assert "worker1 v1.34.7" in out["reason"] and "playbooks/upgrade.yml" in out["reason"]


@pytest.mark.parametrize("key,old", [("containerd", "2.1.4"), ("etcd", "3.5.21"), ("kubespray", "v2.30.0")])
def test_other_recorded_versions_refuse(key, old):
    recorded = _record(release=dict(RELEASE, **{key: old}))
    out = kd.decide(_state(), RELEASE, _live(), recorded)
    assert out["decision"] == "refuse"
    assert "installed %s %s" % (key, old) in out["reason"] and "playbooks/upgrade.yml" in out["reason"]


def test_version_prefix_v_is_the_same_version():
    out = kd.decide(_state(), dict(RELEASE, kubernetes="v1.35.4"), _live(), _record())
    assert out["decision"] == "skip"
