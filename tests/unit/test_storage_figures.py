"""Storage figures kept on the node and reused while fresh (module_utils/storage_figures)."""

import json

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import storage_figures as sf

DEVICE = {"dev": "254:0", "name": "vda", "sectors": "104857600"}
KEY = sf.key("/var/lib/etcd", DEVICE, ["etcd", "seqwrite"], 64 * 1024 * 1024, 5, False, "auto")
# A storage_benchmark result as the module returns it (figures of a real run).
RESULT = {"figures": {"etcd_fdatasync_p99_ms": 2.1, "etcd_write_iops": 410.5, "seqwrite_mib_s": 95.2},
          "details": {"etcd": {"argv": ["fio"]}}, "unmeasured_reason": "", "ioengine": "libaio",
          "fio_version": "fio-3.33", "target": {"mode": "directory", "measured": "/var/lib/etcd", "reason": ""},
          "verdicts": [{"figure": "etcd_write_iops"}], "changed": False}


def test_a_fresh_record_with_the_same_key_is_reused_without_its_verdicts():
    text = sf.record(KEY, 1000.0, RESULT)
    kept, age = sf.reusable(text, KEY, 1000.0 + 3600, 24 * 3600)
    assert age == 3600
    assert kept["figures"] == RESULT["figures"] and kept["ioengine"] == "libaio"
    # Verdicts are judged again on every run, against the thresholds of that run.
    assert "verdicts" not in kept and "changed" not in kept


def test_an_old_record_is_measured_again_naming_both_ages():
    kept, why = sf.reusable(sf.record(KEY, 0.0, RESULT), KEY, 25 * 3600 + 120, 24 * 3600)
    assert kept is None and why == "the kept figures are 1 d 1 h old, more than 1 d"


@pytest.mark.parametrize("change, named", [
    ({"device": dict(DEVICE, sectors="209715200")}, "device"),  # the disk was grown or replaced
    ({"device": dict(DEVICE, serial="S3Z9NB0K")}, "device"),
    ({"profiles": ["etcd"]}, "profiles"),
    ({"size_bytes": 128 * 1024 * 1024}, "size_bytes"),
    ({"target": "/var/lib/containerd"}, "target"),
])
def test_anything_the_figures_depend_on_changing_measures_again(change, named):
    kept, why = sf.reusable(sf.record(KEY, 1000.0, RESULT), dict(KEY, **change), 1001.0, 24 * 3600)
    assert kept is None and why == "measured again: %s changed" % named


@pytest.mark.parametrize("text", ["", "{}", "not json", json.dumps({"key": KEY, "measured_at": "x", "result": {}}),
                                  json.dumps({"key": KEY, "measured_at": 1000.0, "result": {"figures": []}})])
def test_an_unreadable_record_is_measured_again(text):
    kept, why = sf.reusable(text, KEY, 1001.0, 24 * 3600)
    assert kept is None and why in ("the kept record cannot be read", "measured again: format, target, device, "
                                    "profiles, size_bytes, runtime, bounded, ioengine changed")


def test_reuse_off_and_a_clock_that_stepped_back_measure_again():
    text = sf.record(KEY, 1000.0, RESULT)
    assert sf.reusable(text, KEY, 1001.0, 0) == (None, "reuse is off")
    assert sf.reusable(text, KEY, 900.0, 3600)[0] is None


def test_one_record_per_target_and_readable_ages():
    assert sf.record_name("/var/lib/etcd") != sf.record_name("/dev/sdb")
    assert sf.record_name("/var/lib/etcd").startswith("storage-") and sf.record_name("/x").endswith(".json")
    assert [sf.age_text(s) for s in (45, 720, 3600, 3600 * 3 + 300, 86400 * 2 + 3600 * 4)] == [
        "45 s", "12 min", "1 h", "3 h 5 min", "2 d 4 h"]
