"""Our Grafana dashboards (roles/monitoring/files/dashboards/*.yml, rendered by monitoring.dashboard).

* every panel reads only metrics something we run produces: the metrics our
  promtool-tested rules read, roles/gluster_metrics' own (gluster_metrics.METRICS),
  and a short list of standard node_exporter, etcd and DCGM names, each
  checked by hand against its exporter; a misspelt metric (an empty panel
  that looks like "no problem") fails here;
* the ConfigMaps carry the label the chart's Grafana sidecar watches
  (values.yaml grafana.sidecar.dashboards.label / labelValue at 88.5.3).

test_monitoring.py checks that every query parses (promtool).
"""

import glob
import os
import re

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster_metrics as gm
from ansible_collections.mlplatform.installer.plugins.module_utils import monitoring as mon

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "roles", "monitoring")
UPSTREAM = os.path.join(REPO, "..", "shared", "upstream", "kube-prometheus-stack-88.5.3")
DASHBOARDS = sorted(glob.glob(os.path.join(ROLE, "files", "dashboards", "*.yml")))

# Standard names the dashboards show beyond what the rules read, with their exporter.
STANDARD = {
    "node_disk_written_bytes_total": "node_exporter diskstats",
    "node_disk_io_time_seconds_total": "node_exporter diskstats",
    "etcd_disk_backend_commit_duration_seconds_bucket": "etcd /metrics",
    "etcd_server_has_leader": "etcd /metrics",
    "DCGM_FI_DEV_GPU_UTIL": "dcgm-exporter default counters",
}

_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
             "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression reads (not functions, labels, keywords or durations)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)      # strings
    text = re.sub(r"\{[^}]*\}", "", text)                 # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)                # ranges
    text = _GROUPING.sub("", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        if match.group(2) is None and match.group(1).lower() not in _KEYWORDS:
            names.add(match.group(1))
    return names


def rule_metrics():
    names = set()
    for path in glob.glob(os.path.join(ROLE, "files", "rules", "*.yml")):
        with open(path) as handle:
            for group in yaml.safe_load(handle)["groups"]:
                for rule in group["rules"]:
                    names |= metric_names(rule["expr"])
                    if "record" in rule:
                        names.add(rule["record"])
    return names


def known_metrics():
    return rule_metrics() | {gm.PREFIX + name for name, _help, _labels in gm.METRICS} | set(STANDARD) | {"up"}


def test_the_name_extractor_sees_metrics_only():
    assert metric_names('histogram_quantile(0.99, sum by (instance, le) (rate(a_bucket{job="x"}[5m])))') == {"a_bucket"}
    assert metric_names("min by (volume) (b / c) > 0.9 and on (x) d offset 5m") == {"b", "c", "d"}
    assert metric_names('up{job="nvidia-dcgm-exporter"} == bool 0') == {"up"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=os.path.basename)
def test_dashboards_read_only_metrics_we_produce(path):
    with open(path) as handle:
        board = mon.dashboard(yaml.safe_load(handle))
    used = set()
    for panel in board["panels"]:
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names, "%s: panel %r reads no metric" % (os.path.basename(path), panel["title"])
            used |= names
    assert sorted(used - known_metrics()) == []


def test_a_misspelt_metric_is_caught():
    assert metric_names("rate(node_disk_write_time_second_total[5m])") - known_metrics() == {
        "node_disk_write_time_second_total"}


def test_the_standard_list_holds_only_names_the_dashboards_use():
    used = set()
    for path in DASHBOARDS:
        with open(path) as handle:
            board = mon.dashboard(yaml.safe_load(handle))
        used |= {n for p in board["panels"] for t in p["targets"] for n in metric_names(t["expr"])}
    assert set(STANDARD) <= used


def test_the_configmaps_carry_the_label_the_charts_sidecar_watches():
    with open(os.path.join(UPSTREAM, "values.yaml")) as handle:
        sidecar = yaml.safe_load(handle)["grafana"]["sidecar"]["dashboards"]
    assert (mon.DASHBOARD_LABEL, "1") == (sidecar["label"], sidecar["labelValue"])
    values = mon.chart_values({
        "release": "r", "namespace": "monitoring", "storage_class": "s", "retention": "1d", "prometheus_storage": "1Gi",
        "alertmanager_storage": "1Gi", "alertmanager_retention": "1h", "alertmanager_secret": "a",
        "grafana_admin_secret": "g"})
    ours = values["grafana"]["sidecar"]["dashboards"]
    assert (ours["label"], ours["labelValue"]) == (sidecar["label"], sidecar["labelValue"])
    with open(DASHBOARDS[0]) as handle:
        name = os.path.splitext(os.path.basename(DASHBOARDS[0]))[0]
        maps = mon.dashboard_configmaps({name: yaml.safe_load(handle)}, "monitoring", {"team": "x"})
    assert [m["metadata"]["labels"] for m in maps] == [{"team": "x", sidecar["label"]: sidecar["labelValue"]}]
    with open(os.path.join(ROLE, "tasks", "objects.yml")) as handle:
        tasks = yaml.safe_load(handle)
    dashboard_task = [t for t in tasks if t["name"].startswith("Apply the dashboards")][0]
    assert "monitoring_dashboard_configmaps(monitoring_namespace, _monitoring_labels)" in \
        dashboard_task["kubernetes.core.k8s"]["definition"]


def test_a_dashboard_configmap_holds_the_json_ansible_to_json_wrote():
    """The ConfigMaps applied one by one before (data: to_json of the dashboard) read as unchanged."""
    from ansible.plugins.filter.core import to_json
    specs = {}
    for path in DASHBOARDS:
        with open(path) as handle:
            specs[os.path.splitext(os.path.basename(path))[0]] = yaml.safe_load(handle)
    maps = mon.dashboard_configmaps(specs, "monitoring", {})
    assert [m["metadata"]["name"] for m in maps] == ["mlp-dashboard-%s" % n for n in sorted(specs)]
    for config_map in maps:
        name = config_map["metadata"]["name"][len("mlp-dashboard-"):]
        assert config_map["data"] == {name + ".json": to_json(mon.dashboard(specs[name]))}
        assert config_map["metadata"]["namespace"] == "monitoring"
