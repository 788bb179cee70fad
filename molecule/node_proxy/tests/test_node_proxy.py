"""node_proxy with the proxy and the corporate CA on: behaviour end to end.

tls.mlp.test resolves only on the proxy node (to its loopback), so every
successful fetch below went through the proxy; its certificate is signed by
the CA made in prepare, so every success without -k proves the node trusts
that CA. The proxy (squid) requires Basic authentication: a fetch that works
had the credentials, which only root-only files hold (test_secrets.py shows
they are nowhere else).
"""

import os
import re
import shlex

import pytest
import testinfra
import testinfra.utils.ansible_runner

_RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
# podman:// runs each check with `podman exec` (testinfra's Ansible backend
# would start one ansible process per command: minutes on a busy bed).
testinfra_hosts = ["podman://" + name for name in _RUNNER.get_hosts("k8s_cluster")]

# What world-readable files carry, and what root-only files carry.
PROXY = "http://10.78.0.66:8888"
PROXY_WITH_CREDENTIALS = _RUNNER.get_variables(_RUNNER.get_hosts("k8s_cluster")[0])["cluster_https_proxy"]
URL = "https://tls.mlp.test/"
VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


@pytest.fixture(scope="module")
def proxy_node():
    return testinfra.get_host("podman://" + _RUNNER.get_hosts("proxies")[0])


def environment_file(host):
    pairs = [l.split("=", 1) for l in host.file("/etc/environment").content_string.splitlines()
             if re.match(r"^[A-Za-z_]+=", l)]
    return pairs


def test_environment_has_each_variable_once_with_the_proxy(host):
    pairs = environment_file(host)
    names = [pair[0] for pair in pairs if pair[0].lower().endswith("_proxy")]
    # The stale http_proxy prepare left behind was replaced, not duplicated.
    assert sorted(names) == sorted(VARIABLES)
    values = dict(pairs)
    # World-readable: the proxy without its user:password.
    assert values["http_proxy"] == PROXY and values["HTTPS_PROXY"] == PROXY
    no_proxy = values["no_proxy"].split(",")
    assert {"localhost", "10.78.0.67", ".svc", ".cluster.local", "10.78.0.64/26", "nexus.mlp.test"} <= set(no_proxy)
    assert "tls.mlp.test" not in no_proxy
    assert values["NO_PROXY"] == values["no_proxy"]


def squid_log(proxy_node):
    return proxy_node.check_output("cat /var/log/squid/access.log")


def test_login_session_reaches_the_proxy_without_credentials(host, proxy_node):
    # su - runs pam_env, which reads /etc/environment, as an SSH login does: a
    # user's session knows the proxy but not its password, and is refused.
    out = host.run("su - ops -c 'curl --silent --show-error --max-time 20 --output /dev/null "
                   "--write-out %%{http_connect} %s'" % URL)
    assert out.rc != 0 and out.stdout.strip() == "407", (out.stdout, out.stderr)
    assert re.search(r" 10\.78\.0\.67 TCP_DENIED/407 .* CONNECT tls\.mlp\.test:443 - ", squid_log(proxy_node))


def test_root_login_shell_fetches_through_the_proxy_and_trusts_the_ca(host, proxy_node):
    # sudo -i: root's login shell reads the root-only file (/etc/profile.d/mlp-proxy.sh).
    out = host.run("su - ops -c 'sudo -n -i curl --silent --show-error --fail --max-time 20 %s'" % URL)
    assert out.rc == 0, out.stderr
    assert "s_server" in out.stdout
    assert re.search(r" 10\.78\.0\.67 TCP_TUNNEL/200 .* CONNECT tls\.mlp\.test:443 mlp-ops ", squid_log(proxy_node))


def test_the_endpoint_is_unreachable_without_the_proxy(host):
    # Guards the test itself: if the node could reach tls.mlp.test directly,
    # the fetches above would prove nothing about the proxy.
    out = host.run("curl --noproxy '*' --silent --max-time 10 %s" % URL)
    assert out.rc == 6  # could not resolve host


# The password goes from the root-only file to openssl's stdin on the node:
# never on a command line.
S_CLIENT_WITH_CREDENTIALS = (
    "set -a; . /etc/mlp-proxy/proxy.env; "
    "python3 -c 'import os, urllib.parse as u; print(u.unquote(u.urlsplit(os.environ[\"https_proxy\"]).password))' | "
    "openssl s_client -proxy 10.78.0.66:8888 -proxy_user mlp-ops -proxy_pass stdin -connect tls.mlp.test:443 "
    "-servername tls.mlp.test -verify_return_error -brief 2>&1")


def test_openssl_verifies_the_reissued_certificate(host):
    out = host.run("sh -c %s" % shlex.quote(S_CLIENT_WITH_CREDENTIALS))
    assert out.rc == 0, out.stdout
    assert "Verification: OK" in out.stdout


def test_one_file_per_ca_certificate_in_the_trust_store(host):
    ca_dir = host.file("/usr/local/share/ca-certificates/mlp")
    assert ca_dir.listdir() == ["mlp-ca-1.crt"]
    # update-ca-certificates linked it by subject hash, which OpenSSL's
    # default lookup uses.
    subject_hash = host.check_output("openssl x509 -noout -hash -in /usr/local/share/ca-certificates/mlp/mlp-ca-1.crt")
    assert host.file("/etc/ssl/certs/%s.0" % subject_hash).is_symlink


def test_containerd_runs_with_the_proxy(host):
    # From the root-only file, not from Environment= (any user can read that).
    assert host.check_output("systemctl show containerd -p EnvironmentFiles") == \
        "EnvironmentFiles=/etc/mlp-proxy/proxy.env (ignore_errors=no)"
    assert "PROXY" not in host.check_output("systemctl show containerd -p Environment")
    # The running daemon, not just the unit file: it was restarted.
    pid = host.check_output("systemctl show containerd -p MainPID --value")
    assert pid != "0"
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid).splitlines()
    assert "HTTPS_PROXY=%s" % PROXY_WITH_CREDENTIALS in environ
    assert any(line.startswith("NO_PROXY=") and ".svc" in line for line in environ)


@pytest.mark.parametrize("unit", ["containerd", "kubelet", "mlp-proxy-probe"])
def test_each_drop_in_names_its_own_unit(host, unit):
    # One template for every unit: it names the unit from its destination.
    f = host.file("/etc/systemd/system/%s.service.d/50-mlp-proxy.conf" % unit)
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    assert "# The corporate proxy for %s (role node_proxy)." % unit in f.content_string
    assert "EnvironmentFile=/etc/mlp-proxy/proxy.env" in f.content_string.splitlines()
    directory = host.file("/etc/systemd/system/%s.service.d" % unit)
    assert (directory.user, directory.mode) == ("root", 0o755)


def test_a_unit_with_the_drop_in_downloads_through_the_proxy(host):
    out = host.run("systemctl start mlp-proxy-probe.service")
    assert out.rc == 0, host.run("journalctl -u mlp-proxy-probe -o cat --no-pager -n 5").stdout


def test_sudo_keeps_the_proxy(host):
    # Ansible's become goes through sudo: modules see the session's proxy,
    # without credentials (so none lands in gathered facts, ansible_env).
    out = host.check_output("su - ops -c 'sudo -n env'")
    assert "https_proxy=%s" % PROXY in out.splitlines()


def test_apt_goes_through_the_proxy(host, proxy_node):
    dump = host.check_output("apt-config dump")
    # Our file is read after cloud-init's stale one and wins.
    assert re.search(r'^Acquire::http::Proxy "%s";$' % re.escape(PROXY_WITH_CREDENTIALS), dump, re.M)
    assert 'Acquire::http::Proxy::nexus.mlp.test "DIRECT";' in dump
    out = host.run("apt-get update -o Acquire::Retries=0")
    assert out.rc == 0, out.stderr
    assert re.search(r" 10\.78\.0\.67 TCP_\w+/200 .* GET http://deb\.debian\.org/\S+ mlp-ops ", squid_log(proxy_node))


def test_apt_run_by_another_user_does_not_fail_on_the_root_only_file(host):
    out = host.run("su -s /bin/sh nobody -c 'apt-config dump'")
    # apt warns it cannot read the file, and goes on without it (what it
    # shows is cloud-init's stale file, left alone while the proxy is on).
    assert out.rc == 0, out.stderr
    assert out.stderr.strip().startswith("W: Unable to read /etc/apt/apt.conf.d/95mlp-proxy"), out.stderr
    assert "Acquire::http::Proxy::nexus.mlp.test" not in out.stdout and "mlp-ops" not in out.stdout
