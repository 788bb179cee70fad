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


# --- gpu_operator_skip_checks: which checks run, which do not and why -------


def test_skip_plan_runs_everything_by_default():
    for kind, names in (("guest", gv.GUEST_CHECKS), ("validate", gv.VALIDATE_CHECKS)):
        plan = gv.skip_plan({}, kind)
        assert plan["run"] == list(names) and plan["skipped"] == [] and plan["problems"] == []
        assert "NOT checked" not in plan["note"]


def test_skip_plan_says_every_skipped_check_with_its_reason():
    skip = {"devices": "no GPU in this container", "headers": "the host's kernel", "cuda_sample": "kwok runs no container"}
    guest = gv.skip_plan(skip, "guest")
    assert guest["run"] == ["nouveau", "secure_boot"] and guest["skipped"] == ["devices", "headers"]
    assert guest["note"] == ("guest checks run: nouveau, secure_boot; NOT checked (gpu_operator_skip_checks): "
                             "devices: no GPU in this container; headers: the host's kernel")
    validate = gv.skip_plan(skip, "validate")
    assert validate["skipped"] == ["cuda_sample"]
    assert validate["note"].endswith("NOT checked (gpu_operator_skip_checks): cuda_sample: kwok runs no container")


@pytest.mark.parametrize("skip, expected", [
    ({"device": "typo"}, "gpu_operator_skip_checks.device is not a check of the GPU layer"),
    ({"devices": ""}, "gpu_operator_skip_checks.devices has no reason"),
    ({"devices": None}, "gpu_operator_skip_checks.devices has no reason"),
    (["devices"], "gpu_operator_skip_checks must be a mapping {check: reason}, got list"),
])
def test_skip_plan_refuses_a_skip_without_a_reason_or_unknown(skip, expected):
    problems = gv.skip_plan(skip, "guest")["problems"]
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_preflight_skips_only_the_named_checks():
    # The bed's GPU node: no GPU in lspci, no headers for the host's kernel; nouveau and Secure Boot still judged.
    args = ("gpu1", 2, "", None, BLACKLIST, "6.18.44-fc-v657", "", "EFI variables are not supported on this system\n")
    assert len(gv.preflight_problems(*args)) == 2
    assert gv.preflight_problems(*args, skip=("devices", "headers")) == []
    unblacklisted = args[:4] + ("",) + args[5:]
    assert gv.preflight_problems(*unblacklisted, skip=("devices", "headers")) == [
        "gpu1: nouveau is not blacklisted (no 'blacklist nouveau' in modprobe's configuration); node prep "
        "(roles/node_base) writes /etc/modprobe.d/mlp-nouveau.conf"]


def test_modprobe_that_could_not_run_is_named_not_read_as_unblacklisted():
    problems = gv.preflight_problems("gpu01", 2, LSPCI, None, None, "6.1.0-28-amd64", "6.1.119-1", "SecureBoot disabled")
    assert problems == ["gpu01: modprobe --showconfig could not run, so the nouveau blacklist cannot be read: "
                        "install kmod (node prep does on gpu_nodes)"]


def test_check_skips_the_policy_and_driver_without_reading_the_policy():
    def no_policy():
        raise AssertionError("the ClusterPolicy must not be read when cluster_policy is skipped")
    clock = Clock()
    found = gv.check(no_policy, lambda: [node(allocatable="1")], {"gpu01": 2}, "595.91.07", 60, 5, clock, clock.sleep,
                     skip={"cluster_policy", "driver"})
    assert clock.sleeps == []
    # No driver problem although the fixture Node has no driver label.
    assert len(found["problems"]) == 1 and found["problems"][0].startswith("gpu01: allocatable nvidia.com/gpu is 1")
    found = gv.check(no_policy, lambda: [node(allocatable="1")], {"gpu01": 2}, None, 60, 5, clock, clock.sleep,
                     skip={"cluster_policy", "allocatable"})
    assert found["problems"] == []


# --- the CUDA sample pod -----------------------------------------------------

IMAGE = "nexus01.dc1.example.com:8443/nvcr.io/nvidia/k8s/cuda-sample:vectoradd-cuda12.5.0"
# The sample's own output (NVIDIA's docs, "Running Sample GPU Applications").
SAMPLE_LOG = ("[Vector addition of 50000 elements]\nCopy input data from the host memory to the CUDA device\n"
              "CUDA kernel launch with 196 blocks of 256 threads\nCopy output data from the CUDA device to the host memory\n"
              "Test PASSED\nDone\n")


def sample_pod(phase, name="mlp-cuda-sample-gpu01-x7k2p", **status):
    return {"metadata": {"name": name}, "status": dict({"phase": phase}, **status)}


def test_sample_pod_is_pinned_to_its_node_and_asks_for_one_gpu():
    pod = gv.cuda_sample_pod("gpu01", IMAGE, "gpu-operator")
    spec = pod["spec"]
    assert pod["metadata"]["generateName"] == "mlp-cuda-sample-gpu01-"
    assert pod["metadata"]["namespace"] == "gpu-operator"
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == gv.SAMPLE_APP
    assert spec["nodeSelector"] == {"kubernetes.io/hostname": "gpu01"}
    assert spec["restartPolicy"] == "Never"
    assert spec["containers"][0]["image"] == IMAGE
    assert spec["containers"][0]["resources"] == {"limits": {"nvidia.com/gpu": 1}}


def test_sample_verdicts():
    assert gv.cuda_sample_verdict("gpu01", sample_pod("Succeeded"), SAMPLE_LOG) == (True, None)
    done, problem = gv.cuda_sample_verdict("gpu01", sample_pod("Succeeded"), "Test FAILED\n")
    assert done and problem.startswith("gpu01: the CUDA sample pod mlp-cuda-sample-gpu01-x7k2p Succeeded but its log "
                                       "has no 'Test PASSED' (log: Test FAILED)")
    failed = sample_pod("Failed", containerStatuses=[{"name": "cuda-sample", "state": {"terminated": {
        "exitCode": 1, "reason": "Error"}}}])
    done, problem = gv.cuda_sample_verdict("gpu01", failed, "Failed to allocate device vector A (error code "
                                                            "CUDA driver version is insufficient for CUDA runtime version)!\n")
    assert done and problem.startswith("gpu01: the CUDA sample pod mlp-cuda-sample-gpu01-x7k2p Failed (exit code 1, "
                                       "Error), log: Failed to allocate device vector A")
    # Still running, the wait not over: no verdict yet.
    assert gv.cuda_sample_verdict("gpu01", sample_pod("Running"), None) == (False, None)


def test_sample_timeout_names_the_node_and_the_state_found():
    unschedulable = sample_pod("Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                                       "message": "0/4 nodes are available: 1 Insufficient nvidia.com/gpu."}])
    assert gv.cuda_sample_verdict("gpu01", unschedulable, None, waited=300)[1] == (
        "gpu01: the CUDA sample pod mlp-cuda-sample-gpu01-x7k2p is still Pending, not scheduled: Unschedulable: "
        "0/4 nodes are available: 1 Insufficient nvidia.com/gpu. after 300s")
    pulling = sample_pod("Pending", conditions=[{"type": "PodScheduled", "status": "True"}], containerStatuses=[
        {"name": "cuda-sample", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}])
    assert "is still Pending, container cuda-sample waiting: ImagePullBackOff: Back-off pulling image after 300s" in \
        gv.cuda_sample_verdict("gpu01", pulling, None, waited=300)[1]
    # kwok's stages: Running for ever, no container, no log.
    assert gv.cuda_sample_verdict("gpu01", sample_pod("Running"), None, waited=300)[1] == (
        "gpu01: the CUDA sample pod mlp-cuda-sample-gpu01-x7k2p is still Running, never Succeeded (the sample ends "
        "within seconds on a working GPU) after 300s")


def test_sample_run_waits_for_every_node_and_reports_each_unfinished_one():
    clock = Clock()
    created, logs = [], []
    phases = {"gpu01": iter(["Pending", "Running", "Succeeded"]), "gpu02": iter(["Pending"] + ["Running"] * 100)}

    def create(node):
        created.append(node)
        return "mlp-cuda-sample-%s-abcde" % node

    def read_pod(name):
        node = name.split("-")[3]
        return sample_pod(next(phases[node]), name=name)

    def read_log(name):
        logs.append(name)
        return SAMPLE_LOG

    problems = gv.cuda_sample_run({"gpu02": 1, "gpu01": 2}, create, read_pod, read_log, 20, 5, clock, clock.sleep)
    assert created == ["gpu01", "gpu02"]
    assert logs == ["mlp-cuda-sample-gpu01-abcde"]  # only a finished pod's log is read
    assert clock.sleeps == [5, 5, 5, 5]  # never past the timeout
    assert problems == ["gpu02: the CUDA sample pod mlp-cuda-sample-gpu02-abcde is still Running, never Succeeded "
                        "(the sample ends within seconds on a working GPU) after 20s"]


def test_sample_run_passes_when_every_pod_passed():
    clock = Clock()
    problems = gv.cuda_sample_run({"gpu01": 2}, lambda node: "p-" + node, lambda name: sample_pod("Succeeded", name=name),
                                  lambda name: SAMPLE_LOG, 300, 5, clock, clock.sleep)
    assert problems == [] and clock.sleeps == []
