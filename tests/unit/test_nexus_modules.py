"""The nexus_* modules against answers recorded from a real Nexus 3.71.0-06 (fixtures/nexus/).

A fake open_url answers each (method, path) from a script of recorded bodies
and refuses any request the test did not expect, so these tests show which
requests a module sends, which it leaves out (idempotence, check mode), the
body it PUTs (the whole merged configuration, routingRule not
routingRuleName), and that Nexus's answer and the request reach the error
while the password never does. The docker payloads, which the base assembly
cannot serve, are checked against the documented contract only.
"""

import io
import json
import os

from ansible.module_utils.six.moves.urllib.error import HTTPError

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api

from plugin_module import load, run_main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "nexus")
PASSWORD = "S3cret-admin-pw"
BASE = "http://127.0.0.1:8081/service/rest"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


class Response:
    def __init__(self, status, body):
        self.status, self.body = status, body.encode()

    def getcode(self):
        return self.status

    def read(self):
        return self.body


class FakeNexus:
    """open_url stand-in: "METHOD /path" -> [(status, body or fixture name), ...] (the last answer repeats)."""

    def __init__(self, script):
        self.script = {k: list(v) for k, v in script.items()}
        self.calls = []

    def __call__(self, url, data=None, method=None, url_username=None, url_password=None, force_basic_auth=False,
                 **kwargs):
        assert url.startswith(BASE) and force_basic_auth and kwargs.get("use_proxy") is False
        key = "%s %s" % (method, url[len(BASE):])
        self.calls.append({"request": key, "body": json.loads(data) if data and data[:1] in "[{" else data,
                           "user": url_username, "password": url_password})
        if key not in self.script:
            raise AssertionError("unexpected request: %s" % key)
        answers = self.script[key]
        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        if body.endswith((".json", ".txt")):
            body = fixture(body)
        if status >= 400:
            raise HTTPError(url, status, "error", {}, io.BytesIO(body.encode()))
        return Response(status, body)


def run(monkeypatch, capsys, name, args, script, check_mode=False, diff=False):
    fake = FakeNexus(script)
    monkeypatch.setattr(nexus_api, "open_url", fake)
    module_args = dict(args, password=args.get("password", PASSWORD), _ansible_check_mode=check_mode,
                       _ansible_diff=diff)
    result, rc, out = run_main(monkeypatch, capsys, load(name), module_args)
    result["_rc"], result["_calls"], result["_out"] = rc, fake.calls, out
    return result


APT = {"proxy": {"remoteUrl": "http://archive.ubuntu.com/ubuntu/", "contentMaxAge": 60, "metadataMaxAge": 1440},
       "apt": {"distribution": "noble", "flat": False}}


# ------------------------------------------------------------------ nexus_repository

def test_repository_unchanged_sends_no_write(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="ubuntu", format="apt", type="proxy", config=APT),
                 {"GET /v1/repositories/apt/proxy/ubuntu": [(200, "get-apt-proxy-ubuntu.json")]})
    assert result["_rc"] == 0 and not result["changed"]
    assert [c["request"] for c in result["_calls"]] == ["GET /v1/repositories/apt/proxy/ubuntu"]


def test_repository_change_puts_the_whole_merged_configuration(monkeypatch, capsys):
    wanted = {"proxy": {"contentMaxAge": 30}}
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="ubuntu", format="apt", type="proxy", config=wanted),
                 {"GET /v1/repositories/apt/proxy/ubuntu": [(200, "get-apt-proxy-ubuntu.json")],
                  "PUT /v1/repositories/apt/proxy/ubuntu": [(204, "")]}, diff=True)
    assert result["_rc"] == 0 and result["changed"]
    assert result["changed_keys"] == ["proxy.contentMaxAge"]
    put = [c for c in result["_calls"] if c["request"].startswith("PUT")][0]["body"]
    current = json.loads(fixture("get-apt-proxy-ubuntu.json"))
    # PUT replaces everything: the keys not asked for travel along unchanged.
    assert put["storage"] == current["storage"] and put["apt"] == current["apt"]
    assert put["httpClient"] == current["httpClient"] and put["proxy"]["remoteUrl"] == current["proxy"]["remoteUrl"]
    assert put["proxy"]["contentMaxAge"] == 30 and put["name"] == "ubuntu"
    # GET's routingRuleName goes back as routingRule; GET's read-only keys stay out.
    assert "routingRule" in put and "routingRuleName" not in put
    assert not {"url", "format", "type"} & set(put)
    assert result["diff"]["before"]["proxy"]["contentMaxAge"] == 60


def test_repository_check_mode_reports_and_sends_nothing(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="ubuntu", format="apt", type="proxy", config={"online": False}),
                 {"GET /v1/repositories/apt/proxy/ubuntu": [(200, "get-apt-proxy-ubuntu.json")]},
                 check_mode=True, diff=True)
    assert result["changed"] and result["request"] == "PUT /v1/repositories/apt/proxy/ubuntu"
    assert result["diff"]["after"]["online"] is False
    assert [c["request"] for c in result["_calls"]] == ["GET /v1/repositories/apt/proxy/ubuntu"]


def test_repository_created_when_missing(monkeypatch, capsys):
    config = {"online": True, "storage": {"blobStoreName": "raw", "strictContentTypeValidation": True,
                                          "writePolicy": "ALLOW_ONCE"}}
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="files2", format="raw", type="hosted", config=config),
                 {"GET /v1/repositories/raw/hosted/files2": [
                     (404, "get-404-repository.json"), (200, "get-raw-hosted.json")],
                  "GET /v1/repositories": [(200, "[]")],
                  "POST /v1/repositories/raw/hosted": [(201, "")]})
    assert result["changed"] and result["request"] == "POST /v1/repositories/raw/hosted"
    post = result["_calls"][2]
    assert post["body"] == dict(config, name="files2")
    assert result["repository"]["raw"] == {"contentDisposition": "ATTACHMENT"}


def test_repository_name_taken_by_another_format_is_refused_before_nexus_says_duplicate_key(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="files2", format="raw", type="proxy", config={"online": True}),
                 {"GET /v1/repositories/raw/proxy/files2": [(404, "get-404-repository.json")],
                  "GET /v1/repositories": [(200, "list-repositories.json")]})
    assert result["_rc"] == 1
    assert "files2 exists as raw/hosted, not raw/proxy" in result["msg"] and "Duplicate key" in result["msg"]
    assert not [c for c in result["_calls"] if c["request"].startswith("POST")]


def test_repository_nexus_error_quotes_request_and_answer_never_the_password(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="files2", format="raw", type="hosted", config={"storage": None}),
                 {"GET /v1/repositories/raw/hosted/files2": [(200, "get-raw-hosted.json")],
                  "PUT /v1/repositories/raw/hosted/files2": [(400, "put-400-no-storage.json")]})
    assert result["_rc"] == 1
    assert result["msg"].startswith("Nexus answered 400 to PUT /v1/repositories/raw/hosted/files2: ")
    assert "must not be null" in result["msg"] and result["request"] == "PUT /v1/repositories/raw/hosted/files2"
    assert PASSWORD not in result["_out"]


def test_repository_secret_is_sent_but_never_compared_or_returned(monkeypatch, capsys):
    config = {"httpClient": {"authentication": {"type": "username", "username": "u", "password": "remote-S3cret"}}}
    script = {"GET /v1/repositories/apt/proxy/ubuntu": [(200, "get-apt-proxy-ubuntu.json")]}
    script["PUT /v1/repositories/apt/proxy/ubuntu"] = [(204, "")]
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="ubuntu", format="apt", type="proxy", config=config), script)
    # The authentication is new (GET answered null: a change); the PUT carries the password; nothing returns it.
    assert result["changed_keys"] == ["httpClient.authentication"]
    put = [c for c in result["_calls"] if c["request"].startswith("PUT")][0]["body"]
    assert put["httpClient"]["authentication"]["password"] == "remote-S3cret"
    assert "remote-S3cret" not in result["_out"]


def test_repository_absent_deletes_by_name(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="files2", format="raw", type="hosted", state="absent"),
                 {"GET /v1/repositories/raw/hosted/files2": [(200, "get-raw-hosted.json")],
                  "DELETE /v1/repositories/files2": [(204, "")]})
    assert result["changed"] and result["_calls"][-1]["request"] == "DELETE /v1/repositories/files2"


def test_docker_force_basic_auth_made_explicit_and_token_realm_warned(monkeypatch, capsys):
    """Documented contract only: the base assembly has no docker format."""
    config = {"online": True, "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
              "group": {"memberNames": ["docker-registry.k8s.io"]},
              "docker": {"v1Enabled": False, "forceBasicAuth": False, "httpsPort": 8444}}
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="docker-mirror", format="docker", type="group", config=config),
                 {"GET /v1/repositories/docker/group/docker-mirror": [
                     (404, "get-404-repository.json"),
                     (200, json.dumps(dict(config, name="docker-mirror", format="docker", type="group")))],
                  "GET /v1/repositories": [(200, "[]")],
                  "POST /v1/repositories/docker/group": [(201, "")],
                  "GET /v1/security/realms/active": [(200, "realms-active.json")]})
    assert result["changed"]
    assert any("DockerToken realm is not active" in w for w in result["warnings"])
    # Without forceBasicAuth in the payload the module writes Nexus's default (true) explicitly.
    assert nexus_api.docker_defaults("docker", {"docker": {"httpsPort": 8444}})["docker"] == {
        "httpsPort": 8444, "forceBasicAuth": True, "v1Enabled": False}


# ------------------------------------------------------------------ nexus_blobstore

def test_blobstore_unchanged_and_quota_change(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_blobstore", dict(name="raw", path="/tmp/nexus-try/blobs-raw"),
                 {"GET /v1/blobstores/file/raw": [(200, "get-blobstore.json")]})
    assert not result["changed"]
    quota = {"type": "spaceRemainingQuota", "limit": 1048576}
    result = run(monkeypatch, capsys, "nexus_blobstore", dict(name="raw", soft_quota=quota),
                 {"GET /v1/blobstores/file/raw": [(200, "get-blobstore.json")],
                  "PUT /v1/blobstores/file/raw": [(204, "")]})
    assert result["changed"] and result["changed_keys"] == ["softQuota"]
    assert result["_calls"][1]["body"] == {"path": "/tmp/nexus-try/blobs-raw", "softQuota": quota}


def test_blobstore_create_needs_a_path_and_path_never_moves(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_blobstore", dict(name="nope"),
                 {"GET /v1/blobstores/file/nope": [(404, "get-404-blobstore.json")]})
    assert result["_rc"] == 1 and "give path to create it" in result["msg"]
    result = run(monkeypatch, capsys, "nexus_blobstore", dict(name="raw", path="/elsewhere"),
                 {"GET /v1/blobstores/file/raw": [(200, "get-blobstore.json")]})
    assert result["_rc"] == 1 and "cannot move" in result["msg"]


# ------------------------------------------------------------------ nexus_realms

def test_realms_unknown_one_refused_naming_the_available(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_realms", dict(realms=["NexusAuthenticatingRealm", "DockerToken"]),
                 {"GET /v1/security/realms/active": [(200, "realms-active.json")],
                  "GET /v1/security/realms/available": [(200, "realms-available.json")]})
    assert result["_rc"] == 1
    assert "DockerToken not available on this Nexus (available: DefaultRole, NexusAuthenticatingRealm)" in result["msg"]


def test_realms_order_counts(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_realms", dict(realms=["NexusAuthenticatingRealm"]),
                 {"GET /v1/security/realms/active": [(200, "realms-active.json")]})
    assert not result["changed"]
    result = run(monkeypatch, capsys, "nexus_realms", dict(realms=["DefaultRole", "NexusAuthenticatingRealm"]),
                 {"GET /v1/security/realms/active": [(200, "realms-active.json")],
                  "GET /v1/security/realms/available": [(200, "realms-available.json")],
                  "PUT /v1/security/realms/active": [(204, "")]})
    assert result["changed"] and result["_calls"][-1]["body"] == ["DefaultRole", "NexusAuthenticatingRealm"]


# ------------------------------------------------------------------ nexus_user

def test_admin_rotation_with_the_first_boot_password(monkeypatch, capsys):
    users = json.dumps([u for u in json.loads(fixture("users-prefix-a.json")) if u["userId"] == "admin"])
    result = run(monkeypatch, capsys, "nexus_user",
                 dict(password="first-boot-pw", user_id="admin", user_password=PASSWORD),
                 {"GET /v1/status": [(401, "")],
                  "GET /v1/security/users?userId=admin": [(200, users)],
                  "PUT /v1/security/users/admin/change-password": [(204, "")]})
    assert result["changed"] and result["changed_keys"] == ["password"]
    probe, listing, change = result["_calls"]
    assert probe["password"] == PASSWORD and probe["user"] == "admin"
    assert listing["password"] == "first-boot-pw"
    assert change["body"] == PASSWORD and change["password"] == "first-boot-pw"
    assert PASSWORD not in result["_out"] and "first-boot-pw" not in result["_out"]


def test_admin_rerun_after_the_file_is_gone_reports_ok(monkeypatch, capsys):
    users = json.dumps([u for u in json.loads(fixture("users-prefix-a.json")) if u["userId"] == "admin"])
    result = run(monkeypatch, capsys, "nexus_user",
                 dict(password="stale-first-boot-pw", user_id="admin", user_password=PASSWORD),
                 {"GET /v1/status": [(200, "")],
                  "GET /v1/security/users?userId=admin": [(200, users)]})
    assert result["_rc"] == 0 and not result["changed"]
    # The working password is used from the probe on: the stale one is never sent again.
    assert [c["password"] for c in result["_calls"]] == [PASSWORD, PASSWORD]


def test_user_prefix_search_picks_the_exact_id_and_roles_compare_as_sets(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_user", dict(user_id="ci", roles=["nx-anonymous"], last_name="Puller"),
                 {"GET /v1/security/users?userId=ci": [(200, "users-ci.json")],
                  "PUT /v1/security/users/ci": [(204, "")]})
    assert result["changed_keys"] == ["lastName"]
    body = result["_calls"][-1]["body"]
    assert body["userId"] == "ci" and body["lastName"] == "Puller" and body["emailAddress"] == "ci@example.org"


def test_user_created_with_its_password(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_user",
                 dict(user_id="puller", user_password="Pull-S3cret", first_name="P", last_name="Q",
                      email="p@example.org", roles=["nx-anonymous"]),
                 {"GET /v1/status": [(401, "")],
                  "GET /v1/security/users?userId=puller": [(200, "[]")],
                  "POST /v1/security/users": [(200, "users-ci.json")]})
    assert result["changed"] and result["_calls"][-1]["body"]["password"] == "Pull-S3cret"
    assert "Pull-S3cret" not in result["_out"]


# ------------------------------------------------------------------ nexus_settings

def test_settings_anonymous_off_and_eula_not_required_on_the_base_assembly(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_settings", dict(anonymous=True, eula_accepted=True),
                 {"GET /v1/security/anonymous": [(200, "anonymous.json")],
                  "GET /v1/system/eula": [(404, "")],
                  "PUT /v1/security/anonymous": [(200, "anonymous.json")]})
    assert result["changed_keys"] == ["anonymous"] and result["eula"] == "not required"
    assert result["_calls"][-1]["body"] == {"enabled": True, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}


def test_settings_eula_accepted_with_the_disclaimer_unchanged(monkeypatch, capsys):
    """Documented contract (Community Edition 3.77+): POST back the disclaimer as GET gave it, accepted true."""
    current = {"accepted": False, "disclaimer": "Use of Sonatype Nexus Repository - Community Edition is governed..."}
    result = run(monkeypatch, capsys, "nexus_settings", dict(eula_accepted=True),
                 {"GET /v1/system/eula": [(200, json.dumps(current))], "POST /v1/system/eula": [(204, "")]})
    assert result["changed"] and result["_calls"][-1]["body"] == dict(current, accepted=True)
    result = run(monkeypatch, capsys, "nexus_settings", dict(eula_accepted=False),
                 {"GET /v1/system/eula": [(200, json.dumps(current))]})
    assert not result["changed"] and result["eula"] == "not accepted"


def test_settings_http_proxy_missing_endpoint_is_named(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "nexus_settings", dict(http={"httpProxy": {"enabled": False}}),
                 {"GET /v1/http": [(404, "")]})
    assert result["_rc"] == 1 and result["msg"].startswith("Nexus answered 404 to GET /v1/http")
    assert "System > HTTP" in result["msg"]


def test_settings_http_proxy_password_sent_not_compared(monkeypatch, capsys):
    """Documented contract only (GET/PUT /v1/http is not in 3.71.0-06's API)."""
    current = {"userAgent": None, "timeout": 20, "retries": 2, "nonProxyHosts": [],
               "httpProxy": {"enabled": True, "host": "proxy", "port": 3128,
                             "authInfo": {"authScheme": "username", "username": "u"}}}
    wanted = {"httpProxy": {"authInfo": {"password": "Pr0xy-S3cret"}}}
    result = run(monkeypatch, capsys, "nexus_settings", dict(http=wanted),
                 {"GET /v1/http": [(200, json.dumps(current))]})
    assert not result["changed"]
    result = run(monkeypatch, capsys, "nexus_settings", dict(http=dict(wanted, nonProxyHosts=["localhost"])),
                 {"GET /v1/http": [(200, json.dumps(current))], "PUT /v1/http": [(204, "")]}, diff=True)
    assert result["changed_keys"] == ["http.nonProxyHosts"]
    assert result["_calls"][-1]["body"]["httpProxy"]["authInfo"]["password"] == "Pr0xy-S3cret"
    assert "Pr0xy-S3cret" not in result["_out"]


def test_format_missing_on_this_nexus_is_named(monkeypatch, capsys):
    """The base assembly has no docker endpoint: the typed POST answers 404 (recorded on 3.71.0-06)."""
    result = run(monkeypatch, capsys, "nexus_repository",
                 dict(name="pypi", format="pypi", type="proxy", config={"online": True}),
                 {"GET /v1/repositories/pypi/proxy/pypi": [(404, "")],
                  "GET /v1/repositories": [(200, "list-repositories.json")],
                  "POST /v1/repositories/pypi/proxy": [(404, "")]})
    assert result["_rc"] == 1 and result["msg"].startswith("Nexus answered 404 to POST /v1/repositories/pypi/proxy")
    assert "this Nexus has no pypi format" in result["msg"]
