"""node_network on two bed nodes.

What is real here: the netplan file is parsed and rendered by the real
netplan (generate, get), /etc/hosts really resolves every node, hostnamectl
really renames worker1, and the apply path really runs: the rollback timer,
the confirmation against the gateway and the scenario's DNS server, the
rollback script. What is not: `netplan apply` (no writable /sys, no udev in a
container; podman owns the address): `netplan generate` stands in for it.
"""

import os
import subprocess
import time

import pytest
import testinfra.utils.ansible_runner
import yaml

_RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
# podman:// runs each check with `podman exec` (testinfra's Ansible backend
# would start one ansible process per command: minutes on a busy bed).
testinfra_hosts = ["podman://" + name for name in _RUNNER.get_hosts("k8s_cluster")]

NETPLAN_FILE = "/etc/netplan/60-mlp-static.yaml"
NODES = {"cp1": "10.78.0.11", "worker1": "10.78.0.21"}
STATE = "/var/lib/mlp-netplan/change.state"
CONFIRM = "/usr/local/sbin/mlp-netplan-confirm"
ROLLBACK = "/usr/local/sbin/mlp-netplan-rollback"
# Nothing on the scenario's network answers at this address.
SILENT = "10.78.0.30"


@pytest.fixture(name="cp1", scope="module")
def fixture_cp1():
    """The rollback and confirmation tests need one node, not each."""
    return testinfra.get_host("podman://node_network-cp1")


@pytest.fixture(name="worker1", scope="module")
def fixture_worker1():
    """The one node with node_mac in the inventory."""
    return testinfra.get_host("podman://node_network-worker1")


def node_name(host):
    return host.backend.name.split("-", 1)[1]


def test_netplan_file_is_the_only_one_and_private(host):
    assert host.file("/etc/netplan").listdir() == ["60-mlp-static.yaml"]
    netplan = host.file(NETPLAN_FILE)
    assert netplan.user == "root" and netplan.mode == 0o600
    # The stale cloud-init file was moved aside, not deleted.
    assert host.file("/var/lib/mlp-netplan/displaced/50-cloud-init.yaml").exists


def test_netplan_generate_renders_the_inventory_network(host):
    name = node_name(host)
    host.check_output("netplan generate")
    network = host.file("/run/systemd/network/10-netplan-eth0.network").content_string
    assert "Address=%s/26" % NODES[name] in network
    assert "Gateway=10.78.0.1" in network
    assert "DNS=10.78.0.11\n" in network
    assert "Domains=node.mlp.test" in network
    assert "DHCP=" not in network or "DHCP=no" in network


def test_merged_configuration_has_only_our_address(host):
    # netplan appends lists across files: the stale 10.78.0.99 would be here
    # had the role left 50-cloud-init.yaml in place.
    merged = yaml.safe_load(host.check_output("netplan get ethernets.eth0"))
    assert merged["addresses"] == ["%s/26" % NODES[node_name(host)]]
    assert merged["routes"] == [{"to": "default", "via": "10.78.0.1"}]


def test_worker_interface_is_matched_by_mac(worker1):
    worker1.check_output("netplan generate")
    link = worker1.file("/run/systemd/network/10-netplan-eth0.link").content_string
    assert "MACAddress=02:00:0a:4e:00:15" in link
    assert "Name=eth0" in link
    # ...and that MAC is the interface's real one.
    assert worker1.file("/sys/class/net/eth0/address").content_string.strip() == "02:00:0a:4e:00:15"


def test_validator_rejects_a_broken_file(host):
    # The role's template validation must be able to fail: an address
    # without a prefix length is refused by netplan.
    broken = "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.78.0.11]\n"
    host.run("printf '%s' '" + broken + "' > /tmp/broken.yaml")
    out = host.run("/usr/local/sbin/mlp-netplan-validate /tmp/broken.yaml")
    assert out.rc != 0
    assert "prefix" in (out.stderr + out.stdout).lower()


def test_every_cluster_node_resolves(host):
    for name, address in NODES.items():
        assert host.check_output("getent hosts %s.node.mlp.test" % name).split()[0] == address
        assert host.check_output("getent ahostsv4 %s" % name).split()[0] == address
    hosts = host.file("/etc/hosts").content_string
    # worker1 is in two of the listed groups: it is listed once.
    assert hosts.count("worker1.node.mlp.test") == 1
    assert "127.0.1.1" not in hosts


def test_hostname_is_set_by_the_role_where_the_node_owns_it(host):
    """worker1 has its own /etc/hostname (as a VM has) and prepare left a wrong
    name in it and in the kernel: only the role's hostnamectl path fixes both.
    cp1 keeps podman's bind mount: the role leaves it to podman."""
    name = node_name(host)
    assert host.check_output("hostname") == name
    mounted = host.run("findmnt --noheadings --mountpoint /etc/hostname").rc == 0
    if name == "worker1":
        assert not mounted
        assert host.file("/etc/hostname").content_string == "worker1\n"
        assert host.check_output("hostnamectl --static") == "worker1"
    else:
        assert mounted


def test_cloud_init_leaves_network_and_names_alone(host):
    path = "/etc/cloud/cloud.cfg.d/99-mlp-node-network.cfg"
    out = host.run("cloud-init schema --config-file %s" % path)
    assert out.rc == 0, out.stdout + out.stderr
    config = yaml.safe_load(host.file(path).content_string)
    assert config["network"] == {"config": "disabled"}
    assert config["manage_etc_hosts"] is False
    assert config["preserve_hostname"] is True


def test_converge_applied_and_confirmed_the_change(host):
    """The first converge changed the file, so it went through the apply path:
    armed, applied (netplan generate here), confirmed by the gateway and the
    DNS server, timer stopped, backup removed."""
    assert host.file(STATE).content_string.startswith("confirmed ")
    assert host.run("systemctl is-active mlp-netplan-rollback.timer").stdout.strip() != "active"
    # The only file left: no backup, the stale file displaced.
    assert host.check_output("ls /etc/netplan") == "60-mlp-static.yaml"


def arm(host, unit, seconds, backup, displaced=""):
    """Arm the rollback the way the role does: state 'armed', then the timer."""
    host.check_output("printf 'armed\\n' > %s" % STATE)
    host.check_output(
        "systemd-run --collect --unit=%s --on-active=%ds --timer-property=AccuracySec=1s "
        "%s %s %s %s %s" % (unit, seconds, ROLLBACK, STATE, NETPLAN_FILE, backup, displaced))


def wait_for(host, command, text, timeout, why):
    deadline = time.time() + timeout
    while text not in host.run(command).stdout:
        assert time.time() < deadline, why
        time.sleep(1)


def confirm(host, dns, gateway="10.78.0.1", timeout=4):
    return host.run("%s --state %s --unit mlp-netplan-rollback --timeout %d --gateway %s --name cp1.node.mlp.test "
                    "--dns %s" % (CONFIRM, STATE, timeout, gateway, " ".join(dns)))


class Saved:
    """Leave cp1 as the role left it, whatever a test does to its files."""

    def __init__(self, host):
        self.host = host

    def __enter__(self):
        self.content = self.host.file(NETPLAN_FILE).content_string
        self.host.check_output("cp -p %s /tmp/netplan.keep" % NETPLAN_FILE)
        self.host.run("cp -p %s /tmp/state.keep" % STATE)
        return self

    def __exit__(self, *exc):
        self.host.run("mv -f /etc/netplan/50-cloud-init.yaml /var/lib/mlp-netplan/displaced/ 2>/dev/null")
        self.host.run("rm -f %s.*~" % NETPLAN_FILE)
        self.host.run("cp -p /tmp/netplan.keep %s" % NETPLAN_FILE)
        self.host.run("test -f /tmp/state.keep && cp -p /tmp/state.keep %s" % STATE)


def test_rollback_timer_restores_the_previous_configuration(cp1):
    """Run the rollback helper the way the role arms it, from a real timer.

    A changed file (with its backup) and a displaced file are set up as after
    an unconfirmed change; the timer must put both back. Its final
    `netplan apply` fails in a container, which the unit's log shows.
    """
    host = cp1
    backup = NETPLAN_FILE + ".1234.2026-01-01@00:00:00~"
    displaced = "/var/lib/mlp-netplan/displaced/50-cloud-init.yaml"
    unit = "mlp-netplan-rollback-test-%d" % time.time()
    log = "journalctl -u %s -o cat --no-pager" % unit
    with Saved(host) as saved:
        host.check_output("cp -p %s %s" % (NETPLAN_FILE, backup))
        host.check_output("sed -i 's|10.78.0.11/26|10.78.0.12/26|' %s" % NETPLAN_FILE)
        arm(host, unit, 2, backup, displaced)
        # AccuracySec=1s (as the role arms it): the timer fires on time.
        wait_for(host, log, "configuration restored", 20, "the rollback timer never ran")
        assert host.file(NETPLAN_FILE).content_string == saved.content
        assert not host.file(backup).exists
        assert host.file("/etc/netplan/50-cloud-init.yaml").exists
        assert host.file(STATE).content_string.startswith("rolled-back ")
        # The helper ends with `netplan apply` (which cannot run here).
        wait_for(host, log, "udevadm", 60, "netplan apply was not attempted")


def test_rollback_after_a_confirmation_restores_nothing(cp1):
    """The other side of the lock: a timer that fires once the change is
    confirmed leaves the confirmed file alone."""
    host = cp1
    backup = NETPLAN_FILE + ".5678.2026-01-01@00:00:00~"
    unit = "mlp-netplan-rollback-test-%d" % time.time()
    with Saved(host):
        host.check_output("cp -p %s %s" % (NETPLAN_FILE, backup))
        host.check_output("sed -i 's|10.78.0.11/26|10.78.0.12/26|' %s" % NETPLAN_FILE)
        changed = host.file(NETPLAN_FILE).content_string
        host.check_output("printf 'confirmed 2026-01-01T00:00:00Z\\n' > %s" % STATE)
        host.check_output("systemd-run --collect --unit=%s --on-active=1s --timer-property=AccuracySec=1s "
                          "%s %s %s %s" % (unit, ROLLBACK, STATE, NETPLAN_FILE, backup))
        wait_for(host, "journalctl -u %s -o cat --no-pager" % unit, "nothing to roll back", 20,
                 "the rollback timer never ran")
        assert host.file(NETPLAN_FILE).content_string == changed
        assert host.file(backup).exists


def test_confirmation_checks_the_gateway_and_every_dns_server(cp1):
    """SSH is not enough: a silent DNS server or gateway leaves the change
    unconfirmed (exit 2) and the timer armed."""
    host = cp1
    with Saved(host):
        host.check_output("printf 'armed\\n' > %s" % STATE)
        out = confirm(host, ["10.78.0.11", SILENT])
        assert out.rc == 2, out.stdout + out.stderr
        assert "DNS server %s did not answer" % SILENT in out.stdout
        assert "DNS server 10.78.0.11" not in out.stdout
        out = confirm(host, ["10.78.0.11"], gateway=SILENT)
        assert out.rc == 2, out.stdout + out.stderr
        assert "gateway %s answers neither ping nor ARP" % SILENT in out.stdout
        assert host.file(STATE).content_string == "armed\n"
        # The scenario's gateway and DNS server do answer.
        out = confirm(host, ["10.78.0.11"])
        assert out.rc == 0, out.stdout + out.stderr
        assert host.file(STATE).content_string.startswith("confirmed ")


def test_confirmation_after_the_rollback_fails(cp1):
    """A confirmation that comes after the timer fired must fail, even when
    every check passes: the previous configuration is back."""
    host = cp1
    backup = NETPLAN_FILE + ".9012.2026-01-01@00:00:00~"
    unit = "mlp-netplan-rollback-test-%d" % time.time()
    with Saved(host) as saved:
        host.check_output("cp -p %s %s" % (NETPLAN_FILE, backup))
        host.check_output("sed -i 's|10.78.0.11/26|10.78.0.12/26|' %s" % NETPLAN_FILE)
        arm(host, unit, 1, backup)
        wait_for(host, "cat %s" % STATE, "rolled-back", 20, "the rollback timer never ran")
        out = confirm(host, ["10.78.0.11"])
        assert out.rc == 3, out.stdout + out.stderr
        assert "the rollback timer fired first" in out.stdout
        assert host.file(NETPLAN_FILE).content_string == saved.content


def test_slow_confirmation_fails_the_play_and_the_timer_rolls_back(cp1):
    """The role's own apply path with a confirmation slower than the timer.

    converge runs again on cp1 with a second DNS server, worker1, whose DNS
    server is started only once the rollback has run: the confirmation keeps
    retrying, the real timer fires first, the real rollback script restores
    the previous file, and when the checks could pass at last the play must
    still fail, naming the node.
    """
    host = cp1
    window = 60
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    with Saved(host) as saved:
        started = time.time()
        play = subprocess.Popen(
            ["ansible-playbook", "converge.yml", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]),
             "--limit", "node_network-cp1", "-e", '{"cluster_dns_servers": ["10.78.0.11", "10.78.0.21"]}',
             "-e", "node_network_rollback_seconds=%d" % window],
            cwd=os.environ["MOLECULE_SCENARIO_DIRECTORY"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env)
        try:
            rolled_back_at = None
            while play.poll() is None and time.time() - started < 600:
                if rolled_back_at is None and host.run("cat %s" % STATE).stdout.startswith("rolled-back"):
                    rolled_back_at = time.time()
                    subprocess.run(["podman", "exec", "node_network-worker1", "systemctl", "start", "mlp-test-dns"],
                                   check=True)
                time.sleep(1)
            output = play.communicate(timeout=60)[0]
        finally:
            if play.poll() is None:
                play.kill()
            subprocess.run(["podman", "exec", "node_network-worker1", "systemctl", "stop", "mlp-test-dns"], check=False)
        out = " ".join(output.split())
        assert play.returncode != 0, ("the play passed although its checks could not pass before the rollback: "
                                      + out[-3000:])
        assert rolled_back_at is not None and rolled_back_at - started >= window, out[-3000:]
        assert "node_network-cp1: the new network (%s) was not confirmed" % NETPLAN_FILE in out, out[-3000:]
        assert "the rollback timer fired first" in out, out[-3000:]
        # The real rollback put the previous file back: one DNS server.
        assert host.file(NETPLAN_FILE).content_string == saved.content
        network = host.check_output("netplan generate && cat /run/systemd/network/10-netplan-eth0.network")
        assert "DNS=10.78.0.21" not in network
        assert "restored" in host.run("journalctl -u mlp-netplan-rollback -o cat --no-pager").stdout
