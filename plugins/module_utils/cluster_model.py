# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster description (inventory model): the one entry point callers import.

Pure functions, free of Ansible imports, so that plain pytest covers them and
the filter plugins (``plugins/filter/cluster.py``, ``vm_plan.py``) stay thin.

* :func:`model_from_hostvars` turns Ansible's ``hostvars`` and ``groups`` into
  a plain *model* dict (cluster_values.py).
* :func:`validate` returns every defect of a model as a list of
  :class:`Defect`; it never raises (cluster_rules.py, the rules by concern in
  cluster_rules_*.py). :func:`node_defects` runs only the rules on what a VM
  plan reads, so vm_plan takes values already judged.
* :func:`no_proxy` computes the ``no_proxy`` list of the cluster (no_proxy.py).

Where the rest lives: the groups, variables and limits in cluster_vars.py,
value formats in cluster_formats.py, the inventory files read as YAML in
inventory_sources.py, CA bundle checks in pem.py.

The model is documented, key by key, in ``inventories/sample/``. The model
dict has these keys::

    groups:   {group name: [host, ...]}          # Ansible's `groups`
    hostvars: {host: {variable: value}}          # node_*, cluster_* and a few more
    varnames: {host: [every variable name]}      # to spot misspelt variables
    sources:  [inventory source path, ...]       # `ansible_inventory_sources`
    matrix:   {...}                              # optional: the compatibility matrix
                                                 # (default: compatibility/matrix.yml)
"""

from __future__ import annotations

# Re-exported (__all__): callers import this module only.
from .cluster_formats import is_domain, parse_cidr, parse_ipv4
from .cluster_rules import Validator, node_defects, validate
from .cluster_rules_proxy import proxy_url_problem
from .cluster_values import MISSING, Defect, TemplateFailure, model_from_hostvars, show, type_name
from .cluster_vars import (
    CLUSTER_VARS,
    MODEL_GROUPS,
    NODE_GROUPS,
    NODE_VARS,
    RELEASE_OPTIONAL,
    RELEASE_REQUIRED,
    ROLLOUT_DEFAULTS,
)
from .cluster_view import ClusterView
from .inventory_sources import source_defects
from .no_proxy import merge_no_proxy, no_proxy, no_proxy_entry_problem
from .pem import ca_bundle_problems

__all__ = [
    "CLUSTER_VARS",
    "ClusterView",
    "Defect",
    "MISSING",
    "MODEL_GROUPS",
    "NODE_GROUPS",
    "NODE_VARS",
    "RELEASE_OPTIONAL",
    "RELEASE_REQUIRED",
    "ROLLOUT_DEFAULTS",
    "TemplateFailure",
    "Validator",
    "ca_bundle_problems",
    "is_domain",
    "merge_no_proxy",
    "model_from_hostvars",
    "no_proxy",
    "no_proxy_entry_problem",
    "node_defects",
    "parse_cidr",
    "parse_ipv4",
    "proxy_url_problem",
    "show",
    "source_defects",
    "type_name",
    "validate",
]
