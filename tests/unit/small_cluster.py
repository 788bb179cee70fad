"""A description as plain data, as ki.description_from_hostvars reads it:
one control-plane node (cp1, also etcd) and one worker (w1), both with the
same cluster-wide values. Shared by the unit tests (pytest puts this
directory on sys.path)."""

BASE = {
    "cluster_name": "mlp-t", "cluster_subnet": "10.9.0.0/24", "cluster_api_address": "10.9.0.10",
    "cluster_api_port": 6443, "cluster_api_fqdn": "", "cluster_http_proxy": "", "cluster_https_proxy": "",
    "cluster_ca_bundle": "", "cluster_service_cidr": "10.233.0.0/18", "cluster_pod_cidr": "10.233.64.0/18",
    "cluster_dns_domain": "cluster.local",
}
HOSTS = {"cp1": "10.9.0.11", "w1": "10.9.0.21"}


def description(**values):
    """{groups, hostvars} with BASE updated by values on both nodes."""
    every = dict(BASE, **values)
    return {
        "groups": {"all": list(HOSTS), "kube_control_plane": ["cp1"], "etcd": ["cp1"], "kube_node": ["w1"],
                   "k8s_cluster": list(HOSTS)},
        "hostvars": {host: dict(every, node_ip=ip) for host, ip in HOSTS.items()},
    }
