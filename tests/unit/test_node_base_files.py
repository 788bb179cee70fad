"""node_base keeps each step's configuration files in one module run (issue 20):
mlplatform.installer.config_files instead of a template / copy / file task per
file, which a re-run pays twice (a stat, then the copy module) for nothing.

The chrony step's container drop-in is one entry whose state follows the
node: it is checked here as Ansible hands it to the action (templated, omit
removed), for a container and for a real machine.
"""

import glob
import os

import pytest
import yaml
from ansible.executor.task_executor import remove_omit
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.mlplatform.installer.plugins.action.config_files import entry_problems

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASKS = os.path.join(REPO, "roles", "node_base", "tasks")
FILE_MODULES = ("ansible.builtin.template", "ansible.builtin.copy", "ansible.builtin.file")
STEPS = ("chrony", "journald", "sysctl", "kernel_modules", "unattended_upgrades", "apt_sources", "gpu")
OMIT = "__omit_place_holder__node_base_test"
DROP_IN = "/etc/systemd/system/chrony.service.d/50-mlp-container.conf"


def _step(name):
    with open(os.path.join(TASKS, name + ".yml")) as handle:
        return yaml.safe_load(handle)


def _config_files_tasks(name):
    return [task for task in _step(name) if "mlplatform.installer.config_files" in task]


def test_no_step_writes_a_file_with_a_task_per_file():
    for path in sorted(glob.glob(os.path.join(TASKS, "*.yml"))):
        with open(path) as handle:
            for task in yaml.safe_load(handle) or []:
                used = [module for module in FILE_MODULES if module in task]
                assert not used, "%s: %r still uses %s" % (os.path.basename(path), task.get("name"), used)


@pytest.mark.parametrize("step", STEPS)
def test_each_step_keeps_its_files_in_one_task(step):
    (task,) = _config_files_tasks(step)
    for entry in task["mlplatform.installer.config_files"]["files"]:
        if entry.get("state") != "absent":
            assert (entry["owner"], entry["group"], entry["mode"]) == ("root", "root", "0644"), entry


def _chrony_files(in_container):
    (task,) = _config_files_tasks("chrony")
    variables = {"_node_base_in_container": in_container, "_node_base_chrony_service": "chrony",
                 "_node_base_chrony_conf": "/etc/chrony/chrony.conf", "omit": OMIT}
    args = Templar(loader=DataLoader(), variables=variables).template(task["mlplatform.installer.config_files"])
    return task, remove_omit(args, OMIT)["files"]


@pytest.mark.parametrize("in_container, state", [(True, "present"), (False, "absent")])
def test_chrony_drop_in_is_written_on_a_container_and_removed_on_a_machine(in_container, state):
    task, files = _chrony_files(in_container)
    assert entry_problems(files) == []
    conf, drop_in = files
    assert conf["dest"] == "/etc/chrony/chrony.conf" and conf["validate"] == "/usr/sbin/chronyd -p -f %s"
    assert drop_in["dest"] == DROP_IN and drop_in["state"] == state
    if in_container:
        assert drop_in["template"] == "etc/systemd/system/chrony.service.d/50-mlp-container.conf.j2"
        assert os.path.exists(os.path.join(REPO, "roles", "node_base", "templates", drop_in["template"]))
    else:
        assert "template" not in drop_in
    # Either file changing restarts chrony (a removed drop-in too: chronyd must drop -x).
    assert task["notify"] == "Restart chrony"


def test_consumers_of_a_changed_file_still_see_it():
    """apt refreshes its lists and the initramfs is rebuilt only when their file changed."""
    for step, register, consumer in (("apt_sources", "__node_base_apt_sources_result", "ansible.builtin.apt"),
                                     ("gpu", "__node_base_nouveau", "ansible.builtin.command")):
        (task,) = _config_files_tasks(step)
        assert task["register"] == register
        (user,) = [t for t in _step(step) if consumer in t]
        when = user["when"] if isinstance(user["when"], list) else [user["when"]]
        assert "%s is changed" % register in when
