"""Preflight verdicts from raw figures; outputs captured on the bed's nodes."""

import os

import pytest

from module_utils import preflight

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "preflight")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


LIMITS = {"supported_os": ["ubuntu-22.04", "ubuntu-24.04", "debian-12"], "kernel_min": "5.15",
          "vcpus": 4, "memory_mb": 16384, "disk_free_gb": {"/var/lib": 100},
          "clock_max_offset_ms": 500, "egress_mode": "enforce"}


def statuses(rows):
    return {row["check"]: row["status"] for row in rows}


def test_parse_df_from_a_bed_node_keys_by_requested_path():
    # `df -P -B1M /var/lib /` captured on worker1 (overlay root).
    assert preflight.parse_df(fixture("df-bed.txt"), ["/var/lib", "/"]) == {"/var/lib": 76029, "/": 76029}


def test_parse_proc_swaps_empty_and_active():
    assert preflight.parse_proc_swaps(fixture("proc-swaps-empty.txt")) == []
    text = fixture("proc-swaps-empty.txt") + "/swap.img                               file\t\t2097148\t\t0\t\t-2\n"
    assert preflight.parse_proc_swaps(text) == ["/swap.img"]


def test_curl_probes_from_the_bed():
    # Three probes captured on worker1: open, unresolvable, refused.
    results = preflight.parse_curl_probes(fixture("curl-probes-bed.txt"))
    assert results["http://deb.debian.org/debian/"]["code"] == 200
    assert results["https://dl.k8s.io/release/stable.txt"] == {"code": 0, "error": "Could not resolve host: dl.k8s.io"}
    assert results["http://10.77.0.1:9/nothing"]["code"] == 0
    assert "rc=6" not in results


@pytest.mark.parametrize("mode,status", [("enforce", "fail"), ("report", "warn")])
def test_closed_endpoint_is_gated_by_mode(mode, status):
    raw = {"stdout": fixture("curl-probes-bed.txt"),
           "urls": ["http://deb.debian.org/debian/", "https://dl.k8s.io/release/stable.txt"]}
    rows = preflight.check_egress("n1", raw, mode)
    assert [r["status"] for r in rows] == [status]
    assert rows[0]["value"] == "1/2 endpoints answer"
    assert "dl.k8s.io" in rows[0]["detail"] and "deb.debian.org" not in rows[0]["detail"]


def test_egress_skip_and_all_open():
    assert preflight.check_egress("n1", {}, "skip") == []
    raw = {"stdout": fixture("curl-probes-bed.txt"), "urls": ["http://deb.debian.org/debian/"]}
    assert preflight.check_egress("n1", raw, "enforce")[0]["status"] == "pass"


def test_curl_argv_bounds_every_probe():
    argv = preflight.curl_probe_argv(["https://a.example/", "https://b.example/"], 7)
    assert argv[argv.index("--max-time") + 1] == "7"
    assert argv[-3:] == ["--output", "/dev/null", "https://b.example/"]
    assert argv.count("--output") == 2


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
    result = preflight.storage_result({"item": {"path": "/var/lib/etcd", "role": "etcd"}, "failed": True,
                                       "verdicts": [verdict], "figures": {"etcd_fdatasync_p99_ms": 104.333}})
    assert result["error"] == ""
    rows = preflight.check_storage("cp1", [result])
    assert rows[0]["status"] == "fail" and rows[0]["value"] == 104.3
    broken = preflight.storage_result({"item": {"path": "/var/lib/etcd"}, "failed": True, "msg": "fio not found"})
    assert preflight.check_storage("cp1", [broken])[0]["detail"] == "fio not found"


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
    for _ in range(20):  # a set-based implementation picks at random
        assert preflight.nearest_existing(["/var/lib/etcd"], existing) == {"/var/lib/etcd": "/var/lib/etcd"}
    assert preflight.nearest_existing(["/var/lib/containerd", "/srv/x"], ["/", "/var", "/var/lib"]) == {
        "/var/lib/containerd": "/var/lib", "/srv/x": "/"}
