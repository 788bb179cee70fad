# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the Kubernetes layer; the logic is in module_utils/k8s_state (pure, pytest)."""

from __future__ import annotations

from ansible_collections.mlplatform.installer.plugins.module_utils import k8s_state


def k8s_listed(results, kind):
    """The objects of one kind from a looped k8s_info whose items start with the kind ([kind, namespace])."""
    return [obj for result in results or [] if not result.get("skipped") and result["item"][0] == kind
            for obj in result.get("resources") or []]


class FilterModule:
    def filters(self):
        return {
            "k8s_node_problems": k8s_state.node_problems,
            "k8s_workload_problems": k8s_state.workload_problems,
            "k8s_storage_class_problems": k8s_state.storage_class_problems,
            "k8s_controller_problems": k8s_state.controller_problems,
            "k8s_found_versions": k8s_state.found_versions,
            "k8s_listed": k8s_listed,
            "k8s_version_summary": k8s_state.version_summary,
        }
