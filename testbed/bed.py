#!/usr/bin/env python
"""Bring the local test bed up or down from an inventory.

One podman systemd container per inventory host, on a dedicated podman network,
with the host's `node_ip` and hostname. Ansible then reaches the nodes over SSH
as the `ops` user with a key made for this bed: the same path as production.
Node names, count and roles come from the inventory, never from this file.

Usage: bed.py up|down|status [-i inventories/testbed]
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# MLP_BED_STATE: a second bed (testbed/bench_rerun.py) keeps its own key,
# known_hosts and PKI, so it never touches the default bed's.
STATE = os.environ.get("MLP_BED_STATE") or os.path.join(REPO, ".testbed")
KEY = os.path.join(STATE, "id_ed25519")
KNOWN_HOSTS = os.path.join(STATE, "known_hosts")
IMAGE = os.environ.get("MLP_BED_IMAGE", "localhost/mlp-bed:current")
LABEL = "io.mlp.bed"

# Measured on these machines (../shared/TESTBED.md): never --privileged, which
# would let Kubespray's sysctls change the machine's own kernel. SYS_ADMIN and
# /dev/fuse are what glusterd and a FUSE mount need; /proc/sys stays read-only.
NODE_ARGS = ["--systemd=always", "--cap-add", "SYS_ADMIN", "--device", "/dev/fuse"]


class BedError(Exception):
    pass


def run(argv, check=True, capture=True, stdin=None):
    # check=False: a failure raises BedError below, with the tool's stderr.
    proc = subprocess.run(argv, input=stdin, text=True, check=False,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)
    if check and proc.returncode != 0:
        raise BedError("%s failed (%d): %s" % (" ".join(argv), proc.returncode,
                                               (proc.stderr or "").strip()))
    return proc


def load_inventory(inventory):
    """Read hosts and their variables the way ansible-playbook does."""
    ansible_inventory = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    if not os.path.exists(ansible_inventory):
        ansible_inventory = "ansible-inventory"
    out = run([ansible_inventory, "-i", inventory, "--list"]).stdout
    data = json.loads(out)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    if not hostvars:
        raise BedError("inventory %s has no hosts" % inventory)
    nodes = []
    for name in sorted(hostvars):
        hv = hostvars[name]
        if "node_ip" not in hv:
            raise BedError("host %s in %s has no node_ip: the bed gives each container "
                           "its node_ip; set it in hosts.yml" % (name, inventory))
        # The network's DNS (aardvark-dns on the gateway, the bed's
        # cluster_dns_servers) answers each node's FQDN, as the site's DNS does:
        # preflight and validate ask it directly, past /etc/hosts.
        fqdn = "%s.%s" % (name, hv["cluster_domain"]) if hv.get("cluster_domain") else None
        nodes.append({"name": name, "ip": hv["node_ip"], "fqdn": fqdn,
                      "args": hv.get("testbed_podman_args", [])})
    first = hostvars[nodes[0]["name"]]
    for var in ("testbed_network_name", "cluster_subnet", "cluster_gateway"):
        if var not in first:
            raise BedError("%s is not set in %s/group_vars/all" % (var, inventory))
    net = {"name": first["testbed_network_name"], "subnet": first["cluster_subnet"],
           "gateway": first["cluster_gateway"]}
    return net, nodes


def container_name(net, node):
    return "%s-%s" % (net["name"], node["name"])


def ensure_network(net):
    if run(["podman", "network", "exists", net["name"]], check=False).returncode == 0:
        return
    run(["podman", "network", "create", "--subnet", net["subnet"], "--gateway",
         net["gateway"], "--label", "%s=%s" % (LABEL, net["name"]), net["name"]])
    print("network %s %s created" % (net["name"], net["subnet"]))


def ensure_key():
    os.makedirs(STATE, mode=0o700, exist_ok=True)
    if not os.path.exists(KEY):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mlp-bed", "-f", KEY])
    with open(KEY + ".pub") as handle:
        return handle.read()


def inspect(name):
    proc = run(["podman", "container", "inspect", name], check=False)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)[0]


def image_id():
    return run(["podman", "image", "inspect", "--format", "{{.Id}}", IMAGE]).stdout.strip()


def node_config_hash(node, image):
    """What a node is made from: a change in any of it recreates the node."""
    text = json.dumps([image, node["ip"], node["fqdn"], list(node["args"])], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def ensure_node(net, node, pubkey, wanted_image):
    name = container_name(net, node)
    info = inspect(name)
    config = node_config_hash(node, wanted_image)
    if info is not None:
        # A node whose image, address or podman arguments changed is
        # recreated, not patched: the bed is disposable, the inventory is not.
        if (info["Config"].get("Labels") or {}).get(LABEL + ".config") != config:
            print("%s: image or inventory settings changed, recreating" % name)
            run(["podman", "rm", "-f", "-t", "5", name])
            info = None
        elif not info["State"]["Running"]:
            run(["podman", "start", name])
    created = info is None
    if created:
        run(["podman", "run", "-d", "--name", name, "--hostname", node["name"],
             "--network", net["name"], "--ip", node["ip"]]
            + (["--network-alias", node["fqdn"]] if node["fqdn"] else [])
            + ["--label", "%s=%s" % (LABEL, net["name"]),
               "--label", "%s.config=%s" % (LABEL, config)] + NODE_ARGS + list(node["args"])
            + [IMAGE])
    # The key goes in through `podman exec -i`: without -i the file ends up empty.
    run(["podman", "exec", "-i", name, "sh", "-c",
         "install -d -m 0700 -o ops -g ops /home/ops/.ssh && "
         "cat > /home/ops/.ssh/authorized_keys && "
         "chown ops:ops /home/ops/.ssh/authorized_keys && chmod 0600 /home/ops/.ssh/authorized_keys"],
        stdin=pubkey)
    return created


def wait_ssh(net, nodes, timeout=120):
    """Wait for sshd on every node, then record host keys (no blind trust)."""
    deadline = time.time() + timeout
    lines = []
    for node in nodes:
        while True:
            proc = run(["ssh-keyscan", "-T", "2", "-t", "ed25519", node["ip"]], check=False)
            keys = [l for l in proc.stdout.splitlines() if l and not l.startswith("#")]
            if keys:
                lines.extend(keys)
                break
            if time.time() > deadline:
                raise BedError("%s (%s) does not answer SSH after %ds: see `podman logs %s`"
                               % (node["name"], node["ip"], timeout, container_name(net, node)))
            time.sleep(1)
    with open(KNOWN_HOSTS, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def up(inventory):
    if run(["podman", "image", "exists", IMAGE], check=False).returncode != 0:
        raise BedError("bed image %s is missing: run `make bed-image`" % IMAGE)
    net, nodes = load_inventory(inventory)
    ensure_network(net)
    pubkey = ensure_key()
    wanted = image_id()
    started = time.time()
    for node in nodes:
        created = ensure_node(net, node, pubkey, wanted)
        print("%-12s %-15s %s" % (node["name"], node["ip"], "created" if created else "running"))
    wait_ssh(net, nodes)
    print("bed up: %d nodes on %s in %.1fs" % (len(nodes), net["name"], time.time() - started))


def down(inventory):
    net = load_inventory(inventory)[0]
    names = run(["podman", "ps", "-a", "--filter", "label=%s=%s" % (LABEL, net["name"]),
                 "--format", "{{.Names}}"]).stdout.split()
    if names:
        run(["podman", "rm", "-f", "-t", "5"] + names)
    if run(["podman", "network", "exists", net["name"]], check=False).returncode == 0:
        run(["podman", "network", "rm", net["name"]])
    shutil.rmtree(STATE, ignore_errors=True)
    # The admin kubeconfig the Kubernetes layer fetched: credentials of a
    # cluster that no longer exists.
    shutil.rmtree(os.path.join(inventory, "artifacts"), ignore_errors=True)
    print("bed down: removed %d containers and network %s" % (len(names), net["name"]))


def status(inventory):
    net, nodes = load_inventory(inventory)
    for node in nodes:
        info = inspect(container_name(net, node))
        state = "absent" if info is None else info["State"]["Status"]
        print("%-12s %-15s %s" % (node["name"], node["ip"], state))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("-i", "--inventory", default=os.path.join(REPO, "inventories", "testbed"))
    args = parser.parse_args()
    try:
        {"up": up, "down": down, "status": status}[args.action](args.inventory)
    except BedError as exc:
        print("bed: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
