"""cluster_nexus validation and the edition's usage limits (module_utils/nexus_description.py).

Each defect of a description has one case that names the key and the fix;
the sample inventory's commented entry must validate clean once uncommented;
the validator's hook (cluster_rules_global._check_nexus) is proven by
tests/fixtures/inventories/broken/cluster-nexus-jvm-too-big.yml.
"""

import os
import re

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_description as nd

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD = {
    "download_url": "https://nexus-mirror.dc1.example.com/repository/files/nexus-base-template-3.71.0-06.zip",
    "sha256": "432bb2bf10c4c04dfb36ad87796cfaaf4f747eb9db54e6634bb4576ffe891f17",
    "anonymous": False,
    "accept_eula": True,
    "jvm_heap_mb": 2703,
    "direct_memory_mb": 2703,
    "data_dir": "/srv/nexus",
    "data_device": "/dev/sdb",
}
HOST = [("nexus01", 8192)]


def test_good_description_has_no_problem():
    assert nd.cluster_nexus_problems(GOOD, "3.71.0-06", HOST) == []


@pytest.mark.parametrize("change, expected", [
    ({"download_url": "ftp://x/nexus-3.71.0-06.zip"}, "cluster_nexus.download_url is 'ftp://"),
    ({"download_url": "https://u:p@mirror/nexus-3.71.0-06.zip"}, "holds credentials"),
    ({"download_url": "https://mirror/nexus-3.70.1-02.zip"}, "does not name cluster_release.nexus (3.71.0-06)"),
    ({"sha256": "E62406521C90"}, "cluster_nexus.sha256 must be"),
    ({"http_port": 80}, "cluster_nexus.http_port is 80"),
    ({"http_port": 8443}, "http_port and https_port are the same"),
    ({"anonymous": "false"}, "cluster_nexus.anonymous is 'false': write true or false, unquoted"),
    ({"jvm_heap_mb": 256}, "cluster_nexus.jvm_heap_mb is 256"),
    ({"data_dir": "srv/nexus"}, "cluster_nexus.data_dir is 'srv/nexus'"),
    ({"data_device": "sdb"}, "cluster_nexus.data_device is 'sdb'"),
    ({"acept_eula": True}, "cluster_nexus.acept_eula is not a key of cluster_nexus"),
    ({"jvm_heap_mb": 4096, "direct_memory_mb": 4096}, "do not fit in host nexus01's node_memory_mb (8192)"),
])
def test_each_defect_names_the_key(change, expected):
    problems = nd.cluster_nexus_problems(dict(GOOD, **change), "3.71.0-06", HOST)
    assert any(expected in p for p in problems), problems


def test_release_pin_and_host_count():
    assert any("cluster_release.nexus (the pinned version" in p for p in nd.cluster_nexus_problems(GOOD, None, HOST))
    assert any("write a Nexus 3 version" in p for p in nd.cluster_nexus_problems(GOOD, "latest", HOST))
    assert any("the nexus group has 0 hosts" in p for p in nd.cluster_nexus_problems(GOOD, "3.71.0-06", []))
    assert any("has 2 hosts" in p for p in nd.cluster_nexus_problems(GOOD, "3.71.0-06", HOST * 2))
    assert nd.cluster_nexus_problems("yes", "3.71.0-06", HOST)[0].startswith("cluster_nexus must be a mapping")


def test_usage_limits_follow_the_version_with_sources():
    old = nd.usage_limits("3.71.0-06")
    assert "20,000 requests per day and 100,000 components" in old and nd.USAGE_DOC in old
    mid = nd.usage_limits("3.80.0-06")
    assert "100,000 components and 200,000 requests per day" in mid
    new = nd.usage_limits("3.87.1-01")
    assert "40,000 components and 100,000 requests per day" in new and nd.USAGE_CHANGE in new
    assert "not a Nexus 3 version" in nd.usage_limits("latest")


def _sample_cluster_nexus():
    """The sample's commented cluster_nexus block, uncommented."""
    with open(os.path.join(REPO, "inventories", "sample", "group_vars", "all", "cluster.yml")) as handle:
        text = handle.read()
    block = re.search(r"^# cluster_nexus:\n((?:#   .*\n)+)", text, re.M)
    assert block, "the sample documents cluster_nexus as a commented block"
    return yaml.safe_load("cluster_nexus:\n" + re.sub(r"^# ", "", block.group(1), flags=re.M))["cluster_nexus"]


def test_sample_entry_validates_clean():
    sample = _sample_cluster_nexus()
    assert nd.cluster_nexus_problems(sample, "3.71.0-06", HOST) == []
    assert set(sample) <= set(nd.NEXUS_KEYS)
