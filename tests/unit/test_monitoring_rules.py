"""Our alerting rules (roles/monitoring/files/rules/*.yml) checked and unit-tested with promtool.

* ``promtool check rules`` on every rule file;
* ``promtool test rules`` on its test file (tests/promtool/<concern>_test.yml);
* every alert has a test where it fires and one where it must not (the
  threshold from both sides), so a rule without a real test fails here;
* a rule whose threshold is moved makes its test fail (the tests can fail).

promtool comes from testbed/host-deps.sh (``make bed-deps``), which extracts
it from Debian's ``prometheus`` package into .cache/promtool/ without
installing the daemon. A missing promtool is a failure, never a skip.
"""

import glob
import os
import shutil
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES_DIR = os.path.join(REPO, "roles", "monitoring", "files", "rules")
TESTS_DIR = os.path.join(REPO, "tests", "promtool")
RULE_FILES = sorted(glob.glob(os.path.join(RULES_DIR, "*.yml")))
CONCERNS = [os.path.splitext(os.path.basename(p))[0] for p in RULE_FILES]
# The concerns issue 18 asks for: a file that disappears must fail, not shrink the suite.
REQUIRED = {"storage", "etcd", "gluster", "gpu", "cluster"}


def promtool():
    path = os.environ.get("PROMTOOL") or os.path.join(REPO, ".cache", "promtool", "promtool")
    if not os.access(path, os.X_OK):
        path = shutil.which("promtool")
    if not path:
        pytest.fail("promtool is missing: run `testbed/host-deps.sh` (make bed-deps) to extract it into "
                    ".cache/promtool/, or set PROMTOOL")
    return path


def run(*argv, cwd=REPO):
    return subprocess.run([promtool(), *argv], cwd=cwd, capture_output=True, text=True, check=False,
                          env=dict(os.environ, LC_ALL="C"))


def alerts_of(path):
    with open(path) as handle:
        data = yaml.safe_load(handle)
    return [rule["alert"] for group in data["groups"] for rule in group["rules"] if "alert" in rule]


def test_every_concern_has_a_rule_file():
    assert REQUIRED <= set(CONCERNS), "missing rule files: %s" % sorted(REQUIRED - set(CONCERNS))


@pytest.mark.parametrize("concern", CONCERNS)
def test_check_rules(concern):
    proc = run("check", "rules", os.path.join(RULES_DIR, concern + ".yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("concern", CONCERNS)
def test_test_rules(concern):
    test_file = os.path.join(TESTS_DIR, concern + "_test.yml")
    assert os.path.isfile(test_file), "%s has no promtool test: write %s" % (concern, test_file)
    proc = run("test", "rules", test_file)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("concern", CONCERNS)
def test_every_alert_is_tested_from_both_sides(concern):
    with open(os.path.join(TESTS_DIR, concern + "_test.yml")) as handle:
        tests = yaml.safe_load(handle)
    fires, silent = set(), set()
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    alerts = alerts_of(os.path.join(RULES_DIR, concern + ".yml"))
    assert alerts, "%s.yml has no alert" % concern
    assert not set(alerts) - fires, "alerts never tested firing: %s" % sorted(set(alerts) - fires)
    assert not set(alerts) - silent, "alerts never tested silent: %s" % sorted(set(alerts) - silent)


@pytest.mark.parametrize("concern,old,new", [
    ("storage", "> 0.02", "> 0.022"),           # 21 ms no longer above: the firing case fails
    ("storage", "> 0.02", "> 0.018"),           # 19 ms now above: the silent case fails
    ("etcd", ") > 0.01", ") > 0.009"),          # p99 9.33 ms would fire
    ("gluster", "max by (volume, brick)", "min by (volume, brick)"),  # one observer would be enough
    ("gpu", "DCGM_FI_DEV_GPU_TEMP > 85", "DCGM_FI_DEV_GPU_TEMP >= 85"),
    ("cluster", "< 14 * 86400", "< 15 * 86400"),
])
def test_moved_threshold_fails_its_test(tmp_path, concern, old, new):
    """The tests pin the thresholds: the same tests against a mutated rule file fail."""
    rules = tmp_path / "roles" / "monitoring" / "files" / "rules"
    rules.mkdir(parents=True)
    with open(os.path.join(RULES_DIR, concern + ".yml")) as handle:
        text = handle.read()
    assert old in text
    (rules / (concern + ".yml")).write_text(text.replace(old, new))
    tests = tmp_path / "tests" / "promtool"
    tests.mkdir(parents=True)
    shutil.copy(os.path.join(TESTS_DIR, concern + "_test.yml"), tests)
    proc = run("test", "rules", str(tests / (concern + "_test.yml")), cwd=str(tmp_path))
    assert proc.returncode != 0, proc.stdout
    assert "FAILED" in proc.stdout + proc.stderr
