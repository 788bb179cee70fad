# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the preflight layer; the logic is in module_utils (pure, pytest)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.module_utils import egress, fio, preflight


def preflight_limits(group_names, minimums, base):
    """Limits for one node: the largest minimum of any group it belongs to.

    minimums: {group: {vcpus, memory_mb, disk_free_gb: {path: GiB}}}
    base: limits shared by all nodes (supported_os, kernel_min, ...).
    """
    limits = dict(base or {})
    limits.update({"vcpus": 0, "memory_mb": 0, "disk_free_gb": {}})
    for group in group_names or []:
        spec = (minimums or {}).get(group)
        if not spec:
            continue
        limits["vcpus"] = max(limits["vcpus"], int(spec.get("vcpus", 0)))
        limits["memory_mb"] = max(limits["memory_mb"], int(spec.get("memory_mb", 0)))
        for path, gib in (spec.get("disk_free_gb") or {}).items():
            limits["disk_free_gb"][path] = max(limits["disk_free_gb"].get(path, 0), gib)
    return limits


def preflight_evaluate(hostvars, hosts):
    """Rows for every host; a host with no data (unreachable, failed) is a failure row."""
    rows = []
    for host in hosts:
        hv = hostvars[host]
        raw = hv.get("__preflight_raw")
        limits = hv.get("__preflight_node_limits")
        if raw is None or limits is None:
            rows.append({"host": host, "check": "reachable", "value": "no data", "threshold": "",
                         "status": preflight.FAIL,
                         "detail": "the node did not complete its checks: see the error above for it"})
            continue
        try:
            rows += preflight.evaluate_host(host, raw, limits)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnsibleFilterError("preflight data of %s is malformed: %s" % (host, exc))
    return rows


def preflight_found_versions(hostvars, hosts):
    """{host: {kernel, os}} of the hosts that reported their OS figures."""
    return preflight.found_versions({h: (hostvars[h].get("__preflight_raw") or {}).get("os") for h in hosts})


def preflight_storage_result(result, etcd_pids=None, size="64m"):
    """A storage_benchmark loop result -> the report's storage entry; a gate
    skipped on a live etcd node says how much measuring it would write."""
    size_bytes = fio.size_to_bytes(size)
    return preflight.storage_result(result, etcd_pids or [],
                                    lambda profiles: fio.bounded_write_bytes(profiles, size_bytes))


def preflight_storage_gaps(gates):
    """Messages for storage gates whose threshold preset lists a floor that
    none of their profiles measures (such a gate would pass unchecked)."""
    gaps = []
    for group, gate in sorted((gates or {}).items()):
        try:
            thresholds = fio.effective_thresholds(gate.get("role", "none"), gate.get("thresholds") or {})
        except ValueError as exc:
            gaps.append("preflight_storage.%s: %s" % (group, exc))
            continue
        uncovered = fio.uncovered_thresholds(thresholds, gate.get("profiles") or [])
        if uncovered:
            gaps.append("preflight_storage.%s: role %s sets %s, which need profile(s) %s: add them to its "
                        "profiles, or set those thresholds to null in its thresholds"
                        % (group, gate.get("role"), ", ".join(uncovered),
                           ", ".join(sorted(set(uncovered.values())))))
    return gaps


class FilterModule:
    def filters(self):
        return {
            "preflight_limits": preflight_limits,
            "preflight_evaluate": preflight_evaluate,
            "preflight_summary": preflight.summary,
            "preflight_found_versions": preflight_found_versions,
            "preflight_version_rows": preflight.version_rows,
            "preflight_node_fqdns": preflight.node_fqdns,
            "preflight_storage_result": preflight_storage_result,
            "preflight_storage_gaps": preflight_storage_gaps,
            "preflight_failure_message": preflight.failure_message,
            "preflight_markdown": preflight.markdown_report,
            "egress_allowlist": egress.allowlist,
            "egress_probe_urls": egress.probe_urls,
            "egress_expectations": egress.expectations,
        }
