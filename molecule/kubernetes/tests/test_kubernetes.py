"""Verify the Kubernetes layer on the bed's real control plane.

Everything goes through the admin kubeconfig that the layer fetched, with the
kubectl built at the bundle's version: what an ops engineer would run. The
API behaviours (admission, RBAC, CEL, eviction) prove that the bed runs a real
API server, not a stand-in. The last tests inject the two faults validate
must catch, a Node that stopped its heartbeat and a Node the inventory does
not list, and put the cluster back.
"""

import json
import os
import re
import stat
import subprocess
import time

import yaml

from kube import KUBECONFIG, get, kubectl

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
SCENARIO = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
VERSION = "v1.35.4"
CP, WORKER, GPU = "kubernetes-cp1", "kubernetes-worker1", "kubernetes-gpu1"
NODES = sorted([CP, WORKER, GPU])


def ready(node):
    return next((c["status"] for c in node["status"].get("conditions", []) if c["type"] == "Ready"), None)


def wait_ready(name, want, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        state = ready(get("node", name))
        if (state == "True") == want:
            return state
        assert time.monotonic() < deadline, "%s still Ready=%s after %ds" % (name, state, timeout)
        time.sleep(2)


class Run:
    def __init__(self, proc):
        self.returncode = proc.returncode
        # One line, no colour: the verdict is a single message, wrapped by the
        # callback; a failure goes to stderr where display_failed_stderr is on.
        self.stdout = " ".join((proc.stdout + proc.stderr).split())
        found = re.search(r'"msg": "(validate (?:passed|failed|in check mode)[^"]*)"', self.stdout)
        self.verdict = found.group(1) if found else "no verdict in: " + self.stdout[-2000:]


def validate(*extra):
    """playbooks/validate.yml, its Kubernetes checks only (the node gates need real disks and DNS)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return Run(subprocess.run(
        ["ansible-playbook", "playbooks/validate.yml", "-i", INVENTORY_DIR, "--tags", "validate_kubernetes", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False))


def test_kubeconfig_is_private_and_points_at_the_api_endpoint():
    mode = stat.S_IMODE(os.stat(KUBECONFIG).st_mode)
    assert mode == 0o600
    with open(KUBECONFIG) as handle:
        config = yaml.safe_load(handle)
    assert [c["cluster"]["server"] for c in config["clusters"]] == ["https://10.82.0.11:6443"]


def test_get_nodes_wide_lists_the_inventory_ready_at_the_bundle_version():
    lines = kubectl("get", "nodes", "-o", "wide", "--no-headers").stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines}
    assert sorted(rows) == NODES
    for name, row in rows.items():
        assert row[1] == "Ready", row
        assert row[4] == VERSION, row


def test_nodes_carry_the_inventory_sizes_roles_and_gpus():
    nodes = {n["metadata"]["name"]: n for n in get("nodes")["items"]}
    assert nodes[CP]["status"]["capacity"]["cpu"] == "4"
    assert nodes[CP]["status"]["capacity"]["memory"] == "8Gi"  # node_memory_mb 8192, as the API writes it
    assert "node-role.kubernetes.io/control-plane" in nodes[CP]["metadata"]["labels"]
    assert nodes[GPU]["status"]["capacity"]["nvidia.com/gpu"] == "2"
    assert "nvidia.com/gpu" not in nodes[WORKER]["status"]["capacity"]
    assert nodes[WORKER]["status"]["addresses"][0] == {"type": "InternalIP", "address": "10.82.0.21"}


def test_server_reports_the_bundle_version():
    assert json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]["gitVersion"] == VERSION


def test_pods_scheduled_to_kwok_nodes_run():
    pods = get("pods", "-n", "gluster-storage")["items"] + get("pods", "-n", "kube-system")["items"]
    assert pods, "no pods in gluster-storage or kube-system"
    for pod in pods:
        assert pod["status"]["phase"] == "Running", pod["metadata"]["name"]
        assert pod["spec"]["nodeName"] in (WORKER, GPU), "scheduler placed %s on %s" % (
            pod["metadata"]["name"], pod["spec"]["nodeName"])


def test_storage_classes_are_applied_server_side_by_our_field_manager():
    sc = get("storageclass", "gluster-gv0", "--show-managed-fields")
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    managers = {(m["manager"], m["operation"]) for m in sc["metadata"]["managedFields"]}
    assert ("mlplatform-gluster-k8s", "Apply") in managers


def test_admission_refuses_a_privileged_pod_in_a_restricted_namespace():
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "verify-restricted", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "priv", "namespace": "verify-restricted"},
           "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]}}
    proc = kubectl("apply", "-f", "-", check=False, stdin=yaml.safe_dump(pod))
    assert proc.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in proc.stderr


def test_rbac_denies_what_is_not_granted():
    assert kubectl("auth", "can-i", "create", "pods", "--as=system:serviceaccount:default:default",
                   check=False).stdout.strip() == "no"
    assert kubectl("auth", "can-i", "create", "pods").stdout.strip() == "yes"


def test_crd_cel_rule_refuses_a_bad_object():
    kubectl("apply", "-f", os.path.join(SCENARIO, "files", "cel-crd.yaml"))
    kubectl("wait", "--for=condition=Established", "crd/quotas.verify.mlp.test", "--timeout=60s")
    bad = {"apiVersion": "verify.mlp.test/v1", "kind": "Quota", "metadata": {"name": "bad", "namespace": "default"},
           "spec": {"gpus": 4, "maxGpus": 2}}
    proc = kubectl("apply", "-f", "-", check=False, stdin=yaml.safe_dump(bad))
    assert proc.returncode != 0
    assert "gpus must not exceed maxGpus" in proc.stderr


def test_eviction_respects_a_pod_disruption_budget():
    kubectl("apply", "-f", os.path.join(SCENARIO, "files", "pdb-workload.yaml"))
    kubectl("rollout", "status", "deployment/guarded", "-n", "default", "--timeout=90s")
    pod = get("pods", "-n", "default", "-l", "app=guarded")["items"][0]
    node = pod["spec"]["nodeName"]
    try:
        proc = kubectl("drain", node, "--ignore-daemonsets", "--timeout=10s", "--pod-selector=app=guarded",
                       check=False)
        assert proc.returncode != 0
        assert "violate the pod's disruption budget" in proc.stdout + proc.stderr
        assert get("pod", "-n", "default", pod["metadata"]["name"])["status"]["phase"] == "Running"
    finally:
        kubectl("uncordon", node)
        kubectl("delete", "-f", os.path.join(SCENARIO, "files", "pdb-workload.yaml"), "--wait=true")


def test_validate_passes_on_the_healthy_cluster():
    proc = validate()
    assert proc.returncode == 0, proc.verdict
    assert proc.verdict.startswith("validate passed"), proc.verdict


def test_validate_in_check_mode_never_says_passed():
    run = validate("--check")
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.verdict == ("validate in check mode found no failure in the checks that ran (kubernetes checks); "
                           "not run in check mode: none. Run without --check for a verdict")
    assert "validate passed" not in run.stdout


def test_validate_names_a_node_the_inventory_does_not_list():
    rogue = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "rogue1"}}
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump(rogue))
    try:
        proc = validate()
        assert proc.returncode != 0
        assert "rogue1: a Node the inventory does not list" in proc.verdict, proc.verdict
    finally:
        kubectl("delete", "node", "rogue1")


def kubelet(action, node):
    """Start or stop the Node's simulated kubelet (kwok@<node> on the control-plane node)."""
    subprocess.run(["podman", "exec", CP, "systemctl", action, "kwok@%s" % node], check=True)


def test_validate_names_a_node_whose_heartbeat_stopped():
    # Its lease is no longer renewed: the node lifecycle controller marks the
    # Node NotReady, as for a dead kubelet.
    kubelet("stop", WORKER)
    try:
        wait_ready(WORKER, False)
        proc = validate()
        assert proc.returncode != 0
        assert "%s: NotReady" % WORKER in proc.verdict, proc.verdict
        assert "%s: NotReady" % GPU not in proc.verdict, proc.verdict
    finally:
        kubelet("start", WORKER)
    wait_ready(WORKER, True)
    # Its pods are marked Ready again by kwok, then their Deployments catch up.
    for namespace, deployment in (("kube-system", "coredns"), ("gluster-storage", "gluster-local-path-provisioner")):
        kubectl("rollout", "status", "deployment/" + deployment, "-n", namespace, "--timeout=120s")
    proc = validate()
    assert proc.returncode == 0, proc.verdict


def test_webhook_calls_never_leave_the_node():
    """kwok runs no webhook server: the API server's call to one (its service's
    ClusterIP has no route on the bed) fails on the node, at the egress
    selector's missing socket (testbed/kubernetes/files/egress-selector.yaml),
    instead of leaving through the podman network."""
    namespace = "egress-probe"
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "egress-probe"},
        "webhooks": [{
            "name": "probe.mlp.test", "failurePolicy": "Fail", "sideEffects": "None",
            "admissionReviewVersions": ["v1"], "timeoutSeconds": 5,
            "clientConfig": {"service": {"namespace": namespace, "name": "nowhere", "port": 443}},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}],
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        }],
    }
    kubectl("create", "namespace", namespace)
    try:
        kubectl("-n", namespace, "create", "service", "clusterip", "nowhere", "--tcp=443:8443")
        kubectl("apply", "-f", "-", stdin=json.dumps(webhook))
        refused = kubectl("-n", namespace, "create", "configmap", "probe", check=False)
        assert refused.returncode != 0
        assert 'failed calling webhook "probe.mlp.test"' in refused.stderr, refused.stderr
        assert "dial unix /run/kube-apiserver-no-egress.sock" in refused.stderr, refused.stderr
    finally:
        kubectl("delete", "validatingwebhookconfiguration", "egress-probe", "--ignore-not-found", check=False)
        kubectl("delete", "namespace", namespace, "--wait=false", check=False)
