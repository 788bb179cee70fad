"""mlplatform.installer.kubespray_run end to end, with a stand-in Kubespray collection.

A real ansible-playbook runs a play that calls the action; the action runs a
second, real ansible-playbook on `kubernetes_sigs.kubespray.cluster` from a
collection directory made here (its playbook is
fixtures/kubespray_run/playbook.yml; every host is localhost with the local
connection). Proves: each PLAY is shown while it runs, the log is written
mode 0600 under the given directory, the recap is summarised, a failure names
host, task and log line, extra vars travel in a 0600 file that is gone
afterwards and never on the command line, our own ANSIBLE_* settings do not
reach Kubespray, extra-vars.yml of the generated inventory is applied, a
missing collection names the install and mirror commands, and check mode
runs nothing.
"""

import concurrent.futures
import os
import re
import stat
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "kubespray_run")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
SECRET = "s3cr3t-in-vars-file"

DRIVER = """---
- name: Drive kubespray_run
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run Kubespray
      mlplatform.installer.kubespray_run:
        playbook: cluster
        inventory: "{{ work }}/generated"
        log_dir: "{{ work }}/reports"
        collections_paths: ["{{ collections_dir }}"]
        extra_vars: "{{ run_vars }}"
      register: run
      no_log: "{{ hide | default(false) }}"

    - name: Show the result
      ansible.builtin.debug:
        msg: "RESULT {{ run | to_json }}"
"""

# Appended to the stand-in cluster.yml: what Kubespray's process sees.
PROBE = """
- name: Report what Kubespray sees
  hosts: node1
  gather_facts: false
  tasks:
    - name: Write it down
      ansible.builtin.copy:
        dest: "{{ probe_file }}"
        mode: "0600"
        content: "{{ {'secret': secret | default(''), 'serial': serial_from_inventory | default(''),
                      'ansible_config': lookup('env', 'ANSIBLE_CONFIG'),
                      'roles_path': lookup('env', 'ANSIBLE_ROLES_PATH'),
                      'vars_files': lookup('ansible.builtin.pipe', 'ps -o args= -p $PPID')}
                    | to_json }}"
"""


def _setup(root, with_collection=True):
    work = root
    playbooks = work / "collections" / "ansible_collections" / "kubernetes_sigs" / "kubespray" / "playbooks"
    if with_collection:
        playbooks.mkdir(parents=True)
        text = open(os.path.join(FIXTURES, "playbook.yml"), encoding="utf-8").read()
        (playbooks / "cluster.yml").write_text(text + PROBE, encoding="utf-8")
    else:
        (work / "collections").mkdir()
    generated = work / "generated"
    (generated / "group_vars" / "all").mkdir(parents=True)
    hosts = yaml.safe_load(open(os.path.join(FIXTURES, "hosts.yml"), encoding="utf-8"))
    (generated / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (generated / "group_vars" / "all" / "all.yml").write_text("probe_file: %s/probe.json\n" % work,
                                                              encoding="utf-8")
    (generated / "extra-vars.yml").write_text("serial_from_inventory: 20%\n", encoding="utf-8")
    (work / "driver.yml").write_text(DRIVER, encoding="utf-8")
    return work


def _run(work, run_vars, *extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"))
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", str(work / "driver.yml"),
         "-e", "work=%s collections_dir=%s" % (work, work / "collections"),
         "-e", yaml.safe_dump({"run_vars": run_vars}, default_flow_style=True).strip(), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    match = re.search(r'"msg": "RESULT (.*)"\n', out)
    result = yaml.safe_load(match.group(1).encode().decode("unicode_escape")) if match else None
    return proc.returncode, out, result


@pytest.fixture(name="runs", scope="module")
def fixture_runs(tmp_path_factory):
    jobs = {
        "ok": (_setup(tmp_path_factory.mktemp("ok")), {"secret": SECRET}),
        "failed": (_setup(tmp_path_factory.mktemp("failed")), {"capture_fail": True}),
        "missing": (_setup(tmp_path_factory.mktemp("missing"), with_collection=False), {}),
        "check": (_setup(tmp_path_factory.mktemp("check")), {}, "--check"),
    }
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(_run, job[0], job[1], *job[2:]) for name, job in jobs.items()}
        return {name: (jobs[name][0],) + future.result() for name, future in futures.items()}


def test_plays_shown_while_running_and_recap_summarised(runs):
    work, rc, out, result = runs["ok"]
    assert rc == 0, out[-3000:]
    shown = re.findall(r"kubespray cluster \[\d+s\]: PLAY \[(.*)\] \(log line (\d+)\)", out)
    assert [name for name, _line in shown] == ["Gather facts", "Install Kubernetes nodes", "Apply resources",
                                               "Report what Kubespray sees"]
    log = result["log"]
    assert os.path.dirname(log) == str(work / "reports")
    assert re.fullmatch(r"kubespray-cluster-\d{8}T\d{6}Z\.log", os.path.basename(log))
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    lines = open(log, encoding="utf-8").read().splitlines()
    for name, number in shown:
        assert lines[int(number) - 1].startswith("PLAY [%s]" % name)
    assert result["msg"].startswith("kubernetes_sigs.kubespray.cluster passed on 2 hosts (ok=")
    assert result["changed"] is True and result["rc"] == 0


def test_extra_vars_travel_in_a_file_and_our_settings_stay_home(runs):
    work, rc, out, result = runs["ok"]
    assert rc == 0, out[-3000:]
    probe = yaml.safe_load((work / "probe.json").read_text(encoding="utf-8"))
    assert probe["secret"] == SECRET
    assert probe["serial"] == "20%"
    assert probe["ansible_config"] == "" and probe["roles_path"] == ""
    # Kubespray's own command line: the generated hosts file, the generated
    # extra vars, and a vars file, never the value.
    assert SECRET not in probe["vars_files"]
    assert "-i %s/generated/hosts.yml" % work in probe["vars_files"]
    assert "-e @%s/generated/extra-vars.yml" % work in probe["vars_files"]
    vars_file = re.search(r"-e @(\S*kubespray-vars-\S*/vars\.yml)", probe["vars_files"]).group(1)
    assert not os.path.exists(os.path.dirname(vars_file))
    assert "@<vars file>" in result["command"]
    assert SECRET not in out


def test_a_failure_names_host_task_and_log_line(runs):
    _work, rc, out, result = runs["failed"]
    assert rc != 0
    flat = " ".join(out.split())
    match = re.search(r"kubernetes_sigs\.kubespray\.cluster failed \(rc=2\): node2 failed at task \[Kubernetes Apps "
                      r"\| Check that the API answers\] \(play \[Install Kubernetes nodes\]\), log line (\d+): "
                      r"non-zero return code: connection refused", flat)
    assert match, flat[-3000:]
    log = re.search(r"Log: (\S+kubespray-cluster-\S+\.log)", flat).group(1)
    assert open(log, encoding="utf-8").read().splitlines()[int(match.group(1)) - 1].startswith("fatal: [node2]")
    assert result is None  # the task failed: the play stopped there


def test_missing_collection_says_how_to_install_and_mirror(runs):
    work, rc, out, _result = runs["missing"]
    assert rc != 0
    flat = " ".join(out.split())
    assert "Kubespray (kubernetes_sigs.kubespray) is not installed in any of %s/collections" % work in flat
    assert "make collections" in flat
    assert "ansible-galaxy collection install -r requirements.yml -p collections" in flat
    assert "ansible-galaxy collection download -r requirements.yml" in flat
    # A refusal, not a crash: no bare traceback line above the message.
    assert "An exception occurred" not in flat
    assert not (work / "reports").exists()


def test_check_mode_runs_nothing(runs):
    work, rc, out, result = runs["check"]
    assert rc == 0, out[-3000:]
    assert result["changed"] is True
    assert result["msg"].startswith("check mode: would run ")
    assert "kubernetes_sigs.kubespray.cluster" in result["msg"]
    assert not (work / "reports").exists() and not (work / "probe.json").exists()
    assert "PLAY [Gather facts]" not in out
