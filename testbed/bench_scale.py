#!/usr/bin/env python
"""Scale by simulation: validate.yml's Kubernetes checks and upgrade.yml's plan
with its PodDisruptionBudget pre-check against 50, 200 and 500 kwok Nodes.

    make bench-scale                       # against the bed (make bed-up)
    .venv/bin/python testbed/bench_scale.py -i <inventory with artifacts/admin.conf> [--sizes 50 200 500]

For each size it registers that many Nodes (labelled mlp-bench=true) on the
inventory's real API server, with one kwok process on this machine standing in
for their kubelets (Ready, leases, pods Running), a Deployment with one pod per
five bench Nodes guarded by a PodDisruptionBudget (maxUnavailable 10%), and
generates an inventory that lists them (reports/bench-scale/inventory-<N>/:
the base inventory's group_vars, its hosts plus the bench Nodes in kube_node,
cluster_subnet widened to hold their addresses and cluster_pod_cidr to give
each a /24, as the inventory validation requires). Then it runs, measuring each
ansible-playbook process alone (wall time, and user+system CPU from wait4,
children included):

  validate   playbooks/validate.yml --tags validate_kubernetes
  plan+pdb   playbooks/upgrade.yml --check --tags upgrade_plan,upgrade_gate_cluster,upgrade_gate_pdb

and prints a table per size and per Node. Everything it created is deleted at
the end (Nodes, namespace, the kwok process). The figures are printed, never
asserted. Read-only for the cluster's own objects; nothing is sent anywhere
but the inventory's API server and its first etcd member.
"""

import argparse
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABEL = "mlp-bench"
NAMESPACE = "mlp-bench"
BED_GATE_VARS = os.path.join(REPO, "inventories", "testbed", "group_vars", "all", "health_gate.yml")


def sh(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def binaries():
    out = sh([os.path.join(REPO, "testbed", "kubernetes", "build.sh"), "--print-dir"])
    return dict(line.split(" ", 1) for line in out.splitlines())


def inventory_data(inventory):
    return json.loads(sh(["ansible-inventory", "-i", inventory, "--list"], cwd=REPO))


def client(kubeconfig):
    from kubernetes import client as k8s, config
    api = config.new_client_from_config(config_file=kubeconfig)
    return k8s.CoreV1Api(api), k8s.AppsV1Api(api), k8s.PolicyV1Api(api)


def node_names(count):
    return ["bench-%03d" % i for i in range(1, count + 1)]


def node_ip(subnet, index):
    """Addresses for the bench Nodes after the base subnet (they are never contacted)."""
    return str(ipaddress.ip_network(subnet).network_address + 256 + index)


def register_nodes(core, names, release, base_subnet):
    from kubernetes.client.rest import ApiException
    for index, name in enumerate(names):
        body = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {LABEL: "true", "kubernetes.io/hostname": name,
                                                      "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}}}
        try:
            core.create_node(body)
        except ApiException as exc:
            if exc.status != 409:
                raise
        capacity = {"cpu": "8", "memory": "16Gi", "pods": "110", "ephemeral-storage": "50Gi"}
        core.patch_node_status(name, {"status": {
            "capacity": capacity, "allocatable": capacity,
            "addresses": [{"type": "InternalIP", "address": node_ip(base_subnet, index)},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v" + release["kubernetes"],
                         "containerRuntimeVersion": "containerd://" + release["containerd"],
                         "operatingSystem": "linux", "architecture": "amd64"}}})


def wait(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit("bench-scale: timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(3)


def versions_settled(core, release):
    """kwok's first status write of a Node may replace nodeInfo (kubeletVersion kwok-x.y): write it again
    until every bench Node reports the bundle's versions, as a kubelet would."""
    wrong = [n.metadata.name for n in core.list_node(label_selector=LABEL + "=true").items
             if n.status.node_info.kubelet_version != "v" + release["kubernetes"]]
    for name in wrong:
        core.patch_node_status(name, {"status": {"nodeInfo": {
            "kubeletVersion": "v" + release["kubernetes"],
            "containerRuntimeVersion": "containerd://" + release["containerd"]}}})
    return not wrong


def ready_count(core):
    nodes = core.list_node(label_selector=LABEL + "=true").items
    return sum(1 for n in nodes for c in (n.status.conditions or []) if c.type == "Ready" and c.status == "True")


def workload(apps, policy, core, replicas):
    from kubernetes.client.rest import ApiException
    try:
        core.create_namespace({"metadata": {"name": NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench", "namespace": NAMESPACE},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench"}},
                 "template": {"metadata": {"labels": {"app": "bench"}},
                              "spec": {"nodeSelector": {LABEL: "true"},
                                       "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10.1"}]}}}}
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "bench", "namespace": NAMESPACE},
           "spec": {"maxUnavailable": "10%", "selector": {"matchLabels": {"app": "bench"}}}}
    for create, patch, body in ((apps.create_namespaced_deployment, apps.patch_namespaced_deployment, deployment),
                                (policy.create_namespaced_pod_disruption_budget,
                                 policy.patch_namespaced_pod_disruption_budget, pdb)):
        try:
            create(NAMESPACE, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
            patch(body["metadata"]["name"], NAMESPACE, {"spec": body["spec"]})


def pods_ready(core, replicas):
    pods = core.list_namespaced_pod(NAMESPACE).items
    ready = [p for p in pods if any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))]
    return len(ready) >= replicas


def generate_inventory(base, data, names, dest):
    """The base inventory's group_vars and hosts, plus the bench Nodes in kube_node."""
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    shutil.copytree(os.path.join(base, "group_vars"), os.path.join(dest, "group_vars"))
    if os.path.isdir(os.path.join(base, "host_vars")):
        shutil.copytree(os.path.join(base, "host_vars"), os.path.join(dest, "host_vars"))
    os.makedirs(os.path.join(dest, "artifacts"))
    os.symlink(os.path.realpath(os.path.join(base, "artifacts", "admin.conf")), os.path.join(dest, "artifacts", "admin.conf"))
    hostvars = data["_meta"]["hostvars"]
    groups = {}
    for group, entry in data.items():
        if group in ("_meta", "all", "ungrouped"):
            continue
        groups[group] = {}
        if entry.get("hosts"):
            groups[group]["hosts"] = {h: {k: v for k, v in hostvars[h].items()
                                          if k.startswith(("node_", "ansible_"))} for h in entry["hosts"]}
        if entry.get("children"):
            groups[group]["children"] = {c: None for c in entry["children"]}
    some = hostvars[data["kube_control_plane"]["hosts"][0]]
    subnet = ipaddress.ip_network(some["cluster_subnet"])
    # Wide enough for the bench Nodes' addresses after the base subnet.
    wide = ipaddress.ip_network("%s/%d" % (subnet.network_address, min(subnet.prefixlen, 20)), strict=False)
    kube_node = groups.setdefault("kube_node", {}).setdefault("hosts", {})
    for index, name in enumerate(names):
        kube_node[name] = {"node_ip": node_ip(str(subnet), index), "node_vcpus": 8, "node_memory_mb": 16384}
    with open(os.path.join(dest, "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump({"all": {"children": groups}}, handle, sort_keys=False)
    with open(os.path.join(dest, "group_vars", "all", "zz-bench.yml"), "w", encoding="utf-8") as handle:
        # One /24 of pod addresses per Node (the inventory validation's rule): a range
        # apart from the base's service and pod ranges, large enough for the bench.
        blocks = max(64, 1 << (len(data["_meta"]["hostvars"]) + len(names)).bit_length())
        yaml.safe_dump({"cluster_subnet": str(wide),
                        "cluster_pod_cidr": "10.240.0.0/%d" % (24 - blocks.bit_length() + 1)}, handle)
    return dest


def measure(argv, log):
    """Wall time and user+system CPU of one process tree (os.wait4: this child and its waited children)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--inventory", default=os.path.join(REPO, "inventories", "testbed"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--gate-vars", default=BED_GATE_VARS, help="extra vars file for the etcd certificates")
    parser.add_argument("--keep", action="store_true", help="leave the last size's Nodes in the cluster")
    args = parser.parse_args()

    base = os.path.abspath(args.inventory)
    kubeconfig = os.path.join(base, "artifacts", "admin.conf")
    if not os.path.exists(kubeconfig):
        raise SystemExit("bench-scale: no %s; bring the bed up first (make bed-up, then playbooks/kubernetes.yml)"
                         % kubeconfig)
    data = inventory_data(base)
    cp = data["kube_control_plane"]["hosts"][0]
    release = data["_meta"]["hostvars"][cp]["cluster_release"]
    subnet = data["_meta"]["hostvars"][cp]["cluster_subnet"]
    core, apps, policy = client(kubeconfig)
    kwok_dir = binaries()["kwok"]
    reports = os.path.join(REPO, "reports", "bench-scale")
    os.makedirs(reports, exist_ok=True)

    kwok_log = open(os.path.join(reports, "kwok.log"), "w", encoding="utf-8")
    kwok = subprocess.Popen(
        [os.path.join(kwok_dir, "kwok"), "--kubeconfig", kubeconfig, "--config", os.path.join(kwok_dir, "stages.yaml"),
         "--manage-nodes-with-label-selector", LABEL + "=true", "--node-lease-duration-seconds", "40",
         "--cidr", data["_meta"]["hostvars"][cp]["cluster_pod_cidr"], "--node-ip", "127.0.0.1"],
        stdout=kwok_log, stderr=subprocess.STDOUT)
    rows = []
    try:
        for size in sorted(args.sizes):
            names = node_names(size)
            started = time.monotonic()
            register_nodes(core, names, release, subnet)
            # Smaller runs before: Nodes beyond this size go.
            for node in core.list_node(label_selector=LABEL + "=true").items:
                if node.metadata.name not in names:
                    core.delete_node(node.metadata.name)
            wait("%d bench Nodes Ready" % size, lambda: ready_count(core) >= size, 600)
            wait("the bench Nodes to report the bundle's versions", lambda: versions_settled(core, release), 120)
            replicas = max(1, size // 5)
            workload(apps, policy, core, replicas)
            wait("%d bench pods Ready" % replicas, lambda: pods_ready(core, replicas), 600)
            setup = time.monotonic() - started
            inv = generate_inventory(base, data, names, os.path.join(reports, "inventory-%d" % size))
            total_nodes = len(core.list_node().items)
            for label, argv in (
                ("validate", ["ansible-playbook", "playbooks/validate.yml", "-i", inv, "--tags", "validate_kubernetes"]),
                ("plan+pdb", ["ansible-playbook", "playbooks/upgrade.yml", "-i", inv, "--check", "-e", "@" + args.gate_vars,
                              "--tags", "upgrade_plan,upgrade_gate_cluster,upgrade_gate_pdb"]),
            ):
                log = os.path.join(reports, "%s-%d.log" % (label.replace("+", "-"), size))
                wall, cpu, rc = measure(argv, log)
                rows.append({"size": size, "nodes": total_nodes, "pods": replicas, "run": label, "wall": wall, "cpu": cpu,
                             "rc": rc, "setup": setup, "log": os.path.relpath(log, REPO)})
                print("bench-scale: %d Nodes, %s: %.1f s wall, %.1f s CPU, rc %d (%s)"
                      % (total_nodes, label, wall, cpu, rc, os.path.relpath(log, REPO)), flush=True)
    finally:
        if not args.keep:
            from kubernetes.client.rest import ApiException
            try:
                core.delete_namespace(NAMESPACE)
            except ApiException:
                pass
            for node in core.list_node(label_selector=LABEL + "=true").items:
                core.delete_node(node.metadata.name)
        kwok.terminate()
        kwok.wait(timeout=30)
        kwok_log.close()

    print()
    print("| Nodes | bench pods | run | wall s | controller CPU s | wall ms/Node | CPU ms/Node | rc | setup s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %d | %d | %s | %.1f | %.1f | %.0f | %.0f | %d | %.0f |" % (
            r["nodes"], r["pods"], r["run"], r["wall"], r["cpu"], 1000 * r["wall"] / r["nodes"],
            1000 * r["cpu"] / r["nodes"], r["rc"], r["setup"]))
    with open(os.path.join(reports, "bench-scale.json"), "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
