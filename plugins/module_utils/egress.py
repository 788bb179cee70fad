# -*- coding: utf-8 -*-
"""The outbound endpoints a release bundle needs, as an allowlist.

Generated from `cluster_release` so the list a network team approves matches
exactly what the pinned versions download. Each entry says which component
needs it and why; `probe` is a URL the preflight fetches through the proxy to
prove the path is open (any HTTP answer counts: 401/403/404 still prove that
the proxy let the connection through).

Where the hosts come from:
- Kubespray v2.31.0 (`*_download_url`, `*_image_repo` defaults): binaries from
  dl.k8s.io and github.com release assets (redirected to
  release-assets.githubusercontent.com), images from registry.k8s.io,
  quay.io (calico) and docker.io (nginx for the API load balancer on workers).
  tests/unit/test_egress.py checks this list against the files and images the
  real Kubespray asked for (../shared/upstream/kubespray-v2.31.0/offline-downloads.tsv).
- GPU Operator: images and chart on nvcr.io / helm.ngc.nvidia.com.
- kube-prometheus-stack: chart from prometheus-community.github.io, images on
  quay.io, registry.k8s.io and docker.io (grafana).
- Kubeflow: images on ghcr.io, docker.io, quay.io and gcr.io.
- Ubuntu packages: archive.ubuntu.com and security.ubuntu.com.
"""

from __future__ import annotations

# component -> list of (host, port, purpose, probe URL)
_ENDPOINTS = {
    "kubespray": [
        ("dl.k8s.io", 443, "kubeadm, kubelet, kubectl binaries", "https://dl.k8s.io/release/stable.txt"),
        ("github.com", 443, "etcd, containerd, runc, cni, crictl, nerdctl, calicoctl releases",
         "https://github.com/"),
        ("release-assets.githubusercontent.com", 443, "GitHub release downloads (redirect target)",
         "https://release-assets.githubusercontent.com/"),
        ("objects.githubusercontent.com", 443, "GitHub release downloads (older redirect target)",
         "https://objects.githubusercontent.com/"),
        ("registry.k8s.io", 443, "control-plane images, coredns, pause, cluster-proportional-autoscaler",
         "https://registry.k8s.io/v2/"),
        ("quay.io", 443, "calico images", "https://quay.io/v2/"),
        ("docker.io", 443, "nginx image (API load balancer on workers)", "https://registry-1.docker.io/v2/"),
        ("registry-1.docker.io", 443, "Docker Hub registry API", "https://registry-1.docker.io/v2/"),
        ("production.cloudflare.docker.com", 443, "Docker Hub image layers",
         "https://production.cloudflare.docker.com/"),
    ],
    "gpu_operator": [
        ("nvcr.io", 443, "GPU Operator, driver, toolkit and device plugin images", "https://nvcr.io/v2/"),
        ("helm.ngc.nvidia.com", 443, "GPU Operator Helm chart", "https://helm.ngc.nvidia.com/nvidia/index.yaml"),
    ],
    "kube_prometheus_stack": [
        ("prometheus-community.github.io", 443, "kube-prometheus-stack Helm chart",
         "https://prometheus-community.github.io/helm-charts/index.yaml"),
        ("quay.io", 443, "Prometheus, Alertmanager, operator images", "https://quay.io/v2/"),
        ("registry.k8s.io", 443, "kube-state-metrics image", "https://registry.k8s.io/v2/"),
        ("docker.io", 443, "Grafana image", "https://registry-1.docker.io/v2/"),
    ],
    "kubeflow": [
        ("ghcr.io", 443, "Kubeflow component images", "https://ghcr.io/v2/"),
        ("gcr.io", 443, "Kubeflow pipelines and notebook images", "https://gcr.io/v2/"),
        ("docker.io", 443, "Kubeflow dependencies (istio, minio, mysql)", "https://registry-1.docker.io/v2/"),
        ("quay.io", 443, "Kubeflow dependencies (argo, oauth2-proxy)", "https://quay.io/v2/"),
    ],
    "os_ubuntu": [
        ("archive.ubuntu.com", 80, "Ubuntu packages", "http://archive.ubuntu.com/ubuntu/"),
        ("security.ubuntu.com", 80, "Ubuntu security updates", "http://security.ubuntu.com/ubuntu/"),
    ],
    "os_debian": [
        ("deb.debian.org", 80, "Debian packages", "http://deb.debian.org/debian/"),
    ],
}


def components(release):
    """Which endpoint groups a release bundle needs."""
    release = release or {}
    wanted = []
    if release.get("kubespray") or release.get("kubernetes"):
        wanted.append("kubespray")
    for key in ("gpu_operator", "kube_prometheus_stack", "kubeflow"):
        if release.get(key):
            wanted.append(key)
    systems = [str(s).lower() for s in (release.get("os") or [])]
    if any(s.startswith("ubuntu") for s in systems):
        wanted.append("os_ubuntu")
    if any(s.startswith("debian") for s in systems):
        wanted.append("os_debian")
    return wanted


def allowlist(release, mirror_url=""):
    """Deduplicated allowlist entries for a release bundle.

    With a mirror (Nexus) every download goes to it instead: the nodes then
    need only the mirror, and the mirror needs the upstream list.
    """
    if mirror_url:
        return [{"host": mirror_url, "port": "", "component": "mirror",
                 "purpose": "every package, binary and image (the mirror fetches upstream)",
                 "probe": mirror_url}]
    seen = {}
    for component in components(release):
        for host, port, purpose, probe in _ENDPOINTS[component]:
            key = (host, port)
            if key in seen:
                seen[key]["component"] += ", " + component
                continue
            seen[key] = {"host": host, "port": port, "component": component, "purpose": purpose,
                         "probe": probe}
    return list(seen.values())


def probe_urls(entries):
    """Distinct probe URLs, in allowlist order."""
    urls = []
    for entry in entries:
        if entry["probe"] not in urls:
            urls.append(entry["probe"])
    return urls
