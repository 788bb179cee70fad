# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Pure part of the PodDisruptionBudget pre-check (the pdb_check action): which
# pods a drain would evict, and what the eviction API's dry-run answer means.
# A drain hangs when an eviction is refused with 429 because a
# PodDisruptionBudget allows no disruption; asking the same API with
# dryRun=All before anything is cordoned names those budgets up front.
# Inputs are the API's own JSON (Pods, PodDisruptionBudgets, the Status an
# eviction returns); plain pytest covers them with responses captured from a
# real kube-apiserver. No I/O.

from __future__ import annotations

import json

# Rule names (playbooks and tests match on them).
RULE_BLOCKED = "pdb_blocks_drain"
RULE_ERROR = "eviction_dry_run_failed"

# Pods a drain does not evict (kubectl drain's own filters): DaemonSet pods
# (their controller ignores unschedulable and would put them back), mirror
# pods (static pods: the API cannot delete them), and pods that already ended.
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def _meta(obj):
    return (obj or {}).get("metadata") or {}


def pod_ref(pod):
    return "%s/%s" % (_meta(pod).get("namespace", "?"), _meta(pod).get("name", "?"))


def skip_reason(pod):
    """Why a drain leaves this pod alone, or None when it evicts it."""
    meta = _meta(pod)
    for owner in meta.get("ownerReferences") or []:
        if owner.get("kind") == "DaemonSet" and owner.get("controller"):
            return "DaemonSet pod (%s)" % owner.get("name")
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        return "mirror pod (a static pod of the kubelet)"
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return "already ended (phase %s)" % phase
    if meta.get("deletionTimestamp"):
        return "already being deleted"
    return None


def pods_to_evict(pods):
    """(pods a drain evicts, [{pod, reason}] it leaves alone)."""
    evict, skipped = [], []
    for pod in pods or []:
        reason = skip_reason(pod)
        if reason:
            skipped.append({"pod": pod_ref(pod), "reason": reason})
        else:
            evict.append(pod)
    return evict, skipped


def _expression_matches(expr, labels):
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False


def selector_matches(selector, labels):
    """A LabelSelector against a pod's labels. policy/v1: an empty selector
    matches every pod of the namespace, a missing one matches none."""
    if selector is None:
        return False
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_expression_matches(e, labels) for e in selector.get("matchExpressions") or [])


def pdbs_for_pod(pod, pdbs):
    """The PodDisruptionBudgets of the pod's namespace whose selector matches it."""
    meta = _meta(pod)
    return [p for p in pdbs or []
            if _meta(p).get("namespace") == meta.get("namespace")
            and selector_matches((p.get("spec") or {}).get("selector"), meta.get("labels"))]


def pdb_summary(pdb):
    """{namespace, name, disruptions_allowed, current_healthy, desired_healthy, expected_pods, budget}."""
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    if "minAvailable" in spec:
        budget = "minAvailable %s" % spec["minAvailable"]
    elif "maxUnavailable" in spec:
        budget = "maxUnavailable %s" % spec["maxUnavailable"]
    else:
        budget = "no minAvailable or maxUnavailable"
    return {
        "namespace": _meta(pdb).get("namespace"),
        "name": _meta(pdb).get("name"),
        "disruptions_allowed": status.get("disruptionsAllowed", 0),
        "current_healthy": status.get("currentHealthy", 0),
        "desired_healthy": status.get("desiredHealthy", 0),
        "expected_pods": status.get("expectedPods", 0),
        "budget": budget,
    }


def _status_body(body):
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return {"message": body}
    return body or {}


def eviction_verdict(node, pod, status_code, body, pdbs):
    """What one dry-run eviction answer means.

    status_code: the HTTP status of POST .../pods/<name>/eviction?dryRun=All
      (201: the eviction would be allowed; 429: a PodDisruptionBudget refuses it;
      anything else: the API could not decide, e.g. 500 when several budgets
      select the pod).
    body: the Status the API returned (JSON text or parsed).
    Returns {node, pod, verdict: allowed|blocked|error, pdbs: [pdb_summary], message}.
    """
    status = _status_body(body)
    message = status.get("message") or ""
    causes = [c.get("message") for c in (status.get("details") or {}).get("causes") or [] if c.get("message")]
    if causes:
        message = "%s (%s)" % (message, "; ".join(causes))
    matched = [pdb_summary(p) for p in pdbs_for_pod(pod, pdbs)]
    if status_code in (200, 201):
        verdict = "allowed"
    elif status_code == 429:
        verdict = "blocked"
    else:
        verdict = "error"
    return {"node": node, "pod": pod_ref(pod), "verdict": verdict, "http_status": status_code,
            "pdbs": matched, "message": message}


def blocked_lines(verdicts):
    """One sentence per refused eviction, naming the budget and the fix."""
    lines = []
    for v in verdicts:
        if v["verdict"] == "blocked":
            if v["pdbs"]:
                budgets = ", ".join(
                    "PodDisruptionBudget %s/%s (%s, disruptionsAllowed %d, %d of %d pods healthy)"
                    % (p["namespace"], p["name"], p["budget"], p["disruptions_allowed"], p["current_healthy"],
                       p["expected_pods"]) for p in v["pdbs"])
            else:
                budgets = "a PodDisruptionBudget (the API said: %s)" % v["message"]
            lines.append(
                "[%s] draining %s would hang: evicting pod %s is refused by %s. Fix: scale the workload up so the "
                "budget allows a disruption, or relax the budget, or move the pod off %s, then run again"
                % (RULE_BLOCKED, v["node"], v["pod"], budgets, v["node"]))
        elif v["verdict"] == "error":
            lines.append(
                "[%s] draining %s: the dry-run eviction of pod %s failed with HTTP %s: %s. Fix: resolve what the "
                "API says (a pod selected by several PodDisruptionBudgets cannot be evicted at all), then run again"
                % (RULE_ERROR, v["node"], v["pod"], v["http_status"], v["message"] or "no message"))
    return lines


def budget_pressure(verdicts):
    """Budgets that allow fewer disruptions than the pods of one node they cover:
    each eviction alone is allowed, but that node's drain waits until
    replacements are Ready elsewhere. Returns warning sentences."""
    per_node = {}
    for v in verdicts:
        if v["verdict"] != "allowed":
            continue
        for p in v["pdbs"]:
            key = (v["node"], p["namespace"], p["name"])
            entry = per_node.setdefault(key, {"pdb": p, "pods": []})
            entry["pods"].append(v["pod"])
    warnings = []
    for (node, namespace, name), entry in sorted(per_node.items()):
        if len(entry["pods"]) > entry["pdb"]["disruptions_allowed"]:
            warnings.append(
                "%s holds %d pods of PodDisruptionBudget %s/%s, which allows %d disruption(s) at a time: its drain "
                "waits for replacements to become Ready elsewhere (%s)"
                % (node, len(entry["pods"]), namespace, name, entry["pdb"]["disruptions_allowed"],
                   ", ".join(entry["pods"])))
    return warnings


def summary(nodes, verdicts, skipped):
    """One line for the log: how many pods were asked about and what blocks."""
    blocked = [v for v in verdicts if v["verdict"] != "allowed"]
    text = "PDB pre-check of %d node(s): %d pod(s) asked by dry-run eviction, %d left alone (DaemonSet, mirror " \
           "or ended), %d refused" % (len(nodes), len(verdicts), len(skipped), len(blocked))
    return text
