# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Nexus mirror's contents and wiring, as filters.

Thin wrappers: the logic lives in plugins/module_utils/nexus_layout.py.

``nexus_repositories``
    ``hostvars | mlplatform.installer.nexus_repositories(groups, blob_store)``:
    every repository as {format, type, name, payload} (payload: the REST API
    v1 body), proxies before the group that lists them.
``mirror_images``
    ``hostvars | mlplatform.installer.mirror_images(groups)``: every image the
    pinned bundle pulls, by upstream name, sorted.
``mirror_files``
    ``hostvars | mlplatform.installer.mirror_files(groups)``: every file
    Kubespray downloads, as [{url, path}] (path in the raw repository).
``mirror_helm_url``
    ``cluster_mirror | mlplatform.installer.mirror_helm_url(chart)``: the helm
    proxy of a chart (gpu-operator, kube-prometheus-stack), or "".
``mirror_gpu_settings``
    ``cluster_gpu | mlplatform.installer.mirror_gpu_settings(cluster_mirror)``:
    cluster_gpu with driver_apt_url defaulting to the mirror's apt proxy.
``mirror_apt_sources``
    ``url | mlplatform.installer.mirror_apt_sources(codename, style)``: Ubuntu's
    sources through the apt proxy (style deb822 or list).
``mirror_registries``
    ``cluster_mirror | mlplatform.installer.mirror_registries``: the upstream
    registries the mirror proxies (its default list when it names none), or
    [] with no mirror.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory as ki
from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_layout as nl


def nexus_repositories(hostvars, groups, blob_store=nl.BLOB_STORE):
    return nl.repositories(ki.description_from_hostvars(hostvars, groups), blob_store=str(blob_store))


def mirror_images(hostvars, groups):
    return nl.images(ki.description_from_hostvars(hostvars, groups))


def mirror_files(hostvars, groups):
    return [{"url": url, "path": path} for url, path in nl.files(ki.description_from_hostvars(hostvars, groups))]


def mirror_helm_url(mirror, chart):
    return nl.helm_repo_url(mirror, str(chart))


def mirror_gpu_settings(cluster_gpu, mirror):
    return nl.gpu_settings(cluster_gpu, mirror)


def mirror_apt_sources(url, codename, style="deb822"):
    return nl.apt_sources(str(url), str(codename), str(style))


def mirror_registries(mirror):
    # As kubespray_inventory.mirror_settings reads cluster_mirror, from the value itself.
    if not isinstance(mirror, Mapping) or not mirror:
        return []
    return list(mirror["registries"] if "registries" in mirror else ki.MIRROR_REGISTRIES_DEFAULT)


class FilterModule:
    """Nexus mirror filters."""

    def filters(self):
        return {
            "nexus_repositories": nexus_repositories,
            "mirror_images": mirror_images,
            "mirror_files": mirror_files,
            "mirror_helm_url": mirror_helm_url,
            "mirror_gpu_settings": mirror_gpu_settings,
            "mirror_apt_sources": mirror_apt_sources,
            "mirror_registries": mirror_registries,
        }
