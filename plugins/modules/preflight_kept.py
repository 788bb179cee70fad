#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: the target resolution and the reuse rules live in
# plugins/module_utils/storage_target.py, storage_figures.py and egress.py,
# shared with storage_benchmark and egress_probe, which write the records.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_kept
short_description: Read, in one call per node, which kept preflight figures can be reused, and what decides it
description:
  - A re-run of preflight on an unchanged node needs no new measurement. This module reads, in one
    call, the storage figures that M(mlplatform.installer.storage_benchmark) kept for each gate and
    the last egress probe that M(mlplatform.installer.egress_probe) kept, and says for each whether
    it stands for a new measurement, so the caller runs those modules only for what needs measuring.
  - A storage record is reused under the same rules as storage_benchmark's own O(reuse_max_age)
    (the same key - target, profiles, size, runtime, bounded, engine, and the identity of the block
    device under the target - and an age at most the maximum); its figures are judged again against
    the gate's thresholds, and each result has the shape of a storage_benchmark result with
    C(reused_age).
  - The egress record is reused only when its key is the caller's (a digest of the endpoints, their
    expected answers and the proxy settings), it is fresh, and every endpoint in it was open; a probe
    that did not pass is never reused.
  - Also reads what the caller would otherwise ask in separate calls - the nearest existing directory
    of each path (measured instead of a path that does not exist yet), the free space under each of
    O(free_space_paths), whether etcd runs - and whether fio is installed, so the caller installs it
    only when something is measured.
  - Read-only; runs in check mode too.
options:
  figures_dir:
    description: Directory on the node where the records are kept.
    type: path
    required: true
  gates:
    description:
      - Storage gates, each with C(path) (as asked), C(profiles), C(role) and optionally C(device) and
        C(thresholds) (as for storage_benchmark). Each is returned as C(item) of its result.
      - A gate's kept figures are looked up for the nearest existing directory of its C(path) (see
        RV(existing_dir)), and, when a gate has the etcd profile, measured bounded while etcd runs (see
        RV(etcd_pids)), as storage_benchmark measured them.
    type: list
    elements: dict
    default: []
  free_space_paths:
    description:
      - Paths whose free space is read, on their nearest existing directory (see RV(disk_free_mb)).
    type: list
    elements: str
    default: []
  size:
    description: storage_benchmark's O(size) for every gate.
    type: str
    default: 128m
  runtime:
    description: storage_benchmark's O(runtime) for every gate.
    type: int
    default: 10
  reuse_max_age:
    description: Seconds kept storage figures stand for a new measurement; 0 reuses none.
    type: int
    default: 0
  egress_key:
    description: Digest of what the egress probe depends on; empty reads no egress record.
    type: str
    default: ""
  egress_expect:
    description: What each probed URL's origin answers (egress_probe's O(mlplatform.installer.egress_probe#module:expect)).
    type: dict
    default: {}
  egress_max_age:
    description: Seconds a passing egress probe stands for a new one; 0 reuses none.
    type: int
    default: 0
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Read the figures kept from earlier runs
  mlplatform.installer.preflight_kept:
    figures_dir: /var/lib/mlplatform/storage-figures
    gates:
      - {path: /var/lib/etcd, profiles: [etcd, seqwrite], role: etcd}
    free_space_paths: [/var/lib]
    size: 64m
    runtime: 5
    reuse_max_age: 86400
  register: __preflight_kept
"""

RETURN = r"""
storage:
  description:
    - One entry per gate, in the order given - C(item) (the gate), C(reused), and C(reuse_reason) when
      not reused; a reused entry also holds storage_benchmark's result fields (figures, verdicts,
      unmeasured, target, details, msg, reused_age, ...).
  returned: always
  type: list
  elements: dict
egress:
  description: C(reused), and either C(results) (egress_probe's) with C(reused_age), or C(reuse_reason).
  returned: always
  type: dict
fio:
  description: Path of the fio binary on the node; empty when it is not installed.
  returned: always
  type: str
existing_dir:
  description:
    - Each gate's C(path) and each of O(free_space_paths) -> its deepest existing directory, itself
      included (a link to a directory does not count), C(/) at worst.
  returned: always
  type: dict
  sample: {/var/lib/etcd: /var/lib, /var/lib: /var/lib}
etcd_pids:
  description:
    - Pids, ascending, of the processes named exactly C(etcd), as C(pgrep -x etcd) lists them (a systemd
      service or a static pod alike). Looked for only when a gate has the etcd profile; empty otherwise.
  returned: always
  type: list
  elements: int
  sample: [2841]
disk_free_mb:
  description:
    - Each of O(free_space_paths) -> the free space for unprivileged users on the file system of its nearest
      existing directory, in MiB rounded up (the Available column of C(df -P -B1M)).
  returned: always
  type: dict
  sample: {/var/lib: 70736}
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils import egress, storage_target
from ansible_collections.mlplatform.installer.plugins.module_utils.fio import effective_thresholds, size_to_bytes


def _run(module, argv):
    return module.run_command(argv, environ_update={"LC_ALL": "C", "LANG": "C"})


def _storage_entry(module, gate, params, now, existing_dir, etcd_running):
    """The gate's kept result (reused: true) or why it needs measuring (reused: false)."""
    entry = {"item": gate, "reused": False}
    if params["reuse_max_age"] <= 0:
        entry["reuse_reason"] = "reuse is off"
        return entry
    path = existing_dir.get(gate.get("path"), gate.get("path"))
    device = gate.get("device") or None
    profiles = list(dict.fromkeys(gate.get("profiles") or []))
    bounded = "etcd" in profiles and etcd_running
    try:
        size_bytes = size_to_bytes(params["size"])
        thresholds = effective_thresholds(gate.get("role") or "none", gate.get("thresholds") or {})
        resolved = storage_target.resolve(lambda argv: _run(module, argv), path, device, profiles, size_bytes)
        # Named as storage_benchmark's record_as: the gate's device, else the path asked for.
        _file, _key, kept, age = storage_target.kept(params["figures_dir"], device or gate.get("path") or path, resolved,
                                                     params["runtime"], bounded, "auto", now,
                                                     params["reuse_max_age"])
    except (ValueError, OSError, storage_target.TargetError) as exc:
        # storage_benchmark, run for this gate, fails with the full message.
        entry["reuse_reason"] = "cannot be read here: %s" % exc
        return entry
    if kept is None:
        entry["reuse_reason"] = age
        return entry
    result = dict(changed=False, figures={}, details={}, verdicts=[], unmeasured=[], unmeasured_reason="", errors={},
                  target={}, ioengine="", thresholds=thresholds)
    result.update(kept, reused_age=int(age))
    storage_target.judge(result, thresholds, gate.get("role") or "none", [])
    entry.update(result, reused=True)
    return entry


def _egress_entry(params, now):
    if not params["egress_key"]:
        return {"reused": False, "reuse_reason": "not asked"}
    path = os.path.join(params["figures_dir"], egress.KEPT_NAME)
    if not os.path.exists(path):
        return {"reused": False, "reuse_reason": "none kept yet"}
    results, age = egress.kept_reusable(storage_target.read(path) or "{}", params["egress_key"],
                                        params["egress_expect"], now, params["egress_max_age"])
    if results is None:
        return {"reused": False, "reuse_reason": age}
    return {"reused": True, "results": results, "reused_age": int(age)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            figures_dir=dict(type="path", required=True),
            gates=dict(type="list", elements="dict", default=[]),
            free_space_paths=dict(type="list", elements="str", default=[]),
            size=dict(type="str", default="128m"),
            runtime=dict(type="int", default=10),
            reuse_max_age=dict(type="int", default=0),
            egress_key=dict(type="str", default="", no_log=False),
            egress_expect=dict(type="dict", default={}),
            egress_max_age=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    now = time.time()
    gates = params["gates"]
    free_space_paths = params["free_space_paths"]
    existing_dir = storage_target.nearest_directories([g["path"] for g in gates if g.get("path")] + free_space_paths)
    # Only an etcd gate's measurement depends on a running etcd.
    etcd_pids = storage_target.pids_named("etcd") if any("etcd" in (g.get("profiles") or []) for g in gates) else []
    disk_free_mb = {}
    for path in free_space_paths:
        try:
            disk_free_mb[path] = storage_target.free_mib(existing_dir[path])
        except OSError as exc:
            module.fail_json(msg="cannot read the free space of %s (a disk_free_gb path of preflight_minimums, "
                                 "read on %s): %s" % (path, existing_dir[path], exc))
    module.exit_json(changed=False,
                     storage=[_storage_entry(module, gate, params, now, existing_dir, bool(etcd_pids))
                              for gate in gates],
                     egress=_egress_entry(params, now),
                     fio=module.get_bin_path("fio") or "",
                     existing_dir=existing_dir, etcd_pids=etcd_pids, disk_free_mb=disk_free_mb)


if __name__ == "__main__":
    main()
