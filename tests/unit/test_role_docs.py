"""No role's documentation can drift from its defaults.

Every role has meta/argument_specs.yml and a README; every variable in
defaults/main.yml must be in the argument specs (with the same default when
it is a plain value) and named in the README.
"""

import os

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(os.listdir(os.path.join(REPO, "roles")))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_argument_specs_and_a_readme(role):
    for path in ("meta/argument_specs.yml", "README.md"):
        assert os.path.isfile(os.path.join(REPO, "roles", role, path)), "roles/%s/%s is missing" % (role, path)


def load(role, path):
    with open(os.path.join(REPO, "roles", role, path)) as handle:
        return handle.read()


def _defaults(role):
    path = os.path.join(REPO, "roles", role, "defaults", "main.yml")
    return (yaml.safe_load(load(role, "defaults/main.yml")) or {}) if os.path.exists(path) else {}


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role):
    defaults = _defaults(role)
    # Every default is an option of some entry point (main, health, check...).
    spec = {}
    for entry in yaml.safe_load(load(role, "meta/argument_specs.yml"))["argument_specs"].values():
        spec.update(entry.get("options") or {})
    # Options without a default (inputs a caller gives) may be in the spec only.
    assert sorted(name for name in defaults if name not in spec) == []
    for name, value in defaults.items():
        assert name.startswith(role + "_")
        if isinstance(value, str) and "{{" in value:
            continue  # computed from the inventory; the spec shows the expression
        assert spec[name].get("default") == value, name


@pytest.mark.parametrize("role", ROLES)
def test_readme_names_every_variable(role):
    readme = load(role, "README.md")
    defaults = _defaults(role)
    missing = [name for name in defaults if "`%s`" % name not in readme]
    assert missing == []
