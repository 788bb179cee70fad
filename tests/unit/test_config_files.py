"""mlplatform.installer.config_files: the module on a temporary directory, and
the action end to end through a real ansible-playbook on localhost, where a
template it renders must come out byte for byte as ansible.builtin.template's.
"""

import grp
import json
import os
import pwd
import stat
import subprocess
import sys

import plugin_module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(monkeypatch, capsys, files, check_mode=False, diff=False, **extra):
    files = [dict({"owner": USER, "group": GROUP}, **entry) for entry in files]
    module_args = dict(extra, files=files, _ansible_check_mode=check_mode, _ansible_diff=diff)
    return plugin_module.run_main(monkeypatch, capsys, plugin_module.load("config_files"), module_args)[0]


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_then_finds_nothing_to_change(monkeypatch, capsys, tmp_path):
    files = [{"dest": str(tmp_path / "a.conf"), "content": "a=1\n"},
             {"dest": str(tmp_path / "sub" / "dir" / "b.conf"), "content": "b=2\n", "mode": "0600"}]
    first = run(monkeypatch, capsys, files)
    assert first["changed"] is True and first["changed_paths"] == [f["dest"] for f in files]
    assert (tmp_path / "a.conf").read_text() == "a=1\n" and mode_of(tmp_path / "a.conf") == 0o644
    assert mode_of(tmp_path / "sub" / "dir" / "b.conf") == 0o600
    assert mode_of(tmp_path / "sub") == 0o755 and mode_of(tmp_path / "sub" / "dir") == 0o755
    second = run(monkeypatch, capsys, files)
    assert second["changed"] is False and second["changed_paths"] == []
    assert [f["changed"] for f in second["files"]] == [False, False]


def test_only_the_file_that_differs_is_reported(monkeypatch, capsys, tmp_path):
    (tmp_path / "same").write_text("x\n")
    (tmp_path / "other").write_text("old\n")
    os.chmod(tmp_path / "same", 0o644)
    os.chmod(tmp_path / "other", 0o644)
    (tmp_path / "mode").write_text("m\n")
    os.chmod(tmp_path / "mode", 0o600)
    result = run(monkeypatch, capsys, [{"dest": str(tmp_path / "same"), "content": "x\n"},
                                       {"dest": str(tmp_path / "other"), "content": "new\n"},
                                       {"dest": str(tmp_path / "mode"), "content": "m\n"}])
    assert result["changed_paths"] == [str(tmp_path / "other"), str(tmp_path / "mode")]
    assert (tmp_path / "other").read_text() == "new\n" and mode_of(tmp_path / "mode") == 0o644


def test_check_mode_reports_and_writes_nothing(monkeypatch, capsys, tmp_path):
    (tmp_path / "gone").write_text("bye\n")
    (tmp_path / "keep").write_text("old\n")
    result = run(monkeypatch, capsys, [{"dest": str(tmp_path / "new" / "f"), "content": "n\n"},
                                       {"dest": str(tmp_path / "keep"), "content": "new\n"},
                                       {"dest": str(tmp_path / "gone"), "state": "absent"}],
                 check_mode=True, diff=True)
    assert result["changed"] is True and len(result["changed_paths"]) == 3
    assert not (tmp_path / "new").exists()
    assert (tmp_path / "keep").read_text() == "old\n" and (tmp_path / "gone").exists()
    keep = [d for d in result["diff"] if d["after_header"] == str(tmp_path / "keep")][0]
    assert keep["before"] == "old\n" and keep["after"] == "new\n"


def test_absent_removes_a_file_and_refuses_a_directory(monkeypatch, capsys, tmp_path):
    (tmp_path / "f").write_text("x")
    result = run(monkeypatch, capsys, [{"dest": str(tmp_path / "f"), "state": "absent"},
                                       {"dest": str(tmp_path / "never"), "state": "absent"}])
    assert result["changed_paths"] == [str(tmp_path / "f")] and not (tmp_path / "f").exists()
    (tmp_path / "d").mkdir()
    result = run(monkeypatch, capsys, [{"dest": str(tmp_path / "d"), "state": "absent"}])
    assert result["failed"] is True and "is a directory" in result["msg"] and (tmp_path / "d").is_dir()


def test_a_failed_validation_keeps_the_old_file(monkeypatch, capsys, tmp_path):
    dest = tmp_path / "c.conf"
    dest.write_text("good\n")
    result = run(monkeypatch, capsys, [{"dest": str(dest), "content": "bad\n",
                                        "validate": "grep -q good %s"}])
    assert result["failed"] is True and "failed validation" in result["msg"] and str(dest) in result["msg"]
    assert dest.read_text() == "good\n" and os.listdir(tmp_path) == ["c.conf"]
    result = run(monkeypatch, capsys, [{"dest": str(dest), "content": "still good\n",
                                        "validate": "grep -q good %s"}])
    assert result["changed"] is True and dest.read_text() == "still good\n"


def test_present_needs_content(monkeypatch, capsys, tmp_path):
    result = run(monkeypatch, capsys, [{"dest": str(tmp_path / "x")}])
    assert result["failed"] is True and "no content" in result["msg"]


# --- the action, end to end --------------------------------------------------

ROLE_TEMPLATE = """# {{ ansible_managed }}
{% for server in servers %}
server {{ server }} iburst
{% endfor %}
{% if extra %}
extra {{ extra }}
{% endif %}
trailing
"""

PLAY = """---
- name: config_files against ansible.builtin.template
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    servers: [ntp1.example.test, ntp2.example.test]
    extra: "yes"
  roles:
    - demo
"""

ROLE_TASKS = """---
- name: Render with ansible.builtin.template
  ansible.builtin.template:
    src: chrony.conf.j2
    dest: "{{ out }}/by-template.conf"
    mode: "0644"

- name: Render, copy and remove with config_files
  mlplatform.installer.config_files:
    files:
      - dest: "{{ out }}/by-config-files.conf"
        template: chrony.conf.j2
        owner: "{{ user }}"
        group: "{{ group }}"
      - dest: "{{ out }}/copied/helper.sh"
        src: helper.sh
        mode: "0755"
        owner: "{{ user }}"
        group: "{{ group }}"
      - dest: "{{ out }}/stale.conf"
        state: absent
  register: files_result

- name: Record the result
  ansible.builtin.copy:
    content: "{{ files_result | to_json }}"
    dest: "{{ out }}/result.json"
    mode: "0644"
"""


def _role(tmp_path):
    role = tmp_path / "roles" / "demo"
    for sub in ("tasks", "templates", "files"):
        (role / sub).mkdir(parents=True)
    (role / "tasks" / "main.yml").write_text(ROLE_TASKS)
    (role / "templates" / "chrony.conf.j2").write_text(ROLE_TEMPLATE)
    (role / "files" / "helper.sh").write_text("#!/bin/sh\necho helper\n")
    (tmp_path / "play.yml").write_text(PLAY)


def _play(tmp_path, out, *extra):
    env = dict(os.environ, ANSIBLE_ROLES_PATH=str(tmp_path / "roles"), ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1")
    argv = [ANSIBLE_PLAYBOOK, str(tmp_path / "play.yml"), "-i", "localhost,",
            "-e", "out=%s user=%s group=%s ansible_python_interpreter=%s" % (out, USER, GROUP, sys.executable)] + list(extra)
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_action_renders_as_the_template_module_does_and_reruns_unchanged(tmp_path):
    _role(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.conf").write_text("old")
    first = _play(tmp_path, out)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (out / "by-config-files.conf").read_bytes() == (out / "by-template.conf").read_bytes()
    assert "server ntp2.example.test iburst\nextra yes\ntrailing\n" in (out / "by-template.conf").read_text()
    assert (out / "copied" / "helper.sh").read_text() == "#!/bin/sh\necho helper\n"
    assert mode_of(out / "copied" / "helper.sh") == 0o755 and not (out / "stale.conf").exists()
    result = json.loads((out / "result.json").read_text())
    assert result["changed"] is True and "invocation" not in result
    assert sorted(result["changed_paths"]) == sorted(
        [str(out / "by-config-files.conf"), str(out / "copied" / "helper.sh"), str(out / "stale.conf")])
    second = _play(tmp_path, out)
    assert second.returncode == 0, second.stdout + second.stderr
    assert json.loads((out / "result.json").read_text())["changed_paths"] == []


def test_action_refuses_an_entry_without_one_source_before_the_node(tmp_path):
    _role(tmp_path)
    tasks = tmp_path / "roles" / "demo" / "tasks" / "main.yml"
    tasks.write_text(ROLE_TASKS.replace("        src: helper.sh\n", "        src: helper.sh\n        content: x\n"))
    out = tmp_path / "out"
    out.mkdir()
    run = _play(tmp_path, out)
    assert run.returncode != 0
    assert "copied/helper.sh: give exactly one of template, src or content (got src, content)" in run.stdout
    assert not (out / "by-config-files.conf").exists()
