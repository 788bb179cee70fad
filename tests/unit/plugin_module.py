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
