# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcd backup and restore: the pure part (roles/etcd_backup, playbooks/backup.yml and restore.yml).

Settings from the description (cluster_backup), the names backups get and the
ones retention removes, `etcdutl snapshot status -w json` and `etcdctl member
list -w json` parsing, the manifest written beside each snapshot, and the
checks restore.yml runs before it touches any host. No I/O: the role runs the
tools and hands their output here (plain pytest covers each function with
real captured output, tests/unit/test_etcd_backup.py).
"""

from __future__ import annotations

import datetime
import json
import re

# Backup directories are named by their UTC start time, so a name sorts with
# its age and retention never has to trust file times.
NAME_FORMAT = "%Y%m%dT%H%M%SZ"
NAME_RE = re.compile(r"^\d{8}T\d{6}Z$")

DEFAULT_RETENTION = 7
SETTING_KEYS = ("retention", "dir")
# The files of one backup, by role, as the manifest lists them.
SNAPSHOT_FILE = "etcd-snapshot.db"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1


class EtcdBackupError(ValueError):
    """A tool's output or a stored manifest cannot be used; the message says why and what to do."""


def _closest(key, known):
    import difflib

    found = difflib.get_close_matches(str(key), known, n=1)
    return " (did you mean %s?)" % found[0] if found else ""


def settings_problems(value, var="cluster_backup"):
    """Problems of the description's backup settings, each naming the variable and the fix.

    value: the cluster_backup mapping (None when the inventory does not set it).
    """
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["%s must be a mapping such as {retention: %d, dir: /srv/backups/<cluster>}, not %r; "
                "fix it in group_vars/all." % (var, DEFAULT_RETENTION, value)]
    problems = []
    for key in value:
        if key not in SETTING_KEYS:
            problems.append("%s.%s is not a backup setting%s; the settings are %s. Remove or rename it."
                            % (var, key, _closest(key, SETTING_KEYS), ", ".join(SETTING_KEYS)))
    retention = value.get("retention", DEFAULT_RETENTION)
    # bool is an int in Python: `retention: yes` must not read as 1.
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
        problems.append("%s.retention must be a whole number of backups to keep, 1 or more (default %d), not %r; "
                        "set it to e.g. %d." % (var, DEFAULT_RETENTION, retention, DEFAULT_RETENTION))
    directory = value.get("dir", "")
    if directory is None:
        directory = ""
    if not isinstance(directory, str) or (directory and not directory.startswith("/")):
        problems.append("%s.dir must be an absolute directory on the controller (or empty for "
                        "<inventory>/backups), not %r; set e.g. dir: /srv/backups/<cluster>." % (var, directory))
    return problems


def settings(value, inventory_dir):
    """The backup settings with their defaults: {'retention': int, 'dir': absolute path}.

    Raises EtcdBackupError with the problems when the settings are invalid.
    """
    problems = settings_problems(value)
    if problems:
        raise EtcdBackupError(" ".join(problems))
    value = value or {}
    directory = value.get("dir") or "%s/backups" % str(inventory_dir).rstrip("/")
    return {"retention": value.get("retention", DEFAULT_RETENTION), "dir": directory.rstrip("/") or "/"}


def expired(names, retention):
    """The backups retention removes, oldest first: every completed backup but the newest `retention`.

    Only names of the backup form (20261129T233212Z) count: anything else in
    the directory (an operator's copy, a `.partial` left by a failed run) is
    neither counted nor removed.
    """
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
        raise EtcdBackupError("retention must be 1 or more, not %r: a backup run never removes every backup." % (retention,))
    backups = sorted({str(name) for name in names if NAME_RE.match(str(name))})
    return backups[:-retention] if len(backups) > retention else []


def parse_snapshot_status(stdout, stderr="", rc=0, path="the snapshot"):
    """`etcdutl snapshot status -w json` → {'hash', 'revision', 'total_key', 'total_size', 'storage_version'}.

    A non-zero exit, an empty or partial answer, or a snapshot with no key is
    an EtcdBackupError naming the tool's own words: such a file cannot be restored.
    """
    words = " ".join((stderr or "").split())
    if rc != 0:
        # A damaged bbolt file makes etcdutl panic: its first line says what.
        first = next((line.strip() for line in (stderr or "").splitlines() if line.strip()), "no message")
        raise EtcdBackupError("etcdutl snapshot status failed on %s (exit %s): %s. The snapshot is damaged or "
                              "incomplete: do not keep or restore it; take a new one." % (path, rc, first))
    try:
        data = json.loads(stdout)
    except (TypeError, ValueError):
        raise EtcdBackupError("etcdutl snapshot status -w json on %s printed no JSON: %r %s"
                              % (path, (stdout or "")[:200], words[:200]))
    if not isinstance(data, dict):
        raise EtcdBackupError("etcdutl snapshot status -w json on %s printed %r, not an object" % (path, data))
    fields = {"hash": "hash", "revision": "revision", "totalKey": "total_key", "totalSize": "total_size"}
    status = {}
    for key, name in fields.items():
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise EtcdBackupError("etcdutl snapshot status on %s has no usable %s (%r): the snapshot cannot be "
                                  "trusted; take a new one." % (path, key, value))
        status[name] = value
    if status["total_key"] == 0 or status["revision"] == 0:
        raise EtcdBackupError("the snapshot %s holds no key (revision %d): a Kubernetes etcd always holds some; "
                              "it was taken from the wrong endpoint or is empty." % (path, status["revision"]))
    status["storage_version"] = str(data.get("version", ""))
    return status


def parse_member_list(stdout):
    """`etcdctl member list -w json` → [{'name', 'peer_urls', 'client_urls'}], sorted by name.

    A member that has not started yet has no name: it is kept with name ''.
    """
    try:
        data = json.loads(stdout)
    except (TypeError, ValueError):
        raise EtcdBackupError("etcdctl member list -w json printed no JSON: %r" % (stdout or "")[:200])
    members = data.get("members") if isinstance(data, dict) else None
    if not isinstance(members, list):
        raise EtcdBackupError("etcdctl member list -w json has no members list: %r" % (stdout or "")[:200])
    return sorted(({"name": m.get("name", ""), "peer_urls": sorted(m.get("peerURLs") or []),
                    "client_urls": sorted(m.get("clientURLs") or [])} for m in members),
                  key=lambda m: m["name"])


def initial_cluster(members):
    """etcd's --initial-cluster value from [{'name', 'peer_url'}] (one per member, in inventory order)."""
    names = [m["name"] for m in members]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EtcdBackupError("two etcd members share the name %s: set etcd_backup_etcd_member_name per host "
                              "so each member has its own." % ", ".join(duplicates))
    return ",".join("%s=%s" % (m["name"], m["peer_url"]) for m in members)


def member_problems(planned, listed):
    """Differences between the members a restore will create and the ones the live cluster lists.

    planned: [{'name', 'peer_url', 'host'}] from the inventory; listed: parse_member_list().
    A restore with other names or peer URLs than the ones etcd runs with would
    start members that never find each other: refuse it before anything stops.
    """
    problems = []
    live = {m["name"]: m["peer_urls"] for m in listed}
    for member in planned:
        if member["name"] not in live:
            problems.append("%s: the restore would name its member %r, but the running cluster has no such member "
                            "(it has %s); set etcd_backup_etcd_member_name for %s to the name etcd runs with "
                            "(etcd --name)." % (member["host"], member["name"], ", ".join(sorted(live)) or "none",
                                                member["host"]))
        elif member["peer_url"] not in live[member["name"]]:
            problems.append("%s: the restore would give member %s the peer URL %s, but it runs with %s; set "
                            "etcd_backup_etcd_peer_url for %s to that URL." % (
                                member["host"], member["name"], member["peer_url"],
                                ", ".join(live[member["name"]]), member["host"]))
    extra = sorted(set(live) - {m["name"] for m in planned})
    if extra:
        problems.append("The running cluster has member(s) %s that no host of the etcd group is restored as "
                        "(etcd_backup_etcd_member_name): correct the names, add their hosts to the etcd group (the "
                        "restored cluster is built from it), or remove them with `etcdctl member remove` first."
                        % ", ".join(extra))
    return problems


def files_from_stats(results):
    """A looped `stat` (checksum_algorithm sha256) over a backup's files → [{'path', 'sha256', 'size'}].

    path is the loop item (relative to the backup directory); a file that is
    missing is an error, not an entry without checksum.
    """
    files = []
    for result in results:
        stat = result.get("stat") or {}
        if not stat.get("exists") or not stat.get("checksum"):
            raise EtcdBackupError("%s is missing from the backup directory: the backup is incomplete." % result.get("item"))
        files.append({"path": result["item"], "sha256": stat["checksum"], "size": stat.get("size", 0)})
    return sorted(files, key=lambda f: f["path"])


def manifest(name, member, endpoint, status, snapshot_sha256, snapshot_size, files, cluster="", release=None):
    """The manifest.json of one backup: what was taken, when, where from, and each file's sha256."""
    if not NAME_RE.match(str(name)):
        raise EtcdBackupError("%r is not a backup name (UTC time as %s)" % (name, NAME_FORMAT))
    return {
        "format": MANIFEST_FORMAT,
        "name": name,
        "time": datetime.datetime.strptime(name, NAME_FORMAT).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cluster": cluster,
        "member": member,
        "endpoint": endpoint,
        "release": release or {},
        "snapshot": dict(status, file=SNAPSHOT_FILE, sha256=snapshot_sha256, size=snapshot_size),
        "files": sorted(files, key=lambda f: f["path"]),
    }


def parse_manifest(text, name=None):
    """A stored manifest.json → the manifest dict; EtcdBackupError when it cannot be trusted for a restore."""
    where = "the manifest of backup %s" % name if name else "the manifest"
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as err:
        raise EtcdBackupError("%s is not JSON (%s): the backup is incomplete; choose another." % (where, err))
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise EtcdBackupError("%s has format %r, this installer reads format %d."
                              % (where, data.get("format") if isinstance(data, dict) else data, MANIFEST_FORMAT))
    if name is not None and data.get("name") != name:
        raise EtcdBackupError("%s names backup %r: the directory was renamed or copied over another; "
                              "restore only a backup whose directory and manifest agree." % (where, data.get("name")))
    snapshot = data.get("snapshot")
    if not isinstance(snapshot, dict) or not re.match(r"^[0-9a-f]{64}$", str(snapshot.get("sha256", ""))):
        raise EtcdBackupError("%s has no snapshot sha256: the backup is incomplete; choose another." % where)
    for key in ("revision", "total_key", "hash"):
        if not isinstance(snapshot.get(key), int):
            raise EtcdBackupError("%s has no snapshot %s: the backup is incomplete; choose another." % (where, key))
    files = data.get("files")
    if not isinstance(files, list) or not any(f.get("path") == SNAPSHOT_FILE for f in files if isinstance(f, dict)):
        raise EtcdBackupError("%s lists no %s: the backup is incomplete; choose another." % (where, SNAPSHOT_FILE))
    return data


def restore_problems(snapshot, confirm, available, directory):
    """Why restore.yml must refuse, before any host is changed ([] when it may go on).

    snapshot: -e restore_snapshot; confirm: -e restore_confirm; available: the
    backup names found in directory.
    """
    newest = sorted(n for n in available if NAME_RE.match(str(n)))
    listing = ("the backups in %s are: %s" % (directory, ", ".join(newest[-10:]))
               if newest else "there is no backup in %s (run playbooks/backup.yml)" % directory)
    if not snapshot:
        return ["restore_snapshot is not set: name the backup to restore with -e restore_snapshot=<name> "
                "-e restore_confirm=<name>; %s. Nothing was changed." % listing]
    if not NAME_RE.match(str(snapshot)):
        return ["restore_snapshot=%r is not a backup name (like 20261129T233212Z); %s. Nothing was changed."
                % (snapshot, listing)]
    if snapshot not in newest:
        return ["restore_snapshot=%s is not a backup in %s; %s. Nothing was changed." % (snapshot, directory, listing)]
    if confirm != snapshot:
        found = "is not set" if not confirm else "=%r does not name the chosen backup %s" % (confirm, snapshot)
        return ["restore_confirm%s%s: a restore replaces the whole cluster state (every object written since the "
                "backup is lost), so it runs only when -e restore_confirm=%s repeats the backup chosen by "
                "restore_snapshot. Nothing was changed." % (" " if not confirm else "", found, snapshot)]
    return []
