"""The callback mitogen_collections: under the mitogen strategy, the installed
collections are listed once per run and mitogen's planner takes that list; the
list is the one mitogen's own step builds (the pinned mitogen, a fresh
interpreter); under any other strategy nothing is touched. Its effect on a run
is measured by `make bench`, not asserted."""

import configparser
import os
import subprocess
import sys
import types

from ansible_collections.mlplatform.installer.plugins.callback import mitogen_collections

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_install_replaces_the_step_with_the_list_given():
    planner = types.SimpleNamespace(_load_collections=lambda invocation: invocation._extra_sys_paths.add("slow"))
    assert mitogen_collections.install(planner, ("/c/a", "/c/b")) is True
    invocation = types.SimpleNamespace(_extra_sys_paths={"/already"})
    planner._load_collections(invocation)
    assert invocation._extra_sys_paths == {"/already", "/c/a", "/c/b"}


def test_install_leaves_a_mitogen_without_that_step_alone():
    planner = types.SimpleNamespace()
    assert mitogen_collections.install(planner, ("/c/a",)) is False
    assert not hasattr(planner, "_load_collections")


def _fresh(code, strategy):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_STRATEGY=strategy)
    prelude = "import sys, types; from ansible.plugins.loader import init_plugin_loader; init_plugin_loader(); "
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, check=True,
                          cwd=REPO, env=env).stdout.split()


def test_the_list_is_the_one_the_pinned_mitogen_builds():
    code = ("import ansible_mitogen.planner as p; "
            "from ansible_collections.mlplatform.installer.plugins.callback import mitogen_collections as m; "
            "own = types.SimpleNamespace(_extra_sys_paths=set()); p._load_collections(own); "
            "original = p._load_collections; m.CallbackModule().v2_playbook_on_start(None); "
            "ours = types.SimpleNamespace(_extra_sys_paths=set()); p._load_collections(ours); "
            "print(p._load_collections is not original, own._extra_sys_paths == ours._extra_sys_paths, "
            "len(ours._extra_sys_paths))")
    replaced, same, count = _fresh(code, "mitogen_linear")
    assert (replaced, same) == ("True", "True")
    assert int(count) > 1  # this collection and the `ansible` package's


def test_another_strategy_is_left_alone():
    code = ("import ansible_mitogen.planner as p; original = p._load_collections; "
            "from ansible_collections.mlplatform.installer.plugins.callback import mitogen_collections as m; "
            "m.CallbackModule().v2_playbook_on_start(None); print(p._load_collections is original)")
    assert _fresh(code, "linear") == ["True"]


def test_the_shipped_configurations_enable_it():
    for name in ("ansible.cfg", "ansible-mitogen.cfg"):
        config = configparser.ConfigParser()
        config.read(os.path.join(REPO, name))
        enabled = [c.strip() for c in config["defaults"]["callbacks_enabled"].split(",")]
        assert "mlplatform.installer.mitogen_collections" in enabled, name
