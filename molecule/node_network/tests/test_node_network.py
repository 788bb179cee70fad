"""node_network on two bed nodes.

What is real here: the netplan file is parsed and rendered by the real
netplan (generate, get), /etc/hosts really resolves every node, the rollback
helper really runs from a systemd timer. What is not: `netplan apply` (no
writable /sys, no udev in a container; podman owns the address).
"""

import os
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
    assert "DNS=10.78.0.1" in network
    assert "Domains=node.mlp.test" in network
    assert "DHCP=" not in network or "DHCP=no" in network


def test_merged_configuration_has_only_our_address(host):
    # netplan appends lists across files: the stale 10.78.0.99 would be here
    # had the role left 50-cloud-init.yaml in place.
    merged = yaml.safe_load(host.check_output("netplan get ethernets.eth0"))
    assert merged["addresses"] == ["%s/26" % NODES[node_name(host)]]
    assert merged["routes"] == [{"to": "default", "via": "10.78.0.1"}]


def test_worker_interface_is_matched_by_mac(host):
    if node_name(host) != "worker1":
        pytest.skip("only worker1 has node_mac in the inventory")
    host.check_output("netplan generate")
    link = host.file("/run/systemd/network/10-netplan-eth0.link").content_string
    assert "MACAddress=02:00:0a:4e:00:15" in link
    assert "Name=eth0" in link
    # ...and that MAC is the interface's real one.
    assert host.file("/sys/class/net/eth0/address").content_string.strip() == "02:00:0a:4e:00:15"


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


def test_hostname_is_the_inventory_name(host):
    assert host.check_output("hostname") == node_name(host)


def test_cloud_init_leaves_network_and_names_alone(host):
    path = "/etc/cloud/cloud.cfg.d/99-mlp-node-network.cfg"
    out = host.run("cloud-init schema --config-file %s" % path)
    assert out.rc == 0, out.stdout + out.stderr
    config = yaml.safe_load(host.file(path).content_string)
    assert config["network"] == {"config": "disabled"}
    assert config["manage_etc_hosts"] is False
    assert config["preserve_hostname"] is True


def test_rollback_timer_restores_the_previous_configuration(host):
    """Run the rollback helper the way the role arms it, from a real timer.

    A changed file (with its backup) and a displaced file are set up as after
    an unconfirmed change; the timer must put both back. Its final
    `netplan apply` fails in a container, which the unit's log shows.
    """
    if node_name(host) != "cp1":
        pytest.skip("one node is enough")
    current = host.file(NETPLAN_FILE).content_string
    host.check_output("cp -p %s /tmp/netplan.keep" % NETPLAN_FILE)
    backup = NETPLAN_FILE + ".1234.2026-01-01@00:00:00~"
    displaced = "/var/lib/mlp-netplan/displaced/50-cloud-init.yaml"
    unit = "mlp-netplan-rollback-test-%d" % time.time()
    log = "journalctl -u %s -o cat --no-pager" % unit
    host.check_output("cp -p %s %s" % (NETPLAN_FILE, backup))
    host.check_output("sed -i 's|10.78.0.11/26|10.78.0.12/26|' %s" % NETPLAN_FILE)
    try:
        host.check_output(
            "systemd-run --collect --unit=%s --on-active=2s --timer-property=AccuracySec=1s "
            "/usr/local/sbin/mlp-netplan-rollback %s %s %s" % (unit, NETPLAN_FILE, backup, displaced))
        # AccuracySec=1s (as the role arms it): the timer fires on time.
        deadline = time.time() + 20
        while "configuration restored" not in host.run(log).stdout:
            assert time.time() < deadline, "the rollback timer never ran"
            time.sleep(1)
        assert host.file(NETPLAN_FILE).content_string == current
        assert not host.file(backup).exists
        assert host.file("/etc/netplan/50-cloud-init.yaml").exists
        # The helper ends with `netplan apply` (which cannot run here).
        deadline = time.time() + 60
        while "udevadm" not in host.run(log).stdout:
            assert time.time() < deadline, "netplan apply was not attempted"
            time.sleep(1)
    finally:
        # Leave the node as the role left it.
        host.run("mv -f /etc/netplan/50-cloud-init.yaml %s" % displaced)
        host.run("rm -f %s" % backup)
        host.run("cp -p /tmp/netplan.keep %s" % NETPLAN_FILE)
