"""The PodDisruptionBudget pre-check (plugins/module_utils/pdb_check.py) on real API answers.

tests/unit/fixtures/pdb_check/ holds what kube-apiserver v1.35.4 (the bed's,
built from Go modules, in a molecule scenario) answered to exactly the
requests plugins/action/pdb_check.py makes; capture.py in that folder is how
they were taken. On the Node: a kube-system CoreDNS pod, a DaemonSet pod,
one pod guarded by PodDisruptionBudget `blocked` (minAvailable 1) and two
guarded by `spare` (maxUnavailable 1, selected by an expression).
"""

import json
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import pdb_check as pc

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pdb_check")
NODE = "h6-worker1"


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


PODS = load("pods-on-node.json")["items"]
PDBS = load("pdbs.json")["items"]


def pod(app):
    return next(p for p in PODS if (p["metadata"].get("labels") or {}).get("app") == app)


def test_a_drain_leaves_daemonset_pods_alone_and_asks_about_the_rest():
    evict, skipped = pc.pods_to_evict(PODS)
    assert sorted(p["metadata"]["name"].split("-")[0] for p in evict) == ["blocked", "coredns", "spare", "spare"]
    assert [s["reason"] for s in skipped] == ["DaemonSet pod (agent)"]


def test_mirror_and_ended_pods_are_left_alone():
    mirror = json.loads(json.dumps(pod("blocked")))
    mirror["metadata"].setdefault("annotations", {})[pc.MIRROR_ANNOTATION] = "abc"
    ended = json.loads(json.dumps(pod("blocked")))
    ended["status"]["phase"] = "Succeeded"
    assert pc.skip_reason(mirror).startswith("mirror pod")
    assert pc.skip_reason(ended) == "already ended (phase Succeeded)"
    assert pc.skip_reason(pod("blocked")) is None


def test_budgets_are_matched_by_labels_and_by_expressions():
    assert [p["metadata"]["name"] for p in pc.pdbs_for_pod(pod("blocked"), PDBS)] == ["blocked"]
    assert [p["metadata"]["name"] for p in pc.pdbs_for_pod(pod("spare"), PDBS)] == ["spare"]
    coredns = next(p for p in PODS if p["metadata"]["namespace"] == "kube-system")
    assert pc.pdbs_for_pod(coredns, PDBS) == []
    # policy/v1: an empty selector selects the whole namespace, a missing one nothing.
    assert pc.selector_matches({}, {"app": "x"}) and not pc.selector_matches(None, {"app": "x"})
    assert pc.selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"app": "x"})
    assert not pc.selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["x"]}]},
                                   {"app": "x"})


def test_a_429_names_the_blocking_budget_with_its_allowed_disruptions():
    verdict = pc.eviction_verdict(NODE, pod("blocked"), 429, load("eviction-blocked-429.json"), PDBS)
    assert verdict["verdict"] == "blocked"
    assert verdict["pod"].startswith("upgrade-gates/blocked-")
    assert verdict["pdbs"] == [{"namespace": "upgrade-gates", "name": "blocked", "disruptions_allowed": 0,
                                "current_healthy": 1, "desired_healthy": 1, "expected_pods": 1,
                                "budget": "minAvailable 1"}]
    assert "The disruption budget blocked needs 1 healthy pods and has 1 currently" in verdict["message"]
    line = pc.blocked_lines([verdict])[0]
    assert line.startswith("[pdb_blocks_drain] draining h6-worker1 would hang")
    assert "PodDisruptionBudget upgrade-gates/blocked (minAvailable 1, disruptionsAllowed 0" in line
    assert "Fix: " in line


def test_a_201_is_allowed_and_says_nothing():
    verdict = pc.eviction_verdict(NODE, pod("spare"), 201, load("eviction-spare-201.json"), PDBS)
    assert verdict["verdict"] == "allowed"
    assert verdict["pdbs"][0]["disruptions_allowed"] == 1 and verdict["pdbs"][0]["budget"] == "maxUnavailable 1"
    assert pc.blocked_lines([verdict]) == []


def test_a_pod_under_two_budgets_is_an_error_naming_the_api_message():
    body = json.dumps(load("eviction-two-pdbs-500.json")).encode()  # as the client hands it over: bytes
    verdict = pc.eviction_verdict(NODE, pod("blocked"), 500, body, PDBS)
    assert verdict["verdict"] == "error"
    line = pc.blocked_lines([verdict])[0]
    assert line.startswith("[eviction_dry_run_failed]") and "more than one PodDisruptionBudget" in line


def test_two_pods_of_a_budget_that_allows_one_on_one_node_warn_that_the_drain_waits():
    verdicts = [pc.eviction_verdict(NODE, p, 201, load("eviction-spare-201.json"), PDBS)
                for p in PODS if (p["metadata"].get("labels") or {}).get("app") == "spare"]
    warnings = pc.budget_pressure(verdicts)
    assert len(warnings) == 1 and "2 pods of PodDisruptionBudget upgrade-gates/spare" in warnings[0]
    assert pc.budget_pressure(verdicts[:1]) == []


@pytest.mark.parametrize("code, verdict", [(201, "allowed"), (200, "allowed"), (429, "blocked"), (403, "error")])
def test_status_codes(code, verdict):
    assert pc.eviction_verdict(NODE, pod("spare"), code, "{}", PDBS)["verdict"] == verdict
