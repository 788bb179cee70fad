# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sample pipeline pipelines/reproducible_training, in CI without a KFP backend.

kfp runs in .cache/kfp-venv (`make kfp-venv`; its pins clash with .venv's), so
the compiler and the local runner are driven through subprocesses; the
reproducibility rules (spec_checks.py) are pure and imported here directly.

* compiled: kfp's compiler writes the IR, which the PipelineSpec protobuf and
  kfp's loader accept, and the rules pass (images pinned by digest...);
  compiling twice gives the same bytes; each rule rejects a spec that breaks it.
* run: kfp.local's SubprocessRunner runs the pipeline four times, in a network
  namespace with no route when the machine allows one (it does here and in CI):
  twice with the default seeds (every artifact identical, metrics included),
  once with another training seed, once with another data seed (each differs
  where that seed acts, and only there); pip's log shows that nothing was
  installed (kfp's self-install only confirms the pinned kfp).
"""

import concurrent.futures
import copy
import importlib.util
import json
import os
import re
import resource
import subprocess
import time

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(REPO, "pipelines", "reproducible_training")
REQUIREMENTS = os.path.join(REPO, "pipelines", "requirements.txt")
KFP_PYTHON = os.path.join(REPO, ".cache", "kfp-venv", "bin", "python")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
DEFAULT_SEEDS = {"data_seed": 20261130, "train_seed": 7}
# CPU time of the 4 pipeline runs (all their processes): measured 17-24 s
# here. CPU, not wall time, so that a loaded machine does not fail the test.
RUN_CPU_BUDGET_SECONDS = 60


def _spec_checks():
    spec = importlib.util.spec_from_file_location("spec_checks", os.path.join(SAMPLE, "spec_checks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks = _spec_checks()


def _pinned_kfp():
    with open(REQUIREMENTS, encoding="utf-8") as handle:
        return re.search(r"^kfp==(\S+)$", handle.read(), re.M).group(1)


@pytest.fixture(scope="module")
def kfp_python():
    """The kfp venv's interpreter, checked to hold the pinned kfp."""
    if not os.access(KFP_PYTHON, os.X_OK):
        pytest.fail("%s is missing: run `make kfp-venv` (installs pipelines/requirements.txt)" % KFP_PYTHON)
    installed = subprocess.run([KFP_PYTHON, "-c", "import kfp; print(kfp.__version__)"],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert installed == _pinned_kfp(), (".cache/kfp-venv has kfp %s, pipelines/requirements.txt pins %s: "
                                        "run `make kfp-venv`" % (installed, _pinned_kfp()))
    return KFP_PYTHON


def _broken(spec, change):
    spec = copy.deepcopy(spec)
    change(spec)
    return spec


def _container(spec, name="exec-train-model"):
    return spec["deploymentSpec"]["executors"][name]["container"]


def _compile(kfp_python, path, *extra):
    proc = subprocess.run([kfp_python, os.path.join(SAMPLE, "compile.py"), *extra, path],
                          capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def compiled(kfp_python, tmp_path_factory):
    """(report, spec, path) of the pipeline compiled by kfp; build output stays out of the tree."""
    path = str(tmp_path_factory.mktemp("compiled") / "reproducible_training.yaml")
    rc, out, err = _compile(kfp_python, path)
    assert rc == 0, "compile.py failed (exit %d):\n%s\n%s" % (rc, out, err[-3000:])
    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    return json.loads(out), spec, path


def test_compiled_pipeline_is_valid_and_pinned(compiled):
    report, spec = compiled[0], compiled[1]
    assert report["problems"] == []
    assert report["pipeline"] == "reproducible-training"
    assert report["sdk_version"] == "kfp-" + _pinned_kfp()
    # One executor per component, all in the one image pinned by digest.
    assert report["executors"] == 4
    assert len(report["images"]) == 1 and DIGEST.search(report["images"][0]), report["images"]
    assert report["inputs"] == ["data_seed", "epochs", "learning_rate", "n_samples", "test_fraction", "train_seed"]
    defaults = {name: spec["root"]["inputDefinitions"]["parameters"][name]["defaultValue"] for name in DEFAULT_SEEDS}
    assert defaults == DEFAULT_SEEDS


def test_compiling_twice_gives_the_same_bytes(kfp_python, compiled, tmp_path):
    again = str(tmp_path / "again.yaml")
    rc, out, err = _compile(kfp_python, again)
    assert rc == 0, out + err
    with open(compiled[2], "rb") as first, open(again, "rb") as second:
        assert first.read() == second.read()


def test_check_mode_rejects_a_spec_the_protobuf_does_not_accept(kfp_python, compiled, tmp_path):
    spec = copy.deepcopy(compiled[1])
    _container(spec)["imagePullPolicy"] = "Always"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(spec))
    rc, out = _compile(kfp_python, str(broken), "--check")[:2]
    assert rc == 1
    assert any("not a valid PipelineSpec" in problem and "imagePullPolicy" in problem
               for problem in json.loads(out)["problems"]), out


def test_check_mode_accepts_the_compiled_file(kfp_python, compiled):
    rc, out, err = _compile(kfp_python, compiled[2], "--check")
    assert rc == 0, out + err
    assert json.loads(out)["problems"] == []


@pytest.mark.parametrize("change, rule, expected", [
    (lambda s: _container(s).update(image="docker.io/library/python:3.11-slim"), "image_problems",
     "exec-train-model.container.image: 'docker.io/library/python:3.11-slim' is not pinned by digest"),
    (lambda s: _container(s).update(image="python@sha256:90744cff"), "image_problems",
     "is not pinned by digest"),
    (lambda s: s["deploymentSpec"].update(executors={}), "image_problems", "the spec has no executor"),
    (lambda s: _container(s)["command"].__setitem__(2, _container(s)["command"][2].replace(
        "'kfp==", "'numpy==2.3.0' 'kfp==")), "install_problems", "installs numpy==2.3.0 at start"),
    (lambda s: _container(s)["command"].__setitem__(2, _container(s)["command"][2].replace(
        "'kfp==2.16.0'", "'kfp>=2.16'")), "install_problems", "installs kfp>=2.16 at start"),
    (lambda s: _container(s)["resources"].pop("resourceMemoryLimit"), "resource_problems",
     "exec-train-model.container.resources: resourceMemoryLimit missing"),
    (lambda s: s["root"]["dag"]["tasks"]["train-model"].update(cachingOptions={"enableCache": True}),
     "caching_problems", "root.dag.tasks.train-model.cachingOptions: caching is on"),
    (lambda s: s["components"]["comp-train-model"]["outputDefinitions"].update(
        parameters={"accuracy": {"parameterType": "NUMBER_DOUBLE"}}), "output_problems",
     "components.comp-train-model.outputDefinitions.parameters.accuracy: an output parameter"),
    (lambda s: s["root"]["inputDefinitions"]["parameters"]["train_seed"].pop("defaultValue"), "seed_problems",
     "root.inputDefinitions.parameters.train_seed: needs an integer default"),
    (lambda s: s["root"]["inputDefinitions"]["parameters"].pop("data_seed"), "seed_problems",
     "root.inputDefinitions.parameters.data_seed: missing"),
], ids=["tag-only", "short-digest", "no-executor", "packages-to-install", "unpinned-kfp", "no-memory-limit",
        "caching-on", "output-parameter", "seed-without-default", "seed-missing"])
def test_each_rule_rejects_a_spec_that_breaks_it(compiled, change, rule, expected):
    spec = compiled[1]
    assert checks.all_problems(spec) == []
    broken = _broken(spec, change)
    problems = checks.all_problems(broken)
    assert any(expected in problem for problem in problems), problems
    # The problem comes from the rule meant for it.
    assert any(expected in problem for problem in getattr(checks, rule)(
        broken, *([("data_seed", "train_seed")] if rule == "seed_problems" else [])))


def _offline_prefix():
    """`unshare -rn` (no route at all) where the machine allows a user namespace."""
    try:
        ok = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    except OSError:
        ok = False
    return ["unshare", "-rn"] if ok else []


@pytest.fixture(scope="module")
def runs(kfp_python, tmp_path_factory):
    """Four local runs, two at a time: {name: summary}, plus the wall time."""
    plan = {"first": {}, "second": {}, "other-train-seed": {"train_seed": 8},
            "other-data-seed": {"data_seed": 20261131}}
    prefix = _offline_prefix()

    def one(name):
        root = tmp_path_factory.mktemp("run-" + name)
        summary = root / "summary.json"
        argv = prefix + [kfp_python, os.path.join(SAMPLE, "run_local.py"), "--root", str(root),
                         "--summary", str(summary)]
        for key, value in plan[name].items():
            argv += ["--" + key.replace("_", "-"), str(value)]
        # pip's own log of the one call kfp makes per task (its self-install).
        pip_log = root / "pip.log"
        proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env=dict(os.environ, PIP_LOG=str(pip_log)))
        assert proc.returncode == 0, "run %s failed (exit %d):\n%s" % (name, proc.returncode,
                                                                       (proc.stdout + proc.stderr)[-4000:])
        result = json.loads(summary.read_text())
        result["pip_log"] = pip_log.read_text() if pip_log.exists() else ""
        return result

    started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(plan, pool.map(one, plan)))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    results["wall_seconds"] = time.monotonic() - started
    results["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    results["offline"] = bool(prefix)
    return results


def test_runs_fit_the_ci_budget(runs):
    # Printed for the CI log (pytest -s / the JUnit system-out): the figure to watch.
    print("4 local runs: %.1fs CPU, %.1fs wall (per run: %s), offline namespace: %s" % (
        runs["cpu_seconds"], runs["wall_seconds"], ", ".join(
            "%.1fs" % runs[n]["seconds"] for n in ("first", "second", "other-train-seed", "other-data-seed")),
        runs["offline"]))
    assert runs["cpu_seconds"] < RUN_CPU_BUDGET_SECONDS


def test_nothing_is_installed_at_run_time(runs):
    for name in ("first", "second", "other-train-seed", "other-data-seed"):
        log = runs[name]["pip_log"]
        # One pip call per task, each only confirming kfp's pinned self-install.
        assert re.findall(r"Requirement already satisfied: (\S+)", log) == ["kfp==" + _pinned_kfp()] * 4, log
        assert "Successfully installed" not in log and "Collecting" not in log, log


def test_every_output_is_an_artifact(runs):
    assert {name: out["type"] for name, out in runs["first"]["outputs"].items()} == {
        "train_data": "system.Dataset", "test_data": "system.Dataset", "model": "system.Model",
        "metrics": "system.Metrics", "environment": "system.Artifact"}


def test_same_seeds_give_identical_metrics(runs):
    first, second = runs["first"]["outputs"]["metrics"], runs["second"]["outputs"]["metrics"]
    assert first == second
    # Real training, not a constant: chance is 0.5 on these balanced classes.
    assert first["metadata"]["accuracy"] > 0.7
    assert first["metadata"]["test_rows"] == 100


def test_same_seeds_give_identical_artifacts(runs):
    assert runs["first"]["outputs"] == runs["second"]["outputs"]


def test_another_train_seed_changes_model_and_metrics_only(runs):
    first, other = runs["first"]["outputs"], runs["other-train-seed"]["outputs"]
    assert other["metrics"]["metadata"] != first["metrics"]["metadata"]
    assert other["model"]["sha256"] != first["model"]["sha256"]
    assert other["train_data"] == first["train_data"] and other["test_data"] == first["test_data"]


def test_another_data_seed_changes_data_and_metrics(runs):
    first, other = runs["first"]["outputs"], runs["other-data-seed"]["outputs"]
    assert other["train_data"]["sha256"] != first["train_data"]["sha256"]
    assert other["test_data"]["sha256"] != first["test_data"]["sha256"]
    assert other["metrics"]["metadata"] != first["metrics"]["metadata"]


def test_run_records_its_environment(runs, compiled):
    record = runs["first"]["outputs"]["environment"]["metadata"]
    assert record["images"] == compiled[0]["images"]
    assert record["compiler"] == "kfp-" + _pinned_kfp()
    assert record["runtime"]["packages"]["kfp"] == _pinned_kfp()
    assert record["runtime"]["python"].startswith("3.11.")
    assert record["seeds"] == DEFAULT_SEEDS
    assert record["parameters"] == {"n_samples": 400, "test_fraction": 0.25, "epochs": 20, "learning_rate": 0.05}
    assert runs["other-train-seed"]["outputs"]["environment"]["metadata"]["seeds"] == {
        "data_seed": 20261130, "train_seed": 8}
