"""Import one of plugins/modules/*.py by name, as its own module object, so a
test can call its main() with AnsibleModule arguments patched in. Shared by
the unit tests (pytest puts this directory on sys.path)."""

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(name):
    path = os.path.join(REPO, "plugins", "modules", name + ".py")
    spec = importlib.util.spec_from_file_location("test_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(monkeypatch, capsys, module, args):
    """Run a loaded module's main() with args as Ansible passes them; (result, exit code, stdout)."""
    import json

    import pytest
    from ansible.module_utils import basic

    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())
    with pytest.raises(SystemExit) as exited:
        module.main()
    out = capsys.readouterr().out
    return json.loads(out), exited.value.code, out
