"""The failure summary `make test` prints last, where CI shows it.

Fixtures are real output: an ansible-playbook run with a failing assert
(colours on, as molecule runs it) and a yamllint run on a broken file.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import run_all  # noqa: E402  (tests/run_all.py is a script, not a package)

FIXTURES = os.path.join(HERE, "fixtures", "run_all")


def test_ansible_failure_gives_the_task_message_without_colours():
    lines = run_all.why(os.path.join(FIXTURES, "ansible-fatal.log"))
    assert lines[0].startswith("fatal: [localhost]: FAILED!")
    assert any("cp1: etcd fdatasync p99 140 ms > 10 ms" in line for line in lines)
    assert not any("\x1b" in line for line in lines)


def test_yamllint_failure_gives_the_first_error_not_the_warning():
    lines = run_all.why(os.path.join(FIXTURES, "yamllint.log"))
    assert lines[0] == "1:4       error    too many spaces after colon  (colons)"


@pytest.mark.parametrize("text, expected", [
    # molecule prints this on every run; it is not why a scenario failed.
    ("CRITICAL 'molecule/default/molecule.yml' glob failed.  Exiting.\nINFO ok\n", []),
    # pytest inside molecule's box, then its summary line.
    ("  \u2502 E   assert 'ops' == 'root'\n  \u2502 FAILED tests/test_x.py::test_user - assert\n",
     ["E   assert 'ops' == 'root'", "FAILED tests/test_x.py::test_user - assert"]),
])
def test_molecule_lines(tmp_path, text, expected):
    log = tmp_path / "molecule.log"
    log.write_text(text)
    assert run_all.why(str(log)) == expected


def test_sanity_warnings_repeated_after_the_last_test_belong_to_no_test():
    """A real passing run: ansible-test repeats "pwsh not found" after yamllint, the last test."""
    with open(os.path.join(FIXTURES, "ansible-test-sanity-pass.log")) as handle:
        tests = {t["name"]: t for t in run_all.parse_sanity_log(handle)}
    assert len(tests) == 24 and not any(t["errors"] for t in tests.values())
    assert [name for name, t in tests.items() if t["missing"]] == ["pslint"]


def test_sanity_fatal_summary_does_not_fail_the_last_test():
    lines = ['Running sanity test "pep8"\n', "ERROR: x.py:1:1: E302: expected 2 blank lines\n",
             'Running sanity test "yamllint"\n', "WARNING: Reviewing previous 1 warning(s):\n",
             'WARNING: Required program "pwsh" not found.\n',
             "FATAL: The 1 sanity test(s) listed below (out of 2) failed. See error output above for details.\n",
             "pep8\n"]
    tests = run_all.parse_sanity_log(lines)
    assert [(t["name"], len(t["errors"]), t["missing"]) for t in tests] == [("pep8", 1, None), ("yamllint", 0, None)]


def _scenarios(tmp_path, monkeypatch, names):
    for name in names:
        (tmp_path / "molecule" / name).mkdir(parents=True)
        (tmp_path / "molecule" / name / "molecule.yml").write_text("---\n")
    monkeypatch.setattr(run_all, "REPO", str(tmp_path))


def test_molecule_runs_two_scenarios_at_once_slow_ones_first(tmp_path, monkeypatch):
    import threading
    import time as clock
    _scenarios(tmp_path, monkeypatch, ["a_quick", "gluster", "kubernetes", "z_quick"])
    started, running, most = [], [0], [0]
    guard = threading.Lock()

    def fake_run(argv, log_name):
        with guard:
            started.append(argv[-1])
            running[0] += 1
            most[0] = max(most[0], running[0])
        clock.sleep(0.2)
        with guard:
            running[0] -= 1
        log = tmp_path / (log_name + ".log")
        log.write_text("fatal: [n1]: FAILED! => boom\n" if argv[-1] == "z_quick" else "ok\n")
        return (2 if argv[-1] == "z_quick" else 0), 0.2, str(log)

    monkeypatch.setattr(run_all, "run", fake_run)
    monkeypatch.delenv("MOLECULE_SCENARIOS", raising=False)
    monkeypatch.delenv("MOLECULE_JOBS", raising=False)
    results = run_all.Results()
    run_all.stage_molecule(results)
    assert started[:2] == ["kubernetes", "gluster"] and most[0] == 2
    assert sorted((r[1], r[2]) for r in results.rows) == [
        ("a_quick", True), ("gluster", True), ("kubernetes", True), ("z_quick", False)]
    assert results.reasons[0][0] == "z_quick" and "boom" in results.reasons[0][1][0]


def test_molecule_jobs_must_be_a_whole_number(monkeypatch):
    monkeypatch.setenv("MOLECULE_JOBS", "two")
    with pytest.raises(SystemExit, match="MOLECULE_JOBS='two'"):
        run_all.molecule_jobs()
    monkeypatch.setenv("MOLECULE_JOBS", "1")
    assert run_all.molecule_jobs() == 1
