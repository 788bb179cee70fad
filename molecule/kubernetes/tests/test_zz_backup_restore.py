"""Backup and restore, round trip on the scenario's real etcd 3.6 and kube-apiserver.

playbooks/backup.yml and playbooks/restore.yml run as ops run them: by
subprocess from the repository root, with the repository's ansible.cfg (its
ignore_patterns keeps <inventory>/backups/ out of the inventory sources),
against the scenario's inventory, with the bed's etcd certificate layout.
The scenario has no Gluster nodes to reach (its storage nodes are only
described), so the Gluster volume info is left out here
(etcd_backup_gluster_info=false).

A marker ConfigMap is created, backed up, deleted and must come back from
the restore; a missing or wrong confirmation is refused with nothing
changed (an object created after the backup survives); retention keeps N.
Named test_zz so it runs after the scenario's other tests: a restore stops
the API server and etcd for about a minute. The control-plane container is
read from the scenario's inventory (its etcd group), not hard-coded.
"""

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

import pytest
import yaml

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
INVENTORY_DIR = os.path.dirname(INVENTORY_FILE)
BACKUPS = os.path.join(INVENTORY_DIR, "backups")
BED_GATE_VARS = "@" + os.path.join(REPO, "inventories", "testbed", "group_vars", "all", "health_gate.yml")
NAME_RE = re.compile(r"^\d{8}T\d{6}Z$")


@functools.lru_cache(maxsize=None)
def control_plane():
    with open(INVENTORY_FILE) as handle:
        inventory = yaml.safe_load(handle)
    members = sorted((inventory.get("etcd") or {}).get("hosts") or {})
    assert len(members) == 1, "the scenario runs one etcd member: %s" % members
    return members[0]


def on_node(*argv, check=True):
    return subprocess.run(["podman", "exec", control_plane(), *argv], capture_output=True, text=True,
                          check=check, timeout=120)


def kubectl(*args, check=True):
    return on_node("/usr/local/bin/kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", *args, check=check)


def marker(name):
    """The marker ConfigMap's data, or None when it does not exist."""
    proc = kubectl("get", "configmap", name, "-n", "default", "-o", "json", check=False)
    if proc.returncode != 0:
        assert "NotFound" in proc.stderr, proc.stderr
        return None
    return json.loads(proc.stdout)["data"]


class Run:
    def __init__(self, proc, seconds):
        self.returncode = proc.returncode
        self.out = " ".join((proc.stdout + proc.stderr).split())
        self.seconds = seconds
        recap = re.search(r"%s\s*: ok=\d+\s+changed=(\d+)" % re.escape(control_plane()), self.out)
        self.changed = int(recap.group(1)) if recap else None


def playbook(name, *extra):
    # The repository's ansible.cfg, not molecule's: ops run the playbooks from
    # the repository root, and its ignore_patterns is what keeps backups/ out
    # of the inventory sources.
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_CONFIG", None)
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "playbooks/%s" % name, "-i", INVENTORY_DIR, "-e", BED_GATE_VARS,
         "-e", "etcd_backup_gluster_info=false", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900, env=env, check=False)
    return Run(proc, time.monotonic() - start)


def backups():
    return sorted(name for name in os.listdir(BACKUPS) if NAME_RE.match(name)) if os.path.isdir(BACKUPS) else []


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def say(capsys, line):
    """Print past pytest's capture: the round-trip times belong in the run's log."""
    with capsys.disabled():
        print("\n" + line)


def set_aside():
    return on_node("sh", "-c", "ls -d /var/lib/etcd.before-restore-* 2>/dev/null || true").stdout.split()


@pytest.fixture(scope="module")
def taken():
    """One backup holding the marker, then the marker deleted; the backups are removed at the end."""
    shutil.rmtree(BACKUPS, ignore_errors=True)
    kubectl("create", "configmap", "zz-backup-marker", "-n", "default", "--from-literal=proof=taken-before-backup")
    run = playbook("backup.yml")
    assert run.returncode == 0, run.out[-4000:]
    assert len(backups()) == 1, backups()
    kubectl("delete", "configmap", "zz-backup-marker", "-n", "default")
    assert marker("zz-backup-marker") is None
    yield backups()[0], run
    shutil.rmtree(BACKUPS, ignore_errors=True)
    kubectl("delete", "configmap", "zz-backup-marker", "zz-after-backup", "-n", "default", "--ignore-not-found")


def test_backup_stores_a_checked_snapshot_and_its_manifest(taken, capsys):
    name, run = taken
    directory = os.path.join(BACKUPS, name)
    with open(os.path.join(directory, "manifest.json")) as handle:
        manifest = json.load(handle)
    assert manifest["name"] == name and manifest["member"] == control_plane()
    snapshot = manifest["snapshot"]
    # etcdutl's figures of the very file the controller holds.
    assert snapshot["revision"] > 0 and snapshot["total_key"] > 0 and snapshot["hash"] > 0
    assert sha256(os.path.join(directory, "etcd-snapshot.db")) == snapshot["sha256"]
    assert os.path.getsize(os.path.join(directory, "etcd-snapshot.db")) == snapshot["size"]
    for entry in manifest["files"]:
        assert sha256(os.path.join(directory, entry["path"])) == entry["sha256"], entry["path"]
    assert sorted(os.listdir(directory)) == ["etcd-snapshot.db", "inventory.tar.gz", "manifest.json", "release.json"]
    with open(os.path.join(directory, "release.json")) as handle:
        assert json.load(handle)["cluster_release"]["etcd"] == "3.6.10"
    members = subprocess.run(["tar", "tzf", os.path.join(directory, "inventory.tar.gz")], check=True,
                             capture_output=True, text=True).stdout.split()
    assert "./group_vars/all/cluster.yml" in members
    assert not [m for m in members if m.startswith(("./artifacts", "./backups", "./reports"))], members
    # A snapshot holds every Secret: private on the controller, gone from the member.
    assert os.stat(directory).st_mode & 0o077 == 0
    assert all(os.stat(os.path.join(directory, f)).st_mode & 0o077 == 0 for f in os.listdir(directory))
    assert on_node("sh", "-c", "ls -A /var/tmp/mlp-etcd-backup").stdout.strip() == ""
    assert "revision %d, %d keys" % (snapshot["revision"], snapshot["total_key"]) in run.out
    say(capsys, "backup.yml: %.1f s (snapshot %d bytes, revision %d)" % (run.seconds, snapshot["size"], snapshot["revision"]))


@pytest.mark.parametrize("confirm", [None, "20200101T000000Z", "yes"])
def test_a_missing_or_wrong_confirmation_changes_nothing(taken, confirm):
    name = taken[0]
    kubectl("create", "configmap", "zz-after-backup", "-n", "default", "--from-literal=proof=after", check=False)
    before = set_aside()
    extra = ["-e", "restore_snapshot=%s" % name] + (["-e", "restore_confirm=%s" % confirm] if confirm else [])
    run = playbook("restore.yml", *extra)
    assert run.returncode != 0, run.out[-4000:]
    assert "restore_confirm" in run.out and "-e restore_confirm=%s repeats the backup" % name in run.out, run.out[-4000:]
    assert "Nothing was changed." in run.out
    assert run.changed == 0, run.out[-3000:]
    # Refused before any host was touched: etcd kept its data (the object
    # made after the backup is there), nothing was set aside.
    assert marker("zz-after-backup") == {"proof": "after"}
    assert marker("zz-backup-marker") is None
    assert set_aside() == before
    assert on_node("systemctl", "is-active", "etcd", "kube-apiserver").stdout.split() == ["active", "active"]


def test_restore_brings_the_marker_back(taken, capsys):
    name = taken[0]
    before = set_aside()
    run = playbook("restore.yml", "-e", "restore_snapshot=%s" % name, "-e", "restore_confirm=%s" % name)
    assert run.returncode == 0, run.out[-4000:]
    assert "Restored backup %s" % name in run.out, run.out[-3000:]
    assert marker("zz-backup-marker") == {"proof": "taken-before-backup"}
    # Written after the backup: gone with the restore.
    assert marker("zz-after-backup") is None
    # The old data is set aside, never deleted; the member's copy is gone.
    aside = sorted(set(set_aside()) - set(before))
    assert len(aside) == 1, aside
    assert on_node("test", "-f", aside[0] + "/member/snap/db", check=False).returncode == 0
    assert on_node("sh", "-c", "ls -A /var/tmp/mlp-etcd-backup").stdout.strip() == ""
    assert kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"
    say(capsys, "restore.yml: %.1f s (checks, staging, stop, swap, start, /readyz)" % run.seconds)


def test_a_failed_backup_leaves_nothing_behind(taken):
    # The control-plane node stands in as the Gluster node: it has no gluster
    # CLI, so the step beside the snapshot fails after the snapshot was fetched.
    before = backups()
    run = playbook("backup.yml", "-e", "etcd_backup_gluster_info=true", "-e", "etcd_backup_gluster_group=etcd")
    assert run.returncode != 0, run.out[-4000:]
    assert "%s: `gluster volume info --xml` failed" % control_plane() in run.out, run.out[-4000:]
    assert "-e etcd_backup_gluster_info=false" in run.out
    assert sorted(os.listdir(BACKUPS)) == before
    assert on_node("sh", "-c", "ls -A /var/tmp/mlp-etcd-backup").stdout.strip() == ""


def test_retention_keeps_the_newest_n(taken, capsys):
    first = taken[0]
    times = []
    for _round in range(2):
        run = playbook("backup.yml", "-e", '{"cluster_backup": {"retention": 2}}')
        assert run.returncode == 0, run.out[-4000:]
        times.append(run.seconds)
    kept = backups()
    assert len(kept) == 2 and first not in kept, kept
    # The two kept are the two just taken, each complete.
    assert all(os.path.isfile(os.path.join(BACKUPS, n, "manifest.json")) for n in kept)
    say(capsys, "backup.yml with retention 2: %s s" % ", ".join("%.1f" % t for t in times))
