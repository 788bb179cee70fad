"""The golden image step on the controller, with a small image made here.

A 64 MiB qcow2 image with data in it stands in for Ubuntu's cloud image, on a
file:// "mirror" laid out like cloud-images.ubuntu.com (with its SHA256SUMS).
The hyperv_image role's `controller` entry point downloads it with checksum
verification, converts it with qemu-img and records the VHDX's checksum; a
second run changes nothing; a wrong checksum stops the run.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
IMAGE_NAME = "ubuntu-24.04-server-cloudimg-amd64.img"

PLAYBOOK = """\
- name: Golden image on the controller
  hosts: localhost
  gather_facts: false
  vars:
    cluster_release: {os: [ubuntu-24.04]}
    cluster_https_proxy: ""
    cluster_no_proxy_extra: []
    cluster_ca_bundle: ""
  tasks:
    - name: Prepare the golden image
      ansible.builtin.import_role:
        name: hyperv_image
        tasks_from: controller
    - name: Show the facts for the upload
      ansible.builtin.debug:
        msg: "{{ {'vhdx': hyperv_image_local_vhdx, 'sha256': hyperv_image_vhdx_sha256,
                  'name': hyperv_image_file_name} | to_json }}"
"""


@pytest.fixture(autouse=True, scope="module")
def _qemu_utils():
    # A controller dependency of the role: missing is a failure, not a skip.
    missing = [tool for tool in ("qemu-img", "qemu-io") if not shutil.which(tool)]
    assert not missing, "%s not found: apt-get install qemu-utils" % " and ".join(missing)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_mirror(root):
    """A tiny qcow2 'cloud image' and its SHA256SUMS, in the mirror's layout."""
    folder = os.path.join(root, "mirror", "24.04", "release")
    os.makedirs(folder)
    image = os.path.join(folder, IMAGE_NAME)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", image, "64M"], check=True)
    subprocess.run(["qemu-io", "-c", "write -P 0xab 0 1M", "-c", "write -P 0x5a 32M 512k", image],
                   check=True, capture_output=True)
    with open(os.path.join(folder, "SHA256SUMS"), "w", encoding="utf-8") as handle:
        handle.write("%s *%s\n%s *other.img\n" % (sha256(image), IMAGE_NAME, "0" * 64))
    return image


def run(root, *extra):
    playbook = os.path.join(root, "golden.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write(PLAYBOOK)
    argv = [PLAYBOOK_BIN, playbook, "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=" + sys.executable,
            "-e", "hyperv_image_mirror=file://" + os.path.join(root, "mirror"),
            "-e", "hyperv_image_cache_dir=" + os.path.join(root, "cache"), *extra]
    env = dict(os.environ, ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"), ANSIBLE_CALLBACKS_ENABLED="",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)


def recap(proc):
    return json.loads(proc.stdout)["stats"]["localhost"]


def facts(proc):
    for play in json.loads(proc.stdout)["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "Show the facts for the upload":
                return json.loads(task["hosts"]["localhost"]["msg"])
    raise AssertionError("no facts task in the output")


@pytest.fixture(scope="module", name="converted")
def fixture_converted(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("golden"))
    source = make_mirror(root)
    first = run(root)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    return {"root": root, "source": source, "first": first}


def test_image_is_converted_to_a_vhdx_named_after_the_source(converted):
    got = facts(converted["first"])
    assert got["name"] == "ubuntu-24.04-%s.vhdx" % sha256(converted["source"])[:12]
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", got["vhdx"]],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "vhdx"
    assert info["virtual-size"] == 64 * 1024 * 1024


def test_vhdx_holds_the_images_data(converted):
    vhdx = facts(converted["first"])["vhdx"]
    compare = subprocess.run(["qemu-img", "compare", "-f", "qcow2", "-F", "vhdx", converted["source"], vhdx],
                             capture_output=True, text=True, check=False)
    assert compare.returncode == 0, compare.stdout + compare.stderr


def test_checksum_is_recorded_next_to_the_vhdx(converted):
    got = facts(converted["first"])
    with open(got["vhdx"] + ".sha256", encoding="utf-8") as handle:
        recorded = handle.read()
    assert recorded == "%s  %s\n" % (sha256(got["vhdx"]), got["name"])
    assert got["sha256"] == sha256(got["vhdx"])
    assert not os.path.exists(got["vhdx"] + ".partial")


def test_second_run_changes_nothing(converted):
    again = run(converted["root"])
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again)["changed"] == 0
    assert facts(again) == facts(converted["first"])


def test_wrong_checksum_stops_the_download(tmp_path):
    root = str(tmp_path)
    make_mirror(root)
    proc = run(root, "-e", "hyperv_image_checksum=sha256:" + "1" * 64)
    assert proc.returncode != 0
    assert "checksum" in proc.stdout.lower() and "1" * 64 in proc.stdout
    assert not os.path.isdir(os.path.join(root, "cache")) or not [
        name for name in os.listdir(os.path.join(root, "cache")) if name.endswith((".img", ".vhdx"))]
