# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether playbooks/scale.yml may join the hosts it was given: pure functions.

scale.yml joins new worker hosts to a running cluster: provision, preflight,
node prep and the Gluster mounts for those hosts only, then the Kubernetes
layer, whose decision must be Kubespray's ``scale`` path (or ``skip`` on a
re-run, when the hosts are Nodes already). Anything else is another
playbook's job, and the refusal names it. No I/O: plain pytest covers it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .cluster_formats import closest
from .kubespray_decision import CLUSTER, SCALE, SKIP

EXAMPLE = """-e '{"scale_nodes": ["worker3"]}'"""
# Hosts of these groups are not workers Kubespray's scale.yml can join.
CONTROL_GROUPS = ("kube_control_plane", "etcd")


def request_problems(scale_nodes, groups: Mapping) -> list:
    """The hosts named in scale_nodes against the inventory's groups; empty when they can join."""
    if scale_nodes is None or scale_nodes == [] or scale_nodes == "":
        return ["scale_nodes is not set: name the new worker hosts, for example %s." % EXAMPLE]
    if not isinstance(scale_nodes, list) or not all(isinstance(name, str) for name in scale_nodes):
        return ["scale_nodes must be a list of inventory host names, got %r: write it as %s." % (scale_nodes, EXAMPLE)]
    problems = []
    known = groups.get("all", [])
    for name in sorted(set(name for name in scale_nodes if scale_nodes.count(name) > 1)):
        problems.append("scale_nodes names %s twice: name each host once." % name)
    for name in dict.fromkeys(scale_nodes):
        if name not in known:
            twin = closest(name, known)
            problems.append("scale_nodes: %s is not in the inventory: add it to kube_node first%s." % (
                name, " (did you mean %s?)" % twin if twin else ""))
            continue
        control = [group for group in CONTROL_GROUPS if name in groups.get(group, [])]
        if control:
            problems.append(
                "scale_nodes: %s is in %s, and scale.yml joins workers only: a new control-plane or etcd member "
                "goes through playbooks/site.yml (Kubespray cluster.yml)." % (name, " and ".join(control)))
        elif name in groups.get("gluster_nodes", []):
            problems.append(
                "scale_nodes: %s is in gluster_nodes: a storage node changes the Gluster pool and its volumes, which "
                "playbooks/site.yml converges; scale.yml joins Kubernetes workers only." % name)
        elif name not in groups.get("kube_node", []):
            problems.append("scale_nodes: %s is not in kube_node: add it there (kube_node is a child of k8s_cluster) "
                            "before scaling." % name)
    return problems


def decision_problems(scale_nodes: list, decision: Mapping) -> list:
    """The Kubernetes layer's decision (kubespray_decision) against the hosts to join; empty when it is theirs."""
    verdict = decision.get("decision")
    if verdict == SKIP:
        # A re-run after a successful scale: the hosts are Nodes already and
        # every layer converges to no change.
        return []
    if verdict == CLUSTER:
        return ["The Kubernetes layer decided on Kubespray cluster.yml, not scale: %s. scale.yml only joins new "
                "workers to a running cluster; run playbooks/site.yml for this change." % decision.get("reason", "")]
    if verdict != SCALE:
        return ["The Kubernetes layer decided %r (%s); scale.yml needs its scale decision." % (
            verdict, decision.get("reason", ""))]
    unnamed = [host for host in decision.get("new_hosts", []) if host not in scale_nodes]
    if unnamed:
        return ["The inventory also adds %s, which scale_nodes does not name: Kubespray's scale.yml would join "
                "them unprepared. Add them to scale_nodes, or take them out of the inventory for now." % (
                    ", ".join(unnamed))]
    return []
