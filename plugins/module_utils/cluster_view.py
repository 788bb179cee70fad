# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The description as the rules read it: hosts, nodes, groups, cluster-wide values.

Shared by the validation (cluster_rules.Validator extends it) and by no_proxy,
so both agree on which hosts are nodes and which value a cluster_* variable has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from .cluster_values import MISSING, canonical
from .cluster_vars import CLUSTER_VARS, GROUP_HYPERV, NODE_GROUPS


class ClusterView:
    """The model normalised: every field has its type whatever the inventory holds."""

    def __init__(self, model: Any) -> None:
        self.model = model if isinstance(model, Mapping) else {}
        groups = self.model.get("groups")
        self.groups: dict = {}
        if isinstance(groups, Mapping):
            for group, hosts in groups.items():
                if isinstance(hosts, (list, tuple)):
                    self.groups[str(group)] = [str(h) for h in hosts]
        hostvars = self.model.get("hostvars")
        self.hostvars: dict = {}
        if isinstance(hostvars, Mapping):
            for host, values in hostvars.items():
                self.hostvars[str(host)] = dict(values) if isinstance(values, Mapping) else {}
        varnames = self.model.get("varnames")
        self.varnames: dict = varnames if isinstance(varnames, Mapping) else {}
        self.all_hosts = self.groups.get("all", [])
        self.hyperv = self._members(GROUP_HYPERV)
        node_set = set()
        for group in NODE_GROUPS:
            node_set.update(self.groups.get(group, []))
        # A Hyper-V host listed in a node group is reported once, by the group checks.
        node_set.difference_update(self.hyperv)
        # Inventory order, so messages follow the file a person reads.
        self.nodes = [h for h in self.all_hosts if h in node_set]
        self.host_groups: dict = {h: [] for h in self.all_hosts}
        for group, hosts in self.groups.items():
            if group in ("all", "ungrouped"):
                continue
            for host in hosts:
                self.host_groups.setdefault(host, []).append(group)
        self.cluster: dict = {}
        self.inventory_dir = None

    def _members(self, group: str) -> list:
        return list(self.groups.get(group, []))

    def collect_cluster_values(self) -> None:
        """Take each cluster_* value from the nodes (the value most of them get)."""
        owners = self.nodes or [h for h in self.all_hosts if h != "localhost"]
        for name in CLUSTER_VARS:
            counts: Counter = Counter()
            first: dict = {}
            for host in owners:
                value = self.hostvars.get(host, {}).get(name, MISSING)
                key = canonical(value) if value is not MISSING else "\0missing"
                counts[key] += 1
                first.setdefault(key, value)
            if counts:
                best = max(counts.items(), key=lambda item: (item[1], item[0] != "\0missing"))[0]
                self.cluster[name] = first[best]
        for host in owners:
            directory = self.hostvars.get(host, {}).get("inventory_dir")
            if isinstance(directory, str) and directory:
                self.inventory_dir = directory
                break
