"""roles/kubeflow_platform on the scenario's real API server.

converge ran playbooks/kubeflow.yml with cluster_kubeflow.platform pointing
at files/kubeflow-fixture: our own tree in kubeflow/manifests' layout, with a
remote git base and a remote file mirrored beside it, built by kustomize
v5.8.1 (built from Go modules) and applied in stages. Here:

- what the API server holds came through the stages: the CRD established
  before its custom resource (in a later stage), the remote bases' objects,
  every image on the mirror (pod specs, an env value, embedded YAML), the
  Deployments ready under kwok, every object owned by the role's field
  manager; the build on the controller is private (0700/0600);
- a build from a registry the mirror does not proxy, and one still holding a
  listed default credential, are refused before anything is applied,
  naming what to fix and never printing the value.
"""

import hashlib
import json
import os
import stat
import subprocess

import yaml

from kube import get, kubectl

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
BUILD_DIR = os.path.join(INVENTORY_DIR, "artifacts", "kubeflow-build")
FIXTURE = os.path.join(REPO, "molecule", "kubernetes", "files", "kubeflow-fixture")
MIRROR = "nexus.k8s.mlp.test:8443"
MANAGER = "mlplatform-kubeflow-platform"
ENV = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))


def build_only(*extra):
    """playbooks/kubeflow.yml up to the build (no apply): (exit code, output)."""
    proc = subprocess.run(["ansible-playbook", "playbooks/kubeflow.yml", "-i", INVENTORY_DIR,
                           "--tags", "kubeflow_platform_preflight,kubeflow_platform_build", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=ENV, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def managers(*args):
    """The field managers of an object (kubectl hides managedFields unless asked)."""
    obj = json.loads(kubectl("get", "-o", "json", "--show-managed-fields", *args).stdout)
    return {entry["manager"] for entry in obj["metadata"].get("managedFields", [])}


def test_stages_applied_with_the_mirrors_images_and_the_mirrored_bases():
    crd = get("crd", "widgets.fixture.mlp.test")
    assert any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    # The Widget is built by the later stage; its kind came first with the CRDs.
    widget = get("widget", "-n", "mlp-fixture-apps", "demo")
    assert widget["spec"] == {"size": 3} and MANAGER in managers("widget", "-n", "mlp-fixture-apps", "demo")

    controller = get("deployment", "-n", "mlp-fixture-system", "controller")
    assert controller["spec"]["template"]["spec"]["containers"][0]["image"] == MIRROR + "/library/busybox:1.36"
    assert controller["status"].get("availableReplicas") == 1  # waited for, ready under kwok
    demo = get("deployment", "-n", "mlp-fixture-apps", "demo")  # from the mirrored git base
    container = demo["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == MIRROR + "/example-org/demo:v1.0.0"
    assert container["env"] == [{"name": "LAUNCHER_IMAGE", "value": MIRROR + "/kubeflow/kfp-launcher:2.16.0"}]
    assert demo["status"].get("availableReplicas") == 2
    assert MANAGER in managers("deployment", "-n", "mlp-fixture-apps", "demo")
    template = get("configmap", "-n", "mlp-fixture-apps", "demo-templates")["data"]["sidecar.yaml"]
    assert "image: %s/library/alpine:3.20" % MIRROR in template, template
    assert get("serviceaccount", "-n", "mlp-fixture-apps", "demo-extra")  # from the mirrored file
    assert MANAGER in managers("secret", "-n", "mlp-fixture-apps", "demo-login")

    assert stat.S_IMODE(os.stat(BUILD_DIR).st_mode) == 0o700
    files = sorted(f for f in os.listdir(BUILD_DIR) if f.endswith(".yaml"))
    assert files == ["00-namespaces.yaml", "01-crds.yaml", "02-cert-manager.yaml", "03-applications-secrets.yaml",
                     "04-applications.yaml"], files
    for name in files:
        assert stat.S_IMODE(os.stat(os.path.join(BUILD_DIR, name)).st_mode) == 0o600, name
    with open(os.path.join(BUILD_DIR, "images.txt"), encoding="utf-8") as handle:
        assert handle.read().split() == sorted(MIRROR + p for p in ("/library/busybox:1.36", "/example-org/demo:v1.0.0",
                                                                    "/kubeflow/kfp-launcher:2.16.0",
                                                                    "/library/alpine:3.20"))


def test_an_image_from_a_registry_the_mirror_does_not_proxy_is_refused():
    before = get("deployment", "-n", "mlp-fixture-apps", "demo")["metadata"]["resourceVersion"]
    rc, out = build_only("-e", json.dumps({"kubeflow_platform_mirror_registries": ["registry.k8s.io", "docker.io"]}))
    assert rc != 0
    assert "ghcr.io, which cluster_mirror.registries does not proxy, serves 2 of the images" in out, out[-3000:]
    assert "ghcr.io/example-org/demo:v1.0.0 (Deployment/mlp-fixture-apps/demo container demo)" in out
    assert "add ghcr.io to cluster_mirror.registries" in out
    assert get("deployment", "-n", "mlp-fixture-apps", "demo")["metadata"]["resourceVersion"] == before


def test_a_build_holding_a_listed_default_credential_is_refused(tmp_path):
    with open(os.path.join(FIXTURE, "install.yml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["default_credentials"][0]["sha256"] = hashlib.sha256(b"not-the-upstream-default").hexdigest()
    install = tmp_path / "install.yml"
    install.write_text(yaml.safe_dump(data), encoding="utf-8")
    rc, out = build_only("-e", "kubeflow_platform_install_file=%s" % install)
    assert rc != 0
    assert "the build still holds the credentials Kubeflow's public manifests ship: " \
           "Secret/mlp-fixture-apps/demo-login password" in out, out[-3000:]
    assert "kubeflow_platform_accept_default_credentials: true" in out
    assert "not-the-upstream-default" not in out  # named, never printed
