"""The monitoring layer's own objects on the scenario's real API server.

converge ran playbooks/monitoring.yml with the CRDs of the pinned chart
(../shared/upstream/kube-prometheus-stack-88.5.3/crds) and no chart source:
the API server itself validated every PrometheusRule, ServiceMonitor and
PodMonitor against those CRDs when the role applied them. Here: they are
there as the role files say, the run said the release is not installed, and
the server refuses a bad object.
"""

import base64
import glob
import json
import os

import yaml

import kube
from kube import get

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
NAMESPACE = "monitoring"
RULES = sorted(glob.glob(os.path.join(REPO, "roles", "monitoring", "files", "rules", "*.yml")))


def kubectl(*args, stdin=None):
    """Unchecked: the tests read the exit code (a rejected object is the point of some)."""
    return kube.kubectl(*args, check=False, stdin=stdin)


def test_crds_are_established_and_owned_by_the_role():
    for name in ("prometheusrules", "servicemonitors", "podmonitors", "probes", "alertmanagerconfigs"):
        crd = get("crd", "%s.monitoring.coreos.com" % name, "--show-managed-fields")
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions["Established"] == "True"
        managers = {m["manager"] for m in crd["metadata"]["managedFields"] if m["operation"] == "Apply"}
        assert "mlplatform-monitoring" in managers  # server-side apply, the role's field manager


def test_one_prometheus_rule_per_rule_file_with_its_groups():
    for path in RULES:
        concern = os.path.splitext(os.path.basename(path))[0]
        obj = get("prometheusrule", "-n", NAMESPACE, "mlp-" + concern)
        with open(path) as handle:
            groups = yaml.safe_load(handle)["groups"]
        assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert [g["name"] for g in obj["spec"]["groups"]] == [g["name"] for g in groups]
        assert [r["alert"] for g in obj["spec"]["groups"] for r in g["rules"]] == \
            [r["alert"] for g in groups for r in g["rules"]]


def test_monitors_select_what_they_should():
    monitor = get("servicemonitor", "-n", NAMESPACE, "mlp-gluster-nodes")
    service = get("service", "-n", NAMESPACE, "mlp-gluster-nodes")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    slices = get("endpointslice", "-n", NAMESPACE, "-l", "kubernetes.io/service-name=mlp-gluster-nodes")
    assert len(slices["items"]) == 1
    pod_monitor = get("podmonitor", "-n", NAMESPACE, "mlp-dcgm-exporter")
    assert pod_monitor["spec"]["jobLabel"] == "app"
    assert pod_monitor["spec"]["selector"]["matchLabels"] == {"app": "nvidia-dcgm-exporter"}


def test_dashboards_and_alertmanager_config_are_there():
    maps = get("configmap", "-n", NAMESPACE, "-l", "grafana_dashboard=1")["items"]
    names = sorted(m["metadata"]["name"] for m in maps)
    assert names == ["mlp-dashboard-etcd", "mlp-dashboard-gluster", "mlp-dashboard-gpu", "mlp-dashboard-storage"]
    for cm in maps:
        (board,) = [json.loads(v) for v in cm["data"].values()]
        assert board["panels"] and board["uid"].startswith("mlp-")
    secret = get("secret", "-n", NAMESPACE, "mlp-alertmanager-config")
    config = yaml.safe_load(base64.b64decode(secret["data"]["alertmanager.yaml"]))
    assert config["route"]["receiver"] == config["receivers"][0]["name"]


BAD_RULE = """
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: mlp-bad, namespace: monitoring}
spec:
  groups:
    - name: bad
      rules:
        - alert: Bad
          expr: up == 0
          for: five minutes
"""

BAD_MONITOR = """
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: mlp-bad, namespace: monitoring}
spec:
  selector: {matchLabels: {app: x}}
  endpoints:
    - port: metrics
      intervall: 30s
"""


def test_the_server_rejects_a_bad_rule_and_an_unknown_field():
    proc = kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", stdin=BAD_RULE)
    assert proc.returncode != 0
    assert "spec.groups[0].rules[0].for" in proc.stderr, proc.stderr
    proc = kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", "-", stdin=BAD_MONITOR)
    assert proc.returncode != 0
    # Server-side apply types the patch against the CRD schema: a misspelled field is an error.
    assert ".spec.endpoints[0].intervall: field not declared in schema" in proc.stderr, proc.stderr
    # The same objects, fixed, are accepted: the refusals were for the faults.
    fixed = BAD_RULE.replace("five minutes", "5m")
    assert kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", stdin=fixed).returncode == 0
