# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the monitoring role; the logic is module_utils/monitoring.py (pure, unit-tested)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: monitoring_values
short_description: kube-prometheus-stack values, PrometheusRule objects, Alertmanager config and dashboards
description:
  - C(monitoring_values) turns the monitoring role's settings into kube-prometheus-stack values (storage on the
    Gluster StorageClass, retention and sizes, images from the mirror, the Alertmanager configuration and Grafana
    admin password referenced as Secrets).
  - C(monitoring_rules) turns {concern, parsed rule file} into PrometheusRule objects labelled for the release.
  - C(monitoring_alertmanager_config) builds Alertmanager's configuration from the inventory's receivers;
    C(monitoring_receiver_problems) lists their defects.
  - C(monitoring_manifests) loads a multi-document manifest as kubectl does (a bare C(=) is a string).
  - C(monitoring_dashboard) builds a Grafana dashboard from its short YAML description;
    C(monitoring_dashboard_configmaps) turns {name, description} into the ConfigMaps the chart's Grafana sidecar loads.
  - C(monitoring_alert_for) copies a parsed rule file with the C(for) of named alerts replaced (test harnesses).
  - C(monitoring_diskstats_exclude) is node_exporter's diskstats device exclude with the named loop devices kept.
options:
  _input:
    description: The settings, rule files, receivers or dashboard description.
    type: raw
    required: true
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.module_utils.monitoring import (
    alertmanager_config,
    chart_values,
    dashboard,
    dashboard_configmaps,
    load_manifests,
    receiver_problems,
    rule_objects,
    with_alert_for,
)
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_metrics import diskstats_device_exclude


def monitoring_values(settings):
    try:
        return chart_values(settings)
    except KeyError as exc:
        raise AnsibleFilterError("monitoring_values: setting %s is missing" % exc)


def monitoring_rules(rule_files, namespace, release, labels=None):
    try:
        return rule_objects(rule_files, namespace, release, labels)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("monitoring_rules: a rule file has no groups list (%s)" % exc)


def monitoring_alertmanager_config(receivers, group_by=None, repeat_interval="4h"):
    return alertmanager_config(receivers, group_by, repeat_interval)


def monitoring_receiver_problems(receivers):
    return receiver_problems(receivers)


def monitoring_manifests(text):
    try:
        return load_manifests(text)
    except Exception as exc:  # pylint: disable=broad-except
        # Any YAML error, named in the message.
        raise AnsibleFilterError("monitoring_manifests: not a YAML manifest: %s" % exc)


def monitoring_dashboard(spec):
    try:
        return dashboard(spec)
    except KeyError as exc:
        raise AnsibleFilterError("monitoring_dashboard: the description has no %s" % exc)


def monitoring_dashboard_configmaps(specs, namespace, labels=None):
    try:
        return dashboard_configmaps(specs, namespace, labels)
    except KeyError as exc:
        raise AnsibleFilterError("monitoring_dashboard_configmaps: a description has no %s" % exc)


def monitoring_alert_for(rule_file, overrides):
    try:
        return with_alert_for(rule_file, overrides)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("monitoring_alert_for: %s" % exc)


def monitoring_diskstats_exclude(keep):
    try:
        return diskstats_device_exclude(keep)
    except ValueError as exc:
        raise AnsibleFilterError("monitoring_diskstats_exclude: %s" % exc)


class FilterModule:
    def filters(self):
        return {
            "monitoring_values": monitoring_values,
            "monitoring_rules": monitoring_rules,
            "monitoring_alertmanager_config": monitoring_alertmanager_config,
            "monitoring_receiver_problems": monitoring_receiver_problems,
            "monitoring_dashboard": monitoring_dashboard,
            "monitoring_dashboard_configmaps": monitoring_dashboard_configmaps,
            "monitoring_manifests": monitoring_manifests,
            "monitoring_alert_for": monitoring_alert_for,
            "monitoring_diskstats_exclude": monitoring_diskstats_exclude,
        }
