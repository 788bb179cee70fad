"""plugins/module_utils/monitoring.py and roles/monitoring's objects, against the pinned chart.

* the generated kube-prometheus-stack values: every key path exists in the
  chart's values.yaml (../shared/upstream/kube-prometheus-stack-88.5.3) with
  the same type; helm ignores unknown keys silently, so a typo would be a
  no-op in production;
* our PrometheusRule, ServiceMonitor and PodMonitor objects validate against
  the upstream CRDs' openAPIV3Schema, closed (an unknown field is an error:
  the API server would drop it without a word);
* Alertmanager's configuration from the receivers, and no secret in the values;
* every dashboard query is valid PromQL (promtool).
"""

import copy
import glob
import json
import os
import subprocess

import jsonschema
import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import chart_values_check
from ansible_collections.mlplatform.installer.plugins.module_utils import monitoring as mon

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(REPO, "..", "shared", "upstream", "kube-prometheus-stack-88.5.3")
ROLE = os.path.join(REPO, "roles", "monitoring")
# Keys values.yaml documents only as a comment (`    # configSecret:` under
# alertmanager.alertmanagerSpec, line 1047 at 88.5.3): checked below to be there.
DOCUMENTED = {"alertmanager.alertmanagerSpec.configSecret": "    # configSecret:"}

SETTINGS = {
    "release": "kube-prometheus-stack", "namespace": "monitoring", "storage_class": "gluster-gv0",
    "retention": "30d", "retention_size": "45GB", "prometheus_storage": "50Gi", "alertmanager_storage": "2Gi",
    "alertmanager_retention": "120h", "registry": "nexus.example.com:8443",
    "alertmanager_secret": "mlp-alertmanager-config", "grafana_admin_secret": "mlp-grafana-admin", "extra": {},
    "etcd_targets": ["10.8.0.11", "10.8.0.12", "10.8.0.13"], "etcd_metrics_port": 2381,
}


@pytest.fixture(scope="module")
def upstream_values():
    with open(os.path.join(UPSTREAM, "values.yaml")) as handle:
        return yaml.safe_load(handle)


def crd_schema(kind):
    for path in glob.glob(os.path.join(UPSTREAM, "crds", "*.yaml")):
        with open(path) as handle:
            crd = yaml.safe_load(handle)
        if crd["spec"]["names"]["kind"] == kind:
            version = [v for v in crd["spec"]["versions"] if v.get("storage")][0]
            return closed(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    raise AssertionError("no CRD for %s in %s" % (kind, UPSTREAM))


def closed(schema):
    """Unknown fields become errors where the schema lists properties (as kubectl --validate=strict)."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
        for value in schema.values():
            closed(value)
    elif isinstance(schema, list):
        for value in schema:
            closed(value)
    return schema


def validate(obj):
    schema = crd_schema(obj["kind"])
    # metadata is the API server's, not the CRD's.
    schema["properties"]["metadata"] = {"type": "object"}
    # Draft7Validator without the meta-schema check: the CRDs carry Go regexes
    # (`^(?i)...`) Python's re refuses; none is reached by our objects.
    jsonschema.Draft7Validator(schema).validate(obj)


def rule_files():
    out = {}
    for path in sorted(glob.glob(os.path.join(ROLE, "files", "rules", "*.yml"))):
        with open(path) as handle:
            out[os.path.splitext(os.path.basename(path))[0]] = yaml.safe_load(handle)
    return out


def render(template, **variables):
    """A role template as Ansible renders it (its filters included)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    defaults_path = os.path.join(ROLE, "defaults", "main.yml")
    with open(defaults_path) as handle:
        values = yaml.safe_load(handle)
    with open(os.path.join(ROLE, "vars", "main.yml")) as handle:
        values.update(yaml.safe_load(handle))
    values.update(variables)
    templar = Templar(loader=DataLoader(), variables=values)
    with open(os.path.join(ROLE, "templates", "monitoring", template)) as handle:
        text = templar.template(handle.read())
    return [doc for doc in yaml.safe_load_all(text) if doc]


# --------------------------------------------------------------------------
# Chart values
# --------------------------------------------------------------------------

def test_generated_values_exist_in_the_chart_with_their_types(upstream_values):
    values = mon.chart_values(SETTINGS)
    assert chart_values_check.values_problems(values, upstream_values, DOCUMENTED) == []
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "30d" and spec["retentionSize"] == "45GB"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gluster-gv0" and claim["resources"]["requests"]["storage"] == "50Gi"
    assert values["global"]["imageRegistry"] == "nexus.example.com:8443"
    assert values["crds"]["enabled"] is False


def test_documented_only_keys_are_documented_where_we_say(upstream_values):
    with open(os.path.join(UPSTREAM, "values.yaml")) as handle:
        lines = handle.read().splitlines()
    for path, comment in DOCUMENTED.items():
        assert comment in lines, "%s: %r is not in values.yaml any more" % (path, comment)
        parent = upstream_values
        for key in path.split(".")[:-1]:
            parent = parent[key]
        assert path.rsplit(".", maxsplit=1)[-1] not in parent


@pytest.mark.parametrize("mutate,expected", [
    (lambda v: v["prometheus"]["prometheusSpec"].update(retension="30d"),
     "prometheus.prometheusSpec.retension is not a key of the chart's values"),
    (lambda v: v["grafana"].update(adminPasword="x"), "grafana.adminPasword is not a key"),
    (lambda v: v["prometheus"]["prometheusSpec"].update(retention=30),
     "prometheus.prometheusSpec.retention is a number here, a string in the chart"),
    (lambda v: v["crds"].update(enabled="false"), "crds.enabled is a string here, a bool in the chart"),
])
def test_a_misspelled_or_mistyped_key_is_caught(upstream_values, mutate, expected):
    values = mon.chart_values(SETTINGS)
    mutate(values)
    problems = chart_values_check.values_problems(values, upstream_values, DOCUMENTED)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_no_registry_leaves_the_upstream_images_and_extra_values_merge_last():
    settings = dict(SETTINGS, registry="", retention_size="",
                    extra={"prometheus": {"prometheusSpec": {"retention": "7d"}}, "grafana": {"enabled": False}})
    values = mon.chart_values(settings)
    assert "global" not in values
    assert "retentionSize" not in values["prometheus"]["prometheusSpec"]
    assert values["prometheus"]["prometheusSpec"]["retention"] == "7d"
    assert values["prometheus"]["prometheusSpec"]["storageSpec"]  # merged, not replaced
    assert values["grafana"]["enabled"] is False and values["grafana"]["admin"]


def test_etcd_is_scraped_on_its_hosts_over_plain_http(upstream_values):
    # Kubespray's etcd runs on the hosts: the chart's Service gets them as
    # endpoints, on the port Kubespray's etcd_metrics_port opens (plain HTTP).
    etcd = mon.chart_values(SETTINGS)["kubeEtcd"]
    assert etcd["enabled"] is True and etcd["endpoints"] == ["10.8.0.11", "10.8.0.12", "10.8.0.13"]
    assert etcd["service"] == {"enabled": True, "port": 2381, "targetPort": 2381}
    assert etcd["serviceMonitor"] == {"enabled": True, "scheme": "http"}
    # The chart's own default names the same port, so its ServiceMonitor's port name matches the Service.
    assert upstream_values["kubeEtcd"]["serviceMonitor"]["port"] == "http-metrics"


def test_no_etcd_hosts_leaves_the_charts_etcd_default():
    assert "kubeEtcd" not in mon.chart_values(dict(SETTINGS, etcd_targets=[]))


def test_role_defaults_feed_every_setting_the_values_need():
    with open(os.path.join(ROLE, "vars", "main.yml")) as handle:
        settings = yaml.safe_load(handle)["_monitoring_settings"]
    assert set(settings) == set(SETTINGS)


# --------------------------------------------------------------------------
# Alertmanager
# --------------------------------------------------------------------------

RECEIVERS = [
    {"name": "ops", "webhook_configs": [{"url": "https://hooks.example.com/T0K3N", "send_resolved": True}]},
    {"name": "mail", "email_configs": [{"to": "ops@example.com", "auth_password": "s3cret"}]},
]


def test_every_receiver_gets_every_alert():
    config = mon.alertmanager_config(RECEIVERS)
    assert config["receivers"] == RECEIVERS
    assert config["route"]["receiver"] == "ops"
    assert config["route"]["routes"] == [{"receiver": "ops", "continue": True}, {"receiver": "mail", "continue": True}]
    assert "brick" in config["route"]["group_by"]


def test_one_receiver_needs_no_child_routes_and_none_drops_alerts():
    assert "routes" not in mon.alertmanager_config(RECEIVERS[:1])["route"]
    assert mon.alertmanager_config([])["receivers"] == [{"name": "none"}]


def test_receiver_problems_name_the_entry_and_never_the_secret():
    problems = mon.receiver_problems([
        {"name": "ops", "webhook_configs": [{"url": "https://hooks.example.com/T0K3N"}]},
        {"name": "ops", "webhook_configs": [{"url": "https://hooks.example.com/T0K3N"}]},
        {"webhook_configs": []},
        {"name": "quiet"},
        {"name": "typo", "webhook_config": [{"url": "https://hooks.example.com/T0K3N"}]},
    ])
    assert problems[0].startswith("monitoring_alertmanager_receivers[1]: the name 'ops' is used twice")
    assert problems[1].startswith("monitoring_alertmanager_receivers[2] has no name")
    assert problems[2].startswith("monitoring_alertmanager_receivers[3] (quiet) has no *_configs")
    assert any("unknown keys webhook_config" in p for p in problems)
    assert not any("T0K3N" in p for p in problems)
    assert mon.receiver_problems(RECEIVERS) == []
    assert mon.receiver_problems("ops") != []


def test_values_hold_no_receiver_secret():
    text = json.dumps(mon.chart_values(SETTINGS))
    assert "T0K3N" not in text and "s3cret" not in text
    assert '"configSecret": "mlp-alertmanager-config"' in text


# --------------------------------------------------------------------------
# Objects against the upstream CRDs
# --------------------------------------------------------------------------

def test_prometheus_rules_validate_against_the_crd():
    objects = mon.rule_objects(rule_files(), "monitoring", "kube-prometheus-stack")
    assert [o["metadata"]["name"] for o in objects] == ["mlp-cluster", "mlp-etcd", "mlp-gluster", "mlp-gpu",
                                                        "mlp-storage"]
    for obj in objects:
        assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        validate(obj)


def test_a_bad_prometheus_rule_is_rejected_by_the_schema():
    obj = mon.rule_objects(rule_files(), "monitoring", "r")[0]
    obj["spec"]["groups"][0]["rules"][0]["expresion"] = obj["spec"]["groups"][0]["rules"][0].pop("expr")
    with pytest.raises(jsonschema.ValidationError):
        validate(obj)


def test_monitors_render_and_validate_against_the_crds():
    gluster = render("gluster-nodes.yaml.j2", monitoring_gluster_targets=["10.79.0.11", "10.79.0.12"])
    kinds = [o["kind"] for o in gluster]
    assert kinds == ["Service", "EndpointSlice", "ServiceMonitor"]
    assert [e["addresses"] for e in gluster[1]["endpoints"]] == [["10.79.0.11"], ["10.79.0.12"]]
    assert gluster[2]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == \
        gluster[0]["metadata"]["labels"]["app.kubernetes.io/name"]
    validate(gluster[2])
    dcgm = render("dcgm-exporter.yaml.j2")
    assert [o["kind"] for o in dcgm] == ["PodMonitor"]
    assert dcgm[0]["spec"]["jobLabel"] == "app"  # the job DcgmExporterDown reads
    validate(dcgm[0])


def test_no_storage_nodes_renders_an_empty_endpoint_slice():
    gluster = render("gluster-nodes.yaml.j2", monitoring_gluster_targets=[])
    assert gluster[1]["endpoints"] == []


# --------------------------------------------------------------------------
# Dashboards
# --------------------------------------------------------------------------

DASHBOARDS = sorted(glob.glob(os.path.join(ROLE, "files", "dashboards", "*.yml")))


def test_the_four_dashboards_exist():
    assert [os.path.basename(p) for p in DASHBOARDS] == ["etcd.yml", "gluster.yml", "gpu.yml", "storage.yml"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=os.path.basename)
def test_dashboard_queries_are_valid_promql(tmp_path, path):
    from test_monitoring_rules import promtool
    with open(path) as handle:
        board = mon.dashboard(yaml.safe_load(handle))
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert exprs and len({p["id"] for p in board["panels"]}) == len(board["panels"])
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:query%d" % n, "expr": e} for n, e in enumerate(exprs)]}]}
    target = tmp_path / "queries.yml"
    target.write_text(yaml.safe_dump(rules))
    proc = subprocess.run([promtool(), "check", "rules", str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dashboard_layout_two_panels_a_row():
    board = mon.dashboard({"uid": "u", "title": "t", "panels": [
        {"title": "a", "expr": "up"}, {"title": "b", "expr": ["up", "up == 0"]}, {"title": "c", "expr": "up"}]})
    assert [p["gridPos"]["x"] for p in board["panels"]] == [0, 12, 0]
    assert [p["gridPos"]["y"] for p in board["panels"]] == [0, 0, 8]
    assert [t["refId"] for t in board["panels"][1]["targets"]] == ["A", "B"]
    assert board["editable"] is False


def test_the_upstream_crds_load_as_kubectl_reads_them():
    import yaml as pyyaml
    path = os.path.join(UPSTREAM, "crds", "crd-alertmanagerconfigs.yaml")
    with open(path) as handle:
        text = handle.read()
    with pytest.raises(pyyaml.constructor.ConstructorError):
        list(pyyaml.safe_load_all(text))  # what kubernetes.core.k8s's src does
    docs = mon.load_manifests(text)
    assert [d["kind"] for d in docs] == ["CustomResourceDefinition"]
    assert "=" in json.dumps(docs[0])
    assert mon.load_manifests("---\n---\na: 1\n") == [{"a": 1}]


# --------------------------------------------------------------------------
# cluster_monitoring (the description's keys)
# --------------------------------------------------------------------------

def test_cluster_monitoring_accepts_the_documented_keys():
    assert mon.cluster_monitoring_problems({"retention": "30d", "retention_size": "45GB",
                                            "prometheus_storage": "100Gi", "alertmanager_storage": "2Gi"}) == []
    assert mon.cluster_monitoring_problems({}) == []


@pytest.mark.parametrize("value,expected", [
    ({"retension": "30d"}, "cluster_monitoring.retension is not a key of cluster_monitoring"),
    ({"retention": "30 days"}, "cluster_monitoring.retention is '30 days': write how long Prometheus keeps"),
    ({"retention_size": "45G"}, "cluster_monitoring.retention_size is '45G'"),
    ({"prometheus_storage": "100GB"}, "cluster_monitoring.prometheus_storage is '100GB'"),
    ({"alertmanager_storage": 2}, "cluster_monitoring.alertmanager_storage is 2"),
    ("30d", "must be a mapping"),
])
def test_cluster_monitoring_names_the_key_and_the_fix(value, expected):
    problems = mon.cluster_monitoring_problems(value)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


# The validator's hook (cluster_rules_global._check_monitoring) is proven by the broken
# inventory tests/fixtures/inventories/broken/cluster-monitoring-retention.yml (test_cluster_model.py).
