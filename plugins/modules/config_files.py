#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_files
short_description: Keep a role's configuration files on a node in one module run
description:
  - Writes, or removes, a list of small configuration files in one call, where a role would otherwise
    run one M(ansible.builtin.template), M(ansible.builtin.copy) or M(ansible.builtin.file) task per
    file. On a re-run every one of those tasks is a module run on the node and a worker on the
    controller that only finds the file unchanged; here that is one per role.
  - The action plugin of the same name renders O(files[].template) (from the role's C(templates/), as
    M(ansible.builtin.template) does, with C(trim_blocks)) and reads O(files[].src) (from C(files/))
    on the controller, and hands this module the contents.
  - A file is rewritten only when its content differs, atomically (a temporary file in the same
    directory, validated first when O(files[].validate) is set, then renamed over it); its mode, owner
    and group are set when they differ. Missing parent directories are created with
    O(directory_mode), owned as the first file that needs them.
  - RV(changed_paths) lists the files that changed, so a handler can run only for its own file
    (C(when) on the registered result).
  - Supports check mode and diff mode. A file that holds a secret goes in a task with C(no_log), as
    for M(ansible.builtin.copy) - that hides the task's arguments and its diff.
options:
  files:
    description: The files, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description: Absolute path of the file on the node.
        type: path
        required: true
      content:
        description: The file's content (set by the action plugin from O(files[].template) or O(files[].src)).
        type: str
      template:
        description: A template in the role's C(templates/), rendered on the controller.
        type: str
      src:
        description: A file in the role's C(files/), copied as it is.
        type: str
      state:
        description: C(present) writes the file, C(absent) removes it (a directory is refused).
        type: str
        choices: [present, absent]
        default: present
      mode:
        description: The file's mode.
        type: raw
        default: "0644"
      owner:
        description: The file's owner; unset keeps a file's owner (a new file gets the connection user's).
        type: str
      group:
        description: The file's group; unset keeps a file's group (a new file gets the connection user's).
        type: str
      validate:
        description: A command run on the new content before it replaces the file; C(%s) is its path.
        type: str
  directory_mode:
    description: Mode of the parent directories this module creates.
    type: raw
    default: "0755"
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Write the role's configuration files
  mlplatform.installer.config_files:
    files:
      - dest: /etc/chrony/chrony.conf
        template: etc/chrony/chrony.conf.j2
        validate: /usr/sbin/chronyd -p -f %s
      - dest: /etc/systemd/system/chrony.service.d/50-mlp-container.conf
        state: absent
  register: __role_files
  notify: Restart chrony
"""

RETURN = r"""
changed_paths:
  description: The files written, removed, or whose mode, owner or group was set.
  returned: always
  type: list
  elements: str
files:
  description: One entry per file, in order - C(dest), C(state) and C(changed).
  returned: always
  type: list
  elements: dict
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _make_parents(module, entry, mode):
    """Create the missing parent directories of path, outermost first; True when one was."""
    missing = []
    parent = os.path.dirname(entry["dest"])
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    if module.check_mode:
        return bool(missing)
    for directory in reversed(missing):
        os.mkdir(directory)
        module.set_fs_attributes_if_different(
            module.load_file_common_arguments({"path": directory, "mode": mode, "owner": entry["owner"],
                                               "group": entry["group"]}), False)
    return bool(missing)


def _write(module, entry, data):
    dest = entry["dest"]
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".%s." % os.path.basename(dest))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if entry.get("validate"):
            if "%s" not in entry["validate"]:
                module.fail_json(msg="%s: validate must contain %%s: %s" % (dest, entry["validate"]))
            rc, out, err = module.run_command(entry["validate"] % temp)
            if rc != 0:
                module.fail_json(msg="%s: the new content failed validation (%s): %s"
                                 % (dest, entry["validate"], (err or out).strip()))
        module.atomic_move(temp, dest, unsafe_writes=False)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _present(module, entry, diffs):
    dest = entry["dest"]
    if os.path.isdir(dest):
        module.fail_json(msg="%s is a directory, not a file: remove it or fix dest" % dest)
    data = to_bytes(entry["content"] or "", errors="surrogate_or_strict")
    before = _read(dest)
    changed = _make_parents(module, entry, module.params["directory_mode"])
    if before != data:
        changed = True
        if module._diff:
            diffs.append({"before_header": dest, "after_header": dest,
                          "before": to_native(before or b"", errors="surrogate_or_strict"),
                          "after": entry["content"] or ""})
        if not module.check_mode:
            _write(module, entry, data)
    if os.path.exists(dest):
        attrs = module.load_file_common_arguments(
            {"path": dest, "mode": entry["mode"], "owner": entry["owner"], "group": entry["group"]})
        changed = module.set_fs_attributes_if_different(attrs, changed)
    return changed


def _absent(module, entry, diffs):
    dest = entry["dest"]
    if os.path.isdir(dest) and not os.path.islink(dest):
        module.fail_json(msg="%s is a directory: config_files removes files only" % dest)
    if not os.path.lexists(dest):
        return False
    if module._diff:
        diffs.append({"before_header": dest, "after_header": dest, "before": "present\n", "after": "absent\n"})
    if not module.check_mode:
        os.unlink(dest)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                dest=dict(type="path", required=True),
                content=dict(type="str"),
                template=dict(type="str"),
                src=dict(type="str"),
                state=dict(type="str", choices=["present", "absent"], default="present"),
                mode=dict(type="raw", default="0644"),
                owner=dict(type="str"),
                group=dict(type="str"),
                validate=dict(type="str"),
            )),
            directory_mode=dict(type="raw", default="0755"),
        ),
        supports_check_mode=True,
    )
    results, changed_paths, diffs = [], [], []
    for entry in module.params["files"]:
        if not os.path.isabs(entry["dest"]):
            module.fail_json(msg="dest must be an absolute path: %s" % entry["dest"])
        if entry["state"] == "present" and entry["content"] is None:
            module.fail_json(msg="%s: no content (give template, src or content)" % entry["dest"])
        handler = _present if entry["state"] == "present" else _absent
        changed = handler(module, entry, diffs)
        results.append({"dest": entry["dest"], "state": entry["state"], "changed": changed})
        if changed:
            changed_paths.append(entry["dest"])
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, files=results, diff=diffs)


if __name__ == "__main__":
    main()
