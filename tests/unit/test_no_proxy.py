"""no_proxy computed from the cluster description (cluster_model.no_proxy and the
cluster_no_proxy filter)."""

import importlib.util
import os

import pytest
from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load_filter():
    spec = importlib.util.spec_from_file_location("cluster_filter_no_proxy", os.path.join(REPO, "plugins", "filter", "cluster.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILTER = _load_filter()

PRODUCTION_NAMES = [
    "localhost",
    "cp01", "cp01.prod.mlp.example.com", "cp02", "cp02.prod.mlp.example.com", "cp03", "cp03.prod.mlp.example.com",
    "wk01", "wk01.prod.mlp.example.com", "wk02", "wk02.prod.mlp.example.com",
    "gpu01", "gpu01.prod.mlp.example.com", "gpu02", "gpu02.prod.mlp.example.com",
    "gl01", "gl01.prod.mlp.example.com", "gl02", "gl02.prod.mlp.example.com", "gl03", "gl03.prod.mlp.example.com",
    "nexus01", "nexus01.prod.mlp.example.com",
    "api.prod.mlp.example.com", ".svc", ".cluster.local", ".corp.example.com",
]
PRODUCTION_ADDRESSES = [
    "10.40.8.10", "10.40.8.11", "10.40.8.12", "10.40.8.13", "10.40.8.21", "10.40.8.22", "10.40.8.31", "10.40.8.32",
    "10.40.8.41", "10.40.8.42", "10.40.8.43", "10.40.8.50", "127.0.0.1", "::1",
]
# cluster_subnet 10.40.8.0/24 lies inside the extra 10.40.0.0/16, and the service
# (10.233.0.0/18) and pod (10.233.64.0/18) ranges are adjacent: netaddr merges both.
PRODUCTION_NETWORKS = ["10.40.0.0/16", "10.233.0.0/17"]


@pytest.fixture(name="production", scope="module")
def fixture_production():
    from conftest import LoadedInventory

    return LoadedInventory(os.path.join(REPO, "inventories", "production"))


def test_production_no_proxy(production):
    result = FILTER.cluster_no_proxy(production.hostvars, production.groups)
    assert result == PRODUCTION_NAMES + PRODUCTION_ADDRESSES + PRODUCTION_NETWORKS


def test_production_no_proxy_compact_drops_covered_addresses(production):
    result = FILTER.cluster_no_proxy(production.hostvars, production.groups, compact=True)
    assert result == PRODUCTION_NAMES + ["127.0.0.1", "::1"] + PRODUCTION_NETWORKS


def test_filter_adds_extra_entries(production):
    result = FILTER.cluster_no_proxy(production.hostvars, production.groups, extra=["registry.example.org", "10.40.8.11"])
    assert result.count("10.40.8.11") == 1
    assert result.index("registry.example.org") == len(PRODUCTION_NAMES)


def test_filter_equals_pure_function(production):
    model = cm.model_from_hostvars(production.hostvars, production.groups)
    assert FILTER.cluster_no_proxy(production.hostvars, production.groups) == cm.no_proxy(model)


def test_testbed_without_extras_keeps_subnet_and_node_addresses():
    from conftest import LoadedInventory

    testbed = LoadedInventory(os.path.join(REPO, "inventories", "testbed"))
    result = FILTER.cluster_no_proxy(testbed.hostvars, testbed.groups)
    for entry in ("10.77.0.0/24", "10.77.0.11", "cp1", "cp1.bed.mlp.test", "gluster3.bed.mlp.test", ".svc",
                  ".cluster.local", "10.233.0.0/17", "localhost"):
        assert entry in result
    assert len(result) == len(set(result))
    assert result.count("10.77.0.11") == 1  # node_ip of cp1 and cluster_api_address


def _model(**cluster):
    values = {
        "cluster_domain": "dc1.example.com", "cluster_subnet": "10.20.0.0/24", "cluster_service_cidr": "10.233.0.0/18",
        "cluster_pod_cidr": "10.233.64.0/18", "cluster_dns_domain": "cluster.local", "cluster_api_address": "10.20.0.10",
        "cluster_api_fqdn": "", "cluster_no_proxy_extra": [],
    }
    values.update(cluster)
    hosts = {"cp1": "10.20.0.11", "nexus1": "10.20.0.50"}
    return {
        "groups": {"all": list(hosts), "kube_control_plane": ["cp1"], "nexus": ["nexus1"]},
        "hostvars": {h: dict(values, node_ip=ip) for h, ip in hosts.items()},
    }


def test_nexus_and_api_are_included():
    result = cm.no_proxy(_model(cluster_api_fqdn="api.dc1.example.com"))
    for entry in ("nexus1", "nexus1.dc1.example.com", "10.20.0.50", "api.dc1.example.com", "10.20.0.10"):
        assert entry in result


def test_extras_are_normalised_and_deduplicated():
    extra = ["CP1.DC1.example.com", "*.corp.example.com", ".corp.example.com", "10.20.0.11", "10.20.0.0/25",
             "192.168.1.0/24", "192.168.0.0/24", "fd00::/8", "not valid!", "*", "", "10.0.0.1/32"]
    result = cm.no_proxy(_model(cluster_no_proxy_extra=extra))
    assert result.count("cp1.dc1.example.com") == 1
    assert result.count(".corp.example.com") == 1
    assert "*.corp.example.com" not in result
    assert result.count("10.20.0.11") == 1
    assert "10.20.0.0/25" not in result  # inside cluster_subnet
    assert "192.168.0.0/23" in result  # two adjacent /24 merged
    assert "fd00::/8" in result
    assert "10.0.0.1" in result and "10.0.0.1/32" not in result
    assert "not valid!" not in result and "*" not in result and "" not in result
    assert all("," not in entry and " " not in entry for entry in result)


def test_extra_as_comma_string_is_split():
    result = cm.no_proxy(_model(), extra="a.example.com, b.example.com")
    assert "a.example.com" in result and "b.example.com" in result


def test_compact_drops_names_under_a_listed_domain():
    result = cm.no_proxy(_model(cluster_no_proxy_extra=[".dc1.example.com"]), compact=True)
    assert ".dc1.example.com" in result
    assert "cp1.dc1.example.com" not in result
    assert "cp1" in result


@pytest.mark.parametrize("model", [None, {}, "x", {"groups": {"all": ["a"]}, "hostvars": {"a": 5}}])
def test_garbage_model_gives_the_fixed_entries(model):
    assert cm.no_proxy(model) == ["localhost", ".svc", "127.0.0.1", "::1"]


def test_garbage_node_values_are_skipped():
    model = {"groups": {"all": ["a", "b"], "etcd": ["a", "b"]},
             "hostvars": {"a": {"node_ip": 7, "cluster_domain": ["x"]}, "b": {"node_ip": "10.0.0.300"}}}
    assert cm.no_proxy(model) == ["localhost", "a", "b", ".svc", "127.0.0.1", "::1"]


def test_invalid_values_are_skipped_not_raised():
    result = cm.no_proxy(_model(cluster_subnet="10.20.0.5/33", cluster_pod_cidr=["x"], cluster_domain="bad_domain",
                                cluster_no_proxy_extra="x,,y"))
    assert "10.20.0.5/33" not in result
    assert "cp1" in result and "cp1.bad_domain" not in result
    assert "x" in result and "y" in result
