# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the nexus role; the logic is module_utils/nexus_description.py (pure, unit-tested)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nexus_usage_limits
short_description: The usage limits of a pinned Nexus version's edition, with their sources
description:
  - C(nexus_usage_limits) turns cluster_release.nexus into one sentence stating the edition's usage limits
    (components, requests per day) and where Sonatype states them, for roles/nexus's preflight warning.
options:
  _input:
    description: The Nexus version (cluster_release.nexus), such as 3.71.0-06.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: State the usage limits of the pinned edition
  ansible.builtin.debug:
    msg: "WARNING: {{ cluster_release.nexus | mlplatform.installer.nexus_usage_limits }}"
"""

RETURN = r"""
_value:
  description: The sentence.
  type: str
"""

from ansible_collections.mlplatform.installer.plugins.module_utils.nexus_description import usage_limits


def nexus_usage_limits(version):
    return usage_limits(version)


class FilterModule:
    def filters(self):
        return {"nexus_usage_limits": nexus_usage_limits}
