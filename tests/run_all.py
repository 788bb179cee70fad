#!/usr/bin/env python3
"""Run the whole test suite and end with one `N passed, N failed, N skipped` line.

Stages, in order (each can be run alone with --only):
  lint      yamllint and ansible-lint (production profile, no skips)
  syntax    ansible-playbook --syntax-check of every playbook in playbooks/
  unit      pytest (every test counts on its own, read from a JUnit report)
  molecule  every scenario in molecule/ (`molecule test`: create, converge,
            idempotence, verify, destroy)

A stage that finds nothing to run is a failure, not a pass: an empty suite
must never look green.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = os.path.join(REPO, "reports")
BED_INVENTORY = "inventories/testbed"


class Results:
    def __init__(self):
        self.rows = []  # (stage, name, ok, seconds, detail)
        self.reasons = []  # (name, [lines]): repeated at the end, where CI shows them
        self.skipped = []  # (name, reason): never a pass, always counted and named

    def add(self, stage, name, ok, seconds, detail="", log=None):
        """One result; a failure with a log also gets its reason for the end."""
        self.rows.append((stage, name, ok, seconds, detail))
        if not ok and log:
            self.reasons.append((name, why(log) or tail(log, 4).splitlines()))
        mark = "PASS" if ok else "FAIL"
        print("[%s] %-9s %s (%.1fs)%s" % (mark, stage, name, seconds,
                                          (": " + detail) if detail and not ok else ""), flush=True)

    @property
    def passed(self):
        return sum(1 for r in self.rows if r[2])

    @property
    def failed(self):
        return sum(1 for r in self.rows if not r[2])


def run(argv, log_name):
    """Run a command from the repo root, its output to reports/<log_name>.log."""
    os.makedirs(REPORTS, exist_ok=True)
    log = os.path.join(REPORTS, log_name + ".log")
    started = time.monotonic()
    with open(log, "w") as handle:
        proc = subprocess.run(argv, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    return proc.returncode, time.monotonic() - started, log


def tail(path, lines=25):
    with open(path, errors="replace") as handle:
        return "".join(handle.readlines()[-lines:])


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Lines that say why a run failed: Ansible's task failures, molecule's own
# verdicts, pytest's errors. The first one and a few after it are the reason,
# with the names of failed tests; the rest of the log stays in reports/.
_WHY = re.compile(r"^(fatal: \[|failed: \[|E\s|ERROR!|CRITICAL)|UNREACHABLE!|Idempotence test failed|\serror\s")
_FAILED_TEST = re.compile(r"^FAILED \S+::")
# molecule says this on every run (there is no default scenario): not a failure.
_NOT_WHY = re.compile(r"molecule/default/molecule.yml' glob failed")


def why(path, lines=6, width=240):
    """The first failure lines of a log, short enough for a CI summary."""
    with open(path, errors="replace") as handle:
        # molecule indents Ansible's and pytest's output behind a box-drawing bar.
        text = [_ANSI.sub("", line).strip().lstrip("\u2502").strip() for line in handle]
    text = [line for line in text if line]
    reason = []
    for index, line in enumerate(text):
        if _WHY.search(line) and not _NOT_WHY.search(line):
            reason = [l[:width] for l in text[index:index + lines]]
            break
    failed_tests = [line[:width] for line in text if _FAILED_TEST.match(line)][:5]
    return reason + [line for line in failed_tests if line not in reason]


def stage_lint(results):
    for name, argv in (("yamllint", ["yamllint", "-s", "."]),
                       ("ansible-lint", ["ansible-lint", "--profile", "production"])):
        rc, secs, log = run(argv, name)
        if rc != 0:
            print(tail(log, 60))
        results.add("lint", name, rc == 0, secs, "see %s" % os.path.relpath(log, REPO), log)


def stage_syntax(results):
    playbooks = sorted(glob.glob(os.path.join(REPO, "playbooks", "*.yml")))
    if not playbooks:
        results.add("syntax", "playbooks/*.yml", False, 0, "no playbook found")
    for path in playbooks:
        rel = os.path.relpath(path, REPO)
        rc, secs, log = run(["ansible-playbook", "--syntax-check", "-i", BED_INVENTORY, rel],
                            "syntax-" + os.path.basename(path))
        if rc != 0:
            print(tail(log))
        results.add("syntax", rel, rc == 0, secs, log=log)


def stage_unit(results):
    junit = os.path.join(REPORTS, "pytest.xml")
    rc, secs, log = run(["pytest", "-q", "-p", "no:cacheprovider", "--junitxml", junit, "tests"],
                        "pytest")
    print(tail(log, 15))
    if not os.path.exists(junit):
        results.add("unit", "pytest", False, secs, "no JUnit report (exit %d)" % rc)
        return
    cases = ET.parse(junit).getroot().iter("testcase")
    count = 0
    for case in cases:
        count += 1
        name = "%s::%s" % (case.get("classname"), case.get("name"))
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        if skipped:
            # Not a pass: counted in the verdict and named with its reason.
            results.skipped.append((name, case.find("skipped").get("message") or ""))
            continue
        results.rows.append(("unit", name, not failed, float(case.get("time") or 0), ""))
        if failed:
            print("[FAIL] unit      %s" % name)
    if count == 0:
        results.add("unit", "pytest", False, secs, "pytest collected no test (exit %d)" % rc)
    elif rc not in (0, 1):
        # Collection errors or an internal error: the counted cases are not the whole story.
        results.add("unit", "pytest run", False, secs, "pytest exit %d" % rc)
    print("[....] unit      %d test cases in %.1fs" % (count, secs))


def stage_molecule(results):
    wanted = os.environ.get("MOLECULE_SCENARIOS", "").split()
    scenarios = sorted(os.path.basename(os.path.dirname(p))
                       for p in glob.glob(os.path.join(REPO, "molecule", "*", "molecule.yml")))
    if wanted:
        scenarios = [s for s in scenarios if s in wanted]
    if not scenarios:
        results.add("molecule", "molecule/*", False, 0, "no scenario found")
    for scenario in scenarios:
        rc, secs, log = run(["molecule", "test", "-s", scenario], "molecule-" + scenario)
        if rc != 0:
            print(tail(log, 60))
        results.add("molecule", scenario, rc == 0, secs, "see %s" % os.path.relpath(log, REPO), log)


STAGES = {"lint": stage_lint, "syntax": stage_syntax, "unit": stage_unit,
          "molecule": stage_molecule}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(STAGES), action="append")
    args = parser.parse_args()
    results = Results()
    started = time.monotonic()
    for stage in args.only or list(STAGES):
        STAGES[stage](results)
    for name, lines in results.reasons:
        print("\nwhy %s failed (first failure in its log):" % name)
        for line in lines or ["(no failure line found; see its log in reports/)"]:
            print("  " + line)
    print("\nstage     passed failed   seconds")
    for stage in args.only or list(STAGES):
        rows = [r for r in results.rows if r[0] == stage]
        print("%-9s %6d %6d %9.1f" % (stage, sum(r[2] for r in rows),
                                      sum(not r[2] for r in rows), sum(r[3] for r in rows)))
    print("wall time %.1fs" % (time.monotonic() - started))
    for name, reason in results.skipped:
        print("skipped: %s (%s)" % (name, reason))
    print("%d passed, %d failed, %d skipped" % (results.passed, results.failed, len(results.skipped)))
    return 0 if results.failed == 0 and results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
