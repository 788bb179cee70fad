"""GPU checks (issue 17): the ClusterPolicy state, allocatable GPUs and driver
version per Node, and the guest preflight's parsing, on realistic JSON and
tool output (tests/unit/fixtures/gpu/README.md says where each comes from)."""

import copy
import json
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import gpu_validation as gv

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "gpu")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f) if name.endswith(".json") else f.read()


def node(allocatable="2", **labels):
    n = fixture("node-gpu01.json")
    n["status"]["allocatable"]["nvidia.com/gpu"] = allocatable
    n["metadata"]["labels"].update(labels)
    return n


POLICY_READY = {"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy", "metadata": {"name": "cluster-policy"},
                "status": {"state": "ready", "namespace": "gpu-operator",
                           "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled",
                                           "message": "ClusterPolicy is ready as all resources have been successfully reconciled"},
                                          {"type": "Error", "status": "False", "reason": "Ready"}]}}
POLICY_NOT_READY = {"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy", "metadata": {"name": "cluster-policy"},
                    "status": {"state": "notReady", "namespace": "gpu-operator",
                               "conditions": [{"type": "Ready", "status": "False", "reason": "OperandNotReady",
                                               "message": "ClusterPolicy is not ready, states not ready: [state-driver]"},
                                              {"type": "Error", "status": "True", "reason": "OperandNotReady"}]}}


def test_cluster_policy_ready():
    assert gv.cluster_policy_state(POLICY_READY) == (True, "ClusterPolicy cluster-policy: state ready")


def test_cluster_policy_not_ready_names_its_state_and_conditions():
    ready, state = gv.cluster_policy_state(POLICY_NOT_READY)
    assert not ready
    assert state.startswith("ClusterPolicy cluster-policy: state notReady")
    assert "states not ready: [state-driver]" in state and "Error=True" in state


def test_cluster_policy_absent_or_unreconciled():
    assert gv.cluster_policy_state(None)[0] is False
    ready, state = gv.cluster_policy_state({"metadata": {"name": "cluster-policy"}, "spec": {}})
    assert not ready and "no state reported" in state


def test_gpu_node_matching_the_inventory_passes():
    assert gv.node_problems([node()], {"gpu01": 2}, "595.91.07") == []


def test_short_allocatable_names_the_node_and_both_counts():
    problems = gv.node_problems([node(allocatable="1")], {"gpu01": 2})
    assert len(problems) == 1
    assert problems[0].startswith("gpu01: allocatable nvidia.com/gpu is 1 (capacity 2), the inventory's node_gpu_devices lists 2")


def test_missing_resource_and_missing_node():
    n = node()
    del n["status"]["allocatable"]["nvidia.com/gpu"]
    assert "allocatable nvidia.com/gpu is absent" in gv.node_problems([n], {"gpu01": 2})[0]
    assert gv.node_problems([], {"gpu02": 4})[0].startswith("gpu02: no Node of that name")


def test_driver_version_from_gfd_labels():
    assert gv.driver_version(node()) == "595.91.07"
    legacy = node()
    del legacy["metadata"]["labels"]["nvidia.com/cuda.driver-version.full"]
    assert gv.driver_version(legacy) == "595.91.07"
    bare = copy.deepcopy(legacy)
    for name in gv.DRIVER_LABEL_PARTS:
        del bare["metadata"]["labels"][name]
    assert gv.driver_version(bare) is None
    assert "no driver version label" in gv.node_problems([bare], {"gpu01": 2}, "595.91.07")[0]


def test_driver_version_differing_from_the_bundle():
    problems = gv.node_problems([node(**{"nvidia.com/cuda.driver-version.full": "580.173.02"})], {"gpu01": 2}, "595.91.07")
    assert problems == ["gpu01: driver 580.173.02 runs on the Node, the bundle pins cluster_release.nvidia_driver 595.91.07; "
                        "the driver upgrade (driver.upgradePolicy) has not reached it"]


# --- guest preflight ---------------------------------------------------------

LSPCI = fixture("lspci-nn-dda-2gpu.txt")
BLACKLIST = "blacklist nouveau\noptions nouveau modeset=0\n"
MODULES = "hv_vmbus 131072 8 hv_netvsc, Live 0x0000000000000000\n"


def test_lspci_counts_nvidia_gpus_not_their_audio_functions():
    assert gv.nvidia_devices(LSPCI) == [("4e3b:00:00.0", "10de:20b5"), ("9d17:00:00.0", "10de:20b5")]


def test_secure_boot_states():
    assert gv.secure_boot_state(fixture("mokutil-enabled.txt")) == "enabled"
    assert gv.secure_boot_state(fixture("mokutil-disabled.txt")) == "disabled"
    assert gv.secure_boot_state(fixture("mokutil-bios.txt")) == "disabled"
    assert gv.secure_boot_state("") == "unknown"


def test_a_ready_guest_passes():
    assert gv.preflight_problems("gpu01", 2, LSPCI, MODULES, BLACKLIST, "6.8.0-49-generic", "6.8.0-49.49",
                                 fixture("mokutil-disabled.txt")) == []


@pytest.mark.parametrize("change, expected", [
    (dict(want=3), "gpu01: lspci shows 2 NVIDIA GPU(s) (vendor 10de: 4e3b:00:00.0, 9d17:00:00.0), node_gpu_devices lists 3"),
    (dict(lspci=""), "gpu01: lspci shows 0 NVIDIA GPU(s) (vendor 10de), node_gpu_devices lists 2"),
    (dict(modprobe="options snd slots=1\n# blacklist nouveau\n"), "gpu01: nouveau is not blacklisted"),
    (dict(modules=MODULES + "nouveau 2367488 0 - Live 0x0000000000000000\n"), "gpu01: the nouveau module is loaded"),
    (dict(headers="(none)"), "gpu01: no linux-headers-6.8.0-49-generic in the apt sources"),
    (dict(mokutil="SecureBoot enabled\n"), "gpu01: Secure Boot is enabled"),
])
def test_each_preflight_failure_names_host_and_piece(change, expected):
    args = dict(want=2, lspci=LSPCI, modules=MODULES, modprobe=BLACKLIST, headers="6.8.0-49.49", mokutil="SecureBoot disabled")
    args.update(change)
    problems = gv.preflight_problems("gpu01", args["want"], args["lspci"], args["modules"], args["modprobe"],
                                     "6.8.0-49-generic", args["headers"], args["mokutil"])
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_no_loadable_modules_is_not_a_loaded_nouveau():
    # A container (the bed) has no /proc/modules: that check cannot say "loaded".
    assert gv.preflight_problems("gpu01", 2, LSPCI, None, BLACKLIST, "6.1.0-28-amd64", "6.1.119-1",
                                 "SecureBoot disabled") == []


def test_lspci_that_could_not_run_is_named():
    problems = gv.preflight_problems("gpu01", 2, None, None, BLACKLIST, "6.1.0-28-amd64", "6.1.119-1", "SecureBoot disabled")
    assert problems == ["gpu01: lspci could not run, so the passed-through GPUs cannot be counted: install pciutils "
                        "(node prep does on gpu_nodes)"]


# Captured on a bed node (Debian 12): apt-cache policy of the headers
# metapackage; for the machine's own kernel (6.18.44-fc-v657) it printed nothing.
APT_POLICY = fixture("apt-cache-policy-headers.txt")


def test_headers_candidate_from_apt_cache_policy():
    assert gv.headers_candidate(APT_POLICY) == "6.1.192-3"
    assert gv.headers_candidate(APT_POLICY.replace("Candidate: 6.1.192-3", "Candidate: (none)")) == "(none)"
    assert gv.headers_candidate("") == ""


# --- the whole check, with a fake clock -------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_check_waits_for_the_policy_to_become_ready():
    answers = iter([POLICY_NOT_READY, POLICY_NOT_READY, POLICY_READY])
    clock = Clock()
    found = gv.check(lambda: next(answers), lambda: [node()], {"gpu01": 2}, "595.91.07", 60, 5, clock, clock.sleep)
    assert found == {"ready": True, "state": "ClusterPolicy cluster-policy: state ready", "problems": [], "waited": 10.0}


def test_check_gives_up_at_its_timeout_with_the_state_found():
    clock = Clock()
    found = gv.check(lambda: POLICY_NOT_READY, lambda: [node(allocatable="1")], {"gpu01": 2}, None, 12, 5, clock, clock.sleep)
    assert clock.sleeps == [5, 5, 2]  # never past the timeout
    assert found["waited"] == 12.0 and not found["ready"]
    assert found["problems"][0].startswith("ClusterPolicy cluster-policy: state notReady")
    assert found["problems"][0].endswith("not ready after 12s")
    assert found["problems"][1].startswith("gpu01: allocatable nvidia.com/gpu is 1")
