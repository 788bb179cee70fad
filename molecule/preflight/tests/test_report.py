"""The report the converge wrote: verdicts per node, and the figures behind them."""

import json
import os

import pytest

REPORT = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports", "preflight.json")
BRICK = "/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0"
HOSTS = {"preflight-cp-slow", "preflight-cp-fast", "preflight-worker", "preflight-gluster"}


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


def test_etcd_gate_measures_every_floor_it_lists(rows):
    # fdatasync p99, write IOPS (etcd test) and sequential write (seqwrite).
    for host in ("preflight-cp-slow", "preflight-cp-fast"):
        checks = {r["check"] for r in rows if r["host"] == host and r["check"].startswith("storage:")}
        assert checks == {"storage:/var/lib/etcd:%s" % f for f in
                          ("etcd_fdatasync_p99_ms", "etcd_write_iops", "seqwrite_mib_s")}, host


def test_fast_etcd_disk_passes_while_etcd_runs(rows):
    row = _row(rows, "preflight-cp-fast", "storage:/var/lib/etcd:etcd_fdatasync_p99_ms")
    assert row["status"] == "pass"
    assert float(row["value"]) <= 10


def test_worker_disk_passes_every_worker_floor(rows):
    for figure in ("seqwrite_mib_s", "seqread_mib_s", "randread_iops", "randwrite_iops"):
        assert _row(rows, "preflight-worker", "storage:/var/lib/containerd:%s" % figure)["status"] == "pass"


def test_storage_node_is_measured_on_its_brick_disk_raw(rows):
    # The OS disk is fast (the worker's passes); only the brick disk is throttled.
    for figure in ("seqwrite_mib_s", "randwrite_iops"):
        row = _row(rows, "preflight-gluster", "storage:%s:%s" % (BRICK, figure))
        assert row["status"] == "fail"
        assert "is blank (no signature per wipefs" in row["detail"] and "measured raw" in row["detail"]
    assert _row(rows, "preflight-gluster", "storage:%s:seqread_mib_s" % BRICK)["status"] == "pass"


def test_only_the_slow_disks_fail_storage(rows):
    assert {r["host"] for r in rows if r["status"] == "fail" and r["check"].startswith("storage:")} == {
        "preflight-cp-slow", "preflight-gluster"}


def test_every_node_fails_egress_through_the_refusing_proxy(rows):
    for host in HOSTS:
        row = _row(rows, host, "egress")
        assert row["status"] == "fail"
        # One endpoint of the bundle is allowed and answered by its origin.
        assert row["value"].startswith("1/")


def test_fio_left_no_files(host):
    # storage_benchmark removes its work files even when the gate fails.
    leftovers = host.run("find /var/lib/etcd /var/lib -maxdepth 1 -name '.storage_benchmark*'")
    assert leftovers.stdout.strip() == ""


def _node(name):
    """One node of the scenario (the tests below concern one node each)."""
    import testinfra

    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, os.environ["MOLECULE_INVENTORY_FILE"]))


def test_the_blank_brick_disk_is_still_blank():
    # Written raw by fio, it holds no signature gluster_server would trip on.
    out = _node("preflight-gluster").check_output("wipefs --no-act --json %s" % BRICK)
    assert json.loads(out or '{"signatures": []}')["signatures"] == []


def test_etcd_survived_the_bounded_measurement():
    node = _node("preflight-cp-fast")
    assert json.loads(node.check_output("curl -s http://127.0.0.1:2379/health"))["health"] == "true"
    assert node.service("etcd").is_running
