"""containerd pulls through the mirror by the upstream name (issue 16, item 5).

prepare pushed an image built on the node to the mirror (docker-registry,
TLS by the test CA) under its upstream path; converge wrote containerd's
certs.d/<registry>/hosts.toml from the Kubespray mapping's
containerd_registries_mirrors. Every upstream registry name resolves to
127.0.0.9, where nothing listens: a pull that works came from the mirror.
"""

import json
import os
import pathlib
import re
import shlex

import testinfra.utils.ansible_runner

_RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
# podman:// runs each check with `podman exec`: quicker than one ansible process per command.
testinfra_hosts = ["podman://" + name for name in _RUNNER.get_hosts("all")]

_VARS = _RUNNER.get_variables(_RUNNER.get_hosts("all")[0])
IMAGE = _VARS["registry_mirror_test_image"]            # registry.k8s.io/pause:3.10.1
UPSTREAM = IMAGE.split("/", 1)[0]                     # registry.k8s.io
PATH = IMAGE.split("/", 1)[1].rsplit(":", 1)[0]       # pause
HOSTS_DIR = "/etc/containerd/certs.d"
FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "mirror"
PULL = "ctr -n k8s.io images pull --hosts-dir %s --snapshotter native " % HOSTS_DIR


def test_hosts_toml_is_what_kubespray_writes(host):
    """Each file equals Kubespray v2.31.0's template output for the same mapping (recorded fixture)."""
    expected = json.loads((FIXTURES / "kubespray-hosts-toml.json").read_text())["with_ca"]
    for prefix, text in expected["files"].items():
        assert host.file("%s/%s/hosts.toml" % (HOSTS_DIR, prefix)).content_string == text, prefix
    assert sorted(host.file(HOSTS_DIR).listdir()) == sorted(expected["files"])


def test_upstream_is_unreachable(host):
    assert host.run("getent hosts %s" % UPSTREAM).stdout.split()[0] == "127.0.0.9"
    result = host.run("python3 -c %s" % shlex.quote(
        "import socket; socket.create_connection(('%s', 443), timeout=5)" % UPSTREAM))
    assert result.rc != 0 and "Connection refused" in result.stderr


def test_pull_by_upstream_name_through_the_mirror(host):
    # A fresh pull on every verify: the image and the CRI plugin's own
    # reference to it (named by its config digest) go, and --sync waits for
    # the garbage collector, so its blobs are gone from the content store too.
    refs = [r for r in host.check_output("ctr -n k8s.io images ls -q").split() if r == IMAGE or r.startswith("sha256:")]
    if refs:
        host.check_output("ctr -n k8s.io images rm --sync %s" % " ".join(refs))
    assert host.check_output("ctr -n k8s.io content ls -q") == ""
    since = host.check_output("date -u '+%Y-%m-%d %H:%M:%S'")
    result = host.run(PULL + IMAGE)
    assert result.rc == 0, result.stdout + result.stderr
    assert IMAGE in host.check_output("ctr -n k8s.io images ls -q")
    # The mirror served it, asked on behalf of the upstream registry (containerd's ?ns=).
    log = host.check_output("journalctl -u docker-registry --no-pager --since %s" % shlex.quote(since))
    for kind in ("manifests", "blobs"):
        assert re.search(r'"GET /v2/%s/%s/\S+\?ns=%s HTTP/1.1" 200 ' % (PATH, kind, re.escape(UPSTREAM)), log), (kind, log)
    # The image's own content, unpacked by containerd: the file built in prepare.
    mount = "/tmp/mlp-mirror-proof"
    host.run("mkdir -p %s" % mount)
    try:
        host.check_output("ctr -n k8s.io images mount --snapshotter native %s %s" % (IMAGE, mount))
        assert host.file(mount + "/mlp-mirror-proof").content_string == "pulled through the mirror"
    finally:
        host.run("ctr -n k8s.io images unmount %s" % mount)


def test_a_name_the_mirror_lacks_fails_without_leaving_the_node(host):
    """containerd tries the mirror first, then the upstream, which is not reachable."""
    result = host.run(PULL + "%s/mlp-absent:1.0" % UPSTREAM)
    assert result.rc != 0
    assert "host=\"%s\"" % _VARS["cluster_mirror"]["registry"] in result.stderr  # asked the mirror first
    assert "127.0.0.9:443: connect: connection refused" in result.stderr
