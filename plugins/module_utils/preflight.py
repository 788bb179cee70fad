# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure evaluation of preflight measurements: raw figures in, verdict rows out.

The preflight role gathers raw figures on every node (facts, resolve_names, curl,
fio through storage_benchmark, clock offset); these functions turn them into
rows `{host, check, value, threshold, status, detail}` with status pass, warn
or fail, and render the report. No Ansible import: plain pytest covers it.
"""

from __future__ import annotations

import re

from . import egress
from .storage_figures import age_text

PASS, WARN, FAIL = "pass", "warn", "fail"


def _row(host, check, value, threshold, status, detail=""):
    return {"host": host, "check": check, "value": value, "threshold": threshold,
            "status": status, "detail": detail}


def version_tuple(text):
    """'5.15.0-91-generic' -> (5, 15, 0); non-numeric parts end the tuple."""
    parts = []
    for piece in re.split(r"[.\-+~]", str(text)):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def os_id(distribution, version, major=None):
    """('Ubuntu', '24.04') -> 'ubuntu-24.04'; Debian is named by its major: 'debian-12'."""
    name = str(distribution).lower()
    if name == "debian" and major:
        return "debian-%s" % major
    return "%s-%s" % (name, str(version))


def path_ancestors(path):
    """'/var/lib/etcd' -> ['/var/lib/etcd', '/var/lib', '/var', '/']."""
    parts = [p for p in str(path).split("/") if p]
    return ["/" + "/".join(parts[:n]) for n in range(len(parts), 0, -1)] + ["/"]


def nearest_existing(paths, existing):
    """{path: its deepest existing ancestor (itself included)}; '/' always exists.

    Order matters here, which is why this is not Jinja: Ansible's `intersect`
    filter goes through a set and loses it (measured: it picked '/' for
    /var/lib/etcd on some runs).
    """
    existing = set(existing)
    return {path: next((a for a in path_ancestors(path) if a in existing), "/") for path in paths}


def node_fqdns(hostvars, hosts, domain):
    """{fqdn: node_ip} for the given hosts."""
    return {"%s.%s" % (host, domain): hostvars[host]["node_ip"] for host in hosts}


def live_etcd_reason(pids, write_bytes):
    """Why a gate with the etcd profile was skipped on a node running etcd,
    and how much measuring it would write (fio.bounded_write_bytes)."""
    return ("etcd is running on this node (pid %s): not measured, so the benchmark does not compete with etcd "
            "for its disk; -e preflight_measure_live_etcd=true measures it, writing at most %d MiB once "
            "(22 MiB for the etcd profile, preflight_storage_size for each other profile), then removing it"
            % (", ".join(str(p) for p in pids), -(-int(write_bytes) // (1024 * 1024))))


def storage_result(result, etcd_pids=None, write_bytes=None):
    """A storage_benchmark loop result -> {path, role, figures, verdicts, error, errors, unmeasured, ...}.

    The module fails when a threshold is missed (verdicts present), when a
    profile failed (errors, possibly beside verdicts of the profiles that
    ran) and when it could not measure at all (fio missing, no space, no
    such device: `measured` false): the last is `error`. A loop item the role skipped (a live etcd) carries
    skip_reason instead.
    """
    item = result.get("item") or {}
    path = item.get("path", result.get("invocation", {}).get("module_args", {}).get("path", "?"))
    base = {"path": path, "role": item.get("role", ""), "device": item.get("device") or "",
            "figures": result.get("figures") or {}, "verdicts": result.get("verdicts") or [],
            "errors": result.get("errors") or {}, "unmeasured": result.get("unmeasured") or [],
            "unmeasured_reason": result.get("unmeasured_reason") or "",
            "target": result.get("target") or {}, "error": "", "skipped": "",
            "reused_age": result.get("reused_age")}
    if result.get("skipped"):
        profiles = item.get("profiles") or []
        base["skipped"] = (live_etcd_reason(etcd_pids, write_bytes(profiles)) if etcd_pids and "etcd" in profiles
                           else "not measured: %s" % (result.get("skip_reason") or "skipped"))
        return base
    # The role registers with failed_when: false, which resets `failed`:
    # `measured` is what says whether fio ran at all.
    if not result.get("measured") and not base["verdicts"] and not base["errors"] \
            and not base["unmeasured_reason"]:
        base["error"] = str(result.get("msg") or "storage_benchmark failed")
    return base


def check_os(host, raw, limits):
    rows = []
    found = os_id(raw.get("distribution", "?"), raw.get("version", "?"), raw.get("major"))
    supported = [str(s).lower() for s in limits.get("supported_os", [])]
    ok = found in supported
    rows.append(_row(host, "os", found, " or ".join(supported), PASS if ok else FAIL,
                     "" if ok else "%s is not in cluster_release.os; install a supported release "
                     "or add it to the bundle only if the compatibility matrix allows it" % found))
    kernel = str(raw.get("kernel", ""))
    minimum = str(limits.get("kernel_min", "0"))
    ok = version_tuple(kernel) >= version_tuple(minimum)
    rows.append(_row(host, "kernel", kernel, ">= %s" % minimum, PASS if ok else FAIL,
                     "" if ok else "kernel %s is older than %s" % (kernel, minimum)))
    return rows


def check_resources(host, raw, limits):
    rows = []
    vcpus = int(raw.get("vcpus") or 0)
    need = int(limits.get("vcpus", 0))
    rows.append(_row(host, "vcpus", vcpus, ">= %d" % need, PASS if vcpus >= need else FAIL,
                     "" if vcpus >= need else "give the VM at least %d vCPUs (node_vcpus)" % need))
    mem = int(raw.get("memory_mb") or 0)
    need = int(limits.get("memory_mb", 0))
    # Hypervisors and firmware keep back a little RAM: allow 5% below the nominal size.
    ok = mem >= need * 0.95
    rows.append(_row(host, "memory_mb", mem, ">= %d" % need, PASS if ok else FAIL,
                     "" if ok else "give the VM at least %d MiB of RAM (node_memory_mb)" % need))
    free = raw.get("disk_free_mb") or {}
    for path, need_gb in sorted((limits.get("disk_free_gb") or {}).items()):
        have = free.get(path)
        if have is None:
            rows.append(_row(host, "disk_free:%s" % path, "no mount found", ">= %s GiB" % need_gb, FAIL,
                             "no file system holds %s" % path))
            continue
        have_gb = round(float(have) / 1024, 1)
        ok = have_gb >= float(need_gb)
        rows.append(_row(host, "disk_free:%s" % path, "%s GiB" % have_gb, ">= %s GiB" % need_gb,
                         PASS if ok else FAIL,
                         "" if ok else "free space on the file system holding %s, or grow its disk" % path))
    return rows


def parse_proc_swaps(text):
    """Active swap devices from /proc/swaps (a header line, then one line each)."""
    return [line.split()[0] for line in str(text).splitlines()[1:] if line.strip()]


def check_swap(host, raw):
    total = int(raw.get("total_mb") or 0)
    active = parse_proc_swaps(raw.get("proc_swaps", ""))
    if total == 0 and not active:
        return [_row(host, "swap", "off", "off", PASS)]
    # Node prep turns swap off for good; it is a warning here, not a gate.
    return [_row(host, "swap", "%d MiB on %s" % (total, ", ".join(active) or "?"), "off", WARN,
                 "the node_base role disables swap (kubelet requires it off)")]


def check_clock(host, raw, limits):
    offset = raw.get("offset_ms")
    limit = float(limits.get("clock_max_offset_ms", 500))
    if offset is None:
        return [_row(host, "clock_offset_ms", "not measured", "<= %g" % limit, FAIL,
                     raw.get("error", "no measurement"))]
    uncertainty = float(raw.get("uncertainty_ms") or 0)
    # Only fail when the offset is beyond the limit even allowing for the
    # round trip that brackets the measurement.
    ok = abs(float(offset)) - uncertainty <= limit
    value = "%.1f (+/- %.1f)" % (float(offset), uncertainty)
    return [_row(host, "clock_offset_ms", value, "<= %g" % limit, PASS if ok else FAIL,
                 "" if ok else "clock differs from the controller by %.0f ms: configure NTP "
                 "(cluster_ntp_servers) and check the hypervisor's time sync" % float(offset))]


def check_dns(host, raw):
    """Every node FQDN must resolve to its node_ip, or not at all (node prep adds /etc/hosts).

    raw: {"addresses": {name: [ip, ...] or None}, "expected": {name: ip}}
    """
    addresses = raw.get("addresses") or {}
    rows = []
    unresolved = []
    for name, expected in sorted((raw.get("expected") or {}).items()):
        got = addresses.get(name)
        if not got:
            unresolved.append(name)
        elif expected not in got:
            rows.append(_row(host, "dns:%s" % name, ", ".join(got), expected, FAIL,
                             "%s resolves to %s, not to its node_ip %s: fix the DNS record "
                             "(a stale record sends traffic to the wrong machine)"
                             % (name, ", ".join(got), expected)))
    total = len(raw.get("expected") or {})
    if unresolved:
        rows.append(_row(host, "dns", "%d/%d names resolve" % (total - len(unresolved), total),
                         "all node FQDNs", WARN,
                         "not in DNS: %s (node prep writes them to /etc/hosts)" % ", ".join(unresolved)))
    elif not rows:
        rows.append(_row(host, "dns", "%d/%d names resolve" % (total, total), "all node FQDNs", PASS))
    return rows


def check_egress(host, raw, mode):
    """Each endpoint must be answered by its origin through the proxy.

    raw: {"results": egress_probe results, "expect": {url: expectation}}.
    A proxy's own refusal (403/407, its error page, a refused CONNECT, a
    TLS-intercepting proxy's block page) is blocked, as is no answer at all
    (egress.classify). One row per node: how many endpoints are open, and
    each blocked one with whose answer it was and why, so a network team
    sees exactly what to open.
    """
    if mode == "skip":
        return []
    expect = raw.get("expect") or {}
    records = {r.get("url"): r for r in raw.get("results") or []}
    urls = list(expect) or list(records)
    blocked = []
    for url in urls:
        record = records.get(url, {"url": url, "error": "not probed (no result from egress_probe)"})
        verdict = egress.classify(record, expect.get(url))
        if verdict["verdict"] != egress.OPEN:
            # Say which path failed: a bed or a site without a proxy goes direct.
            path = "through the proxy" if record.get("via_proxy") else "direct"
            blocked.append("%s (%s, %s)" % (url, path, verdict["reason"]))
    value = "%d/%d endpoints open" % (len(urls) - len(blocked), len(urls))
    if not blocked:
        # Only a passing probe is ever kept and reused (egress.kept_reusable).
        kept = "" if raw.get("reused_age") in (None, "") else (
            "probe kept on the node from %s ago (-e preflight_reprobe=true probes again)"
            % age_text(int(raw["reused_age"])))
        return [_row(host, "egress", value, "all", PASS, kept)]
    return [_row(host, "egress", value, "all", FAIL if mode == "enforce" else WARN,
                 "blocked: %s; allow them (see the egress allowlist)" % "; ".join(blocked))]


def _figure(value):
    """Readable figure: 3 significant decimals below 1, 1 decimal above."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return value
    return round(value, 3) if abs(value) < 1 else round(value, 1)


def check_storage(host, results):
    """Rows per storage gate: one per figure judged, one failing row per
    profile fio could not run (named with fio's message), a warning for
    figures not measured (a disk holding data: read-only; a live etcd)."""
    rows = []
    for result in results:
        path = result.get("path", "?")
        where = result.get("device") or path
        check = "storage:%s" % where
        if result.get("skipped"):
            rows.append(_row(host, check, "not measured", "", WARN, result["skipped"]))
            continue
        if result.get("error"):
            rows.append(_row(host, check, "not measured", "", FAIL, result["error"]))
            continue
        for profile, message in sorted((result.get("errors") or {}).items()):
            rows.append(_row(host, "%s:%s" % (check, profile), "fio failed", "fio completes", FAIL, message))
        # A brick disk's rows say how it was measured (raw, in its mount, read-only).
        how = (result.get("target") or {}).get("reason", "") if result.get("device") else ""
        if result.get("reused_age") is not None:
            how = "; ".join(part for part in (how, "figures kept on the node from %s ago (-e preflight_remeasure=true "
                                              "measures again)" % age_text(result["reused_age"])) if part)
        for verdict in result.get("verdicts", []):
            detail = "" if verdict["passed"] else verdict.get("reason", "")
            rows.append(_row(host, "%s:%s" % (check, verdict["figure"]), _figure(verdict["value"]),
                             "%s %s" % (verdict["comparison"], verdict["threshold"]),
                             PASS if verdict["passed"] else FAIL, "; ".join(d for d in (detail, how) if d)))
        unmeasured = result.get("unmeasured") or []
        failed_profiles = set(result.get("errors") or {})
        # Figures of a failed profile already have their failing row above.
        unmeasured = [name for name in unmeasured if name.split("_")[0] not in failed_profiles]
        if unmeasured:
            rows.append(_row(host, "%s:unmeasured" % check, ", ".join(unmeasured), "measured", WARN,
                             result.get("unmeasured_reason") or "these figures were not measured"))
    return rows


def found_versions(host_facts):
    """{host: {kernel, os}} for version_check, from each node's raw OS figures."""
    found = {}
    for host, raw in host_facts.items():
        if raw:
            found[host] = {"kernel": raw.get("kernel"),
                           "os": os_id(raw.get("distribution", "?"), raw.get("version", "?"), raw.get("major"))}
    return found


def version_rows(conflicts):
    """Rows for compatibility conflicts: per node for host findings, 'cluster' for the bundle.

    With no conflict, one passing row records that the check ran.
    """
    if not conflicts:
        return [_row("cluster", "versions", "compatible", "compatibility/matrix.yml", PASS)]
    rows = []
    for conflict in conflicts:
        component = str(conflict.get("component", ""))
        host = "cluster"
        if component.startswith("hosts/"):
            host, component = component.split("/", 2)[1:]
        rows.append(_row(host, "versions:%s" % component, conflict.get("value"), conflict.get("expected"), FAIL,
                         "%s (%s)" % (conflict.get("message", conflict.get("rule")), conflict.get("source") or
                                      "compatibility/matrix.yml")))
    return rows


def evaluate_host(host, raw, limits):
    """All rows for one host from its raw preflight data."""
    rows = []
    rows += check_os(host, raw.get("os", {}), limits)
    rows += check_resources(host, raw.get("resources", {}), limits)
    rows += check_swap(host, raw.get("swap", {}))
    rows += check_clock(host, raw.get("clock", {}), limits)
    rows += check_dns(host, raw.get("dns", {}))
    rows += check_egress(host, raw.get("egress", {}), limits.get("egress_mode", "enforce"))
    rows += check_storage(host, raw.get("storage", []))
    return rows


def summary(rows):
    counts = {PASS: 0, WARN: 0, FAIL: 0}
    for row in rows:
        counts[row["status"]] += 1
    return counts


def unmeasured_warnings(rows):
    """One warning per storage row that stands for figures not measured."""
    return ["%s: %s not measured: %s" % (r["host"], r["check"], r["detail"]) for r in rows
            if r["status"] == WARN and r["check"].startswith("storage:")]


def failure_message(rows):
    """One line per failing row, grouped by host, for the run's final error."""
    failing = [r for r in rows if r["status"] == FAIL]
    lines = ["preflight failed: %d check(s) on %d node(s)" %
             (len(failing), len({r["host"] for r in failing}))]
    for row in failing:
        lines.append("%s: %s = %s (threshold %s)%s" % (row["host"], row["check"], row["value"],
                                                       row["threshold"],
                                                       (" - " + row["detail"]) if row["detail"] else ""))
    return "\n".join(lines)


def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_report(rows, title="Preflight report", allowlist=None):
    counts = summary(rows)
    out = ["# %s" % title, "",
           "%d pass, %d warn, %d fail" % (counts[PASS], counts[WARN], counts[FAIL]), "",
           "| node | check | value | threshold | result | detail |",
           "|---|---|---|---|---|---|"]
    for row in rows:
        cells = (_cell(row[k]) for k in ("host", "check", "value", "threshold", "status", "detail"))
        out.append("| %s |" % " | ".join(cells))
    if allowlist:
        out += ["", "## Egress allowlist", "",
                "Every node reaches these through the proxy (the network team approves this list).", "",
                "| host | port | needed by | purpose |", "|---|---|---|---|"]
        for entry in allowlist:
            out.append("| %s | %s | %s | %s |" % (entry["host"], entry["port"], entry["component"],
                                                  _cell(entry["purpose"])))
    return "\n".join(out) + "\n"
