# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on the inventory's shape: groups, host names, misspelt variables.

Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

import re

from .cluster_formats import LABEL_ANYCASE_RE, LABEL_RE, closest, is_domain
from .cluster_values import MISSING
from .cluster_vars import (
    CLUSTER_VARS,
    ETCD_SIZES,
    GROUP_CONTROL_PLANE,
    GROUP_ETCD,
    GROUP_GPU,
    GROUP_HYPERV,
    GROUP_K8S,
    GROUP_NEXUS,
    GROUP_WORKERS,
    MODEL_GROUPS,
    NODE_GROUPS,
    NODE_VARS,
)


class HostRules:
    """Groups, host names and misspelt variables."""

    def _check_groups(self) -> None:
        known = set(MODEL_GROUPS) | {"all", "ungrouped"}
        for group in self.groups:
            if group in known:
                continue
            twin = closest(group, MODEL_GROUPS, 0.8)
            if twin:
                self.add("group %s" % group, "group name", group,
                         "is not a group of the model; it looks like a misspelling of %s" % twin,
                         "rename the group to %s" % twin)
        for host in self.groups.get("ungrouped", []):
            if host != "localhost":
                self.add("host %s" % host, "groups", [], "the host is in no group, so no layer will use it",
                         "list it under one of %s" % ", ".join(MODEL_GROUPS))

        control = self._members(GROUP_CONTROL_PLANE)
        if not control:
            self.add("group %s" % GROUP_CONTROL_PLANE, "hosts", control, "a cluster needs a control-plane node",
                     "add 1 or 3 hosts to %s" % GROUP_CONTROL_PLANE)
        elif len(control) == 2:
            self.add("group %s" % GROUP_CONTROL_PLANE, "hosts", control,
                     "two control-plane nodes give no fault tolerance over one, and the API endpoint must still be a VIP",
                     "use 1 control-plane node, or 3 for high availability")
        etcd = self._members(GROUP_ETCD)
        if len(etcd) not in ETCD_SIZES:
            self.add("group %s" % GROUP_ETCD, "hosts", etcd,
                     "etcd needs an odd number of members (1, 3 or 5) to keep quorum; %d given" % len(etcd),
                     "list 1, 3 or 5 hosts under %s (usually the control-plane nodes)" % GROUP_ETCD)
        workers = self._members(GROUP_WORKERS)
        if not workers:
            self.add("group %s" % GROUP_WORKERS, "hosts", workers, "a cluster needs at least one worker",
                     "add the workers (and the GPU workers) to %s" % GROUP_WORKERS)
        k8s = set(self._members(GROUP_K8S))
        missing = [h for h in self.all_hosts if h in set(control) | set(workers) and h not in k8s]
        if missing:
            self.add("group %s" % GROUP_K8S, "hosts", sorted(k8s),
                     "does not contain %s" % ", ".join(missing),
                     "declare %s with children %s and %s, as in the sample" % (GROUP_K8S, GROUP_CONTROL_PLANE, GROUP_WORKERS))
        for host in self._members(GROUP_K8S):
            if host not in control and host not in workers and host not in self.hyperv:
                self.add("host %s" % host, "groups", self.host_groups.get(host, []),
                         "is in %s but in neither %s nor %s, so no layer installs Kubernetes on it"
                         % (GROUP_K8S, GROUP_CONTROL_PLANE, GROUP_WORKERS),
                         "list %s under %s (or %s); %s only has those two children" % (host, GROUP_WORKERS, GROUP_CONTROL_PLANE, GROUP_K8S))
        for host in self._members(GROUP_GPU):
            if host not in workers:
                self.add("host %s" % host, "groups", self.host_groups.get(host, []),
                         "is in %s but not in %s, so Kubernetes would never schedule on it" % (GROUP_GPU, GROUP_WORKERS),
                         "add %s to %s as well" % (host, GROUP_WORKERS))
        nexus = self._members(GROUP_NEXUS)
        if len(nexus) > 1:
            self.add("group %s" % GROUP_NEXUS, "hosts", nexus, "the model has one Nexus host, %d given" % len(nexus),
                     "keep one host in %s" % GROUP_NEXUS)
        for host in self.hyperv:
            node_groups = [g for g in self.host_groups.get(host, []) if g in NODE_GROUPS]
            if node_groups:
                self.add("host %s" % host, "groups", self.host_groups.get(host, []),
                         "a Hyper-V host cannot also be a cluster VM (%s)" % ", ".join(node_groups),
                         "give the VM its own inventory name and keep %s only in %s" % (host, GROUP_HYPERV))

    def _check_hostnames(self) -> None:
        seen: dict = {}
        for host in self.all_hosts:
            if host == "localhost":
                continue
            if host in self.nodes:
                self._check_node_name(host)
            elif host in self.hyperv and not is_domain(host):
                self.add("host %s" % host, "inventory_hostname", host,
                         "is not a valid RFC 1123 host name",
                         "use the Hyper-V host's DNS name: letters, digits and '-', dot-separated")
            twin = seen.get(host.lower())
            if twin is not None:
                self.add("host %s" % host, "inventory_hostname", host,
                         "is the same name as host %s (host names are case-insensitive)" % twin,
                         "give every host a unique name")
            seen.setdefault(host.lower(), host)

    def _check_node_name(self, host: str) -> None:
        where = "host %s" % host
        if LABEL_RE.match(host):
            return
        if "." in host:
            short = host.split(".")[0]
            self.add(where, "inventory_hostname", host,
                     "a node name must be a short name: the FQDN is built as name + '.' + cluster_domain",
                     "rename the host to %s" % short)
        elif LABEL_ANYCASE_RE.match(host):
            self.add(where, "inventory_hostname", host,
                     "Kubernetes node names must be lowercase (RFC 1123)", "rename the host to %s" % host.lower())
        else:
            self.add(where, "inventory_hostname", host,
                     "is not a valid RFC 1123 host name (a-z, 0-9 and '-', at most 63, starting and ending with a letter or digit)",
                     "rename the host, e.g. %s" % (re.sub(r"[^a-z0-9-]+", "-", host.lower()).strip("-")[:63] or "node1"))

    # -- cluster-wide values -----------------------------------------------

    def _check_typos(self) -> None:
        """Variables that look like a misspelt model variable are defects."""
        found: dict = {}
        for host in self.all_hosts:
            for name in self.varnames.get(host, []) or []:
                if name in CLUSTER_VARS or name in NODE_VARS or name in self.consumed_typos:
                    continue
                if name.startswith("cluster_"):
                    twin = closest(name, CLUSTER_VARS, 0.85)
                elif name.startswith("node_"):
                    twin = closest(name, NODE_VARS, 0.85)
                else:
                    twin = None
                if twin:
                    found.setdefault((name, twin), []).append(host)
        for (name, twin), hosts in found.items():
            value = self.hostvars.get(hosts[0], {}).get(name, MISSING)
            where = "all" if set(hosts) >= set(self.nodes) else "host %s" % ", ".join(hosts)
            self.add(where, name, value, "is not a variable of the model; it looks like a misspelling of %s" % twin,
                     "rename %s to %s (or remove it)" % (name, twin))
