# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of the cluster description: :func:`validate` runs them all.

Every check adds :class:`Defect` objects and never raises: wrong types,
missing keys and garbage become defects naming the host, the variable, the
value and the fix. The checks live by concern in cluster_rules_*.py; this
module holds the helpers they share and the order they run in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cluster_formats import closest
from .cluster_rules_global import GlobalRules
from .cluster_rules_gluster import GlusterRules
from .cluster_rules_hosts import HostRules
from .cluster_rules_network import NetworkRules
from .cluster_rules_nodes import NodeRules
from .cluster_rules_proxy import ProxyRules
from .cluster_rules_release import ReleaseRules
from .cluster_values import MISSING, Defect, TemplateFailure, one_line, show, type_name
from .cluster_vars import CLUSTER_VARS, NODE_VARS, SAMPLE
from .cluster_view import ClusterView
from .inventory_sources import source_defects


class Validator(HostRules, GlobalRules, NetworkRules, ProxyRules, NodeRules, GlusterRules, ReleaseRules, ClusterView):
    """Runs every check; each check adds Defects and never stops the others."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.defects: list[Defect] = []
        self.consumed_typos: set = set()
        # Parsed values shared between checks (None when missing or invalid).
        self.subnet = None
        self.gateway = None
        self.service = None
        self.pod = None
        self.api = None
        self.node_ips: dict = {}

    def add(self, where: str, variable: str, value: Any, problem: str, fix: str) -> None:
        self.defects.append(Defect(where, variable, value, problem, fix))

    def guard(self, check, *args) -> None:
        """Run one check; an unexpected exception becomes a defect, not a traceback."""
        try:
            check(*args)
        except Exception as exc:  # the last line of defence: never a traceback
            self.add(
                "validation",
                check.__name__.lstrip("_"),
                one_line("%s: %s" % (type(exc).__name__, exc)),
                "internal error in this check (the other checks ran)",
                "report this as a bug of plugins/module_utils/cluster_model.py, with the inventory",
            )

    def var(self, where: str, values: Mapping, name: str, required: bool = True, hint: str = "") -> Any:
        """A variable's value, or MISSING after reporting why it cannot be used."""
        value = values.get(name, MISSING)
        if isinstance(value, TemplateFailure):
            self.add(where, name, value, "its Jinja expression cannot be evaluated (%s)" % value.error,
                     "correct the expression or write the value literally")
            return MISSING
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            self.add(where, name, value, "still holds a Jinja expression after templating (an undefined variable?)",
                     "correct the expression or write the value literally")
            return MISSING
        if value is MISSING and required:
            self.add(where, name, MISSING, "required variable is not set", self._missing_fix(where, values, name, hint))
        return value

    def _missing_fix(self, where: str, values: Mapping, name: str, hint: str) -> str:
        host = where[len("host "):] if where.startswith("host ") else None
        names = self.varnames.get(host) if host else None
        if names is None and self.nodes:
            names = self.varnames.get(self.nodes[0])
        candidates = [n for n in (names or []) if n not in CLUSTER_VARS + NODE_VARS]
        typo = closest(name, candidates, 0.7)
        if typo:
            self.consumed_typos.add(typo)
            return "rename the variable %s to %s" % (typo, name)
        if hint:
            return hint
        if host:
            return "set %s for host %s in hosts.yml" % (name, host)
        return "define %s in group_vars/all (every key is documented in %s)" % (name, SAMPLE)

    def expect(self, where: str, name: str, value: Any, kind: type | tuple, what: str) -> bool:
        """Type check; bool is never accepted as an integer."""
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _as_tuple(kind))
        if not ok:
            fix = "write %s" % what
            if int in _as_tuple(kind) and isinstance(value, str) and value.strip().isdigit():
                fix = "write %s without quotes" % value.strip()
            self.add(where, name, value, "must be %s, got %s" % (what, type_name(value)), fix)
        return ok

    def string_list(self, where: str, name: str, value: Any, example: str) -> list | None:
        """A YAML list of strings; a comma-separated string is a classic mistake."""
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
            self.add(where, name, value, "must be a YAML list, got a string",
                     "write a list, e.g. %s" % show(items or [example]))
            return None
        if not isinstance(value, (list, tuple)):
            self.add(where, name, value, "must be a list, got %s" % type_name(value),
                     "write a list, e.g. %s" % show([example]))
            return None
        for item in value:
            if not isinstance(item, str):
                self.add(where, name, value, "every entry must be a string, found %s (%s)" % (show(item), type_name(item)),
                         "quote the entry or correct it, e.g. %s" % show([example]))
                return None
        return list(value)

    def run(self) -> list[Defect]:
        for error in self.model.get("errors") or []:
            self.add("inventory", "hostvars", MISSING, str(error), "check the inventory with ansible-inventory --list")
        if not self.all_hosts:
            self.add("inventory", "hosts", self.model.get("sources") or [],
                     "the inventory has no hosts (Ansible could not read it, or it is empty)",
                     "check the -i path; Ansible's warnings above name the file it could not parse")
            return self.defects
        self.guard(self._check_sources)
        self.guard(self._check_groups)
        self.guard(self._check_hostnames)
        self.guard(self.collect_cluster_values)
        self.guard(self._check_cluster_consistency)
        self.guard(self._check_identity)
        self.guard(self._check_kubernetes_source)
        self.guard(self._check_rollout)
        self.guard(self._check_kubespray_keys)
        self.guard(self._check_backup)
        self.guard(self._check_gpu)
        self.guard(self._check_monitoring)
        self.guard(self._check_nexus)
        self.guard(self._check_kubeflow)
        self.guard(self._check_network)
        self.guard(self._check_cidrs)
        self.guard(self._check_name_resolution)
        self.guard(self._check_proxy)
        self.guard(self._check_ca_bundle)
        for host in self.nodes:
            self.guard(self._check_node, host)
        self.guard(self._check_unique_addresses)
        self.guard(self._check_api_endpoint)
        self.guard(self._check_gpu_assignment)
        self.guard(self._check_gluster)
        self.guard(self._check_release)
        self.guard(self._check_typos)
        return self.defects

    def run_node_rules(self) -> list[Defect]:
        """Only the checks of what a VM plan reads (vm_plan.build_plan): node names,
        node_* values, cluster_subnet, cluster_gateway and cluster_domain."""
        self.guard(self._check_hostnames)
        self.guard(self.collect_cluster_values)
        self.guard(self._check_node_domain)
        self.guard(self._check_network)
        for host in self.nodes:
            self.guard(self._check_node, host)
        self.guard(self._check_unique_addresses)
        self.guard(self._check_gpu_assignment)
        return self.defects

    def _check_sources(self) -> None:
        self.defects.extend(source_defects(self.model.get("sources") or [], set(self.all_hosts)))


def _as_tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _guarded(model: Any, rules: str) -> list[Defect]:
    """Run one set of the Validator's rules; an internal error becomes a defect, never a traceback."""
    validator = Validator(model)
    try:
        return getattr(validator, rules)()
    except Exception as exc:  # the last line of defence
        validator.add("validation", "model", one_line("%s: %s" % (type(exc).__name__, exc)),
                      "internal error", "report this as a bug of plugins/module_utils/cluster_model.py, with the inventory")
        return validator.defects


def validate(model: Any) -> list[Defect]:
    """Every defect of the cluster description; never raises."""
    return _guarded(model, "run")


def node_defects(model: Any) -> list[Defect]:
    """The defects of what a VM plan reads, found by the same checks as :func:`validate`."""
    return _guarded(model, "run_node_rules")
