# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the cluster description (the inventory model).

Thin wrappers: the logic lives behind plugins/module_utils/cluster_model.py (its
docstring says which module holds what).

``cluster_inventory_errors``
    ``hostvars | cluster_inventory_errors(groups, ansible_inventory_sources)``
    returns every defect of the inventory as a list of strings, each naming
    the host (or ``all``), the variable, its value, the problem and the fix.
    An empty list means the inventory is valid. It never raises.

``cluster_no_proxy``
    ``hostvars | cluster_no_proxy(groups)`` returns the cluster's ``no_proxy``
    entries as a list (``| join(',')`` for the environment variable):
    localhost, node addresses, short names and FQDNs, the node subnet, the
    service and pod CIDRs, ``.svc`` and ``.<cluster_dns_domain>``, the API
    endpoint and ``cluster_no_proxy_extra``; ``extra=[...]`` adds more and
    ``compact=true`` drops addresses and names already covered by a CIDR or a
    ``.domain`` entry (only for tools that understand CIDRs).

``cluster_rollout``
    ``cluster_rollout | default({}) | cluster_rollout`` is the batch sizes of
    a rolling change, the description's over the defaults
    (``cluster_model.ROLLOUT_DEFAULTS``, the same the validation names).

"""

from __future__ import annotations

from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as model


def cluster_inventory_errors(hostvars, groups, sources=None):
    """Every defect of the cluster description, as strings; [] when valid.

    The messages quote inventory values, which may hold '{{ ... }}' that
    could not be evaluated: they are marked unsafe so that Ansible never
    templates them again (set_fact, when, debug).
    """
    try:
        messages = [str(defect) for defect in model.validate(model.model_from_hostvars(hostvars, groups, sources))]
    except Exception as exc:  # never a traceback in the user's face
        messages = ["validation: cluster_inventory_errors = '%s: %s': internal error. Fix: report this as a bug of "
                    "plugins/filter/cluster.py, with the inventory" % (type(exc).__name__, exc)]
    return wrap_var(messages)


def cluster_no_proxy(hostvars, groups, extra=None, compact=False):
    """The no_proxy entries of the cluster (a list; join with ',')."""
    return model.no_proxy(model.model_from_hostvars(hostvars, groups), extra=extra, compact=bool(compact))


def cluster_rollout(rollout):
    """Batch sizes of a rolling change: the description's over the defaults."""
    return dict(model.ROLLOUT_DEFAULTS, **(rollout or {}))


class FilterModule:
    """Cluster description filters."""

    def filters(self):
        return {
            "cluster_inventory_errors": cluster_inventory_errors,
            "cluster_no_proxy": cluster_no_proxy,
            "cluster_rollout": cluster_rollout,
        }
