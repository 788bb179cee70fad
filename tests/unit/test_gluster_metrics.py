"""plugins/module_utils/gluster_metrics.py: Gluster health as node_exporter textfile metrics.

Every gluster answer is real output captured on the molecule/gluster nodes
(fixtures/gluster/README.md); the text is parsed back here by the exposition format's rules, and the
molecule/gluster scenario checks that the real node_exporter serves it.
"""

import os
import re
import stat

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster_metrics as gm
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import GlusterError, check_exit

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "gluster")

HEALTHY = {
    ("pool", "list"): "pool-list-connected.xml",
    ("volume", "info"): "volume-info-started.xml",
    ("volume", "status", "gv0"): "volume-status-gv0.xml",
    ("volume", "status", "gva"): "volume-status-arbiter.xml",
    ("volume", "heal", "gv0", "info", "summary"): "heal-summary-clean.xml",
    ("volume", "heal", "gva", "info", "summary"): "heal-summary-arbiter.xml",
    ("volume", "status", "gv0", "detail"): "volume-status-gv0-detail.xml",
    ("volume", "status", "gva", "detail"): "volume-status-gva-detail.xml",
    ("volume", "get", "gv0", "all"): "volume-get-all-quorum.xml",
    ("volume", "get", "gva", "all"): "volume-get-gva-all.xml",
}
# storage2 (10.79.0.12) stopped: captured together, as the timer on storage1 sees it.
STORAGE2_DOWN = {**HEALTHY, **{
    ("pool", "list"): "pool-list-storage2-down.xml",
    ("volume", "status", "gv0"): "volume-status-gv0-storage2-down.xml",
    ("volume", "heal", "gv0", "info", "summary"): "heal-summary-gv0-storage2-down.xml",
    ("volume", "status", "gv0", "detail"): "volume-status-gv0-detail-node-down.xml",
}}
GV0_B2 = "10.79.0.12:/data/glusterfs/gv0/brick"


class FakeCli(object):
    """GlusterCli's run(words, parser) answering from captured files."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def run(self, words, parser):
        self.calls.append(tuple(words))
        with open(os.path.join(FIXTURES, self.answers[tuple(words)])) as handle:
            text = handle.read()
        rc = 0 if text.lstrip().startswith("<") else 1  # glusterd down: plain text, non-zero
        return parser(check_exit(rc, text, ""))


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parsed(text):
    """{(name, frozenset(labels)): value}; every sample must follow a TYPE gauge line of its name."""
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _h, _t, name, kind = line.split()
            assert kind == "gauge"
            typed.add(name)
            continue
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, "not a sample line: %r" % line
        name, labels, number = match.groups()
        assert name in typed, "%s has no TYPE line before it" % name
        pairs = LABEL.findall(labels or "")
        assert "".join('%s="%s",' % p for p in pairs).rstrip(",") == (labels or "").rstrip(","), line
        labels = {k: re.sub(r'\\\\|\\"|\\n', lambda m: UNESCAPE[m.group(0)], v) for k, v in pairs}
        key = (name, frozenset(labels.items()))
        assert key not in out, "duplicate sample %r" % line
        out[key] = float(number)
    return out


def value(metrics, name, **labels):
    return metrics[("mlp_gluster_" + name, frozenset(labels.items()))]


def test_parse_brick_capacity_reads_size_and_free_per_brick():
    with open(os.path.join(FIXTURES, "volume-status-gv0-detail.xml")) as handle:
        capacity = gm.parse_brick_capacity(handle.read())
    assert sorted(capacity["gv0"]) == ["10.79.0.1%d:/data/glusterfs/gv0/brick" % i for i in (1, 2, 3)]
    brick = capacity["gv0"]["10.79.0.11:/data/glusterfs/gv0/brick"]
    assert brick == {"size_bytes": 270553174016, "free_bytes": 247019565056}


def test_parse_brick_capacity_omits_the_stopped_nodes_brick():
    with open(os.path.join(FIXTURES, "volume-status-gv0-detail-node-down.xml")) as handle:
        capacity = gm.parse_brick_capacity(handle.read())
    assert GV0_B2 not in capacity["gv0"] and len(capacity["gv0"]) == 2


def test_healthy_pool_exports_every_brick_online_and_nothing_wrong():
    cli = FakeCli(HEALTHY)
    result = gm.collect(cli)
    assert result["problems"] == []
    metrics = parsed(gm.to_textfile(result, now=1700000000, duration=1.25))
    assert value(metrics, "up") == 1 and value(metrics, "healthy") == 1 and value(metrics, "problems") == 0
    for vol in ("gv0", "gva"):
        assert value(metrics, "volume_started", volume=vol) == 1
        assert value(metrics, "volume_bricks", volume=vol) == 3
        assert value(metrics, "volume_bricks_online", volume=vol) == 3
        assert value(metrics, "heal_pending_entries", volume=vol) == 0
        assert value(metrics, "client_quorum_met", volume=vol) == 1
    assert value(metrics, "brick_online", volume="gv0", brick=GV0_B2) == 1
    assert value(metrics, "brick_size_bytes", volume="gv0", brick=GV0_B2) == 270553174016
    assert value(metrics, "scrape_timestamp_seconds") == 1700000000
    assert value(metrics, "scrape_duration_seconds") == 1.25
    assert value(metrics, "peer_connected", peer="10.79.0.12",
                 uuid=[p for p in result["peers"] if p["hostname"] == "10.79.0.12"][0]["uuid"]) == 1
    # The same commands gluster_health runs, plus one detail status per started volume.
    assert ("volume", "status", "gva", "detail") in cli.calls


def test_stopped_node_marks_its_brick_offline_and_its_heals_pending_unknown():
    result = gm.collect(FakeCli(STORAGE2_DOWN))
    metrics = parsed(gm.to_textfile(result, now=1700000000))
    assert value(metrics, "up") == 1 and value(metrics, "healthy") == 0
    assert value(metrics, "brick_online", volume="gv0", brick=GV0_B2) == 0
    assert value(metrics, "brick_online", volume="gv0", brick="10.79.0.11:/data/glusterfs/gv0/brick") == 1
    assert value(metrics, "volume_bricks_online", volume="gv0") == 2
    assert value(metrics, "heal_unreachable_bricks", volume="gv0") == 1
    assert value(metrics, "client_quorum_met", volume="gv0") == 1
    peer = [p for p in result["peers"] if p["hostname"] == "10.79.0.12"][0]
    assert value(metrics, "peer_connected", peer="10.79.0.12", uuid=peer["uuid"]) == 0
    # No capacity for a brick nobody could measure: absent, not 0 (0 free would look full).
    assert ("mlp_gluster_brick_free_bytes", frozenset({"volume": "gv0", "brick": GV0_B2}.items())) not in metrics
    assert any(GV0_B2 in p for p in result["problems"])


def test_glusterd_down_exports_up_0_and_still_a_valid_file():
    result = gm.collect(FakeCli({**HEALTHY, ("pool", "list"): "glusterd-down-pool-list.txt"}))
    metrics = parsed(gm.to_textfile(result, now=1700000000))
    assert value(metrics, "up") == 0 and value(metrics, "healthy") == 0
    assert value(metrics, "problems") == 1
    assert "is glusterd running" in result["problems"][0]
    assert not [k for k in metrics if k[0] == "mlp_gluster_brick_online"]


def test_stopped_volume_exports_started_0_and_no_brick_alerts():
    report = {"status": "Stopped", "type": "Replicate", "replica_count": 3, "arbiter_count": 0}
    result = {"up": True, "peers": [], "volumes": {"gvx": report}, "bricks": {"gvx": ["a:/b", "c:/d"]},
              "capacity": {}, "problems": ["gvx: volume is Stopped"]}
    metrics = parsed(gm.to_textfile(result, now=1))
    assert value(metrics, "volume_started", volume="gvx") == 0
    assert not [k for k in metrics if k[0] == "mlp_gluster_brick_online"]


def test_label_values_are_escaped():
    assert gm.escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    result = {"up": True, "peers": [{"hostname": 'h"1', "uuid": "u", "connected": True,
                                     "state": "Peer in Cluster", "local": False}],
              "volumes": {}, "bricks": {}, "capacity": {}, "problems": []}
    metrics = parsed(gm.to_textfile(result, now=1))
    assert value(metrics, "peer_connected", peer='h"1', uuid="u") == 1


def test_help_and_type_once_per_metric():
    text = gm.to_textfile(gm.collect(FakeCli(HEALTHY)), now=1)
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(types) == len(set(types))
    assert text.endswith("\n")


def test_write_atomically_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "mlp_gluster.prom"
    target.write_text("old\n")
    before = os.stat(str(target)).st_ino
    gm.write_atomically(str(target), "new\n")
    assert target.read_text() == "new\n"
    assert os.stat(str(target)).st_ino != before  # a new file renamed in, not rewritten in place
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["mlp_gluster.prom"]


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "mlp_gluster.prom"
    target.write_text("old\n")

    def broken(*_args):
        raise OSError("disk full")
    monkeypatch.setattr(gm.os, "fsync", broken)
    with pytest.raises(OSError):
        gm.write_atomically(str(target), "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mlp_gluster.prom"]


def test_command_runner_reports_a_missing_binary_and_a_timeout(tmp_path):
    runner = gm.CommandRunner(timeout=1)
    rc, _out, err = runner.run_command([str(tmp_path / "no-gluster"), "pool", "list"])
    assert rc == 127 and "no-gluster" in err
    rc, _out, err = runner.run_command(["sleep", "5"])
    assert rc == 124 and "1s" in err
    rc, out, _err = runner.run_command(["sh", "-c", "echo $LC_ALL"], environ_update={"LC_ALL": "C"})
    assert (rc, out) == (0, "C\n")


def test_run_once_writes_the_file(tmp_path):
    ticks = iter([100.0, 101.5])
    target = tmp_path / "mlp_gluster.prom"
    gm.run_once(FakeCli(HEALTHY), str(target), clock=lambda: next(ticks))
    metrics = parsed(target.read_text())
    assert value(metrics, "scrape_duration_seconds") == 1.5
    assert value(metrics, "scrape_timestamp_seconds") == 101


def test_glusterd_down_text_is_a_gluster_error():
    with open(os.path.join(FIXTURES, "glusterd-down-pool-list.txt")) as handle:
        with pytest.raises(GlusterError):
            check_exit(1, handle.read(), "")


LOCK_BUSY = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput><opRet>-1</opRet><opErrno>30802'
             '</opErrno><opErrstr>Another transaction is in progress for gv0. Please try again after some time.'
             '</opErrstr></cliOutput>')


class ScriptedModule(object):
    """AnsibleModule.run_command answering from a list: (rc, out, err) per call."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0

    def run_command(self, argv, environ_update=None):
        self.calls += 1
        return self.answers.pop(0)


def test_gluster_cli_retries_while_another_node_holds_the_volume_lock():
    from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import parse_volume_status
    from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import GlusterCli
    with open(os.path.join(FIXTURES, "volume-status-gv0.xml")) as handle:
        good = handle.read()
    module = ScriptedModule([(0, LOCK_BUSY, ""), (0, LOCK_BUSY, ""), (0, good, "")])
    waits = []
    status = GlusterCli(module, "gluster").run(["volume", "status", "gv0"], parse_volume_status, sleep=waits.append)
    assert module.calls == 3 and len(waits) == 2
    assert len(status["gv0"]["bricks"]) == 3


def test_gluster_cli_gives_up_on_a_lock_that_stays_and_never_retries_other_errors():
    from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import LOCK_RETRIES, GlusterCli
    module = ScriptedModule([(0, LOCK_BUSY, "")] * (LOCK_RETRIES + 1))
    with pytest.raises(GlusterError) as caught:
        GlusterCli(module, "gluster").run(["volume", "status", "gv0"], sleep=lambda _s: None)
    assert "Another transaction is in progress" in caught.value.message and module.calls == LOCK_RETRIES + 1
    with open(os.path.join(FIXTURES, "volume-set-bad-key.xml")) as handle:
        module = ScriptedModule([(0, handle.read(), "")])
    with pytest.raises(GlusterError):
        GlusterCli(module, "gluster").run(["volume", "set", "gv0", "x", "y"], sleep=lambda _s: None)
    assert module.calls == 1


class LockedStatusCli(FakeCli):
    """storage1's view while another node holds gv0's lock for longer than the retries."""

    def run(self, words, parser):
        if tuple(words) == ("volume", "status", "gv0"):
            raise GlusterError("Another transaction is in progress for gv0. Please try again after some time.")
        return super().run(words, parser)


def test_a_volume_whose_status_is_unknown_exports_no_brick_rather_than_offline_bricks():
    result = gm.collect(LockedStatusCli(HEALTHY))
    metrics = parsed(gm.to_textfile(result, now=1))
    assert value(metrics, "healthy") == 0 and value(metrics, "up") == 1
    assert not [k for k in metrics if k[0] == "mlp_gluster_brick_online" and ("volume", "gv0") in k[1]]
    assert value(metrics, "brick_online", volume="gva", brick="10.79.0.12:/data/glusterfs/gva/brick") == 1
    assert any("Another transaction" in p for p in result["problems"])
