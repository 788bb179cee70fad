"""The callback preload_plugins imports every filter and action plugin of the
collection in the controller's main process, and the shipped configurations
enable it (the effect on a run is measured by `make bench`, not asserted)."""

import configparser
import os
import subprocess
import sys

from ansible_collections.mlplatform.installer.plugins.callback import preload_plugins

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def plugin_files(kind):
    folder = os.path.join(REPO, "plugins", kind)
    return sorted("ansible_collections.mlplatform.installer.plugins.%s.%s" % (kind, name[:-3])
                  for name in os.listdir(folder) if name.endswith(".py") and not name.startswith("__"))


def test_every_filter_and_action_file_is_imported():
    names = preload_plugins.preload()
    assert sorted(names) == sorted(plugin_files("filter") + plugin_files("action"))
    assert all(name in sys.modules for name in names)


def test_a_fresh_interpreter_has_them_all_after_the_callback_starts():
    # A new process: what this test session imported before does not count.
    code = ("import sys; from ansible.plugins.loader import init_plugin_loader; init_plugin_loader(); "
            "from ansible_collections.mlplatform.installer.plugins.callback import preload_plugins as p; "
            "before = {n for n in sys.modules if '.plugins.filter.' in n or '.plugins.action.' in n}; "
            "p.CallbackModule().v2_playbook_on_start(None); "
            "after = {n for n in sys.modules if '.plugins.filter.' in n or '.plugins.action.' in n}; "
            "print(len(before), len(after))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))).stdout.split()
    assert out == ["0", str(len(plugin_files("filter") + plugin_files("action")))], out


def test_the_shipped_configurations_enable_it():
    for name in ("ansible.cfg", "ansible-mitogen.cfg"):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(REPO, name))
        enabled = [c.strip() for c in parser["defaults"]["callbacks_enabled"].split(",")]
        assert "mlplatform.installer.preload_plugins" in enabled, name
