"""containerd's hosts.toml in molecule/registry_mirror is the file Kubespray writes.

molecule/registry_mirror renders certs.d/<registry>/hosts.toml with this
project's own template (Kubespray's code is not kept here). The fixture
tests/fixtures/mirror/kubespray-hosts-toml.json holds what Kubespray v2.31.0's
own template wrote, by Ansible, for containerd_registries_mirrors entries the
Kubespray mapping produced (its provenance is in the file). Here:

* the fixture's input is still what the mapping produces for the scenario's
  description (a change of the mapping makes this fail: record the fixture again);
* the scenario's template, rendered by ansible-playbook's template module,
  writes byte for byte what Kubespray's did, with and without the CA;
* the mapping writes no key of an entry that the template would drop.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory as ki

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO = os.path.join(REPO, "molecule", "registry_mirror")
FIXTURE = os.path.join(REPO, "tests", "fixtures", "mirror", "kubespray-hosts-toml.json")
# The keys of a mirror host the scenario's template writes.
TEMPLATE_KEYS = {"host", "capabilities", "skip_verify", "override_path", "ca"}


@pytest.fixture(name="recorded", scope="module")
def fixture_recorded():
    with open(FIXTURE, encoding="utf-8") as handle:
        return json.load(handle)


def _scenario_description(ca=True):
    with open(os.path.join(SCENARIO, "molecule.yml"), encoding="utf-8") as handle:
        scenario = yaml.safe_load(handle)
    values = dict(scenario["provisioner"]["inventory"]["group_vars"]["all"])
    values["cluster_ca_bundle"] = "/pki/mirror-ca.pem" if ca else ""
    host = scenario["platforms"][0]
    node_ip = scenario["provisioner"]["inventory"]["host_vars"][host["name"]]["node_ip"]
    groups = {group: [host["name"]] for group in host["groups"]}
    groups["all"] = [host["name"]]
    return {"groups": groups, "hostvars": {host["name"]: dict(values, node_ip=node_ip)}}


@pytest.mark.parametrize("case, ca", [("with_ca", True), ("without_ca", False)])
def test_the_recorded_input_is_the_mappings_output(recorded, case, ca):
    inventory = ki.generate(_scenario_description(ca), [])
    assert inventory.problems == []
    assert inventory.variables()["containerd_registries_mirrors"] == recorded[case]["input"]


def test_the_template_covers_every_key_the_mapping_writes(recorded):
    for case in ("with_ca", "without_ca"):
        for entry in recorded[case]["input"]:
            assert set(entry) == {"prefix", "server", "mirrors"}
            for host in entry["mirrors"]:
                assert set(host) <= TEMPLATE_KEYS, set(host) - TEMPLATE_KEYS


def _unshare_works():
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return False


def test_the_scenario_template_writes_what_kubespray_writes(recorded, tmp_path):
    cases = {case: recorded[case]["input"] for case in ("with_ca", "without_ca")}
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    tasks = []
    for case in cases:
        tasks.append({"name": "Render %s" % case, "ansible.builtin.template": {
            "src": os.path.join(SCENARIO, "templates", "hosts.toml.j2"),
            "dest": "%s/%s-{{ item.prefix }}" % (tmp_path, case), "mode": "0644"},
            "loop": "{{ cases.%s }}" % case})
    play = [{"name": "Render hosts.toml", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"cases": "{{ lookup('ansible.builtin.file', '%s/cases.json') | from_json }}" % tmp_path},
             "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = ["ansible-playbook", "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable,
               str(tmp_path / "play.yml")]
    if _unshare_works():
        command = ["unshare", "-rn"] + command
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for case in cases:
        for prefix, text in recorded[case]["files"].items():
            assert (tmp_path / ("%s-%s" % (case, prefix))).read_text() == text, (case, prefix)
