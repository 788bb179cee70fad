"""A storage node's thin pool sized from its disk, with room to autoextend (roles/gluster_server)."""

import os

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_bricks import MIB, SizingError, parse_vgs, thinpool_plan

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GIB = 1024 * MIB
EXTENT = 4 * MIB  # vgcreate's default physical extent


# Captured from lvm2 2.03.16 (Debian 12): pvcreate + vgcreate vg_gluster on a
# 4096 GiB loop device (inventories/production's brick1), then the command
# tasks/bricks_lvm.yml runs:
# vgs --noheadings --units b --nosuffix --separator : -o vg_name,vg_size,vg_free,vg_extent_size vg_gluster
VGS_4096_GIB = "  vg_gluster:4398042316800:4398042316800:4194304\n"


def test_the_production_brick_disk():
    # inventories/production: brick1 of 4096 GB per storage node. The PV's
    # label and metadata area take the first extent, so the VG holds one
    # extent less than the disk.
    vg = parse_vgs(VGS_4096_GIB)["vg_gluster"]["size"]
    assert vg == 4096 * GIB - EXTENT
    plan = thinpool_plan(vg, EXTENT)
    assert plan["volume_mb"] == 4096 * 1024 - 4
    # 80% of the extents to start, the rest free for autoextend (figures
    # checked against the real VG above: lvcreate itself needs device-mapper,
    # which no kernel here offers).
    assert (plan["pool_mb"], plan["free_mb"]) == (3355440, 838860)
    assert plan["free_mb"] == plan["volume_mb"] - plan["pool_mb"]
    assert plan["autoextend_steps"] == 1
    # Not the old fixed 1 TiB per volume: a volume may grow to the whole disk.
    assert plan["volume_mb"] > 1024 * 1024


def test_more_room_more_steps_and_whole_extents():
    plan = thinpool_plan(1000 * GIB, EXTENT, pool_percent=50, threshold=80, grow_percent=20)
    assert plan["pool_mb"] % 4 == 0 and plan["volume_mb"] % 4 == 0
    # 50% then +20% steps of the growing pool: 60, 72, 86.4 -> 3 steps fit in 100%.
    assert plan["autoextend_steps"] == 3


def test_a_pool_share_that_leaves_no_room_to_grow_is_refused():
    with pytest.raises(SizingError, match="less than one autoextend step of 20%"):
        thinpool_plan(4096 * GIB, EXTENT, pool_percent=95)


@pytest.mark.parametrize("kwargs, text", [
    ({"pool_percent": 100}, "pool_percent is 100"),
    ({"threshold": 100}, "threshold is 100; use a whole number 50-99"),
    ({"grow_percent": 0}, "grow_percent is 0"),
    ({"pool_percent": True}, "pool_percent is True"),
])
def test_settings_out_of_range(kwargs, text):
    with pytest.raises(SizingError, match=text):
        thinpool_plan(100 * GIB, EXTENT, **kwargs)


def test_parse_vgs():
    assert parse_vgs(VGS_4096_GIB) == {"vg_gluster": {"size": 4398042316800, "free": 4398042316800,
                                                      "extent": 4194304}}
    assert parse_vgs("") == {}
    with pytest.raises(SizingError):
        parse_vgs("  vg_gluster 4398042316800\n")


def test_role_defaults_size_a_pool_that_can_grow():
    with open(os.path.join(REPO, "roles", "gluster_server", "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    plan = thinpool_plan(100 * GIB, EXTENT, defaults["gluster_server_thinpool_percent"],
                         defaults["gluster_server_thinpool_autoextend_threshold"],
                         defaults["gluster_server_thinpool_autoextend_percent"])
    assert plan["autoextend_steps"] >= 1
