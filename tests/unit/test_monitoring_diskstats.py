"""What the slow-disk alert depends on, outside a cluster.

* gluster_metrics.diskstats_device_exclude: node_exporter's diskstats
  exclude with this node's brick loop devices kept. Checked against Python's
  re for every loop number up to 2000 and against Go's RE2 through promtool
  (node_exporter is Go: a pattern RE2 rejects would stop it from starting);
* monitoring.with_alert_for: the harness copy of a rule file with a shorter
  `for:`, which must leave the shipped file (the one promtool tests) alone.
"""

import copy
import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster_metrics as gm
from ansible_collections.mlplatform.installer.plugins.module_utils import monitoring as mon

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STORAGE_RULES = os.path.join(REPO, "roles", "monitoring", "files", "rules", "storage.yml")

WHOLE_DISKS = ["sda", "sdab", "vda", "xvdb", "hdc", "nvme0n1", "nvme12n3", "dm-0", "dm-17", "md127", "rbd0"]
NOT_DATA = ["sda1", "vdb12", "xvda1", "nvme0n1p1", "nvme1n2p10", "ram0", "zram0", "fd0"]


@pytest.mark.parametrize("keep", [[], ["loop0"], ["loop7"], ["loop3", "loop12"], ["loop10"], ["loop1", "loop100"]],
                         ids=str)
def test_exactly_the_kept_loop_devices_are_reported(keep):
    pattern = re.compile(gm.diskstats_device_exclude(keep))
    for number in range(2000):
        name = "loop%d" % number
        assert bool(pattern.match(name)) == (name not in keep), (keep, name)
    assert not [d for d in WHOLE_DISKS if pattern.match(d)]
    assert [d for d in NOT_DATA if pattern.match(d)] == NOT_DATA


def test_no_brick_on_a_loop_device_keeps_node_exporters_default():
    # Real machines (bricks on LVM thin volumes, dm-N): node_exporter 1.5.0's default with zram added
    # (later releases' default: a zram swap device is no data disk).
    assert gm.diskstats_device_exclude([]) == r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+$"


@pytest.mark.parametrize("keep", [[], ["loop0"], ["loop3", "loop12"]], ids=str)
def test_the_pattern_survives_systemds_args_splitting(keep):
    # Debian's unit runs `prometheus-node-exporter $ARGS`; systemd unescapes
    # the words it splits $ARGS into, so a backslash would be lost (\d -> d,
    # seen on a molecule node) and a blank would split the flag.
    pattern = gm.diskstats_device_exclude(keep)
    assert "\\" not in pattern and " " not in pattern and "'" not in pattern


@pytest.mark.parametrize("bad", [["sda"], ["loop"], ["loopx1"]], ids=str)
def test_only_loop_devices_can_be_kept(bad):
    with pytest.raises(ValueError, match="only loop devices"):
        gm.diskstats_device_exclude(bad)


def test_the_patterns_compile_in_go_re2(tmp_path):
    from test_monitoring_rules import promtool
    patterns = [gm.diskstats_device_exclude(k) for k in ([], ["loop0"], ["loop3", "loop12"], ["loop1", "loop100"])]
    rules = {"groups": [{"name": "re2", "rules": [
        {"record": "re2:pattern%d" % n, "expr": 'node_disk_writes_completed_total{device=~"%s"}'
         % p.replace("\\", "\\\\")} for n, p in enumerate(patterns)]}]}
    target = tmp_path / "re2.yml"
    target.write_text(yaml.safe_dump(rules))
    proc = subprocess.run([promtool(), "check", "rules", str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The check is real: a lookahead (what Python would allow) is refused.
    rules["groups"][0]["rules"] = [{"record": "re2:bad", "expr": 'up{device=~"loop(?!0)\\\\d+"}'}]
    target.write_text(yaml.safe_dump(rules))
    proc = subprocess.run([promtool(), "check", "rules", str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0


def _storage_rules():
    with open(STORAGE_RULES) as handle:
        return yaml.safe_load(handle)


def test_alert_for_replaces_only_the_named_alert_and_leaves_the_file_alone():
    shipped = _storage_rules()
    before = copy.deepcopy(shipped)
    fast = mon.with_alert_for(shipped, {"NodeDiskWriteLatencyHigh": "30s"})
    assert shipped == before
    durations = {r["alert"]: r["for"] for g in fast["groups"] for r in g["rules"]}
    assert durations == {"NodeDiskWriteLatencyHigh": "30s", "NodeDiskReadLatencyHigh": "10m"}
    # Everything but `for:` is as shipped.
    for old, new in zip(before["groups"][0]["rules"], fast["groups"][0]["rules"]):
        assert {k: v for k, v in old.items() if k != "for"} == {k: v for k, v in new.items() if k != "for"}


def test_the_shipped_slow_disk_alert_waits_ten_minutes():
    # The production value the harness shortens; tests/promtool/storage_test.yml proves it with series.
    rules = {r["alert"]: r for g in _storage_rules()["groups"] for r in g["rules"]}
    assert rules["NodeDiskWriteLatencyHigh"]["for"] == "10m"


@pytest.mark.parametrize("overrides, message", [
    ({"NodeDiskWriteLatencyHgh": "30s"}, "no alert named NodeDiskWriteLatencyHgh"),
    ({"NodeDiskWriteLatencyHigh": "30 s"}, "not a Prometheus duration"),
])
def test_alert_for_refuses_unknown_alerts_and_bad_durations(overrides, message):
    with pytest.raises(ValueError, match=message):
        mon.with_alert_for(_storage_rules(), overrides)


def test_no_overrides_is_a_plain_copy():
    assert mon.with_alert_for(_storage_rules(), {}) == _storage_rules()
