"""playbooks/mirror_seed.yml, run for real against a raw repository on loopback.

The lists (images.txt, files.tsv) are what plugins/module_utils/nexus_layout.py
gives for the description; with mirror_seed_upload the playbook fetches each
file (here from mirror_seed_source, a copy carried in) and PUTs it to
cluster_mirror.files_url with Basic authentication, as Nexus's raw hosted
repository takes an upload; a second run asks the repository first (HEAD)
and changes nothing.

The "repository" is a small HTTP server with Nexus's answers for these
requests (HEAD 200/404, PUT 201, 401 without the right credentials). The
server and ansible-playbook run together in a network namespace with only a
loopback (`unshare -rn`), where the kernel allows it: the inventory's example
addresses are never reachable.
"""

import base64
import csv
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER, PASSWORD = "seeder", "s3cret:with@chars"


class _Handler(http.server.BaseHTTPRequestHandler):
    stored = {}     # path under /raw/ -> bytes
    requests = []   # (method, path, status)

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status, body=b""):
        self.requests.append((self.command, self.path, status))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self):
        wanted = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        return self.headers.get("Authorization") == wanted

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/src/"):
            return self._answer(200, ("content of %s\n" % self.path[len("/src/"):]).encode())
        return self._answer(404)

    def do_HEAD(self):  # noqa: N802
        if not self._authorized():
            return self._answer(401)
        return self._answer(200 if self.path[len("/raw/"):] in self.stored else 404)

    def do_PUT(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self._authorized():
            return self._answer(401)
        self.stored[self.path[len("/raw/"):]] = body
        return self._answer(201)


def _run(inventory, out):
    """In the namespace: the server, then the playbook twice; the results as JSON on stdout."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    mirror = os.path.join(inventory, "group_vars", "all", "mirror.yml")
    with open(mirror, "w", encoding="utf-8") as handle:
        handle.write("---\ncluster_mirror:\n  files_url: http://127.0.0.1:%d/raw\n  registry: 127.0.0.1:8443\n" % port)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", NO_PROXY="127.0.0.1",
               no_proxy="127.0.0.1")
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(name, None)
    runs = []
    for _round in range(2):
        command = ["ansible-playbook", "-i", inventory, os.path.join(REPO, "playbooks", "mirror_seed.yml"),
                   "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "mirror_seed_upload=true",
                   "-e", "mirror_seed_source=http://127.0.0.1:%d/src" % port,
                   "-e", "mirror_seed_user=%s" % USER, "-e", "mirror_seed_password=%s" % PASSWORD]
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
        runs.append({"rc": result.returncode, "output": result.stdout + result.stderr})
    json.dump({"runs": runs, "stored": {k: v.decode() for k, v in _Handler.stored.items()},
               "requests": _Handler.requests}, out)


def _unshare_works():
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return False


@pytest.fixture(name="seeded", scope="module")
def fixture_seeded(tmp_path_factory):
    inventory = tmp_path_factory.mktemp("seed") / "production"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), inventory,
                    ignore=shutil.ignore_patterns("artifacts", "reports", "ssh_known_hosts"))
    command = [sys.executable, os.path.abspath(__file__), str(inventory)]
    if _unshare_works():
        command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"] + command
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return inventory, json.loads(result.stdout)


def _recap(output):
    import re
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output[-3000:]
    return tuple(int(g) for g in match.groups())


def test_lists_are_the_layouts(seeded, load_inventory):
    from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory as ki
    from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_layout as nl

    inventory, results = seeded
    assert results["runs"][0]["rc"] == 0, results["runs"][0]["output"][-3000:]
    loaded = load_inventory(str(inventory))
    description = ki.description_from_hostvars(loaded.hostvars, loaded.groups)
    directory = inventory / "artifacts" / "mirror"
    assert (directory / "images.txt").read_text().splitlines() == nl.images(description)
    with open(directory / "files.tsv", encoding="utf-8") as handle:
        rows = [tuple(row) for row in csv.reader(handle, delimiter="\t")]
    assert rows == nl.files(description)


def test_files_are_uploaded_once_with_credentials(seeded):
    inventory, results = seeded
    with open(inventory / "artifacts" / "mirror" / "files.tsv", encoding="utf-8") as handle:
        paths = [row[1] for row in csv.reader(handle, delimiter="\t")]
    # Every file, under its files_repo path, with the content fetched from the source.
    assert results["stored"] == {path: "content of %s\n" % path for path in paths}
    puts = [r for r in results["requests"] if r[0] == "PUT"]
    assert len(puts) == len(paths) and all(status == 201 for _m, _p, status in puts)
    # First run: changed; second run: asks (HEAD 200 for each) and changes nothing.
    assert _recap(results["runs"][0]["output"])[1] > 0
    assert results["runs"][1]["rc"] == 0 and _recap(results["runs"][1]["output"])[1:] == (0, 0, 0)
    heads = [r for r in results["requests"] if r[0] == "HEAD"]
    assert len(heads) == 2 * len(paths) and [s for _m, _p, s in heads[len(paths):]] == [200] * len(paths)


def test_the_password_is_never_printed(seeded):
    _inventory, results = seeded
    for run in results["runs"]:
        assert PASSWORD not in run["output"]


if __name__ == "__main__":
    _run(sys.argv[1], sys.stdout)
