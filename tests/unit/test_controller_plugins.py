"""Controller-side plugins of the foundation and preflight layers."""

import json
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.action import clock_offset, preflight_report
from ansible_collections.mlplatform.installer.plugins.callback import layer_times
from ansible_collections.mlplatform.installer.plugins.filter import preflight as preflight_filters


def test_clock_offset_uses_the_midpoint_and_half_the_round_trip():
    offset, uncertainty = clock_offset.offset_from(1000.0, "1000.150\n", 1000.1)
    assert offset == pytest.approx(100.0)
    assert uncertainty == pytest.approx(50.0)
    with pytest.raises(ValueError):
        clock_offset.offset_from(1.0, "date: invalid option", 2.0)


@pytest.mark.parametrize("name,layer", [
    ("Preflight | measure and gate every node", "Preflight"),
    ("Node prep | proxy", "Node prep"),
    ("Converge", "Converge"),
    ("", "(unnamed play)"),
])
def test_layer_of_play_names(name, layer):
    assert layer_times.layer_of(name) == layer


class _Play:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class _Display:
    def __init__(self):
        self.lines = []

    def banner(self, text):
        self.lines.append("BANNER " + text)

    def display(self, text):
        self.lines.append(text)


def test_layer_times_table_sums_each_layer_and_aligns_its_names(monkeypatch):
    clock = iter([100.0, 100.0, 102.0, 102.0, 112.5, 112.5, 113.0, 113.0])
    monkeypatch.setattr(layer_times.time, "monotonic", lambda: next(clock))
    callback = layer_times.CallbackModule()  # run starts at 100.0
    callback._display = _Display()
    callback.v2_playbook_on_play_start(_Play("Preflight | measure"))  # 100.0
    callback.v2_playbook_on_play_start(_Play("Storage | gluster"))  # closes Preflight at 102.0
    callback.v2_playbook_on_play_start(_Play("Preflight | report"))  # closes Storage at 112.5
    callback.v2_playbook_on_stats(None)  # closes Preflight at 113.0, total at 113.0
    assert callback._display.lines == [
        "BANNER LAYER TIMES",
        "Preflight      2.5s",
        "Storage       10.5s",
        "total         13.0s",
    ]


def test_limits_take_the_largest_minimum_of_every_group():
    minimums = {"kube_node": {"vcpus": 4, "memory_mb": 16384, "disk_free_gb": {"/var/lib": 100}},
                "gpu_nodes": {"vcpus": 8, "memory_mb": 65536, "disk_free_gb": {"/var/lib": 200}},
                "etcd": {"vcpus": 2}}
    limits = preflight_filters.preflight_limits(["kube_node", "gpu_nodes", "k8s_cluster"], minimums,
                                                {"kernel_min": "5.15"})
    assert limits == {"kernel_min": "5.15", "vcpus": 8, "memory_mb": 65536, "disk_free_gb": {"/var/lib": 200}}


def test_evaluate_turns_a_node_without_data_into_a_failure():
    rows = preflight_filters.preflight_evaluate({"w1": {}}, ["w1"])
    assert rows[0]["status"] == "fail" and rows[0]["check"] == "reachable"


def test_report_action_writes_json_and_markdown_atomically(tmp_path):
    rows = [{"host": "cp1", "check": "os", "value": "debian-12", "threshold": "debian-12", "status": "pass",
             "detail": ""}]
    preflight_report._write_atomically(str(tmp_path / "r.json"), json.dumps(rows))
    assert json.loads((tmp_path / "r.json").read_text()) == rows
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind
    assert oct(os.stat(tmp_path / "r.json").st_mode & 0o777) == "0o644"


def _run_report(tmp_path, status, **extra):
    """The action as Ansible runs it, with a task that carries only its arguments."""
    from types import SimpleNamespace

    task = SimpleNamespace(args=dict(rows=[{"host": "gl2", "check": "reachable", "value": "no data",
                                            "threshold": "", "status": status, "detail": "unreachable"}],
                                     dest=str(tmp_path), **extra),
                           async_val=0, check_mode=False, diff=False)
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/nonexistent"))  # the action needs no connection
    action = preflight_report.ActionModule(task, connection, SimpleNamespace(check_mode=False), None, None, None)
    return action.run(task_vars={})


def test_report_action_fails_on_a_failed_gate_unless_told_not_to(tmp_path):
    result = _run_report(tmp_path, "fail")
    assert result["failed"] and result["gate_failed"] and "gl2: reachable = no data" in result["msg"]
    # validate.yml runs its other checks first and gives its own verdict.
    result = _run_report(tmp_path, "fail", fail_on_gate=False)
    assert not result["failed"] and result["gate_failed"] and "gl2: reachable" in result["msg"]
    result = _run_report(tmp_path, "pass", fail_on_gate=False)
    assert not result.get("failed") and not result["gate_failed"]
    assert json.loads((tmp_path / "preflight.json").read_text())["summary"]["pass"] == 1
