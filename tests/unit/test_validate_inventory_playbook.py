"""The real `ansible-playbook playbooks/validate_inventory.yml` against good and
broken inventories (subprocesses, run in parallel to keep the file fast)."""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
PLAYBOOK = os.path.join(REPO, "playbooks", "validate_inventory.yml")
BROKEN = os.path.join(REPO, "tests", "fixtures", "inventories", "broken")
GOOD = ["sample", "lab", "production", "testbed"]
BROKEN_SAMPLE = ["node-ip-duplicate", "etcd-even", "ca-bundle-expired", "hostname-listed-twice",
                 "node-ip-undefined-template", "release-kubernetes-not-in-kubespray", "release-container-runtime-docker"]
SECOND_PLAY = "Touch every host after the validation"
SITE = os.path.join(REPO, "playbooks", "site.yml")

# The release bundle of a copy of the production inventory, changed so that
# only the compatibility matrix can refuse it: the real site.yml must stop in
# the validation play with the rule's message, before provisioning.
BUNDLE_EDITS = {
    "kubernetes-1.32.9": (
        [("kubernetes: 1.35.4", "kubernetes: 1.32.9")],
        "all: cluster_release.kubernetes = '1.32.9': Kubespray installs only the Kubernetes versions it has checksums "
        "for: expected one of 1.33.0-1.33.11, 1.34.0-1.34.7, 1.35.0-1.35.4 (Kubespray v2.31.0)"),
    "driver-branch-470": (
        [("os: [ubuntu-24.04]", "os: [ubuntu-24.04]\n  gpu_operator: v26.7.0\n  nvidia_driver: 470.256.02")],
        "all: cluster_release.nvidia_driver = '470.256.02': the GPU Operator supports only the listed driver "
        "branches: expected a driver from branch 535, 580, 595, 610 (GPU Operator v26.7.0)"),
}

# Four defects in four places of a copy of the production inventory.
MULTI_EDITS = [
    ("hosts.yml", "node_ip: 10.40.8.22", "node_ip: 10.40.8.21"),
    ("hosts.yml", "        cp02:\n        cp03:\n", "        cp02:\n"),
    ("group_vars/all/cluster.yml", "cluster_gateway: 10.40.8.1", "cluster_gateway: 10.40.9.1"),
    ("group_vars/all/cluster.yml", "kubernetes: 1.35.4", "kubernetes: 1.35"),
]
MULTI_MESSAGES = [
    "all: cluster_gateway = '10.40.9.1': is outside cluster_subnet 10.40.8.0/24",
    "host wk02: node_ip = '10.40.8.21': is already the address of host wk01",
    "group etcd: hosts = ['cp01', 'cp02']: etcd needs an odd number of members",
    "all: cluster_release.kubernetes = 1.35: YAML read the version as a number",
]


def _expectation(name):
    """Every `# expect:` line of the fixture: substrings of its one message."""
    with open(os.path.join(BROKEN, name + ".yml"), encoding="utf-8") as handle:
        return re.findall(r"^# expect: (.+)$", handle.read(), re.M)


def _run(inventory, *extra, playbook=PLAYBOOK, isolated=False):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PY_COLORS="0",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    # isolated: a network namespace without routes (unshare -rn), for playbooks that would
    # reach the inventory's example addresses should validation let them through.
    prefix = ["unshare", "-rn"] if isolated else []
    proc = subprocess.run([*prefix, ANSIBLE_PLAYBOOK, "-i", inventory, playbook, *extra], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout


@pytest.fixture(name="runs", scope="module")
def fixture_runs(tmp_path_factory):
    """Start every ansible-playbook run of this file at once; tests read the results."""
    work = tmp_path_factory.mktemp("validate_inventory")
    multi = work / "production-with-defects"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), multi)
    for name, old, new in MULTI_EDITS:
        path = multi / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    site = work / "site.yml"
    site.write_text(
        "---\n"
        "- name: Validate the cluster description\n"
        "  ansible.builtin.import_playbook: %s\n"
        "- name: %s\n"
        "  hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Reach the host\n"
        "      ansible.builtin.ping:\n" % (PLAYBOOK, SECOND_PLAY), encoding="utf-8")
    jobs = {("good", name): (os.path.join(REPO, "inventories", name),) for name in GOOD}
    jobs.update({("broken", name): (os.path.join(BROKEN, name + ".yml"),) for name in BROKEN_SAMPLE})
    for name, (edits, _message) in BUNDLE_EDITS.items():
        copy = work / ("production-" + name)
        shutil.copytree(os.path.join(REPO, "inventories", "production"), copy)
        path = copy / "group_vars" / "all" / "cluster.yml"
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        jobs[("bundle", name)] = (str(copy),)
    jobs[("multi", "site")] = (str(multi), "--", str(site))
    jobs[("multi", "site-limit-tags")] = (str(multi), "--limit", "wk01", "--tags", "kubernetes", "--", str(site))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {}
        for key, args in jobs.items():
            if "--" in args:
                cut = args.index("--")
                futures[key] = pool.submit(_run, args[0], *args[1:cut], playbook=args[cut + 1])
            elif key[0] == "bundle":
                futures[key] = pool.submit(_run, *args, playbook=SITE, isolated=True)
            else:
                futures[key] = pool.submit(_run, *args)
        return {key: future.result() for key, future in futures.items()}


def _defect_list(output):
    """The numbered defect messages the role prints."""
    return re.findall(r'^\s+"(\d+)\. (.*)",?$', output, re.M)


@pytest.mark.parametrize("name", GOOD)
def test_good_inventory_passes(runs, name):
    rc, output = runs[("good", name)]
    assert rc == 0, output
    assert "Cluster description valid" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("name", BROKEN_SAMPLE)
def test_broken_inventory_stops_with_its_message(runs, name):
    rc, output = runs[("broken", name)]
    assert rc == 2, output
    defects = _defect_list(output)
    assert len(defects) == 1, output
    assert defects[0][0] == "1"
    for part in _expectation(name):
        assert part in defects[0][1].replace('\\"', '"'), (part, output)
    assert "No host was touched" in output
    assert "Traceback" not in output


def test_every_defect_is_listed_in_one_run(runs):
    rc, output = runs[("multi", "site")]
    assert rc == 2, output
    defects = _defect_list(output)
    assert [number for number, _text in defects] == ["1", "2", "3", "4"], output
    for message in MULTI_MESSAGES:
        assert any(message in text for _number, text in defects), (message, output)
    assert "has 4 defect(s)" in output


@pytest.mark.parametrize("key", ["site", "site-limit-tags"])
def test_site_stops_in_the_validation_play(runs, key):
    """Imported first, the validation stops the run before any play touches a host,
    also under --limit (a localhost-only play would be skipped) and --tags."""
    rc, output = runs[("multi", key)]
    assert rc == 2, output
    assert len(_defect_list(output)) == 4, output
    assert "PLAY [Inventory | validate the cluster description]" in output
    assert "PLAY [%s]" % SECOND_PLAY not in output
    assert "Reach the host" not in output


@pytest.mark.parametrize("name", sorted(BUNDLE_EDITS))
def test_site_refuses_an_incompatible_bundle_before_any_host(runs, name):
    """Issue 13's acceptance: the real playbooks/site.yml on a copy of production whose bundle
    breaks a compatibility rule stops in the validation play, naming the rule, before the
    provisioning play (the Hyper-V hosts) starts."""
    rc, output = runs[("bundle", name)]
    assert rc == 2, output
    defects = _defect_list(output)
    assert len(defects) == 1, output
    assert BUNDLE_EDITS[name][1] in defects[0][1].replace('\\"', '"'), output
    assert "No host was touched" in output
    plays = re.findall(r"^PLAY \[(.*)\]", output, re.M)
    assert plays == ["Inventory | validate the cluster description"], plays
    assert "Traceback" not in output
