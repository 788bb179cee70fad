# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Pure refusal logic of playbooks/remove_node.yml: which of the nodes asked
# for may not be removed, and why, before anything is drained or deleted.
# Every refusal is {rule, node, message, fix}. Inputs are the inventory's
# groups, the Gluster volumes as `gluster volume info --xml` parses
# (module_utils/gluster.parse_volume_info), gluster_health's per-volume report
# (heal counters, quorum) and the pdb_check verdicts. No I/O.

from __future__ import annotations

RULES = {
    "remove_nodes_known": "every node to remove must be a host of the inventory",
    "first_control_plane": "the first control-plane node cannot be removed (Kubespray runs kubeadm init and keeps "
                           "the cluster's certificates there)",
    "etcd_quorum": "removing etcd members must leave a quorum of the current member count",
    "etcd_odd_members": "etcd must keep an odd number of members (an even count adds no fault tolerance)",
    "gluster_bricks_hold_data": "a Gluster node whose bricks hold data needs a replacement brick for each",
    "gluster_heal_pending": "a Gluster volume must have nothing left to heal before one of its bricks goes",
    "gluster_quorum": "a Gluster volume must keep its quorum while a brick is replaced",
    "pdb_blocks_drain": "a node whose drain a PodDisruptionBudget refuses cannot be drained",
}


def _refusal(rule, node, message, fix):
    return {"rule": rule, "node": node, "message": message, "fix": fix}


def _brick_host(brick_name):
    return brick_name.rsplit(":", 1)[0] if ":" in brick_name else brick_name


def node_bricks(volumes, node, aliases):
    """[(volume, brick name)] of `node`; a brick's host may be the node's name, address or FQDN."""
    names = {node} | set(aliases or [])
    return [(vol["name"], brick["name"]) for vol in (volumes or {}).values() for brick in vol.get("bricks") or []
            if _brick_host(brick["name"]) in names]


def check_control_plane(remove, groups):
    control_plane = list(groups.get("kube_control_plane") or [])
    if control_plane and control_plane[0] in remove:
        first = control_plane[0]
        others = [h for h in control_plane if h not in remove]
        fix = ("put another control-plane node first in kube_control_plane (one of %s), run "
               "playbooks/kubernetes.yml so it holds the cluster's certificates, then remove %s"
               % (", ".join(others), first)) if others else \
            "add another control-plane node first (list it in kube_control_plane and run playbooks/kubernetes.yml, " \
            "which scales the cluster), make it the first of kube_control_plane, then remove %s" % first
        return [_refusal("first_control_plane", first, "%s is kube_control_plane[0]: %s" % (first, RULES["first_control_plane"]),
                         fix)]
    return []


def check_etcd(remove, groups):
    members = list(groups.get("etcd") or [])
    leaving = [h for h in members if h in remove]
    if not leaving:
        return []
    remaining = len(members) - len(leaving)
    quorum = len(members) // 2 + 1
    refusals = []
    if remaining < quorum:
        refusals.append(_refusal(
            "etcd_quorum", ", ".join(leaving),
            "removing %d of %d etcd members leaves %d, below the quorum of %d (%s)"
            % (len(leaving), len(members), remaining, quorum, RULES["etcd_quorum"]),
            "remove etcd members one at a time (each run leaves a quorum), or add members first"
            if remaining > 0 else "an etcd cluster cannot remove all its members; keep at least one"))
    elif remaining % 2 == 0:
        refusals.append(_refusal(
            "etcd_odd_members", ", ".join(leaving),
            "removing %s leaves %d etcd members, an even count (%s)"
            % (", ".join(leaving), remaining, RULES["etcd_odd_members"]),
            ("add a member to the etcd group first (list it there and run playbooks/kubernetes.yml) so %d remain, "
             "or remove one more member in the same run" % (remaining + 1)) if remaining - 1 >= quorum else
            "add a member to the etcd group first (list it there and run playbooks/kubernetes.yml), so %d remain "
            "after this removal" % (remaining + 1)))
    return refusals


def check_gluster(remove, groups, volumes, health, replacements, aliases):
    """volumes: parse_volume_info(); health: gluster_health's `volumes` ({name: {heal, quorum, ...}});
    replacements: {"old-host:/brick": "new-host:/brick"}; aliases: {inventory host: [address, fqdn]}."""
    refusals = []
    replacements = replacements or {}
    health = health or {}
    for node in [h for h in groups.get("gluster_nodes") or [] if h in remove]:
        bricks = node_bricks(volumes, node, (aliases or {}).get(node))
        missing = [b for _v, b in bricks if b not in replacements]
        if missing:
            refusals.append(_refusal(
                "gluster_bricks_hold_data", node,
                "%s holds brick(s) %s of volume(s) %s and no replacement brick is given (%s)"
                % (node, ", ".join(missing), ", ".join(sorted({v for v, b in bricks if b in missing})),
                   RULES["gluster_bricks_hold_data"]),
                "give a replacement for each: -e '{\"node_removal_replacement_bricks\": {%s}}' (the new brick on a "
                "node of gluster_nodes that stays, prepared by playbooks/storage.yml)"
                % ", ".join('"%s": "<host>:<brick path>"' % b for b in missing)))
        for volume in sorted({v for v, _b in bricks}):
            report = health.get(volume) or {}
            heal = report.get("heal") or {}
            pending = (heal.get("pending") or 0) + (heal.get("split_brain") or 0) + (heal.get("possibly_healing") or 0)
            if pending:
                refusals.append(_refusal(
                    "gluster_heal_pending", node,
                    "volume %s, which has a brick on %s, has %d entries left to heal (%s)"
                    % (volume, node, pending, RULES["gluster_heal_pending"]),
                    "wait until `gluster volume heal %s info summary` shows 0 (resolve any split-brain), then run again"
                    % volume))
            quorum = report.get("quorum") or {}
            if quorum and (quorum.get("server_met") is False or quorum.get("client_met") is False):
                refusals.append(_refusal(
                    "gluster_quorum", node,
                    "volume %s has lost its %s quorum already (%s)"
                    % (volume, "server" if quorum.get("server_met") is False else "client", RULES["gluster_quorum"]),
                    "bring the volume's offline bricks and peers back (playbooks/validate.yml --tags validate_gluster "
                    "names them) before removing %s" % node))
    return refusals


def check_pdb(verdicts):
    refusals = []
    for v in verdicts or []:
        if v.get("verdict") == "allowed":
            continue
        budgets = ", ".join("%s/%s (disruptionsAllowed %s)" % (p["namespace"], p["name"], p["disruptions_allowed"])
                            for p in v.get("pdbs") or []) or "a PodDisruptionBudget"
        refusals.append(_refusal(
            "pdb_blocks_drain", v["node"],
            "the drain of %s would hang: evicting %s is refused by %s (%s)" % (v["node"], v["pod"], budgets, v.get("message", "")),
            "scale that workload up or relax its budget so a disruption is allowed, then run again"))
    return refusals


def refusals(remove_nodes, groups, all_hosts, volumes=None, health=None, replacements=None, aliases=None,
             pdb_verdicts=None):
    """Every reason the removal of `remove_nodes` is refused (empty: go)."""
    remove = list(dict.fromkeys(remove_nodes or []))
    unknown = [h for h in remove if h not in set(all_hosts or [])]
    found = [_refusal("remove_nodes_known", h, "%s is not a host of the inventory (%s)" % (h, RULES["remove_nodes_known"]),
                      "name hosts as the inventory does (remove_nodes=[...]); no node was touched") for h in unknown]
    if not remove:
        found.append(_refusal("remove_nodes_known", "-", "remove_nodes is empty",
                              "name the nodes to remove: -e '{\"remove_nodes\": [\"worker3\"]}'"))
    found += check_control_plane(remove, groups)
    found += check_etcd(remove, groups)
    found += check_gluster(remove, groups, volumes, health, replacements, aliases)
    found += check_pdb(pdb_verdicts)
    return found


def refusal_lines(found):
    return ["[%s] %s. Fix: %s" % (r["rule"], r["message"].rstrip("."), r["fix"]) for r in found]
