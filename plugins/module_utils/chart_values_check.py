# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our chart values against a chart's own values.yaml: pure functions.

helm ignores a values key the chart does not read, silently: a misspelled key
is a setting that never takes effect. Every key path we set must therefore
exist in the pinned chart's values.yaml with the same type. Used by the tests
of the GPU Operator and kube-prometheus-stack values, with the upstream files
in ../shared/upstream/.
"""

from __future__ import annotations


def kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "null"


def values_problems(values, upstream, documented=(), path=""):
    """Key paths of ``values`` that the chart's values.yaml does not have, or has with another type.

    Below an upstream value that is an empty mapping or null (storageSpec: {},
    resources: {}) the chart passes our mapping through to a CRD field: nothing
    more to compare there. ``documented`` lists paths the chart documents only
    as a comment (``# configSecret:``); the caller checks that comment exists.
    """
    problems = []
    for key, value in values.items():
        where = "%s.%s" % (path, key) if path else key
        if key not in upstream:
            if where not in documented:
                problems.append("%s is not a key of the chart's values (a typo is ignored by helm)" % where)
            continue
        theirs = upstream[key]
        if theirs is None or (isinstance(theirs, dict) and not theirs):
            continue
        if kind(value) != kind(theirs):
            problems.append("%s is a %s here, a %s in the chart" % (where, kind(value), kind(theirs)))
            continue
        if isinstance(value, dict):
            problems += values_problems(value, theirs, documented, where)
    return problems
