#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: command building, parsing and threshold logic live in
# plugins/module_utils/fio.py, which plain pytest covers.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: storage_benchmark
short_description: Measure a directory's storage with fio and judge it against per-role thresholds
description:
  - Runs fio with named, bounded profiles against a directory and returns every figure.
  - C(etcd) is the etcd documentation's disk test (sequential 2300-byte writes, each followed by
    fdatasync, 22 MiB) and yields the fdatasync 99th percentile latency and the write IOPS.
  - C(seqwrite) and C(seqread) use 1 MiB direct I/O and yield MiB/s; C(randread) and C(randwrite)
    use 4 KiB direct I/O and yield IOPS and p99 completion latency.
  - The direct-I/O profiles use libaio with a queue depth (32 random, 8 sequential) when fio has it,
    otherwise psync (one request at a time, so IOPS are lower); the engine used is returned.
  - Work files live in a fresh hidden subdirectory of O(path) and are removed when the module ends,
    also when fio fails.
  - Fails, still returning all figures, when a threshold is not met; the message names each failing
    figure, its value and the threshold. Fails too when any profile fails (the others still run), naming
    the profile and fio's own message, and before running anything when a threshold needs a profile
    that is not in O(profiles).
  - With O(device), measures a block device (a storage node's brick disk) without destroying data. What
    is on it is read from /sys/class/block (partitions, device-mapper holders such as LVM volumes), the mount
    table and C(wipefs --no-act). A disk with a mounted file system (directly, or on partitions or LVM volumes under it, the bricks) is
    measured inside that mount, in a temporary directory. A blank disk (no signature per
    C(wipefs --no-act), nothing under it, nothing mounted, and the kernel grants an exclusive open) is
    written raw over its first O(size) bytes. A disk that holds anything else, or is read-only, gets
    only the read profiles, run with C(fio --readonly); the write figures are then returned in
    RV(unmeasured) with the reason, not measured.
  - In check mode nothing is run and no file is written.
options:
  path:
    description:
      - Existing directory on the filesystem to measure, for example the etcd data directory's parent.
      - With O(device), only named in messages (the brick root the disk will serve).
    type: path
    required: true
  device:
    description:
      - Block device to measure instead of O(path), for example a storage node's brick disk by its stable
        C(/dev/disk/by-path/...) name. See the description for what is written where.
    type: path
  bounded:
    description:
      - Each profile reads or writes its file once at most instead of for the whole O(runtime), so a run
        writes at most 22 MiB for C(etcd) plus O(size) per other profile (laid out once for the read
        profiles). For a node that is already serving, such as a running etcd.
    type: bool
    default: false
  profiles:
    description:
      - Profiles to run, in this order.
    type: list
    elements: str
    choices: [etcd, seqwrite, seqread, randread, randwrite]
    default: [etcd, seqwrite, seqread, randread, randwrite]
  size:
    description:
      - Size of the work file for the seqwrite, seqread, randread and randwrite profiles, with an optional
        C(k), C(m) or C(g) suffix (1024-based, like fio). Between 4m and 16g.
      - The etcd profile always writes 22 MiB, as in the etcd documentation.
      - Read profiles first lay the file out, which takes size divided by the write bandwidth.
    type: str
    default: 128m
  runtime:
    description:
      - Upper bound in seconds for each profile's measurement (1 to 600). The direct-I/O profiles run for
        exactly this long; the etcd profile stops earlier when its 22 MiB are written.
    type: int
    default: 10
  role:
    description:
      - Threshold preset. C(etcd) and C(control_plane) - fdatasync p99 at most 10 ms (etcd FAQ), at least
        50 write IOPS in the etcd test and 10 MiB/s sequential write (etcd hardware guide).
      - C(worker) - at least 50 MiB/s sequential read and write and 100 random read and write IOPS
        (a project floor, see plugins/module_utils/fio.py). C(none) - no preset.
    type: str
    choices: [etcd, control_plane, worker, none]
    default: none
  thresholds:
    description:
      - Limits by figure name, added to or replacing the preset's. Latency figures (C(*_ms)) are maxima,
        rates (C(*_iops), C(*_mib_s)) are minima. A value of null removes the preset's limit.
      - "Figures: etcd_fdatasync_p99_ms, etcd_write_iops, seqwrite_mib_s, seqread_mib_s, randread_iops,
        randread_p99_ms, randwrite_iops, randwrite_p99_ms."
    type: dict
    default: {}
  ioengine:
    description:
      - Engine for the direct-I/O profiles. C(auto) picks libaio when C(fio --enghelp) lists it, else psync.
    type: str
    choices: [auto, libaio, psync]
    default: auto
  figures_dir:
    description:
      - Directory on the node where each measurement is kept (one small JSON file per measured path or
        device, mode 0600), for reuse by later runs (O(reuse_max_age)). Unset keeps nothing.
    type: path
  record_as:
    description:
      - Name the kept measurement goes by (O(figures_dir)); default O(device), else O(path).
      - The preflight role passes the path a gate asks for, so that its figures measured on the nearest
        existing parent before install (C(/)) stand for the path once it exists, as long as the block device
        under it is the same (which is part of the key).
    type: str
  reuse_max_age:
    description:
      - Seconds a kept measurement stands for a new one. It is reused only when nothing it depends on
        changed - the target, O(profiles), O(size), O(runtime), O(bounded), O(ioengine), and the block
        device under the target (major:minor, size, serial or WWID, a loop device's backing file) -
        and the thresholds are judged again on it. 0 always measures.
    type: int
    default: 0
requirements:
  - fio 3.5 or newer on the target (it reports fdatasync percentiles since 3.5)
notes:
  - Never reports a change - the work files are removed before it returns; the kept measurement
    (O(figures_dir)) is bookkeeping, not a change to the node.
  - Check mode runs nothing; the figures are then empty.
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Measure the etcd disk of control plane nodes
  mlplatform.installer.storage_benchmark:
    path: /var/lib/etcd
    profiles: [etcd, seqwrite]
    role: etcd
  register: __storage_benchmark_etcd

- name: Measure a worker's data disk with a stricter random write floor
  mlplatform.installer.storage_benchmark:
    path: /var/lib/containerd
    size: 256m
    runtime: 15
    role: worker
    thresholds:
      randwrite_iops: 500
"""

RETURN = r"""
reused_age:
  description: Age in seconds of the kept measurement the figures come from; absent when measured in this run.
  returned: when a kept measurement was reused
  type: int
reuse_reason:
  description: Why a kept measurement was not reused (none kept, too old, something it depends on changed).
  returned: when O(figures_dir) is set and the figures were measured in this run
  type: str
figures:
  description: Every figure measured, by name. Present also when the module fails.
  returned: always
  type: dict
  sample: {"etcd_fdatasync_p99_ms": 0.36, "etcd_write_iops": 2850.1, "seqwrite_mib_s": 1870.4}
details:
  description: Per profile, the fio argv, engine, fio version, measured runtime, bytes and I/Os.
  returned: always
  type: dict
verdicts:
  description: One entry per threshold whose figure was measured.
  returned: always
  type: list
  elements: dict
  sample:
    - figure: etcd_fdatasync_p99_ms
      value: 104.3
      threshold: 10.0
      comparison: "<="
      unit: ms
      passed: false
      reason: etcd_fdatasync_p99_ms (99th percentile fdatasync latency) = 104.3 ms exceeds the maximum 10 ms
measured:
  description: Whether fio ran (false on every failure before it, such as a missing device or fio).
  returned: always
  type: bool
thresholds:
  description: The effective thresholds (preset plus overrides).
  returned: always
  type: dict
unmeasured:
  description: Threshold names whose profile was not run (a disk that holds data gets read profiles only).
  returned: always
  type: list
  elements: str
unmeasured_reason:
  description: Why RV(unmeasured) figures were not measured; empty when all were.
  returned: always
  type: str
errors:
  description: Per failed profile, its name, what went wrong and fio's own message.
  returned: always
  type: dict
  sample: {"seqwrite": "profile seqwrite: fio job seqwrite failed with error 28 (no space left on device);
    fio said: fio: pid=561, err=28/file:io_u.c:1876, func=io_u error, error=No space left on device"}
target:
  description:
    - What was measured - C(mode) (C(directory), C(mounted), C(raw) or C(readonly)), C(measured) (the
      directory or device fio used) and C(reason) (why this mode, for a device).
  returned: always
  type: dict
ioengine:
  description: Engine used for the direct-I/O profiles (empty in check mode).
  returned: always
  type: str
fio_version:
  description: Output of C(fio --version).
  returned: when fio ran
  type: str
msg:
  description:
    - On failure, every fio error and every missed threshold (figure, value, limit), separated by C( | ).
    - On success, how many thresholds were met.
  returned: always
  type: str
"""

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils import storage_figures, storage_target
from ansible_collections.mlplatform.installer.plugins.module_utils.fio import (
    PROFILE_NAMES,
    RUNTIME_MAX_SECONDS,
    FioError,
    build_argv,
    choose_ioengine,
    effective_thresholds,
    figures_from_result,
    parse_json_output,
    profile_failure,
    required_free_bytes,
    size_to_bytes,
    uncovered_thresholds,
)

MIB = 1024 * 1024


def _run(module, argv):
    # C locale: fio's messages and number formatting stay the ones parsed here.
    return module.run_command(argv, environ_update={"LC_ALL": "C", "LANG": "C"})


def _free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _run_profiles(module, fio_bin, workdir, profiles, size_bytes, runtime, ioengine, result, device=None,
                  bounded=False):
    """Run each profile; return {profile: message} for the failed ones (later profiles still run)."""
    errors = {}
    for profile in profiles:
        argv = build_argv(fio_bin, profile, workdir, size_bytes, runtime, ioengine, device=device,
                          bounded=bounded)
        rc, out, err = _run(module, argv)
        entry = {"argv": argv, "rc": rc}
        result["details"][profile] = entry
        ignored = []
        try:
            data, ignored = parse_json_output(out)
            figures, details = figures_from_result(profile, data)
        except FioError as exc:
            errors[profile] = profile_failure(profile, str(exc), rc, ignored or out.splitlines(), err)
            entry["error"] = errors[profile]
            entry["stderr"] = err.strip()
        else:
            entry.update(details)
            entry["fio_messages"] = ignored
            result["figures"].update(figures)
        finally:
            # One work file at a time keeps the space needed to one profile's.
            work_file = os.path.join(workdir, "%s.dat" % profile) if workdir else None
            if work_file and os.path.exists(work_file):
                os.remove(work_file)
    return errors


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            device=dict(type="path"),
            bounded=dict(type="bool", default=False),
            profiles=dict(type="list", elements="str", choices=PROFILE_NAMES, default=list(PROFILE_NAMES)),
            size=dict(type="str", default="128m"),
            runtime=dict(type="int", default=10),
            role=dict(type="str", choices=["etcd", "control_plane", "worker", "none"], default="none"),
            thresholds=dict(type="dict", default={}),
            ioengine=dict(type="str", choices=["auto", "libaio", "psync"], default="auto"),
            figures_dir=dict(type="path"),
            reuse_max_age=dict(type="int", default=0),
            record_as=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    # `measured` stays false on every early failure, so a caller that goes on
    # after a failure (failed_when: false, as the preflight role does) can
    # tell "could not measure" from "measured and missed a threshold".
    result = dict(changed=False, measured=False, figures={}, details={}, verdicts=[], unmeasured=[],
                  unmeasured_reason="", errors={}, target={}, ioengine="")

    # Validate everything that needs no host access first, in check mode too.
    try:
        size_bytes = size_to_bytes(params["size"])
        thresholds = effective_thresholds(params["role"], params["thresholds"])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **result)
    if not 1 <= params["runtime"] <= RUNTIME_MAX_SECONDS:
        module.fail_json(msg="runtime must be between 1 and %d seconds" % RUNTIME_MAX_SECONDS, **result)
    profiles = list(dict.fromkeys(params["profiles"]))
    if not profiles:
        module.fail_json(msg="profiles must name at least one profile", **result)
    result["thresholds"] = thresholds
    uncovered = uncovered_thresholds(thresholds, profiles)
    if uncovered:
        needed = ", ".join(sorted(set(uncovered.values())))
        module.fail_json(msg="threshold(s) %s need profile(s) %s, which are not in profiles: add them, or "
                         "set the threshold to null to drop it" % (", ".join(uncovered), needed),
                         **result)

    if module.check_mode:
        result["msg"] = "check mode: fio not run"
        # Said as unmeasured figures, so a report lists them as not checked.
        result["unmeasured"] = sorted(thresholds)
        result["unmeasured_reason"] = "check mode: fio not run"
        module.exit_json(**result)

    path = params["path"]
    device = params["device"]
    fio_bin = module.get_bin_path("fio")
    if not fio_bin:
        module.fail_json(
            msg="fio is not installed on this host (not found in PATH): install the 'fio' package "
            "(apt-get install fio) or mirror it for air-gapped hosts",
            **result
        )
    try:
        resolved = storage_target.resolve(lambda argv: _run(module, argv), path, device, profiles, size_bytes)
    except storage_target.TargetError as exc:
        module.fail_json(msg=str(exc), **result)
    path, raw, profiles, size_bytes = resolved["path"], resolved["raw"], resolved["profiles"], resolved["size_bytes"]
    result["target"] = resolved["target"]
    result["unmeasured_reason"] = resolved["unmeasured_reason"]

    kept_file = measurement_key = None
    if params["figures_dir"]:
        kept_file, measurement_key, kept, age = storage_target.kept(
            params["figures_dir"], params["record_as"] or device or path, resolved, params["runtime"], params["bounded"], params["ioengine"],
            time.time(), params["reuse_max_age"])
        if kept is not None:
            result.update(kept, reused_age=int(age))
            _judge(module, result, thresholds, params["role"], [])
        result["reuse_reason"] = age

    if raw is None:
        needed = required_free_bytes(profiles, size_bytes)
        free = _free_bytes(path)
        if free < needed:
            module.fail_json(
                msg="not enough free space in %s: the benchmark needs %d MiB, %d MiB are available; "
                "lower size or free space" % (path, -(-needed // MIB), free // MIB),
                **result
            )

    _rc, out, _err = _run(module, [fio_bin, "--version"])
    result["fio_version"] = out.strip()
    if params["ioengine"] == "auto":
        rc, out, _err = _run(module, [fio_bin, "--enghelp"])
        result["ioengine"] = choose_ioengine(out) if rc == 0 else "psync"
    else:
        result["ioengine"] = params["ioengine"]

    workdir = None
    if raw is None:
        try:
            workdir = tempfile.mkdtemp(prefix=".storage_benchmark-", dir=path)
        except OSError as exc:
            module.fail_json(msg="cannot create a work directory in %s: %s" % (path, exc), **result)
    cleanup = []
    try:
        errors = _run_profiles(module, fio_bin, workdir, profiles, size_bytes, params["runtime"], result["ioengine"],
                               result, device=raw, bounded=params["bounded"])
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if workdir and os.path.exists(workdir):
        cleanup.append("could not remove the work directory %s" % workdir)
    result["errors"] = errors
    problems = ["fio failed in %s: %s" % (raw or path, " | ".join(errors[p] for p in profiles if p in errors))] \
        if errors else []
    problems += cleanup
    # Kept only when every profile ran: a partial measurement is measured again.
    if kept_file and not errors:
        _keep(module, kept_file, storage_figures.record(measurement_key, time.time(), result))
    _judge(module, result, thresholds, params["role"], problems)


def _judge(module, result, thresholds, role, problems):
    """Judge the figures (measured now or kept) and exit: failing on fio errors and missed thresholds alike,
    naming all of them; the figures are returned either way."""
    if storage_target.judge(result, thresholds, role, problems):
        module.fail_json(**result)  # msg names every problem
    module.exit_json(**result)


def _keep(module, path, text):
    """Write the kept measurement atomically (a reader never sees half a record); a failure only warns."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".storage-")
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as exc:
        module.warn("could not keep the figures in %s: %s (the next run measures again)" % (path, exc))


if __name__ == "__main__":
    main()
