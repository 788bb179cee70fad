"""The proxy's password is nowhere but in the two root-only files that need it.

molecule.yml plants a password with reserved characters, percent-encoded in
the proxy URL, and logs every Ansible step of this run at -vvv to
ansible.log. Searched for it, in its raw, encoded and Basic-auth (base64)
forms: that log, the node's journal, every file under /etc, /var, /run,
/tmp, /root, /home, /usr/local, /opt and /srv, and `systemctl show` of the
proxied units as a non-root user. (The cloud-init seed is searched in
tests/unit/test_seed_render.py.)
"""

import base64
import os
from urllib.parse import quote, unquote, urlsplit

import pytest
import testinfra.utils.ansible_runner

_RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = ["podman://" + name for name in _RUNNER.get_hosts("k8s_cluster")]
_VARS = _RUNNER.get_variables(_RUNNER.get_hosts("k8s_cluster")[0])

PASSWORD = _VARS["node_proxy_test_password"]
USER = _VARS["node_proxy_test_user"]
NEEDLES = [PASSWORD, quote(PASSWORD, safe=""), base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()]
# Where the credentials must be, and nowhere else: root only.
ROOT_ONLY = {"/etc/mlp-proxy/proxy.env", "/etc/apt/apt.conf.d/95mlp-proxy"}
SEARCHED = ["/etc", "/var", "/run", "/tmp", "/root", "/home", "/usr/local", "/opt", "/srv"]
UNITS = ["containerd", "kubelet", "mlp-proxy-probe"]


def leaks(text):
    return [needle for needle in NEEDLES if needle in text]


def test_the_planted_secret_is_the_inventorys():
    """Guards the test: the URL carries exactly this password, encoded."""
    url = _VARS["cluster_https_proxy"]
    assert unquote(urlsplit(url).password) == PASSWORD and urlsplit(url).username == USER
    assert set("@:/#?%") & set(PASSWORD)  # reserved characters
    assert quote(PASSWORD, safe="") in url and PASSWORD not in url


def test_ansible_log_of_the_run_holds_no_secret():
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "ansible.log")
    with open(path, encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    # Guards the test: the log is this run's converge, at -vvv.
    assert "Write the proxy's environment, credentials included, for root only" in log
    assert "<10.78.0.67>" in log or "ESTABLISH" in log
    assert leaks(log) == [], "ansible.log holds the proxy password"


def test_journal_holds_no_secret(host):
    journal = host.check_output("journalctl --no-pager -o verbose")
    # Guards the test: Ansible's modules log their arguments here.
    assert "Invoked with" in journal
    assert leaks(journal) == [], "the journal holds the proxy password"


def test_only_the_root_only_files_hold_the_secret(host):
    args = " ".join("-e %s" % quote_shell(needle) for needle in NEEDLES)
    # -D skip: sockets and FIFOs under /run; binary files are listed too.
    out = host.run("grep -rlF -D skip %s %s" % (args, " ".join(SEARCHED)))
    # Only files that vanished while grep ran (under /run, /tmp) may err.
    errors = [line for line in out.stderr.splitlines() if not line.endswith("No such file or directory")]
    assert out.rc in (0, 1) or (out.rc == 2 and not errors), out.stderr
    assert set(out.stdout.split()) == ROOT_ONLY
    for path in ROOT_ONLY:
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600), path
    directory = host.file("/etc/mlp-proxy")
    assert (directory.user, directory.mode) == ("root", 0o700)


def quote_shell(text):
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.parametrize("unit", UNITS)
def test_systemctl_show_as_a_user_holds_no_secret(host, unit):
    shown = host.run("su -s /bin/sh nobody -c 'systemctl show %s.service'" % unit)
    assert shown.rc == 0, shown.stderr
    # Guards the test: the user sees the unit's properties, the file by name
    # only (the kubelet is not installed here: systemd loads no drop-in for it).
    assert "Id=%s.service" % unit in shown.stdout
    if unit != "kubelet":
        assert "LoadState=loaded" in shown.stdout
        assert "EnvironmentFiles=/etc/mlp-proxy/proxy.env" in shown.stdout
    assert leaks(shown.stdout) == [], "systemctl show %s shows the proxy password to any user" % unit


def test_a_user_cannot_read_containerds_environment(host):
    pid = host.check_output("systemctl show containerd -p MainPID --value")
    assert pid != "0"
    out = host.run("su -s /bin/sh nobody -c 'cat /proc/%s/environ'" % pid)
    assert out.rc != 0 and leaks(out.stdout) == []
