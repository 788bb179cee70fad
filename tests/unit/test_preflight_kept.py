"""Re-runs reuse what earlier preflight runs kept on the node, read in one call (preflight_kept).

storage_benchmark and egress_probe write the records; preflight_kept reads
them all in one call per node, with what decides their reuse (the nearest
existing directory of each data path, a running etcd) and the free space
of the data paths. These tests run the real modules (a fake fio that prints
real fio captures, a real HTTP server on the loopback, a real process named
etcd, real df), so the key the reader computes is the one the writer stored.
"""

import functools
import http.server
import os
import shutil
import stat
import subprocess
import tempfile
import threading

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import egress, preflight, storage_target

import plugin_module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIO_FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "fio")


def run(monkeypatch, capsys, name, args, check_mode=False):
    module_args = dict(args, _ansible_check_mode=check_mode)
    return plugin_module.run_main(monkeypatch, capsys, plugin_module.load(name), module_args)[0]


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


@pytest.fixture(name="no_etcd", autouse=True)
def fixture_no_etcd(tmp_path, monkeypatch):
    """No etcd runs unless a test starts one: an etcd elsewhere on this machine
    (a molecule scenario's) would make every etcd gate's key a bounded one."""
    proc = tmp_path / "proc"
    proc.mkdir()
    monkeypatch.setattr(storage_target, "PROC", str(proc))
    return proc


@pytest.fixture(name="live_etcd")
def fixture_live_etcd(tmp_path, monkeypatch):
    """A real process whose name (comm) is etcd: a copy of sleep, killed afterwards; /proc is read again."""
    binary = tmp_path / "bin-etcd" / "etcd"
    binary.parent.mkdir()
    shutil.copy(shutil.which("sleep"), str(binary))
    process = subprocess.Popen([str(binary), "600"])
    monkeypatch.setattr(storage_target, "PROC", "/proc")
    try:
        yield process
    finally:
        process.kill()
        process.wait()


GATE = {"path": "/var/lib/etcd", "profiles": ["etcd", "seqwrite"], "role": "etcd", "device": ""}


@pytest.fixture(name="gate")
def fixture_gate(tmp_path):
    """GATE on a data path that does not exist yet, under tmp_path/var/lib, which does (measured instead)."""
    (tmp_path / "var" / "lib").mkdir(parents=True)
    return dict(GATE, path=str(tmp_path / "var" / "lib" / "etcd"))


def _measure(monkeypatch, capsys, gate, kept, **extra):
    """The role's storage_benchmark call for the gate (tasks/storage.yml), on the nearest existing directory."""
    return run(monkeypatch, capsys, "storage_benchmark", dict({
        "path": os.path.dirname(gate["path"]), "record_as": gate["path"], "profiles": gate["profiles"],
        "role": gate["role"], "size": "4m", "runtime": 1, "bounded": False, "figures_dir": str(kept),
        "reuse_max_age": 3600}, **extra))


def _read(monkeypatch, capsys, gate, kept, check_mode=False, **extra):
    """The role's preflight_kept call (tasks/kept.yml)."""
    return run(monkeypatch, capsys, "preflight_kept", dict({
        "figures_dir": str(kept), "gates": [gate], "size": "4m", "runtime": 1, "reuse_max_age": 3600}, **extra),
        check_mode=check_mode)


def test_one_read_reuses_what_the_benchmark_kept_without_running_fio(monkeypatch, capsys, tmp_path, fake_fio, gate):
    kept = tmp_path / "kept"
    # Nothing kept yet: the gate needs measuring, and fio's presence is said.
    first = _read(monkeypatch, capsys, gate, kept)
    assert first["storage"] == [{"item": gate, "reused": False, "reuse_reason": "none kept yet"}]
    assert first["fio"] == str(fake_fio / "fio")
    measured = _measure(monkeypatch, capsys, gate, kept)
    assert not measured.get("failed") and "reused_age" not in measured
    calls = (fake_fio / "calls").read_text()
    # A re-run: one read stands for the measurement, judged again, and fio never runs.
    (entry,) = _read(monkeypatch, capsys, gate, kept, check_mode=True)["storage"]
    assert (fake_fio / "calls").read_text() == calls
    assert entry["reused"] is True and entry["item"] == gate and 0 <= entry["reused_age"] <= 60
    assert entry["figures"] == measured["figures"] and entry["verdicts"] == measured["verdicts"]
    assert entry["msg"].startswith("all 3 thresholds met (figures kept from ")
    # The report reads it as it reads a measurement, and says its age.
    result = preflight.storage_result(entry)
    assert result["path"] == gate["path"] and result["reused_age"] == entry["reused_age"] and not result["error"]
    rows = preflight.check_storage("cp1", [result])
    assert rows and all(r["status"] == "pass" and "figures kept on the node from" in r["detail"] for r in rows)


def test_the_read_measures_again_when_forced_or_when_anything_changed(
        monkeypatch, capsys, tmp_path, fake_fio, gate):
    kept = tmp_path / "kept"
    _measure(monkeypatch, capsys, gate, kept)
    # -e preflight_remeasure=true: the role passes reuse_max_age 0.
    (forced,) = _read(monkeypatch, capsys, gate, kept, reuse_max_age=0)["storage"]
    assert forced == {"item": gate, "reused": False, "reuse_reason": "reuse is off"}
    (resized,) = _read(monkeypatch, capsys, gate, kept, size="8m")["storage"]
    assert resized["reuse_reason"] == "measured again: size_bytes changed"
    # A kept measurement that missed a threshold is still reused, and fails again.
    strict = dict(gate, thresholds={"seqwrite_mib_s": 1e9})
    (missed,) = _read(monkeypatch, capsys, gate, kept, gates=[strict])["storage"]
    assert missed["reused"] is True and [v["passed"] for v in missed["verdicts"]].count(False) == 1
    assert missed["msg"].startswith("storage does not meet the etcd thresholds: seqwrite_mib_s")


def test_a_target_that_cannot_be_read_is_left_to_the_benchmark(monkeypatch, capsys, tmp_path, gate):
    result = _read(monkeypatch, capsys, gate, tmp_path / "kept", gates=[dict(gate, device="/dev/mlp-no-such-disk")])
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


BRICKS = {"profiles": ["seqwrite"], "role": "none", "device": ""}


def test_figures_measured_on_a_parent_stand_for_the_path_once_it_exists_on_the_same_disk(
        monkeypatch, capsys, tmp_path, fake_fio):
    # Before install the brick root does not exist: preflight measures its
    # nearest existing parent. The storage layer then creates it; on the same
    # disk the kept figures still stand, on another disk they do not.
    parent, kept = tmp_path / "data", tmp_path / "kept"
    parent.mkdir()
    bricks = dict(BRICKS, path=str(parent / "glusterfs"))
    read = {"figures_dir": str(kept), "gates": [bricks], "size": "4m", "runtime": 1, "reuse_max_age": 3600}
    assert run(monkeypatch, capsys, "preflight_kept", read)["existing_dir"] == {bricks["path"]: str(parent)}
    benchmark = {"path": str(parent), "record_as": bricks["path"], "profiles": bricks["profiles"], "size": "4m",
                 "runtime": 1, "figures_dir": str(kept), "reuse_max_age": 3600}
    measured = run(monkeypatch, capsys, "storage_benchmark", benchmark)
    assert not measured.get("failed")
    (parent / "glusterfs").mkdir()
    found = run(monkeypatch, capsys, "preflight_kept", read)
    assert found["existing_dir"] == {bricks["path"]: bricks["path"]}
    (entry,) = found["storage"]
    assert entry["reused"] is True and entry["figures"] == measured["figures"]
    if os.path.isdir("/dev/shm"):
        # Figures kept for the same brick root, measured on another disk (a tmpfs).
        other = tempfile.mkdtemp(dir="/dev/shm")
        try:
            assert not run(monkeypatch, capsys, "storage_benchmark", dict(benchmark, path=other)).get("failed")
        finally:
            shutil.rmtree(other)
        (moved,) = run(monkeypatch, capsys, "preflight_kept", read)["storage"]
        assert moved["reuse_reason"] == "measured again: device changed"


# --- what the same read answers instead of one module call per path, and pgrep, and df -------------


def test_a_path_that_does_not_exist_yet_is_read_on_its_nearest_existing_directory(monkeypatch, capsys, tmp_path):
    (tmp_path / "real" / "dir").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    paths = [str(tmp_path / "a" / "b" / "c"), str(tmp_path / "real" / "dir"), str(tmp_path / "link" / "dir" / "x"),
             str(tmp_path / "link" / "y")]
    kept = tmp_path / "kept"
    found = run(monkeypatch, capsys, "preflight_kept", {"figures_dir": str(kept), "free_space_paths": paths},
                check_mode=True)
    # As ansible.builtin.stat (follow: false) found them before: a link to a
    # directory does not count, a directory reached through one does.
    assert found["existing_dir"] == {paths[0]: str(tmp_path), paths[1]: paths[1],
                                     paths[2]: str(tmp_path / "link" / "dir"), paths[3]: str(tmp_path)}
    assert sorted(found["disk_free_mb"]) == sorted(paths) and found["changed"] is False and not kept.exists()


def _df_mb(directory):
    """df's own Available figure for a directory, in MiB (what tasks/host.yml read before)."""
    out = subprocess.run(["df", "-P", "-B1M", directory], check=True, stdout=subprocess.PIPE,
                         env=dict(os.environ, LC_ALL="C"), universal_newlines=True).stdout
    return int(out.splitlines()[1].split()[3])


def test_the_free_space_is_the_figure_df_gives(monkeypatch, capsys, tmp_path):
    # tmp_path's disk and a tmpfs; neither holds a whole number of MiB free,
    # as a rule, so rounding down instead of up as df does would show.
    dirs = [str(tmp_path)] + (["/dev/shm"] if os.path.isdir("/dev/shm") else [])
    paths = {d: os.path.join(d, "mlp-no-such-dir", "x") for d in dirs}
    args = {"figures_dir": str(tmp_path / "kept"), "free_space_paths": list(paths.values())}
    for _attempt in range(5):
        before = {d: _df_mb(d) for d in dirs}
        found = run(monkeypatch, capsys, "preflight_kept", args)["disk_free_mb"]
        if {d: _df_mb(d) for d in dirs} == before:  # nothing else wrote to those disks meanwhile
            break
    assert found == {paths[d]: before[d] for d in dirs}


def test_a_running_etcd_is_found_and_its_gate_measured_again_bounded(
        monkeypatch, capsys, tmp_path, fake_fio, gate, live_etcd):
    kept = tmp_path / "kept"
    _measure(monkeypatch, capsys, gate, kept)  # measured while no etcd ran: unbounded
    found = _read(monkeypatch, capsys, gate, kept)
    assert live_etcd.pid in found["etcd_pids"]
    # etcd started since: its gate is measured bounded, another measurement.
    assert found["storage"][0]["reuse_reason"] == "measured again: bounded changed"
    # Only an etcd gate's measurement depends on it: without one, nobody looks.
    assert _read(monkeypatch, capsys, dict(gate, profiles=["seqwrite"], role="none"), kept)["etcd_pids"] == []
    live_etcd.kill()
    live_etcd.wait()
    gone = _read(monkeypatch, capsys, gate, kept)
    assert live_etcd.pid not in gone["etcd_pids"]


def test_only_a_process_named_exactly_etcd_is_etcd(no_etcd):
    # The names pgrep -x etcd does not match, and a process that exited while listed.
    for pid, name in ((11, "etcdctl"), (12, "etcd2"), (13, "kube-apiserver"), (15, "etcd ")):
        (no_etcd / str(pid)).mkdir()
        (no_etcd / str(pid) / "comm").write_text(name + "\n")
    (no_etcd / "16").mkdir()
    (no_etcd / "self").mkdir()
    assert storage_target.pids_named("etcd") == []
    for pid in (14, 9):
        (no_etcd / str(pid)).mkdir()
        (no_etcd / str(pid) / "comm").write_text("etcd\n")
    # In pid order, as pgrep lists them.
    assert storage_target.pids_named("etcd") == [9, 14]
