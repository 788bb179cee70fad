"""The mirror's contents (plugins/module_utils/nexus_layout.py), proven against upstream data.

* Files and images: every file and image in Kubespray v2.31.0's observed
  offline run (../shared/upstream/kubespray-v2.31.0/offline-downloads.tsv) is
  seeded or listed; Kubespray's versions come from its versions.tsv; every
  image the GPU Operator's and kube-prometheus-stack's values deploy
  (../shared/upstream/<chart>/values.yaml merged with the project's values)
  is listed, by the chart's own image names and tags.
* Repositories: every payload has what Nexus's REST API v1 requires of its
  format and type (tests/fixtures/mirror/nexus-api-contract.json, with its
  sources), no key the API does not take, and the pitfalls are handled:
  routingRule (never GET's routingRuleName), forceBasicAuth written false,
  the docker group's own connector port, apt's distribution and flat.
* Wiring: the helm proxies are the upstreams the egress check knows, and the
  roles' chart repositories point at them.
"""

import csv
import json
import os
import re

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.filter import nexus_layout as nexus_filter
from ansible_collections.mlplatform.installer.plugins.module_utils import gpu_operator_values as gov
from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory as ki
from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_layout as nl

import small_cluster

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(os.path.dirname(REPO), "shared", "upstream")
KUBESPRAY = os.path.join(UPSTREAM, "kubespray-v2.31.0")
GPU_CHART = os.path.join(UPSTREAM, "gpu-operator-v26.7.0")
KPS_CHART = os.path.join(UPSTREAM, "kube-prometheus-stack-88.5.3")
CONTRACT = os.path.join(REPO, "tests", "fixtures", "mirror", "nexus-api-contract.json")


def _tsv(name):
    with open(os.path.join(KUBESPRAY, name), encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _kubespray_defaults():
    return {row["item"]: row["version"] for row in _tsv("versions.tsv") if row["item"] != "kube_version_supported"}


def _description(api_address="10.9.0.11", **cluster):
    """One control-plane node, one worker; the release is Kubespray's observed offline run's (versions.tsv)."""
    defaults = _kubespray_defaults()
    values = {
        "cluster_api_address": api_address,
        "cluster_mirror": {"files_url": "https://nexus.t.example.com/repository/kubespray-files",
                           "registry": "nexus.t.example.com:8443"},
        "cluster_release": {"kubespray": "v2.31.0", "kubernetes": defaults["kube_version"],
                            "containerd": defaults["containerd_version"], "etcd": defaults["etcd_version"],
                            "os": ["ubuntu-24.04"], "gpu_operator": "v26.7.0", "nvidia_driver": "580.95.05",
                            "kube_prometheus_stack": "88.5.3"},
    }
    values.update(cluster)
    return small_cluster.description(**values)


# --------------------------------------------------------------------------
# Files (the raw repository)
# --------------------------------------------------------------------------


def test_every_offline_download_file_is_seeded():
    seeded = dict((path, url) for url, path in nl.files(_description()))
    wanted = {row["url_or_image"] for row in _tsv("offline-downloads.tsv") if row["type"] == "file"}
    assert wanted, "offline-downloads.tsv lists files"
    for url in wanted:
        assert url.startswith("{{ files_repo }}/")
        path = url[len("{{ files_repo }}/"):]
        assert path in seeded, path
        # Kubespray's upstream of that path: its download base (FILE_BASES) with the host.
        assert seeded[path] == "https://" + path
    # And nothing beyond Kubespray's download list.
    assert len(seeded) == len(ki.FILE_DOWNLOADS)


def test_files_follow_the_release_bundle():
    description = _description()
    for host in description["hostvars"].values():
        host["cluster_release"] = dict(host["cluster_release"], kubernetes="1.34.3", etcd="3.5.24", containerd="2.1.5")
    paths = [path for _url, path in nl.files(description)]
    assert "dl.k8s.io/release/v1.34.3/bin/linux/amd64/kubelet" in paths
    assert "github.com/etcd-io/etcd/releases/download/v3.5.24/etcd-v3.5.24-linux-amd64.tar.gz" in paths
    assert "github.com/containerd/containerd/releases/download/v2.1.5/containerd-2.1.5-linux-amd64.tar.gz" in paths


def test_every_seed_host_is_a_download_base_pointed_at_the_mirror():
    bases = {value.split("/", 1)[1] for _name, value in ki.FILE_BASES}  # "{{ files_repo }}/github.com" -> github.com
    assert {path.split("/", 1)[0] for _url, path in nl.files(_description())} <= bases


def test_an_unknown_template_expression_is_an_error():
    with pytest.raises(ValueError, match=r"cannot render \{\{ image_arch \| upper \}\}"):
        nl._render("x-{{ image_arch | upper }}", {"image_arch": "amd64"})


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def test_kubespray_versions_match_its_versions_tsv():
    defaults = _kubespray_defaults()
    shared = set(nl.KUBESPRAY_VERSIONS) & set(defaults)
    assert len(shared) >= 7, shared
    assert {name: nl.KUBESPRAY_VERSIONS[name] for name in shared} == {name: defaults[name] for name in shared}


def test_every_offline_download_image_is_listed():
    """The observed run used Kubespray's local nginx API proxy: a description whose API is a node's address."""
    listed = nl.images(_description(api_address="10.9.0.11"))
    wanted = [row["url_or_image"] for row in _tsv("offline-downloads.tsv") if row["type"] == "image"]
    assert wanted
    for image in wanted:
        assert image.startswith("{{ registry_host }}/")
        path = image[len("{{ registry_host }}/"):]
        matches = [i for i in listed if i.split("/", 1)[1] == path]
        assert len(matches) == 1, (path, matches)
        # Pulled through the mirror by its upstream name: one of the proxied registries.
        assert matches[0].split("/", 1)[0] in ki.MIRROR_REGISTRIES_DEFAULT


def test_kubespray_image_registries_are_its_image_repos():
    # download.yml at v2.31.0: calico from quay_image_repo, nginx from docker_image_repo,
    # kube-vip from github_image_repo, the rest from kube_image_repo.
    assert set(nl.KUBESPRAY_IMAGES) == {name for name, _path in ki.IMAGES}
    assert {name for name, (registry, _tag) in nl.KUBESPRAY_IMAGES.items() if registry == "quay.io"} == {
        "calico_node_image_repo", "calico_cni_image_repo", "calico_policy_image_repo"}


def test_api_mode_decides_nginx_or_kube_vip():
    node = nl.images(_description(api_address="10.9.0.11"))
    vip = nl.images(_description(api_address="10.9.0.100"))
    assert any("/library/nginx:" in i for i in node) and not any("kube-vip" in i for i in node)
    assert "ghcr.io/kube-vip/kube-vip:v1.0.3" in vip and not any("/library/nginx:" in i for i in vip)


def test_kubeadm_images_follow_kube_version():
    listed = nl.images(_description())
    kube = _kubespray_defaults()["kube_version"]
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        assert "registry.k8s.io/%s:v%s" % (name, kube) in listed
    # kubeadm's pause and coredns are Kubespray's (pod_infra, coredns versions of versions.tsv).
    assert "registry.k8s.io/pause:%s" % _kubespray_defaults()["pod_infra_version"] in listed
    assert "registry.k8s.io/coredns/coredns:v%s" % _kubespray_defaults()["coredns_version"] in listed
    # etcd runs on the hosts (etcd_deployment_type host): no etcd image.
    assert not any("/etcd:" in i for i in listed)


def _gpu_values(description):
    release = ki.cluster_value(description, "cluster_release")
    ours = gov.values(release["gpu_operator"], release["nvidia_driver"])
    return gov.merged(_yaml(os.path.join(GPU_CHART, "values.yaml")), ours)


def _section(values, path):
    for part in path.split("."):
        values = values[part]
    return values


# Sections the chart deploys only with a feature this project leaves off
# (values.yaml: sandboxWorkloads.enabled, vgpuManager.enabled, gds.enabled...).
GPU_OFF = {
    "dcgm": "dcgm.enabled false: dcgm-exporter embeds DCGM",
    "nodeStatusExporter": "nodeStatusExporter.enabled false",
    "gds": "gds.enabled false", "gdrcopy": "gdrcopy.enabled false",
    "vgpuManager.driverManager": "vgpuManager.enabled false",
    "vgpuDeviceManager": "sandboxWorkloads.enabled false", "vfioManager": "sandboxWorkloads.enabled false",
    "vfioManager.driverManager": "sandboxWorkloads.enabled false",
    "sandboxDevicePlugin": "sandboxWorkloads.enabled false", "kataSandboxDevicePlugin": "sandboxWorkloads.enabled false",
    "ccManager": "sandboxWorkloads.enabled false", "draDriver": "the DRA driver is not deployed by this project",
}


def test_every_gpu_operator_image_the_values_deploy_is_listed():
    description = _description()
    merged = _gpu_values(description)
    chart = _yaml(os.path.join(GPU_CHART, "values.yaml"))
    assert chart["sandboxWorkloads"]["enabled"] is False and merged["sandboxWorkloads"]["enabled"] is False
    listed = nl.images(description)
    for path, _upstream in gov.IMAGES:
        if path in GPU_OFF:
            section = _section(merged, path.split(".", maxsplit=1)[0])
            assert not section.get("enabled", True) or "sandbox" in GPU_OFF[path] or path == "draDriver", path
            continue
        section = _section(merged, path)
        # The chart's own image name; the tag is ours where the values pin it.
        assert nl.GPU_IMAGES[path] == section["image"], path
        name = "%s/%s" % (section["repository"], section["image"])
        if path == "driver":
            assert "%s:%s-ubuntu24.04" % (name, ki.cluster_value(description, "cluster_release")["nvidia_driver"]) in listed
        else:
            assert "%s:%s" % (name, section["version"]) in listed, name
    nfd = merged[gov.SUBCHART]["image"]
    assert "%s:%s" % (nfd["repository"], nfd["tag"]) in listed


def test_no_gpu_images_without_the_gpu_layer_pinned():
    description = _description()
    for host in description["hostvars"].values():
        host["cluster_release"] = {k: v for k, v in host["cluster_release"].items() if k not in ("gpu_operator", "nvidia_driver")}
    assert not any(i.startswith("nvcr.io/") for i in nl.images(description))


def _kps_images(values, path=""):
    if isinstance(values, dict):
        if "repository" in values and "registry" in values:
            yield path.lstrip("."), values
        for key, value in values.items():
            yield from _kps_images(value, path + "." + key)


# Images of kube-prometheus-stack's values.yaml that this project's values leave off.
KPS_OFF = {
    "crds.upgradeJob.image.busybox": "crds.upgradeJob.enabled",
    "crds.upgradeJob.image.kubectl": "crds.upgradeJob.enabled",
    "prometheusOperator.admissionWebhooks.deployment.image": "prometheusOperator.admissionWebhooks.deployment.enabled",
    "thanosRuler.thanosRulerSpec.image": "thanosRuler.enabled",
    "prometheusOperator.thanosImage": "prometheus.prometheusSpec.thanos",
}


def test_every_kube_prometheus_stack_image_the_values_deploy_is_listed():
    chart = _yaml(os.path.join(KPS_CHART, "values.yaml"))
    app_version = _yaml(os.path.join(KPS_CHART, "Chart.yaml"))["appVersion"]
    assert nl.KPS_APP_VERSION == app_version
    listed = nl.images(_description())
    found = dict(_kps_images(chart))
    assert set(found) == {path for path, _image in nl.KPS_IMAGES} | set(KPS_OFF)
    for path, image in found.items():
        name = "%s/%s:%s" % (image["registry"], image["repository"], image["tag"] or app_version)
        if path in KPS_OFF:
            flag = _section(chart, KPS_OFF[path])
            assert not flag, (path, flag)  # off (false, or no thanos sidecar configured)
            assert name not in listed
        else:
            assert name in listed, name


def test_images_are_upstream_names_once_each():
    listed = nl.images(_description())
    assert listed == sorted(set(listed))
    for image in listed:
        assert re.match(r"^[a-z0-9.-]+\.[a-z]+/[a-z0-9._/-]+:[A-Za-z0-9._-]+$", image), image


# --------------------------------------------------------------------------
# Repositories
# --------------------------------------------------------------------------


@pytest.fixture(name="contract", scope="module")
def fixture_contract():
    with open(CONTRACT, encoding="utf-8") as handle:
        return json.load(handle)


def _check(payload, schema, contract, where):
    """Problems of a payload against a model of the contract: required keys present, no unknown key, enums kept."""
    problems = []
    model = contract["models"][schema]
    for key in model["required"]:
        if key not in payload:
            problems.append("%s: %s is required" % (where, key))
    for key, value in payload.items():
        if key not in model["properties"]:
            problems.append("%s: %s is not a property of %s" % (where, key, schema))
            continue
        kind = model["properties"][key]
        if kind in contract["models"]:
            problems += _check(value, kind, contract, "%s.%s" % (where, key))
        elif kind.startswith("enum:"):
            if value not in kind[5:].split(","):
                problems.append("%s: %s=%r is not one of %s" % (where, key, value, kind[5:]))
        elif kind == "boolean" and not isinstance(value, bool):
            problems.append("%s: %s must be a boolean" % (where, key))
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append("%s: %s must be an integer" % (where, key))
        elif kind == "string" and not isinstance(value, str):
            problems.append("%s: %s must be a string" % (where, key))
        elif kind == "string[]" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append("%s: %s must be a list of strings" % (where, key))
    return problems


def test_every_payload_keeps_the_documented_contract(contract):
    repositories = nl.repositories(_description())
    problems = []
    for repo in repositories:
        schema = contract["requests"]["%s/%s" % (repo["format"], repo["type"])]
        problems += _check(repo["payload"], schema, contract, repo["name"])
        assert repo["payload"]["name"] == repo["name"]
        assert re.match(contract["name_pattern"], repo["name"]), repo["name"]
    assert problems == []


def test_the_contract_check_can_fail(contract):
    docker = next(r for r in nl.repositories(_description()) if r["type"] == "proxy" and r["format"] == "docker")
    payload = json.loads(json.dumps(docker["payload"]))
    del payload["docker"]["forceBasicAuth"]
    payload["routingRuleName"] = "x"
    payload["dockerProxy"]["indexType"] = "hub"
    problems = _check(payload, contract["requests"]["docker/proxy"], contract, "x")
    assert sorted(problems) == ["x.docker: forceBasicAuth is required",
                                "x.dockerProxy: indexType='hub' is not one of HUB,REGISTRY,CUSTOM",
                                "x: routingRuleName is not a property of DockerProxyRepositoryApiRequest"]


def test_the_layout_the_issue_asks_for():
    repositories = nl.repositories(_description())
    kinds = [(r["format"], r["type"]) for r in repositories]
    assert kinds.count(("docker", "proxy")) == 5 and kinds.count(("docker", "group")) == 1
    assert ("apt", "proxy") in kinds and ("raw", "hosted") in kinds and ("pypi", "proxy") in kinds
    assert kinds.count(("helm", "proxy")) == 2
    names = [r["name"] for r in repositories]
    assert len(names) == len(set(names))
    # A group's members exist before it (the module creates them in this order).
    group = next(r for r in repositories if r["type"] == "group")
    assert group["payload"]["group"]["memberNames"] == list(names[:names.index(group["name"])])


def test_docker_proxies_reach_each_registry_containerd_mirrors():
    description = _description()
    repositories = nl.repositories(description)
    proxies = {r["name"]: r["payload"] for r in repositories if r["format"] == "docker" and r["type"] == "proxy"}
    mirrors = ki.generate(description, []).variables()["containerd_registries_mirrors"]
    # Every registry containerd sends to the mirror has a proxy of the server containerd would reach itself.
    for entry in mirrors:
        payload = proxies[nl.docker_proxy_name(entry["prefix"])]
        assert payload["proxy"]["remoteUrl"] == entry["server"]
    assert len(proxies) == len(mirrors)
    assert proxies["docker-docker.io"]["dockerProxy"]["indexType"] == "HUB"
    # Nexus's default forceBasicAuth is true: written false on every docker repository.
    for repo in repositories:
        if repo["format"] == "docker":
            assert repo["payload"]["docker"]["forceBasicAuth"] is False


def test_docker_group_order_and_connector():
    description = _description(cluster_mirror={"files_url": "https://n.example.com/raw", "registry": "n.example.com:5443",
                                               "registries": ["docker.io", "quay.io", "registry.k8s.io"]})
    group = next(r for r in nl.repositories(description) if r["type"] == "group")
    # Docker Hub last: it holds look-alike copies of names other registries own (calico/node).
    assert group["payload"]["group"]["memberNames"] == ["docker-registry.k8s.io", "docker-quay.io", "docker-docker.io"]
    # Its own HTTPS connector on cluster_mirror.registry's port: /v2/ at the root, as registry_host needs.
    assert group["payload"]["docker"]["httpsPort"] == 5443
    description = _description(cluster_mirror={"files_url": "https://n.example.com/raw", "registry": "n.example.com"})
    group = next(r for r in nl.repositories(description) if r["type"] == "group")
    assert group["payload"]["docker"]["httpsPort"] == 443


def test_apt_proxy_has_distribution_and_flat():
    apt = next(r for r in nl.repositories(_description()) if r["format"] == "apt")["payload"]
    assert apt["apt"] == {"distribution": "noble", "flat": False}
    assert apt["proxy"]["remoteUrl"] == "https://archive.ubuntu.com/ubuntu/"
    description = _description()
    for host in description["hostvars"].values():
        host["cluster_release"] = dict(host["cluster_release"], os=["ubuntu-22.04"])
    assert next(r for r in nl.repositories(description) if r["format"] == "apt")["payload"]["apt"]["distribution"] == "jammy"


def test_helm_proxies_are_the_upstreams_the_egress_check_knows():
    # egress.py probes each chart repository's index.yaml: the same upstreams.
    with open(os.path.join(REPO, "plugins", "module_utils", "egress.py"), encoding="utf-8") as handle:
        text = handle.read()
    for _name, remote in nl.HELM_REPOSITORIES.values():
        assert '"%s/index.yaml"' % remote in text, remote
    helm = {r["name"]: r["payload"]["proxy"]["remoteUrl"] for r in nl.repositories(_description()) if r["format"] == "helm"}
    assert helm == dict(nl.HELM_REPOSITORIES.values())


def test_helm_repo_url():
    mirror = {"files_url": "https://n.example.com/raw", "registry": "n.example.com",
              "helm_url": "https://n.example.com/repository"}
    assert nl.helm_repo_url(mirror, "gpu-operator") == "https://n.example.com/repository/helm-nvidia"
    assert nl.helm_repo_url(mirror, "kube-prometheus-stack") == "https://n.example.com/repository/helm-prometheus-community"
    assert nl.helm_repo_url({"registry": "n.example.com"}, "gpu-operator") == ""
    assert nl.helm_repo_url(None, "gpu-operator") == ""


def test_apt_sources():
    url = "https://n.example.com/repository/ubuntu/"
    assert nl.apt_sources(url, "noble") == (
        "Types: deb\nURIs: https://n.example.com/repository/ubuntu\nSuites: noble noble-updates noble-security\n"
        "Components: main restricted universe multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n")
    assert nl.apt_sources(url, "jammy", "list").splitlines() == [
        "deb https://n.example.com/repository/ubuntu jammy%s main restricted universe multiverse" % suffix
        for suffix in ("", "-updates", "-security")]
    with pytest.raises(ValueError):
        nl.apt_sources(url, "jammy", "yaml")


def test_filters_read_an_inventory(load_inventory, tmp_path):
    import shutil
    target = tmp_path / "production"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), target,
                    ignore=shutil.ignore_patterns("artifacts", "reports", "ssh_known_hosts"))
    shutil.copy(os.path.join(REPO, "tests", "unit", "fixtures", "kubespray", "inputs", "production-mirror", "mirror.yml"),
                target / "group_vars" / "all" / "mirror.yml")
    loaded = load_inventory(str(target))
    description = ki.description_from_hostvars(loaded.hostvars, loaded.groups)
    assert nexus_filter.nexus_repositories(loaded.hostvars, loaded.groups) == nl.repositories(description)
    group = next(r for r in nexus_filter.nexus_repositories(loaded.hostvars, loaded.groups, "mirror") if r["type"] == "group")
    assert group["payload"]["docker"]["httpsPort"] == 8443 and group["payload"]["storage"]["blobStoreName"] == "mirror"
    assert nexus_filter.mirror_images(loaded.hostvars, loaded.groups) == nl.images(description)
    assert nexus_filter.mirror_files(loaded.hostvars, loaded.groups) == [{"url": u, "path": p} for u, p in nl.files(description)]
    mirror = ki.cluster_value(description, "cluster_mirror")
    assert nexus_filter.mirror_helm_url(mirror, "kube-prometheus-stack") == (
        "https://nexus01.prod.mlp.example.com/repository/helm-prometheus-community")
    assert set(nexus_filter.FilterModule().filters()) == {"nexus_repositories", "mirror_images", "mirror_files",
                                                          "mirror_helm_url", "mirror_apt_sources", "mirror_gpu_settings",
                                                          "mirror_registries"}
    # The registries the mirror proxies, as the inventory gives them or with the default list.
    assert nexus_filter.mirror_registries(mirror) == list(ki.mirror_settings(description)["registries"])
    assert nexus_filter.mirror_registries(dict(mirror, registries=["quay.io"])) == ["quay.io"]
    assert nexus_filter.mirror_registries({}) == [] and nexus_filter.mirror_registries(None) == []


def test_gpu_driver_apt_defaults_to_the_mirror():
    mirror = {"files_url": "https://n.example.com/raw", "registry": "n.example.com",
              "apt_url": "https://n.example.com/repository/ubuntu"}
    assert nl.gpu_settings({"mig_strategy": "mixed"}, mirror) == {"mig_strategy": "mixed",
                                                                  "driver_apt_url": "https://n.example.com/repository/ubuntu"}
    # The description's own choice stays, even "".
    assert nl.gpu_settings({"driver_apt_url": ""}, mirror) == {"driver_apt_url": ""}
    assert nl.gpu_settings(None, {"registry": "n.example.com"}) == {}
    # And the values then carry the repoConfig the GPU layer fills from it.
    values = gov.values("v26.7.0", "580.95.05", cluster_gpu=nexus_filter.mirror_gpu_settings(None, mirror))
    assert values["driver"]["repoConfig"] == {"configMapName": gov.REPO_CONFIGMAP}
    assert "repoConfig" not in gov.values("v26.7.0", "580.95.05", cluster_gpu=nl.gpu_settings(None, {}))["driver"]


def _role_file(*parts):
    with open(os.path.join(REPO, "roles", *parts), encoding="utf-8") as handle:
        return handle.read()


def test_roles_take_the_mirrors_helm_proxies_and_apt_proxy():
    # The defaults call the same function (the filter) with the chart's name.
    assert "mlplatform.installer.mirror_helm_url('gpu-operator')" in yaml.safe_load(
        _role_file("gpu_operator", "defaults", "main.yml"))["gpu_operator_chart_repo_url"]
    assert "mlplatform.installer.mirror_helm_url('kube-prometheus-stack')" in yaml.safe_load(
        _role_file("monitoring", "defaults", "main.yml"))["monitoring_chart_repo_url"]
    assert "mlplatform.installer.mirror_gpu_settings(cluster_mirror" in yaml.safe_load(
        _role_file("gpu_operator", "defaults", "main.yml"))["gpu_operator_settings"]
    assert "apt_url" in yaml.safe_load(_role_file("node_base", "defaults", "main.yml"))["node_base_apt_mirror_url"]
    # node_base replaces each Ubuntu release's own sources file, in its own format; Debian keeps its sources.
    sources = {name: yaml.safe_load(_role_file("node_base", "vars", name + ".yml"))["_node_base_apt_sources"]
               for name in ("Ubuntu-22", "Ubuntu-24", "Debian-12")}
    assert sources["Ubuntu-22"] == {"path": "/etc/apt/sources.list", "style": "list", "codename": "jammy"}
    assert sources["Ubuntu-24"] == {"path": "/etc/apt/sources.list.d/ubuntu.sources", "style": "deb822", "codename": "noble"}
    assert sources["Debian-12"] == {}
    for name in ("Ubuntu-22", "Ubuntu-24"):
        assert gov.UBUNTU_CODENAMES["ubuntu-" + name.split("-")[1] + ".04"] == sources[name]["codename"]
        nl.apt_sources("https://n.example.com/repository/ubuntu", sources[name]["codename"], sources[name]["style"])
    tasks = yaml.safe_load(_role_file("node_base", "tasks", "apt_sources.yml"))
    (write,) = next(t for t in tasks if "mlplatform.installer.config_files" in t)["mlplatform.installer.config_files"]["files"]
    assert "mlplatform.installer.mirror_apt_sources(_node_base_apt_sources.codename, _node_base_apt_sources.style)" in \
        write["content"]
    assert write["dest"] == "{{ _node_base_apt_sources.path }}"
