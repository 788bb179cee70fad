"""Verify roles/nexus from outside the API calls: the service, its listeners, TLS and the secrets.

Read from the node itself (podman exec): systemd, the JVM's command line and
user, the sockets, the data directory, and HTTPS answered with a certificate
that the cluster CA (made in prepare) verifies.
"""

import json

import pytest
import testinfra

testinfra_hosts = ["podman://nexus-nexus1"]
ADMIN_PASSWORD = "Adm1n-vault-S3cret"  # molecule.yml's planted nexus_admin_password
CA = "/etc/ssl/certs/mlp-test-cluster-ca.pem"
HTTPS = "https://nexus1.nexus.mlp.test:8443"
RESOLVE = "nexus1.nexus.mlp.test:8443:10.84.0.10"


@pytest.fixture(scope="module")
def node():
    return testinfra.get_host("podman://nexus-nexus1")


def curl(node, path, *args):
    """(status, body) of an HTTPS request to Nexus, the certificate verified against the cluster CA."""
    cmd = node.run("curl -sS --cacert %s --resolve %s -o /tmp/body -w '%%{http_code}' %s %s%s; echo; cat /tmp/body"
                   % (CA, RESOLVE, " ".join(args), HTTPS, path))
    assert cmd.rc == 0, cmd.stderr
    status, _newline, body = cmd.stdout.partition("\n")
    return int(status), body


def test_service_runs_as_nexus_with_the_memory_limits(node):
    service = node.service("nexus")
    assert service.is_running and service.is_enabled
    java = list(node.process.filter(comm="java"))
    assert len(java) == 1
    args = java[0].args
    assert java[0].user == "nexus"
    assert "-Xms768m" in args and "-Xmx768m" in args and "-XX:MaxDirectMemorySize=512m" in args
    assert "-Dkaraf.data=/srv/nexus" in args
    assert node.run("systemctl show -p LimitNOFILE --value nexus").stdout.strip() == "65536"


def listeners(node, port):
    """Local addresses listening on a TCP port (Java's IPv4 sockets show as [::ffff:a.b.c.d] in ss)."""
    lines = node.run("ss -Hltn sport = :%d" % port).stdout.splitlines()
    return sorted({line.split()[3].rsplit(":", 1)[0].replace("[::ffff:", "").strip("[]") for line in lines})


def test_http_on_loopback_only_https_everywhere(node):
    assert listeners(node, 8081) == ["127.0.0.1"]
    assert listeners(node, 8443) in (["*"], ["0.0.0.0"], ["::"])


def test_https_with_the_cluster_ca(node):
    status, _body = curl(node, "/service/rest/v1/status")
    assert status == 200
    # The same request without the CA is refused by curl: the trust comes from the cluster CA alone.
    bare = node.run("curl -sS --resolve %s %s/service/rest/v1/status" % (RESOLVE, HTTPS))
    assert bare.rc == 60, bare.stderr


def test_first_boot_password_is_gone_and_the_vault_one_works(node):
    assert not node.file("/srv/nexus/admin.password").exists
    status, body = curl(node, "/service/rest/v1/security/users?userId=admin", "-u", "admin:" + ADMIN_PASSWORD)
    assert status == 200
    assert [u["status"] for u in json.loads(body) if u["userId"] == "admin"] == ["active"]


def test_anonymous_access_is_off(node):
    status, _body = curl(node, "/service/rest/v1/security/users")
    assert status in (401, 403)
    status, _body = curl(node, "/repository/kubespray-files/anything.txt")
    assert status == 401


def test_repositories_blob_stores_and_user_exist(node):
    status, body = curl(node, "/service/rest/v1/repositories", "-u", "admin:" + ADMIN_PASSWORD)
    assert status == 200
    found = {(r["name"], r["format"], r["type"]) for r in json.loads(body)}
    assert {("kubespray-files", "raw", "hosted"), ("ubuntu", "apt", "proxy"), ("files-all", "raw", "group")} <= found
    status, body = curl(node, "/service/rest/v1/blobstores/file/apt", "-u", "admin:" + ADMIN_PASSWORD)
    assert status == 200 and json.loads(body) == {
        "path": "/srv/nexus/blobs-apt", "softQuota": {"type": "spaceRemainingQuota", "limit": 104857600}}
    status, body = curl(node, "/service/rest/v1/security/realms/active", "-u", "admin:" + ADMIN_PASSWORD)
    assert json.loads(body) == ["NexusAuthenticatingRealm", "DefaultRole"]


def test_raw_repository_takes_an_upload_once(node):
    """The raw repository behaves as Kubespray's files_repo needs: upload, download, no overwrite."""
    auth = ("-u", "admin:" + ADMIN_PASSWORD)
    path = "/repository/kubespray-files/dl.k8s.io/release/v1.35.4/bin/linux/amd64/probe.txt"
    node.run("echo mlp-probe > /tmp/probe.txt")
    status, _body = curl(node, path, "--upload-file", "/tmp/probe.txt", *auth)
    assert status in (201, 400)  # 400: a re-run of verify on a kept instance (ALLOW_ONCE)
    status, body = curl(node, path, *auth)
    assert status == 200 and body.strip() == "mlp-probe"
    status, _body = curl(node, path, "--upload-file", "/tmp/probe.txt", *auth)
    assert status == 400


def test_data_and_program_ownership(node):
    data = node.file("/srv/nexus")
    assert data.user == "nexus" and data.mode == 0o750
    assert node.file("/opt/nexus/current").is_symlink
    assert node.file("/opt/nexus/current/bin/nexus").user == "root"
    keystore = node.file("/srv/nexus/etc/ssl/keystore.jks")
    assert keystore.user == "nexus" and keystore.mode == 0o600
