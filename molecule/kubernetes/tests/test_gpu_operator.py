"""The GPU layer (playbooks/gpu.yml, roles/gpu_operator) against the scenario's real API server.

The chart is not reachable here, so converge ran the role without a chart
source: it applied the pinned CRDs (../shared/upstream/gpu-operator-v26.7.0),
the namespace and the Node labels, wrote the values and the ClusterPolicy
the chart renders from them, and said the helm release is not installed.
Here the API server itself validates that ClusterPolicy against the CRD
(and refuses broken ones), then validate's GPU checks run against the kwok
GPU Node. No operator runs (kwok has no kubelet, there is no GPU): the test
plays the operator's part where the checks read it, writing the
ClusterPolicy's status and GPU feature discovery's driver label, and puts
everything back. The guest preflight runs for real on the scenario's
container, which has no GPU: it must fail naming each missing piece.
"""

import json
import os
import re
import subprocess
import time

import pytest
import yaml

from kube import get, kubectl

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
ARTIFACTS = os.path.join(INVENTORY_DIR, "artifacts", "gpu-operator")
CP, WORKER, GPU = "kubernetes-cp1", "kubernetes-worker1", "kubernetes-gpu1"
DRIVER = "595.91.07"
DRIVER_LABEL = "nvidia.com/cuda.driver-version.full"


def policy():
    with open(os.path.join(ARTIFACTS, "cluster-policy.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def set_policy_status(status):
    kubectl("patch", "clusterpolicy", "cluster-policy", "--subresource=status", "--type=merge",
            "-p", json.dumps({"status": status}))


def validate_gpu(*extra, with_sample=False):
    """playbooks/validate.yml, its GPU checks only: (returncode, the verdict line, seconds)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    started = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "playbooks/validate.yml", "-i", INVENTORY_DIR, "--tags", "validate_gpu", *extra,
         *(["-e", json.dumps({"gpu_operator_skip_checks": GUEST_SKIPPED, "gpu_operator_cuda_sample_timeout": 20})]
           if with_sample else [])],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    text = " ".join((proc.stdout + proc.stderr).split())
    found = re.search(r'"msg": "(validate (?:passed|failed)[^"]*)"', text)
    validate_gpu.output = text
    return proc.returncode, found.group(1) if found else "no verdict in: " + text[-3000:], time.monotonic() - started


# The scenario's skips (inventory/group_vars/all/gpu.yml) without cuda_sample's.
with open(os.path.join(INVENTORY_DIR, "group_vars", "all", "gpu.yml"), encoding="utf-8") as _f:
    GUEST_SKIPPED = {k: v for k, v in yaml.safe_load(_f)["gpu_operator_skip_checks"].items() if k != "cuda_sample"}


def said(expected, text):
    """Whether text holds expected, whitespace aside: the callback wraps long messages, also at hyphens."""
    return "".join(expected.split()) in "".join(text.split())


READY = {"state": "ready", "namespace": "gpu-operator",
         "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "lastTransitionTime": "2026-01-01T00:00:00Z",
                         "message": "ClusterPolicy is ready as all resources have been successfully reconciled"}]}
NOT_READY = {"state": "notReady", "namespace": "gpu-operator",
             "conditions": [{"type": "Ready", "status": "False", "reason": "OperandNotReady",
                             "lastTransitionTime": "2026-01-01T00:00:00Z",
                             "message": "ClusterPolicy is not ready, states not ready: [state-driver]"}]}


@pytest.fixture(name="operator", scope="module")
def fixture_operator():
    """The ClusterPolicy the role rendered, applied for real, and the GPU Node labelled as GFD would."""
    kubectl("apply", "--server-side", "--field-manager=test-gpu-operator", "-f", os.path.join(ARTIFACTS, "cluster-policy.yaml"))
    set_policy_status(READY)
    kubectl("label", "node", GPU, "%s=%s" % (DRIVER_LABEL, DRIVER), "--overwrite")
    yield
    kubectl("label", "node", GPU, DRIVER_LABEL + "-")
    kubectl("delete", "clusterpolicy", "cluster-policy", "--wait=true")


def test_role_applied_the_pinned_crds_namespace_and_labels():
    for name in ("clusterpolicies.nvidia.com", "nvidiadrivers.nvidia.com"):
        # kubectl leaves managedFields out of its output unless asked.
        crd = get("crd", name, "--show-managed-fields")
        managers = [m["manager"] for m in crd["metadata"]["managedFields"]]
        assert "mlplatform-gpu-operator" in managers, managers
    namespace = get("namespace", "gpu-operator")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    nodes = {n["metadata"]["name"]: n["metadata"]["labels"] for n in get("nodes")["items"]}
    assert nodes[GPU]["mlplatform.io/gpu-node"] == "true"
    assert "nvidia.com/gpu.deploy.operands" not in nodes[GPU]
    for name in (CP, WORKER):
        assert nodes[name]["nvidia.com/gpu.deploy.operands"] == "false"
        assert "mlplatform.io/gpu-node" not in nodes[name]


def test_values_pin_the_driver_and_upgrade_one_node_at_a_time():
    with open(os.path.join(ARTIFACTS, "values.yaml"), encoding="utf-8") as f:
        values = yaml.safe_load(f)
    assert values["driver"]["version"] == DRIVER
    assert values["driver"]["upgradePolicy"]["maxParallelUpgrades"] == 1
    assert values["driver"]["upgradePolicy"]["drain"]["enable"] is True
    assert values["node-feature-discovery"]["worker"]["nodeSelector"] == {"mlplatform.io/gpu-node": "true"}


def test_server_accepts_the_rendered_cluster_policy():
    proc = kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test-gpu-operator",
                   "-f", os.path.join(ARTIFACTS, "cluster-policy.yaml"))
    assert "serverside-applied (server dry run)" in proc.stdout


@pytest.mark.parametrize("breakage, message", [
    (lambda spec: spec["mig"].__setitem__("strategy", "both"), 'spec.mig.strategy: Unsupported value: "both"'),
    (lambda spec: spec["driver"].__setitem__("usePrecompile", True), '.spec.driver.usePrecompile: field not declared in schema'),
    (lambda spec: spec.pop("toolkit"), "spec.toolkit: Required value"),
])
def test_server_refuses_a_broken_cluster_policy(breakage, message):
    broken = policy()
    broken["metadata"]["name"] = "broken-policy"
    breakage(broken["spec"])
    proc = kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test-gpu-operator", "-f", "-",
                   stdin=yaml.safe_dump(broken), check=False)
    assert proc.returncode != 0, proc.stdout
    assert message in proc.stderr, proc.stderr


def test_kwok_gpu_node_reports_its_devices():
    status = get("node", GPU)["status"]
    assert status["allocatable"]["nvidia.com/gpu"] == status["capacity"]["nvidia.com/gpu"] == "2"


def test_gpu_validation_passes_saying_what_it_skips_and_why(operator):
    code, verdict, _seconds = validate_gpu()
    assert code == 0, verdict
    assert verdict.startswith("validate passed: gpu checks"), verdict
    assert said("validate checks run: cluster_policy, allocatable, driver; NOT checked (gpu_operator_skip_checks): "
                "cuda_sample: kwok runs no container", validate_gpu.output), validate_gpu.output[-3000:]


def test_short_allocatable_fails_naming_the_node(operator):
    kubectl("patch", "node", GPU, "--subresource=status", "--type=merge",
            "-p", json.dumps({"status": {"allocatable": {"nvidia.com/gpu": "1"}}}))
    try:
        code, verdict, _seconds = validate_gpu()
    finally:
        kubectl("patch", "node", GPU, "--subresource=status", "--type=merge",
                "-p", json.dumps({"status": {"allocatable": {"nvidia.com/gpu": "2"}}}))
    assert code != 0
    assert said("%s: allocatable nvidia.com/gpu is 1 (capacity 2), the inventory's node_gpu_devices lists 2" % GPU, verdict), verdict
    assert get("node", GPU)["status"]["allocatable"]["nvidia.com/gpu"] == "2"


def test_driver_other_than_the_bundle_fails_naming_the_node(operator):
    kubectl("label", "node", GPU, "%s=580.173.02" % DRIVER_LABEL, "--overwrite")
    try:
        code, verdict, _seconds = validate_gpu()
    finally:
        kubectl("label", "node", GPU, "%s=%s" % (DRIVER_LABEL, DRIVER), "--overwrite")
    assert code != 0
    assert said("%s: driver 580.173.02 runs on the Node, the bundle pins cluster_release.nvidia_driver %s" % (GPU, DRIVER), verdict), verdict


def test_cluster_policy_never_ready_fails_within_its_timeout(operator):
    set_policy_status(NOT_READY)
    try:
        code, verdict, seconds = validate_gpu("-e", "gpu_operator_wait_timeout=6")
    finally:
        set_policy_status(READY)
    assert code != 0
    assert said("ClusterPolicy cluster-policy: state notReady, Ready=False (OperandNotReady: ClusterPolicy is not ready, "
                "states not ready: [state-driver]), not ready after 6s", verdict), verdict
    # The playbook's own start-up is part of this; the wait itself is bounded by the 6 s.
    assert seconds < 6 + 60, seconds


def test_guest_preflight_fails_naming_each_missing_piece(tmp_path):
    """The preflight on the real container, declared a GPU node: no GPU, no modprobe, no mokutil."""
    extra = tmp_path / "gpu-guest.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"gpu_nodes": {"hosts": {CP: {
        "node_gpu_devices": ["PCIROOT(0)#PCI(0300)#PCI(0000)"], "gpu_operator_skip_checks": {}}}}}}}))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-playbook", "playbooks/gpu.yml", "-i", INVENTORY_DIR, "-i", str(extra),
                           "--limit", CP, "--tags", "gpu_operator_preflight"],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, text[-2000:]
    # Nothing skipped (production's default): the run says so.
    assert said("%s: guest checks run: devices, nouveau, headers, secure_boot" % CP, text), text[-3000:]
    assert "NOT checked" not in text
    # The scenario's container has neither kmod (modprobe) nor mokutil: node prep installs them on gpu_nodes.
    for piece in ("%s: lspci " % CP, "%s: modprobe --showconfig could not run" % CP, "%s: Secure Boot state unknown" % CP):
        assert said(piece, text), text[-3000:]
    # The container runs this machine's kernel, whose headers Debian's archive does not carry.
    assert said("%s: no linux-headers-" % CP, text), text[-3000:]


def sample_pods():
    return get("pods", "-n", "gpu-operator", "-l", "app.kubernetes.io/name=mlp-cuda-sample")["items"]


def test_cuda_sample_on_kwok_is_reported_running_never_succeeded(operator):
    """kwok binds the sample pod and marks it Running, but runs no container: never Succeeded, no log.

    The check must not pass: it times out naming the node and the phase
    found, and removes its pod.
    """
    code, verdict, seconds = validate_gpu(with_sample=True)
    assert code != 0, verdict
    assert said("%s: the CUDA sample pod mlp-cuda-sample-%s-" % (GPU, GPU), verdict), verdict
    assert said("is still Running, never Succeeded (the sample ends within seconds on a working GPU) after 20s", verdict), verdict
    assert seconds < 20 + 60, seconds
    assert sample_pods() == [] or all(p["metadata"].get("deletionTimestamp") for p in sample_pods())


def test_cuda_sample_unschedulable_names_the_scheduler_reason(operator):
    """No allocatable GPU: the scheduler keeps the sample Pending, and the check says why, naming the node."""
    kubectl("patch", "node", GPU, "--subresource=status", "--type=merge",
            "-p", json.dumps({"status": {"allocatable": {"nvidia.com/gpu": "0"}}}))
    try:
        code, verdict, _seconds = validate_gpu(with_sample=True)
    finally:
        kubectl("patch", "node", GPU, "--subresource=status", "--type=merge",
                "-p", json.dumps({"status": {"allocatable": {"nvidia.com/gpu": "2"}}}))
    assert code != 0, verdict
    assert said("%s: allocatable nvidia.com/gpu is 0 (capacity 2)" % GPU, verdict), verdict
    assert said("is still Pending, not scheduled: Unschedulable: 0/", verdict), verdict
    assert said("Insufficient nvidia.com/gpu", verdict), verdict


def test_server_accepts_the_nvidia_driver_the_role_renders(tmp_path):
    """cluster_gpu.driver_crd: the role writes the chart's default NVIDIADriver; the API server (CRD schema and
    its CEL rule) accepts it and the ClusterPolicy that leaves the driver to it, and refuses a default one
    with a nodeSelector."""
    settings = {"driver_crd": True, "mig_strategy": "single"}
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-playbook", "playbooks/gpu.yml", "-i", INVENTORY_DIR, "--limit", CP,
                           "-e", json.dumps({"gpu_operator_settings": settings, "gpu_operator_artifacts_dir": str(tmp_path)})],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    with open(tmp_path / "nvidia-driver.yaml", encoding="utf-8") as f:
        driver = yaml.safe_load(f)
    assert driver["spec"]["default"] is True and driver["spec"]["version"] == DRIVER
    with open(tmp_path / "cluster-policy.yaml", encoding="utf-8") as f:
        assert yaml.safe_load(f)["spec"]["driver"]["useNvidiaDriverCRD"] is True
    kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test-gpu-operator",
            "-f", str(tmp_path / "cluster-policy.yaml"))
    try:
        proc = kubectl("apply", "--server-side", "--field-manager=test-gpu-operator", "-f", str(tmp_path / "nvidia-driver.yaml"))
        assert "nvidiadriver.nvidia.com/default serverside-applied" in proc.stdout, proc.stdout
        assert get("nvidiadriver", "default")["spec"]["driverType"] == "gpu"
    finally:
        kubectl("delete", "nvidiadriver", "default", "--ignore-not-found")
    driver["spec"]["nodeSelector"] = {"mlplatform.io/gpu-node": "true"}
    proc = kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test-gpu-operator", "-f", "-",
                   stdin=yaml.safe_dump(driver), check=False)
    assert proc.returncode != 0 and "default NVIDIADriver must not use nodeSelector" in proc.stderr, proc.stderr
