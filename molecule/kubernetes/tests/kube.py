"""kubectl against the scenario's API, as an ops engineer runs it: the admin
kubeconfig the Kubernetes layer fetched and the kubectl built at the bundle's
version. Shared by the scenario's test files (pytest puts this directory on
sys.path)."""

import functools
import json
import os
import subprocess

REPO = os.environ["MOLECULE_PROJECT_DIRECTORY"]
KUBECONFIG = os.path.join(os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]), "artifacts", "admin.conf")


@functools.lru_cache(maxsize=None)
def kubectl_path():
    out = subprocess.run([os.path.join(REPO, "testbed", "kubernetes", "build.sh"), "--print-dir"],
                         check=True, capture_output=True, text=True).stdout
    dirs = dict(line.split(" ", 1) for line in out.splitlines())
    return os.path.join(dirs["kubernetes"], "kubectl")


def kubectl(*args, check=True, stdin=None):
    """The finished kubectl; with check, a non-zero exit fails the test with kubectl's stderr."""
    proc = subprocess.run([kubectl_path(), "--kubeconfig", KUBECONFIG] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("kubectl %s failed: %s" % (" ".join(args), proc.stderr))
    return proc


def get(*args):
    return json.loads(kubectl("get", "-o", "json", *args).stdout)
