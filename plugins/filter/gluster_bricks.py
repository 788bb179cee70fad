# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that size the storage nodes' thin pools (gluster_server role).

The logic lives in module_utils/gluster_bricks.py (pure, unit-tested).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: gluster_thinpool_plan
short_description: Size a storage node's LVM thin pool and brick volumes from its disk
description:
  - C(gluster_thinpool_plan) takes the output of
    C(vgs --noheadings --units b --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size) with a colon as separator,
    the volume group's name and the autoextend settings, and returns the pool's first size, each
    brick volume's virtual size (the whole disk) and how many autoextend steps the disk allows.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_bricks import SizingError, parse_vgs, thinpool_plan


def gluster_thinpool_plan(vgs_output, vg_name, pool_percent, threshold, grow_percent):
    try:
        groups = parse_vgs(vgs_output)
        if vg_name not in groups:
            raise SizingError("vgs does not list volume group %s" % vg_name)
        vg = groups[vg_name]
        return thinpool_plan(vg["size"], vg["extent"], int(pool_percent), int(threshold), int(grow_percent))
    except (SizingError, ValueError) as exc:
        raise AnsibleFilterError("gluster_thinpool_plan: %s" % exc)


class FilterModule:
    def filters(self):
        return {"gluster_thinpool_plan": gluster_thinpool_plan}
