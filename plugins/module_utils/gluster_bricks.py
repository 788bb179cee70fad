# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size a storage node's LVM thin pool and brick volumes from its disk (pure functions).

One volume group per brick disk holds one thin pool, and the pool one thin
volume per Gluster volume (roles/gluster_server, tasks/bricks_lvm.yml). The
pool starts at a share of the disk and the rest stays free in the volume
group: LVM's monitoring (dmeventd) grows the pool by a percentage whenever its
data or metadata use passes a threshold (lvm.conf activation/
thin_pool_autoextend_threshold and _percent, set in a profile attached to the
pool), so a full pool is a slow, visible event instead of a sudden one. Each
thin volume may grow to the whole disk: the volumes share the pool.

No Ansible imports here: plain pytest covers these functions
(tests/unit/test_gluster_bricks.py).
"""

from __future__ import annotations

MIB = 1024 * 1024


class SizingError(ValueError):
    """The settings cannot size a pool on this disk; the message says which and why."""


def parse_vgs(text):
    """`vgs --noheadings --units b --nosuffix --separator : -o vg_name,vg_size,vg_free,vg_extent_size`.

    Returns {name: {"size": bytes, "free": bytes, "extent": bytes}}.
    """
    groups = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        fields = line.split(":")
        if len(fields) != 4:
            raise SizingError("unexpected vgs line %r" % line)
        name, size, free, extent = fields
        groups[name] = {"size": int(size), "free": int(free), "extent": int(extent)}
    return groups


def thinpool_plan(vg_size, extent_size, pool_percent=80, threshold=80, grow_percent=20):
    """Pool and brick volume sizes for a volume group of vg_size bytes.

    pool_percent: the pool's first size, in percent of the disk; the rest is
    left free for autoextend (and for the pool's metadata and its spare).
    threshold, grow_percent: autoextend once data or metadata use passes
    threshold percent, by grow_percent of the pool's size.

    Returns {"pool_mb", "volume_mb", "free_mb", "autoextend_steps"}: sizes in
    MiB, whole extents; autoextend_steps is how many times the pool can grow
    before the disk is full (at least one, or SizingError).
    """
    for name, value, low, high in (("pool_percent", pool_percent, 10, 95),
                                   ("threshold", threshold, 50, 99),
                                   ("grow_percent", grow_percent, 1, 100)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SizingError("%s is %r; use a whole number %d-%d" % (name, value, low, high))
    if extent_size <= 0 or extent_size % MIB:
        raise SizingError("extent size %r is not a whole number of MiB" % extent_size)
    extents = vg_size // extent_size
    pool_extents = extents * pool_percent // 100
    if pool_extents < 1:
        raise SizingError("the volume group holds %d extents: too small for a thin pool" % extents)
    free_extents = extents - pool_extents
    steps = 0
    pool = pool_extents
    free = free_extents
    while True:
        step = -(-pool * grow_percent // 100)  # LVM rounds the growth up to whole extents
        if step > free:
            break
        pool += step
        free -= step
        steps += 1
    if steps == 0:
        raise SizingError(
            "a %d%% pool leaves %d MiB free, less than one autoextend step of %d%% (%d MiB): lower "
            "the pool share or the growth step" % (pool_percent, free_extents * extent_size // MIB,
                                                   grow_percent, -(-pool_extents * grow_percent // 100)
                                                   * extent_size // MIB))
    extent_mb = extent_size // MIB
    return {"pool_mb": pool_extents * extent_mb, "volume_mb": extents * extent_mb,
            "free_mb": free_extents * extent_mb, "autoextend_steps": steps}
