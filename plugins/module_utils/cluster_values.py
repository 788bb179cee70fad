# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values of the cluster description: the plain model, a missing value, a defect.

* :func:`model_from_hostvars` turns Ansible's ``hostvars`` and ``groups`` into
  the plain *model* dict the rules read (it only reads mappings, so tests may
  pass plain dicts); see cluster_model.py for its keys.
* :class:`Defect` is one finding, printed as
  ``where: variable = value: problem. Fix: fix``; :func:`show` renders values
  for it, masking any URL password.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import proxy_url
from .cluster_vars import OTHER_VARS


class _Missing:
    """The value of a variable that is not set at all."""

    def __repr__(self) -> str:
        return "(not set)"


MISSING = _Missing()


@dataclass(frozen=True)
class TemplateFailure:
    """A variable whose Jinja expression could not be evaluated."""

    error: str


@dataclass(frozen=True)
class Defect:
    """One defect of the cluster description, with the fix a person can apply."""

    where: str
    variable: str
    value: Any
    problem: str
    fix: str

    def __str__(self) -> str:
        return "%s: %s = %s: %s. Fix: %s" % (self.where, self.variable, show(self.value), self.problem, self.fix)


def show(value: Any, limit: int = 160) -> str:
    """Render a value in YAML flow notation (single quotes, so JSON output stays readable)."""
    # Any URL password (a proxy, a misspelt variable) is masked before a cut could hide its '@'.
    text = proxy_url.mask_in_text(_show(proxy_url.masked(value) if isinstance(value, str) else value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    if isinstance(value, TemplateFailure):
        return "(cannot be evaluated)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join("%s: %s" % (_show_key(k), _show(v)) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return _show(str(value))


def _show_key(key: Any) -> str:
    return key if isinstance(key, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) else _show(key)


def type_name(value: Any) -> str:
    """The YAML name of a value's type, as a person reads it in the inventory."""
    if value is MISSING:
        return "nothing"
    if value is None:
        return "null (empty)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a %s" % type(value).__name__


def _plain(value: Any, depth: int = 0) -> Any:
    """Copy a templated value into plain Python types (str, int, list, dict...)."""
    if depth > 50:
        return TemplateFailure("nested too deeply")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {(str(k) if isinstance(k, str) else k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if "Undefined" in type(value).__name__:
        return TemplateFailure("undefined variable")
    return str(value)


def model_from_hostvars(hostvars: Any, groups: Any, sources: Any = None) -> dict:
    """Build the plain model from Ansible's ``hostvars`` and ``groups``.

    Reading a variable through ``hostvars`` evaluates its Jinja expression;
    an expression that fails becomes a :class:`TemplateFailure` value, which
    :func:`validate` reports like any other defect.
    """
    model: dict = {"groups": {}, "hostvars": {}, "varnames": {}, "sources": [], "errors": []}
    if isinstance(groups, Mapping):
        for group, hosts in groups.items():
            if isinstance(hosts, (list, tuple)):
                model["groups"][str(group)] = [str(h) for h in hosts]
    else:
        model["errors"].append("groups is %s, expected a mapping" % type_name(groups))
    if isinstance(sources, (list, tuple)):
        model["sources"] = [str(s) for s in sources]
    elif isinstance(sources, str):
        model["sources"] = [sources]
    if not isinstance(hostvars, Mapping):
        model["errors"].append("hostvars is %s, expected a mapping" % type_name(hostvars))
        return model
    for host in model["groups"].get("all", []):
        values: dict = {}
        names: list = []
        try:
            host_vars = hostvars[host]
            names = [str(k) for k in host_vars.keys()]
        except Exception as exc:  # an inventory Ansible could not read: report, do not crash
            model["errors"].append("variables of host %s cannot be read: %s" % (host, exc))
            host_vars = {}
        for name in names:
            if not (name.startswith(("node_", "cluster_")) or name in OTHER_VARS):
                continue
            try:
                values[name] = _plain(host_vars[name])
            except Exception as exc:  # a Jinja expression that fails
                values[name] = TemplateFailure(one_line(str(exc)))
        model["hostvars"][host] = values
        model["varnames"][host] = names
    return model


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)
