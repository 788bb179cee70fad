"""Pure functions of plugins/module_utils/gluster.py against real gluster output.

Every XML file in fixtures/gluster/ was captured from glusterfs 10.3 on the
molecule/gluster nodes (see fixtures/gluster/README.md for the situation each
one records).
"""

import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import (
    GlusterError,
    canonical_option,
    check_exit,
    client_quorum_met,
    current_options,
    evaluate_pool,
    evaluate_volume,
    heal_summary_argv,
    layout_mismatch,
    option_changes,
    parse_cli,
    parse_heal_summary,
    parse_pool_list,
    parse_probe,
    parse_volume_get,
    parse_volume_info,
    parse_volume_status,
    peer_detach_argv,
    peer_probe_argv,
    peers_to_detach,
    peers_to_probe,
    pool_list_argv,
    replica_sets,
    server_quorum_met,
    unconnected_peers,
    validate_bricks,
    volume_create_argv,
    volume_set_argv,
    volume_start_argv,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "gluster")
BRICKS = ["10.79.0.11:/data/glusterfs/gv0/brick", "10.79.0.12:/data/glusterfs/gv0/brick",
          "10.79.0.13:/data/glusterfs/gv0/brick"]
ARBITER_BRICKS = [b.replace("gv0", "gva") for b in BRICKS]


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


# ---------------------------------------------------------------- builders

def test_builders_give_only_the_commands_words():
    # The binary and the global options are the runner's (gluster_cli.GlusterCli.command).
    assert pool_list_argv() == ["pool", "list"]
    assert peer_probe_argv("h") == ["peer", "probe", "h"]
    assert volume_start_argv("v") == ["volume", "start", "v"]
    assert heal_summary_argv("v") == ["volume", "heal", "v", "info", "summary"]


def test_create_replica3_with_force():
    argv = volume_create_argv("gv0", BRICKS, 3, 0, "tcp", True)
    assert argv == ["volume", "create", "gv0", "replica", "3", "transport", "tcp"] + BRICKS + ["force"]


def test_create_arbiter_uses_replica_2_arbiter_1():
    argv = volume_create_argv("gva", ARBITER_BRICKS, 2, 1)
    assert argv[:6] == ["volume", "create", "gva", "replica", "2", "arbiter"]
    assert argv[6] == "1"
    assert "force" not in argv


def test_create_distribute_has_no_replica_words():
    argv = volume_create_argv("d", BRICKS[:1], 1, 0)
    assert "replica" not in argv


@pytest.mark.parametrize("bricks,replica,arbiter,message", [
    (BRICKS[:2], 3, 0, "multiple of 3"),
    (BRICKS, 3, 1, "replica 2 arbiter 1"),
    (BRICKS[:2], 2, 1, "multiple of 3"),
    ([BRICKS[0], BRICKS[0], BRICKS[1]], 3, 0, "duplicate"),
    (["10.79.0.11:/a", "10.79.0.11:/b", "10.79.0.12:/c"], 3, 0, "two bricks on one host"),
    (["10.79.0.11/a", "10.79.0.12:/b", "10.79.0.13:/c"], 3, 0, "HOST:/absolute/path"),
    ([], 3, 0, "no bricks"),
])
def test_bad_layouts_are_refused_before_gluster_sees_them(bricks, replica, arbiter, message):
    with pytest.raises(ValueError, match=message):
        validate_bricks(bricks, replica, arbiter)


def test_set_turns_yaml_booleans_into_gluster_words():
    assert volume_set_argv("gv0", "performance.quick-read", False)[-1] == "off"
    assert volume_set_argv("gv0", "network.ping-timeout", 20)[-2:] == ["network.ping-timeout", "20"]


def test_detach_force():
    assert peer_detach_argv("h", force=True)[-3:] == ["detach", "h", "force"]


# ---------------------------------------------------------------- errors

def test_check_exit_passes_xml_through():
    text = fixture("pool-list-single.xml")
    assert check_exit(0, text, "") == text


def test_glusterd_down_message_is_verbatim():
    text = fixture("glusterd-down-pool-list.txt")
    with pytest.raises(GlusterError) as err:
        check_exit(1, text, "")
    assert err.value.message == "Connection failed. Please check if gluster daemon is operational."


def test_heal_trigger_without_xml_reports_stderr():
    with pytest.raises(GlusterError) as err:
        check_exit(1, "", fixture("heal-trigger-node-down.txt"))
    assert "Glusterd Syncop Mgmt brick op 'Heal' failed" in err.value.message


@pytest.mark.parametrize("name,message", [
    ("volume-create-rootfs.xml", "is being created in the root partition"),
    ("volume-create-exists.xml", "Volume gv0 already exists"),
    ("volume-start-already.xml", "Volume gv0 already started"),
    ("volume-stop-notstarted.xml", "Volume gvx is not in the started state"),
    ("volume-delete-missing.xml", "Volume gvx does not exist"),
    ("volume-set-bad-key.xml", "option : cluster.no-such-option does not exist\nDid you mean"),
    ("volume-set-bad-value.xml", 'invalid time format "banana"'),
    ("volume-set-quorum-lost.xml", "Quorum not met. Volume operation not allowed."),
    ("peer-probe-unreachable.xml", "Probe returned with Transport endpoint is not connected"),
    ("peer-detach-has-bricks.xml", "Peer 10.79.0.13 hosts one or more bricks"),
    ("peer-detach-unknown.xml", "10.79.0.99 is not part of cluster"),
    ("volume-info-missing.xml", "Volume does not exist"),
    ("heal-summary-quorum-lost.xml", "gv0: Not able to fetch volfile from glusterd"),
])
def test_failures_exit_zero_but_raise_with_gluster_words(name, message):
    text = fixture(name)
    # The CLI exits 0 with --xml even when it failed: opRet is the only signal.
    assert check_exit(0, text, "") == text
    with pytest.raises(GlusterError) as err:
        parse_cli(text)
    assert message in err.value.message
    assert err.value.op_ret in (-1, 1)


def test_unreadable_output_is_an_error():
    with pytest.raises(GlusterError, match="unreadable XML"):
        parse_cli("<?xml version='1.0'?><cliOutput><opRet>0</opRet>")


# ---------------------------------------------------------------- peers

def test_pool_list_single_node_is_only_the_local_one():
    peers = parse_pool_list(fixture("pool-list-single.xml"))
    assert [p["local"] for p in peers] == [True]
    assert peers[0]["connected"]


def test_pool_list_connected():
    peers = parse_pool_list(fixture("pool-list-connected.xml"))
    remote = [p for p in peers if not p["local"]]
    assert sorted(p["hostname"] for p in remote) == ["10.79.0.12", "10.79.0.13"]
    assert all(p["connected"] and p["state"] == "Peer in Cluster" for p in remote)
    assert unconnected_peers(peers) == []
    assert evaluate_pool(peers) == []


def test_pool_list_with_a_node_down():
    peers = parse_pool_list(fixture("pool-list-node-down.xml"))
    bad = unconnected_peers(peers)
    assert [p["hostname"] for p in bad] == ["10.79.0.13"]
    assert unconnected_peers(peers, ["10.79.0.12"]) == []
    problems = evaluate_pool(peers)
    assert len(problems) == 1 and "10.79.0.13" in problems[0] and "24007" in problems[0]


def test_peer_status_empty_has_no_peers():
    assert parse_pool_list(fixture("peer-status-empty.xml")) == []


def test_peer_status_lists_only_remote_nodes():
    peers = parse_pool_list(fixture("peer-status-connected.xml"))
    assert len(peers) == 2 and not any(p["local"] for p in peers)


@pytest.mark.parametrize("name,outcome", [
    ("peer-probe-ok.xml", "probed"),
    ("peer-probe-already.xml", "already"),
    ("peer-probe-self.xml", "local"),
])
def test_probe_outcome_tells_a_real_change(name, outcome):
    assert parse_probe(fixture(name)) == outcome


def test_peers_to_probe_skips_known_and_local_nodes():
    single = parse_pool_list(fixture("pool-list-single.xml"))
    wanted = ["10.79.0.11", "10.79.0.12", "10.79.0.13"]
    assert peers_to_probe(single, wanted, {"10.79.0.11"}) == ["10.79.0.12", "10.79.0.13"]
    full = parse_pool_list(fixture("pool-list-connected.xml"))
    assert peers_to_probe(full, wanted, {"10.79.0.11"}) == []
    # "localhost" in the pool list is this node, not a peer named localhost.
    assert peers_to_probe(full, ["localhost"], set()) == ["localhost"]


def test_peers_to_detach_only_known_remote_nodes():
    full = parse_pool_list(fixture("pool-list-connected.xml"))
    assert peers_to_detach(full, ["10.79.0.13", "10.79.0.99", "10.79.0.11"], {"10.79.0.11"}) == ["10.79.0.13"]


# ---------------------------------------------------------------- volumes

def test_volume_info_none():
    assert parse_volume_info(fixture("volume-info-none.xml")) == {}


def test_volume_info_replica3_and_arbiter():
    vols = parse_volume_info(fixture("volume-info-started.xml"))
    assert sorted(vols) == ["gv0", "gva"]
    gv0, gva = vols["gv0"], vols["gva"]
    assert gv0["started"] and gv0["status"] == "Started"
    assert (gv0["replica_count"], gv0["arbiter_count"], gv0["brick_count"]) == (3, 0, 3)
    assert [b["name"] for b in gv0["bricks"]] == BRICKS
    assert gv0["options"]["cluster.granular-entry-heal"] == "on"
    assert (gva["replica_count"], gva["arbiter_count"]) == (3, 1)
    assert [b["arbiter"] for b in gva["bricks"]] == [False, False, True]
    assert gv0["bricks"][0]["host_uuid"] == "59d4bebf-a65e-4a8c-8eae-dc2ba365f4b6"


def test_created_volume_is_not_started():
    vol = parse_volume_info(fixture("volume-info-created-stopped.xml"))["gvx"]
    assert not vol["started"] and vol["status"] == "Created"


def test_layout_matches_what_was_created():
    vols = parse_volume_info(fixture("volume-info-started.xml"))
    assert layout_mismatch(vols["gv0"], BRICKS, 3, 0) == ""
    assert layout_mismatch(vols["gva"], ARBITER_BRICKS, 2, 1) == ""


def test_layout_mismatch_names_both_sides():
    vols = parse_volume_info(fixture("volume-info-started.xml"))
    reordered = [BRICKS[1], BRICKS[0], BRICKS[2]]
    assert "requested" in layout_mismatch(vols["gv0"], reordered, 3, 0)
    assert "replica 3 arbiter 0" in layout_mismatch(vols["gva"], ARBITER_BRICKS, 3, 0)


def test_volume_get_strips_default_marker():
    opts = parse_volume_get(fixture("volume-get-all-defaults.xml"))
    # 342 entries, six keys listed twice (once per translator reading them).
    assert len(opts) == 336
    assert opts["network.ping-timeout"] == {"value": "42", "default": True, "values": ["42"]}
    assert opts["cluster.quorum-type"] == {"value": "auto", "default": False, "values": ["auto"]}
    assert opts["cluster.server-quorum-type"]["value"] == "off"
    assert opts["performance.cache-size"]["values"] == ["32MB", "128MB"]
    assert opts["features.ctime"] == {"value": "on", "default": False, "values": ["on", "on"]}


def test_key_whose_translators_disagree_is_always_set():
    current = current_options(parse_volume_get(fixture("volume-get-all-defaults.xml")))
    assert current["performance.cache-size"] is None
    assert current["features.ctime"] == "on"
    assert option_changes({"performance.cache-size": "32MB"}, current) == [
        ("performance.cache-size", None, "32MB")]


def test_volume_get_single_key():
    assert parse_volume_get(fixture("volume-get-quorum.xml")) == {
        "cluster.quorum-type": {"value": "auto", "default": False, "values": ["auto"]}}


@pytest.mark.parametrize("a,b", [("on", "enable"), (True, "on"), ("off", "disable"), ("no", False),
                                 ("51%", "51"), ("AUTO", "auto")])
def test_equivalent_option_spellings(a, b):
    assert canonical_option(a) == canonical_option(b)


def test_option_changes_against_real_values():
    current = current_options(parse_volume_get(fixture("volume-get-all-quorum.xml")),
                              parse_volume_info(fixture("volume-info-started.xml"))["gv0"]["options"])
    desired = {"cluster.quorum-type": "auto", "cluster.server-quorum-type": "server",
               "network.ping-timeout": 20, "cluster.self-heal-daemon": "enable",
               "performance.client-io-threads": False}
    assert option_changes(desired, current) == [("network.ping-timeout", "42", "20")]


def test_option_unknown_to_volume_get_is_a_change():
    assert option_changes({"x.y": "1"}, {}) == [("x.y", None, "1")]


# ---------------------------------------------------------------- status and heal

def test_status_healthy_lists_bricks_and_self_heal_daemons():
    status = parse_volume_status(fixture("volume-status-gv0.xml"))["gv0"]
    assert sorted(status["bricks"]) == BRICKS
    assert all(b["online"] and b["port"] for b in status["bricks"].values())
    assert sorted(status["self_heal_daemons"]) == ["10.79.0.12", "10.79.0.13", "localhost"]


def test_status_node_down_omits_its_brick():
    status = parse_volume_status(fixture("volume-status-node-down.xml"))["gv0"]
    assert sorted(status["bricks"]) == BRICKS[:2]


def test_status_dead_brick_process_is_listed_offline():
    status = parse_volume_status(fixture("volume-status-brick-down.xml"))["gv0"]
    assert status["bricks"][BRICKS[1]] == {"online": False, "port": None, "pid": -1,
                                           "peerid": "48122a51-9324-4a19-bcfd-d8a1b22273d5"}


def test_heal_summary_clean():
    bricks = parse_heal_summary(fixture("heal-summary-clean.xml"))
    assert [b["name"] for b in bricks] == BRICKS
    assert all(b["connected"] and b["total"] == 0 and b["split_brain"] == 0 for b in bricks)


def test_heal_summary_with_a_node_down():
    bricks = parse_heal_summary(fixture("heal-summary-pending.xml"))
    assert [b["pending"] for b in bricks[:2]] == [7, 7]
    down = bricks[2]
    assert not down["connected"] and down["total"] is None
    assert down["status"].startswith("Failed to process entries completely.")


def test_heal_summary_while_healing():
    bricks = parse_heal_summary(fixture("heal-summary-healing.xml"))
    assert all(b["connected"] for b in bricks)
    assert sum(b["total"] for b in bricks) > 0


# ---------------------------------------------------------------- quorum rules

@pytest.mark.parametrize("online,met", [
    ({"a", "b", "c"}, True), ({"a", "b"}, True), ({"b", "c"}, True), ({"a"}, False), (set(), False)])
def test_client_quorum_auto_replica3(online, met):
    assert client_quorum_met(["a", "b", "c"], online, "auto") is met


def test_client_quorum_auto_even_set_needs_the_first_brick():
    assert client_quorum_met(["a", "b"], {"a"}, "auto")
    assert not client_quorum_met(["a", "b"], {"b"}, "auto")


def test_client_quorum_fixed_and_none():
    assert not client_quorum_met(["a", "b", "c"], {"a"}, "fixed", 2)
    assert client_quorum_met(["a", "b", "c"], set(), "none")


def test_server_quorum_from_real_pools():
    assert server_quorum_met(parse_pool_list(fixture("pool-list-node-down.xml")), 51)
    assert not server_quorum_met(parse_pool_list(fixture("pool-list-quorum-lost.xml")), 51)
    assert not server_quorum_met(parse_pool_list(fixture("pool-list-quorum-lost.xml")))


def test_replica_sets_group_by_replica_count():
    info = parse_volume_info(fixture("volume-info-started.xml"))["gva"]
    assert replica_sets(info) == [ARBITER_BRICKS]


# ---------------------------------------------------------------- health verdicts

def _evaluate(info_name, vol, status_name, heal_name, get_name, pool_name, **kw):
    info = parse_volume_info(fixture(info_name))[vol]
    status = parse_volume_status(fixture(status_name))[vol] if status_name else None
    heal = parse_heal_summary(fixture(heal_name)) if heal_name else None
    options = parse_volume_get(fixture(get_name))
    pool = parse_pool_list(fixture(pool_name))
    return evaluate_volume(vol, info, status, heal, options, pool, **kw)


def test_healthy_volume_has_no_problem():
    report, problems = _evaluate("volume-info-started.xml", "gv0", "volume-status-gv0.xml",
                                 "heal-summary-clean.xml", "volume-get-all-quorum.xml",
                                 "pool-list-connected.xml")
    assert problems == []
    assert report["bricks_online"] == 3 and report["quorum"]["client_met"] and report["quorum"]["server_met"]


def test_healthy_arbiter_volume():
    report, problems = _evaluate("volume-info-started.xml", "gva", "volume-status-arbiter.xml",
                                 "heal-summary-arbiter.xml", "volume-get-arbiter.xml",
                                 "pool-list-connected.xml", require_quorum_options=False)
    assert problems == [] and report["arbiter_count"] == 1


def test_missing_quorum_options_are_a_problem():
    _report, problems = _evaluate("volume-info-started.xml", "gv0", "volume-status-gv0.xml",
                                  "heal-summary-clean.xml", "volume-get-all-defaults.xml",
                                  "pool-list-connected.xml")
    assert len(problems) == 1 and "cluster.server-quorum-type is 'off'" in problems[0]


def test_node_down_means_offline_brick_and_pending_heals():
    report, problems = _evaluate("volume-info-started.xml", "gv0", "volume-status-node-down.xml",
                                 "heal-summary-pending.xml", "volume-get-all-quorum.xml",
                                 "pool-list-node-down.xml")
    assert report["offline_bricks"] == [BRICKS[2]]
    assert report["heal"]["pending"] == 14 and report["heal"]["unreachable_bricks"] == [BRICKS[2]]
    assert report["quorum"]["client_met"] and report["quorum"]["server_met"]
    text = " | ".join(problems)
    assert "glusterd on 10.79.0.13 is unreachable" in text
    assert "14 entries wait for self-heal" in text


def test_pending_heals_within_allowance_are_not_a_problem():
    _report, problems = _evaluate("volume-info-started.xml", "gv0", "volume-status-gv0.xml",
                                  "heal-summary-healing.xml", "volume-get-all-quorum.xml",
                                  "pool-list-connected.xml", max_pending=10000)
    assert problems == []


def test_dead_brick_process_suggests_start_force():
    _report, problems = _evaluate("volume-info-started.xml", "gv0", "volume-status-brick-down.xml",
                                  "heal-summary-clean.xml", "volume-get-all-quorum.xml",
                                  "pool-list-connected.xml")
    assert any("gluster volume start gv0 force" in p for p in problems)


def test_quorum_lost_is_reported():
    report, problems = _evaluate("volume-info-started.xml", "gv0", "volume-status-quorum-lost.xml",
                                 None, "volume-get-all-quorum.xml", "pool-list-quorum-lost.xml")
    assert report["bricks_online"] == 0
    assert not report["quorum"]["client_met"] and not report["quorum"]["server_met"]
    text = " | ".join(problems)
    assert "client quorum lost" in text and "server quorum lost" in text


def test_stopped_volume_is_a_problem():
    info = parse_volume_info(fixture("volume-info-created-stopped.xml"))["gvx"]
    _report, problems = evaluate_volume("gvx", info, None, None, {}, [])
    assert problems == ["gvx: volume is Created, not Started: `gluster volume start gvx`"]
