"""Preflight verdicts from raw figures; outputs captured on the bed's nodes."""

import json
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import egress, preflight

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "preflight")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


LIMITS = {"supported_os": ["ubuntu-22.04", "ubuntu-24.04", "debian-12"], "kernel_min": "5.15",
          "vcpus": 4, "memory_mb": 16384, "disk_free_gb": {"/var/lib": 100},
          "clock_max_offset_ms": 500, "egress_mode": "enforce"}


def statuses(rows):
    return {row["check"]: row["status"] for row in rows}


def test_parse_proc_swaps_empty_and_active():
    assert preflight.parse_proc_swaps(fixture("proc-swaps-empty.txt")) == []
    text = fixture("proc-swaps-empty.txt") + "/swap.img                               file\t\t2097148\t\t0\t\t-2\n"
    assert preflight.parse_proc_swaps(text) == ["/swap.img"]


def egress_raw(proxy, urls):
    with open(os.path.join(os.path.dirname(__file__), "fixtures", "egress", "%s.json" % proxy)) as handle:
        records = json.load(handle)[proxy]
    expect = {url: (egress.APT_ARCHIVE if url.startswith("http:") else egress.REGISTRY) for url in urls}
    return {"results": records, "expect": expect}


ORIGIN, DENIED = "http://origin.pf.test:8080/ubuntu/", "http://denied.pf.test:8080/ubuntu/"


@pytest.mark.parametrize("mode,status", [("enforce", "fail"), ("report", "warn")])
def test_a_proxy_that_denies_a_probe_is_gated_by_mode(mode, status):
    # tinyproxy's own 403 for a filtered host (captured): blocked, not open.
    rows = preflight.check_egress("n1", egress_raw("tinyproxy", [ORIGIN, DENIED]), mode)
    assert [r["status"] for r in rows] == [status]
    assert rows[0]["value"] == "1/2 endpoints open"
    assert rows[0]["detail"].startswith("blocked: %s (through the proxy, tinyproxy/1.11.1 answered 403 itself" % DENIED)
    assert ORIGIN not in rows[0]["detail"]


def test_egress_skip_all_open_and_missing_results():
    assert preflight.check_egress("n1", {}, "skip") == []
    rows = preflight.check_egress("n1", egress_raw("squid", [ORIGIN]), "enforce")
    assert [r["status"] for r in rows] == ["pass"] and rows[0]["value"] == "1/1 endpoints open"
    raw = egress_raw("squid", [ORIGIN])
    raw["results"] = []
    rows = preflight.check_egress("n1", raw, "enforce")
    assert rows[0]["status"] == "fail" and "not probed" in rows[0]["detail"]


def test_os_and_kernel():
    rows = preflight.check_os("n1", {"distribution": "Debian", "version": "12.12", "major": "12",
                                     "kernel": "6.1.0-27-amd64"}, LIMITS)
    assert statuses(rows) == {"os": "pass", "kernel": "pass"}
    rows = preflight.check_os("n1", {"distribution": "Ubuntu", "version": "20.04", "major": "20",
                                     "kernel": "5.4.0-200-generic"}, LIMITS)
    assert statuses(rows) == {"os": "fail", "kernel": "fail"}
    assert "ubuntu-20.04" in rows[0]["detail"]


def test_resources_allow_firmware_reserve_but_not_less():
    raw = {"vcpus": 4, "memory_mb": 16384 * 0.96, "disk_free_mb": {"/var/lib": 100 * 1024}}
    assert set(statuses(preflight.check_resources("n1", raw, LIMITS)).values()) == {"pass"}
    raw = {"vcpus": 2, "memory_mb": 8000, "disk_free_mb": {"/var/lib": 20 * 1024}}
    rows = preflight.check_resources("n1", raw, LIMITS)
    assert statuses(rows) == {"vcpus": "fail", "memory_mb": "fail", "disk_free:/var/lib": "fail"}
    assert "node_vcpus" in rows[0]["detail"]


def test_missing_mount_is_a_failure_not_a_crash():
    rows = preflight.check_resources("n1", {"vcpus": 8, "memory_mb": 65536, "disk_free_mb": {}}, LIMITS)
    assert statuses(rows)["disk_free:/var/lib"] == "fail"


def test_swap_on_is_a_warning():
    assert preflight.check_swap("n1", {"total_mb": 0, "proc_swaps": fixture("proc-swaps-empty.txt")})[0]["status"] == "pass"
    row = preflight.check_swap("n1", {"total_mb": 2047, "proc_swaps": "Filename Type\n/swap.img file 2097148 0 -2\n"})[0]
    assert row["status"] == "warn" and "/swap.img" in row["value"]


def test_clock_offset_allows_for_the_round_trip():
    assert preflight.check_clock("n1", {"offset_ms": 620, "uncertainty_ms": 150}, LIMITS)[0]["status"] == "pass"
    assert preflight.check_clock("n1", {"offset_ms": -900, "uncertainty_ms": 20}, LIMITS)[0]["status"] == "fail"
    assert preflight.check_clock("n1", {}, LIMITS)[0]["status"] == "fail"


def test_dns_stale_record_fails_missing_record_warns():
    raw = {"addresses": {"cp1.lab": ["10.0.0.11"], "w1.lab": ["10.0.0.99"], "w2.lab": None},
           "expected": {"cp1.lab": "10.0.0.11", "w1.lab": "10.0.0.21", "w2.lab": "10.0.0.22"}}
    rows = preflight.check_dns("n1", raw)
    assert statuses(rows) == {"dns:w1.lab": "fail", "dns": "warn"}
    assert "10.0.0.99" in rows[0]["detail"] and "w2.lab" in rows[1]["detail"]
    raw["addresses"] = {"cp1.lab": ["10.0.0.11"], "w1.lab": ["10.0.0.21"], "w2.lab": ["10.0.0.22"]}
    assert statuses(preflight.check_dns("n1", raw)) == {"dns": "pass"}


def test_storage_rows_from_a_throttled_verdict_and_from_an_error():
    verdict = {"figure": "etcd_fdatasync_p99_ms", "value": 104.333, "threshold": 10.0, "comparison": "<=",
               "passed": False, "reason": "etcd_fdatasync_p99_ms = 104.333 ms exceeds the maximum 10 ms"}
    result = preflight.storage_result({"item": {"path": "/var/lib/etcd", "role": "etcd"}, "failed": False,
                                       "measured": True, "verdicts": [verdict], "figures": {"etcd_fdatasync_p99_ms": 104.333}})
    assert result["error"] == ""
    rows = preflight.check_storage("cp1", [result])
    assert rows[0]["status"] == "fail" and rows[0]["value"] == 104.3
    # What the role registers (failed_when: false resets `failed`) when the
    # module could not measure at all: the old check let it pass without a row.
    broken = preflight.storage_result({"item": {"path": "/var/lib/etcd"}, "failed": False, "failed_when_result": False,
                                       "measured": False, "verdicts": [], "msg": "fio is not installed on this host"})
    rows = preflight.check_storage("cp1", [broken])
    assert [(r["check"], r["status"], r["detail"]) for r in rows] == [
        ("storage:/var/lib/etcd", "fail", "fio is not installed on this host")]


def test_a_failed_profile_fails_the_gate_although_another_passed():
    # storage_benchmark's result when seqwrite hit ENOSPC (fixtures/fio/seqwrite-enospc.json)
    # and etcd passed: the old report kept the passing verdicts and dropped the error.
    verdict = {"figure": "etcd_fdatasync_p99_ms", "value": 0.264, "threshold": 10.0, "comparison": "<=",
               "passed": True, "reason": "ok"}
    message = ("profile seqwrite: fio job seqwrite failed with error 28 (no space left on device); fio exited 1; "
               "fio said: fio: pid=561, err=28/file:io_u.c:1876, func=io_u error, error=No space left on device")
    result = preflight.storage_result({"item": {"path": "/var/lib/etcd", "role": "etcd", "profiles": ["etcd", "seqwrite"]},
                                       "measured": True, "verdicts": [verdict], "errors": {"seqwrite": message},
                                       "unmeasured": ["etcd_write_iops", "seqwrite_mib_s"]})
    rows = preflight.check_storage("cp1", [result])
    by_check = {r["check"]: r for r in rows}
    assert by_check["storage:/var/lib/etcd:seqwrite"]["status"] == "fail"
    assert by_check["storage:/var/lib/etcd:seqwrite"]["detail"] == message
    assert by_check["storage:/var/lib/etcd:etcd_fdatasync_p99_ms"]["status"] == "pass"
    # seqwrite's own figure is covered by its failing row; the rest is listed as unmeasured.
    assert by_check["storage:/var/lib/etcd:unmeasured"]["value"] == "etcd_write_iops"
    assert "seqwrite" in preflight.failure_message(rows)


def test_a_disk_that_holds_data_is_measured_read_only_with_a_warning():
    reason = "/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0 holds data (signature ext4) and nothing on it is mounted"
    result = preflight.storage_result({"item": {"path": "/data/glusterfs", "role": "worker",
                                                "device": "/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0"},
                                       "measured": True, "verdicts": [],
                                       "unmeasured": ["randwrite_iops", "seqwrite_mib_s"],
                                       "unmeasured_reason": reason, "target": {"mode": "readonly", "reason": reason}})
    rows = preflight.check_storage("gluster1", [result])
    assert [(r["check"], r["status"]) for r in rows] == [
        ("storage:/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0:unmeasured", "warn")]
    assert rows[0]["detail"] == reason
    assert preflight.unmeasured_warnings(rows) == [
        "gluster1: storage:/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0:unmeasured not measured: " + reason]


def test_a_live_etcd_gate_is_skipped_with_a_warning_naming_the_flag():
    skipped = {"item": {"path": "/var/lib/etcd", "role": "etcd", "profiles": ["etcd", "seqwrite"]}, "skipped": True,
               "skip_reason": "Conditional result was False"}
    result = preflight.storage_result(skipped, ["4242"], lambda profiles: (22 + 64 * (len(profiles) - 1)) << 20)
    rows = preflight.check_storage("cp1", [result])
    assert [(r["check"], r["status"], r["value"]) for r in rows] == [("storage:/var/lib/etcd", "warn", "not measured")]
    assert rows[0]["detail"].startswith("etcd is running on this node (pid 4242): not measured")
    assert "-e preflight_measure_live_etcd=true measures it, writing at most 86 MiB once" in rows[0]["detail"]


def test_failure_message_names_each_node_and_its_figures():
    rows = [{"host": "cp1", "check": "storage:/var/lib/etcd:etcd_fdatasync_p99_ms", "value": 104.3,
             "threshold": "<= 10", "status": "fail", "detail": ""},
            {"host": "w1", "check": "vcpus", "value": 2, "threshold": ">= 4", "status": "fail", "detail": "x"},
            {"host": "w2", "check": "vcpus", "value": 4, "threshold": ">= 4", "status": "pass", "detail": ""}]
    message = preflight.failure_message(rows)
    assert message.splitlines()[0] == "preflight failed: 2 check(s) on 2 node(s)"
    assert "cp1: storage:/var/lib/etcd:etcd_fdatasync_p99_ms = 104.3 (threshold <= 10)" in message
    assert "w2" not in message


def test_markdown_report_escapes_pipes_and_lists_allowlist():
    rows = [{"host": "n|1", "check": "os", "value": "x", "threshold": "y", "status": "pass", "detail": ""}]
    text = preflight.markdown_report(rows, "T", [{"host": "quay.io", "port": 443, "component": "kubespray",
                                                 "purpose": "calico"}])
    assert "| n\\|1 | os |" in text
    assert "| quay.io | 443 | kubespray | calico |" in text


def test_path_ancestors():
    assert preflight.path_ancestors("/var/lib/etcd") == ["/var/lib/etcd", "/var/lib", "/var", "/"]
    assert preflight.path_ancestors("/") == ["/"]


def test_version_conflicts_become_rows_per_node_or_cluster():
    conflicts = [
        {"rule": "kernel_minimum", "component": "hosts/cp1/kernel", "value": "4.15.0", "expected": "4.19 or newer",
         "source": "https://kubespray.io", "message": "hosts/cp1/kernel = 4.15.0 breaks kernel_minimum"},
        {"rule": "kubespray_kubernetes_range", "component": "kubernetes", "value": "1.36.0",
         "expected": "1.33.0 to 1.35.4", "source": "", "message": "kubernetes = 1.36.0 breaks ..."},
    ]
    rows = preflight.version_rows(conflicts)
    assert [(r["host"], r["check"], r["status"]) for r in rows] == [
        ("cp1", "versions:kernel", "fail"), ("cluster", "versions:kubernetes", "fail")]
    assert "compatibility/matrix.yml" in rows[1]["detail"]
    assert preflight.version_rows([])[0]["status"] == "pass"


def test_found_versions_names_os_like_the_bundle():
    found = preflight.found_versions({"cp1": {"distribution": "Ubuntu", "version": "24.04", "major": "24",
                                              "kernel": "6.8.0-49-generic"}, "gone": None})
    assert found == {"cp1": {"kernel": "6.8.0-49-generic", "os": "ubuntu-24.04"}}


def test_nearest_existing_keeps_the_deepest_directory():
    existing = ["/", "/var", "/var/lib", "/var/lib/etcd"]
    for _attempt in range(20):  # a set-based implementation picks at random
        assert preflight.nearest_existing(["/var/lib/etcd"], existing) == {"/var/lib/etcd": "/var/lib/etcd"}
    assert preflight.nearest_existing(["/var/lib/containerd", "/srv/x"], ["/", "/var", "/var/lib"]) == {
        "/var/lib/containerd": "/var/lib", "/srv/x": "/"}


def test_the_roles_storage_gates_measure_every_floor_they_list():
    # The old defaults measured etcd without seqwrite (its 10 MiB/s floor
    # unchecked) and workers and storage nodes without their random or read floors.
    import yaml
    from ansible_collections.mlplatform.installer.plugins.filter import preflight as preflight_filters

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(repo, "roles", "preflight", "defaults", "main.yml")) as handle:
        gates = yaml.safe_load(handle)["preflight_storage"]
    assert preflight_filters.preflight_storage_gaps(gates) == []
    gates["etcd"]["profiles"] = ["etcd"]
    assert preflight_filters.preflight_storage_gaps(gates) == [
        "preflight_storage.etcd: role etcd sets seqwrite_mib_s, which need profile(s) seqwrite: add them to its "
        "profiles, or set those thresholds to null in its thresholds"]
    gates["etcd"]["thresholds"] = {"seqwrite_mib_s": None}
    assert preflight_filters.preflight_storage_gaps(gates) == []


def test_storage_result_filter_states_the_live_etcd_bound_from_the_size():
    from ansible_collections.mlplatform.installer.plugins.filter import preflight as preflight_filters

    skipped = {"item": {"path": "/var/lib/etcd", "role": "etcd", "profiles": ["etcd", "seqwrite"]}, "skipped": True}
    entry = preflight_filters.preflight_storage_result(skipped, ["17"], "128m")
    assert "writing at most 150 MiB once" in entry["skipped"]
    measured = {"item": {"path": "/var/lib/etcd", "role": "etcd", "profiles": ["etcd", "seqwrite"]}, "verdicts": [],
                "measured": True}
    assert preflight_filters.preflight_storage_result(measured, [], "64m")["skipped"] == ""


def test_check_mode_storage_is_listed_as_not_measured_not_passed():
    # storage_benchmark in check mode (test_fio.py: nothing runs).
    result = preflight.storage_result({"item": {"path": "/var/lib/etcd", "role": "etcd"}, "failed": False,
                                       "measured": False, "verdicts": [], "msg": "check mode: fio not run",
                                       "unmeasured": ["etcd_fdatasync_p99_ms", "etcd_write_iops", "seqwrite_mib_s"],
                                       "unmeasured_reason": "check mode: fio not run"})
    rows = preflight.check_storage("cp1", [result])
    assert [(r["check"], r["status"], r["detail"]) for r in rows] == [
        ("storage:/var/lib/etcd:unmeasured", "warn", "check mode: fio not run")]
