# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reproducible training experiment: the sample pipeline the platform ships.

A logistic regression trained by stochastic gradient descent on a synthetic,
seeded data set, written for Kubeflow Pipelines v2 with the kfp SDK pinned in
pipelines/requirements.txt (the SDK of the KFP backend in Kubeflow 26.03).

What makes a run reproducible, and what a later run is checked against:
* every component runs in one image pinned by digest (PYTHON_IMAGE);
* the seeds are pipeline parameters with fixed defaults, and the only source of
  randomness is ``random.Random(seed)``: no clock, no os.urandom, no hash order;
* the components use the standard library only (nothing but kfp itself is
  installed at start, at the version the compiler pins), so the code that runs
  is the code in this file;
* every output is an artifact (Dataset, Model, Metrics), kept in the pipeline
  root (object storage on a cluster), and the run records its environment
  (images, package versions, seeds, parameters) as an artifact of its own;
* caching is off, so a second run recomputes instead of returning the first
  run's artifacts: identical results are then evidence, not a cache hit.

Lightweight components are run by kfp from their source: each function below
must import what it uses inside its own body.
"""

from typing import List, NamedTuple

import kfp
from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output

# python:3.11-slim (Python 3.11.15, Debian 13), the multi-platform index digest
# as published in docker-library/repo-info repos/python/remote/3.11-slim.md
# (commit 2477d553d2fdfa57b4ec11f63c8376eca8b7a253). A digest survives a
# mirror: the image rewritten to the platform's registry keeps it.
PYTHON_IMAGE = ("docker.io/library/python:3.11-slim"
                "@sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff")

# Each task's requests and limits: a team namespace with a ResourceQuota on
# CPU and memory refuses pods that do not state them.
TASK_RESOURCES = {"cpu_request": "100m", "cpu_limit": "500m",
                  "memory_request": "128Mi", "memory_limit": "256Mi"}


@dsl.component(base_image=PYTHON_IMAGE)
def make_dataset(seed: int, n_samples: int, test_fraction: float,
                 train: Output[Dataset], test: Output[Dataset]):
    """Two overlapping Gaussian classes in two features, split into train and test."""
    import csv
    import random

    rng = random.Random(seed)
    rows = []
    for index in range(n_samples):
        label = index % 2
        centre = 1.0 if label else -1.0
        rows.append((rng.gauss(centre, 1.5), rng.gauss(centre, 1.5), label))
    rng.shuffle(rows)
    n_test = int(round(n_samples * test_fraction))
    for artifact, part in ((test, rows[:n_test]), (train, rows[n_test:])):
        with open(artifact.path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["x1", "x2", "label"])
            # repr() is the shortest text that reads back as the same float.
            writer.writerows([repr(x1), repr(x2), label] for x1, x2, label in part)
        artifact.metadata["rows"] = len(part)
        artifact.metadata["seed"] = seed


@dsl.component(base_image=PYTHON_IMAGE)
def train_model(train: Input[Dataset], seed: int, epochs: int, learning_rate: float,
                model: Output[Model]):
    """Logistic regression by stochastic gradient descent, shuffled by the seed."""
    import csv
    import json
    import math
    import random

    with open(train.path, newline="", encoding="utf-8") as handle:
        rows = [([float(row["x1"]), float(row["x2"])], int(row["label"]))
                for row in csv.DictReader(handle)]
    rng = random.Random(seed)
    weights = [rng.uniform(-0.01, 0.01), rng.uniform(-0.01, 0.01)]
    bias = 0.0
    for _epoch in range(epochs):
        rng.shuffle(rows)
        for features, label in rows:
            z = bias + sum(w * x for w, x in zip(weights, features))
            error = 1.0 / (1.0 + math.exp(-z)) - label
            weights = [w - learning_rate * error * x for w, x in zip(weights, features)]
            bias -= learning_rate * error
    with open(model.path, "w", encoding="utf-8") as handle:
        json.dump({"features": ["x1", "x2"], "weights": weights, "bias": bias}, handle, sort_keys=True)
    model.metadata["framework"] = "logistic regression, pure Python"
    model.metadata["seed"] = seed


@dsl.component(base_image=PYTHON_IMAGE)
def evaluate_model(model: Input[Model], test: Input[Dataset], metrics: Output[Metrics]):
    """Accuracy and log loss on the held-out split."""
    import csv
    import json
    import math

    with open(model.path, encoding="utf-8") as handle:
        params = json.load(handle)
    with open(test.path, newline="", encoding="utf-8") as handle:
        rows = [([float(row[name]) for name in params["features"]], int(row["label"]))
                for row in csv.DictReader(handle)]
    correct = 0
    loss = 0.0
    for features, label in rows:
        z = params["bias"] + sum(w * x for w, x in zip(params["weights"], features))
        p = min(max(1.0 / (1.0 + math.exp(-z)), 1e-12), 1.0 - 1e-12)
        correct += int((p >= 0.5) == bool(label))
        loss -= math.log(p) if label else math.log(1.0 - p)
    values = {"accuracy": correct / len(rows), "log_loss": loss / len(rows), "test_rows": len(rows)}
    for name, value in values.items():
        metrics.log_metric(name, value)
    with open(metrics.path, "w", encoding="utf-8") as handle:
        json.dump(values, handle, sort_keys=True)


@dsl.component(base_image=PYTHON_IMAGE)
def record_environment(images: List[str], compiler: str, data_seed: int, train_seed: int,
                       n_samples: int, test_fraction: float, epochs: int, learning_rate: float,
                       environment: Output[Artifact]):
    """What a later run must match: images, package versions, seeds, parameters."""
    import importlib.metadata
    import json
    import platform

    packages = {}
    for name in ("kfp", "kfp-pipeline-spec", "protobuf"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            # kfp is installed with --no-deps in the image: say so, do not guess.
            packages[name] = None
    record = {
        "images": images,
        "compiler": compiler,
        "runtime": {"python": platform.python_version(),
                    "implementation": platform.python_implementation(),
                    "packages": packages},
        "seeds": {"data_seed": data_seed, "train_seed": train_seed},
        "parameters": {"n_samples": n_samples, "test_fraction": test_fraction,
                       "epochs": epochs, "learning_rate": learning_rate},
    }
    with open(environment.path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
    environment.metadata.update(record)


COMPONENTS = (make_dataset, train_model, evaluate_model, record_environment)


def component_images():
    """Every image the components run in, read from their own specs."""
    return sorted({c.component_spec.implementation.container.image for c in COMPONENTS})


def _limited(task):
    """The task with its resources stated and caching off (see the module doc)."""
    task.set_cpu_request(TASK_RESOURCES["cpu_request"]).set_cpu_limit(TASK_RESOURCES["cpu_limit"])
    task.set_memory_request(TASK_RESOURCES["memory_request"]).set_memory_limit(TASK_RESOURCES["memory_limit"])
    task.set_caching_options(enable_caching=False)
    return task


Outputs = NamedTuple("Outputs", [("train_data", Dataset), ("test_data", Dataset), ("model", Model),
                                 ("metrics", Metrics), ("environment", Artifact)])


@dsl.pipeline(name="reproducible-training",
              description="Seeded logistic regression; records its images, package versions and seeds.")
def reproducible_training(data_seed: int = 20261130, train_seed: int = 7, n_samples: int = 400,
                          test_fraction: float = 0.25, epochs: int = 20,
                          learning_rate: float = 0.05) -> Outputs:
    """The experiment; change a seed to get a different, equally reproducible run."""
    data = _limited(make_dataset(seed=data_seed, n_samples=n_samples, test_fraction=test_fraction))
    trained = _limited(train_model(train=data.outputs["train"], seed=train_seed, epochs=epochs,
                                   learning_rate=learning_rate))
    scored = _limited(evaluate_model(model=trained.outputs["model"], test=data.outputs["test"]))
    env = _limited(record_environment(images=component_images(), compiler="kfp-" + kfp.__version__,
                                      data_seed=data_seed, train_seed=train_seed, n_samples=n_samples,
                                      test_fraction=test_fraction, epochs=epochs,
                                      learning_rate=learning_rate))
    return Outputs(train_data=data.outputs["train"], test_data=data.outputs["test"],
                   model=trained.outputs["model"], metrics=scored.outputs["metrics"],
                   environment=env.outputs["environment"])
