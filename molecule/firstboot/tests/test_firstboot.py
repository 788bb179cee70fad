"""The node came up from its seed the way a Hyper-V VM must.

Everything checked here was put there by cloud-init from the seed the
vm_seed role rendered: the container starts with another address (podman's
10.80.0.10) and another host name ("unseeded"), no key for ops, no CA, no
proxy and no NTP servers.
"""

import json
import os
import re

import testinfra
import testinfra.utils.ansible_runner
import yaml

SCENARIO = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]

# podman exec, not one ansible run per command: the same checks, ten times faster.
testinfra_hosts = ["podman://" + name for name in testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("firstboot_nodes")]

with open(os.path.join(SCENARIO, "molecule.yml"), encoding="utf-8") as _handle:
    _INVENTORY = yaml.safe_load(_handle)["provisioner"]["inventory"]
CLUSTER = _INVENTORY["group_vars"]["all"]
NODE_IP = _INVENTORY["host_vars"]["firstboot-node1"]["node_ip"]
NAME = "firstboot-node1"
FQDN = NAME + "." + CLUSTER["cluster_domain"]


def _seed(name):
    path = os.path.join(EPHEMERAL, "seeds", NAME, name)
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_cloud_init_finished_without_errors(host):
    assert "status: done" in host.check_output("cloud-init status --long")
    result = json.loads(host.file("/run/cloud-init/result.json").content_string)
    assert result["v1"]["errors"] == []
    assert "DataSourceNoCloud" in result["v1"]["datasource"]


def test_instance_id_is_the_seeds(host):
    meta = yaml.safe_load(_seed("meta-data"))
    assert meta["instance-id"].startswith("iid-")
    assert host.file("/var/lib/cloud/data/instance-id").content_string.strip() == meta["instance-id"]


def test_static_address_is_on_the_interface(host):
    links = json.loads(host.check_output("ip -j -4 addr show dev eth0"))
    addresses = {(a["local"], a["prefixlen"]) for a in links[0]["addr_info"]}
    assert (NODE_IP, 24) in addresses
    state = host.check_output("networkctl status eth0 --no-pager")
    assert re.search(r"State: routable \(configured\)", state)


def test_default_route_comes_from_the_seed(host):
    routes = json.loads(host.check_output("ip -j -4 route show default"))
    # podman installs its default route with metric 100; the netplan route
    # from the seed has none (metric 0).
    seeded = [r for r in routes if r.get("gateway") == CLUSTER["cluster_gateway"] and "metric" not in r]
    assert seeded, routes


def test_dns_servers_and_search_domains_are_configured(host):
    index = host.check_output("cat /sys/class/net/eth0/ifindex").strip()
    state = host.file("/run/systemd/netif/links/" + index).content_string
    assert re.search(r"^DNS=%s$" % re.escape(" ".join(CLUSTER["cluster_dns_servers"])), state, re.M)
    assert re.search(r"^DOMAINS=%s$" % re.escape(" ".join(CLUSTER["cluster_search_domains"])), state, re.M)


def test_host_name_and_fqdn(host):
    assert host.check_output("hostname") == NAME
    assert host.check_output("hostname --fqdn") == FQDN


def test_ops_user_has_the_key_sudo_and_no_password(host):
    public_key = open(os.path.join(EPHEMERAL, "id_ed25519.pub"), encoding="utf-8").read().strip()
    keys = host.file("/home/ops/.ssh/authorized_keys").content_string.splitlines()
    assert public_key in keys
    assert re.search(r"^ops ALL=\(ALL\) NOPASSWD:ALL$",
                     host.file("/etc/sudoers.d/90-cloud-init-users").content_string, re.M)
    # L: the password is locked, so only the key logs in.
    assert host.check_output("passwd -S ops").split()[1] == "L"
    sshd = host.check_output("sshd -T")
    assert re.search(r"^passwordauthentication no$", sshd, re.M)


def test_corporate_ca_is_trusted_system_wide(host):
    # A server certificate the CA signed verifies against the system store.
    leaf = open(os.path.join(SCENARIO, "files", "mirror-leaf.pem"), encoding="utf-8").read()
    host.run("install -d -m 0755 /tmp/firstboot")
    host.run("cat > /tmp/firstboot/leaf.pem <<'EOF'\n%sEOF" % leaf)
    result = host.run("openssl verify /tmp/firstboot/leaf.pem")
    assert result.rc == 0, result.stdout + result.stderr


def test_ntp_servers_are_the_inventorys(host):
    conf = host.file("/etc/systemd/timesyncd.conf.d/cloud-init.conf").content_string
    servers = re.search(r"^NTP=(.*)$", conf, re.M).group(1).split()
    assert servers == CLUSTER["cluster_ntp_servers"]


def test_proxy_for_sessions_and_apt(host):
    environment = host.file("/etc/environment").content_string
    assert "http_proxy=%s" % CLUSTER["cluster_http_proxy"] in environment.splitlines()
    assert "HTTPS_PROXY=%s" % CLUSTER["cluster_https_proxy"] in environment.splitlines()
    no_proxy = re.search(r"^no_proxy=(.*)$", environment, re.M).group(1).split(",")
    assert NODE_IP in no_proxy and CLUSTER["cluster_subnet"] in no_proxy and ".corp.mlp.test" in no_proxy
    apt = host.check_output("apt-config dump Acquire::http::Proxy Acquire::https::Proxy")
    assert 'Acquire::http::Proxy "%s";' % CLUSTER["cluster_http_proxy"] in apt
    assert 'Acquire::https::Proxy "%s";' % CLUSTER["cluster_https_proxy"] in apt


def test_ops_reaches_the_static_address_over_ssh():
    node = testinfra.get_host(
        "ssh://ops@%s" % NODE_IP,
        ssh_identity_file=os.path.join(EPHEMERAL, "id_ed25519"),
        ssh_extra_args="-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
        % os.path.join(EPHEMERAL, "known_hosts"),
    )
    assert node.check_output("id -un") == "ops"
    assert node.check_output("hostname") == NAME
