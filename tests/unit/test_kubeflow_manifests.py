"""Kubeflow's manifests made installable inside the perimeter (plugins/module_utils/kubeflow_manifests.py,
plugins/modules/kubeflow_build.py).

The pure functions on the shapes the 26.03 manifests have (the remote URLs
and the image strings below are theirs, read at tag 26.03); then the module
through a real ansible-playbook with the real kustomize (v5.8.1, built from Go
modules by testbed/kubernetes/build.sh) on the molecule scenario's fixture
tree, copied, and on variants of it.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess

import pytest
import yaml
from ansible_collections.mlplatform.installer.plugins.module_utils import kubeflow_manifests as km

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(REPO, ".venv", "bin")
FIXTURE = os.path.join(REPO, "molecule", "kubernetes", "files", "kubeflow-fixture")
MIRROR = "nexus.corp.test:8443"
PROXIED = ["registry.k8s.io", "docker.io", "quay.io", "ghcr.io", "gcr.io"]

ARGO = "https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3"
LWS = "https://github.com/kubernetes-sigs/lws//config/default?ref=v0.7.0"
JOBSET = "https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml"


# ----------------------------------------------------------------- remote bases

@pytest.mark.parametrize("url, key, inside", [
    (ARGO, "github.com/argoproj/argo-workflows@v3.7.3", "manifests/base/crds/minimal"),
    (LWS, "github.com/kubernetes-sigs/lws@v0.7.0", "config/default"),
    (JOBSET, JOBSET, ""),
    ("github.com/kubeflow/katib/manifests/v1beta1?ref=v0.18.0", "github.com/kubeflow/katib@v0.18.0", "manifests/v1beta1"),
    ("git::https://git.corp.test/ml/base.git//deploy?ref=1.2", "git.corp.test/ml/base@1.2", "deploy"),
])
def test_remote_key_names_the_repository_and_ref(url, key, inside):
    assert km.remote_key(url) == (key, inside)


@pytest.mark.parametrize("url, problem", [
    ("https://github.com/argoproj/argo-workflows/manifests/base", "names no ?ref="),
    ("https://git.corp.test/ml/base/deploy?ref=1.2", "cannot tell the repository from the directory"),
])
def test_remote_key_refuses_what_cannot_be_mirrored(url, problem):
    with pytest.raises(km.ManifestsError, match=problem.replace("?", r"\?")):
        km.remote_key(url)


def test_localize_points_remote_entries_at_relative_mirrored_paths(tmp_path):
    (tmp_path / "argo" / "manifests" / "base" / "crds" / "minimal").mkdir(parents=True)
    (tmp_path / "jobset.yaml").write_text("---\n")
    here = tmp_path / "manifests" / "applications" / "pipeline"
    here.mkdir(parents=True)
    kustomization = {"resources": ["local.yaml", ARGO, JOBSET], "components": ["../x"]}
    bases = {"github.com/argoproj/argo-workflows@v3.7.3": str(tmp_path / "argo"), JOBSET: str(tmp_path / "jobset.yaml")}
    new, replaced, problems = km.localize(kustomization, bases, str(here))
    assert problems == []
    assert new["resources"] == ["local.yaml", "../../../argo/manifests/base/crds/minimal", "../../../jobset.yaml"]
    assert new["components"] == ["../x"] and kustomization["resources"][1] == ARGO  # a copy; the input is kept
    assert [url for url, _path in replaced] == [ARGO, JOBSET]


def test_localize_names_the_key_to_add_and_a_wrong_checkout(tmp_path):
    (tmp_path / "lws").mkdir()  # not a checkout of lws: config/default is missing
    bases = {"github.com/kubernetes-sigs/lws@v0.7.0": str(tmp_path / "lws")}
    _new, replaced, problems = km.localize({"resources": [ARGO, LWS]}, bases, str(tmp_path))
    assert replaced == []
    assert "add 'github.com/argoproj/argo-workflows@v3.7.3': <path of a checkout of github.com/argoproj/argo-workflows " \
           "at v3.7.3 on the controller> to cluster_kubeflow.platform.remote_bases" in problems[0]
    assert "has no directory config/default: is it a checkout of github.com/kubernetes-sigs/lws@v0.7.0?" in problems[1]


def test_only_the_kustomizations_the_stages_read_are_followed(tmp_path):
    def write(path, data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data))
    write(tmp_path / "apps" / "a" / "kustomization.yaml", {"resources": ["../base", "cm.yaml", ARGO]})
    write(tmp_path / "apps" / "base" / "kustomization.yaml", {"resources": ["dep.yaml"]})
    (tmp_path / "apps" / "a" / "cm.yaml").write_text("---\n")
    # Upstream carries overlays nobody builds, with remote bases of their own.
    write(tmp_path / "apps" / "unbuilt" / "kustomization.yaml", {"resources": [JOBSET]})

    def load(path):
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    assert km.reachable(str(tmp_path), ["apps/a"], load) == ["apps/a/kustomization.yaml", "apps/base/kustomization.yaml"]


# ----------------------------------------------------------------- images

@pytest.mark.parametrize("ref, parts", [
    ("busybox:1.28", ("docker.io", "library/busybox", ":1.28")),
    ("kserve/storage-initializer:v0.16.0", ("docker.io", "kserve/storage-initializer", ":v0.16.0")),
    ("docker.io/istio/proxyv2:1.28.0", ("docker.io", "istio/proxyv2", ":1.28.0")),
    ("index.docker.io/library/mysql:8.0.29", ("docker.io", "library/mysql", ":8.0.29")),
    ("gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "4" * 64,
     ("gcr.io", "knative-releases/knative.dev/serving/cmd/queue", "@sha256:" + "4" * 64)),
    ("localhost:5000/demo:1", ("localhost:5000", "demo", ":1")),
    ("gcr.io/istio-release", ("gcr.io", "istio-release", "")),
])
def test_split_image_normalises_as_docker_does(ref, parts):
    assert km.split_image(ref) == parts


def deployment(image, **container):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "kubeflow",
                                                                        "annotations": {"upstream": "gcr.io/x/y:1"}},
            "spec": {"template": {"spec": {"containers": [dict(name="main", image=image, **container)],
                                           "initContainers": [{"name": "init", "image": "busybox:1.28"}]}}}}


def test_pod_spec_images_move_to_the_mirror_with_their_upstream_path():
    objects = [deployment("ghcr.io/kubeflow/kfp-api-server:2.16.0",
                          env=[{"name": "V2_LAUNCHER_IMAGE", "value": "ghcr.io/kubeflow/kfp-launcher:2.16.0"},
                               {"name": "DOCS", "value": "https://gcr.io/v2/ is where the images live"}])]
    out, images, problems = km.rewrite_images(objects, MIRROR, PROXIED)
    spec = out[0]["spec"]["template"]["spec"]
    assert problems == []
    assert spec["containers"][0]["image"] == MIRROR + "/kubeflow/kfp-api-server:2.16.0"
    assert spec["containers"][0]["env"] == [{"name": "V2_LAUNCHER_IMAGE", "value": MIRROR + "/kubeflow/kfp-launcher:2.16.0"},
                                            {"name": "DOCS", "value": "https://gcr.io/v2/ is where the images live"}]
    assert spec["initContainers"][0]["image"] == MIRROR + "/library/busybox:1.28"
    assert out[0]["metadata"] == objects[0]["metadata"]  # labels and annotations are not images to pull
    assert objects[0]["spec"]["template"]["spec"]["containers"][0]["image"].startswith("ghcr.io")  # input kept
    assert images["busybox:1.28"] == MIRROR + "/library/busybox:1.28"


def test_strings_and_embedded_yaml_carry_images_too():
    values = json.dumps({"global": {"hub": "gcr.io/istio-release", "tag": "1.28.0"}})
    template = "spec:\n  initContainers:\n  - name: grpc-bootstrap-init\n    image: busybox:1.28\n" \
               "    args: [\"{{ .Values.global.hub }}/proxyv2\"]\n"
    objects = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "values", "namespace": "istio-system"},
                "data": {"values": values, "config": template,
                         "kubernetes.podspec-volumes-image": "disabled"}},
               {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterStorageContainer",
                "metadata": {"name": "default"}, "spec": {"container": {"name": "si",
                                                                        "image": "kserve/storage-initializer:v0.16.0"}}}]
    out, _images, problems = km.rewrite_images(objects, MIRROR, PROXIED)
    assert problems == []
    assert json.loads(out[0]["data"]["values"])["global"]["hub"] == MIRROR + "/istio-release"
    assert "image: %s/library/busybox:1.28\n" % MIRROR in out[0]["data"]["config"]
    assert "{{ .Values.global.hub }}/proxyv2" in out[0]["data"]["config"]
    assert out[0]["data"]["kubernetes.podspec-volumes-image"] == "disabled"
    assert out[1]["spec"]["container"]["image"] == MIRROR + "/kserve/storage-initializer:v0.16.0"


def test_crds_are_left_as_they_are_and_the_mirrors_images_too():
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "x"},
           "spec": {"versions": [{"schema": {"description": "e.g. gcr.io/tfx-oss-public/ml_metadata_store_server:1.14.0"}}]}}
    mine = deployment(MIRROR + "/kubeflow/central-dashboard:v1.10.0")
    out, _images, problems = km.rewrite_images([crd, mine], MIRROR, PROXIED)
    assert out[0] == crd and problems == []
    assert out[1]["spec"]["template"]["spec"]["containers"][0]["image"] == MIRROR + "/kubeflow/central-dashboard:v1.10.0"


def test_without_a_mirror_every_image_is_listed_and_kept():
    objects = [deployment("gcr.io/istio-release/pilot:1.28.0",
                          env=[{"name": "L", "value": "ghcr.io/kubeflow/kfp-launcher:2.16.0"}])]
    out, images, problems = km.rewrite_images(objects, "", [])
    assert out == objects and problems == []
    assert images == {ref: ref for ref in ("gcr.io/istio-release/pilot:1.28.0", "ghcr.io/kubeflow/kfp-launcher:2.16.0",
                                           "busybox:1.28")}


def test_an_unproxied_registry_is_one_problem_naming_each_image_and_where():
    objects = [deployment("gcr.io/istio-release/pilot:1.28.0",
                          env=[{"name": "Q", "value": "gcr.io/knative-releases/queue@sha256:" + "4" * 64}])]
    _out, _images, problems = km.rewrite_images(objects, MIRROR, ["registry.k8s.io", "docker.io", "ghcr.io"])
    assert problems == [
        "gcr.io, which cluster_mirror.registries does not proxy, serves 2 of the images: "
        "gcr.io/istio-release/pilot:1.28.0 (Deployment/kubeflow/d container main), "
        "gcr.io/knative-releases/queue@sha256:%s (Deployment/kubeflow/d); add gcr.io to cluster_mirror.registries "
        "(the Nexus layer makes its docker proxy) and seed them" % ("4" * 64)]


# ----------------------------------------------------------------- stages and credentials

def obj(kind, name, namespace=None, **rest):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return dict({"apiVersion": "v1", "kind": kind, "metadata": meta}, **rest)


def test_stage_files_put_namespaces_and_crds_first_and_secrets_apart():
    built = [("cert-manager", [obj("Namespace", "cert-manager"), obj("CustomResourceDefinition", "certificates.cert-manager.io"),
                               obj("Deployment", "cert-manager", "cert-manager")]),
             ("auth", [obj("Namespace", "auth"), obj("Secret", "dex-passwords", "auth"),
                       obj("StatefulSet", "dex", "auth"), obj("Namespace", "cert-manager")]),
             ("apps", [obj("CustomResourceDefinition", "notebooks.kubeflow.org"), obj("ConfigMap", "c", "kubeflow")])]
    files = km.stage_files(built)
    assert [(f["name"], [km.identity(o) for o in f["objects"]], f["wait"], f["secrets"], f["workloads"]) for f in files] == [
        ("namespaces", ["Namespace/cert-manager", "Namespace/auth"], "none", False, []),
        ("crds", ["CustomResourceDefinition/certificates.cert-manager.io", "CustomResourceDefinition/notebooks.kubeflow.org"],
         "established", False, []),
        ("cert-manager", ["Deployment/cert-manager/cert-manager"], "ready", False, ["Deployment/cert-manager/cert-manager"]),
        ("auth-secrets", ["Secret/auth/dex-passwords"], "none", True, []),
        ("auth", ["StatefulSet/auth/dex"], "ready", False, ["StatefulSet/auth/dex"]),
        ("apps", ["ConfigMap/kubeflow/c"], "ready", False, []),
    ]
    # A field of ours on every Namespace, so that a second apply is a no-op.
    assert files[0]["objects"][0]["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "mlplatform-installer"}
    assert "labels" not in built[0][1][0]["metadata"]  # the build itself is left as it is


def test_default_credentials_are_found_in_string_and_base64_data_and_generated_names():
    def sha(value):
        return hashlib.sha256(value.encode()).hexdigest()
    known = [{"secret": "auth/dex-passwords", "key": "DEX_USER_PASSWORD", "sha256": sha("$2y$12$hash")},
             {"secret": "oauth2-proxy/oauth2-proxy", "key": "cookie-secret", "sha256": sha("7d16")},
             {"secret": "auth/dex-oidc-client", "key": "OIDC_CLIENT_SECRET", "sha256": sha("public")}]
    objects = [obj("Secret", "dex-passwords", "auth", stringData={"DEX_USER_PASSWORD": "$2y$12$hash"}),
               obj("Secret", "oauth2-proxy-h675gf55ht", "oauth2-proxy", data={"cookie-secret": base64.b64encode(b"7d16").decode()}),
               obj("Secret", "dex-oidc-client", "auth", stringData={"OIDC_CLIENT_SECRET": "changed-by-the-site"}),
               obj("Secret", "oauth2-proxy-extra-h675gf55ht", "oauth2-proxy", data={"cookie-secret": "not base64!"})]
    assert km.default_credentials(objects, known) == ["Secret/auth/dex-passwords DEX_USER_PASSWORD",
                                                      "Secret/oauth2-proxy/oauth2-proxy-h675gf55ht cookie-secret"]


def test_the_26_03_install_data_lists_the_stages_and_credentials_of_the_release():
    with open(os.path.join(REPO, "compatibility", "kubeflow-26.03-install.yml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert data["release"] == "26.03"
    assert [s["name"] for s in data["stages"]] == ["cert-manager", "istio", "auth", "platform", "applications"]
    paths = [p for s in data["stages"] for p in s["paths"]]
    assert len(paths) == len(set(paths)) == 26 and "common/user-namespace/base" not in paths
    # The keys remote_bases must use are the ones remote_key gives for the URLs at the tag.
    assert sorted(data["remote_bases"]) == sorted({km.remote_key(u)[0] for u in (ARGO, LWS, JOBSET)})
    assert {(c["secret"], c["key"]) for c in data["default_credentials"]} == {
        ("auth/dex-passwords", "DEX_USER_PASSWORD"), ("auth/dex-oidc-client", "OIDC_CLIENT_SECRET"),
        ("oauth2-proxy/oauth2-proxy", "client-secret"), ("oauth2-proxy/oauth2-proxy", "cookie-secret")}
    # The OIDC client secret upstream ships, base64 in its Secret at 26.03.
    shipped = base64.b64decode("cFVCbkJPWTgwU25YZ2ppYlRZTTlaV056WTJ4cmVOR1Fvaw==")
    assert hashlib.sha256(shipped).hexdigest() == data["default_credentials"][1]["sha256"]


def test_stages_problems_name_a_path_that_is_not_a_kustomization(tmp_path):
    (tmp_path / "common" / "x").mkdir(parents=True)
    (tmp_path / "common" / "x" / "kustomization.yaml").write_text("resources: []\n")
    assert km.stages_problems([{"name": "a", "paths": ["common/x"]}], str(tmp_path)) == []
    found = km.stages_problems([{"name": "a", "paths": ["common/x", "common/y"]}, {"name": "a", "paths": []},
                                {"name": "crds", "paths": []}], str(tmp_path))
    assert found == ["stages[0] (a): common/y has no kustomization in %s: is the copy at the release's tag?" % tmp_path,
                     "stages[1].name 'a' is used twice, or is a name the build gives its own files",
                     "stages[2].name 'crds' is used twice, or is a name the build gives its own files"]


# ----------------------------------------------------------------- the module, with the real kustomize

@pytest.fixture(scope="module")
def kustomize():
    out = subprocess.run([os.path.join(REPO, "testbed", "kubernetes", "build.sh"), "--print-dir"], check=True,
                         capture_output=True, text=True).stdout
    return os.path.join(dict(line.split(" ", 1) for line in out.splitlines())["kustomize"], "kustomize")


def run_build(tmp_path, kustomize, **override):
    with open(os.path.join(FIXTURE, "install.yml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    args = {"manifests": str(tmp_path / "fixture" / "manifests"), "stages": data["stages"], "kustomize": kustomize,
            "kustomize_version": "5.8.1", "default_credentials": data["default_credentials"],
            "remote_bases": {"github.com/example-org/demo-base@v1.0.0": str(tmp_path / "fixture" / "mirrored" / "demo-base-v1.0.0"),
                             "https://github.com/example-org/demo/releases/download/v1.0.0/extra.yaml":
                                 str(tmp_path / "fixture" / "mirrored" / "files" / "extra.yaml")},
            "mirror_registry": MIRROR, "mirror_registries": PROXIED, "dest": str(tmp_path / "build")}
    args.update(override)
    (tmp_path / "args.json").write_text(json.dumps(args))
    (tmp_path / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - mlplatform.installer.kubeflow_build: \"{{ lookup('file', '%s') | from_json }}\"\n      register: out\n"
        "    - ansible.builtin.copy: {content: \"{{ out | to_json }}\", dest: \"%s\", mode: \"0600\"}\n"
        % (tmp_path / "args.json", tmp_path / "result.json"))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"),
                           "-e", "ansible_python_interpreter=" + os.path.join(BIN, "python")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    result = json.loads((tmp_path / "result.json").read_text()) if proc.returncode == 0 else None
    return proc, result


@pytest.fixture()
def fixture_copy(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "fixture")
    return tmp_path


def test_the_module_builds_the_stages_and_a_second_build_changes_nothing(fixture_copy, kustomize):
    proc, first = run_build(fixture_copy, kustomize)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert first["changed"] is True
    assert [(s["name"], s["objects"], s["wait"], s["secrets"]) for s in first["stages"]] == [
        ("namespaces", 2, "none", False), ("crds", 1, "established", False), ("cert-manager", 1, "ready", False),
        ("applications-secrets", 1, "none", True), ("applications", 4, "ready", False)]
    assert first["stages"][-1]["workloads"] == ["Deployment/mlp-fixture-apps/demo"]
    assert sorted(url for url, _path in first["remote"]) == [
        "https://github.com/example-org/demo-base//config?ref=v1.0.0",
        "https://github.com/example-org/demo/releases/download/v1.0.0/extra.yaml"]
    with open(first["stages"][-1]["file"], encoding="utf-8") as handle:
        apps = {km.identity(o): o for o in yaml.safe_load_all(handle)}
    assert apps["Deployment/mlp-fixture-apps/demo"]["spec"]["template"]["spec"]["containers"][0]["image"] == \
        MIRROR + "/example-org/demo:v1.0.0"
    assert "ServiceAccount/mlp-fixture-apps/demo-extra" in apps  # from the mirrored file
    assert oct(os.stat(first["stages"][-1]["file"]).st_mode & 0o777) == "0o600"
    proc, second = run_build(fixture_copy, kustomize)
    assert proc.returncode == 0 and second["changed"] is False


@pytest.mark.parametrize("override, message", [
    ({"remote_bases": {}}, "2 remote bases are not mirrored: applications/demo/kustomization.yaml: "
                           "https://github.com/example-org/demo-base//config?ref=v1.0.0 is not mirrored: add "
                           "'github.com/example-org/demo-base@v1.0.0'"),
    ({"kustomize_version": "v5.7.1"}, "prints 'v5.8.1', and cluster_release.kustomize pins v5.7.1: install that version"),
    ({"stages": [{"name": "apps", "paths": ["applications/missing"]}]}, "applications/missing has no kustomization"),
    ({"mirror_registries": ["docker.io"]}, "ghcr.io, which cluster_mirror.registries does not proxy, serves 2 of the images"),
])
def test_the_module_refuses_before_writing_a_stage(fixture_copy, kustomize, override, message):
    proc, _result = run_build(fixture_copy, kustomize, **override)
    assert proc.returncode != 0
    assert message in proc.stdout, proc.stdout[-3000:]
    build = fixture_copy / "build"
    assert not build.exists() or not [name for name in os.listdir(build) if name.endswith(".yaml")]
