"""playbooks/scale.yml's refusals: the hosts named against the inventory, then against the layer's decision.

The decisions are the real kubespray_decision.decide() on the generated
inventories and the live state test_kubespray_decision.py uses (what the
bed's kube-apiserver answered), not hand-written dicts.
"""

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_decision as kd
from ansible_collections.mlplatform.installer.plugins.module_utils import scale_request as sr

from test_kubespray_decision import RELEASE, _files, _hosts, _live, _record, _state

GROUPS = {
    "all": ["cp1", "worker1", "worker2", "worker3", "gluster1", "gpu1"],
    "kube_control_plane": ["cp1"], "etcd": ["cp1"],
    "kube_node": ["worker1", "worker2", "worker3", "gpu1"], "gpu_nodes": ["gpu1"],
    "k8s_cluster": ["cp1", "worker1", "worker2", "worker3", "gpu1"], "gluster_nodes": ["gluster1"],
}


@pytest.mark.parametrize("value", [None, [], ""])
def test_no_hosts_named_says_how_to_name_them(value):
    assert sr.request_problems(value, GROUPS) == [
        """scale_nodes is not set: name the new worker hosts, for example -e '{"scale_nodes": ["worker3"]}'."""]


@pytest.mark.parametrize("value", ["worker3", ["worker3", 3], {"worker3": None}])
def test_anything_but_a_list_of_names_is_refused_with_the_form(value):
    problems = sr.request_problems(value, GROUPS)
    assert len(problems) == 1 and problems[0].startswith("scale_nodes must be a list of inventory host names")


def test_new_workers_and_gpu_workers_may_join():
    assert sr.request_problems(["worker3", "gpu1"], GROUPS) == []


def test_an_unknown_host_is_named_with_the_closest_name():
    assert sr.request_problems(["wroker3"], GROUPS) == [
        "scale_nodes: wroker3 is not in the inventory: add it to kube_node first (did you mean worker3?)."]


def test_control_plane_etcd_and_storage_hosts_go_through_site_yml():
    problems = sr.request_problems(["cp1", "gluster1"], GROUPS)
    assert problems[0].startswith("scale_nodes: cp1 is in kube_control_plane and etcd, and scale.yml joins workers")
    assert "playbooks/site.yml (Kubespray cluster.yml)" in problems[0]
    assert problems[1].startswith("scale_nodes: gluster1 is in gluster_nodes")


def test_a_host_outside_kube_node_and_a_host_named_twice_are_refused():
    groups = dict(GROUPS, all=GROUPS["all"] + ["nexus1"])
    problems = sr.request_problems(["nexus1", "worker3", "worker3"], groups)
    assert problems == ["scale_nodes names worker3 twice: name each host once.",
                        "scale_nodes: nexus1 is not in kube_node: add it there (kube_node is a child of k8s_cluster) "
                        "before scaling."]


def _decide(workers, files=None):
    now = kd.inventory_state(files) if files else _state(hosts=_hosts(workers=workers))
    return kd.decide(now, RELEASE, _live(), _record())


def test_the_scale_decision_for_exactly_the_named_hosts_passes():
    decision = _decide(("worker1", "worker2", "worker3"))
    assert decision["decision"] == "scale"
    assert sr.decision_problems(["worker3"], decision) == []


def test_a_rerun_after_joining_passes_on_skip():
    decision = _decide(("worker1", "worker2"))
    assert decision["decision"] == "skip"
    assert sr.decision_problems(["worker2"], decision) == []


def test_a_new_worker_the_request_does_not_name_is_refused():
    decision = _decide(("worker1", "worker2", "worker3", "worker4"))
    assert sr.decision_problems(["worker3"], decision) == [
        "The inventory also adds worker4, which scale_nodes does not name: Kubespray's scale.yml would join them "
        "unprepared. Add them to scale_nodes, or take them out of the inventory for now."]


def test_another_pending_change_refuses_and_points_at_site_yml():
    files = _files(hosts=_hosts(workers=("worker1", "worker2", "worker3")))
    files["group_vars/all/all.yml"] = b"---\nhttp_proxy: http://proxy:3128\n"
    decision = _decide(None, files)
    assert decision["decision"] == "cluster"
    (problem,) = sr.decision_problems(["worker3"], decision)
    assert problem.startswith("The Kubernetes layer decided on Kubespray cluster.yml, not scale: since the last apply")
    assert "cluster-wide settings (group_vars) changed" in problem
    assert problem.endswith("run playbooks/site.yml for this change.")


def test_a_refused_decision_is_not_a_scale():
    decision = kd.decide(_state(kube_version="1.35.3"), dict(RELEASE, kubernetes="1.35.3"), _live(), _record())
    assert decision["decision"] == "refuse"
    assert sr.decision_problems(["worker3"], decision)[0].startswith("The Kubernetes layer decided 'refuse'")
