# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster description as a Kubespray v2.31.0 inventory.

Thin wrapper: the mapping lives in plugins/module_utils/kubespray_inventory.py.

``kubespray_inventory``
    ``hostvars | mlplatform.installer.kubespray_inventory(groups, label)``
    returns ``{files: {relative path: text}, problems: [...]}``: the files
    of the generated inventory (hosts.yml, group_vars/all/*.yml,
    group_vars/k8s_cluster/*.yml, extra-vars.yml), each variable under a
    comment naming the description key it comes from, or, when the
    description cannot be mapped, every problem (variable and fix) and no
    files. ``label`` names the description in the files' header (the
    inventory directory's name: a path would differ per checkout).

The result is marked unsafe: the files hold Jinja expressions meant for
Kubespray's run (``{{ files_repo }}/...``) that this run must never evaluate.
"""

from __future__ import annotations

from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model
from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory as mapping


def kubespray_inventory(hostvars, groups, label="cluster"):
    """{files: {path: text}, problems: [str]} for the description in hostvars/groups."""
    description = mapping.description_from_hostvars(hostvars, groups)
    # The same no_proxy list node_proxy writes on the nodes, plus the mirror.
    no_proxy = cluster_model.no_proxy(cluster_model.model_from_hostvars(hostvars, groups),
                                      extra=mapping.mirror_hosts(description))
    inventory = mapping.generate(description, no_proxy, rollout_default=cluster_model.ROLLOUT_DEFAULTS["nodes"])
    files = {} if inventory.problems else mapping.render(inventory, str(label))
    return wrap_var({"files": files, "problems": inventory.problems})


class FilterModule:
    """Kubespray filters."""

    def filters(self):
        return {"kubespray_inventory": kubespray_inventory}
