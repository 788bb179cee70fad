# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster description's tables: its groups, its variables and their limits.

What a newcomer looks up first: which groups and cluster_*/node_* variables
the model has (documented key by key in inventories/sample/), and the limits
the rules apply. No logic here; the rules are in cluster_rules*.py.
"""

from __future__ import annotations

GROUP_HYPERV = "hyperv_hosts"
GROUP_CONTROL_PLANE = "kube_control_plane"
GROUP_ETCD = "etcd"
GROUP_WORKERS = "kube_node"
GROUP_K8S = "k8s_cluster"
GROUP_GPU = "gpu_nodes"
GROUP_GLUSTER = "gluster_nodes"
GROUP_NEXUS = "nexus"

# Every host of these groups is a VM of the cluster ("node"): it needs node_ip.
NODE_GROUPS = (GROUP_CONTROL_PLANE, GROUP_ETCD, GROUP_WORKERS, GROUP_GPU, GROUP_GLUSTER, GROUP_NEXUS)
MODEL_GROUPS = (GROUP_HYPERV,) + NODE_GROUPS + (GROUP_K8S,)

CLUSTER_VARS = (
    "cluster_name",
    "cluster_domain",
    "cluster_subnet",
    "cluster_gateway",
    "cluster_dns_servers",
    "cluster_search_domains",
    "cluster_ntp_servers",
    "cluster_http_proxy",
    "cluster_https_proxy",
    "cluster_no_proxy_extra",
    "cluster_ca_bundle",
    "cluster_service_cidr",
    "cluster_pod_cidr",
    "cluster_dns_domain",
    "cluster_api_address",
    "cluster_api_port",
    "cluster_api_fqdn",
    "cluster_gluster_volumes",
    "cluster_release",
    "cluster_kubernetes_source",
    "cluster_rollout",
    # Checked with the Kubespray mapping (module_utils/kubespray_inventory.py).
    "cluster_api_loadbalancer",
    "cluster_drain",
    "cluster_mirror",
    # Checked by the backup's own rules (module_utils/etcd_backup.py).
    "cluster_backup",
    # Checked by the GPU layer's own rules (module_utils/gpu_operator_values.py).
    "cluster_gpu",
    # Checked by the monitoring layer's own rules (module_utils/monitoring.py).
    "cluster_monitoring",
    # Checked by the Nexus layer's own rules (module_utils/nexus_description.py).
    "cluster_nexus",
    # Checked by the Kubeflow teams layer's own rules (module_utils/kubeflow_teams.py).
    "cluster_kubeflow",
)

# Where the Kubernetes cluster comes from (roles/kubernetes_cluster).
KUBERNETES_SOURCES = ("kubespray", "existing")

# cluster_rollout: how many nodes a rolling change (playbooks/node_prep.yml)
# touches at once, per kind of node, and the defaults when a key is absent.
ROLLOUT_DEFAULTS = {"control_plane": 1, "storage": 1, "nodes": "25%"}

NODE_VARS = (
    "node_ip",
    "node_hypervisor",
    "node_vcpus",
    "node_memory_mb",
    "node_disks",
    "node_gpu_devices",
    "node_mac",
)

# Other variables the checks read (Kubespray's per-node pod block size).
OTHER_VARS = ("inventory_dir", "ansible_host", "kube_network_node_prefix")

RELEASE_REQUIRED = ("kubespray", "kubernetes", "containerd", "etcd", "os")
RELEASE_OPTIONAL = (
    "gpu_operator",
    "nvidia_driver",
    "kube_prometheus_stack",
    "kubeflow",
    "kustomize",
    "glusterfs",
    "nexus",
)
SUPPORTED_OS = ("ubuntu-22.04", "ubuntu-24.04", "debian-12")

ETCD_SIZES = (1, 3, 5)
DEFAULT_NODE_PREFIX = 24  # Kubespray's kube_network_node_prefix
MAX_DNS_SERVERS = 3  # glibc's resolver reads only the first three (MAXNS)
HYPERV_MAX_VCPUS = 240  # Hyper-V generation 2 VM limit
HYPERV_MAX_MEMORY_MB = 12 * 1024 * 1024  # 12 TB, Hyper-V generation 2 VM limit
HYPERV_MAX_DISK_GB = 64 * 1024  # VHDX limit, 64 TB
KUBEADM_CP_MIN_VCPUS = 2
KUBEADM_CP_MIN_MEMORY_MB = 2048
MIN_MEMORY_MB = 1024
SAMPLE = "inventories/sample/group_vars/all/cluster.yml"
