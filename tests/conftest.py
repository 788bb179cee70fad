"""Shared pytest setup for the whole tests/ tree.

* ``plugins/`` is put on sys.path, so tests import the pure functions as
  ``from module_utils.<name> import ...`` (the way Ansible cannot, see
  docs/CONVENTIONS.md "Modules").
* Ansible reads the repository's ansible.cfg, as ansible-playbook does when
  run from the repository root.
* ``load_inventory`` reads an inventory exactly as ansible-playbook does
  (InventoryManager + VariableManager + HostVars), for the plugins that take
  ``hostvars`` and ``groups``.
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(REPO, "plugins")
if PLUGINS not in sys.path:
    sys.path.insert(0, PLUGINS)
os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg"))


class LoadedInventory:
    """What a play sees of an inventory: hostvars, groups and the sources."""

    def __init__(self, path):
        # Imported here, after ANSIBLE_CONFIG is set.
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.vars.hostvars import HostVars
        from ansible.vars.manager import VariableManager

        loader = DataLoader()
        self.inventory = InventoryManager(loader=loader, sources=[path])
        self.variable_manager = VariableManager(loader=loader, inventory=self.inventory)
        self.hostvars = HostVars(inventory=self.inventory, variable_manager=self.variable_manager, loader=loader)
        self.groups = self.inventory.get_groups_dict()
        # What ansible-playbook puts in ansible_inventory_sources: the -i paths, absolute.
        self.sources = [os.path.abspath(path)]


@pytest.fixture(name="load_inventory")
def fixture_load_inventory():
    """Factory: load_inventory(path) -> LoadedInventory."""
    return LoadedInventory
