# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reproducibility rules for a compiled KFP v2 pipeline (IR YAML as a dict).

Pure functions without kfp, so plain pytest covers them with hand-made specs;
compile.py runs them on the real compiler output after kfp's own loader and
the PipelineSpec protobuf have accepted it. Each returns a list of problem
strings naming the place in the spec and the fix.
"""

import re
import shlex

DIGEST_PINNED = re.compile(r"^[^\s@]+@sha256:[0-9a-f]{64}$")
_PIP_INSTALL = re.compile(r"-m pip install ([^&\n]*)")
# What the compiler itself adds to every lightweight component: kfp at its own
# exact version, without its dependencies (the only run-time install allowed).
_KFP_SELF_INSTALL = re.compile(r"^kfp==\d+\.\d+\.\d+$")
_PIP_OPTIONS = {"--quiet", "--no-warn-script-location", "--no-deps"}
_RESOURCE_KEYS = ("resourceCpuRequest", "resourceCpuLimit", "resourceMemoryRequest", "resourceMemoryLimit")


def executors(spec):
    """{executor name: container} of the spec's deploymentSpec."""
    found = (spec.get("deploymentSpec") or {}).get("executors") or {}
    return {name: body.get("container") or {} for name, body in found.items()}


def image_problems(spec):
    """Every executor runs a container image pinned by digest."""
    found = executors(spec)
    if not found:
        return ["deploymentSpec.executors: the spec has no executor: compile the pipeline with kfp's compiler"]
    return ["deploymentSpec.executors.%s.container.image: %r is not pinned by digest: "
            "write it as NAME@sha256:<64 hex digits>" % (name, container.get("image"))
            for name, container in sorted(found.items())
            if not DIGEST_PINNED.match(str(container.get("image") or ""))]


def install_problems(spec):
    """No executor installs packages at start, except kfp's pinned self-install.

    A component declared with packages_to_install, pip_index_urls or an
    unpinned kfp would fetch different code on a later run.
    """
    problems = []
    for name, container in sorted(executors(spec).items()):
        script = "\n".join(str(part) for part in (container.get("command") or []) + (container.get("args") or []))
        for match in _PIP_INSTALL.finditer(script):
            words = shlex.split(match.group(1))
            packages = [w for w in words if w not in _PIP_OPTIONS and 'python_version<"3.9"' not in w]
            extra = [w for w in packages if not _KFP_SELF_INSTALL.match(w)]
            if extra or "--no-deps" not in words:
                problems.append("deploymentSpec.executors.%s.container: installs %s at start: "
                                "drop packages_to_install/pip_index_urls and use only the standard "
                                "library (or bake the packages into the pinned image)"
                                % (name, " ".join(extra or words)))
    return problems


def resource_problems(spec):
    """Every executor states CPU and memory requests and limits (team quotas refuse others)."""
    problems = []
    for name, container in sorted(executors(spec).items()):
        missing = [key for key in _RESOURCE_KEYS if not (container.get("resources") or {}).get(key)]
        if missing:
            problems.append("deploymentSpec.executors.%s.container.resources: %s missing: set "
                            "set_cpu_request/limit and set_memory_request/limit on the task"
                            % (name, ", ".join(missing)))
    return problems


def caching_problems(spec):
    """No task takes its outputs from KFP's cache: a rerun must recompute."""
    tasks = ((spec.get("root") or {}).get("dag") or {}).get("tasks") or {}
    return ["root.dag.tasks.%s.cachingOptions: caching is on: call "
            "set_caching_options(enable_caching=False) on the task" % name
            for name, task in sorted(tasks.items())
            if (task.get("cachingOptions") or {}).get("enableCache")]


def output_problems(spec):
    """Every component output is an artifact (parameters are not kept in object storage)."""
    problems = []
    for name, component in sorted((spec.get("components") or {}).items()):
        outputs = component.get("outputDefinitions") or {}
        for param in sorted(outputs.get("parameters") or {}):
            problems.append("components.%s.outputDefinitions.parameters.%s: an output parameter: "
                            "write it to an Output[Artifact] (Dataset, Model, Metrics) instead" % (name, param))
    return problems


def seed_problems(spec, seeds):
    """Each seed is a pipeline parameter with a fixed integer default."""
    params = (((spec.get("root") or {}).get("inputDefinitions") or {}).get("parameters")) or {}
    problems = []
    for seed in seeds:
        param = params.get(seed)
        if param is None:
            problems.append("root.inputDefinitions.parameters.%s: missing: declare the seed as a "
                            "pipeline parameter" % seed)
        elif param.get("parameterType") != "NUMBER_INTEGER" or "defaultValue" not in param:
            problems.append("root.inputDefinitions.parameters.%s: needs an integer default "
                            "(a fixed seed), got %r" % (seed, param))
    return problems


def all_problems(spec, seeds=("data_seed", "train_seed")):
    """Every rule above, in one list."""
    return (image_problems(spec) + install_problems(spec) + resource_problems(spec)
            + caching_problems(spec) + output_problems(spec) + seed_problems(spec, seeds))
