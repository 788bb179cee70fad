"""The egress allowlist against what the real Kubespray v2.31.0 downloaded."""

import csv
import os

from module_utils import egress

UPSTREAM = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "upstream", "kubespray-v2.31.0")

# Kubespray v2.31.0 image repositories (roles/kubespray_defaults/defaults/main/download.yml):
# kube_image_repo registry.k8s.io, quay_image_repo quay.io (calico), docker_image_repo docker.io.
IMAGE_REGISTRY = {"calico": "quay.io", "coredns": "registry.k8s.io", "cpa": "registry.k8s.io",
                  "pause": "registry.k8s.io", "library": "docker.io"}


def kubespray_downloads():
    with open(os.path.join(UPSTREAM, "offline-downloads.tsv")) as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_host_kubespray_downloaded_from_is_allowed():
    hosts = {e["host"] for e in egress.allowlist({"kubespray": "v2.31.0", "kubernetes": "1.35.4"})}
    needed = set()
    for row in kubespray_downloads():
        path = row["url_or_image"].split("}}/", 1)[1]
        first = path.split("/", 1)[0]
        needed.add(first if row["type"] == "file" else IMAGE_REGISTRY[first.split(":")[0]])
    assert needed, "offline-downloads.tsv listed nothing"
    assert needed <= hosts, "missing from the allowlist: %s" % sorted(needed - hosts)


def test_components_follow_the_bundle():
    bundle = {"kubernetes": "1.35.4", "gpu_operator": "v26.7.0", "os": ["ubuntu-24.04"]}
    hosts = {e["host"] for e in egress.allowlist(bundle)}
    assert {"nvcr.io", "archive.ubuntu.com", "dl.k8s.io"} <= hosts
    assert "ghcr.io" not in hosts  # no Kubeflow in this bundle
    assert "deb.debian.org" not in hosts


def test_shared_hosts_are_listed_once_with_every_component():
    entries = egress.allowlist({"kubernetes": "1.35.4", "kube_prometheus_stack": "88.5.3"})
    quay = [e for e in entries if e["host"] == "quay.io"]
    assert len(quay) == 1 and quay[0]["component"] == "kubespray, kube_prometheus_stack"


def test_a_mirror_replaces_every_upstream_endpoint():
    entries = egress.allowlist({"kubernetes": "1.35.4"}, "https://nexus.lab.example.com:8443")
    assert [e["host"] for e in entries] == ["https://nexus.lab.example.com:8443"]
    assert egress.probe_urls(entries) == ["https://nexus.lab.example.com:8443"]


def test_probe_urls_are_unique():
    urls = egress.probe_urls(egress.allowlist({"kubernetes": "1.35.4", "kubeflow": "26.03"}))
    assert len(urls) == len(set(urls))
