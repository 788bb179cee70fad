"""storage_benchmark: fio command lines, parsing and thresholds, fed real fio output.

Fixtures in fixtures/fio/ are fio 3.33 stdout captured on bed nodes
(localhost/mlp-bed:current, Debian 12) with the argv that build_argv() makes:
`*-healthy.json` on the node's own disk, `*-throttled.json` on a loop-device
volume limited with --device-write-bps 5mb / --device-write-iops 40 (reads
were not limited, so throttled read figures stay high). Also captured:
`seqwrite-enospc.json` (the seqwrite profile on a 16 MiB tmpfs: a "fio:"
error line, then JSON with error 28), `seqwrite-verify-warning.json` (the
seqwrite profile plus --verify: a "fio:" warning line, exit 0),
`randread-psync-note.json` (psync given an iodepth: a "note:" line),
`etcd-*-normal-and-json.txt` (--output-format=normal,json: fio's human report
of the same run after the JSON) and `enghelp-debian12-fio3.33.txt`.

`lsblk-*.json` / `wipefs-*.json`: `lsblk --json --bytes --output
PATH,MAJ:MIN,TYPE,FSTYPE,RO,SIZE,MOUNTPOINTS DEV` and `wipefs --no-act --json
DEV` (util-linux 2.38.1) on loop devices of this machine: a blank one, one
with ext4 mounted, the same unmounted, one with a GPT partition table and no
partition mounted. (This kernel has no device mapper, so an LVM stack could
not be captured; lsblk lists LVM volumes as children exactly as partitions.)
"""

import json
import os
import re
import stat
import subprocess
import sys

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import fio, storage_target

import plugin_module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "fio")
FIO = "/usr/bin/fio"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def figures_of(name, profile):
    data, _ignored = fio.parse_json_output(fixture(name))
    return fio.figures_from_result(profile, data)[0]


# Values read by hand from the fixtures (the "fio version"/"jobs"[0] blocks).
EXPECTED = {
    ("etcd", "healthy"): {"etcd_fdatasync_p99_ms": 0.264192, "etcd_write_iops": 6213.754647},
    ("etcd", "throttled"): {"etcd_fdatasync_p99_ms": 117.9648, "etcd_write_iops": 20.093972},
    ("seqwrite", "healthy"): {"seqwrite_mib_s": 2450.16495},
    ("seqwrite", "throttled"): {"seqwrite_mib_s": 4.99781},
    ("seqread", "healthy"): {"seqread_mib_s": 869.93007},
    ("seqread", "throttled"): {"seqread_mib_s": 8594.74053},
    ("randread", "healthy"): {"randread_iops": 68317.568243, "randread_p99_ms": 0.946176},
    ("randread", "throttled"): {"randread_iops": 124785.221478, "randread_p99_ms": 1.990656},
    ("randwrite", "healthy"): {"randwrite_iops": 84799.620038, "randwrite_p99_ms": 3.588096},
    ("randwrite", "throttled"): {"randwrite_iops": 40.358744, "randwrite_p99_ms": 1400.897536},
}


@pytest.mark.parametrize("profile,state", sorted(EXPECTED))
def test_figures_from_real_captures(profile, state):
    figures = figures_of("%s-%s.json" % (profile, state), profile)
    assert figures == pytest.approx(EXPECTED[(profile, state)], rel=1e-6)


def test_details_name_engine_and_amount():
    data = fio.parse_json_output(fixture("etcd-throttled.json"))[0]
    _figures, details = fio.figures_from_result("etcd", data)
    assert details["fio_version"] == "fio-3.33"
    assert details["ioengine"] == "sync"
    # The runtime cap stopped the throttled etcd test after 201 of its 10029 writes.
    assert details["total_ios"] == details["fdatasync_samples"] == 201
    data = fio.parse_json_output(fixture("randread-psync-healthy.json"))[0]
    assert fio.figures_from_result("randread", data)[1]["ioengine"] == "psync"


def test_etcd_preset_passes_healthy_and_fails_throttled_naming_each_figure():
    thresholds = fio.effective_thresholds("etcd", {})
    healthy = dict(figures_of("etcd-healthy.json", "etcd"), **figures_of("seqwrite-healthy.json", "seqwrite"))
    verdicts, unmeasured = fio.check_thresholds(healthy, thresholds)
    assert unmeasured == []
    assert [v["passed"] for v in verdicts] == [True, True, True]
    assert fio.failure_message(verdicts, "etcd") is None

    throttled = dict(figures_of("etcd-throttled.json", "etcd"), **figures_of("seqwrite-throttled.json", "seqwrite"))
    verdicts = fio.check_thresholds(throttled, thresholds)[0]
    by_name = {v["figure"]: v for v in verdicts}
    assert {name for name, v in by_name.items() if not v["passed"]} == {
        "etcd_fdatasync_p99_ms", "etcd_write_iops", "seqwrite_mib_s"}
    assert by_name["etcd_fdatasync_p99_ms"]["reason"] == (
        "etcd_fdatasync_p99_ms (99th percentile fdatasync latency) = 117.965 ms exceeds the maximum 10 ms")
    assert by_name["seqwrite_mib_s"]["comparison"] == ">="
    message = fio.failure_message(verdicts, "etcd")
    for text in ("117.965 ms exceeds the maximum 10 ms", "20.094 IOPS is below the minimum 50 IOPS",
                 "4.998 MiB/s is below the minimum 10 MiB/s"):
        assert text in message


def test_worker_preset_catches_throttled_writes_only():
    thresholds = fio.effective_thresholds("worker", {})
    figures = {}
    for profile in ("seqwrite", "seqread", "randread", "randwrite"):
        figures.update(figures_of("%s-throttled.json" % profile, profile))
    verdicts = fio.check_thresholds(figures, thresholds)[0]
    assert sorted(v["figure"] for v in verdicts if not v["passed"]) == ["randwrite_iops", "seqwrite_mib_s"]


def _text_p99_ms(text):
    """99.00th of the 'sync percentiles' block of fio's human report."""
    block = re.search(r"sync percentiles \((\w+)\):(.*?)\n\s*\n", text, re.S)
    scale = {"nsec": 1e-6, "usec": 1e-3, "msec": 1.0}[block.group(1)]
    return float(re.search(r"99\.00th=\[\s*(\d+)\]", block.group(2)).group(1)) * scale


@pytest.mark.parametrize("name", ["etcd-healthy-normal-and-json.txt", "etcd-throttled-normal-and-json.txt"])
def test_parser_matches_fios_own_report_of_the_same_run(name):
    # One fio run printed twice: the figure the module reports must equal what
    # fio prints for humans (fio rounds to whole microseconds there).
    text = fixture(name)
    data, ignored = fio.parse_json_output(text)
    assert ignored[1] == "fio-3.33" and ignored[-1].endswith("Laying out IO file (1 file / 22MiB)")
    figures = fio.figures_from_result("etcd", data)[0]
    assert figures["etcd_fdatasync_p99_ms"] == pytest.approx(_text_p99_ms(text), abs=0.001)
    iops = float(re.search(r"write: IOPS=(\d+)", text).group(1))
    assert figures["etcd_write_iops"] == pytest.approx(iops, abs=1)


def test_warning_and_note_lines_are_skipped_and_reported():
    data, ignored = fio.parse_json_output(fixture("seqwrite-verify-warning.json"))
    assert ignored == ["fio: verification read phase will never start because write phase uses all of runtime"]
    assert fio.figures_from_result("seqwrite", data)[0]["seqwrite_mib_s"] == pytest.approx(1187.38404, rel=1e-6)
    data, ignored = fio.parse_json_output(fixture("randread-psync-note.json"))
    assert ignored[0].startswith("note: both iodepth >= 1 and synchronous I/O engine are selected")
    assert fio.figures_from_result("randread", data)[0]["randread_iops"] == pytest.approx(8835.388204)


def test_warning_line_inside_the_json_document():
    # Constructed: a real captured warning line inserted in the middle of a
    # real capture (fio can interleave them; none could be provoked there).
    lines = fixture("etcd-healthy.json").splitlines()
    middle = len(lines) // 2
    warning = fixture("seqwrite-verify-warning.json").splitlines()[0]
    data, ignored = fio.parse_json_output("\n".join(lines[:middle] + [warning] + lines[middle:]))
    assert ignored == [warning]
    assert fio.figures_from_result("etcd", data)[0] == pytest.approx(EXPECTED[("etcd", "healthy")])


def test_failed_job_names_fios_error():
    data, ignored = fio.parse_json_output(fixture("seqwrite-enospc.json"))
    assert ignored[0].startswith("fio: pid=") and "error=No space left on device" in ignored[0]
    with pytest.raises(fio.FioError, match=r"seqwrite failed with error 28 \(no space left on device\)"):
        fio.figures_from_result("seqwrite", data)


@pytest.mark.parametrize("text", ["", "fio: engine libaio not loadable\n", "{\n  \"jobs\" : [\n"])
def test_output_without_a_json_document_is_an_error(text):
    with pytest.raises(fio.FioError):
        fio.parse_json_output(text)


def test_percentiles_are_matched_as_numbers_not_by_position():
    data = fio.parse_json_output(fixture("etcd-healthy.json"))[0]
    block = data["jobs"][0]["sync"]["lat_ns"]
    block["percentile"] = dict(reversed(list(block["percentile"].items())))
    assert fio.figures_from_result("etcd", data)[0]["etcd_fdatasync_p99_ms"] == pytest.approx(0.264192)


def test_old_fio_without_sync_percentiles_is_explained():
    data = fio.parse_json_output(fixture("etcd-healthy.json"))[0]
    del data["jobs"][0]["sync"]
    with pytest.raises(fio.FioError, match="needs fio 3.5 or newer"):
        fio.figures_from_result("etcd", data)


def test_etcd_argv_is_the_etcd_docs_test_bounded_by_runtime():
    argv = fio.build_argv(FIO, "etcd", "/var/lib/etcd/.sb", 128 * fio.MIB, 30, "libaio")
    assert argv[:2] == [FIO, "--output-format=json"]
    for flag in ("--rw=write", "--ioengine=sync", "--fdatasync=1", "--size=22m", "--bs=2300", "--runtime=30",
                 "--directory=/var/lib/etcd/.sb", "--filename=etcd.dat"):
        assert flag in argv
    assert not any(a.startswith(("--direct=", "--iodepth=", "--time_based")) for a in argv)


def test_direct_profiles_use_queue_depth_only_with_libaio():
    seq = fio.build_argv(FIO, "seqwrite", "/d", 64 * fio.MIB, 10, "libaio")
    assert {"--rw=write", "--bs=1M", "--direct=1", "--time_based", "--ioengine=libaio", "--iodepth=8",
            "--size=67108864", "--runtime=10"} <= set(seq)
    rand = fio.build_argv(FIO, "randread", "/d", 64 * fio.MIB, 10, "libaio")
    assert {"--rw=randread", "--bs=4k", "--iodepth=32"} <= set(rand)
    psync = fio.build_argv(FIO, "randwrite", "/d", 64 * fio.MIB, 10, "psync")
    assert "--ioengine=psync" in psync and not any(a.startswith("--iodepth") for a in psync)
    with pytest.raises(ValueError, match="unknown profile"):
        fio.build_argv(FIO, "mixed", "/d", 64 * fio.MIB, 10, "psync")


def test_choose_ioengine_from_real_enghelp():
    text = fixture("enghelp-debian12-fio3.33.txt")
    assert fio.choose_ioengine(text) == "libaio"
    without = "\n".join(line for line in text.splitlines() if line.strip() != "libaio")
    assert fio.choose_ioengine(without) == "psync"


def test_size_and_space_bounds():
    assert fio.size_to_bytes("128m") == 128 * fio.MIB
    assert fio.size_to_bytes("1G") == 1024 * fio.MIB
    assert fio.size_to_bytes("8MiB") == 8 * fio.MIB
    for bad in ("512k", "17g", "lots", "-1m"):
        with pytest.raises(ValueError):
            fio.size_to_bytes(bad)
    # One work file at a time; the etcd test always needs its 22 MiB.
    assert fio.required_free_bytes(["etcd"], 4 * fio.MIB) == 22 * fio.MIB + 22 * fio.MIB // 10
    assert fio.required_free_bytes(["etcd", "seqread"], 1024 * fio.MIB) == 1024 * fio.MIB + 1024 * fio.MIB // 10


def test_thresholds_merge_remove_and_reject():
    assert fio.effective_thresholds("control_plane", {}) == fio.PRESETS["etcd"]
    merged = fio.effective_thresholds("etcd", {"etcd_fdatasync_p99_ms": 5, "seqwrite_mib_s": None,
                                               "randwrite_iops": "300"})
    assert merged == {"etcd_fdatasync_p99_ms": 5.0, "etcd_write_iops": 50, "randwrite_iops": 300.0}
    with pytest.raises(ValueError, match="unknown threshold figure.*etcd_p99"):
        fio.effective_thresholds("none", {"etcd_p99": 10})
    with pytest.raises(ValueError, match="must be positive"):
        fio.effective_thresholds("none", {"seqread_mib_s": 0})
    with pytest.raises(ValueError, match="unknown role"):
        fio.effective_thresholds("gpu", {})
    verdicts, unmeasured = fio.check_thresholds({"etcd_write_iops": 60.0}, merged)
    assert [v["figure"] for v in verdicts] == ["etcd_write_iops"]
    assert unmeasured == ["etcd_fdatasync_p99_ms", "randwrite_iops"]


# --- the module's runner ----------------------------------------------------

def run_module(monkeypatch, capsys, args, check_mode=False, path_env=None):
    if path_env is not None:
        monkeypatch.setenv("PATH", path_env)
    module_args = dict(args, _ansible_check_mode=check_mode)
    return plugin_module.run_main(monkeypatch, capsys, plugin_module.load("storage_benchmark"), module_args)[0]


def fake_fio(directory, body):
    """An executable `fio` that logs its arguments, then runs `body` (sh)."""
    path = os.path.join(directory, "fio")
    with open(path, "w") as handle:
        handle.write('#!/bin/sh\necho "$@" >> "%s/calls"\n%s\n' % (directory, body))
    os.chmod(path, stat.S_IRWXU)
    return path


def test_check_mode_runs_nothing(monkeypatch, capsys, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_fio(str(bindir), "exit 1")
    target = tmp_path / "target"
    target.mkdir()
    result = run_module(monkeypatch, capsys, {"path": str(target), "role": "etcd", "profiles": ["etcd", "seqwrite"]},
                        check_mode=True,
                        path_env="%s:/usr/bin:/bin" % bindir)
    assert not result.get("failed") and result["changed"] is False
    assert result["figures"] == {} and result["thresholds"] == fio.PRESETS["etcd"]
    assert result["measured"] is False and result["unmeasured_reason"] == "check mode: fio not run"
    assert result["unmeasured"] == sorted(fio.PRESETS["etcd"])
    assert not (bindir / "calls").exists()
    assert list(target.iterdir()) == []


def test_missing_fio_is_a_clear_error(monkeypatch, capsys, tmp_path):
    result = run_module(monkeypatch, capsys, {"path": str(tmp_path)}, path_env=str(tmp_path))
    assert result["failed"] is True
    assert result["msg"].startswith("fio is not installed on this host")


def test_short_space_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(os, "statvfs", lambda path: os.statvfs_result((4096, 4096, 100, 50, 10, 0, 0, 0, 0, 255)))
    result = run_module(monkeypatch, capsys, {"path": str(tmp_path), "profiles": ["seqwrite"], "size": "64m"})
    assert result["failed"] is True
    assert result["msg"] == ("not enough free space in %s: the benchmark needs 71 MiB, 0 MiB are available; "
                             "lower size or free space" % tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_work_files_are_removed_when_fio_fails(monkeypatch, capsys, tmp_path):
    # The fake fio writes its work file, prints a real fio error and garbage.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_fio(str(bindir), '\n'.join([
        'case "$1" in --version) echo fio-3.33; exit 0;; --enghelp) echo libaio; exit 0;; esac',
        'dir=$(echo "$@" | sed -n "s/.*--directory=\\([^ ]*\\).*/\\1/p")',
        'dd if=/dev/zero of="$dir/seqwrite.dat" bs=1k count=64 2>/dev/null',
        'echo "fio: pid=561, err=28/file:io_u.c:1876, func=io_u error, error=No space left on device"',
        'exit 1']))
    target = tmp_path / "target"
    target.mkdir()
    result = run_module(monkeypatch, capsys, {"path": str(target), "profiles": ["seqwrite"]},
                        path_env="%s:/usr/bin:/bin" % bindir)
    assert result["failed"] is True
    assert result["msg"].startswith("fio failed in %s: profile seqwrite: no JSON document in fio output: fio: pid=561"
                                    % target)
    assert result["errors"]["seqwrite"].endswith(
        "fio exited 1; fio said: fio: pid=561, err=28/file:io_u.c:1876, func=io_u error, error=No space left on device")
    assert list(target.iterdir()) == []
    assert "--directory=%s/.storage_benchmark-" % target in (bindir / "calls").read_text()


@pytest.fixture(name="real_fio")
def fixture_real_fio():
    """The real fio, which testbed/host-deps.sh installs: missing is a failure, not a skip."""
    assert os.path.exists(FIO), "fio is missing on this machine: run `make bed-deps` (testbed/host-deps.sh)"


@pytest.mark.usefixtures("real_fio")
def test_end_to_end_with_real_fio_through_ansible(tmp_path):
    # The real path: ansible packs the module with module_utils/fio.py, runs
    # fio on this machine, and the tmp dir is left empty. A threshold nobody
    # can meet shows a failing run still returns every figure.
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    args = json.dumps({"path": str(tmp_path), "size": "4m", "runtime": 1,
                       "thresholds": {"randread_iops": 1e12}})
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost",
                           "-m", "mlplatform.installer.storage_benchmark", "-a", args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert set(result["figures"]) == set(fio.FIGURES), proc.stdout
    assert all(value > 0 for value in result["figures"].values())
    assert result["ioengine"] == "libaio" and result["fio_version"].startswith("fio-")
    assert result["details"]["etcd"]["argv"][1:] == fio.build_argv(
        "fio", "etcd", result["details"]["etcd"]["argv"][3].split("=", 1)[1], 4 * fio.MIB, 1, "libaio")[1:]
    assert proc.stdout.startswith("localhost | FAILED!") and proc.returncode != 0
    assert result["msg"].startswith("storage does not meet the given thresholds: randread_iops")
    assert "is below the minimum 1000000000000 IOPS" in result["msg"]
    assert [v["figure"] for v in result["verdicts"]] == ["randread_iops"]
    assert list(tmp_path.iterdir()) == []


# --- one profile fails, the others still count ---------------------------------

def test_profile_failure_names_the_profile_and_fios_own_message():
    text = fixture("seqwrite-enospc.json")
    data, ignored = fio.parse_json_output(text)
    with pytest.raises(fio.FioError) as exc:
        fio.figures_from_result("seqwrite", data)
    message = fio.profile_failure("seqwrite", str(exc.value), 1, ignored, "")
    assert message == (
        "profile seqwrite: fio job seqwrite failed with error 28 (no space left on device); fio exited 1; "
        "fio said: fio: pid=561, err=28/file:io_u.c:1876, func=io_u error, error=No space left on device")
    # Killed by a signal: no JSON, and fio's last stderr line is kept.
    assert fio.profile_failure("etcd", "no JSON document in fio output: ", -25, [], "Killed\n") == (
        "profile etcd: no JSON document in fio output: ; fio was killed by signal 25; fio said: Killed")


def test_a_failed_profile_beside_a_passing_one_fails_the_module(monkeypatch, capsys, tmp_path):
    # fio prints, per profile, the real captures: etcd healthy, seqwrite ENOSPC.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_fio(str(bindir), "\n".join([
        'case "$1" in --version) echo fio-3.33; exit 0;; --enghelp) cat "%s"; exit 0;; esac' %
        os.path.join(FIXTURES, "enghelp-debian12-fio3.33.txt"),
        'case "$*" in *--name=etcd*) cat "%s"; exit 0;; esac' % os.path.join(FIXTURES, "etcd-healthy.json"),
        'cat "%s"; exit 1' % os.path.join(FIXTURES, "seqwrite-enospc.json")]))
    target = tmp_path / "target"
    target.mkdir()
    result = run_module(monkeypatch, capsys, {"path": str(target), "profiles": ["etcd", "seqwrite"],
                                              "role": "etcd", "size": "4m"},
                        path_env="%s:/usr/bin:/bin" % bindir)
    assert result["failed"] is True
    assert set(result["errors"]) == {"seqwrite"}
    assert "error=No space left on device" in result["errors"]["seqwrite"]
    assert result["msg"].startswith("fio failed in %s: profile seqwrite: fio job seqwrite failed with error 28" % target)
    # The passing profile's figures are still judged and returned.
    assert result["figures"]["etcd_fdatasync_p99_ms"] == pytest.approx(0.264192)
    assert result["unmeasured"] == ["seqwrite_mib_s"]


def test_a_threshold_without_its_profile_is_refused_before_anything_runs(monkeypatch, capsys, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_fio(str(bindir), "exit 1")
    result = run_module(monkeypatch, capsys, {"path": str(tmp_path), "profiles": ["etcd"], "role": "etcd"},
                        path_env="%s:/usr/bin:/bin" % bindir)
    assert result["failed"] is True
    assert result["msg"] == ("threshold(s) seqwrite_mib_s need profile(s) seqwrite, which are not in profiles: "
                             "add them, or set the threshold to null to drop it")
    assert not (bindir / "calls").exists()
    assert fio.uncovered_thresholds(fio.PRESETS["worker"], ["seqwrite", "randwrite"]) == {
        "randread_iops": "randread", "seqread_mib_s": "seqread"}


def _ansible_module(args, preexec_fn=None):
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost",
                           "-m", "mlplatform.installer.storage_benchmark", "-a", json.dumps(args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180, preexec_fn=preexec_fn, check=False)
    return proc, json.loads(proc.stdout[proc.stdout.index("{"):])


@pytest.mark.usefixtures("real_fio")
def test_real_fio_one_profile_failing_fails_the_gate_by_name(tmp_path):
    # A real failure, no privileges needed: a 30 MiB file size limit lets the
    # etcd test (22 MiB) pass and stops seqwrite's 64 MiB file (SIGXFSZ).
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (30 * fio.MIB, 30 * fio.MIB))

    proc, result = _ansible_module({"path": str(tmp_path), "profiles": ["etcd", "seqwrite"], "role": "etcd",
                                    "size": "64m", "runtime": 2}, preexec_fn=limit)
    assert proc.returncode != 0, proc.stdout
    assert set(result["errors"]) == {"seqwrite"}, proc.stdout
    assert result["errors"]["seqwrite"].startswith("profile seqwrite: ")
    assert "killed by signal 25" in result["errors"]["seqwrite"] or "File too large" in result["errors"]["seqwrite"]
    assert result["msg"].startswith("fio failed in %s: profile seqwrite" % tmp_path)
    assert "etcd_fdatasync_p99_ms" in result["figures"]
    assert list(tmp_path.iterdir()) == []


# --- brick disks: what may be written -------------------------------------------

@pytest.mark.parametrize("name,mode,where", [
    ("blank", "raw", ""),
    ("ext4-mounted", "mounted", "/tmp/pf/dev/mnt-e"),
    ("ext4-unmounted", "readonly", ""),
    ("gpt-unmounted", "readonly", ""),
])
def test_device_plan_from_real_lsblk_and_wipefs(name, mode, where):
    plan = fio.plan_device(fixture("lsblk-%s.json" % name), fixture("wipefs-%s.json" % name), "/dev/disk/by-path/x")
    assert plan["mode"] == mode
    assert plan["mountpoint"] == where
    assert plan["size"] == 256 * fio.MIB


def test_device_plan_reasons_name_what_the_disk_holds():
    plan = fio.plan_device(fixture("lsblk-gpt-unmounted.json"), fixture("wipefs-gpt-unmounted.json"), "/dev/sdb")
    assert plan["reason"].startswith("/dev/sdb holds data (signature PMBR, signature gpt) and nothing on it is mounted")
    plan = fio.plan_device(fixture("lsblk-ext4-unmounted.json"), fixture("wipefs-ext4-unmounted.json"), "/dev/sdb")
    assert "signature ext4" in plan["reason"]


def test_device_plan_finds_mounted_bricks_below_the_disk():
    # The production shape: the PV's thin volumes hold the mounted bricks.
    # Built from the blank capture with lsblk's children layout.
    tree = json.loads(fixture("lsblk-blank.json"))
    pool = {"path": "/dev/mapper/vg_gluster-tp_gluster-tpool", "type": "lvm", "mountpoints": [None], "children": [
        {"path": "/dev/mapper/vg_gluster-brick_gv0", "type": "lvm", "mountpoints": ["/data/glusterfs/gv0"]}]}
    tree["blockdevices"][0]["children"] = [pool]
    plan = fio.plan_device(tree, '{"signatures": [{"type": "LVM2_member"}]}', "/dev/sdb")
    assert plan["mode"] == "mounted" and plan["mountpoint"] == "/data/glusterfs/gv0"
    del pool["children"][0]["mountpoints"]
    pool["children"][0]["mountpoints"] = [None]
    plan = fio.plan_device(tree, '{"signatures": [{"type": "LVM2_member"}]}', "/dev/sdb")
    assert plan["mode"] == "readonly" and "LVM2_member" in plan["reason"]
    assert "/dev/mapper/vg_gluster-brick_gv0 (lvm)" in plan["reason"]


def test_device_plan_rejects_garbage():
    with pytest.raises(fio.FioError, match="lsblk gave no device"):
        fio.plan_device('{"blockdevices": []}', "", "/dev/sdb")
    # No signature: wipefs may print nothing at all.
    assert fio.plan_device(fixture("lsblk-blank.json"), "", "/dev/sdb")["mode"] == "raw"


def test_device_argv_raw_writes_and_readonly_reads():
    write = fio.build_argv(FIO, "randwrite", None, 64 * fio.MIB, 5, "libaio", device="/dev/loop1")
    assert "--filename=/dev/loop1" in write and not any(a.startswith("--directory") for a in write)
    assert "--readonly" not in write
    read = fio.build_argv(FIO, "seqread", None, 64 * fio.MIB, 5, "libaio", device="/dev/loop1")
    assert "--readonly" in read


def test_bounded_runs_are_not_time_based_and_their_writes_are_counted():
    argv = fio.build_argv(FIO, "seqwrite", "/d", 64 * fio.MIB, 5, "libaio", bounded=True)
    assert "--time_based" not in argv and "--size=67108864" in argv
    assert "--time_based" in fio.build_argv(FIO, "seqwrite", "/d", 64 * fio.MIB, 5, "libaio")
    # The etcd gate's defaults on a live etcd node: 22 MiB + 64 MiB.
    assert fio.bounded_write_bytes(["etcd", "seqwrite"], 64 * fio.MIB) == 86 * fio.MIB


def _sysfs(root, name, dev, size_sectors=524288, ro="0", holders=(), partition=False, parent=None):
    base = root / name if parent is None else root / parent / name
    base.mkdir(parents=True)
    (base / "dev").write_text(dev + "\n")
    (base / "size").write_text("%d\n" % size_sectors)
    (base / "ro").write_text(ro + "\n")
    (base / "holders").mkdir()
    for holder in holders:
        (base / "holders" / holder).mkdir()
    if partition:
        (base / "partition").write_text("1\n")
        # /sys/class/block lists partitions at the top level too.
        (root / name).symlink_to(base)
    return base


def test_the_device_tree_is_read_from_sysfs_and_the_mount_table(tmp_path):
    # The shape of an LVM thin brick (gluster_server's layout) on /dev/sdb:
    # sdb -> tdata dm-1 -> pool dm-2 -> thin volume dm-3, mounted (a bind
    # mount of a sub-directory, as podman shows one, must count too).
    sysfs = tmp_path / "class_block"
    sysfs.mkdir()
    _sysfs(sysfs, "sda", "8:0")
    _sysfs(sysfs, "sdb", "8:16", holders=["dm-1"])
    _sysfs(sysfs, "dm-1", "253:1", holders=["dm-2"])
    _sysfs(sysfs, "dm-2", "253:2", holders=["dm-3"])
    _sysfs(sysfs, "dm-3", "253:3")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "36 22 253:3 /brick /data/glusterfs/gv\\0400 rw,noatime shared:20 - xfs /dev/mapper/vg-brick_gv0 rw\n")
    # The tree is found by the node's major:minor: /dev/null's stands for the disk's.
    device = "/dev/null"
    null = os.stat(device).st_rdev
    (sysfs / "sdb" / "dev").write_text("%d:%d\n" % (os.major(null), os.minor(null)))
    tree = storage_target.sysfs_tree(device, str(sysfs), str(mountinfo))
    top = tree["blockdevices"][0]
    assert (top["path"], top["size"], top["ro"]) == ("/dev/sdb", 256 * fio.MIB, False)
    assert top["children"][0]["children"][0]["children"][0]["mountpoints"] == ["/data/glusterfs/gv 0"]
    plan = fio.plan_device(tree, '{"signatures": [{"type": "LVM2_member"}]}', "/dev/disk/by-path/x")
    assert plan["mode"] == "mounted" and plan["mountpoint"] == "/data/glusterfs/gv 0"
    # Nothing mounted any more: the disk holds data, read-only.
    mountinfo.write_text("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n")
    plan = fio.plan_device(storage_target.sysfs_tree(device, str(sysfs), str(mountinfo)),
                           '{"signatures": [{"type": "LVM2_member"}]}', "/dev/disk/by-path/x")
    assert plan["mode"] == "readonly" and "/dev/dm-3 (lvm)" in plan["reason"]


@pytest.mark.usefixtures("real_fio")
def test_kept_figures_are_reused_while_fresh_and_judged_again(monkeypatch, capsys, tmp_path):
    # Real fio on this machine: the first run measures and keeps the figures
    # (0600, atomically), the second reuses them without running fio and
    # judges them against its own thresholds, and another size measures again.
    target, kept = tmp_path / "target", tmp_path / "kept"
    target.mkdir()
    args = {"path": str(target), "profiles": ["seqwrite"], "size": "4m", "runtime": 1, "figures_dir": str(kept),
            "reuse_max_age": 3600}
    first = run_module(monkeypatch, capsys, args)
    assert not first.get("failed") and "reused_age" not in first and first["reuse_reason"] == "none kept yet"
    (record,) = list(kept.iterdir())
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    second = run_module(monkeypatch, capsys, dict(args, thresholds={"seqwrite_mib_s": 1e9}))
    assert second["figures"] == first["figures"] and second["reused_age"] <= 60
    assert second["failed"] is True and "seqwrite_mib_s" in second["msg"]
    third = run_module(monkeypatch, capsys, dict(args, size="8m"))
    assert "reused_age" not in third and third["reuse_reason"] == "measured again: size_bytes changed"
    assert run_module(monkeypatch, capsys, dict(args, reuse_max_age=0))["reuse_reason"] == "reuse is off"
    assert list(target.iterdir()) == []
