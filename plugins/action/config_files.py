# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a role's templates and read its files on the controller, then keep
them on the node in one run of the module of the same name.

Templates are rendered as ansible.builtin.template renders them (the role's
templates/ search path, trim_blocks, the ansible_managed variables), so a
task moved from template to config_files finds the file unchanged.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.template import AnsibleEnvironment, generate_ansible_template_vars

SOURCES = ("template", "src", "content")


def entry_problems(entries):
    """What is wrong with the files argument, one message per entry (pure)."""
    if not isinstance(entries, list) or not entries:
        return ["files must be a non-empty list of {dest, template|src|content, ...}"]
    problems = []
    seen = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("dest"):
            problems.append("files[%d] has no dest" % index)
            continue
        dest = entry["dest"]
        given = [key for key in SOURCES if entry.get(key) is not None]
        if entry.get("state", "present") == "absent":
            if given:
                problems.append("%s: state absent takes no %s" % (dest, " or ".join(given)))
        elif len(given) != 1:
            problems.append("%s: give exactly one of template, src or content (got %s)"
                            % (dest, ", ".join(given) or "none"))
        if dest in seen:
            problems.append("%s is listed twice" % dest)
        seen.add(dest)
    return problems


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        problems = entry_problems(args.get("files"))
        if problems:
            result.update(failed=True, msg="config_files: " + "; ".join(problems))
            return result
        try:
            args["files"] = [self._resolve(dict(entry), task_vars) for entry in args["files"]]
        except AnsibleError as exc:
            result.update(failed=True, msg="config_files: %s" % to_text(exc))
            return result
        result.update(self._execute_module(module_name="mlplatform.installer.config_files",
                                           module_args=args, task_vars=task_vars))
        # The module echoes every file's content back; the caller needs the paths only.
        result.pop("invocation", None)
        return result

    def _resolve(self, entry, task_vars):
        if entry.get("template") is not None:
            entry["content"] = self._render(entry.pop("template"), entry["dest"], task_vars)
        elif entry.get("src") is not None:
            path = self._loader.get_real_file(self._find_needle("files", entry.pop("src")))
            try:
                with open(path, "rb") as handle:
                    entry["content"] = to_text(handle.read(), errors="surrogate_or_strict")
            finally:
                self._loader.cleanup_tmp_file(path)
        return entry

    def _render(self, name, dest, task_vars):
        source = self._find_needle("templates", name)
        path = self._loader.get_real_file(source)
        try:
            with open(path, "rb") as handle:
                data = to_text(handle.read(), errors="surrogate_or_strict")
        finally:
            self._loader.cleanup_tmp_file(path)
        # ansible.builtin.template's search path: each entry and its templates/.
        searchpath = []
        for base in list(task_vars.get("ansible_search_path", [])) + [self._loader._basedir,
                                                                      os.path.dirname(source)]:
            searchpath.extend([os.path.join(base, "templates"), base])
        variables = task_vars.copy()
        variables.update(generate_ansible_template_vars(name, source, dest))
        templar = self._templar.copy_with_new_env(environment_class=AnsibleEnvironment,
                                                  searchpath=searchpath, available_variables=variables)
        return templar.do_template(data, preserve_trailing_newlines=True, escape_backslashes=False,
                                   overrides=dict(trim_blocks=True, lstrip_blocks=False))
