"""etcd backup and restore: the pure part (plugins/module_utils/etcd_backup.py) and the role's docs.

Tool output in tests/unit/fixtures/etcd_backup/ was captured on the
scenario's real etcd 3.6.10 (see its README): a good snapshot's status, a
truncated and a random file's (etcdutl's own failures), a member list, and
a manifest backup.yml wrote.
"""

import json
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.mlplatform.installer.plugins.filter import etcd_backup as filters
from ansible_collections.mlplatform.installer.plugins.module_utils import etcd_backup as eb

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "etcd_backup")
REPO = os.path.dirname(os.path.dirname(HERE))
ROLE = os.path.join(REPO, "roles", "etcd_backup")
MANIFEST = "manifest-20261129T233906Z.json"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


# --- etcdutl snapshot status -------------------------------------------------

def test_status_of_a_real_snapshot():
    status = eb.parse_snapshot_status(fixture("status.json"))
    assert status == {"hash": 976864441, "revision": 378, "total_key": 260, "total_size": 454656,
                      "storage_version": "3.6.0"}


@pytest.mark.parametrize("name, rc, words", [
    ("status-truncated.stderr", 2, "panic: assertion failed: Page expected to be: 109"),
    ("status-garbage.stderr", 1, "Error: file size too small 4096"),
])
def test_a_damaged_snapshot_is_refused_with_etcdutls_words(name, rc, words):
    with pytest.raises(eb.EtcdBackupError) as err:
        eb.parse_snapshot_status("", fixture(name), rc, "cp1:/var/tmp/x.db")
    assert "cp1:/var/tmp/x.db (exit %d): %s" % (rc, words) in str(err.value)
    assert "take a new one" in str(err.value)


@pytest.mark.parametrize("stdout, words", [
    ("", "printed no JSON"),
    ("[]", "not an object"),
    ('{"hash":1,"revision":5,"totalSize":10,"version":"3.6.0"}', "no usable totalKey"),
    ('{"hash":1,"revision":"5","totalKey":3,"totalSize":10}', "no usable revision"),
    ('{"hash":1,"revision":0,"totalKey":0,"totalSize":10}', "holds no key"),
])
def test_a_status_that_cannot_be_trusted_is_refused(stdout, words):
    with pytest.raises(eb.EtcdBackupError, match=words):
        eb.parse_snapshot_status(stdout)


def test_the_filter_reads_a_registered_result_and_raises_a_filter_error():
    status = filters.etcd_snapshot_status({"rc": 0, "stdout": fixture("status.json"), "stderr": ""})
    assert status["revision"] == 378
    bad = filters.FilterModule().filters()["etcd_snapshot_status"]
    with pytest.raises(AnsibleFilterError, match="file size too small"):
        bad({"rc": 1, "stdout": "", "stderr": fixture("status-garbage.stderr")}, "cp1:/x.db")


# --- cluster_backup settings -------------------------------------------------

def test_settings_default_under_the_inventory():
    assert eb.settings(None, "/srv/inv/") == {"retention": 7, "dir": "/srv/inv/backups"}
    assert eb.settings({"retention": 3, "dir": "/srv/backups/mlp/"}, "/srv/inv") == {
        "retention": 3, "dir": "/srv/backups/mlp"}
    assert eb.settings_problems({"retention": 1, "dir": ""}) == []


@pytest.mark.parametrize("value, words", [
    ([7], "cluster_backup must be a mapping"),
    ({"retention": 0}, "cluster_backup.retention must be a whole number of backups to keep, 1 or more"),
    ({"retention": True}, "cluster_backup.retention must be"),
    ({"retention": "7"}, "cluster_backup.retention must be"),
    ({"dir": "backups"}, "cluster_backup.dir must be an absolute directory"),
    ({"retension": 3}, "cluster_backup.retension is not a backup setting (did you mean retention?)"),
])
def test_settings_problems_name_the_variable_and_the_fix(value, words):
    problems = eb.settings_problems(value)
    assert len(problems) == 1 and words in problems[0], problems
    with pytest.raises(eb.EtcdBackupError, match="cluster_backup"):
        eb.settings(value, "/srv/inv")


# --- retention ----------------------------------------------------------------

NAMES = ["20261129T233906Z", "20261128T010000Z", "20261129T233731Z", "20261127T235959Z"]


def test_retention_removes_the_oldest_beyond_n():
    assert eb.expired(NAMES, 2) == ["20261127T235959Z", "20261128T010000Z"]
    assert eb.expired(NAMES, 4) == []
    assert eb.expired(NAMES, 7) == []
    assert eb.expired(NAMES, 1) == ["20261127T235959Z", "20261128T010000Z", "20261129T233731Z"]


def test_retention_never_counts_nor_removes_other_entries():
    others = ["20261101T000000Z.partial", "before-upgrade", "20261101T000000Z-copy", "2026-11-01"]
    assert eb.expired(NAMES + others, 3) == ["20261127T235959Z"]


@pytest.mark.parametrize("retention", [0, -1, True, "2"])
def test_retention_refuses_to_remove_everything(retention):
    with pytest.raises(eb.EtcdBackupError, match="retention must be 1 or more"):
        eb.expired(NAMES, retention)


# --- member list and initial cluster -------------------------------------------

def test_member_list_of_the_real_member():
    assert eb.parse_member_list(fixture("member-list-1.json")) == [
        {"name": "h5-cp1", "peer_urls": ["https://10.85.0.11:2380"], "client_urls": ["https://10.85.0.11:2379"]}]


PLANNED = [{"host": "h5-cp1", "name": "h5-cp1", "peer_url": "https://10.85.0.11:2380"}]


def test_initial_cluster_from_the_etcd_group():
    assert eb.initial_cluster(PLANNED) == "h5-cp1=https://10.85.0.11:2380"
    three = [{"host": "cp%d" % i, "name": "etcd%d" % i, "peer_url": "https://10.0.0.%d:2380" % i} for i in (1, 2, 3)]
    assert eb.initial_cluster(three) == ("etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,"
                                         "etcd3=https://10.0.0.3:2380")
    with pytest.raises(eb.EtcdBackupError, match="share the name etcd1: set etcd_backup_etcd_member_name"):
        eb.initial_cluster(three + [dict(three[0], host="cp4")])


def test_member_problems_against_the_real_member_list():
    listed = eb.parse_member_list(fixture("member-list-1.json"))
    assert eb.member_problems(PLANNED, listed) == []
    # Kubespray's naming (etcd1) against a cluster that runs as h5-cp1.
    problems = eb.member_problems([dict(PLANNED[0], name="etcd1")], listed)
    assert len(problems) == 2
    assert "h5-cp1: the restore would name its member 'etcd1'" in problems[0]
    assert "set etcd_backup_etcd_member_name for h5-cp1" in problems[0]
    assert "member(s) h5-cp1 that no host of the etcd group is restored as" in problems[1]
    problems = eb.member_problems([dict(PLANNED[0], peer_url="https://10.85.0.99:2380")], listed)
    assert problems == ["h5-cp1: the restore would give member h5-cp1 the peer URL https://10.85.0.99:2380, but it "
                        "runs with https://10.85.0.11:2380; set etcd_backup_etcd_peer_url for h5-cp1 to that URL."]


# --- manifest -------------------------------------------------------------------

def test_the_captured_manifest_reads_back():
    data = eb.parse_manifest(fixture(MANIFEST), "20261129T233906Z")
    assert data["snapshot"]["revision"] == 1010
    assert data["snapshot"]["total_key"] == 262
    assert data["member"] == "h5-cp1"
    assert [f["path"] for f in data["files"]] == ["etcd-snapshot.db", "inventory.tar.gz", "release.json"]
    snapshot_file = next(f for f in data["files"] if f["path"] == "etcd-snapshot.db")
    assert snapshot_file["sha256"] == data["snapshot"]["sha256"]


def test_manifest_round_trip_from_a_status_and_stat_results():
    status = eb.parse_snapshot_status(fixture("status.json"))
    stats = [{"item": "release.json", "stat": {"exists": True, "checksum": "b" * 64, "size": 10}},
             {"item": "etcd-snapshot.db", "stat": {"exists": True, "checksum": "a" * 64, "size": 454688}}]
    files = eb.files_from_stats(stats)
    written = eb.manifest("20261129T233212Z", "cp1", "https://127.0.0.1:2379", status, "a" * 64, 454688, files,
                          "mlp-bed", {"etcd": "3.6.10"})
    assert written["time"] == "2026-11-29T23:32:12Z"
    assert written["files"][0]["path"] == "etcd-snapshot.db"
    back = eb.parse_manifest(json.dumps(written), "20261129T233212Z")
    assert back["snapshot"]["hash"] == 976864441 and back["snapshot"]["sha256"] == "a" * 64
    with pytest.raises(eb.EtcdBackupError, match="missing from the backup directory"):
        eb.files_from_stats([{"item": "inventory.tar.gz", "stat": {"exists": False}}])


@pytest.mark.parametrize("edit, words", [
    (lambda m: m.update(name="20261129T000000Z"), "names backup '20261129T000000Z'"),
    (lambda m: m["snapshot"].pop("sha256"), "no snapshot sha256"),
    (lambda m: m["snapshot"].update(revision=None), "no snapshot revision"),
    (lambda m: m.update(files=[f for f in m["files"] if f["path"] != "etcd-snapshot.db"]), "lists no etcd-snapshot.db"),
    (lambda m: m.update(format=2), "format 2"),
])
def test_a_manifest_that_cannot_be_trusted_is_refused(edit, words):
    data = json.loads(fixture(MANIFEST))
    edit(data)
    with pytest.raises(eb.EtcdBackupError, match=words.replace("(", r"\(").replace(")", r"\)")):
        eb.parse_manifest(json.dumps(data), "20261129T233906Z")
    with pytest.raises(eb.EtcdBackupError, match="is not JSON"):
        eb.parse_manifest("{", "20261129T233906Z")


# --- the restore confirmation ---------------------------------------------------

AVAILABLE = ["20261129T233731Z", "20261129T233906Z", "notes"]


def test_restore_goes_on_only_when_the_confirmation_repeats_the_backup():
    assert eb.restore_problems("20261129T233906Z", "20261129T233906Z", AVAILABLE, "/b") == []


@pytest.mark.parametrize("snapshot, confirm, words", [
    ("", "", "restore_snapshot is not set: name the backup to restore with -e restore_snapshot=<name> "
             "-e restore_confirm=<name>; the backups in /b are: 20261129T233731Z, 20261129T233906Z."),
    ("20261129T233906Z", "", "restore_confirm is not set: a restore replaces the whole cluster state"),
    ("20261129T233906Z", "20261129T233731Z",
     "restore_confirm='20261129T233731Z' does not name the chosen backup 20261129T233906Z"),
    ("20261129T233906Z", "yes", "runs only when -e restore_confirm=20261129T233906Z repeats the backup"),
    ("20261129T000000Z", "20261129T000000Z", "restore_snapshot=20261129T000000Z is not a backup in /b"),
    ("notes", "notes", "restore_snapshot='notes' is not a backup name"),
])
def test_restore_refusals_name_the_variable_and_the_fix(snapshot, confirm, words):
    problems = eb.restore_problems(snapshot, confirm, AVAILABLE, "/b")
    assert len(problems) == 1 and words in problems[0], problems
    assert problems[0].endswith("Nothing was changed.")


def test_restore_without_any_backup_says_how_to_take_one():
    problems = eb.restore_problems("20261129T233906Z", "20261129T233906Z", [], "/b")
    assert "there is no backup in /b (run playbooks/backup.yml)" in problems[0]


# --- the role's documentation cannot drift from its defaults ----------------------

def load_yaml(path):
    with open(os.path.join(ROLE, path)) as handle:
        return yaml.safe_load(handle)


def test_both_entry_points_document_every_default():
    defaults = load_yaml("defaults/main.yml")
    specs = load_yaml("meta/argument_specs.yml")["argument_specs"]
    assert sorted(specs) == ["backup", "restore"]
    documented = {}
    for entry in specs.values():
        documented.update(entry["options"])
    assert sorted(documented) == sorted(defaults)
    for name, value in defaults.items():
        assert documented[name]["default"] == value, name
    with open(os.path.join(ROLE, "README.md")) as handle:
        readme = handle.read()
    assert [name for name in defaults if "`%s`" % name not in readme] == []
