"""The Kubeflow teams layer on the scenario's real API server.

converge ran playbooks/kubeflow.yml with the Kubeflow 26.03 CRDs from
../shared/upstream and the two teams of inventory/group_vars/all/kubeflow.yml
(vision: alice, bob; nlp: carol; one GPU each). No Kubeflow controller runs
here: the API server stores and validates the Profiles, PodDefaults and
Notebooks; the quotas and the RBAC are its own and enforced. Here:

- a pod asking for more nvidia.com/gpu than the team's quota is refused by
  the API server, naming kf-resource-quota (one within the quota passes);
- a kubeconfig issued by playbooks/kubeflow_user_kubeconfig.yml (mode 0600,
  the token never printed) lists its own namespace, may create a Notebook
  there, and is refused (403) on the other team's;
- after a user is removed from the description and the layer runs again,
  that user's kubeconfig is refused at once (its RoleBinding is gone) and its
  token stops authenticating within 30 s (its ServiceAccount is gone), while
  a teammate's still works.
"""

import json
import os
import stat
import subprocess
import time

import yaml

import kube
from kube import get

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
USERS_DIR = os.path.join(INVENTORY_DIR, "artifacts", "users")
ENV = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
SECRET = "not-a-real-secret"  # the proxy password of group_vars/all/kubeflow.yml


def playbook(name, *extra):
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "playbooks/%s.yml" % name, "-i", INVENTORY_DIR, *extra], cwd=REPO,
                          capture_output=True, text=True, timeout=900, env=ENV, check=False)
    out = proc.stdout + proc.stderr
    print("%s %s: %.1f s" % (name, " ".join(extra), time.monotonic() - started))
    assert proc.returncode == 0, out[-3000:]
    assert SECRET not in out  # the proxy's credentials never reach the output
    return out


def as_user(user, *args, stdin=None):
    return subprocess.run([kube.kubectl_path(), "--kubeconfig", os.path.join(USERS_DIR, user + ".conf"), *args],
                          input=stdin, capture_output=True, text=True, timeout=120, check=False)


def issue(user):
    out = playbook("kubeflow_user_kubeconfig", "-e", "kubeflow_user=" + user,
                   "-e", "kubeflow_user_kubeconfig_kubectl=" + kube.kubectl_path(),
                   "-e", "kubeflow_user_kubeconfig_expiration=600")
    path = os.path.join(USERS_DIR, user + ".conf")
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    token = config["users"][0]["user"]["token"]
    assert token and token not in out  # written to the file, never printed
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    return config


def pod(namespace, gpus):
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu-probe", "namespace": namespace},
        "spec": {"containers": [{"name": "main", "image": "registry.k8s.mlp.test/pause:3.10", "resources": {
            "requests": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": str(gpus)},
            "limits": {"nvidia.com/gpu": str(gpus)}}}]},
    })


def test_profile_and_quota_match_and_the_namespace_carries_the_owner():
    for team, owner in (("vision", "vision-lead@k8s.mlp.test"), ("nlp", "nlp-lead@k8s.mlp.test")):
        profile = get("profile", team)
        quota = get("resourcequota", "-n", team, "kf-resource-quota")
        namespace = get("namespace", team)
        assert profile["spec"]["owner"] == {"kind": "User", "name": owner}
        # The profile controller compares these with reflect.DeepEqual: the same spec, so its update is a no-op.
        assert quota["spec"] == profile["spec"]["resourceQuotaSpec"]
        assert quota["spec"]["hard"]["requests.nvidia.com/gpu"] == "1"
        # It adopts an existing namespace only when this annotation equals spec.owner.name.
        assert namespace["metadata"]["annotations"]["owner"] == owner


def test_poddefault_injects_proxy_no_proxy_and_ca():
    spec = get("poddefault", "-n", "vision", "mlp-corporate-network")["spec"]
    env = {e["name"]: e for e in spec["env"]}
    no_proxy = env["NO_PROXY"]["value"].split(",")
    for entry in (".svc", ".cluster.local", "10.233.0.0/17", ".kubeflow", ".vision", "10.82.0.0/24"):
        assert entry in no_proxy, (entry, no_proxy)
    assert env["HTTPS_PROXY"]["valueFrom"]["secretKeyRef"] == {"name": "mlp-proxy", "key": "HTTPS_PROXY"}
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT"):
        assert env[name]["value"] == "/etc/mlplatform/ca/ca-bundle.crt"
    assert spec["volumes"] == [{"name": "mlp-corporate-ca", "configMap": {"name": "mlp-corporate-ca"}}]
    bundle = get("configmap", "-n", "vision", "mlp-corporate-ca")["data"]["ca-bundle.crt"]
    with open(os.path.join(REPO, "molecule", "firstboot", "files", "corporate-ca.pem"), encoding="utf-8") as handle:
        assert bundle.strip() == handle.read().strip()


def test_gpu_pod_over_the_quota_is_refused_naming_it():
    proc = kube.kubectl("create", "--dry-run=server", "-f", "-", stdin=pod("vision", 2), check=False)
    assert proc.returncode != 0
    assert "exceeded quota: kf-resource-quota" in proc.stderr, proc.stderr
    assert "requests.nvidia.com/gpu=2" in proc.stderr and "limited: requests.nvidia.com/gpu=1" in proc.stderr, proc.stderr
    # Within the quota the same pod is admitted: the refusal was the quota's.
    assert kube.kubectl("create", "--dry-run=server", "-f", "-", stdin=pod("vision", 1), check=False).returncode == 0


def test_user_kubeconfig_reaches_its_namespace_only():
    config = issue("alice")
    assert config["contexts"][0]["context"]["namespace"] == "vision"
    own = as_user("alice", "get", "pods")
    assert own.returncode == 0, own.stderr
    other = as_user("alice", "get", "pods", "-n", "nlp")
    assert other.returncode != 0
    assert "Forbidden" in other.stderr and 'cannot list resource "pods"' in other.stderr, other.stderr
    assert as_user("alice", "get", "resourcequota", "kf-resource-quota").returncode == 0
    assert as_user("alice", "delete", "resourcequota", "kf-resource-quota", "--dry-run=server").returncode != 0
    notebook = json.dumps({"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "nb"},
                           "spec": {"template": {"spec": {"containers": [{"name": "nb", "image": "jupyter:1"}]}}}})
    created = as_user("alice", "create", "--dry-run=server", "-f", "-", stdin=notebook)
    assert created.returncode == 0, created.stderr
    refused = as_user("alice", "create", "--dry-run=server", "-n", "nlp", "-f", "-", stdin=notebook)
    assert refused.returncode != 0 and "Forbidden" in refused.stderr, refused.stderr


def test_removed_user_loses_access(tmp_path):
    issue("bob")
    assert as_user("bob", "get", "pods").returncode == 0
    with open(os.path.join(INVENTORY_DIR, "group_vars", "all", "kubeflow.yml"), encoding="utf-8") as handle:
        description = yaml.safe_load(handle)["cluster_kubeflow"]
    description["teams"][0]["users"] = [u for u in description["teams"][0]["users"] if u["name"] != "bob"]
    extra = tmp_path / "without-bob.json"
    extra.write_text(json.dumps({"cluster_kubeflow": description}), encoding="utf-8")
    out = playbook("kubeflow", "-e", "@%s" % extra)
    assert "RoleBinding/vision/user-bob" in out and "ServiceAccount/vision/user-bob" in out
    # The RoleBinding goes first, so access is refused at once; the token itself
    # stops authenticating once the API server's token cache (10 s for a success)
    # and its ServiceAccount informer catch up with the deletion.
    refused = as_user("bob", "get", "pods")
    assert refused.returncode != 0 and ("Forbidden" in refused.stderr or "Unauthorized" in refused.stderr), refused.stderr
    deadline = time.monotonic() + 30
    while "Unauthorized" not in refused.stderr and time.monotonic() < deadline:
        time.sleep(2)
        refused = as_user("bob", "get", "pods")
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr, refused.stderr
    assert as_user("alice", "get", "pods").returncode == 0  # the teammate keeps access
    assert kube.kubectl("get", "serviceaccount", "-n", "vision", "user-bob", check=False).returncode != 0
