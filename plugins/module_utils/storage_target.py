# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a storage measurement targets, read on the node: shared by
storage_benchmark (which measures) and preflight_kept (which only reads the
kept figures, one call per node), so both key a measurement the same way.

Reads /sys/class/block, the mount table, /proc and `wipefs --no-act`
(through the caller's `run`); writes nothing. The decisions themselves are
pure functions in fio.py (plan_device), storage_figures.py (key, reusable)
and preflight.py (nearest_existing).
"""

from __future__ import annotations

import errno
import os
import re
import stat

from ansible_collections.mlplatform.installer.plugins.module_utils import preflight, storage_figures
from ansible_collections.mlplatform.installer.plugins.module_utils.fio import (
    FioError,
    check_thresholds,
    failure_message,
    is_read_profile,
    plan_device,
)


MIB = 1024 * 1024
# Where processes are listed; tests point it at a directory of their own.
PROC = "/proc"


class TargetError(Exception):
    """The target cannot be measured (no such device or directory); the message says how to fix it."""


def read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _is_directory(path):
    """A directory, not a link to one: what ansible.builtin.stat (follow: false) called isdir."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def nearest_directories(paths):
    """{path: its deepest existing directory, itself included; '/' at worst}.

    Data paths such as /var/lib/etcd may not exist before install: they are
    measured on the file system they will live on, that of this directory.
    """
    ancestors = {ancestor for path in paths for ancestor in preflight.path_ancestors(path)}
    return preflight.nearest_existing(paths, [a for a in ancestors if _is_directory(a)])


def free_mib(path):
    """Free space for unprivileged users on path's file system, in MiB rounded up:
    the Available column of `df -P -B1M path` (GNU df rounds up)."""
    info = os.statvfs(path)
    return -(-(info.f_bavail * (info.f_frsize or info.f_bsize)) // MIB)


def pids_named(name):
    """Pids, ascending, of the processes whose name is exactly `name`, as
    `pgrep -x name` lists them: the kernel's name (comm) of each process in
    this pid namespace, whether it runs as a service or in a static pod."""
    pids = []
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(PROC, entry, "comm")) as handle:
                # The kernel ends the name with a newline.
                comm = handle.read().rstrip("\n")
        except OSError:  # it exited meanwhile
            continue
        if comm == name:
            pids.append(int(entry))
    return sorted(pids)


def exclusive(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return False
        raise
    os.close(fd)
    return True


def sysfs_tree(device, sysfs="/sys/class/block", mountinfo_path="/proc/self/mountinfo"):
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
    names = [n for n in sorted(os.listdir(sysfs)) if read(os.path.join(sysfs, n, "dev")) == wanted]
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
        dev = read(os.path.join(base, "dev"))
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
                 "ro": read(os.path.join(base, "ro")) == "1",
                 "size": int(read(os.path.join(base, "size")) or 0) * 512,
                 "mountpoints": mounts.get(dev) or [None]}
        if children:
            entry["children"] = children
        return entry

    return {"blockdevices": [node(names[0])]}


def plan(run, device):
    """Resolve the device and decide how to measure it (fio.plan_device); raises TargetError.

    run(argv) -> (rc, stdout, stderr), with LC_ALL=C.
    """
    real = os.path.realpath(device)
    try:
        is_block = stat.S_ISBLK(os.stat(real).st_mode)
    except OSError as exc:
        raise TargetError("device %s does not exist (%s): set the storage node's brick disk to its "
                          "stable path (ls -l /dev/disk/by-path/)" % (device, exc.strerror))
    if not is_block:
        raise TargetError("device %s (%s) is not a block device" % (device, real))
    try:
        tree = sysfs_tree(real)
    except (OSError, ValueError) as exc:
        raise TargetError("cannot read %s in /sys/class/block: %s" % (real, exc))
    rc, wipefs, err = run(["wipefs", "--no-act", "--json", real])
    if rc != 0:
        raise TargetError("wipefs --no-act %s failed: %s" % (real, err.strip()))
    try:
        result = plan_device(tree, wipefs, device)
    except FioError as exc:
        raise TargetError(str(exc))
    if result["mode"] == "raw" and not exclusive(real):
        # The kernel refuses an exclusive open while anything holds the disk
        # (a mount in another namespace, device mapper, md): never write then.
        result = dict(result, mode="readonly",
                      reason="%s has no signature but is in use (the kernel refused an exclusive open): "
                             "only read profiles run, with fio --readonly" % device)
    result["device"] = real
    return result


def resolve(run, path, device, profiles, size_bytes):
    """What fio will measure: {path, raw, profiles, size_bytes, target, unmeasured_reason}; raises TargetError.

    A device with a mounted file system is measured in the mount (path), a
    blank one raw (raw, never more than it holds), any other with the read
    profiles only.
    """
    raw = None
    unmeasured_reason = ""
    if device:
        planned = plan(run, device)
        target = {"mode": planned["mode"], "device": planned["device"], "reason": planned["reason"]}
        if planned["mode"] == "mounted":
            path = planned["mountpoint"]
        else:
            raw = planned["device"]
            size_bytes = min(size_bytes, planned["size"]) if planned["size"] else size_bytes
        if planned["mode"] == "readonly":
            skipped = [p for p in profiles if not is_read_profile(p)]
            profiles = [p for p in profiles if is_read_profile(p)]
            if skipped:
                unmeasured_reason = "%s; not run: %s" % (planned["reason"], ", ".join(skipped))
        target["measured"] = raw or path
    else:
        target = {"mode": "directory", "measured": path, "reason": ""}
    if raw is None and not os.path.isdir(path):
        raise TargetError("path %s does not exist or is not a directory" % path)
    return {"path": path, "raw": raw, "profiles": profiles, "size_bytes": size_bytes, "target": target,
            "unmeasured_reason": unmeasured_reason}


def device_identity(target, is_device, sysfs="/sys/class/block"):
    """What identifies the block device under a path (or the device itself): a replaced or resized disk differs."""
    info = os.stat(target)
    number = info.st_rdev if is_device else info.st_dev
    wanted = "%d:%d" % (os.major(number), os.minor(number))
    names = [n for n in sorted(os.listdir(sysfs)) if read(os.path.join(sysfs, n, "dev")) == wanted] \
        if os.path.isdir(sysfs) else []
    if not names:
        # No block device (tmpfs, overlay): the device number alone, new on every mount.
        return {"dev": wanted}
    base = os.path.join(sysfs, names[0])
    identity = {"dev": wanted, "name": names[0], "sectors": read(os.path.join(base, "size"))}
    for name, rel in (("serial", "device/serial"), ("wwid", "device/wwid"), ("wwid", "wwid"),
                      ("backing_file", "loop/backing_file")):
        value = read(os.path.join(base, rel))
        if value:
            identity[name] = value
    return identity


def kept(figures_dir, name, resolved, runtime, bounded, ioengine, now, max_age):
    """(record file, measurement key, kept result or None, age in seconds or why not reused).

    name: the path or device asked for (one record each); resolved: resolve()'s answer.
    """
    kept_file = os.path.join(figures_dir, storage_figures.record_name(name))
    raw = resolved["raw"]
    measurement_key = storage_figures.key(name, device_identity(raw or resolved["path"], raw is not None),
                                          resolved["profiles"], resolved["size_bytes"], runtime, bounded, ioengine)
    if not os.path.exists(kept_file):
        return kept_file, measurement_key, None, "none kept yet"
    result, age = storage_figures.reusable(read(kept_file) or "{}", measurement_key, now, max_age)
    return kept_file, measurement_key, result, age


def judge(result, thresholds, role, problems):
    """Judge result's figures (measured now or kept) against the thresholds, in place: verdicts, unmeasured,
    measured and msg. Returns the problems (fio errors given, plus missed thresholds); none means passed."""
    result["measured"] = True
    verdicts, unmeasured = check_thresholds(result["figures"], thresholds)
    result["verdicts"] = verdicts
    result["unmeasured"] = unmeasured
    missed = failure_message(verdicts, role)
    if missed:
        problems = problems + [missed]
    if problems:
        result["msg"] = " | ".join(problems)
        return problems
    result["msg"] = "all %d thresholds met" % len(verdicts) if verdicts else "measured; no thresholds to check"
    if "reused_age" in result:
        result["msg"] += " (figures kept from %s ago)" % storage_figures.age_text(result["reused_age"])
    return problems
