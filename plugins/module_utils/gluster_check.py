# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One pass over a Gluster pool through the local CLI: peers, volumes, bricks, heals, quorum.

The gluster_health module (gates and validate) and the metrics collector
(gluster_metrics) judge the pool with this same pass. A command that fails
is a problem in the result, never an exception: a check reports what it
could read.
"""

from __future__ import absolute_import, division, print_function

from .gluster import (
    GlusterError,
    evaluate_pool,
    evaluate_volume,
    heal_summary_argv,
    parse_heal_summary,
    parse_pool_list,
    parse_volume_get,
    parse_volume_info,
    parse_volume_status,
    pool_list_argv,
    volume_get_argv,
    volume_info_argv,
    volume_status_argv,
)

__metaclass__ = type


def read(cli, words, parser):
    """(parsed, None), or (None, the failure naming the command)."""
    try:
        return cli.run(words, parser), None
    except GlusterError as exc:
        return None, exc.message


def check(cli, wanted, max_pending, require_quorum, per_started_volume=None):
    """One pass: {up, pool, infos, reports, problems, status_unknown}.

    ``cli`` is a gluster_cli.GlusterCli. ``up``: pool list and volume info
    answered. ``status_unknown``: started volumes whose status could not be
    read (unknown is not offline). ``per_started_volume(name)`` returns more
    problems for a started volume (the collector reads brick capacity there).
    """
    result = {"up": False, "pool": [], "infos": {}, "reports": {}, "problems": [], "status_unknown": []}
    problems = result["problems"]
    pool, error = read(cli, pool_list_argv(), parse_pool_list)
    if error:
        problems.append(error + " (is glusterd running on this node?)")
        return result
    result["pool"] = pool
    problems += evaluate_pool(pool)
    infos, error = read(cli, volume_info_argv(), parse_volume_info)
    if error:
        problems.append(error)
        return result
    result["up"], result["infos"] = True, infos
    for name in wanted or sorted(infos):
        info = infos.get(name)
        if info is None:
            problems.append("%s: volume does not exist (volumes: %s)" % (name, ", ".join(sorted(infos)) or "none"))
            continue
        status = heal = None
        if info["started"]:
            status, error = read(cli, volume_status_argv(name), parse_volume_status)
            if error:
                problems.append(error)
                result["status_unknown"].append(name)
            status = (status or {}).get(name, {})
            if info["replica_count"] > 1:
                heal, error = read(cli, heal_summary_argv(name), parse_heal_summary)
                if error:
                    problems.append("%s: heal state unknown: %s" % (name, error))
            if per_started_volume:
                problems += per_started_volume(name)
        options, error = read(cli, volume_get_argv(name), parse_volume_get)
        if error:
            problems.append(error)
        report, found = evaluate_volume(name, info, status, heal, options or {}, pool, max_pending, require_quorum)
        result["reports"][name] = report
        problems += found
    return result
