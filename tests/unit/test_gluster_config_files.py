"""roles/gluster_metrics, gluster_server and gluster_client keep each step's files in ONE
mlplatform.installer.config_files task (issue 20: a template or copy task costs a stat and a
copy per file on every re-run).

The steps run for real through ansible-playbook on localhost in check mode with diff (nothing is
written; the handlers are never reached), so what is checked is what the action renders and
which files and states the module is handed.
"""

import ast
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("gluster_metrics", "gluster_server", "gluster_client")
MODULE_UTILS = os.path.join(REPO, "plugins", "module_utils")
COLLECTOR = os.path.join(REPO, "roles", "gluster_metrics", "files", "usr", "local", "lib", "mlp-gluster-metrics",
                         "collect.py")
LIB = "/usr/local/lib/mlp-gluster-metrics"
UTILS_DEST = LIB + "/ansible_collections/mlplatform/installer/plugins/module_utils"
DROPIN = "/etc/systemd/system/kubelet.service.d/20-gluster-mounts.conf"
PACKAGE = "ansible_collections.mlplatform.installer.plugins.module_utils"


def _tasks(path):
    """Every task of a task file, blocks flattened."""
    with open(path) as handle:
        pending = list(yaml.safe_load(handle) or [])
    while pending:
        task = pending.pop(0)
        pending[:0] = task.get("block", []) + task.get("rescue", []) + task.get("always", [])
        if "block" not in task:
            yield task


def _step_files():
    for role in ROLES:
        tasks = os.path.join(REPO, "roles", role, "tasks")
        for name in sorted(os.listdir(tasks)):
            yield pytest.param(role, name, os.path.join(tasks, name), id="%s/%s" % (role, name))


@pytest.mark.parametrize("role,name,path", list(_step_files()))
def test_a_step_writes_its_files_in_at_most_one_config_files_task(role, name, path):
    writes, config_files = [], 0
    for task in _tasks(path):
        if "mlplatform.installer.config_files" in task:
            config_files += 1
        for module in ("ansible.builtin.template", "ansible.builtin.copy"):
            if module in task:
                writes.append("%s (%s)" % (task["name"], module))
        if task.get("ansible.builtin.file", {}).get("state") == "absent":
            writes.append("%s (file state=absent)" % task["name"])
    assert writes == [], "roles/%s/tasks/%s: move these into its config_files task" % (role, name)
    assert config_files <= 1, "roles/%s/tasks/%s has %d config_files tasks" % (role, name, config_files)


def _imported_module_utils(path):
    """The collection module_utils a file imports (absolute or relative), by file name."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and path.startswith(MODULE_UTILS):
                names.update([node.module] if node.module else [a.name for a in node.names])
            elif node.module == PACKAGE:
                names.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith(PACKAGE + "."):
                names.add(node.module[len(PACKAGE) + 1:])
        elif isinstance(node, ast.Import):
            names.update(a.name[len(PACKAGE) + 1:] for a in node.names if a.name.startswith(PACKAGE + "."))
    return {name + ".py" for name in names}


def _import_closure():
    wanted, pending = set(), _imported_module_utils(COLLECTOR)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending |= _imported_module_utils(os.path.join(MODULE_UTILS, name))
    return wanted


def test_the_collector_gets_every_module_utils_it_imports_and_no_other():
    with open(os.path.join(REPO, "roles", "gluster_metrics", "tasks", "collector.yml")) as handle:
        task = [t for t in yaml.safe_load(handle) if "mlplatform.installer.config_files" in t][0]
    entries = task["mlplatform.installer.config_files"]["files"]
    installed = {os.path.basename(e["dest"]) for e in entries
                 if e["dest"].startswith("{{ _gluster_metrics_module_utils_dest }}/")}
    # gluster_metrics imports gluster_check, which imports gluster relatively: the closure, not just collect.py.
    assert {"gluster.py", "gluster_check.py", "gluster_cli.py", "gluster_metrics.py"} <= _import_closure()
    assert installed == _import_closure()
    for entry in entries:
        if "{{ _gluster_metrics_module_utils_src }}/" in entry.get("src", ""):
            assert os.path.basename(entry["src"]) == os.path.basename(entry["dest"]), entry


PLAY = """---
- name: The gluster roles' file steps in check mode
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    gluster_metrics_textfile_dir: {prom}
    gluster_metrics_interval: 20
  tasks:
    - name: Collector
      ansible.builtin.include_role:
        name: gluster_metrics
        tasks_from: collector
    - name: Kubelet drop-in with volumes
      ansible.builtin.include_role:
        name: gluster_client
        tasks_from: kubelet
      vars:
        gluster_client_volumes: [gv0, gva]
    - name: Kubelet drop-in without volumes
      ansible.builtin.include_role:
        name: gluster_client
        tasks_from: kubelet
      vars:
        gluster_client_volumes: []
    - name: Kubelet drop-in not wanted
      ansible.builtin.include_role:
        name: gluster_client
        tasks_from: kubelet
      vars:
        gluster_client_volumes: [gv0]
        gluster_client_kubelet_requires_mounts: false
    # The handlers (systemd) are never run on this machine.
    - name: Stop before the handlers
      ansible.builtin.meta: end_play
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gluster-files")
    (tmp / "play.yml").write_text(PLAY.format(prom=tmp / "prom"))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CALLBACKS_ENABLED="", ANSIBLE_NOCOLOR="1")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(tmp / "play.yml"),
                          "-i", "localhost,", "--check", "--diff", "-e", "ansible_python_interpreter=%s" % sys.executable],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    report = json.JSONDecoder().raw_decode(run.stdout[run.stdout.index("{"):])[0]
    return [(t["task"]["name"], t["hosts"]["localhost"]) for t in report["plays"][0]["tasks"]
            if t["hosts"].get("localhost", {}).get("action") == "mlplatform.installer.config_files"]


def _diffs(result):
    return {d["after_header"]: d["after"] for d in result.get("diff", [])}


def test_the_collector_step_keeps_seven_files_in_one_run(results):
    collector = [r for name, r in results if name.startswith("gluster_metrics :")]
    assert len(collector) == 1
    assert [(f["dest"], f["state"]) for f in collector[0]["files"]] == [
        (UTILS_DEST + "/gluster.py", "present"), (UTILS_DEST + "/gluster_check.py", "present"),
        (UTILS_DEST + "/gluster_cli.py", "present"), (UTILS_DEST + "/gluster_metrics.py", "present"),
        (LIB + "/collect.py", "present"), ("/etc/systemd/system/mlp-gluster-metrics.service", "present"),
        ("/etc/systemd/system/mlp-gluster-metrics.timer", "present")]
    after = _diffs(collector[0])
    if UTILS_DEST + "/gluster_cli.py" in after:  # absent from this machine: the content is in the diff
        with open(os.path.join(MODULE_UTILS, "gluster_cli.py")) as handle:
            assert after[UTILS_DEST + "/gluster_cli.py"] == handle.read()
    if "/etc/systemd/system/mlp-gluster-metrics.timer" in after:
        timer = after["/etc/systemd/system/mlp-gluster-metrics.timer"]
        assert timer.startswith("# Ansible managed\n") and "\nOnUnitActiveSec=20s\n" in timer


def test_the_kubelet_drop_in_is_written_with_volumes_and_removed_without(results):
    kubelet = [r for name, r in results if name.startswith("gluster_client :")]
    assert [[(f["dest"], f["state"]) for f in r["files"]] for r in kubelet] == [
        [(DROPIN, "present")], [(DROPIN, "absent")], [(DROPIN, "absent")]]
    if DROPIN in _diffs(kubelet[0]):
        assert re.search(r"^RequiresMountsFor=/mnt/gluster/gv0 /mnt/gluster/gva$", _diffs(kubelet[0])[DROPIN], re.M)
