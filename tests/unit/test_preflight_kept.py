"""Re-runs reuse what earlier preflight runs kept on the node, read in one call (preflight_kept).

storage_benchmark and egress_probe write the records; preflight_kept reads
them all in one call per node. These tests run the real modules (a fake
fio that prints real fio captures, a real HTTP server on the loopback), so
the key the reader computes is the one the writer stored.
"""

import functools
import http.server
import json
import os
import stat
import threading

import pytest
from ansible.module_utils import basic

from ansible_collections.mlplatform.installer.plugins.module_utils import egress, preflight

import plugin_module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIO_FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "fio")


def run(monkeypatch, capsys, name, args, check_mode=False):
    module_args = dict(args, _ansible_check_mode=check_mode)
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": module_args}).encode())
    with pytest.raises(SystemExit):
        plugin_module.load(name).main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture(name="fake_fio")
def fixture_fake_fio(tmp_path, monkeypatch):
    """A `fio` on PATH that logs each call and prints real captures (etcd and seqwrite, healthy)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fio = bindir / "fio"
    fio.write_text("\n".join([
        "#!/bin/sh",
        'echo "$@" >> "%s/calls"' % bindir,
        'case "$1" in --version) echo fio-3.33; exit 0;; --enghelp) cat "%s"; exit 0;; esac'
        % os.path.join(FIO_FIXTURES, "enghelp-debian12-fio3.33.txt"),
        'case "$*" in *--name=etcd*) cat "%s"; exit 0;; esac' % os.path.join(FIO_FIXTURES, "etcd-healthy.json"),
        'cat "%s"' % os.path.join(FIO_FIXTURES, "seqwrite-healthy.json")]) + "\n")
    fio.chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % bindir)
    return bindir


GATE = {"path": "/var/lib/etcd", "profiles": ["etcd", "seqwrite"], "role": "etcd", "device": ""}


def _measure(monkeypatch, capsys, target, kept, **extra):
    """The role's storage_benchmark call for GATE (tasks/storage.yml)."""
    return run(monkeypatch, capsys, "storage_benchmark", dict({
        "path": str(target), "record_as": GATE["path"], "profiles": GATE["profiles"], "role": GATE["role"],
        "size": "4m", "runtime": 1, "bounded": False, "figures_dir": str(kept), "reuse_max_age": 3600}, **extra))


def _read(monkeypatch, capsys, target, kept, check_mode=False, **extra):
    """The role's preflight_kept call (tasks/kept.yml)."""
    return run(monkeypatch, capsys, "preflight_kept", dict({
        "figures_dir": str(kept), "gates": [GATE], "path_map": {GATE["path"]: str(target)}, "size": "4m",
        "runtime": 1, "reuse_max_age": 3600}, **extra), check_mode=check_mode)


def test_one_read_reuses_what_the_benchmark_kept_without_running_fio(monkeypatch, capsys, tmp_path, fake_fio):
    target, kept = tmp_path / "target", tmp_path / "kept"
    target.mkdir()
    # Nothing kept yet: the gate needs measuring, and fio's presence is said.
    first = _read(monkeypatch, capsys, target, kept)
    assert first["storage"] == [{"item": GATE, "reused": False, "reuse_reason": "none kept yet"}]
    assert first["fio"] == str(fake_fio / "fio")
    measured = _measure(monkeypatch, capsys, target, kept)
    assert not measured.get("failed") and "reused_age" not in measured
    calls = (fake_fio / "calls").read_text()
    # A re-run: one read stands for the measurement, judged again, and fio never runs.
    (entry,) = _read(monkeypatch, capsys, target, kept, check_mode=True)["storage"]
    assert (fake_fio / "calls").read_text() == calls
    assert entry["reused"] is True and entry["item"] == GATE and 0 <= entry["reused_age"] <= 60
    assert entry["figures"] == measured["figures"] and entry["verdicts"] == measured["verdicts"]
    assert entry["msg"].startswith("all 3 thresholds met (figures kept from ")
    # The report reads it as it reads a measurement, and says its age.
    result = preflight.storage_result(entry)
    assert result["path"] == "/var/lib/etcd" and result["reused_age"] == entry["reused_age"] and not result["error"]
    rows = preflight.check_storage("cp1", [result])
    assert rows and all(r["status"] == "pass" and "figures kept on the node from" in r["detail"] for r in rows)


def test_the_read_measures_again_when_forced_or_when_anything_changed(monkeypatch, capsys, tmp_path, fake_fio):
    target, kept = tmp_path / "target", tmp_path / "kept"
    target.mkdir()
    _measure(monkeypatch, capsys, target, kept)
    # -e preflight_remeasure=true: the role passes reuse_max_age 0.
    (forced,) = _read(monkeypatch, capsys, target, kept, reuse_max_age=0)["storage"]
    assert forced == {"item": GATE, "reused": False, "reuse_reason": "reuse is off"}
    (resized,) = _read(monkeypatch, capsys, target, kept, size="8m")["storage"]
    assert resized["reuse_reason"] == "measured again: size_bytes changed"
    # etcd started since: its gate is measured bounded, another measurement.
    (live,) = _read(monkeypatch, capsys, target, kept, etcd_running=True)["storage"]
    assert live["reuse_reason"] == "measured again: bounded changed"
    # A kept measurement that missed a threshold is still reused, and fails again.
    strict = dict(GATE, thresholds={"seqwrite_mib_s": 1e9})
    (missed,) = _read(monkeypatch, capsys, target, kept, gates=[strict])["storage"]
    assert missed["reused"] is True and [v["passed"] for v in missed["verdicts"]].count(False) == 1
    assert missed["msg"].startswith("storage does not meet the etcd thresholds: seqwrite_mib_s")


def test_a_target_that_cannot_be_read_is_left_to_the_benchmark(monkeypatch, capsys, tmp_path):
    result = _read(monkeypatch, capsys, tmp_path / "missing", tmp_path / "kept",
                   gates=[dict(GATE, device="/dev/mlp-no-such-disk")])
    (entry,) = result["storage"]
    assert entry["reused"] is False and "device /dev/mlp-no-such-disk does not exist" in entry["reuse_reason"]


# --- the egress probe ------------------------------------------------------------

EXPECT = {"u": egress.ANY}
OPEN = [{"url": "u", "status": 200, "headers": {"server": "nginx"}, "body": "", "connect_status": 0, "error": ""}]
REFUSED = [{"url": "u", "status": 403, "headers": {"server": "tinyproxy/1.11.1"}, "body": "", "connect_status": 0,
            "error": ""}]


def test_only_a_fresh_passing_probe_with_the_same_inputs_is_reused():
    text = egress.kept_record("k1", 1000.0, OPEN)
    assert egress.kept_reusable(text, "k1", EXPECT, 1600.0, 3600) == (OPEN, 600.0)
    assert egress.kept_reusable(text, "k2", EXPECT, 1600.0, 3600) == (
        None, "probed again: the endpoints or the proxy settings changed")
    assert egress.kept_reusable(text, "k1", EXPECT, 9000.0, 3600)[0] is None
    assert egress.kept_reusable(text, "k1", EXPECT, 1600.0, 0) == (None, "reuse is off")
    # A failed probe is never reused, even fresh, with the same key (a record
    # written by hand or by an older writer included).
    assert egress.kept_reusable(egress.kept_record("k1", 1000.0, REFUSED), "k1", EXPECT, 1600.0, 3600) == (
        None, "the kept probe did not pass")
    # A probe that misses an endpoint now expected did not pass either.
    assert egress.kept_reusable(text, "k1", dict(EXPECT, v=egress.ANY), 1600.0, 3600)[0] is None


def test_the_probe_keeps_a_passing_result_and_drops_it_on_a_failure(monkeypatch, capsys, tmp_path):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "www" / "ubuntu").mkdir(parents=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    kept = tmp_path / "kept"
    try:
        url = "http://127.0.0.1:%d/ubuntu/" % server.server_address[1]
        args = {"urls": [url], "timeout": 5, "figures_dir": str(kept), "key": "k1", "expect": {url: egress.ANY}}
        assert run(monkeypatch, capsys, "egress_probe", args, check_mode=True)["results"][0]["status"] == 200
        assert not kept.exists()  # check mode writes nothing
        probed = run(monkeypatch, capsys, "egress_probe", args)
        assert stat.S_IMODE((kept / egress.KEPT_NAME).stat().st_mode) == 0o600
        read = {"figures_dir": str(kept), "egress_key": "k1", "egress_expect": {url: egress.ANY},
                "egress_max_age": 3600}
        reused = run(monkeypatch, capsys, "preflight_kept", read)["egress"]
        assert reused["reused"] is True and reused["results"] == probed["results"] and reused["reused_age"] <= 60
        assert run(monkeypatch, capsys, "preflight_kept", dict(read, egress_key="k2"))["egress"]["reused"] is False
        # -e preflight_reprobe=true: the role passes egress_max_age 0.
        assert run(monkeypatch, capsys, "preflight_kept", dict(read, egress_max_age=0))["egress"] == {
            "reused": False, "reuse_reason": "reuse is off"}
        # The endpoint now answers what its origin never does (200, not 204): blocked, the record goes.
        strict = {url: {"status": [204]}}
        run(monkeypatch, capsys, "egress_probe", dict(args, expect=strict))
        assert not (kept / egress.KEPT_NAME).exists()
        assert run(monkeypatch, capsys, "preflight_kept", read)["egress"] == {
            "reused": False, "reuse_reason": "none kept yet"}
    finally:
        server.shutdown()


def test_the_report_says_how_old_a_reused_probe_is():
    raw = {"results": OPEN, "expect": EXPECT, "reused_age": 5400}
    (row,) = preflight.check_egress("cp1", raw, "enforce")
    assert row["status"] == "pass"
    assert row["detail"] == "probe kept on the node from 1 h 30 min ago (-e preflight_reprobe=true probes again)"
    (fresh,) = preflight.check_egress("cp1", dict(raw, reused_age=None), "enforce")
    assert fresh["detail"] == ""


BRICKS = {"path": "/data/glusterfs", "profiles": ["seqwrite"], "role": "none", "device": ""}


def test_figures_measured_on_a_parent_stand_for_the_path_once_it_exists_on_the_same_disk(
        monkeypatch, capsys, tmp_path, fake_fio):
    # Before install the brick root does not exist: preflight measures its
    # nearest existing parent. The storage layer then creates it; on the same
    # disk the kept figures still stand, on another disk they do not.
    parent, kept = tmp_path / "data", tmp_path / "kept"
    parent.mkdir()
    measured = run(monkeypatch, capsys, "storage_benchmark", {
        "path": str(parent), "record_as": BRICKS["path"], "profiles": BRICKS["profiles"], "size": "4m",
        "runtime": 1, "figures_dir": str(kept), "reuse_max_age": 3600})
    assert not measured.get("failed")
    (parent / "glusterfs").mkdir()
    read = {"figures_dir": str(kept), "gates": [BRICKS], "size": "4m", "runtime": 1, "reuse_max_age": 3600}
    (entry,) = run(monkeypatch, capsys, "preflight_kept",
                   dict(read, path_map={BRICKS["path"]: str(parent / "glusterfs")}))["storage"]
    assert entry["reused"] is True and entry["figures"] == measured["figures"]
    if os.path.isdir("/dev/shm"):
        import tempfile
        other = tempfile.mkdtemp(dir="/dev/shm")
        try:
            (moved,) = run(monkeypatch, capsys, "preflight_kept",
                           dict(read, path_map={BRICKS["path"]: other}))["storage"]
        finally:
            os.rmdir(other)
        assert moved["reuse_reason"] == "measured again: device changed"
