# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nexus Repository's REST API v1 for the nexus_* modules: one client, pure diff helpers.

The client sends JSON over ansible.module_utils.urls.open_url with Basic
authentication and turns every answer outside the expected statuses into a
NexusError quoting the request (method, path) and Nexus's own answer, never
the credentials. The pure parts (paths, what GET returns against what PUT
takes, merge and diff, secrets kept out of the diff) are covered by plain
pytest with answers captured from a real Nexus 3.71.0-06
(tests/unit/fixtures/nexus/).

Known behaviours of the API this encodes (seen on the real server, or in
Sonatype's published API where marked):
- GET /v1/repositories/<format>/<type>/<name> answers routingRuleName where
  POST and PUT take routingRule; it adds url, format and type, which PUT
  does not take.
- PUT replaces the whole configuration: a PUT without storage is refused
  (400 "storage must not be null"), so the module sends the current
  configuration merged with the wanted keys, never the wanted keys alone.
- A second POST of an existing name answers 400 '"Duplicate key"' (also
  when the name exists with another format or type).
- Secrets (a proxy's remote password, an apt signing key's passphrase) are
  never returned by GET: they are sent, never compared.
- docker repositories: forceBasicAuth defaults to true (documented API),
  which refuses anonymous and bearer-token pulls; token pulls also need the
  DockerToken realm active.
"""

from __future__ import annotations

import copy
import json

from ansible.module_utils.urls import open_url
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible_collections.mlplatform.installer.plugins.module_utils.deep_merge import deep_merge as merge

FORMATS = ("docker", "apt", "raw", "helm", "pypi", "maven")
TYPES = ("proxy", "hosted", "group")
# The list endpoint (GET /v1/repositories) names maven "maven2"; the typed paths say "maven".
LIST_FORMAT = {"maven": "maven2"}
# Keys GET adds that POST/PUT do not take.
READ_ONLY_KEYS = ("url", "format", "type")
# Secrets: sent when given, never compared (GET does not return them).
SECRET_PATHS = (
    ("httpClient", "authentication", "password"),
    ("aptSigning", "keypair"),
    ("aptSigning", "passphrase"),
)
MASK = "********"
# A typed endpoint that answers 404 to POST: the format is not installed.
FORMAT_MISSING = ("this Nexus has no %s format: the open-source base assembly has maven, raw and apt only; "
                  "docker, helm and pypi need Community Edition")


class NexusError(Exception):
    """An answer outside the expected statuses, or no answer; str() quotes the request and the answer."""

    def __init__(self, method, path, status, answer, hint=""):
        self.method, self.path, self.status, self.answer, self.hint = method, path, status, answer, hint
        super().__init__(error_text(method, path, status, answer, hint))


def error_text(method, path, status, answer, hint=""):
    """'Nexus answered 400 to POST /v1/...: <answer>' (+ what to do); the answer is shortened, never a password."""
    answer = (answer or "").strip()
    if len(answer) > 600:
        answer = answer[:600] + "..."
    where = "%s %s" % (method, path)
    text = ("Nexus answered %s to %s: %s" % (status, where, answer or "(empty body)") if status
            else "no answer from Nexus to %s: %s" % (where, answer))
    return text + (" (%s)" % hint if hint else "")


class NexusClient:
    """JSON over HTTP(S) with Basic auth; ``opener`` stands in for open_url in tests."""

    def __init__(self, url, username, password, validate_certs=True, ca_path=None, timeout=30,
                 use_proxy=False, opener=None):
        self.base = url.rstrip("/") + "/service/rest"
        self.username, self.password = username, password
        self.validate_certs, self.ca_path, self.timeout, self.use_proxy = validate_certs, ca_path, timeout, use_proxy
        self.opener = opener or open_url

    def call(self, method, path, body=None, expect=(200, 201, 204), password=None, content_type="application/json",
             hint="", username=None):
        """(status, parsed JSON or text or None). Statuses in ``expect`` return; others raise NexusError.

        ``username``/``password`` replace the client's credentials for this call only (a password probe).
        """
        data = None
        if body is not None:
            data = body if isinstance(body, str) else json.dumps(body)
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        try:
            response = self.opener(
                self.base + path, data=data, headers=headers, method=method, use_proxy=self.use_proxy,
                timeout=self.timeout, validate_certs=self.validate_certs, ca_path=self.ca_path,
                url_username=username or self.username, url_password=self.password if password is None else password,
                force_basic_auth=True, follow_redirects="none")
            status, raw = response.getcode(), response.read()
        except HTTPError as err:
            status = err.code
            try:
                raw = err.read()
            except Exception:  # pylint: disable=broad-except
                raw = b""
        except (URLError, OSError, ValueError) as err:
            raise NexusError(method, path, 0, str(getattr(err, "reason", err)),
                             "is Nexus running and is the url right?")
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
        if status not in expect:
            if status == 401 and not hint:
                hint = "the username or password is wrong"
            raise NexusError(method, path, status, text, hint)
        return status, parse(text)


def parse(text):
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def repository_path(fmt, rtype, name=None):
    """/v1/repositories/<format>/<type>[/<name>] (the typed endpoints of the REST API v1)."""
    path = "/v1/repositories/%s/%s" % (fmt, rtype)
    return path + "/" + name if name else path


def list_format(fmt):
    return LIST_FORMAT.get(fmt, fmt)


def repository_from_get(body):
    """A typed GET's answer as the body PUT takes: routingRuleName -> routingRule, read-only keys dropped."""
    config = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_KEYS}
    if "routingRuleName" in config:
        config["routingRule"] = config.pop("routingRuleName")
    return config


def _holder(config, path):
    """The mapping that holds path's last key in config, or None when a step is missing."""
    node = config
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def without(config, paths):
    """A deep copy of config without the given key paths (secrets)."""
    result = copy.deepcopy(config)
    for path in paths:
        holder = _holder(result, path)
        if holder is not None:
            holder.pop(path[-1], None)
    return result


def masked(config, paths=SECRET_PATHS):
    """A deep copy of config with each secret that is set shown as MASK (for diff and return values)."""
    result = copy.deepcopy(config)
    for path in paths:
        holder = _holder(result, path)
        if holder is not None and holder.get(path[-1]) not in (None, ""):
            holder[path[-1]] = MASK
    return result


def changed_keys(before, after, prefix=""):
    """Dotted key paths whose values differ between two configurations (sorted)."""
    keys = []
    for key in sorted(set(before) | set(after), key=str):
        name = prefix + str(key)
        a, b = before.get(key), after.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            keys.extend(changed_keys(a, b, name + "."))
        elif a != b:
            keys.append(name)
    return keys


def plan_update(current, wanted, secrets=SECRET_PATHS):
    """(body to PUT, changed key paths): the full merged configuration; secrets never count as a change."""
    body = merge(current, wanted)
    changes = changed_keys(without(current, secrets), without(body, secrets))
    return body, changes


def docker_defaults(fmt, config):
    """docker: make forceBasicAuth explicit (Nexus's default is true), so the diff is stable; other formats as given."""
    if fmt != "docker":
        return config
    config = copy.deepcopy(config)
    docker = config.setdefault("docker", {})
    docker.setdefault("forceBasicAuth", True)
    docker.setdefault("v1Enabled", False)
    return config


def docker_warnings(fmt, name, config, active_realms):
    """What a docker repository's settings need elsewhere: the DockerToken realm for token (and anonymous) pulls."""
    if fmt != "docker":
        return []
    docker = config.get("docker") or {}
    if docker.get("forceBasicAuth") is False and active_realms is not None and "DockerToken" not in active_realms:
        return ["docker repository %s has forceBasicAuth false, but the DockerToken realm is not active: token pulls "
                "will be refused; add DockerToken with nexus_realms" % name]
    return []


def realm_problems(wanted, available):
    """Realms asked for that this Nexus does not have, with the ones it has."""
    ids = [r.get("id") for r in available or [] if isinstance(r, dict)]
    unknown = [r for r in wanted if r not in ids]
    if not unknown:
        return []
    return ["realm%s %s not available on this Nexus (available: %s)%s" % (
        "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(ids) or "none",
        "; DockerToken comes with the docker format, which the open-source base assembly lacks"
        if "DockerToken" in unknown and "DockerToken" not in ids else "")]


# Keys of a user that the module manages (PUT /v1/security/users/<id> takes the whole user).
USER_KEYS = ("firstName", "lastName", "emailAddress", "status", "roles")


def user_from_list(answer, user_id):
    """The exact user from GET /v1/security/users?userId=<id> (a prefix search), or None."""
    for user in answer or []:
        if isinstance(user, dict) and user.get("userId") == user_id:
            return user
    return None


def plan_user(current, wanted):
    """(body to PUT, changed keys) for a user; roles compare as sets."""
    body = merge(current, {k: v for k, v in wanted.items() if v is not None})
    changes = []
    for key in USER_KEYS:
        if key not in wanted or wanted[key] is None:
            continue
        a, b = current.get(key), body.get(key)
        if key == "roles":
            a, b = sorted(a or []), sorted(b or [])
        if a != b:
            changes.append(key)
    return body, changes


def eula_body(current):
    """The body that accepts the Community Edition EULA: the disclaimer exactly as GET gave it, accepted true."""
    return {"accepted": True, "disclaimer": (current or {}).get("disclaimer", "")}


def argument_spec(**extra):
    """The connection options every nexus_* module shares (doc fragment mlplatform.installer.nexus), plus extra."""
    spec = dict(
        url=dict(type="str", default="http://127.0.0.1:8081"),
        username=dict(type="str", default="admin"),
        password=dict(type="str", required=True, no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=30),
        use_proxy=dict(type="bool", default=False),
    )
    spec.update(extra)
    return spec


def client(params, opener=None):
    """A NexusClient from a module's params."""
    return NexusClient(params["url"], params["username"], params["password"], params["validate_certs"],
                       params.get("ca_path"), params["timeout"], params["use_proxy"], opener=opener)


def exit_with(module, run):
    """Run a module's logic against the server; a Nexus error fails the task
    with Nexus's answer and the request, never with a traceback."""
    try:
        module.exit_json(**run(module, client(module.params)))
    except NexusError as err:
        module.fail_json(msg=str(err), status=err.status, request="%s %s" % (err.method, err.path))


def secret_values(config, paths=SECRET_PATHS):
    """The secrets set in a configuration, for AnsibleModule.no_log_values (scrubbed from every output)."""
    values = []
    for path in paths:
        node = config
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            values.append(node)
    return values
