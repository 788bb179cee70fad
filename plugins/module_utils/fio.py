# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Pure helpers for the storage_benchmark module: build fio command lines,
# parse fio's JSON output, turn it into figures and judge them against
# thresholds. Nothing here runs a process or touches a file, so plain pytest
# covers it with outputs captured from real fio runs (tests/unit/fixtures/fio).

from __future__ import annotations

import json
import re

MIB = 1024 * 1024

# The etcd docs' disk test: sequential 2300-byte writes (about the size of an
# etcd WAL entry), each followed by fdatasync, 22 MiB in total.
ETCD_SIZE = "22m"
ETCD_SIZE_BYTES = 22 * MIB

# Queue depths for the direct-I/O profiles when an asynchronous engine is
# available. 32 outstanding 4 KiB requests is the depth at which SSD and
# virtual-disk IOPS are usually quoted (QD32) and saturates a VHDX without
# fanning out to several jobs; 8 outstanding 1 MiB requests keep a disk
# streaming without turning a bandwidth test into a latency test.
RAND_IODEPTH = 32
SEQ_IODEPTH = 8

# name -> fio job settings. "sync" profiles always use the sync engine
# (the etcd test measures one write + fdatasync at a time, like etcd's WAL).
PROFILES = {
    "etcd": {"rw": "write", "bs": "2300", "engine": "sync", "fdatasync": True},
    "seqwrite": {"rw": "write", "bs": "1M", "direct": True, "iodepth": SEQ_IODEPTH},
    "seqread": {"rw": "read", "bs": "1M", "direct": True, "iodepth": SEQ_IODEPTH},
    "randread": {"rw": "randread", "bs": "4k", "direct": True, "iodepth": RAND_IODEPTH},
    "randwrite": {"rw": "randwrite", "bs": "4k", "direct": True, "iodepth": RAND_IODEPTH},
}
PROFILE_NAMES = list(PROFILES)

# figure name -> (profile, comparison, unit, what it is). "max" figures are
# latencies (lower is better), "min" figures are rates (higher is better).
FIGURES = {
    "etcd_fdatasync_p99_ms": ("etcd", "max", "ms", "99th percentile fdatasync latency"),
    "etcd_write_iops": ("etcd", "min", "IOPS", "sequential 2300 B writes per second, each with fdatasync"),
    "seqwrite_mib_s": ("seqwrite", "min", "MiB/s", "sequential 1 MiB direct write bandwidth"),
    "seqread_mib_s": ("seqread", "min", "MiB/s", "sequential 1 MiB direct read bandwidth"),
    "randread_iops": ("randread", "min", "IOPS", "random 4 KiB direct reads per second"),
    "randread_p99_ms": ("randread", "max", "ms", "99th percentile random 4 KiB read completion latency"),
    "randwrite_iops": ("randwrite", "min", "IOPS", "random 4 KiB direct writes per second"),
    "randwrite_p99_ms": ("randwrite", "max", "ms", "99th percentile random 4 KiB write completion latency"),
}

# Threshold presets per node role. Each value has its source or reasoning:
# - etcd_fdatasync_p99_ms 10: etcd FAQ (v3.6) "wal_fsync_duration_seconds
#   (p99 duration should be less than 10ms)"; the fio etcd test measures the
#   same fdatasync pattern.
# - etcd_write_iops 50: etcd hardware guide (v3.6) "Typically 50 sequential
#   IOPS (e.g., a 7200 RPM disk) is required".
# - seqwrite_mib_s 10 (etcd/control plane): etcd hardware guide "Typically
#   10MB/s will recover 100MB data within 15 seconds".
# - worker floors are a project policy, not an upstream number: below 50 MiB/s
#   a 10 GiB ML image needs more than 3 minutes just to write its layers, and
#   below 100 random IOPS (less than one spinning disk under queueing) a node
#   is misprovisioned or throttled (the test bed's throttled volume gives
#   5 MiB/s and about 40 IOPS). Raise them per environment.
# control_plane equals etcd because Kubespray puts etcd on the control plane
# nodes unless an external etcd group is given.
_ETCD_PRESET = {"etcd_fdatasync_p99_ms": 10, "etcd_write_iops": 50, "seqwrite_mib_s": 10}
PRESETS = {
    "etcd": dict(_ETCD_PRESET),
    "control_plane": dict(_ETCD_PRESET),
    "worker": {"seqwrite_mib_s": 50, "seqread_mib_s": 50, "randread_iops": 100, "randwrite_iops": 100},
    "none": {},
}

SIZE_MIN_BYTES = 4 * MIB
SIZE_MAX_BYTES = 16 * 1024 * MIB
RUNTIME_MAX_SECONDS = 600

_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}


class FioError(Exception):
    """Raised for fio output that cannot be turned into figures."""


def size_to_bytes(size):
    """'128m' / '1g' / '512k' / 4194304 -> bytes (fio's 1024-based units)."""
    if isinstance(size, int):
        value = size
    else:
        match = _SIZE_RE.match(str(size))
        if not match:
            raise ValueError("size %r is not a number with an optional k, m or g suffix" % (size,))
        value = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if not SIZE_MIN_BYTES <= value <= SIZE_MAX_BYTES:
        raise ValueError(
            "size %r is outside the allowed %d MiB to %d GiB" % (size, SIZE_MIN_BYTES // MIB, SIZE_MAX_BYTES // (1024 * MIB))
        )
    return value


def file_bytes(profile, size_bytes):
    """Bytes the profile's work file occupies (etcd always writes 22 MiB)."""
    return ETCD_SIZE_BYTES if profile == "etcd" else size_bytes


def required_free_bytes(profiles, size_bytes):
    """Free space the benchmark needs: one work file exists at a time (each is
    removed after its profile), plus 10 % for filesystem metadata."""
    largest = max(file_bytes(p, size_bytes) for p in profiles)
    return largest + largest // 10


def choose_ioengine(enghelp_output):
    """Pick the engine for the direct-I/O profiles from `fio --enghelp`.

    libaio keeps RAND_IODEPTH requests in flight, which is what a disk's IOPS
    figure means. Without it (fio built without libaio) psync is the portable
    fallback: one request at a time, so IOPS then reflect per-request latency
    and read lower; the module reports which engine it used.
    """
    engines = {line.strip() for line in enghelp_output.splitlines()}
    return "libaio" if "libaio" in engines else "psync"


def build_argv(fio_bin, profile, workdir, size_bytes, runtime, ioengine, device=None, bounded=False):
    """fio argv for one profile, writing one file inside workdir, or the raw
    block device `device` (then workdir is ignored).

    Every run is bounded: --runtime caps the time (the etcd test also stops
    after its 22 MiB), --size caps the file (or the span of the device). The
    direct-I/O profiles are time based so each measures for the full runtime
    over a bounded span; with `bounded` they are not, so every profile reads
    or writes its span once at most: what a node that is already serving
    (a live etcd) can be asked to take, see bounded_write_bytes().
    A read profile on a device is also --readonly: fio then refuses to write.
    """
    if profile not in PROFILES:
        raise ValueError("unknown profile %r; known: %s" % (profile, ", ".join(PROFILE_NAMES)))
    spec = PROFILES[profile]
    engine = spec.get("engine", ioengine)
    argv = [fio_bin, "--output-format=json", "--name=%s" % profile]
    if device:
        argv.append("--filename=%s" % device)
    else:
        argv += ["--directory=%s" % workdir, "--filename=%s.dat" % profile]
    argv += [
        "--rw=%s" % spec["rw"],
        "--bs=%s" % spec["bs"],
        "--ioengine=%s" % engine,
        "--size=%s" % (ETCD_SIZE if profile == "etcd" else str(size_bytes)),
        "--runtime=%d" % runtime,
    ]
    if spec.get("fdatasync"):
        argv.append("--fdatasync=1")
    if spec.get("direct"):
        argv.append("--direct=1")
        if not bounded:
            argv.append("--time_based")
        # A queue depth only means something to an asynchronous engine; fio
        # prints a "note:" line and caps it at 1 for synchronous ones.
        if engine == "libaio":
            argv.append("--iodepth=%d" % spec["iodepth"])
    if device and is_read_profile(profile):
        argv.append("--readonly")
    return argv


def is_read_profile(profile):
    return PROFILES[profile]["rw"].endswith("read")


def bounded_write_bytes(profiles, size_bytes):
    """Most bytes a bounded run writes: each write profile writes its file
    once (etcd 22 MiB, the others `size`); read profiles lay their file out
    once (a write of `size`) before reading it."""
    return sum(file_bytes(p, size_bytes) for p in profiles)


def uncovered_thresholds(thresholds, profiles):
    """{figure: profile} for every threshold whose profile is not run: a gate
    that lists a floor it never measures would pass without checking it."""
    return {name: FIGURES[name][0] for name in sorted(thresholds) if FIGURES[name][0] not in profiles}


def parse_json_output(text):
    """Return (data, ignored_lines) from fio's --output-format=json stdout.

    fio writes notes and warnings ("fio: ...", "note: ...") to the same
    stream, before or even inside the JSON document. First try the document
    that starts at the first line beginning with "{"; if that fails, drop
    every line that is not JSON-shaped (fio's message lines start with a
    word followed by ":" and are never indented) and try again.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("{")), None)
    if start is None:
        raise FioError("no JSON document in fio output: %s" % _excerpt(text))
    ignored = [line for line in lines[:start] if line.strip()]
    decoder = json.JSONDecoder()
    body = "\n".join(lines[start:])
    try:
        data, _end = decoder.raw_decode(body)
        return data, ignored
    except ValueError:
        pass
    kept, dropped = [], []
    for line in lines[start:]:
        (dropped if _is_message_line(line) else kept).append(line)
    try:
        data, _end = decoder.raw_decode("\n".join(kept))
    except ValueError as exc:
        raise FioError("fio output is not valid JSON (%s): %s" % (exc, _excerpt(text)))
    return data, ignored + dropped


_MESSAGE_RE = re.compile(r"^[A-Za-z][\w .-]*:\s")


def _is_message_line(line):
    # JSON lines inside fio's document are indented or are braces; message
    # lines start at column 0 with "fio:", "note:", "warning:" and the like.
    return bool(_MESSAGE_RE.match(line))


def _excerpt(text, limit=300):
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "..."


def _percentile(block, wanted=99.0):
    """fio keys percentiles as strings ("99.000000"); match them as numbers."""
    for key, value in (block or {}).get("percentile", {}).items():
        try:
            if abs(float(key) - wanted) < 1e-9:
                return value
        except ValueError:
            continue
    return None


def _job(data, profile):
    jobs = data.get("jobs") or []
    for job in jobs:
        if job.get("jobname") == profile:
            return job
    if len(jobs) == 1:
        return jobs[0]
    raise FioError("fio output has no job named %r" % profile)


def figures_from_result(profile, data):
    """Figures and details for one profile's parsed fio JSON.

    Returns (figures, details). A job that fio reports as failed (non-zero
    "error") raises FioError naming fio's error number.
    """
    job = _job(data, profile)
    error = job.get("error", 0)
    if error:
        raise FioError("fio job %s failed with error %s (%s)" % (profile, error, _strerror(error)))
    spec = PROFILES[profile]
    direction = "read" if spec["rw"].endswith("read") else "write"
    side = job.get(direction) or {}
    details = {
        "fio_version": data.get("fio version"),
        "ioengine": (job.get("job options") or {}).get("ioengine"),
        "runtime_ms": side.get("runtime"),
        "io_bytes": side.get("io_bytes"),
        "total_ios": side.get("total_ios"),
    }
    if not side.get("total_ios"):
        raise FioError("fio job %s completed no %s I/O" % (profile, direction))
    figures = {}
    if profile == "etcd":
        sync = (job.get("sync") or {}).get("lat_ns")
        p99 = _percentile(sync)
        if p99 is None:
            raise FioError(
                "fio %s reports no fdatasync latency percentiles (needs fio 3.5 or newer)" % details["fio_version"]
            )
        figures["etcd_fdatasync_p99_ms"] = p99 / 1e6
        figures["etcd_write_iops"] = float(side["iops"])
        details["fdatasync_samples"] = sync.get("N")
    elif profile in ("seqwrite", "seqread"):
        figures["%s_mib_s" % profile] = side["bw_bytes"] / MIB
    else:
        figures["%s_iops" % profile] = float(side["iops"])
        p99 = _percentile(side.get("clat_ns"))
        if p99 is not None:
            figures["%s_p99_ms" % profile] = p99 / 1e6
    return figures, details


# errno values fio reports for the failures a benchmark meets in practice.
_ERRNO_NAMES = {
    5: "I/O error",
    13: "permission denied",
    22: "invalid argument, often a filesystem without O_DIRECT support",
    27: "file too large",
    28: "no space left on device",
    30: "read-only file system",
    122: "disk quota exceeded",
}


def _strerror(error):
    return _ERRNO_NAMES.get(error, "see fio's documentation")


def fio_messages(lines):
    """fio's own error lines ("fio: pid=..., error=No space left on device"),
    out of the lines parse_json_output() set aside or of stderr."""
    return [line.strip() for line in lines if line.strip().startswith("fio:")]


def profile_failure(profile, reason, rc=0, output_lines=(), stderr=""):
    """One line naming the profile, what went wrong and fio's own words.

    reason: the FioError text (or None); rc: fio's exit status (negative:
    killed by that signal); output_lines: what parse_json_output() ignored.
    """
    said = fio_messages(list(output_lines) + str(stderr).splitlines())
    if not said and str(stderr).strip():
        said = [str(stderr).strip().splitlines()[-1]]
    parts = ["profile %s: %s" % (profile, reason or "fio failed")]
    if rc and rc < 0:
        parts.append("fio was killed by signal %d" % -rc)
    elif rc:
        parts.append("fio exited %d" % rc)
    if said:
        parts.append("fio said: %s" % " / ".join(dict.fromkeys(said)))
    return "; ".join(parts)


def effective_thresholds(role, overrides):
    """Preset for the role, updated with explicit thresholds; a threshold set
    to None removes the preset's one. Raises ValueError for unknown names or
    non-positive limits."""
    if role not in PRESETS:
        raise ValueError("unknown role %r; known: %s" % (role, ", ".join(PRESETS)))
    result = dict(PRESETS[role])
    unknown = sorted(set(overrides or {}) - set(FIGURES))
    if unknown:
        raise ValueError(
            "unknown threshold figure(s) %s; known figures: %s" % (", ".join(unknown), ", ".join(FIGURES))
        )
    for name, limit in (overrides or {}).items():
        if limit is None:
            result.pop(name, None)
            continue
        try:
            limit = float(limit)
        except (TypeError, ValueError):
            raise ValueError("threshold %s must be a number, got %r" % (name, limit))
        if limit <= 0:
            raise ValueError("threshold %s must be positive, got %r" % (name, limit))
        result[name] = limit
    return result


def _fmt(value):
    return ("%.3f" % value).rstrip("0").rstrip(".")


def check_thresholds(figures, thresholds):
    """Judge figures against thresholds.

    Returns (verdicts, unmeasured): one verdict per threshold whose figure
    was measured, each {figure, value, threshold, comparison, unit, passed,
    reason}; unmeasured lists threshold names whose profile did not run.
    """
    verdicts, unmeasured = [], []
    for name in sorted(thresholds):
        limit = thresholds[name]
        if name not in figures:
            unmeasured.append(name)
            continue
        value = figures[name]
        _profile, kind, unit, what = FIGURES[name]
        if kind == "max":
            passed, comparison = value <= limit, "<="
            word = "within the maximum" if passed else "exceeds the maximum"
        else:
            passed, comparison = value >= limit, ">="
            word = "meets the minimum" if passed else "is below the minimum"
        verdicts.append(
            {
                "figure": name,
                "value": value,
                "threshold": limit,
                "comparison": comparison,
                "unit": unit,
                "passed": passed,
                "reason": "%s (%s) = %s %s %s %s %s" % (name, what, _fmt(value), unit, word, _fmt(limit), unit),
            }
        )
    return verdicts, unmeasured


def failure_message(verdicts, role):
    """One line naming every failing figure, its value and the threshold."""
    failed = [v["reason"] for v in verdicts if not v["passed"]]
    if not failed:
        return None
    label = "the given thresholds" if role == "none" else "the %s thresholds" % role
    return "storage does not meet %s: %s" % (label, "; ".join(failed))


# --- measuring a block device without destroying data ----------------------

def _flatten(device):
    """The device and every device under it (partitions, LVM volumes, thin
    volumes: lsblk lists holders as children), depth first."""
    found = [device]
    for child in device.get("children") or []:
        found += _flatten(child)
    return found


def plan_device(lsblk_json, wipefs_json, device):
    """How to measure a storage node's brick disk without destroying data.

    lsblk_json: the device's tree in the shape of `lsblk --json --bytes
    --output PATH,MAJ:MIN,TYPE,FSTYPE,RO,SIZE,MOUNTPOINTS DEVICE` (the module
    builds the same from sysfs, which also works in a container);
    wipefs_json: `wipefs --no-act --json DEVICE` (it lists every signature
    libblkid knows: file systems, LVM PVs, partition tables, RAID members).
    Returns {mode, mountpoint, reason, size}, mode being:
      - "mounted": a file system on the disk (directly, or on a partition or
        LVM volume under it: the bricks) is mounted; measure inside that
        mount, in a temporary directory, like any path;
      - "raw": the disk is blank (no signature, nothing under it, nothing
        mounted, writable); the benchmark may write to it directly;
      - "readonly": the disk holds something (a signature or volumes under
        it) but nothing is mounted, or it is read-only; only read profiles
        run, with fio's --readonly, so nothing is written.
    """
    try:
        tree = json.loads(lsblk_json) if isinstance(lsblk_json, str) else lsblk_json
        top = tree["blockdevices"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise FioError("lsblk gave no device for %s: %s" % (device, _excerpt(str(lsblk_json))))
    try:
        text = wipefs_json.strip() if isinstance(wipefs_json, str) else wipefs_json
        # wipefs prints nothing at all (not even "{}") on some versions when
        # a device has no signature.
        signatures = (json.loads(text) if isinstance(text, str) and text else text or {}).get("signatures") or []
    except (ValueError, AttributeError):
        raise FioError("wipefs output for %s is not JSON: %s" % (device, _excerpt(str(wipefs_json))))
    everything = _flatten(top)
    mounts = []
    for dev in everything:
        for point in dev.get("mountpoints") or [dev.get("mountpoint")]:
            if point and point != "[SWAP]":
                mounts.append((dev.get("path") or "?", point))
    size = int(top.get("size") or 0)
    if mounts:
        # Brick mounts first in lsblk's order; "/" last: an OS disk given as
        # a brick disk is still measured, on the file system it holds.
        mounts.sort(key=lambda m: m[1] == "/")
        source, point = mounts[0]
        return {"mode": "mounted", "mountpoint": point, "size": size,
                "reason": "%s holds a mounted file system (%s on %s): measured inside it, without "
                          "touching its files" % (device, source, point)}
    kinds = sorted({str(s.get("type")) for s in signatures})
    holders = ["%s (%s)" % (d.get("path"), d.get("type")) for d in everything[1:]]
    if kinds or holders:
        what = ", ".join(["signature %s" % k for k in kinds] + holders)
        return {"mode": "readonly", "mountpoint": "", "size": size,
                "reason": "%s holds data (%s) and nothing on it is mounted: only read profiles run, "
                          "with fio --readonly; write figures are not measured" % (device, what)}
    if top.get("ro") in (True, "1", 1):
        return {"mode": "readonly", "mountpoint": "", "size": size,
                "reason": "%s is read-only: only read profiles run" % device}
    return {"mode": "raw", "mountpoint": "", "size": size,
            "reason": "%s is blank (no signature per wipefs, no partition or volume, not mounted): "
                      "measured raw" % device}
