# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What kind of machine a node is, decided once for every role.

``node_in_container``
    ``ansible_facts | node_in_container`` is true on a container (the bed's
    podman nodes, docker, LXC, systemd-nspawn): there the kernel, the clock
    and /etc/hostname belong to the host, so roles write their boot-time
    files but do not apply them, and say so.
"""

from __future__ import annotations

# ansible_facts['virtualization_type'] values that mean a container
# (ansible.module_utils.facts.virtual.linux), with role "guest".
CONTAINER_TYPES = frozenset(["podman", "docker", "container", "containerd", "lxc", "systemd-nspawn"])


def node_in_container(facts):
    """True when the gathered facts describe a container."""
    facts = facts or {}
    return facts.get("virtualization_role") == "guest" and facts.get("virtualization_type") in CONTAINER_TYPES


class FilterModule:
    """Node kind filters."""

    def filters(self):
        return {"node_in_container": node_in_container}
