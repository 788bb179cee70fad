# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile the sample pipeline to KFP IR YAML and validate what was written.

    .cache/kfp-venv/bin/python pipelines/reproducible_training/compile.py OUT.yaml
    .cache/kfp-venv/bin/python pipelines/reproducible_training/compile.py --check FILE.yaml

Validation reads the file back three ways: as the PipelineSpec protobuf with
its deploymentSpec as PipelineDeploymentConfig (strict: an unknown field is an
error), through kfp's own loader (kfp.components.load_component_from_file),
and through the reproducibility rules in spec_checks.py (images pinned by
digest, no run-time installs, resources, caching, artifact outputs, seeds).
Prints a JSON report; exits 1 when anything is wrong.
"""

import argparse
import json
import os
import sys

import yaml
from google.protobuf import json_format
from kfp import compiler, components
from kfp.pipeline_spec import pipeline_spec_pb2

# The sample's own modules sit beside this file; they are not installed.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeline  # noqa: E402  pylint: disable=wrong-import-position
import spec_checks  # noqa: E402  pylint: disable=wrong-import-position


def validate(path):
    """(report, problems) of a compiled pipeline file."""
    with open(path, encoding="utf-8") as handle:
        documents = [doc for doc in yaml.safe_load_all(handle) if doc is not None]
    if not documents:
        return {}, ["%s: empty file" % path]
    spec = documents[0]
    problems = []
    try:
        json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
        # PipelineSpec holds deploymentSpec as a free-form Struct; the backend
        # reads it as this message, so parse it as that too (strictly).
        json_format.ParseDict(spec.get("deploymentSpec") or {}, pipeline_spec_pb2.PipelineDeploymentConfig())
    except json_format.ParseError as exc:
        problems.append("%s: not a valid PipelineSpec: %s" % (path, exc))
    for extra in documents[1:]:
        try:
            json_format.ParseDict(extra, pipeline_spec_pb2.PlatformSpec())
        except json_format.ParseError as exc:
            problems.append("%s: second document is not a valid PlatformSpec: %s" % (path, exc))
    name, declared = None, []
    try:
        loaded = components.load_component_from_file(path)
        name, declared = loaded.name, sorted(loaded.component_spec.inputs or {})
    # kfp's loader raises many exception types: report any of them as a problem.
    except Exception as exc:  # pylint: disable=broad-except
        problems.append("%s: kfp's loader refuses it: %s: %s" % (path, type(exc).__name__, exc))
    wanted = sorted(pipeline.reproducible_training.component_spec.inputs or {})
    if name is not None and declared != wanted:
        problems.append("%s: kfp's loader reads inputs %s, the pipeline declares %s" % (path, declared, wanted))
    problems += spec_checks.all_problems(spec)
    report = {
        "path": path,
        "pipeline": name,
        "sdk_version": spec.get("sdkVersion"),
        "images": sorted({c.get("image") for c in spec_checks.executors(spec).values()}),
        "executors": len(spec_checks.executors(spec)),
        "inputs": declared,
    }
    return report, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="where to write the compiled pipeline (IR YAML)")
    parser.add_argument("--check", action="store_true", help="only validate OUTPUT, an existing file")
    args = parser.parse_args(argv)
    if not args.check:
        compiler.Compiler().compile(pipeline_func=pipeline.reproducible_training, package_path=args.output)
    report, problems = validate(args.output)
    report["problems"] = problems
    print(json.dumps(report, indent=2, sort_keys=True))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
