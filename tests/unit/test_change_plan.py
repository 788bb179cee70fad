"""The plan that keeps unchanged nodes out of node_prep.yml's rollouts.

The callback change_plan notes, in a check-mode play, which tasks of the
planned roles would change each host; the filter change_plan_exclusions
leaves the others out of a later play. The run tests use the real
ansible-playbook with the shipped ansible.cfg (so they also prove it enables
the callback), a small role that writes a file, and hosts on the local
connection, in a network namespace without routes:
  a  its file is already right: nothing to change, left out;
  b  its file differs: rolls, and the rolling play writes it;
  c  a task fails in check mode: nothing is proved, it rolls.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from ansible_collections.mlplatform.installer.plugins.callback import change_plan as callback
from ansible_collections.mlplatform.installer.plugins.filter import change_plan as plan_filter

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROLE = [
    # A templated name: the plan gives it as written, never templated again.
    {"name": "Write the file of {{ inventory_hostname }}",
     "ansible.builtin.copy": {"dest": "{{ demo_file }}", "content": "{{ demo_content }}", "mode": "0600"}},
    # As a task that reads what an earlier task installs, in check mode only
    # (a plan play's check_mode does not show in ansible_check_mode).
    {"name": "Fail where asked",
     "ansible.builtin.fail": {"msg": "not there yet"},
     "when": "demo_fail | default(false) and 'demo' in change_plan_roles | default([])"},
    {"name": "Read the file", "ansible.builtin.stat": {"path": "{{ demo_file }}"}},
]

PLAYBOOK = [
    {"name": "Plan", "hosts": "all", "gather_facts": False, "check_mode": True,
     "vars": {"change_plan_roles": ["demo"]},
     "tasks": [{"name": "Plan the demo",
                "block": [{"name": "Run demo in check mode", "ansible.builtin.include_role": {"name": "demo"}}],
                "rescue": [{"name": "Say it rolls", "ansible.builtin.debug": {"msg": "rolls"}}]}],
     "post_tasks": [{"name": "Summary", "run_once": True, "ansible.builtin.debug": {
         "msg": "{{ ansible_play_hosts | mlplatform.installer.change_plan_summary(hostvars, change_plan_roles) }}"}}]},
    {"name": "Roll", "hosts": "all{{ hostvars | mlplatform.installer.change_plan_exclusions('demo') }}",
     "gather_facts": False, "roles": ["demo"]},
]


def run_plan(tmp_path, callbacks=None):
    """(recap, hosts of the Roll play, output) of one run."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to run the playbook without routes")
    tasks = tmp_path / "roles" / "demo" / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "main.yml").write_text(yaml.safe_dump(ROLE, sort_keys=False))
    (tmp_path / "plan.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    hosts = {}
    for name, extra in (("a", {}), ("b", {}), ("c", {"demo_fail": True})):
        hosts[name] = {"demo_file": str(tmp_path / ("%s.txt" % name)), "demo_content": "wanted\n", **extra}
    inventory = {"all": {"hosts": hosts, "vars": {"ansible_connection": "local",
                                                  "ansible_python_interpreter": sys.executable}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_CACHE_PLUGIN="memory",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_ROLES_PATH=str(tmp_path / "roles"))
    if callbacks is not None:
        env["ANSIBLE_CALLBACKS_ENABLED"] = callbacks
    proc = subprocess.run(["unshare", "-n", "ansible-playbook", str(tmp_path / "plan.yml"), "-i", str(tmp_path / "hosts.yml")],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    roll = proc.stdout.split("PLAY [Roll]", 1)[1].split("PLAY RECAP", 1)[0]
    rolled = sorted(set(re.findall(r"^(?:ok|changed|skipping): \[(\w+)\]", roll, re.M)))
    recap = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M)}
    return recap, rolled, proc.stdout


@pytest.fixture(name="files")
def fixture_files(tmp_path):
    (tmp_path / "a.txt").write_text("wanted\n")
    (tmp_path / "a.txt").chmod(0o600)
    (tmp_path / "b.txt").write_text("drifted\n")
    (tmp_path / "c.txt").write_text("wanted\n")
    (tmp_path / "c.txt").chmod(0o600)
    return tmp_path


def test_only_nodes_with_changes_roll(files):
    before = os.stat(files / "a.txt").st_mtime_ns
    recap, rolled, out = run_plan(files)
    assert rolled == ["b", "c"], out[-3000:]
    assert (files / "b.txt").read_text() == "wanted\n"
    assert os.stat(files / "a.txt").st_mtime_ns == before
    # b: the plan's "would change" (check mode), then the real change.
    assert recap == {"a": 0, "b": 2, "c": 0}, out[-3000:]
    assert "b: demo would change: Write the file of {{ inventory_hostname }}" in out, out[-3000:]
    assert "c: demo would change: Fail where asked" in out, out[-3000:]
    assert "nothing to change, left out of the rollouts: a" in out, out[-3000:]


def test_a_second_run_leaves_out_the_nodes_the_first_fixed(files):
    run_plan(files)
    rolled, out = run_plan(files)[1:]
    assert rolled == ["c"], out[-3000:]


def test_without_the_callback_every_node_rolls(files):
    recap, rolled, out = run_plan(files, callbacks="ansible.posix.profile_tasks")
    assert rolled == ["a", "b", "c"], out[-3000:]
    assert (files / "b.txt").read_text() == "wanted\n"
    assert "a: demo not planned here, it rolls" in out, out[-3000:]


def test_planned_roles_read_a_literal_list_only():
    assert callback.planned_roles({"change_plan_roles": ["node_network", "node_proxy"]}) == {"node_network", "node_proxy"}
    assert callback.planned_roles({"change_plan_roles": "{{ roles }}"}) == frozenset()
    assert callback.planned_roles({}) == frozenset()
    assert callback.planned_roles(None) == frozenset()


def test_note_keeps_a_role_with_nothing_to_change():
    plan = callback.note({}, "node_proxy", None)
    assert plan == {"node_proxy": []}
    plan = callback.note(plan, "node_network", "Write the static network")
    plan = callback.note(plan, "node_network", "Write the static network")
    assert plan == {"node_proxy": [], "node_network": ["Write the static network"]}


def test_only_nodes_planned_with_nothing_to_change_are_left_out():
    plans = {
        "w2": {"node_network": [], "node_proxy": ["Send apt through the proxy"]},
        "w1": {"node_network": [], "node_proxy": []},
        "cp1": None,  # not planned (callback off)
        "g1": {"node_proxy": []},  # node_network not planned (tags)
    }
    assert plan_filter.unchanged(plans, "node_network") == ["w1", "w2"]
    assert plan_filter.unchanged(plans, "node_proxy") == ["g1", "w1"]
    assert plan_filter.summary(plans, ["node_network", "node_proxy"]) == [
        "cp1: node_network not planned here, it rolls",
        "cp1: node_proxy not planned here, it rolls",
        "g1: node_network not planned here, it rolls",
        "w2: node_proxy would change: Send apt through the proxy",
        "nothing to change, left out of the rollouts: w1",
    ]
