"""testbed/bench_rerun.py (`make bench`): its own bed and its figures.

The bench must never run against the user's bed: the copied inventory may
not keep a single address, network or cluster name of the source. Its
figures come from ansible-playbook's own output (a real site.yml log of the
bench bed, tests/unit/fixtures/bench/site-first-converge.log: the end of a first
converge that stopped at the Kubernetes layer).
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed"))

import bench_rerun  # noqa: E402  pylint: disable=wrong-import-position

FIXTURE = os.path.join(REPO, "tests", "unit", "fixtures", "bench", "site-first-converge.log")
SOURCE = {"testbed_network_name": "mlp-bed", "cluster_name": "mlp-bed",
          "cluster_subnet": "10.77.0.0/24", "cluster_domain": "bed.mlp.test"}


def read(path):
    with open(path) as handle:
        return handle.read()


def test_copied_inventory_keeps_nothing_of_the_source_bed(tmp_path):
    pairs = bench_rerun.bench_names(SOURCE, "mlp-bench", "10.78.0.0/24")
    dest = tmp_path / "inventories" / "bench"
    bench_rerun.make_inventory(os.path.join(REPO, "inventories", "testbed"), str(dest), pairs)
    texts = {str(p.relative_to(dest)): p.read_text() for p in dest.rglob("*") if p.is_file()}
    assert "hosts.yml" in texts and any(name.startswith("group_vars") for name in texts)
    # Outputs of runs on the source bed are not inputs of the bench bed.
    assert not any(part in name for name in texts for part in ("reports", "artifacts", "backups"))
    joined = "\n".join(texts.values())
    assert "10.77.0." not in joined and "mlp-bed" not in joined and "bed.mlp.test" not in joined
    assert "node_ip: 10.78.0.11" in texts["hosts.yml"]
    assert "testbed_network_name: mlp-bench" in joined
    # The bed's own state beside its inventory; paths further up made absolute.
    assert "{{ inventory_dir }}/../../.testbed/id_ed25519" in joined
    assert "{{ inventory_dir }}/../../../" not in joined


def test_rewrite_leaves_longer_names_alone():
    pairs = bench_rerun.bench_names(SOURCE, "mlp-bench", "10.78.0.0/24")
    text = "a: 10.77.0.11\nb: 110.77.0.1\nc: mlp-bed\nd: xmlp-bed\ne: cp1.bed.mlp.test\n"
    out = bench_rerun.rewrite(text, pairs, "/work")
    assert out == "a: 10.78.0.11\nb: 110.77.0.1\nc: mlp-bench\nd: xmlp-bed\ne: cp1.mlp-bench.mlp.test\n"
    assert bench_rerun.leftovers(out, pairs) == []
    assert bench_rerun.leftovers("x: 10.77.0.5", pairs) == ["10.77.0."]


def test_the_source_bed_itself_is_refused():
    with pytest.raises(bench_rerun.BenchError, match="source bed's own"):
        bench_rerun.bench_names(SOURCE, "mlp-bench", "10.77.0.0/24")
    with pytest.raises(bench_rerun.BenchError, match="/24"):
        bench_rerun.bench_names(SOURCE, "mlp-bench", "10.78.0.0/16")


def test_recap_layers_and_slowest_tasks_from_a_real_log():
    output = read(FIXTURE)
    recap = bench_rerun.parse_recap(output)
    assert sorted(recap) == ["cp1", "gluster1", "gluster2", "gluster3", "worker1", "worker2"]
    assert recap["cp1"] == {"ok": 152, "changed": 25, "unreachable": 0, "failed": 1, "skipped": 103,
                            "rescued": 0, "ignored": 0}
    result = bench_rerun.summarise("first converge", 1214.4, 131.3, recap, 2)
    assert result["totals"]["changed"] == 142 and result["totals"]["failed"] == 1
    assert result["host_tasks"] == 1291
    layers = bench_rerun.layer_times(output)
    assert [name for name, _seconds in layers] == ["Inventory", "Provision", "Preflight", "Node prep",
                                                   "Storage", "Kubernetes", "total"]
    assert layers[3] == ("Node prep", 613.9) and layers[-1] == ("total", 1201.5)
    tasks = bench_rerun.slowest_tasks(output)
    assert len(tasks) == 15
    assert tasks[0] == ("gluster_server : Install the GlusterFS server", 97.99)
    # A task name that itself holds dashes ends at the last run of them.
    assert ("kubespray_inventory : Write hosts.yml, the group_vars files and extra-vars.yml", 17.74) in tasks


def test_cpu_per_host_task_counts_every_result():
    recap = {"a": dict.fromkeys(bench_rerun.RESULT_KEYS, 0), "b": dict.fromkeys(bench_rerun.RESULT_KEYS, 0)}
    recap["a"].update(ok=6, skipped=2)
    recap["b"].update(ok=1, changed=1)
    result = bench_rerun.summarise("re-run", 10.0, 2.0, recap, 0)
    assert result["host_tasks"] == 10 and result["cpu_per_host_task_ms"] == pytest.approx(200.0)
    assert result["totals"]["changed"] == 1


def fake(label, wall, changed=0):
    recap = {"h": dict.fromkeys(bench_rerun.RESULT_KEYS, 0)}
    recap["h"].update(ok=10, changed=changed)
    return bench_rerun.summarise(label, wall, wall / 2, recap, 0)


def test_table_prints_each_ratio_against_its_goal():
    table = bench_rerun.render([fake("first converge", 400.0, changed=50), fake("re-run", 80.0),
                                fake("re-run, Ansible defaults", 200.0), fake("re-run, mitogen profile", 120.0)],
                               "bed")
    lines = {line.split("  ")[0]: line for line in table.splitlines()}
    assert "0.20x" in lines["re-run / first converge (wall)"] and "goal met" in lines["re-run / first converge (wall)"]
    assert "0.40x" in lines["shipped ansible.cfg / defaults (re-run wall)"]
    assert "0.60x" in lines["mitogen profile / defaults (re-run wall)"]
    assert lines["mitogen profile / defaults (re-run wall)"].endswith("goal not met")
    assert lines["re-run changed (shipped ansible.cfg)"].endswith("goal met")
    # Ratios without a goal carry no verdict.
    assert "goal" not in lines["re-run / first converge (controller CPU)"].split("x", 1)[1]


def test_bed_keeps_a_second_beds_state_apart(tmp_path):
    # bed.py writes known_hosts on `up` and deletes its state on `down`: with
    # MLP_BED_STATE (set by the bench) neither may touch the default bed's .testbed.
    import subprocess  # pylint: disable=import-outside-toplevel
    code = "import bed; print(bed.STATE); print(bed.KEY); print(bed.KNOWN_HOSTS)"
    env = dict(os.environ, MLP_BED_STATE=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], cwd=os.path.join(REPO, "testbed"), env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(tmp_path), str(tmp_path / "id_ed25519"), str(tmp_path / "known_hosts")]
    env.pop("MLP_BED_STATE")
    default = subprocess.run([sys.executable, "-c", code], cwd=os.path.join(REPO, "testbed"), env=env,
                             capture_output=True, text=True, check=True).stdout.split()
    assert default[0] == os.path.join(REPO, ".testbed")
