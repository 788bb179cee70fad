"""remove_node.yml's refusals (plugins/module_utils/node_removal.py).

Each refusal is checked by its rule name, the node it names and its fix; the
Gluster inputs are real glusterfs 10.3 output (tests/unit/fixtures/gluster,
see its README) turned into what gluster_health reports by the same
functions the module uses.
"""

import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster
from ansible_collections.mlplatform.installer.plugins.module_utils import node_removal as nr

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "gluster")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


GROUPS = {
    "kube_control_plane": ["cp1", "cp2", "cp3"],
    "etcd": ["cp1", "cp2", "cp3"],
    "kube_node": ["worker1", "worker2"],
    "gluster_nodes": ["storage1", "storage2", "storage3"],
}
HOSTS = ["cp1", "cp2", "cp3", "worker1", "worker2", "storage1", "storage2", "storage3"]
# The bricks of the captured volumes name the nodes by address (10.79.0.11-13).
ALIASES = {"storage1": ["10.79.0.11"], "storage2": ["10.79.0.12"], "storage3": ["10.79.0.13"]}
VOLUMES = gluster.parse_volume_info(fixture("volume-info-started.xml"))


def health(heal_file):
    """gluster_health's report of gv0 from captured status, heal and options output."""
    info = VOLUMES["gv0"]
    status = gluster.parse_volume_status(fixture("volume-status-gv0.xml"))["gv0"]
    heal = gluster.parse_heal_summary(fixture(heal_file))
    options = gluster.parse_volume_get(fixture("volume-get-all-quorum.xml"))
    pool = gluster.parse_pool_list(fixture("pool-list-connected.xml"))
    report, _problems = gluster.evaluate_volume("gv0", info, status, heal, options, pool)
    return {"gv0": report}


def rules(found):
    return sorted((r["rule"], r["node"]) for r in found)


def test_a_plain_worker_may_go():
    assert nr.refusals(["worker2"], GROUPS, HOSTS) == []


def test_unknown_and_empty_lists_are_refused():
    assert rules(nr.refusals(["wrker2"], GROUPS, HOSTS)) == [("remove_nodes_known", "wrker2")]
    assert rules(nr.refusals([], GROUPS, HOSTS)) == [("remove_nodes_known", "-")]


def test_the_first_control_plane_node_is_refused_with_the_fix():
    found = [r for r in nr.refusals(["cp1"], GROUPS, HOSTS) if r["rule"] == "first_control_plane"]
    assert len(found) == 1 and found[0]["node"] == "cp1"
    assert "cp2, cp3" in found[0]["fix"]
    # Not the first one: only the etcd rules speak for cp2.
    assert "first_control_plane" not in [r["rule"] for r in nr.refusals(["cp2"], GROUPS, HOSTS)]


@pytest.mark.parametrize("members, leaving, expected", [
    (3, 1, ["etcd_odd_members"]),      # 2 left: still a quorum of 3, but even
    (3, 2, ["etcd_quorum"]),           # 1 left: below the quorum of 2
    (4, 1, []),                        # 3 left: odd and a quorum of 4
    (5, 2, []),                        # 3 left: quorum of 5 is 3
    (5, 3, ["etcd_quorum"]),           # 2 left
    (1, 1, ["etcd_quorum"]),           # nothing left
])
def test_etcd_quorum_and_odd_count(members, leaving, expected):
    etcd = ["e%d" % i for i in range(1, members + 1)]
    groups = {"etcd": etcd, "kube_control_plane": ["cp0"]}
    found = nr.check_etcd(etcd[-leaving:], groups)
    assert [r["rule"] for r in found] == expected
    for r in found:
        assert r["fix"] and ("%d" % members) in r["message"]


def test_a_gluster_node_with_bricks_and_no_replacement_is_refused():
    found = nr.refusals(["storage3"], GROUPS, HOSTS, VOLUMES, health("heal-summary-clean.xml"), {}, ALIASES)
    assert rules(found) == [("gluster_bricks_hold_data", "storage3")]
    # Both captured volumes have a brick on 10.79.0.13, and the fix names each.
    assert "10.79.0.13:/data/glusterfs/gv0/brick" in found[0]["fix"]
    assert "gva" in found[0]["message"] and "gv0" in found[0]["message"]


def test_replacement_bricks_lift_the_refusal_while_nothing_is_left_to_heal():
    mine = [b for _v, b in nr.node_bricks(VOLUMES, "storage3", ALIASES["storage3"])]
    assert len(mine) == 2
    replacements = {b: "10.79.0.14:" + b.split(":", 1)[1] for b in mine}
    assert nr.refusals(["storage3"], GROUPS, HOSTS, VOLUMES, health("heal-summary-clean.xml"), replacements,
                       ALIASES) == []


def test_pending_heals_refuse_even_with_replacements():
    mine = [b for _v, b in nr.node_bricks(VOLUMES, "storage3", ALIASES["storage3"])]
    replacements = {b: "10.79.0.14:" + b.split(":", 1)[1] for b in mine}
    found = nr.refusals(["storage3"], GROUPS, HOSTS, VOLUMES, health("heal-summary-pending.xml"), replacements,
                        ALIASES)
    assert rules(found) == [("gluster_heal_pending", "storage3")]
    assert "gluster volume heal gv0 info summary" in found[0]["fix"]


def test_a_drain_blocked_by_a_pdb_is_refused_naming_the_budget():
    verdicts = [
        {"node": "worker1", "pod": "default/guarded-1", "verdict": "blocked", "message": "Cannot evict pod",
         "pdbs": [{"namespace": "default", "name": "guarded", "disruptions_allowed": 0}]},
        {"node": "worker1", "pod": "default/spare-1", "verdict": "allowed", "message": "", "pdbs": []},
    ]
    found = nr.refusals(["worker1"], GROUPS, HOSTS, pdb_verdicts=verdicts)
    assert rules(found) == [("pdb_blocks_drain", "worker1")]
    assert "default/guarded (disruptionsAllowed 0)" in found[0]["message"]
    assert nr.refusal_lines(found)[0].startswith("[pdb_blocks_drain] ")
