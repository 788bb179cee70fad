"""The GPU Operator chart's values generated from the description (issue 17).

Contract: every key path we set exists in the pinned chart's values.yaml
(../shared/upstream/gpu-operator-v26.7.0), with the same type, because helm
ignores an unknown key silently; the ClusterPolicy the chart renders from
them validates against the pinned CRD's schema.
"""

import copy
import os
import re

import jsonschema
import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import chart_values_check
from ansible_collections.mlplatform.installer.plugins.module_utils import gpu_operator_values as gov

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(REPO, "..", "shared", "upstream", "gpu-operator-v26.7.0")
REGISTRY = "nexus01.dc1.example.com:8443"
NO_PROXY = ["localhost", "127.0.0.1", "10.20.0.0/24", ".svc", ".cluster.local"]


def chart_values():
    with open(os.path.join(UPSTREAM, "values.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def chart_text():
    with open(os.path.join(UPSTREAM, "values.yaml"), encoding="utf-8") as f:
        return f.read()


def crd_schema(name):
    with open(os.path.join(UPSTREAM, "crds", name), encoding="utf-8") as f:
        crd = yaml.safe_load(f)
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def full(**kw):
    args = dict(registry=REGISTRY, http_proxy="http://proxy.example.com:3128", https_proxy="http://proxy.example.com:3128",
                no_proxy=NO_PROXY, ca_bundle=True,
                cluster_gpu={"mig_strategy": "mixed", "driver_apt_url": "https://nexus01.dc1.example.com/repository/ubuntu"})
    args.update(kw)
    return gov.values("v26.7.0", "580.173.02", **args)


def key_problems(ours, chart, text):
    """Every key path of ``ours`` that values.yaml lacks or types differently (chart_values_check).

    Keys documented only as comments (gov.COMMENTED_KEYS) must be there,
    commented, in their section; the subchart's keys (gov.SUBCHART_KEYS) are
    checked by name, as its values.yaml is not in ../shared/upstream.
    """
    ours = dict(ours)
    subchart = ours.pop(gov.SUBCHART, {})
    problems = ["%s.%s: not a documented subchart key" % (gov.SUBCHART, p) for p in _paths(subchart)
                if p not in gov.SUBCHART_KEYS]
    problems += chart_values_check.values_problems(ours, chart, gov.COMMENTED_KEYS)
    problems += ["%s is documented only as a comment, and that comment is not in its section" % path
                 for path in gov.COMMENTED_KEYS if not _commented(text, path)]
    return problems


def _paths(mapping, prefix=""):
    for key, value in mapping.items():
        here = "%s.%s" % (prefix, key) if prefix else key
        if isinstance(value, dict) and value and here not in gov.SUBCHART_KEYS:
            yield from _paths(value, here)
        else:
            yield here


def _commented(text, path):
    section, key = path.split(".")
    block = re.search(r"^%s:\n((?:[ #].*\n|\n)*)" % re.escape(section), text, re.MULTILINE)
    return bool(block and re.search(r"^\s+#\s*%s:" % re.escape(key), block.group(1), re.MULTILINE))


def test_every_key_exists_in_the_chart_with_its_type():
    assert key_problems(full(), chart_values(), chart_text()) == []
    assert key_problems(gov.values("v26.7.0", "595.91.07"), chart_values(), chart_text()) == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda v: v["driver"].__setitem__("usePrecompile", True), "driver.usePrecompile is not a key of the chart's values"),
    (lambda v: v["driver"]["upgradePolicy"]["drain"].__setitem__("enabled", True),
     "driver.upgradePolicy.drain.enabled is not a key"),
    (lambda v: v.__setitem__("dcgmexporter", {"enabled": True}), "dcgmexporter is not a key"),
    (lambda v: v["driver"].__setitem__("env", {"HTTP_PROXY": "x"}), "driver.env is a mapping here, a list in the chart"),
    (lambda v: v["driver"]["upgradePolicy"].__setitem__("maxParallelUpgrades", "1"),
     "driver.upgradePolicy.maxParallelUpgrades is a string here, a number in the chart"),
    (lambda v: v["toolkit"].__setitem__("tag", "v1"), "toolkit.tag is not a key"),
    (lambda v: v[gov.SUBCHART]["worker"].__setitem__("nodeSelectors", {}), "worker.nodeSelectors"),
])
def test_the_contract_check_catches_a_misspelled_or_mistyped_key(mutate, expected):
    values = full()
    mutate(values)
    problems = key_problems(values, chart_values(), chart_text())
    assert any(expected in p for p in problems), problems


def test_commented_keys_are_really_commented_in_their_section():
    for path in gov.COMMENTED_KEYS:
        assert _commented(chart_text(), path), path
    assert not _commented(chart_text(), "operator.versions")


def test_driver_version_is_explicit_never_the_chart_default():
    assert full()["driver"]["version"] == "580.173.02"
    assert chart_values()["driver"]["version"] != "580.173.02"


def test_every_image_comes_from_the_mirror_with_a_pinned_tag():
    values = gov.merged(chart_values(), full())
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            if "repository" in node and "image" in node:
                found.append((path, node["repository"], node.get("version")))
            for key, value in node.items():
                walk(value, path + [key])
    walk(values, [])
    # vgpuManager has no public image (repository ""): the site builds it; it stays off.
    found = [f for f in found if f[0] != ["vgpuManager"]]
    assert len(found) == len(gov.IMAGES) == 21
    for path, repository, version in found:
        assert repository.startswith(REGISTRY + "/nvcr.io/nvidia"), (path, repository)
        assert version, path
    assert values[gov.SUBCHART]["image"] == {"repository": REGISTRY + "/registry.k8s.io/nfd/node-feature-discovery",
                                             "tag": "v0.19.0"}
    for name in gov.APP_VERSION_IMAGES:
        assert values[name]["version"] == "v26.7.0"


def test_without_a_mirror_images_stay_upstream():
    values = gov.values("v26.7.0", "595.91.07")
    assert values["toolkit"]["repository"] == "nvcr.io/nvidia/k8s"
    assert values[gov.SUBCHART]["image"]["repository"] == "registry.k8s.io/nfd/node-feature-discovery"


def test_proxy_and_no_proxy_in_the_driver_env():
    env = {e["name"]: e["value"] for e in full()["driver"]["env"]}
    assert env["HTTPS_PROXY"] == env["https_proxy"] == "http://proxy.example.com:3128"
    assert env["NO_PROXY"] == env["no_proxy"] == ",".join(NO_PROXY)
    assert gov.values("v26.7.0", "595.91.07", no_proxy=NO_PROXY)["driver"]["env"] == []


def test_a_credentialed_proxy_goes_to_a_secret_never_into_the_values():
    values = full(http_proxy="http://svc:s3cr%40t@proxy.example.com:3128", https_proxy="http://svc:s3cr%40t@proxy.example.com:3128")
    assert "s3cr" not in yaml.safe_dump(values)
    assert values["driver"]["secretEnv"] == gov.PROXY_SECRET
    assert {e["name"] for e in values["driver"]["env"]} == {"NO_PROXY", "no_proxy"}


def test_repo_and_cert_config_only_when_configured():
    values = full()
    assert values["driver"]["repoConfig"] == {"configMapName": gov.REPO_CONFIGMAP}
    assert values["driver"]["certConfig"] == {"name": gov.CA_CONFIGMAP}
    bare = gov.values("v26.7.0", "595.91.07")
    assert "repoConfig" not in bare["driver"] and "certConfig" not in bare["driver"]


def test_toolkit_dcgm_exporter_mig_upgrade_policy_and_node_selection():
    values = full()
    assert values["toolkit"]["enabled"] and values["dcgmExporter"]["enabled"]
    assert values["mig"] == {"strategy": "mixed"} and values["migManager"]["enabled"] is True
    none = gov.values("v26.7.0", "595.91.07", cluster_gpu={"mig_strategy": "none"})
    assert none["mig"] == {"strategy": "none"} and none["migManager"]["enabled"] is False
    policy = values["driver"]["upgradePolicy"]
    assert policy["maxParallelUpgrades"] == 1 and policy["maxUnavailable"] == "1"
    assert policy["drain"]["enable"] is True and policy["autoUpgrade"] is True
    assert values[gov.SUBCHART]["worker"]["nodeSelector"] == {gov.GPU_NODE_LABEL: "true"}


def test_cluster_policy_validates_against_the_pinned_crd():
    policy = gov.cluster_policy(gov.merged(chart_values(), full()), "v26.7.0")
    jsonschema.validate(policy, crd_schema("nvidia.com_clusterpolicies.yaml"))
    spec = policy["spec"]
    assert spec["driver"]["version"] == "580.173.02"
    assert spec["driver"]["upgradePolicy"]["maxUnavailable"] == 1  # unquoted in the template
    assert spec["driver"]["upgradePolicy"]["drain"]["enable"] is True
    assert spec["driver"]["repoConfig"] == {"configMapName": gov.REPO_CONFIGMAP}
    assert spec["mig"] == {"strategy": "mixed"}
    broken = copy.deepcopy(policy)
    broken["spec"]["mig"]["strategy"] = "both"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, crd_schema("nvidia.com_clusterpolicies.yaml"))


def test_no_nvidia_driver_unless_the_description_asks_for_one():
    values = full()
    assert values["driver"]["nvidiaDriverCRD"]["enabled"] is False
    assert gov.nvidia_driver(gov.merged(chart_values(), values)) is None
    policy = gov.cluster_policy(gov.merged(chart_values(), values), "v26.7.0")
    assert policy["spec"]["driver"]["useNvidiaDriverCRD"] is False


def test_nvidia_driver_carries_the_driver_settings_and_validates_against_the_pinned_crd():
    values = full(cluster_gpu={"driver_apt_url": "https://nexus01.dc1.example.com/repository/ubuntu", "driver_crd": True})
    merged = gov.merged(chart_values(), values)
    driver = gov.nvidia_driver(merged)
    jsonschema.validate(driver, crd_schema("nvidia.com_nvidiadrivers.yaml"))
    assert driver["apiVersion"] == "nvidia.com/v1alpha1" and driver["metadata"] == {"name": "default"}
    spec = driver["spec"]
    assert spec["version"] == "580.173.02" and spec["driverType"] == "gpu"
    assert spec["repository"] == REGISTRY + "/nvcr.io/nvidia" and spec["image"] == "driver"
    assert spec["manager"]["repository"] == REGISTRY + "/nvcr.io/nvidia/cloud-native"
    # The fallback for every GPU node (NFD labels only the gpu_nodes): the CRD refuses a nodeSelector on it.
    assert spec["default"] is True and "nodeSelector" not in spec
    assert spec["upgradePolicy"]["maxParallelUpgrades"] == 1 and spec["upgradePolicy"]["drain"]["enable"] is True
    # The proxy, the Nexus apt sources and the CA, as the ClusterPolicy would carry them.
    assert {"name": "HTTPS_PROXY", "value": "http://proxy.example.com:3128"} in spec["env"]
    assert spec["repoConfig"] == {"name": gov.REPO_CONFIGMAP}
    assert spec["certConfig"] == {"name": gov.CA_CONFIGMAP}
    assert spec["tolerations"] == merged["daemonsets"]["tolerations"]
    # The ClusterPolicy then leaves the driver to the NVIDIADriver.
    policy = gov.cluster_policy(merged, "v26.7.0")
    jsonschema.validate(policy, crd_schema("nvidia.com_clusterpolicies.yaml"))
    assert policy["spec"]["driver"]["useNvidiaDriverCRD"] is True and "version" not in policy["spec"]["driver"]
    broken = copy.deepcopy(driver)
    broken["spec"]["driverType"] = "cpu"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, crd_schema("nvidia.com_nvidiadrivers.yaml"))


def test_apt_sources_for_one_ubuntu_release():
    content, problems = gov.apt_sources("https://nexus/repository/ubuntu/", ["ubuntu-24.04"])
    assert problems == []
    assert content.splitlines() == ["deb https://nexus/repository/ubuntu noble main restricted universe",
                                    "deb https://nexus/repository/ubuntu noble-updates main restricted universe",
                                    "deb https://nexus/repository/ubuntu noble-security main restricted universe"]
    _content, problems = gov.apt_sources("https://nexus/x", ["ubuntu-22.04", "ubuntu-24.04"])
    assert "jammy, noble" in problems[0]


@pytest.mark.parametrize("value, driver, expected", [
    (None, None, []),
    ({"mig_strategy": "single"}, "595.91.07", []),
    ({"mig_strategy": "both"}, None, ["cluster_gpu.mig_strategy is 'both', not one of none, single, mixed"]),
    ({"mig_stratgy": "single"}, None, ["cluster_gpu.mig_stratgy is not a key of cluster_gpu"]),
    ({"driver_apt_url": "nexus/ubuntu"}, None, ["cluster_gpu.driver_apt_url ('nexus/ubuntu') is not an http"]),
    ({"driver_apt_url": "https://u:p@nexus/ubuntu"}, None, ["cluster_gpu.driver_apt_url holds credentials"]),
    ({"use_precompiled": "yes"}, None, ["cluster_gpu.use_precompiled is 'yes', not a boolean"]),
    ({"use_precompiled": True}, "610.57.04", ["cluster_gpu.use_precompiled is true but cluster_release.nvidia_driver 610.57.04"]),
    ({"use_precompiled": True}, "595.91.07", []),
    ({"driver_crd": True}, None, []),
    ({"driver_crd": "true"}, None, ["cluster_gpu.driver_crd is 'true', not a boolean"]),
    ("single", None, ["cluster_gpu must be a mapping"]),
])
def test_cluster_gpu_problems(value, driver, expected):
    problems = gov.cluster_gpu_problems(value, driver)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected):
        assert problem.startswith(start), problem


def test_the_filter_gives_an_empty_mapping_not_none_without_a_driver_crd():
    # A None would come out of Ansible's templating as a string, and the role would write it as an NVIDIADriver.
    from ansible_collections.mlplatform.installer.plugins.filter import gpu_operator as filters
    assert filters.gpu_nvidia_driver(chart_values(), full()) == {}
    driver = filters.gpu_nvidia_driver(chart_values(), full(cluster_gpu={"driver_crd": True}))
    assert driver["kind"] == "NVIDIADriver" and driver["spec"]["default"] is True


def test_node_label_patches_put_gpu_nodes_in_and_the_others_out():
    patches = gov.node_label_patches(["cp1", "gpu1", "worker1"], ["gpu1"], "mlplatform.io/gpu")
    assert [p["metadata"]["name"] for p in patches] == ["cp1", "gpu1", "worker1"]
    assert patches[1]["metadata"]["labels"] == {"mlplatform.io/gpu": "true"}
    assert patches[0]["metadata"]["labels"] == patches[2]["metadata"]["labels"] == {"nvidia.com/gpu.deploy.operands": "false"}
    assert all(p["kind"] == "Node" and p["apiVersion"] == "v1" for p in patches)
    # Each patch has its own labels: a change to one never reaches another.
    patches[0]["metadata"]["labels"]["x"] = "y"
    assert "x" not in patches[2]["metadata"]["labels"]
    assert gov.node_label_patches(None, None, "l") == []
