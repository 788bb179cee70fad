# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the kubeflow_teams role; the logic is module_utils/kubeflow_teams.py (pure, unit-tested)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kubeflow_team_objects
short_description: The Kubernetes objects of the Kubeflow teams of the cluster description
description:
  - C(kubeflow_team_objects) turns one team of C(cluster_kubeflow.teams) into its Namespace (with the owner
    annotation the profile controller checks), Profile, ResourceQuota C(kf-resource-quota), CA ConfigMap,
    PodDefault and a ServiceAccount and RoleBinding per user, labelled as the installer's.
  - C(kubeflow_proxy_secret) is the team's proxy Secret (the URLs may hold credentials).
  - C(kubeflow_stale_objects) lists, from the registered results of k8s_info lookups looped over
    {api_version, kind}, the labelled objects that the description no longer has; C(kubeflow_kept_namespaces)
    the labelled namespaces of teams that left it; C(kubeflow_identities) names objects kind/namespace/name;
    C(kubeflow_in_namespaces) keeps the cluster-scoped objects and those of the given namespaces;
    C(kubeflow_references) turns C(kubeflow_stale_objects)' entries into objects to delete.
  - C(kubeflow_user) finds a user of the description ({team, name, email, account}).
  - C(kubeflow_user_kubeconfig) builds a kubeconfig with the admin kubeconfig's cluster and a user's token.
options:
  _input:
    description: A team, the objects found, the teams, or the parsed admin kubeconfig.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: The objects of a team
  ansible.builtin.debug:
    msg: "{{ cluster_kubeflow.teams[0] | mlplatform.installer.kubeflow_team_objects({'no_proxy': ['.svc']}) }}"
"""

RETURN = r"""
_value:
  description: A list of objects, a dict, or a list of names.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.module_utils import kubeflow_teams as kt


def kubeflow_team_objects(team, settings):
    try:
        return kt.team_objects(team, settings)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("kubeflow_team_objects: the team %r is incomplete (%s): run the inventory "
                                 "validation (playbooks/validate_inventory.yml)" % (team, exc))


def kubeflow_proxy_secret(team, http_proxy, https_proxy):
    return kt.proxy_secret(team, http_proxy, https_proxy)


def kubeflow_references(stale):
    return kt.references(stale)


def kubeflow_in_namespaces(objects, namespaces):
    return kt.in_namespaces(objects, namespaces)


def kubeflow_identities(objects):
    return [kt.identity(obj) for obj in objects]


def kubeflow_stale_objects(results, desired):
    return kt.stale_objects(kt.found_objects(results), desired)


def kubeflow_kept_namespaces(results, desired):
    return kt.kept_namespaces(kt.found_objects(results), desired)


def kubeflow_user(teams, user):
    return kt.find_user(teams, user)


def kubeflow_user_kubeconfig(admin, user, namespace, token):
    try:
        return kt.user_kubeconfig(admin, user, namespace, token)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("kubeflow_user_kubeconfig: %s" % exc)


class FilterModule:
    def filters(self):
        return {
            "kubeflow_team_objects": kubeflow_team_objects,
            "kubeflow_proxy_secret": kubeflow_proxy_secret,
            "kubeflow_identities": kubeflow_identities,
            "kubeflow_in_namespaces": kubeflow_in_namespaces,
            "kubeflow_references": kubeflow_references,
            "kubeflow_stale_objects": kubeflow_stale_objects,
            "kubeflow_kept_namespaces": kubeflow_kept_namespaces,
            "kubeflow_user": kubeflow_user,
            "kubeflow_user_kubeconfig": kubeflow_user_kubeconfig,
        }
