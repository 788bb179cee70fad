"""Render roles/gluster_k8s with Ansible and validate the manifests.

The role runs in its render-only mode through a real ansible-playbook (the
same templates and filters production applies with kubernetes.core.k8s);
every object is then validated with kubernetes-validate --strict against
Kubernetes 1.35 (the pinned cluster_release.kubernetes is 1.35.x), and the
pieces that must agree with each other (provisioner name, ConfigMap paths,
StorageClass names, service account) are checked against each other.
"""

import json
import os
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
KUBERNETES = "1.35.0"
VOLUMES = [{"name": "gv0", "replica": 3, "arbiter": 0}, {"name": "gva", "replica": 2, "arbiter": 1}]

PLAYBOOK = """
- name: Render gluster_k8s
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    # The venv's Python, as implicit localhost gets in production.
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  roles:
    - role: gluster_k8s
      vars:
        gluster_k8s_render_only: true
        gluster_k8s_render_dir: {render_dir}
"""


def render(tmp_path, extra_vars):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK.format(render_dir=tmp_path / "out"))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(playbook),
                           "-e", json.dumps(extra_vars)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return proc, tmp_path / "out"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gluster_k8s")
    proc, out = render(tmp_path, {"cluster_gluster_volumes": VOLUMES, "gluster_client_mount_root": "/mnt/gluster"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = sorted(p for p in out.iterdir())
    objects = []
    for path in files:
        objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return {"files": files, "objects": objects}


def by_kind(rendered, kind):
    return [o for o in rendered["objects"] if o["kind"] == kind]


def test_every_manifest_file_is_rendered(rendered):
    assert [p.name for p in rendered["files"]] == [
        "10-namespace.yaml", "20-rbac.yaml", "30-config.yaml", "40-provisioner.yaml", "50-storageclasses.yaml"]


def test_kubernetes_validate_strict_cli(rendered):
    proc = subprocess.run([os.path.join(BIN, "kubernetes-validate"), "--strict", "-k", KUBERNETES]
                          + [str(p) for p in rendered["files"]], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(" passed for resource ") == len(rendered["objects"]), proc.stdout


def test_every_object_validates_strictly(rendered):
    for obj in rendered["objects"]:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)


def test_the_validator_rejects_an_unknown_field(rendered):
    # Shows the strict check can fail: a misspelt field in the Deployment.
    deployment = json.loads(json.dumps(by_kind(rendered, "Deployment")[0]))
    deployment["spec"]["template"]["spec"]["serviceAcountName"] = "typo"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_one_storage_class_per_volume_and_one_default(rendered):
    classes = by_kind(rendered, "StorageClass")
    assert [c["metadata"]["name"] for c in classes] == ["gluster-gv0", "gluster-gva"]
    defaults = [c["metadata"]["name"] for c in classes
                if c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"]
    assert defaults == ["gluster-gv0"]
    assert all(c["reclaimPolicy"] == "Retain" and c["volumeBindingMode"] == "Immediate" for c in classes)


def test_provisioner_config_points_every_class_at_its_gluster_mount(rendered):
    config_map = by_kind(rendered, "ConfigMap")[0]
    config = json.loads(config_map["data"]["config.json"])
    assert config == {"nodePathMap": [], "storageClassConfigs": {
        "gluster-gv0": {"sharedFileSystemPath": "/mnt/gluster/gv0/k8s-pv"},
        "gluster-gva": {"sharedFileSystemPath": "/mnt/gluster/gva/k8s-pv"}}}
    assert sorted(config["storageClassConfigs"]) == sorted(
        c["metadata"]["name"] for c in by_kind(rendered, "StorageClass"))


def test_helper_pod_template_is_a_valid_pod(rendered):
    config_map = by_kind(rendered, "ConfigMap")[0]
    pod = yaml.safe_load(config_map["data"]["helperPod.yaml"])
    kubernetes_validate.validate(pod, KUBERNETES, strict=True)
    assert pod["spec"]["containers"][0]["image"] == "docker.io/library/busybox:1.37.0"
    # Forbidden by the provisioner's helper pod validation (README of v0.0.37).
    for field in ("securityContext", "volumes", "serviceAccountName", "nodeName", "hostNetwork"):
        assert field not in pod["spec"]


def test_storage_classes_name_the_provisioner_the_deployment_runs_as(rendered):
    deployment = by_kind(rendered, "Deployment")[0]
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    name = command[command.index("--provisioner-name") + 1]
    assert {c["provisioner"] for c in by_kind(rendered, "StorageClass")} == {name}
    assert command[command.index("--configmap-name") + 1] == by_kind(rendered, "ConfigMap")[0]["metadata"]["name"]


def test_service_account_is_bound_where_it_runs(rendered):
    deployment = by_kind(rendered, "Deployment")[0]
    namespace = deployment["metadata"]["namespace"]
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    assert by_kind(rendered, "ServiceAccount")[0]["metadata"] == {
        "name": account, "namespace": namespace, "labels": {"app.kubernetes.io/name": account}}
    for binding in by_kind(rendered, "RoleBinding") + by_kind(rendered, "ClusterRoleBinding"):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]
    assert {o["metadata"].get("namespace", namespace) for o in rendered["objects"]
            if o["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass")} == {namespace}


def test_images_are_pinned(rendered):
    deployment = by_kind(rendered, "Deployment")[0]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "docker.io/rancher/local-path-provisioner:v0.0.37"


def test_mount_root_mismatch_is_refused(tmp_path):
    proc, _out = render(tmp_path, {"cluster_gluster_volumes": VOLUMES, "gluster_client_mount_root": "/srv/gluster"})
    assert proc.returncode != 0
    assert "PersistentVolumes would be written outside the Gluster mounts" in proc.stdout


def test_no_volume_no_storage_class(tmp_path):
    proc, _out = render(tmp_path, {"cluster_gluster_volumes": []})
    assert proc.returncode != 0 and "gluster_k8s needs at least one volume" in proc.stdout
