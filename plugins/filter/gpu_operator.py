# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GPU layer's values and checks, as filters.

Thin wrappers: the logic lives in plugins/module_utils/gpu_operator_values.py
and plugins/module_utils/gpu_validation.py.

``gpu_operator_values``
    ``settings | mlplatform.installer.gpu_operator_values`` with settings
    {chart_version, driver_version, registry, http_proxy, https_proxy,
    no_proxy, ca_bundle, cluster_gpu}: the chart's values.
``gpu_cluster_policy``
    ``chart_values | mlplatform.installer.gpu_cluster_policy(values, app_version, chart_version)``:
    the ClusterPolicy the chart renders from its values merged with ours.
``gpu_apt_sources``
    ``url | mlplatform.installer.gpu_apt_sources(os_list)``: {content, problems}.
``gpu_cluster_problems``
    ``cluster_gpu | mlplatform.installer.gpu_cluster_problems(driver)``: problems of cluster_gpu.
``gpu_preflight_problems``
    ``facts | mlplatform.installer.gpu_preflight_problems``: a GPU node's guest problems; facts
    {host, want, lspci (None: lspci could not run), modules (None: no /proc/modules), modprobe (None: could not run),
    kernel, apt_policy, mokutil, skip (the guest checks not judged)}.
``gpu_skip_plan``
    ``gpu_operator_skip_checks | mlplatform.installer.gpu_skip_plan('guest' or 'validate')``:
    {run, skipped, problems, note}: which checks run, which do not and why.
``gpu_nvidia_driver``
    ``chart_values | mlplatform.installer.gpu_nvidia_driver(values)``: the default NVIDIADriver the
    chart renders (driver.nvidiaDriverCRD), or {} when it renders none.
"""

from __future__ import annotations

from ansible_collections.mlplatform.installer.plugins.module_utils import gpu_operator_values as gov
from ansible_collections.mlplatform.installer.plugins.module_utils import gpu_validation


def gpu_operator_values(settings):
    settings = dict(settings or {})
    return gov.values(str(settings.pop("chart_version")), str(settings.pop("driver_version")),
                      registry=settings.get("registry") or "", http_proxy=settings.get("http_proxy") or "",
                      https_proxy=settings.get("https_proxy") or "", no_proxy=list(settings.get("no_proxy") or []),
                      ca_bundle=bool(settings.get("ca_bundle")), cluster_gpu=settings.get("cluster_gpu"))


def gpu_cluster_policy(chart_values, values, app_version, chart_version="v1.0.0-devel"):
    return gov.cluster_policy(gov.merged(chart_values or {}, values or {}), str(app_version), str(chart_version))


def gpu_apt_sources(url, os_names):
    content, problems = gov.apt_sources(str(url), list(os_names or []))
    return {"content": content, "problems": problems}


def gpu_cluster_problems(value, driver=None):
    return gov.cluster_gpu_problems(value, driver)


def gpu_preflight_problems(facts):
    return gpu_validation.preflight_problems(
        facts["host"], int(facts["want"]), facts.get("lspci"), facts.get("modules"), facts.get("modprobe"),
        facts.get("kernel") or "", gpu_validation.headers_candidate(facts.get("apt_policy") or ""), facts.get("mokutil") or "",
        skip=tuple(facts.get("skip") or ()))


def gpu_skip_plan(skip, kind):
    return gpu_validation.skip_plan(skip, str(kind))


def gpu_nvidia_driver(chart_values, values):
    # {} rather than None: a None would come out of templating as the string "None".
    return gov.nvidia_driver(gov.merged(chart_values or {}, values or {})) or {}


def gpu_node_labels(nodes, gpu_nodes, gpu_label):
    return gov.node_label_patches(nodes, gpu_nodes, str(gpu_label))


class FilterModule:
    """GPU layer filters."""

    def filters(self):
        return {
            "gpu_operator_values": gpu_operator_values,
            "gpu_cluster_policy": gpu_cluster_policy,
            "gpu_apt_sources": gpu_apt_sources,
            "gpu_cluster_problems": gpu_cluster_problems,
            "gpu_preflight_problems": gpu_preflight_problems,
            "gpu_skip_plan": gpu_skip_plan,
            "gpu_nvidia_driver": gpu_nvidia_driver,
            "gpu_node_labels": gpu_node_labels,
        }
