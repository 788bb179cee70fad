# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Under the mitogen strategy, list the installed collections once per run, not once per module run.

mitogen (ansible_mitogen/planner.py, 0.3.x) runs a module found under
ansible_collections/ - ours, kubernetes.core, ansible.posix - only after
adding every installed collection's directory to the module's search path,
and it lists them through ansible.collections.list.list_collection_dirs(),
which reads the metadata of each of them. Its cache of that work lives in
the worker process Ansible forks for one task, so every such task pays it
again: with the hundred collections of the `ansible` package, about half a
second per task on this machine, more than the module itself. The list
cannot change during a run: it is read here once, in the main process
before any worker is forked, and mitogen's step takes it from there.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: mitogen_collections
author:
  - ML platform team (@mlplatform)
type: aggregate
short_description: under the mitogen strategy, list the installed collections once per run
description:
  - When a playbook starts under a mitogen strategy, reads the directories of the installed
    collections once, in the controller's main process, and has mitogen's planner use that list
    instead of listing them again for every module it runs from a collection.
  - Does nothing under any other strategy, or when mitogen is not installed or has no such step.
  - Changes no result and prints nothing.
requirements:
  - enabled in ansible.cfg callbacks_enabled
"""

from ansible import constants as C
from ansible.plugins.callback import CallbackBase


def collection_dirs():
    """The installed collections' directories, as mitogen adds them to a module's search path."""
    from ansible.collections.list import list_collection_dirs
    return tuple(path.decode("utf-8") if isinstance(path, bytes) else path for path in list_collection_dirs())


def install(planner, dirs):
    """Replace planner._load_collections with one that adds dirs; False when there is no such step."""
    if not callable(getattr(planner, "_load_collections", None)):
        return False

    def _load_collections(invocation):
        invocation._extra_sys_paths.update(dirs)  # pylint: disable=protected-access

    planner._load_collections = _load_collections  # pylint: disable=protected-access
    return True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mlplatform.installer.mitogen_collections"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        if not str(C.DEFAULT_STRATEGY).startswith("mitogen"):
            return
        try:
            from ansible_mitogen import planner
        except ImportError:
            return
        install(planner, collection_dirs())
