# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the sample pipeline with kfp's local runner and summarise its artifacts.

    .cache/kfp-venv/bin/python pipelines/reproducible_training/run_local.py \
        --root DIR --summary FILE [--data-seed N] [--train-seed N]

Every task runs as a subprocess of this interpreter (SubprocessRunner with
use_venv=False): no container is pulled and no venv is made. The one pip call
kfp puts in front of each component (its pinned self-install, already
satisfied here) runs with PIP_NO_INDEX=1, so it can confirm but never
download: a component that needed anything missing fails instead.

Writes one JSON object to FILE: per pipeline output its artifact type, the
sha256 of its file and its metadata, plus the run's wall time (kfp's own log
goes to stdout).
"""

import argparse
import hashlib
import json
import os
import sys
import time

import kfp
from kfp import local

# The sample's own module sits beside this file; it is not installed.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeline  # noqa: E402  pylint: disable=wrong-import-position


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def summarise(outputs):
    """{output name: {type, sha256, metadata}} of a finished local run."""
    return {name: {"type": artifact.schema_title, "sha256": file_sha256(artifact.path),
                   "metadata": dict(artifact.metadata)}
            for name, artifact in sorted(outputs.items())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="pipeline root: where the artifacts are written")
    parser.add_argument("--summary", required=True, help="where to write the JSON summary")
    parser.add_argument("--data-seed", type=int, help="default: the pipeline's own")
    parser.add_argument("--train-seed", type=int, help="default: the pipeline's own")
    args = parser.parse_args(argv)

    # Inherited by every task subprocess: pip may not reach an index, and the
    # `pip` that kfp's script looks for is this venv's (else it runs ensurepip).
    os.environ["PIP_NO_INDEX"] = "1"
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    root = os.path.abspath(args.root)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=os.path.join(root, "artifacts"),
               workspace_root=os.path.join(root, "workspace"), raise_on_error=True)
    seeds = {key: value for key, value in (("data_seed", args.data_seed), ("train_seed", args.train_seed))
             if value is not None}
    started = time.monotonic()
    run = pipeline.reproducible_training(**seeds)
    seconds = time.monotonic() - started
    with open(args.summary, "w", encoding="utf-8") as handle:
        json.dump({"kfp": kfp.__version__, "seeds": seeds, "seconds": round(seconds, 2),
                   "outputs": summarise(run.outputs)}, handle, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
