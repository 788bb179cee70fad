# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts a plan play found nothing to change on (callback change_plan)."""

from __future__ import annotations


def unchanged(plans, role):
    """Sorted hosts whose change_plan lists `role` with no task to change.

    plans maps host -> its change_plan fact (or None). A host without a plan
    for the role (not planned: callback off, tags, unreachable) is never in
    it: without a plan, a node rolls as before.
    """
    return sorted(host for host, plan in plans.items()
                  if isinstance(plan, dict) and role in plan and not plan[role])


def _plans(hostvars, hosts):
    """host -> its change_plan fact (None without one)."""
    return {host: hostvars[host].get("change_plan") for host in hosts}


def change_plan_exclusions(hostvars, role):
    """A host-pattern suffix (`:!a:!b`) leaving out the nodes with nothing to change."""
    return "".join(":!" + host for host in unchanged(_plans(hostvars, hostvars), role))


def summary(plans, roles):
    """One line per node that rolls, per role, then the nodes that do not."""
    lines, quiet = [], []
    for host in sorted(plans):
        plan = plans[host] if isinstance(plans[host], dict) else {}
        rolls = False
        for role in roles:
            if role not in plan:
                lines.append("%s: %s not planned here, it rolls" % (host, role))
                rolls = True
            elif plan[role]:
                lines.append("%s: %s would change: %s" % (host, role, "; ".join(plan[role])))
                rolls = True
        if not rolls:
            quiet.append(host)
    if quiet:
        lines.append("nothing to change, left out of the rollouts: " + ", ".join(quiet))
    return lines


def change_plan_summary(hosts, hostvars, roles):
    """summary() for the play's hosts, read from their change_plan facts."""
    return summary(_plans(hostvars, hosts), list(roles))


class FilterModule:
    def filters(self):
        return {
            "change_plan_exclusions": change_plan_exclusions,
            "change_plan_summary": change_plan_summary,
        }
