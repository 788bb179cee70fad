"""Shared pytest setup for the whole tests/ tree.

* The checkout is imported as the collection it is (galaxy.yml): tests use
  ``from ansible_collections.mlplatform.installer.plugins.module_utils import
  x``, as the plugins do, through the link ``make venv`` makes.
* Ansible reads the repository's ansible.cfg, as ansible-playbook does when
  run from the repository root.
* ``load_inventory`` reads an inventory exactly as ansible-playbook does
  (InventoryManager + VariableManager + HostVars), for the plugins that take
  ``hostvars`` and ``groups``.
"""

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
if not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "mlplatform", "installer", "plugins")):
    raise SystemExit("tests/conftest.py: %s/ansible_collections/mlplatform/installer is missing: run `make venv`"
                     % COLLECTIONS)
os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg"))
# Ansible's collection finder, configured from ansible.cfg (collections_path),
# imports the collection for every test: a plain sys.path import would load it
# without its metadata, and the finder, once any test starts the plugin loader,
# refuses such a package.
from ansible.plugins.loader import init_plugin_loader  # noqa: E402  (after ANSIBLE_CONFIG)

init_plugin_loader()


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
