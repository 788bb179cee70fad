#!/usr/bin/env python
"""Run the whole test suite and end with one `N passed, N failed, N skipped` line.

Stages, in order (each can be run alone with --only):
  lint      yamllint and ansible-lint (production profile, no skips)
  syntax    ansible-playbook --syntax-check of every playbook in playbooks/
  unit      pytest (every test counts on its own, read from a JUnit report)
  sanity    ansible-test sanity on the collection (galaxy.yml), each test its
            own result
  molecule  every scenario in molecule/ (`molecule test`: create, converge,
            idempotence, verify, destroy)

A stage that finds nothing to run is a failure, not a pass: an empty suite
must never look green.
"""

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
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
        # check=False: the caller reports the stage's exit status.
        proc = subprocess.run(argv, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, check=False)
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


SANITY_VENV = os.path.join(REPO, ".cache", "sanity-venv")
# ansible-test keeps its venvs and its pip bootstrap under ~/.ansible/test:
# kept in the checkout's cache instead.
SANITY_HOME = os.path.join(REPO, ".cache", "ansible-test-home")
_SANITY_TEST = re.compile(r'^Running sanity test "([^"]+)"(?: on Python ([0-9.]+))?')
_SANITY_MISSING = re.compile(r'^WARNING: Required program "([^"]+)" not found')
# After the last test ansible-test repeats every warning and names the failed
# tests: those lines belong to no test (a repeated "pwsh not found" would mark
# the last test skipped, the FATAL summary would mark it failed).
_SANITY_END = re.compile(r"^(WARNING: Reviewing previous \d+ warning|FATAL: The \d+ sanity test\(s\) listed below)")


def parse_sanity_log(lines):
    """[{"name", "errors", "missing"}] per test, from ansible-test sanity's output."""
    tests, current = [], None
    for line in lines:
        found = _SANITY_TEST.match(line)
        if found:
            current = {"name": found.group(1), "errors": [], "missing": None}
            tests.append(current)
        elif _SANITY_END.match(line):
            current = None
        elif current and line.startswith(("ERROR:", "FATAL:")):
            current["errors"].append(line.strip())
        elif current and _SANITY_MISSING.match(line):
            current["missing"] = _SANITY_MISSING.match(line).group(1)
    return tests


def sanity_tools():
    """ansible-test and its tools in a venv of their own, once per pin set."""
    reqs = os.path.join(REPO, "tests", "sanity", "requirements.txt")
    stamp = os.path.join(SANITY_VENV, ".installed")
    with open(reqs) as handle:
        wanted = handle.read()
    if not (os.path.exists(stamp) and open(stamp).read() == wanted):
        subprocess.run([sys.executable, "-m", "venv", "--clear", SANITY_VENV], check=True)
        subprocess.run([os.path.join(SANITY_VENV, "bin", "pip"), "install", "-q", "--disable-pip-version-check",
                        "-r", reqs], check=True)
        with open(stamp, "w") as handle:
            handle.write(wanted)
    # The pip that ansible-test puts into each of its venvs, and the
    # bootstrap script it would otherwise download (tests/sanity/get_pip.py).
    source = open(glob.glob(os.path.join(SANITY_VENV, "lib", "python*", "site-packages", "ansible_test",
                                         "_internal", "python_requirements.py"))[0]).read()
    pip_version = re.search(r"pip='([0-9.]+)'", source).group(1)
    cache = os.path.join(SANITY_HOME, ".ansible", "test", "cache")
    os.makedirs(cache, exist_ok=True)
    if not glob.glob(os.path.join(cache, "pip-%s-*.whl" % pip_version)):
        subprocess.run([os.path.join(SANITY_VENV, "bin", "pip"), "download", "-q", "--disable-pip-version-check",
                        "--no-deps", "-d", cache, "pip==" + pip_version], check=True)
    shutil.copyfile(os.path.join(REPO, "tests", "sanity", "get_pip.py"),
                    os.path.join(cache, "get_pip_%s.py" % pip_version.replace(".", "_")))


def stage_sanity(results):
    """ansible-test sanity on a copy of the checkout laid out as
    ansible_collections/mlplatform/installer (ansible-test needs that path,
    and ignores a tree under a dot directory such as .cache)."""
    started = time.monotonic()
    try:
        sanity_tools()
    except (subprocess.CalledProcessError, OSError, AttributeError, IndexError) as exc:
        results.add("sanity", "ansible-test tools", False, time.monotonic() - started, str(exc))
        return
    root = tempfile.mkdtemp(prefix="mlplatform-sanity-")
    tree = os.path.join(root, "ansible_collections", "mlplatform", "installer")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = os.path.join(REPO, rel)
        if os.path.isfile(src) or os.path.islink(src):
            os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(tree, rel), follow_symlinks=False)
    python = "%d.%d" % sys.version_info[:2]
    env = dict(os.environ, HOME=SANITY_HOME, PATH=os.path.join(SANITY_VENV, "bin") + os.pathsep + os.environ["PATH"])
    log = os.path.join(REPORTS, "ansible-test-sanity.log")
    with open(log, "w") as handle:
        proc = subprocess.run(["ansible-test", "sanity", "--python", python, "--color", "no"], cwd=tree, env=env,
                              stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    secs = time.monotonic() - started
    shutil.rmtree(root, ignore_errors=True)
    with open(log, errors="replace") as handle:
        tests = parse_sanity_log(handle)
    if not tests:
        results.add("sanity", "ansible-test sanity", False, secs, "no sanity test ran (exit %d)" % proc.returncode, log)
        return
    for test in tests:
        name = "ansible-test " + test["name"]
        if test["missing"] and not test["errors"]:
            results.skipped.append((name, "%s is not installed on this machine" % test["missing"]))
            print("[SKIP] sanity    %s: %s is not installed" % (name, test["missing"]))
            continue
        results.rows.append(("sanity", name, not test["errors"], 0.0, ""))
        if test["errors"]:
            results.reasons.append((name, test["errors"][:8]))
            print("[FAIL] sanity    %s\n  %s" % (name, "\n  ".join(test["errors"][:20])))
    if proc.returncode != 0 and all(not t["errors"] for t in tests):
        results.add("sanity", "ansible-test sanity", False, secs, "exit %d" % proc.returncode, log)
    print("[....] sanity    %d tests in %.1fs (log: %s)" % (len(tests), secs, os.path.relpath(log, REPO)))


_TESTINFRA_SKIPS = re.compile(r"=+ \d+ passed, (\d+) skipped")


# Scenarios that take longest start first, so the lanes end together (an
# ordering hint only: unknown scenarios follow in name order).
_SLOW_FIRST = ("kubernetes", "gluster", "nexus", "node_network", "node_proxy", "preflight")


def molecule_jobs():
    """How many scenarios run at once: MOLECULE_JOBS, default 2 (each scenario has
    its own containers and podman network, and most of a run is waiting on them)."""
    value = os.environ.get("MOLECULE_JOBS", "2")
    if not value.isdigit() or int(value) < 1:
        sys.exit("MOLECULE_JOBS=%r: write a whole number of 1 or more (1 runs the scenarios one by one)" % value)
    return int(value)


def stage_molecule(results):
    wanted = os.environ.get("MOLECULE_SCENARIOS", "").split()
    scenarios = sorted(os.path.basename(os.path.dirname(p))
                       for p in glob.glob(os.path.join(REPO, "molecule", "*", "molecule.yml")))
    if wanted:
        scenarios = [s for s in scenarios if s in wanted]
    if not scenarios:
        results.add("molecule", "molecule/*", False, 0, "no scenario found")
    scenarios.sort(key=lambda s: _SLOW_FIRST.index(s) if s in _SLOW_FIRST else len(_SLOW_FIRST))
    jobs = molecule_jobs()
    print("[....] molecule  %d scenarios, %d at a time" % (len(scenarios), jobs), flush=True)
    lock = threading.Lock()

    def one(scenario):
        rc, secs, log = run(["molecule", "test", "-s", scenario], "molecule-" + scenario)
        with lock:  # one scenario's report at a time, never interleaved
            if rc != 0:
                print(tail(log, 60))
            results.add("molecule", scenario, rc == 0, secs, "see %s" % os.path.relpath(log, REPO), log)
            # A test skipped inside verify is counted too, never hidden in a pass.
            with open(log, errors="replace") as handle:
                for count in _TESTINFRA_SKIPS.findall(_ANSI.sub("", handle.read())):
                    results.skipped.append(("molecule %s verify" % scenario, "%s testinfra test(s) skipped" % count))

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(one, s) for s in scenarios]:
            future.result()  # re-raise a bug in this script rather than lose a scenario


STAGES = {"lint": stage_lint, "syntax": stage_syntax, "unit": stage_unit,
          "sanity": stage_sanity, "molecule": stage_molecule}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(STAGES), action="append")
    args = parser.parse_args()
    results = Results()
    started = time.monotonic()
    walls = {}
    for stage in args.only or list(STAGES):
        stage_started = time.monotonic()
        STAGES[stage](results)
        walls[stage] = time.monotonic() - stage_started
    for name, lines in results.reasons:
        print("\nwhy %s failed (first failure in its log):" % name)
        for line in lines or ["(no failure line found; see its log in reports/)"]:
            print("  " + line)
    # seconds: the sum of the stage's results; wall: its elapsed time (less,
    # when molecule runs scenarios side by side).
    print("\nstage     passed failed   seconds      wall")
    for stage in args.only or list(STAGES):
        rows = [r for r in results.rows if r[0] == stage]
        print("%-9s %6d %6d %9.1f %9.1f" % (stage, sum(r[2] for r in rows),
                                            sum(not r[2] for r in rows), sum(r[3] for r in rows), walls[stage]))
    print("wall time %.1fs" % (time.monotonic() - started))
    for name, reason in results.skipped:
        print("skipped: %s (%s)" % (name, reason))
    print("%d passed, %d failed, %d skipped" % (results.passed, results.failed, len(results.skipped)))
    return 0 if results.failed == 0 and results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
