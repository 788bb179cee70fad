"""The report the converge wrote: verdicts per node, and the figures behind them."""

import json
import os

import pytest

REPORT = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports", "preflight.json")


@pytest.fixture(scope="module")
def rows():
    with open(REPORT) as handle:
        return json.load(handle)["rows"]


def _row(rows, host, check):
    found = [r for r in rows if r["host"] == host and r["check"] == check]
    assert found, "no %s row for %s" % (check, host)
    return found[0]


def test_slow_etcd_disk_fails_with_its_figure(rows):
    row = _row(rows, "preflight-cp-slow", "storage:/var/lib/etcd:etcd_fdatasync_p99_ms")
    assert row["status"] == "fail"
    assert float(row["value"]) > 10


def test_fast_etcd_disk_passes(rows):
    row = _row(rows, "preflight-cp-fast", "storage:/var/lib/etcd:etcd_fdatasync_p99_ms")
    assert row["status"] == "pass"
    assert float(row["value"]) <= 10


def test_worker_disk_passes(rows):
    row = _row(rows, "preflight-worker", "storage:/var/lib/containerd:seqwrite_mib_s")
    assert row["status"] == "pass"


def test_only_the_slow_node_fails(rows):
    assert {r["host"] for r in rows if r["status"] == "fail"} == {"preflight-cp-slow"}


def test_fio_left_no_files(host):
    # storage_benchmark removes its work files even when the gate fails.
    leftovers = host.run("find /var/lib/etcd /var/lib -maxdepth 1 -name '.storage_benchmark*'")
    assert leftovers.stdout.strip() == ""
