"""DNS over the wire (plugins/module_utils/dns_query.py) and the resolve_names
module that preflight and validate use.

The answers in fixtures/dns/ were captured from dnsmasq 2.90 (Debian 12) for
queries built by build_query with id 0x1234. The live tests start the same
dnsmasq on loopback (testbed/host-deps.sh installs it) and run the module
through Ansible, to prove it asks the server and not /etc/hosts: this
machine's own name is in its /etc/hosts, and the server says otherwise.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import dns_query

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "dns")
ANSIBLE = os.path.join(os.path.dirname(sys.executable), "ansible")
STALE = "10.40.8.99"


def _answer(name):
    with open(os.path.join(FIXTURES, name + ".bin"), "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("fixture, name, expected", [
    ("a", "cp1.mlp.test", ["10.40.8.11"]),
    ("cname", "api.mlp.test", ["10.40.8.11"]),
    ("multi", "multi.mlp.test", ["10.40.8.21", "10.40.8.22"]),
    ("nxdomain", "gone.mlp.test", []),
])
def test_parse_captured_answers(fixture, name, expected):
    assert dns_query.parse_response(_answer(fixture), 0x1234, name) == expected


def test_a_refusal_is_an_error_not_an_empty_answer():
    with pytest.raises(dns_query.DnsError, match="REFUSED"):
        dns_query.parse_response(_answer("refused"), 0x1234, "www.example.org")


def test_an_answer_to_another_query_is_rejected():
    with pytest.raises(dns_query.DnsError, match="does not match"):
        dns_query.parse_response(_answer("a"), 0x4321, "cp1.mlp.test")


def test_a_cut_answer_is_an_error():
    data = _answer("a")
    with pytest.raises(dns_query.DnsError):
        dns_query.parse_response(data[:-6], 0x1234, "cp1.mlp.test")


def test_the_query_is_what_the_server_answered():
    """The captured answer echoes the question section build_query wrote."""
    query = dns_query.build_query("cp1.mlp.test", 0x1234)
    assert _answer("a")[12:len(query)] == query[12:]


@pytest.mark.parametrize("name", ["", "a..b", "x" * 64 + ".test"])
def test_invalid_names_are_refused(name):
    with pytest.raises(ValueError):
        dns_query.build_query(name, 1)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="dnsmasq", scope="module")
def fixture_dnsmasq(tmp_path_factory):
    """dnsmasq on loopback with a stale record for this machine's own name."""
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    assert os.path.exists(binary), "dnsmasq is missing: run `make bed-deps` (testbed/host-deps.sh)"
    port = _free_port()
    pid = tmp_path_factory.mktemp("dnsmasq") / "pid"
    proc = subprocess.Popen([
        binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
        "--listen-address=127.0.0.1", "--bind-interfaces", "--port=%d" % port, "--pid-file=%s" % pid,
        "--local=/mlp.test/", "--host-record=%s,%s" % (socket.gethostname(), STALE),
        "--host-record=cp1.mlp.test,10.40.8.11", "--log-facility=/dev/null"])
    deadline = time.time() + 10
    while True:
        try:
            dns_query.query_a("cp1.mlp.test", "127.0.0.1", port, timeout=0.5, tries=1)
            break
        except dns_query.DnsError:
            assert time.time() < deadline and proc.poll() is None, "dnsmasq did not start"
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_udp_and_tcp_against_a_real_server(dnsmasq):
    assert dns_query.query_a("cp1.mlp.test", "127.0.0.1", dnsmasq) == ["10.40.8.11"]
    query = dns_query.build_query("cp1.mlp.test", 7)
    assert dns_query._query_tcp(query, 7, "cp1.mlp.test", "127.0.0.1", dnsmasq, 2) == ["10.40.8.11"]


def test_a_server_that_does_not_answer_is_named():
    with pytest.raises(dns_query.DnsError, match="no answer within"):
        dns_query.query_a("cp1.mlp.test", "127.0.0.1", _free_port(), timeout=0.2, tries=1)


def _module(args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CALLBACKS_ENABLED="")
    proc = subprocess.run([ANSIBLE, "-i", "localhost,", "-c", "local", "localhost",
                           "-e", "ansible_python_interpreter=" + sys.executable, "-m", "mlplatform.installer.resolve_names",
                           "-a", json.dumps(args)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_the_module_asks_the_server_not_etc_hosts(dnsmasq):
    """This machine's /etc/hosts has its own name; the DNS server has a stale
    record for it. The module must report the stale record."""
    own = socket.gethostname()
    assert socket.gethostbyname(own) != STALE
    result = _module({"names": [own, "cp1.mlp.test", "gone.mlp.test"], "servers": ["127.0.0.1"],
                      "port": dnsmasq})
    assert not result.get("failed"), result
    assert result["addresses"] == {own: [STALE], "cp1.mlp.test": ["10.40.8.11"], "gone.mlp.test": None}


def test_the_module_fails_naming_a_silent_server(dnsmasq):
    silent = _free_port()
    result = _module({"names": ["cp1.mlp.test"], "servers": ["127.0.0.1"], "port": silent, "timeout": 0.3})
    assert result["failed"]
    assert "DNS server 127.0.0.1, query for cp1.mlp.test: no answer within 0.3s" in result["msg"]
