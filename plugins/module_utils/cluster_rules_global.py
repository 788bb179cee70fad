# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on the cluster-wide values: set once, name and domains, source, rollout.

Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

import re
from typing import Any

from . import etcd_backup, gpu_operator_values, kubeflow_resources, kubeflow_teams, kubespray_inventory, monitoring
from . import nexus_description
from .cluster_formats import LABEL_RE, closest, is_domain
from .cluster_values import MISSING, canonical, show
from .cluster_vars import CLUSTER_VARS, KUBERNETES_SOURCES, ROLLOUT_DEFAULTS


class GlobalRules:
    """cluster_* values: the same on every node, well-formed identity, source and rollout."""

    def _check_cluster_consistency(self) -> None:
        for name in CLUSTER_VARS:
            reference = self.cluster.get(name, MISSING)
            if reference is MISSING:
                continue
            for host in self.nodes:
                value = self.hostvars.get(host, {}).get(name, MISSING)
                if value is MISSING or canonical(value) != canonical(reference):
                    problem = ("differs from the value the other hosts get (%s)" % show(reference, 60)
                               if value is not MISSING else "is not set for this host although the other hosts get it")
                    self.add("host %s" % host, name, value, problem,
                             "cluster-wide variables belong in group_vars/all only: remove %s from this host's "
                             "entry, its host_vars and its other groups' vars" % name)

    def _check_identity(self) -> None:
        name = self.var("all", self.cluster, "cluster_name")
        if name is not MISSING and self.expect("all", "cluster_name", name, str, "a string"):
            if not LABEL_RE.match(name):
                self.add("all", "cluster_name", name, "is not a lowercase RFC 1123 label",
                         "use a-z, 0-9 and '-' only, e.g. %s" % (re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "mlp"))
        domain = self.var("all", self.cluster, "cluster_domain")
        dns_domain = self.var("all", self.cluster, "cluster_dns_domain")
        domain_ok = self._check_domain_value("cluster_domain", domain, "dc1.example.com")
        dns_ok = self._check_domain_value("cluster_dns_domain", dns_domain, "cluster.local")
        if domain_ok and dns_ok:
            a, b = domain.lower(), dns_domain.lower()
            if a == b or a.endswith("." + b) or b.endswith("." + a):
                self.add("all", "cluster_domain", domain,
                         "overlaps cluster_dns_domain %s: CoreDNS would answer for the node names" % show(dns_domain),
                         "use the data centre's DNS domain for cluster_domain and keep cluster_dns_domain: cluster.local")
        if domain_ok:
            for host in self.nodes:
                if LABEL_RE.match(host) and len(host) + 1 + len(domain) > 253:
                    self.add("host %s" % host, "inventory_hostname", host,
                             "the FQDN %s.%s is longer than 253 characters" % (host, domain), "shorten the name or the domain")

    def _check_node_domain(self) -> None:
        """cluster_domain alone (node FQDNs), for the VM plan's subset of the rules."""
        self._check_domain_value("cluster_domain", self.var("all", self.cluster, "cluster_domain"), "dc1.example.com")

    def _check_kubernetes_source(self) -> None:
        source = self.var("all", self.cluster, "cluster_kubernetes_source", required=False)
        if source is not MISSING and source not in KUBERNETES_SOURCES:
            self.add("all", "cluster_kubernetes_source", source, "is not one of %s" % ", ".join(KUBERNETES_SOURCES),
                     "use kubespray (this project installs the cluster) or existing (a running cluster, checked "
                     "against this description)")

    def _check_rollout(self) -> None:
        """Optional batch sizes: a positive integer or a percentage 'N%' (1-100) per known key."""
        rollout = self.var("all", self.cluster, "cluster_rollout", required=False)
        if rollout is MISSING or not self.expect("all", "cluster_rollout", rollout, dict, "a mapping such as %s"
                                                 % show(ROLLOUT_DEFAULTS)):
            return
        for key, value in rollout.items():
            name = "cluster_rollout.%s" % key
            if key not in ROLLOUT_DEFAULTS:
                twin = closest(str(key), ROLLOUT_DEFAULTS, 0.6)
                self.add("all", name, value, "is not a rollout key (%s)" % ", ".join(ROLLOUT_DEFAULTS),
                         "rename it to %s" % twin if twin else "remove it")
                continue
            percent = re.fullmatch(r"(\d+)%", value) if isinstance(value, str) else None
            if percent and 1 <= int(percent.group(1)) <= 100:
                continue
            if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
                continue
            self.add("all", name, value, "must be a number of nodes (1 or more) or a share such as '25%'",
                     "write e.g. %s: %s" % (key, show(ROLLOUT_DEFAULTS[key])))

    def _check_kubespray_keys(self) -> None:
        """cluster_mirror, cluster_drain, cluster_api_loadbalancer: the Kubespray mapping's own keys, judged there."""
        self.defects.extend(kubespray_inventory.description_defects(self.model))

    def _check_backup(self) -> None:
        """cluster_backup (retention, dir), judged by the backup's own rules before any host is touched."""
        backup = self.var("all", self.cluster, "cluster_backup", required=False)
        if backup is MISSING:
            return
        if backup is None:
            self.add("all", "cluster_backup", backup, "is empty", "remove it for the defaults, or write "
                     "{retention: %d, dir: /srv/backups/<cluster>}" % etcd_backup.DEFAULT_RETENTION)
            return
        for problem in etcd_backup.settings_problems(backup):
            self.add("all", "cluster_backup", backup, problem.rstrip("."), "see roles/etcd_backup/README.md")

    def _check_gpu(self) -> None:
        """cluster_gpu (MIG strategy, the driver's apt mirror, precompiled drivers), judged by the GPU layer's own rules."""
        gpu = self.var("all", self.cluster, "cluster_gpu", required=False)
        if gpu is MISSING:
            return
        if gpu is None:
            self.add("all", "cluster_gpu", gpu, "is empty", "remove it for the defaults, or write {mig_strategy: single}")
            return
        release = self.cluster.get("cluster_release")
        driver = release.get("nvidia_driver") if isinstance(release, dict) else None
        for problem in gpu_operator_values.cluster_gpu_problems(gpu, driver):
            self.add("all", "cluster_gpu", gpu, problem, "see roles/gpu_operator/README.md")

    def _check_monitoring(self) -> None:
        """cluster_monitoring (retention, sizes), judged by the monitoring layer's own rules."""
        value = self.var("all", self.cluster, "cluster_monitoring", required=False)
        if value is MISSING:
            return
        for problem in monitoring.cluster_monitoring_problems(value):
            self.add("all", "cluster_monitoring", value, problem, "see roles/monitoring/README.md")

    def _check_nexus(self) -> None:
        """cluster_nexus (the pinned archive, ports, memory against the nexus host), judged by the Nexus layer's rules."""
        value = self.var("all", self.cluster, "cluster_nexus", required=False)
        if value is MISSING:
            return
        release = self.cluster.get("cluster_release")
        hosts = [(h, self.hostvars.get(h, {}).get("node_memory_mb")) for h in self.groups.get("nexus", [])]
        for problem in nexus_description.cluster_nexus_problems(
                value, release.get("nexus") if isinstance(release, dict) else None, hosts):
            self.add("all", "cluster_nexus", value, problem, "see roles/nexus/README.md")

    def _check_kubeflow(self) -> None:
        """cluster_kubeflow (teams, quotas, users, identity) and the layer's resource needs against the
        kube_node sizes, judged by the Kubeflow layer's own rules (module_utils/kubeflow_teams.py)."""
        value = self.var("all", self.cluster, "cluster_kubeflow", required=False)
        if value is MISSING:
            return
        release = self.cluster.get("cluster_release")
        release = release.get("kubeflow") if isinstance(release, dict) else None
        cluster = kubeflow_resources.capacity(self.groups, self.hostvars)
        for variable, found, problem, fix in kubeflow_teams.description_problems(value, cluster, release):
            self.add("all", variable, found, problem, fix)

    def _check_domain_value(self, name: str, value: Any, example: str) -> bool:
        if value is MISSING or not self.expect("all", name, value, str, "a string"):
            return False
        if value.endswith("."):
            self.add("all", name, value, "ends with a dot", "write %s" % value.rstrip("."))
            return False
        if not is_domain(value):
            self.add("all", name, value, "is not a valid DNS domain (RFC 1123 labels separated by dots)",
                     "write a domain such as %s" % example)
            return False
        return True
