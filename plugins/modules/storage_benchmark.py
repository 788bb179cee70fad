#!/usr/bin/python
# -*- coding: utf-8 -*-
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
    figure, its value and the threshold.
  - In check mode nothing is run and no file is written.
options:
  path:
    description:
      - Existing directory on the filesystem to measure, for example the etcd data directory's parent.
    type: path
    required: true
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
requirements:
  - fio 3.5 or newer on the target (it reports fdatasync percentiles since 3.5)
notes:
  - Never reports a change - the work files are removed before it returns.
  - Check mode runs nothing; the figures are then empty.
author:
  - ML platform team
"""

EXAMPLES = r"""
- name: Measure the etcd disk of control plane nodes
  storage_benchmark:
    path: /var/lib/etcd
    profiles: [etcd, seqwrite]
    role: etcd
  register: __storage_benchmark_etcd

- name: Measure a worker's data disk with a stricter random write floor
  storage_benchmark:
    path: /var/lib/containerd
    size: 256m
    runtime: 15
    role: worker
    thresholds:
      randwrite_iops: 500
"""

RETURN = r"""
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
thresholds:
  description: The effective thresholds (preset plus overrides).
  returned: always
  type: dict
unmeasured:
  description: Threshold names whose profile was not run.
  returned: always
  type: list
  elements: str
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fio import (
    PROFILE_NAMES,
    RUNTIME_MAX_SECONDS,
    FioError,
    build_argv,
    check_thresholds,
    choose_ioengine,
    effective_thresholds,
    failure_message,
    figures_from_result,
    parse_json_output,
    required_free_bytes,
    size_to_bytes,
)

MIB = 1024 * 1024


def _run(module, argv):
    # C locale: fio's messages and number formatting stay the ones parsed here.
    return module.run_command(argv, environ_update={"LC_ALL": "C", "LANG": "C"})


def _free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _run_profiles(module, fio_bin, workdir, profiles, size_bytes, runtime, ioengine, result):
    """Run each profile; return the first error message (later profiles still run)."""
    errors = []
    for profile in profiles:
        argv = build_argv(fio_bin, profile, workdir, size_bytes, runtime, ioengine)
        rc, out, err = _run(module, argv)
        entry = {"argv": argv, "rc": rc}
        result["details"][profile] = entry
        try:
            data, ignored = parse_json_output(out)
            figures, details = figures_from_result(profile, data)
        except FioError as exc:
            stderr = err.strip().splitlines()
            errors.append("%s: %s%s" % (profile, exc, (" (stderr: %s)" % stderr[-1]) if stderr else ""))
            entry["error"] = str(exc)
            entry["stderr"] = err.strip()
        else:
            entry.update(details)
            entry["fio_messages"] = ignored
            result["figures"].update(figures)
        finally:
            # One work file at a time keeps the space needed to one profile's.
            work_file = os.path.join(workdir, "%s.dat" % profile)
            if os.path.exists(work_file):
                os.remove(work_file)
    return errors


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            profiles=dict(type="list", elements="str", choices=PROFILE_NAMES, default=list(PROFILE_NAMES)),
            size=dict(type="str", default="128m"),
            runtime=dict(type="int", default=10),
            role=dict(type="str", choices=["etcd", "control_plane", "worker", "none"], default="none"),
            thresholds=dict(type="dict", default={}),
            ioengine=dict(type="str", choices=["auto", "libaio", "psync"], default="auto"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, figures={}, details={}, verdicts=[], unmeasured=[], ioengine="")

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

    if module.check_mode:
        result["msg"] = "check mode: fio not run"
        module.exit_json(**result)

    path = params["path"]
    if not os.path.isdir(path):
        module.fail_json(msg="path %s does not exist or is not a directory" % path, **result)

    fio_bin = module.get_bin_path("fio")
    if not fio_bin:
        module.fail_json(
            msg="fio is not installed on this host (not found in PATH): install the 'fio' package "
            "(apt-get install fio) or mirror it for air-gapped hosts",
            **result
        )

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

    try:
        workdir = tempfile.mkdtemp(prefix=".storage_benchmark-", dir=path)
    except OSError as exc:
        module.fail_json(msg="cannot create a work directory in %s: %s" % (path, exc), **result)
    try:
        errors = _run_profiles(module, fio_bin, workdir, profiles, size_bytes, params["runtime"], result["ioengine"], result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if os.path.exists(workdir):
        errors.append("could not remove the work directory %s" % workdir)

    verdicts, unmeasured = check_thresholds(result["figures"], thresholds)
    result["verdicts"] = verdicts
    result["unmeasured"] = unmeasured
    # Fail on fio errors and on missed thresholds alike, naming all of them;
    # the figures measured so far are returned either way.
    problems = ["fio failed in %s: %s" % (path, "; ".join(errors))] if errors else []
    missed = failure_message(verdicts, params["role"])
    if missed:
        problems.append(missed)
    if problems:
        module.fail_json(msg=" | ".join(problems), **result)
    result["msg"] = "all %d thresholds met" % len(verdicts) if verdicts else "measured; no thresholds to check"
    module.exit_json(**result)


if __name__ == "__main__":
    main()
