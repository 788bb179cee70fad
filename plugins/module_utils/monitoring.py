# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring layer's objects and chart values, as pure functions.

roles/monitoring calls these through the filters in plugins/filter/monitoring.py:
  * ``chart_values``         kube-prometheus-stack values from the role's settings
                             (storage on the Gluster StorageClass, retention and
                             sizes, images from the mirror, no secret in them);
  * ``alertmanager_config``  Alertmanager's configuration from the inventory's
                             receivers (stored in a Secret the chart points at);
  * ``rule_objects``         one PrometheusRule per rule file of files/rules/;
  * ``dashboard``            a Grafana dashboard from a short YAML description.

The values are checked against the chart's values.yaml by
chart_values_check.values_problems (shared with the GPU layer).
"""

from __future__ import absolute_import, division, print_function

import json
import re
from ansible_collections.mlplatform.installer.plugins.module_utils.deep_merge import deep_merge as merge

try:
    import yaml
except ImportError:  # pragma: no cover - controller-side only (filters), PyYAML ships with ansible-core
    yaml = None

__metaclass__ = type

# Label the chart's Prometheus selects PrometheusRules, ServiceMonitors and
# PodMonitors by (ruleSelectorNilUsesHelmValues etc. left true): release=<name>.
RELEASE_LABEL = "release"
# The chart's Grafana sidecar loads ConfigMaps carrying this label as dashboards.
DASHBOARD_LABEL = "grafana_dashboard"
MANAGED_BY = {"app.kubernetes.io/managed-by": "mlplatform-installer", "app.kubernetes.io/part-of": "monitoring"}


if yaml is not None:
    class _ManifestLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that reads a bare ``=`` as the string it is.

        PyYAML resolves a plain ``=`` to YAML 1.1's ``value`` tag and has no
        constructor for it; Go's YAML (kubectl, helm) reads a string. The
        upstream AlertmanagerConfig CRD has one (``enum: [..., =, ...]``), so
        kubernetes.core.k8s's ``src`` cannot load that file.
        """

    _ManifestLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def load_manifests(text):
    """Every non-empty document of a multi-document manifest, as kubectl reads it."""
    return [doc for doc in yaml.load_all(text, Loader=_ManifestLoader) if doc]  # nosec B506 - a SafeLoader


def _storage(storage_class, size):
    """A volumeClaimTemplate as the Prometheus and Alertmanager CRDs take it."""
    return {"volumeClaimTemplate": {"spec": {
        "storageClassName": storage_class,
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }}}


def chart_values(settings):
    """kube-prometheus-stack values for ``settings`` (the role's variables, one dict).

    Keys: release, storage_class, retention, retention_size, prometheus_storage,
    alertmanager_storage, alertmanager_retention, registry ("" = upstream
    registries), alertmanager_secret, grafana_admin_secret, extra (merged last);
    optional: etcd_targets (etcd host addresses) with etcd_metrics_port.
    """
    values = {
        # The role applies the CRDs itself before the chart (server-side): helm
        # never upgrades CRDs, and our rules need them before any release exists.
        "crds": {"enabled": False},
        "prometheus": {"prometheusSpec": {
            "retention": settings["retention"],
            "storageSpec": _storage(settings["storage_class"], settings["prometheus_storage"]),
        }},
        "alertmanager": {"alertmanagerSpec": {
            "retention": settings["alertmanager_retention"],
            "storage": _storage(settings["storage_class"], settings["alertmanager_storage"]),
            # The configuration (receivers, with their secrets) is a Secret the
            # role writes with no_log; it never passes through helm's values.
            "useExistingSecret": True,
            "configSecret": settings["alertmanager_secret"],
        }},
        "grafana": {
            # Dashboards and data sources are code (ConfigMaps, values): Grafana
            # keeps no state worth a volume, and its admin password is a Secret.
            "admin": {"existingSecret": settings["grafana_admin_secret"]},
            "sidecar": {"dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "labelValue": "1",
                                       "searchNamespace": "ALL"}},
            "additionalDataSources": [{
                "name": "Alertmanager",
                "type": "alertmanager",
                "uid": "alertmanager",
                "url": "http://%s-alertmanager.%s:9093" % (settings["release"], settings["namespace"]),
                "access": "proxy",
                "jsonData": {"implementation": "prometheus"},
            }],
        },
    }
    if settings.get("retention_size"):
        values["prometheus"]["prometheusSpec"]["retentionSize"] = settings["retention_size"]
    if settings.get("etcd_targets"):
        # Kubespray runs etcd as host services (etcd_deployment_type: host), so
        # the chart's default (etcd pods by label) finds nothing: its Service
        # gets the etcd hosts as endpoints instead. The Kubespray mapping sets
        # etcd_metrics_port, a plain-HTTP listener that serves /metrics and
        # /health only (never the keyspace): no etcd client certificate has to
        # reach Prometheus.
        port = int(settings["etcd_metrics_port"])
        values["kubeEtcd"] = {
            "enabled": True,
            "endpoints": list(settings["etcd_targets"]),
            "service": {"enabled": True, "port": port, "targetPort": port},
            "serviceMonitor": {"enabled": True, "scheme": "http"},
        }
    if settings.get("registry"):
        # Every image of the chart and its subcharts (grafana, kube-state-metrics,
        # node-exporter) takes its registry from here; the path stays upstream's,
        # as the mirror lays images out (cluster_mirror.registry).
        values["global"] = {"imageRegistry": settings["registry"]}
    return merge(values, settings.get("extra") or {})


def alertmanager_config(receivers, group_by=None, repeat_interval="4h"):
    """Alertmanager's configuration: every alert to every receiver of the inventory.

    ``receivers`` are Alertmanager receivers in its own format (name plus
    webhook_configs, email_configs, ...). With none, alerts go to a receiver
    that drops them, and the layer says so.
    """
    receivers = [dict(r) for r in (receivers or [])]
    if not receivers:
        receivers = [{"name": "none"}]
    names = [r["name"] for r in receivers]
    route = {
        "receiver": names[0],
        "group_by": list(group_by or ["alertname", "volume", "brick", "instance", "device"]),
        "group_wait": "10s",
        "group_interval": "1m",
        "repeat_interval": repeat_interval,
    }
    if len(names) > 1:
        # A matching child route takes the alert from its parent: one child per
        # receiver, each with continue, so every receiver gets every alert.
        route["routes"] = [{"receiver": name, "continue": True} for name in names]
    return {"route": route, "receivers": receivers}


def receiver_problems(receivers):
    """Defects of the receiver list, naming the variable and the fix (never the secret values)."""
    problems = []
    if not isinstance(receivers, list):
        return ["monitoring_alertmanager_receivers must be a list of Alertmanager receivers "
                "(name plus webhook_configs, email_configs, ...)"]
    seen = set()
    for index, receiver in enumerate(receivers):
        where = "monitoring_alertmanager_receivers[%d]" % index
        if not isinstance(receiver, dict) or not receiver.get("name"):
            problems.append("%s has no name: give each receiver a unique name" % where)
            continue
        if receiver["name"] in seen:
            problems.append("%s: the name %r is used twice: names must be unique" % (where, receiver["name"]))
        seen.add(receiver["name"])
        configs = [k for k in receiver if k.endswith("_configs")]
        if not configs:
            problems.append("%s (%s) has no *_configs (webhook_configs, email_configs, ...): it would drop "
                            "every alert" % (where, receiver["name"]))
        unknown = [k for k in receiver if k != "name" and not k.endswith("_configs")]
        if unknown:
            problems.append("%s (%s): unknown keys %s: a receiver has only name and *_configs"
                            % (where, receiver["name"], ", ".join(sorted(unknown))))
    return problems


def rule_objects(rule_files, namespace, release, labels=None):
    """One PrometheusRule per rule file: {concern: parsed rule file} in, objects out (sorted by name)."""
    objects = []
    for concern in sorted(rule_files):
        meta_labels = dict(MANAGED_BY)
        meta_labels.update(labels or {})
        meta_labels[RELEASE_LABEL] = release
        objects.append({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "mlp-%s" % concern, "namespace": namespace, "labels": meta_labels},
            "spec": {"groups": rule_files[concern]["groups"]},
        })
    return objects


def with_alert_for(rule_file, overrides):
    """A copy of a parsed rule file with the `for:` of the alerts named in `overrides` ({alert: duration}) replaced.

    For a harness that must see an alert within minutes (molecule/gluster's
    slow-disk test); the shipped files and their promtool tests keep the
    production durations. An override naming no alert of the file is an error.
    """
    copy = {"groups": [dict(group, rules=[dict(rule) for rule in group["rules"]]) for group in rule_file["groups"]]}
    seen = set()
    for group in copy["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in (overrides or {}):
                duration = str(overrides[rule["alert"]])
                if not _DURATION.match(duration):
                    raise ValueError("%s: for: %r is not a Prometheus duration (30s, 2m)" % (rule["alert"], duration))
                rule["for"] = duration
                seen.add(rule["alert"])
    unknown = sorted(set(overrides or {}) - seen)
    if unknown:
        raise ValueError("no alert named %s in this rule file" % ", ".join(unknown))
    return copy


def dashboard(spec):
    """A Grafana dashboard (JSON model) from {uid, title, panels: [{title, expr, unit, legend}]}.

    Panels are time series, two per row, on the provisioned Prometheus data
    source; the dashboards are code (files/dashboards/*.yml), never edited in
    the UI.
    """
    panels = []
    for index, panel in enumerate(spec["panels"]):
        exprs = panel["expr"] if isinstance(panel["expr"], list) else [panel["expr"]]
        panels.append({
            "id": index + 1,
            "type": "timeseries",
            "title": panel["title"],
            "datasource": {"type": "prometheus", "uid": "prometheus"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
            "fieldConfig": {"defaults": {"unit": panel.get("unit", "short")}, "overrides": []},
            "targets": [{"refId": chr(ord("A") + n), "expr": expr, "legendFormat": panel.get("legend", "")}
                        for n, expr in enumerate(exprs)],
        })
    return {
        "uid": spec["uid"],
        "title": spec["title"],
        "tags": ["mlplatform"] + list(spec.get("tags", [])),
        "timezone": "utc",
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "panels": panels,
    }


def dashboard_configmaps(specs, namespace, labels):
    """One ConfigMap per dashboard, {name: short description} in (sorted by name).

    Labelled for the chart's Grafana sidecar (DASHBOARD_LABEL); the JSON is
    what Ansible's to_json writes, so objects applied one by one before are
    found unchanged.
    """
    meta_labels = dict(labels or {}, **{DASHBOARD_LABEL: "1"})
    return [{
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "mlp-dashboard-%s" % name, "namespace": namespace, "labels": dict(meta_labels)},
        "data": {"%s.json" % name: json.dumps(dashboard(specs[name]))},
    } for name in sorted(specs)]


# cluster_monitoring, the description's monitoring keys (retention and sizes).
MONITORING_KEYS = {
    "retention": "how long Prometheus keeps samples, a Prometheus duration (15d, 4w)",
    "retention_size": "the most Prometheus keeps on its volume, a Prometheus size (45GB)",
    "prometheus_storage": "the Prometheus volume, a Kubernetes quantity (50Gi)",
    "alertmanager_storage": "the Alertmanager volume, a Kubernetes quantity (2Gi)",
}
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
_SIZE = re.compile(r"^[0-9]+(B|KB|MB|GB|TB|PB|EB)$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


def cluster_monitoring_problems(value):
    """Problems of cluster_monitoring, each naming the key and the fix."""
    if not isinstance(value, dict):
        return ["must be a mapping with the keys %s" % ", ".join(MONITORING_KEYS)]
    problems = []
    for key in sorted(value):
        if key not in MONITORING_KEYS:
            problems.append("cluster_monitoring.%s is not a key of cluster_monitoring (%s)"
                            % (key, "; ".join("%s: %s" % kv for kv in MONITORING_KEYS.items())))
    checks = (("retention", _DURATION), ("retention_size", _SIZE), ("prometheus_storage", _QUANTITY),
              ("alertmanager_storage", _QUANTITY))
    for key, pattern in checks:
        if key in value and not (isinstance(value[key], str) and pattern.match(value[key])):
            problems.append("cluster_monitoring.%s is %r: write %s" % (key, value[key], MONITORING_KEYS[key]))
    return problems
