"""Reading Kubespray's ansible-playbook output, on real captured output.

tests/unit/fixtures/kubespray_run/*.log are what ansible-playbook 2.18 (the
venv's) printed for fixtures/kubespray_run/playbook.yml with Kubespray's
output settings (profile_tasks, skipped hosts hidden; fixtures/ansible.cfg):
a clean run, a task failing on one host, a loop item failing on two hosts
after an ignored failure, an unreachable host (a closed loopback port) and a
playbook that does not exist. capture.sh re-captures them.
"""

import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_run as kr

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "kubespray_run")


def _parsed(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        text = handle.read()
    return text, kr.parse(text)


def _line(text, number):
    return text.splitlines()[number - 1]


def test_plays_are_seen_in_order_with_their_line():
    text, parser = _parsed("ok.log")
    assert [p["name"] for p in parser.plays] == ["Gather facts", "Install Kubernetes nodes", "Apply resources"]
    for play in parser.plays:
        assert _line(text, play["line"]).startswith("PLAY [%s]" % play["name"])


def test_play_line_detection():
    assert kr.play_name("PLAY [Install Kubernetes nodes] ****************\n") == "Install Kubernetes nodes"
    assert kr.play_name("PLAY RECAP *************") is None
    assert kr.play_name("TASK [PLAY [x]] ****") is None
    assert kr.play_name("ok: [PLAY [x]]") is None


def test_clean_run_recap_and_summary():
    _text, parser = _parsed("ok.log")
    assert parser.failures == [] and parser.errors == []
    assert parser.recap == {
        "node1": {"ok": 5, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 2, "rescued": 0, "ignored": 1},
        "node2": {"ok": 5, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 2, "rescued": 0, "ignored": 1}}
    assert kr.failed_hosts(parser.recap) == []
    assert kr.summary("cluster", 0, parser, "/r/kubespray-cluster.log") == (
        "kubernetes_sigs.kubespray.cluster passed on 2 hosts (ok=10, changed=2, unreachable=0, failed=0, skipped=4, "
        "rescued=0, ignored=2); log: /r/kubespray-cluster.log")


def test_an_ignored_failure_is_no_failure():
    _text, parser = _parsed("ok.log")
    assert parser.recap["node1"]["ignored"] == 1
    assert parser.failures == []


def test_failed_task_names_host_task_play_and_line():
    text, parser = _parsed("failed.log")
    assert len(parser.failures) == 1
    failure = parser.failures[0]
    assert failure["host"] == "node2" and failure["task"] == "Kubernetes Apps | Check that the API answers"
    assert failure["play"] == "Install Kubernetes nodes"
    assert _line(text, failure["line"]).startswith("fatal: [node2]: FAILED!")
    assert failure["msg"] == "non-zero return code: connection refused"
    assert kr.failed_hosts(parser.recap) == ["node2"]
    message = kr.summary("scale", 2, parser, "/r/k.log")
    assert message.startswith(
        "kubernetes_sigs.kubespray.scale failed (rc=2): node2 failed at task [Kubernetes Apps | Check that the API "
        "answers] (play [Install Kubernetes nodes]), log line %d: non-zero return code: connection refused."
        % failure["line"])
    assert message.endswith("Log: /r/k.log")


def test_failed_loop_items_name_each_host_once():
    text, parser = _parsed("failed-loop.log")
    assert [(f["host"], f["item"]) for f in parser.failures] == [("node2", "crictl"), ("node1", "crictl")]
    assert all(f["task"] == "Extract_file | Unpacking archive" for f in parser.failures)
    for failure in parser.failures:
        assert _line(text, failure["line"]).startswith("failed: [%s] (item=crictl)" % failure["host"])
    message = kr.summary("cluster", 2, parser, "/r/k.log")
    assert message.count("at task [Extract_file | Unpacking archive]") == 2
    # The ignored failure before it is not named.
    assert "Check if a previous install" not in message


def test_unreachable_host_is_named_as_such():
    _text, parser = _parsed("unreachable.log")
    assert [(f["host"], f["unreachable"]) for f in parser.failures] == [("node2", True)]
    assert parser.recap["node2"]["unreachable"] == 1
    message = kr.summary("cluster", 4, parser, "/r/k.log")
    assert "node2 unreachable at task [Kubernetes Apps | Wait for kube-apiserver]" in message
    assert "port 9: Connection refused" in message


def test_an_ansible_error_before_any_play_is_named():
    _text, parser = _parsed("syntax-error.log")
    assert parser.plays == [] and parser.recap == {}
    assert parser.errors == [{"line": 1, "msg": "the playbook: tests/unit/fixtures/kubespray_run/missing-playbook.yml "
                                                "could not be found"}]
    message = kr.summary("cluster", 1, parser, "/r/k.log")
    assert "ansible-playbook: the playbook: tests/unit/fixtures/kubespray_run/missing-playbook.yml could not be " \
           "found (log line 1)" in message
    assert "Recap: none (it stopped before any play ended)" in message


def test_streaming_gives_each_play_as_its_line_arrives():
    with open(os.path.join(FIXTURES, "failed.log"), encoding="utf-8") as handle:
        lines = handle.readlines()
    parser = kr.OutputParser()
    seen = [(parser.lineno, name) for name in (parser.feed(line) for line in lines) if name]
    assert [name for _n, name in seen] == ["Gather facts", "Install Kubernetes nodes", "Apply resources"]
    parser.close()
    assert parser.failures and parser.recap


def test_command_never_carries_variables():
    argv = kr.command("/venv/bin/ansible-playbook", "scale", "/inv/artifacts/kubespray/", limit=["wk03", "wk04"],
                      vars_files=["/inv/artifacts/kubespray/extra-vars.yml", "/tmp/x/vars.yml"])
    assert argv == ["/venv/bin/ansible-playbook", "-i", "/inv/artifacts/kubespray/hosts.yml",
                    "kubernetes_sigs.kubespray.scale", "--limit", "wk03,wk04",
                    "-e", "@/inv/artifacts/kubespray/extra-vars.yml", "-e", "@/tmp/x/vars.yml"]
    assert kr.command("ap", "cluster", "i")[-1] == "kubernetes_sigs.kubespray.cluster"
    with pytest.raises(ValueError, match="use one of cluster, scale, upgrade_cluster, reset, remove_node, facts"):
        kr.command("ap", "upgrade", "i")
