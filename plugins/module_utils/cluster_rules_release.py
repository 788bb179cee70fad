# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on the release bundle (cluster_release): formats, then compatibility/matrix.yml.

The bundle is judged by ``version_matrix`` (the rules preflight's
``version_check`` runs), so an incompatible bundle stops before any host is
touched. Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from . import version_matrix
from .cluster_formats import COMPONENT_VERSION_RE, SEMVER_RE, TAG_RE, closest
from .cluster_values import MISSING, one_line, show, type_name
from .cluster_vars import RELEASE_OPTIONAL, RELEASE_REQUIRED, SAMPLE, SUPPORTED_OS


class ReleaseRules:
    """Required and optional components, their version formats, unknown keys, the matrix."""

    def _check_release(self) -> None:
        release = self.var("all", self.cluster, "cluster_release")
        if release is MISSING:
            return
        if not isinstance(release, Mapping):
            self.add("all", "cluster_release", release, "must be a mapping of component versions, got %s" % type_name(release),
                     "write it as in %s" % SAMPLE)
            return
        known = RELEASE_REQUIRED + RELEASE_OPTIONAL
        unknown = [key for key in release if key not in known]
        checked: dict = {}  # values that passed their format check: what the matrix judges
        for key in RELEASE_REQUIRED:
            name = "cluster_release.%s" % key
            if key not in release:
                twin = next((k for k in unknown if closest(str(k), (key,), 0.8)), None)
                if twin is None:
                    self.add("all", name, MISSING, "the release bundle must pin %s" % key, "add %s to cluster_release" % key)
                continue
            value = release[key]
            if key == "os":
                usable = self._check_os_list(name, value)
                if usable:
                    checked[key] = usable
            elif key == "kubespray":
                if self._check_version(name, value, TAG_RE, "a Kubespray release tag such as 'v2.31.0'"):
                    checked[key] = value
            elif self._check_version(name, value, SEMVER_RE, "an exact version without a leading v, such as '1.35.4'"):
                checked[key] = value
        for key in RELEASE_OPTIONAL:
            if key in release and self._check_version("cluster_release.%s" % key, release[key], COMPONENT_VERSION_RE,
                                                      "an exact version string"):
                checked[key] = release[key]
        conflicts = self._release_conflicts(release, checked, unknown)
        for key in unknown:
            self._unknown_release_key(release, key, known, [c for c in conflicts if c["component"] == key])
        reported: set = set()
        for conflict in conflicts:
            if conflict["component"] in unknown:
                continue
            component = conflict["component"]
            value = release[component] if component in release and component != "os" else conflict["value"]
            problem = _conflict_problem(conflict)
            if (component, problem) not in reported:
                reported.add((component, problem))
                self.add("all", "cluster_release.%s" % component, value, problem, conflict["fix"])

    def _release_conflicts(self, release: Mapping, checked: dict, unknown: list) -> list:
        """The bundle against compatibility/matrix.yml: the rules preflight's version_check runs, minus the
        versions found on hosts. Runs once kubespray and kubernetes are well written (the rest of the
        bundle is judged from them); a value with a format defect is left out, so it is reported once."""
        if "kubespray" not in checked or "kubernetes" not in checked:
            return []
        matrix = self.model.get("matrix")
        if not isinstance(matrix, Mapping):
            try:
                matrix = _default_matrix()
            except version_matrix.MatrixError as exc:
                self.add("validation", "compatibility matrix", version_matrix.DEFAULT_MATRIX,
                         "the release bundle cannot be checked: %s" % one_line(str(exc), 400),
                         "restore compatibility/matrix.yml from the repository")
                return []
        wanted = dict(checked)
        # Keys outside the bundle that a matrix rule still judges (container_runtime: docker): the
        # verdict is added to the unknown-key defect, so the person learns both facts at once.
        wanted.update({key: release[key] for key in unknown if key in version_matrix.BUNDLE_KEYS})
        return version_matrix.evaluate(dict(matrix), wanted)

    def _unknown_release_key(self, release: Mapping, key: Any, known: tuple, conflicts: list) -> None:
        """A key no layer reads: silently ignored otherwise, whatever it says."""
        name = "cluster_release.%s" % key
        twin = closest(str(key), known, 0.8)
        if twin and twin not in release and not conflicts:
            self.add("all", name, release[key], "is not a component of the release bundle", "rename it to %s" % twin)
            return
        nearest = twin or closest(str(key), known, 0.6)
        problem = "is not a component of the release bundle, so nothing reads it"
        if nearest:
            problem += " (the closest known key is %s%s)" % (nearest, ", which is set as well" if nearest in release else "")
        fix = "remove %s (the components are %s)" % (key, ", ".join(known))
        if nearest and nearest not in release:
            fix = "rename it to %s, or remove it" % nearest
        for conflict in conflicts:
            problem += "; and %s = %s breaks a rule: %s" % (key, show(release[key]), _conflict_problem(conflict))
            fix = "remove %s and %s" % (key, conflict["fix"])
        self.add("all", name, release[key], problem, fix)

    def _check_version(self, name: str, value: Any, pattern: re.Pattern, what: str) -> bool:
        """True when the version is well written; otherwise report it."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.add("all", name, value, "YAML read the version as a number, which drops digits such as a trailing 0",
                     "write %s, in quotes if YAML could read it as a number" % what)
            return False
        if not isinstance(value, str) or not pattern.match(value):
            fix = "write %s" % what
            if isinstance(value, str) and pattern is SEMVER_RE and SEMVER_RE.match(value.lstrip("vV")):
                fix = "write '%s' (Kubespray 2.29 and later take versions without the v)" % value.lstrip("vV")
            elif isinstance(value, str) and pattern is TAG_RE and SEMVER_RE.match(value):
                fix = "write 'v%s' (the Kubespray git tag)" % value
            self.add("all", name, value, "is not %s" % what, fix)
            return False
        return True

    def _check_os_list(self, name: str, value: Any) -> list:
        """The supported entries of the OS list (the others are reported)."""
        if isinstance(value, str):
            self.add("all", name, value, "must be a list", "write [%s]" % value)
            return []
        if not isinstance(value, (list, tuple)) or not value:
            self.add("all", name, value, "must be a non-empty list of operating systems",
                     "write e.g. [ubuntu-24.04]")
            return []
        usable = []
        for item in value:
            if item not in SUPPORTED_OS:
                twin = closest(str(item).lower(), SUPPORTED_OS, 0.6)
                self.add("all", name, item, "is not a supported node OS (%s)" % ", ".join(SUPPORTED_OS),
                         "write %s" % twin if twin else "use one of %s" % ", ".join(SUPPORTED_OS))
            else:
                usable.append(item)
        return usable


def _conflict_problem(conflict: Mapping) -> str:
    """A version_matrix conflict as the problem part of a Defect: the rule, what it allows, its source."""
    text = "%s: expected %s (rule %s in compatibility/matrix.yml%s)" % (
        version_matrix.RULES[conflict["rule"]], conflict["expected"], conflict["rule"],
        "; source: %s" % conflict["source"] if conflict["source"] else "")
    if conflict["message"].endswith("[source not verified]"):
        text += " [source not verified]"
    return text


_MATRIX_CACHE: dict = {}


def _default_matrix() -> dict:
    """compatibility/matrix.yml, read once per change of the file (validate runs often in tests)."""
    path = version_matrix.DEFAULT_MATRIX
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = None
    if _MATRIX_CACHE.get("stamp") != (path, stamp) or "matrix" not in _MATRIX_CACHE:
        _MATRIX_CACHE.clear()
        _MATRIX_CACHE["matrix"] = version_matrix.load_matrix(path)
        _MATRIX_CACHE["stamp"] = (path, stamp)
    return _MATRIX_CACHE["matrix"]
