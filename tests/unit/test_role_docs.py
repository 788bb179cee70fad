"""The storage and Kubernetes roles' documentation cannot drift from their defaults.

Every variable in defaults/main.yml must be in meta/argument_specs.yml (with
the same default when it is a plain value) and named in the role's README.
"""

import os

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ["gluster_server", "gluster_client", "gluster_k8s", "kubernetes_cluster", "health_gate", "node_network", "preflight"]


def load(role, path):
    with open(os.path.join(REPO, "roles", role, path)) as handle:
        return handle.read()


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role):
    defaults = yaml.safe_load(load(role, "defaults/main.yml"))
    # Every default is an option of some entry point (main, health, check...).
    spec = {}
    for entry in yaml.safe_load(load(role, "meta/argument_specs.yml"))["argument_specs"].values():
        spec.update(entry.get("options") or {})
    spec = {name: option for name, option in spec.items() if name.startswith(role + "_")}
    assert sorted(spec) == sorted(defaults)
    for name, value in defaults.items():
        assert name.startswith(role + "_")
        if isinstance(value, str) and "{{" in value:
            continue  # computed from the inventory; the spec shows the expression
        assert spec[name].get("default") == value, name


@pytest.mark.parametrize("role", ROLES)
def test_readme_names_every_variable(role):
    readme = load(role, "README.md")
    defaults = yaml.safe_load(load(role, "defaults/main.yml"))
    missing = [name for name in defaults if "`%s`" % name not in readme]
    assert missing == []
