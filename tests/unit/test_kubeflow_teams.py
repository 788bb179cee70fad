"""The Kubeflow teams layer's pure code: cluster_kubeflow's rules, the resource
needs at 26.03 against the workers, the team objects (checked against the
pinned Kubeflow CRDs), what is revoked, and the user kubeconfig."""

import copy
import os

import jsonschema
import pytest
import yaml
from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm
from ansible_collections.mlplatform.installer.plugins.module_utils import kubeflow_resources as res
from ansible_collections.mlplatform.installer.plugins.module_utils import kubeflow_teams as kt

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRDS = os.path.join(REPO, "..", "shared", "upstream", "kubeflow-manifests-26.03", "crds")
GI = 2 ** 30

TEAMS = {
    "identity": {"provider": "static"},
    "teams": [
        {"name": "vision", "owner": "lead@corp.example", "quota": {"cpu": 8, "memory": "32Gi", "gpu": 2, "storage": "200Gi"},
         "users": [{"name": "alice", "email": "alice@corp.example"}, {"name": "bob", "email": "bob@corp.example"}]},
        {"name": "nlp", "owner": "nlp@corp.example", "quota": {"cpu": "4", "memory": "16Gi", "gpu": 1, "storage": "100Gi"},
         "users": [{"name": "carol", "email": "carol@corp.example"}]},
    ],
}
# Two 16-vCPU 64 GiB workers, one with 4 GPUs.
CLUSTER = {"nodes": 2, "cpu_m": 32000, "memory_bytes": 128 * GI, "gpus": 4, "node_cpu_m": 16000, "node_memory_bytes": 64 * GI}
NEEDS = {"release": "26.03", "cpu_m": 4381, "memory_bytes": 12500 * 2 ** 20, "pvc_bytes": 65 * 10 ** 9}


def problems(value, cluster=None, release="26.03"):
    return kt.description_problems(value, cluster or CLUSTER, release, NEEDS)


def text(found):
    return ["%s = %r: %s. Fix: %s" % item for item in found]


def with_team(change):
    value = copy.deepcopy(TEAMS)
    change(value)
    return value


def test_a_good_description_passes():
    assert problems(TEAMS) == []
    platform = {"manifests": "/srv/mirror/kubeflow-manifests-26.03",
                "remote_bases": {"github.com/argoproj/argo-workflows@v3.7.3": "/srv/mirror/argo-workflows"}}
    assert problems(dict(TEAMS, platform=platform)) == []


@pytest.mark.parametrize("name, expected", [
    ("kube-system", "is a namespace of Kubernetes, Kubeflow or another layer"),
    ("kubeflow", "is a namespace of Kubernetes, Kubeflow or another layer"),
    ("istio-system", "is a namespace of Kubernetes, Kubeflow or another layer"),
    ("kube-ml", "is a namespace of Kubernetes, Kubeflow or another layer"),
    ("Vision_Team", "is not a lowercase RFC 1123 label"),
    ("x" * 64, "is not a lowercase RFC 1123 label"),
])
def test_team_name_that_cannot_be_a_namespace_is_refused(name, expected):
    found = problems(with_team(lambda v: v["teams"][0].update(name=name)))
    assert [f[0] for f in found] == ["cluster_kubeflow.teams[0] (%s).name" % name]
    assert expected in found[0][2]
    assert "rename" in found[0][3] or "use a-z" in found[0][3]


def test_user_in_two_teams_is_refused_naming_both():
    found = problems(with_team(lambda v: v["teams"][1]["users"].append({"name": "alice", "email": "alice@corp.example"})))
    assert text(found) == [
        "cluster_kubeflow.teams[1] (nlp).users[1].name = 'alice': is also a user of team vision. Fix: a user belongs "
        "to one team; a person working for two gets a second user name (e.g. alice-nlp) with the same email"]


def test_quota_over_the_cluster_is_refused_naming_the_team():
    found = problems(with_team(lambda v: v["teams"][0]["quota"].update(cpu=40, gpu=5)))
    variables = [f[0] for f in found]
    assert "cluster_kubeflow.teams[0] (vision).quota.cpu" in variables
    assert "cluster_kubeflow.teams[0] (vision).quota.gpu" in variables
    gpu = [f for f in found if f[0].endswith("quota.gpu")][0]
    assert gpu[2] == "is more than the GPUs of the gpu_nodes (4)" and gpu[3] == "lower it to at most 4, or add GPU nodes"


def test_gpu_quotas_beyond_the_inventory_refused_unless_overcommit():
    value = with_team(lambda v: v["teams"][1]["quota"].update(gpu=3))  # 2 + 3 > 4
    found = problems(value)
    assert len(found) == 1 and found[0][0] == "cluster_kubeflow"
    assert "the team quotas add up to 5 GPUs (requests.nvidia.com/gpu) and the gpu_nodes have 4" in found[0][2]
    assert "quota_overcommit: true" in found[0][3]
    value["quota_overcommit"] = True
    assert problems(value) == []


def test_kubeflow_plus_quotas_beyond_the_workers_names_the_shortfall():
    value = with_team(lambda v: v["teams"][0]["quota"].update(memory="120Gi"))
    (found,) = problems(value)
    assert found[2] == ("Kubeflow 26.03 needs 12.2 GiB of memory and the team quotas add up to 136 GiB: 148.2 GiB in "
                        "all, the kube_node hosts offer 128 GiB: 20.2 GiB short")
    # Overcommit lets quotas exceed the cluster, never the components themselves.
    value["quota_overcommit"] = True
    assert problems(value) == []
    small = dict(CLUSTER, cpu_m=4000)
    found = problems(dict(value, teams=[dict(value["teams"][1], quota=dict(value["teams"][1]["quota"], cpu=1))]), small)
    assert [f[2] for f in found] == ["Kubeflow 26.03 alone needs 4.381 CPU of CPU (compatibility/kubeflow-26.03-resources.yml) "
                                     "and the kube_node hosts offer 4 CPU: 0.381 CPU short"]


@pytest.mark.parametrize("change, variable, problem", [
    (lambda v: v["teams"][0].update(owner="lead"), "cluster_kubeflow.teams[0] (vision).owner", "must be the owner's email"),
    (lambda v: v["teams"][0]["quota"].pop("memory"), "cluster_kubeflow.teams[0] (vision).quota.memory", "is not set"),
    (lambda v: v["teams"][0]["quota"].update(memory="32GB"), "cluster_kubeflow.teams[0] (vision).quota.memory",
     "is not a size such as 32Gi"),
    (lambda v: v["teams"][0]["quota"].update(gpus=1), "cluster_kubeflow.teams[0] (vision).quota.gpus", "is not a quota key"),
    (lambda v: v["teams"][0]["quota"].update(gpu="1"), "cluster_kubeflow.teams[0] (vision).quota.gpu",
     "must be a whole number of GPUs"),
    (lambda v: v["teams"][0]["users"][0].update(email="alice"), "cluster_kubeflow.teams[0] (vision).users[0].email",
     "must be the user's email"),
    (lambda v: v["teams"][0]["users"].append({"name": "Dave"}), "cluster_kubeflow.teams[0] (vision).users[2].name",
     "is not a lowercase RFC 1123 label"),
    (lambda v: v["teams"].append(copy.deepcopy(v["teams"][1])), "cluster_kubeflow.teams[2] (nlp).name",
     "is also the name of cluster_kubeflow.teams[1]"),
    (lambda v: v.update(identity={"provider": "oidc", "issuer": "http://login"}), "cluster_kubeflow.identity.issuer",
     "must be the issuer's https:// URL"),
    (lambda v: v.update(identity={"provider": "ldap"}), "cluster_kubeflow.identity.provider", "is not one of static, oidc"),
    (lambda v: v.update(team=[]), "cluster_kubeflow.team", "is not a key of cluster_kubeflow"),
    (lambda v: v.update(platform="/srv/kf"), "cluster_kubeflow.platform", "must be a mapping with manifests"),
    (lambda v: v.update(platform={"manifests": ""}), "cluster_kubeflow.platform.manifests",
     "must be the path of a copy of kubeflow/manifests"),
    (lambda v: v.update(platform={"manifests": "/srv/kf", "remote_bases": {"github.com/a/b@v1": 1}}),
     "cluster_kubeflow.platform.remote_bases", "must map each remote base to a path"),
    (lambda v: v.update(platform={"manifests": "/srv/kf", "overlay": "gke"}), "cluster_kubeflow.platform.overlay",
     "is not a key of platform"),
])
def test_each_defect_names_its_variable(change, variable, problem):
    found = problems(with_team(change))
    assert any(f[0] == variable and problem in f[2] and f[3] for f in found), text(found)


def test_release_must_be_pinned_and_have_data():
    assert [f[0] for f in problems(TEAMS, release=None)] == ["cluster_release.kubeflow"]
    found = kt.description_problems(TEAMS, CLUSTER, "25.01")
    assert [f[0] for f in found] == ["cluster_release.kubeflow"]
    assert "kubeflow-25.01-resources.yml" in found[0][2]


def test_data_file_sums_upstream_rows():
    needs = res.load_needs("26.03")
    # The rows of kubeflow/manifests 26.03's README table (its stated Total is off: 4380m, 12341Mi).
    assert (needs["cpu_m"], needs["memory_bytes"], needs["pvc_bytes"]) == (4381, 12500 * 2 ** 20, 65 * 10 ** 9)
    with open(res.data_file("26.03"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert data["source"]["verified"] is True and "d68ebc7" in data["source"]["how"]
    assert all(c.get("path") for c in data["components"])
    broken = copy.deepcopy(data)
    broken["components"][0]["memory"] = "lots"
    with pytest.raises(res.NeedsError, match="training-operator"):
        res.needs_from_data(broken)


@pytest.mark.parametrize("value, millis", [("8", 8000), ("500m", 500), (2, 2000), (0.5, 500), ("x", None), (True, None)])
def test_cpu_quantities(value, millis):
    assert res.cpu_millis(value) == millis


@pytest.mark.parametrize("value, count", [("32Gi", 32 * GI), ("1G", 10 ** 9), (1024, 1024), ("32GB", None), (-1, None)])
def test_byte_quantities(value, count):
    assert res.byte_count(value) == count


def _model(teams, gpu_devices=2):
    """The base fixture inventory's shape, reduced: one control plane, two workers, one of them with GPUs."""
    common = {"cluster_kubeflow": teams, "cluster_release": {"kubeflow": "26.03"}}
    hostvars = {
        "cp1": dict(common, node_vcpus=4, node_memory_mb=8192),
        "wk1": dict(common, node_vcpus=16, node_memory_mb=65536),
        "gpu1": dict(common, node_vcpus=16, node_memory_mb=65536, node_gpu_devices=["a"] * gpu_devices),
    }
    return {"groups": {"kube_node": ["wk1", "gpu1"], "gpu_nodes": ["gpu1"]}, "hostvars": hostvars}


def test_capacity_counts_workers_and_their_gpus():
    model = _model(TEAMS)
    found = res.capacity(model["groups"], model["hostvars"])
    assert found == {"nodes": 2, "cpu_m": 32000, "memory_bytes": 128 * GI, "gpus": 2, "node_cpu_m": 16000,
                     "node_memory_bytes": 64 * GI}


def test_validation_reports_kubeflow_defects_through_the_cluster_rules(load_inventory):
    inventory = load_inventory(os.path.join(REPO, "tests", "fixtures", "inventories", "base.yml"))
    model = cm.model_from_hostvars(inventory.hostvars, inventory.groups, inventory.sources)
    model["sources"] = []
    bad = with_team(lambda v: v["teams"][0].update(name="kube-system"))
    for team in bad["teams"]:
        team["quota"]["gpu"] = 0  # the fixture has one GPU: only the name is wrong here
    for values in model["hostvars"].values():
        values["cluster_kubeflow"] = bad
        values["cluster_release"] = dict(values["cluster_release"], kubeflow="26.03")
    texts = [str(d) for d in cm.validate(model)]
    assert [t for t in texts if "cluster_kubeflow" in t] == [
        "all: cluster_kubeflow.teams[0] (kube-system).name = 'kube-system': is a namespace of Kubernetes, Kubeflow or "
        "another layer. Fix: rename the team, e.g. team-kube-system"], texts


# ---------------------------------------------------------------------------
# Objects
# ---------------------------------------------------------------------------

SETTINGS = {"no_proxy": ["localhost", ".svc", ".cluster.local", "10.233.0.0/17", ".kubeflow"], "proxy": True,
            "ca_bundle": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}


def _crd_schema(name, version):
    with open(os.path.join(CRDS, "kubeflow.org_%s.yaml" % name), encoding="utf-8") as handle:
        crd = yaml.safe_load(handle)
    (schema,) = [v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"] if v["name"] == version]
    return schema


def _objects(team=0, settings=None):
    return {(o["kind"], o["metadata"]["name"]): o for o in kt.team_objects(TEAMS["teams"][team], settings or SETTINGS)}


def test_profile_quota_and_namespace_agree_as_the_profile_controller_needs():
    objects = _objects()
    profile, quota = objects[("Profile", "vision")], objects[("ResourceQuota", "kf-resource-quota")]
    namespace = objects[("Namespace", "vision")]
    assert quota["spec"] == profile["spec"]["resourceQuotaSpec"] == {"hard": {
        "requests.cpu": "8", "requests.memory": "32Gi", "requests.nvidia.com/gpu": "2", "requests.storage": "200Gi"}}
    assert namespace["metadata"]["annotations"]["owner"] == profile["spec"]["owner"]["name"] == "lead@corp.example"
    assert list(objects)[:3] == [("Namespace", "vision"), ("Profile", "vision"), ("ResourceQuota", "kf-resource-quota")]
    for obj in objects.values():
        assert obj["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "mlplatform-installer",
                                             "mlplatform.io/kubeflow-team": "vision"}


def test_profile_and_poddefault_validate_against_the_pinned_crds():
    objects = _objects()
    jsonschema.validate(objects[("Profile", "vision")], _crd_schema("profiles", "v1"))
    jsonschema.validate(objects[("PodDefault", "mlp-corporate-network")], _crd_schema("poddefaults", "v1alpha1"))


def test_poddefault_injects_proxy_from_the_secret_no_proxy_and_the_ca():
    spec = _objects()[("PodDefault", "mlp-corporate-network")]["spec"]
    env = {e["name"]: e for e in spec["env"]}
    assert env["NO_PROXY"]["value"] == "localhost,.svc,.cluster.local,10.233.0.0/17,.kubeflow,.vision"
    assert env["no_proxy"] == dict(env["NO_PROXY"], name="no_proxy")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": "mlp-proxy", "key": name}}}
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT"):
        assert env[name]["value"] == "/etc/mlplatform/ca/ca-bundle.crt"
    assert spec["volumeMounts"] == [{"name": "mlp-corporate-ca", "mountPath": "/etc/mlplatform/ca", "readOnly": True}]
    assert spec["selector"] == {"matchExpressions": [{"key": "mlplatform.io/no-corporate-network", "operator": "DoesNotExist"}]}
    # Without proxy and CA: NO_PROXY only, no mount, no ConfigMap.
    bare = _objects(settings={"no_proxy": [".svc"]})
    assert [e["name"] for e in bare[("PodDefault", "mlp-corporate-network")]["spec"]["env"]] == ["NO_PROXY", "no_proxy"]
    assert ("ConfigMap", "mlp-corporate-ca") not in bare


def test_proxy_credentials_only_in_the_secret():
    url = "http://user:pa55@proxy.corp.example:3128"
    assert url not in repr(kt.team_objects(TEAMS["teams"][0], dict(SETTINGS, proxy=True)))
    secret = kt.proxy_secret("vision", url, url)
    assert secret["stringData"]["HTTPS_PROXY"] == url and secret["metadata"]["namespace"] == "vision"


def test_each_user_gets_an_account_and_a_binding_to_the_member_role():
    objects = _objects()
    binding = objects[("RoleBinding", "user-alice")]
    assert objects[("ServiceAccount", "user-alice")]["metadata"]["namespace"] == "vision"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "mlplatform-kubeflow-team-member"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "user-alice", "namespace": "vision"},
                                   {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@corp.example"}]
    assert binding["metadata"]["annotations"] == {"user": "alice@corp.example", "role": "edit"}


def _found(objects):
    """As registered by the role's lookups: per kind, the items without kind/apiVersion."""
    groups = {}
    for obj in objects:
        groups.setdefault((obj["apiVersion"], obj["kind"]), []).append({"metadata": obj["metadata"]})
    return [{"item": {"api_version": a, "kind": k}, "resources": r} for (a, k), r in groups.items()]


def test_a_removed_user_and_team_are_revoked_access_first_namespace_kept():
    before = kt.team_objects(TEAMS["teams"][0], SETTINGS) + kt.team_objects(TEAMS["teams"][1], SETTINGS)
    foreign = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default-editor", "namespace": "vision"}}
    found = kt.found_objects(_found(before + [foreign]))
    team = dict(TEAMS["teams"][0], users=[TEAMS["teams"][0]["users"][0]])  # bob removed, nlp gone
    desired = kt.team_objects(team, SETTINGS)
    stale = kt.stale_objects(found, [kt.identity(o) for o in desired])
    assert [(s["kind"], s["namespace"], s["name"]) for s in stale] == [
        ("RoleBinding", "nlp", "user-carol"), ("RoleBinding", "vision", "user-bob"),
        ("ServiceAccount", "nlp", "user-carol"), ("ServiceAccount", "vision", "user-bob"),
        ("PodDefault", "nlp", "mlp-corporate-network"), ("ConfigMap", "nlp", "mlp-corporate-ca"),
        ("ResourceQuota", "nlp", "kf-resource-quota"), ("Profile", None, "nlp")]
    kinds = [s["kind"] for s in stale]
    assert kinds[:4] == ["RoleBinding", "RoleBinding", "ServiceAccount", "ServiceAccount"]
    assert "Namespace" not in kinds and "default-editor" not in [s["name"] for s in stale]
    assert kt.kept_namespaces(found, desired) == ["nlp"]
    assert kt.references(stale)[0] == {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                       "metadata": {"name": "user-carol", "namespace": "nlp"}}
    assert kt.stale_objects(found, desired + kt.team_objects(TEAMS["teams"][1], SETTINGS)) == [
        {"kind": "RoleBinding", "api_version": "rbac.authorization.k8s.io/v1", "namespace": "vision", "name": "user-bob"},
        {"kind": "ServiceAccount", "api_version": "v1", "namespace": "vision", "name": "user-bob"}]


def test_found_objects_keep_no_secret_data():
    results = [{"item": {"api_version": "v1", "kind": "Secret"},
                "resources": [{"metadata": {"name": "mlp-proxy", "namespace": "vision"}, "data": {"HTTP_PROXY": "c2VjcmV0"}}]}]
    assert kt.found_objects(results) == [{"kind": "Secret", "apiVersion": "v1",
                                          "metadata": {"name": "mlp-proxy", "namespace": "vision"}}]


ADMIN = {"apiVersion": "v1", "kind": "Config", "current-context": "admin@mlp",
         "clusters": [{"name": "mlp", "cluster": {"server": "https://10.0.0.11:6443", "certificate-authority-data": "Q0E="}}],
         "contexts": [{"name": "admin@mlp", "context": {"cluster": "mlp", "user": "admin"}}],
         "users": [{"name": "admin", "user": {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}}]}


def test_user_kubeconfig_has_the_cluster_the_token_and_no_admin_credential():
    config = kt.user_kubeconfig(ADMIN, "alice", "vision", "tok")
    assert config["clusters"] == [{"name": "mlplatform", "cluster": {"server": "https://10.0.0.11:6443",
                                                                     "certificate-authority-data": "Q0E="}}]
    assert config["users"] == [{"name": "alice", "user": {"token": "tok"}}]
    assert config["contexts"][0]["context"] == {"cluster": "mlplatform", "user": "alice", "namespace": "vision"}
    assert "a2V5" not in repr(config)
    with pytest.raises(ValueError, match="no cluster with a server"):
        kt.user_kubeconfig({"clusters": []}, "alice", "vision", "tok")
    carol = {"team": "nlp", "name": "carol", "email": "carol@corp.example", "account": "user-carol"}
    assert kt.find_user(TEAMS["teams"], "carol") == carol
    assert kt.find_user(TEAMS["teams"], "mallory") is None
