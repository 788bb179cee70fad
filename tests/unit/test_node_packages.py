"""One apt transaction per node and layer (issue 20): node_base installs
everything it installs, a GPU node's tools and kernel headers included, in
one apt call; preflight installs fio only when it measures and fio is missing.

A no-op apt call still costs a host-task on every re-run (the module opens
apt's cache on the node), so each fold is a task fewer per node and run.
"""

import glob
import os

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_BASE = os.path.join(REPO, "roles", "node_base")


def _tasks(role):
    tasks = []
    for path in sorted(glob.glob(os.path.join(REPO, "roles", role, "tasks", "*.yml"))):
        with open(path) as handle:
            for task in yaml.safe_load(handle) or []:
                tasks.append((os.path.basename(path), task))
    return tasks


def _installs(role):
    """The role's apt tasks that install packages (a cache refresh alone is not one)."""
    return [(path, task) for path, task in _tasks(role)
            if "ansible.builtin.apt" in task and (task["ansible.builtin.apt"] or {}).get("name")]


def test_node_base_installs_in_one_apt_call():
    (install,) = _installs("node_base")
    assert install[0] == "packages.yml"
    assert install[1]["ansible.builtin.apt"]["name"] == "{{ _node_base_packages }}"
    # No package-list refresh on a re-run: only when older than the valid time.
    assert install[1]["ansible.builtin.apt"]["cache_valid_time"] == "{{ node_base_apt_cache_valid_time }}"


def _packages(hostname, groups, facts):
    """_node_base_packages as Ansible renders it for a host (the role's defaults and vars)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    values = {}
    for part in ("defaults/main.yml", "vars/Ubuntu-24.yml", "vars/main.yml"):
        with open(os.path.join(NODE_BASE, part)) as handle:
            values.update(yaml.safe_load(handle))
    values.update(inventory_hostname=hostname, groups=groups, ansible_facts=facts)
    return Templar(loader=DataLoader(), variables=values).template("{{ _node_base_packages }}")


VM = {"kernel": "6.8.0-45-generic", "virtualization_role": "guest", "virtualization_type": "kvm"}
CONTAINER = dict(VM, virtualization_type="podman")
GROUPS = {"gpu_nodes": ["gpu1"], "all": ["gpu1", "worker1"]}


@pytest.mark.parametrize("host, facts, extra", [
    ("worker1", VM, []),
    ("gpu1", VM, ["pciutils", "mokutil", "kmod", "linux-headers-6.8.0-45-generic"]),
    # A container runs the host's kernel: its headers are not the guest's to install.
    ("gpu1", CONTAINER, ["pciutils", "mokutil", "kmod"]),
])
def test_a_gpu_nodes_tools_and_headers_come_in_the_same_transaction(host, facts, extra):
    base = ["chrony", "unattended-upgrades", "curl", "gnupg", "jq", "rsync", "socat", "conntrack", "ipset",
            "xfsprogs", "fio"]
    assert _packages(host, GROUPS, facts) == base + extra


def test_preflight_installs_fio_only_to_measure_and_only_when_missing():
    (install,) = _installs("preflight")
    assert install[1]["ansible.builtin.apt"]["name"] == "fio"
    # preflight_kept's one read per node says whether fio is there and what is measured.
    assert "not (__preflight_kept.fio | default(''))" in install[1]["when"]
    assert "_preflight_storage_to_measure | length > 0" in install[1]["when"]
