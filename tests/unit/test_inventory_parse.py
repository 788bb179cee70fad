"""An inventory Ansible cannot read stops every playbook (ansible.cfg
[inventory] unparsed_is_failed). Without it, a YAML typo in hosts.yml leaves
only implicit localhost: every play skips "no hosts matched" and the run exits
0, which reads as success to CI and to an ops engineer skimming the recap."""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

# (file in a copy of the production inventory, text to find, its typo)
TYPOS = {
    "unclosed-flow-mapping": ("hosts.yml", "node_ip: 10.40.8.21", "{node_ip: 10.40.8.21"),
    "tab-indent": ("hosts.yml", "node_ip: 10.40.8.22", "node_ip: 10.40.8.22\n\tnode_vcpus: 8"),
}


@pytest.mark.parametrize("typo", sorted(TYPOS))
@pytest.mark.parametrize("playbook", ["site.yml", "validate.yml"])
def test_unreadable_inventory_fails_the_run(tmp_path, typo, playbook):
    inventory = tmp_path / "production"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), inventory)
    name, old, new = TYPOS[typo]
    path = inventory / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    # No routes: should the run get past the inventory, nothing reaches the example addresses.
    proc = subprocess.run(["unshare", "-rn", ANSIBLE_PLAYBOOK, "-i", str(inventory),
                           os.path.join(REPO, "playbooks", playbook)],
                          cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120, check=False)
    assert proc.returncode != 0, proc.stdout
    assert "failed to parse inventory source" in proc.stdout.lower(), proc.stdout
    assert "PLAY [" not in proc.stdout, proc.stdout
