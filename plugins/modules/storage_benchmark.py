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

import errno
import os
import re
import shutil
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils import storage_figures
from ansible_collections.mlplatform.installer.plugins.module_utils.fio import (
    PROFILE_NAMES,
    RUNTIME_MAX_SECONDS,
    FioError,
    build_argv,
    check_thresholds,
    choose_ioengine,
    effective_thresholds,
    failure_message,
    figures_from_result,
    is_read_profile,
    parse_json_output,
    plan_device,
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


def _plan_device(module, device, result):
    """Resolve the device and decide how to measure it (see plan_device)."""
    real = os.path.realpath(device)
    try:
        is_block = stat.S_ISBLK(os.stat(real).st_mode)
    except OSError as exc:
        module.fail_json(msg="device %s does not exist (%s): set the storage node's brick disk to its "
                         "stable path (ls -l /dev/disk/by-path/)" % (device, exc.strerror), **result)
    if not is_block:
        module.fail_json(msg="device %s (%s) is not a block device" % (device, real), **result)
    try:
        tree = _sysfs_tree(real)
    except (OSError, ValueError) as exc:
        module.fail_json(msg="cannot read %s in /sys/class/block: %s" % (real, exc), **result)
    rc, wipefs, err = _run(module, ["wipefs", "--no-act", "--json", real])
    if rc != 0:
        module.fail_json(msg="wipefs --no-act %s failed: %s" % (real, err.strip()), **result)
    try:
        plan = plan_device(tree, wipefs, device)
    except FioError as exc:
        module.fail_json(msg=str(exc), **result)
    if plan["mode"] == "raw" and not _exclusive(real):
        # The kernel refuses an exclusive open while anything holds the disk
        # (a mount in another namespace, device mapper, md): never write then.
        plan = dict(plan, mode="readonly",
                    reason="%s has no signature but is in use (the kernel refused an exclusive open): "
                           "only read profiles run, with fio --readonly" % device)
    plan["device"] = real
    return plan


def _sysfs_tree(device, sysfs="/sys/class/block", mountinfo_path="/proc/self/mountinfo"):
    """The device and everything under it, in lsblk's JSON shape (what
    plan_device reads), from sysfs and this namespace's mount table.

    lsblk would do, but not in a container: it finds a device's sysfs name
    through /sys/dev/block, which podman leaves empty. Partitions are
    sub-directories with a `partition` file, device-mapper volumes (LVM,
    thin pools) are `holders`; a file system is mounted where the mount
    table names its major:minor (bind mounts included).
    """
    rdev = os.stat(device).st_rdev
    wanted = "%d:%d" % (os.major(rdev), os.minor(rdev))
    names = [n for n in sorted(os.listdir(sysfs)) if _read(os.path.join(sysfs, n, "dev")) == wanted]
    if not names:
        raise ValueError("no block device %s (%s) in %s" % (device, wanted, sysfs))
    mounts = {}
    with open(mountinfo_path) as handle:
        for line in handle:
            fields = line.split()
            if len(fields) > 4:
                # Spaces and tabs in mount points are octal escapes (\040).
                point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
                mounts.setdefault(fields[2], []).append(point)

    def node(name, depth=0):
        base = os.path.join(sysfs, name)
        dev = _read(os.path.join(base, "dev"))
        is_part = os.path.exists(os.path.join(base, "partition"))
        children = []
        if depth < 8:  # device-mapper stacks are a few levels deep; never loop
            holders = os.path.join(base, "holders")
            for holder in sorted(os.listdir(holders)) if os.path.isdir(holders) else []:
                children.append(node(holder, depth + 1))
            for entry in sorted(os.listdir(base)):
                if os.path.exists(os.path.join(base, entry, "partition")):
                    children.append(node(entry, depth + 1))
        kind = "part" if is_part else ("lvm" if name.startswith("dm-") else "disk")
        entry = {"path": "/dev/%s" % name, "maj:min": dev, "type": kind,
                 "ro": _read(os.path.join(base, "ro")) == "1",
                 "size": int(_read(os.path.join(base, "size")) or 0) * 512,
                 "mountpoints": mounts.get(dev) or [None]}
        if children:
            entry["children"] = children
        return entry

    return {"blockdevices": [node(names[0])]}


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _exclusive(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return False
        raise
    os.close(fd)
    return True


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
    raw = None
    if device:
        plan = _plan_device(module, device, result)
        result["target"] = {"mode": plan["mode"], "device": plan["device"], "reason": plan["reason"]}
        if plan["mode"] == "mounted":
            path = plan["mountpoint"]
        else:
            raw = plan["device"]
            # Never more than the disk holds.
            size_bytes = min(size_bytes, plan["size"]) if plan["size"] else size_bytes
        if plan["mode"] == "readonly":
            skipped = [p for p in profiles if not is_read_profile(p)]
            profiles = [p for p in profiles if is_read_profile(p)]
            if skipped:
                result["unmeasured_reason"] = "%s; not run: %s" % (plan["reason"], ", ".join(skipped))
        result["target"]["measured"] = raw or path
    else:
        result["target"] = {"mode": "directory", "measured": path, "reason": ""}
    if raw is None and not os.path.isdir(path):
        module.fail_json(msg="path %s does not exist or is not a directory" % path, **result)

    kept_file = measurement_key = None
    if params["figures_dir"]:
        kept_file = os.path.join(params["figures_dir"], storage_figures.record_name(device or path))
        measurement_key = storage_figures.key(device or path, _device_identity(raw or path, raw is not None), profiles,
                                              size_bytes, params["runtime"], params["bounded"], params["ioengine"])
        kept, age = storage_figures.reusable(_read(kept_file) if os.path.exists(kept_file) else "{}", measurement_key,
                                             time.time(), params["reuse_max_age"])
        if kept is not None:
            result.update(kept, reused_age=int(age))
            _judge(module, result, thresholds, params["role"], profiles, [])
        result["reuse_reason"] = "none kept yet" if not os.path.exists(kept_file) else age

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
    _judge(module, result, thresholds, params["role"], profiles, problems)


def _judge(module, result, thresholds, role, profiles, problems):
    """Judge the figures (measured now or kept) and exit: failing on fio errors and missed thresholds alike,
    naming all of them; the figures are returned either way."""
    result["measured"] = True
    verdicts, unmeasured = check_thresholds(result["figures"], thresholds)
    result["verdicts"] = verdicts
    result["unmeasured"] = unmeasured
    missed = failure_message(verdicts, role)
    if missed:
        problems = problems + [missed]
    if problems:
        module.fail_json(msg=" | ".join(problems), **result)
    result["msg"] = "all %d thresholds met" % len(verdicts) if verdicts else "measured; no thresholds to check"
    if "reused_age" in result:
        result["msg"] += " (figures kept from %s ago)" % storage_figures.age_text(result["reused_age"])
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


def _device_identity(target, is_device):
    """What identifies the block device under a path (or the device itself): a replaced or resized disk differs."""
    info = os.stat(target)
    number = info.st_rdev if is_device else info.st_dev
    wanted = "%d:%d" % (os.major(number), os.minor(number))
    sysfs = "/sys/class/block"
    names = [n for n in sorted(os.listdir(sysfs)) if _read(os.path.join(sysfs, n, "dev")) == wanted] \
        if os.path.isdir(sysfs) else []
    if not names:
        # No block device (tmpfs, overlay): the device number alone, new on every mount.
        return {"dev": wanted}
    base = os.path.join(sysfs, names[0])
    identity = {"dev": wanted, "name": names[0], "sectors": _read(os.path.join(base, "size"))}
    for name, rel in (("serial", "device/serial"), ("wwid", "device/wwid"), ("wwid", "wwid"),
                      ("backing_file", "loop/backing_file")):
        value = _read(os.path.join(base, rel))
        if value:
            identity[name] = value
    return identity


if __name__ == "__main__":
    main()
