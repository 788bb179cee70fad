# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of etcd backup and restore (roles/etcd_backup); the logic is in module_utils/etcd_backup (pure, pytest).

A tool output that cannot be trusted raises, so the task that reads it fails
with the reason (an AnsibleFilterError carrying the module_utils message).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.module_utils import etcd_backup


def _raising(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except etcd_backup.EtcdBackupError as err:
            raise AnsibleFilterError(str(err))
    wrapper.__doc__ = func.__doc__
    return wrapper


def etcd_snapshot_status(result, path="the snapshot"):
    """A registered `etcdutl snapshot status -w json` command result → the parsed status."""
    return etcd_backup.parse_snapshot_status(result.get("stdout", ""), result.get("stderr", ""),
                                             result.get("rc", 0), path)


class FilterModule:
    def filters(self):
        return {
            "etcd_backup_settings": _raising(etcd_backup.settings),
            "etcd_backup_settings_problems": etcd_backup.settings_problems,
            "etcd_backup_expired": _raising(etcd_backup.expired),
            "etcd_snapshot_status": _raising(etcd_snapshot_status),
            "etcd_member_list": _raising(etcd_backup.parse_member_list),
            "etcd_initial_cluster": _raising(etcd_backup.initial_cluster),
            "etcd_member_problems": etcd_backup.member_problems,
            "etcd_backup_manifest": _raising(etcd_backup.manifest),
            "etcd_backup_files": _raising(etcd_backup.files_from_stats),
            "etcd_backup_manifest_parse": _raising(etcd_backup.parse_manifest),
            "etcd_restore_problems": etcd_backup.restore_problems,
        }
