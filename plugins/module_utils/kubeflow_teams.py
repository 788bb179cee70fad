# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubeflow teams and users from the cluster description, as pure functions.

* :func:`description_problems`: the rules of ``cluster_kubeflow`` (run by the
  inventory validation, cluster_rules_global._check_kubeflow), each problem
  naming the variable and the fix, the layer's resource needs among them
  (kubeflow_resources).
* :func:`team_objects`: every object of one team (Namespace, Profile,
  ResourceQuota, the proxy Secret, the CA ConfigMap, the PodDefault, a
  ServiceAccount and a RoleBinding per user), labelled as ours;
  :func:`stale_objects`: the labelled objects found in the cluster that the
  description no longer has (a removed user or team loses its access).
* :func:`user_kubeconfig`: a kubeconfig bound to one user's ServiceAccount.

roles/kubeflow_teams calls these through plugins/filter/kubeflow.py.
"""

from __future__ import annotations

import re
from typing import Any

from . import kubeflow_resources as res

# The profile controller names its quota so (KFQUOTA in kubeflow/dashboard
# components/profile-controller/controllers/profile_controller.go, line 56):
# ours carries the same name and the Profile's spec, so its update (only when
# reflect.DeepEqual finds the specs differ, line 576) is a no-op.
QUOTA_NAME = "kf-resource-quota"
# The controller adopts an existing namespace only when its "owner"
# annotation equals the Profile's spec.owner.name (same file, lines 174-197).
OWNER_ANNOTATION = "owner"
# KFAM lists a namespace's contributors from RoleBindings carrying these
# annotations (USER, ROLE constants of the profile controller).
USER_ANNOTATION = "user"
ROLE_ANNOTATION = "role"

MANAGED_BY = {"app.kubernetes.io/managed-by": "mlplatform-installer"}
# Not app.kubernetes.io/part-of: the profile controller sets that one on the
# namespace (kubeflow-profile, profiles/upstream/base/namespace-labels.yaml).
TEAM_LABEL = "mlplatform.io/kubeflow-team"
# Pods opt out of the PodDefault with this label; every other pod of the team gets it.
OPT_OUT_LABEL = "mlplatform.io/no-corporate-network"
PROXY_SECRET = "mlp-proxy"
CA_CONFIGMAP = "mlp-corporate-ca"
CA_KEY = "ca-bundle.crt"
CA_DIR = "/etc/mlplatform/ca"
PODDEFAULT = "mlp-corporate-network"
MEMBER_ROLE = "mlplatform-kubeflow-team-member"
USER_PREFIX = "user-"

QUOTA_KEYS = {"cpu": "requests.cpu", "memory": "requests.memory", "gpu": "requests.nvidia.com/gpu",
              "storage": "requests.storage"}
TEAM_KEYS = ("name", "owner", "quota", "users")
USER_KEYS = ("name", "email")
KUBEFLOW_KEYS = ("teams", "identity", "quota_overcommit", "platform")
PLATFORM_KEYS = ("manifests", "remote_bases")
IDENTITY_PROVIDERS = ("static", "oidc")

# Namespaces a team may not take: Kubernetes' own, what Kubeflow 26.03's
# example build creates (kustomize build example, namespaces listed), and
# this project's layers.
RESERVED_NAMESPACES = (
    "default", "kube-system", "kube-public", "kube-node-lease",
    "kubeflow", "kubeflow-system", "istio-system", "auth", "cert-manager", "knative-serving", "knative-eventing",
    "oauth2-proxy", "kubeflow-user-example-com",
    "monitoring", "gpu-operator", "gluster-storage", "local-path-storage", "ingress-nginx",
)
RESERVED_PREFIXES = ("kube-", "kubeflow-", "istio-", "knative-")

_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def _problem(variable, value, problem, fix):
    return (variable, value, problem, fix)


def _platform_problems(platform: Any) -> list:
    """cluster_kubeflow.platform: where Kubeflow's manifests and their mirrored remote bases are."""
    where = "cluster_kubeflow.platform"
    if not isinstance(platform, dict):
        return [_problem(where, platform, "must be a mapping with manifests (and remote_bases)",
                         "write platform: {manifests: /srv/mirror/kubeflow-manifests-26.03, remote_bases: {...}}")]
    out = [_problem("%s.%s" % (where, key), platform[key], "is not a key of platform (%s)" % ", ".join(PLATFORM_KEYS),
                    "remove it") for key in sorted(set(platform) - set(PLATFORM_KEYS))]
    if not isinstance(platform.get("manifests"), str) or not platform.get("manifests"):
        out.append(_problem(where + ".manifests", platform.get("manifests"), "must be the path of a copy of "
                            "kubeflow/manifests at the release's tag on the controller",
                            "copy the repository at that tag there (through the proxy or the mirror)"))
    bases = platform.get("remote_bases", {})
    if not isinstance(bases, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in bases.items()):
        out.append(_problem(where + ".remote_bases", bases, "must map each remote base to a path on the controller",
                            "write '<host>/<org>/<repo>@<ref>': <checkout at that ref>, or '<file URL>': <copy of "
                            "the file> (compatibility/kubeflow-<release>-install.yml lists the release's)"))
    return out


def _team_label(team: Any, index: int) -> str:
    name = team.get("name") if isinstance(team, dict) else None
    return "cluster_kubeflow.teams[%d]%s" % (index, " (%s)" % name if isinstance(name, str) else "")


def _quota_problems(where: str, quota: Any) -> list:
    if not isinstance(quota, dict):
        return [_problem(where + ".quota", quota, "must be a mapping with cpu, memory, gpu and storage",
                         "write quota: {cpu: 8, memory: 32Gi, gpu: 1, storage: 200Gi}")]
    out = []
    for key in sorted(set(quota) - set(QUOTA_KEYS)):
        out.append(_problem("%s.quota.%s" % (where, key), quota[key], "is not a quota key (%s)" % ", ".join(QUOTA_KEYS),
                            "remove it, or use one of %s" % ", ".join(QUOTA_KEYS)))
    checks = (("cpu", res.cpu_millis, "a CPU quantity such as 8 or 500m"),
              ("memory", res.byte_count, "a size such as 32Gi"),
              ("storage", res.byte_count, "a size such as 200Gi"))
    for key, parse, what in checks:
        if key not in quota:
            out.append(_problem("%s.quota.%s" % (where, key), None, "is not set (every team has a %s quota)" % key,
                                "write %s: %s" % (key, what)))
        elif parse(quota[key]) is None:
            out.append(_problem("%s.quota.%s" % (where, key), quota[key], "is not %s" % what, "write %s" % what))
    gpu = quota.get("gpu", 0)
    if isinstance(gpu, bool) or not isinstance(gpu, int) or gpu < 0:
        out.append(_problem(where + ".quota.gpu", gpu, "must be a whole number of GPUs (0 or more)",
                            "write gpu: 0 for a team without GPUs, or the count"))
    return out


def quota_hard(quota: dict) -> dict:
    """The ResourceQuota's (and the Profile's resourceQuotaSpec's) hard limits, values as strings."""
    return {QUOTA_KEYS[key]: str(quota.get(key, 0)) for key in QUOTA_KEYS}


def _quota_sums(teams: list) -> dict:
    sums = {"cpu_m": 0, "memory_bytes": 0, "gpus": 0}
    for team in teams:
        quota = team.get("quota") if isinstance(team, dict) else None
        if not isinstance(quota, dict):
            continue
        sums["cpu_m"] += res.cpu_millis(quota.get("cpu")) or 0
        sums["memory_bytes"] += res.byte_count(quota.get("memory")) or 0
        gpu = quota.get("gpu", 0)
        sums["gpus"] += gpu if isinstance(gpu, int) and not isinstance(gpu, bool) else 0
    return sums


def _identity_problems(identity: Any) -> list:
    if not isinstance(identity, dict):
        return [_problem("cluster_kubeflow.identity", identity, "must be a mapping",
                         "write identity: {provider: static} or {provider: oidc, issuer: https://..., client_id: kubeflow}")]
    out = []
    provider = identity.get("provider")
    if provider not in IDENTITY_PROVIDERS:
        out.append(_problem("cluster_kubeflow.identity.provider", provider, "is not one of %s" % ", ".join(IDENTITY_PROVIDERS),
                            "static: users log in to the bundled Dex with their email; oidc: the corporate issuer"))
    known = {"static": ("provider",), "oidc": ("provider", "issuer", "client_id")}.get(provider, ("provider",))
    for key in sorted(set(identity) - set(known)):
        out.append(_problem("cluster_kubeflow.identity.%s" % key, identity[key],
                            "is not a key of identity with provider %s (%s)" % (provider, ", ".join(known)),
                            "remove it"))
    if provider == "oidc":
        issuer = identity.get("issuer")
        if not (isinstance(issuer, str) and re.match(r"^https://[^\s/]+(/\S*)?$", issuer)):
            out.append(_problem("cluster_kubeflow.identity.issuer", issuer, "must be the issuer's https:// URL",
                                "write the URL its /.well-known/openid-configuration lives under"))
        if not (isinstance(identity.get("client_id"), str) and identity["client_id"]):
            out.append(_problem("cluster_kubeflow.identity.client_id", identity.get("client_id"), "is not set",
                                "write the client id registered at the issuer for Kubeflow"))
    return out


def _team_problems(team: Any, index: int, seen_users: dict, seen_teams: dict) -> list:
    where = _team_label(team, index)
    if not isinstance(team, dict):
        return [_problem(where, team, "must be a mapping with %s" % ", ".join(TEAM_KEYS),
                         "write {name: vision, owner: lead@corp.example, quota: {...}, users: [...]}")]
    out = []
    for key in sorted(set(team) - set(TEAM_KEYS)):
        out.append(_problem("%s.%s" % (where, key), team[key], "is not a team key (%s)" % ", ".join(TEAM_KEYS), "remove it"))
    name = team.get("name")
    if not (isinstance(name, str) and _LABEL_RE.match(name)):
        out.append(_problem(where + ".name", name, "is not a lowercase RFC 1123 label (it names the team's namespace)",
                            "use a-z, 0-9 and '-', at most 63 characters, e.g. %s"
                            % (re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).strip("-")[:63] or "vision")))
    elif name in RESERVED_NAMESPACES or name.startswith(RESERVED_PREFIXES):
        out.append(_problem(where + ".name", name, "is a namespace of Kubernetes, Kubeflow or another layer",
                            "rename the team, e.g. team-%s" % name))
    elif name in seen_teams:
        out.append(_problem(where + ".name", name, "is also the name of cluster_kubeflow.teams[%d]" % seen_teams[name],
                            "give every team its own name"))
    else:
        seen_teams[name] = index
    owner = team.get("owner")
    if not (isinstance(owner, str) and _EMAIL_RE.match(owner)):
        out.append(_problem(where + ".owner", owner, "must be the owner's email (the identity the Profile names)",
                            "write owner: lead@corp.example"))
    out.extend(_quota_problems(where, team.get("quota")))
    users = team.get("users", [])
    if not isinstance(users, list):
        return out + [_problem(where + ".users", users, "must be a list of {name, email}",
                               "write users: [{name: alice, email: alice@corp.example}]")]
    emails = set()
    for number, user in enumerate(users):
        at = "%s.users[%d]" % (where, number)
        if not isinstance(user, dict):
            out.append(_problem(at, user, "must be a mapping {name, email}", "write {name: alice, email: alice@corp.example}"))
            continue
        for key in sorted(set(user) - set(USER_KEYS)):
            out.append(_problem("%s.%s" % (at, key), user[key], "is not a user key (name, email)", "remove it"))
        user_name, email = user.get("name"), user.get("email")
        if not (isinstance(user_name, str) and _LABEL_RE.match(user_name) and len(user_name) <= 63 - len(USER_PREFIX)):
            out.append(_problem(at + ".name", user_name,
                                "is not a lowercase RFC 1123 label of at most %d characters (it names the user's "
                                "ServiceAccount %s<name> and kubeconfig)" % (63 - len(USER_PREFIX), USER_PREFIX),
                                "use a-z, 0-9 and '-', e.g. %s" % (re.sub(r"[^a-z0-9-]+", "-", str(user_name).lower())
                                                                   .strip("-")[:58] or "alice")))
        elif user_name in seen_users:
            # One user, one namespace: the kubeconfig the playbook issues is bound to it.
            out.append(_problem(at + ".name", user_name, "is also a user of team %s" % seen_users[user_name],
                                "a user belongs to one team; a person working for two gets a second user name "
                                "(e.g. %s-%s) with the same email" % (user_name, name if isinstance(name, str) else "team")))
        else:
            seen_users[user_name] = name
        if not (isinstance(email, str) and _EMAIL_RE.match(email)):
            out.append(_problem(at + ".email", email, "must be the user's email (their login identity)",
                                "write email: %s@corp.example" % (user_name if isinstance(user_name, str) else "alice")))
        elif email in emails:
            out.append(_problem(at + ".email", email, "is listed twice in this team", "remove the second entry"))
        else:
            emails.add(email)
    return out


def description_problems(value: Any, cluster: dict | None = None, release: Any = None, needs: dict | None = None) -> list:
    """Every problem of cluster_kubeflow as (variable, value, problem, fix).

    ``cluster`` is kubeflow_resources.capacity(...) of the description (None:
    sizes are not compared). ``release`` is cluster_release.kubeflow; the
    needs of that release are read from compatibility/ unless ``needs`` is
    given (tests).
    """
    if value is None:
        return [_problem("cluster_kubeflow", value, "is empty", "remove it, or list the teams (inventories/sample)")]
    if not isinstance(value, dict):
        return [_problem("cluster_kubeflow", value, "must be a mapping with teams (and identity, quota_overcommit)",
                         "see inventories/sample/group_vars/all/cluster.yml")]
    out = []
    for key in sorted(set(value) - set(KUBEFLOW_KEYS)):
        out.append(_problem("cluster_kubeflow.%s" % key, value[key], "is not a key of cluster_kubeflow (%s)"
                            % ", ".join(KUBEFLOW_KEYS), "remove it"))
    overcommit = value.get("quota_overcommit", False)
    if not isinstance(overcommit, bool):
        out.append(_problem("cluster_kubeflow.quota_overcommit", overcommit, "must be true or false", "write false (default)"))
        overcommit = False
    if "identity" in value:
        out.extend(_identity_problems(value["identity"]))
    if "platform" in value:
        out.extend(_platform_problems(value["platform"]))
    teams = value.get("teams")
    if not isinstance(teams, list) or not teams:
        return out + [_problem("cluster_kubeflow.teams", teams, "must be a non-empty list of teams",
                               "write teams: [{name: vision, owner: lead@corp.example, quota: {...}, users: [...]}]")]
    seen_users, seen_teams = {}, {}
    for index, team in enumerate(teams):
        out.extend(_team_problems(team, index, seen_users, seen_teams))
    if not isinstance(release, str) or not release:
        out.append(_problem("cluster_release.kubeflow", release, "is not set, and cluster_kubeflow needs the release "
                            "whose resource needs the cluster is checked against", "pin it, e.g. kubeflow: \"26.03\""))
        return out
    if cluster is None:
        return out
    if needs is None:
        try:
            needs = res.load_needs(release)
        except res.NeedsError as exc:
            return out + [_problem("cluster_release.kubeflow", release, "has no resource data: %s" % exc,
                                   "use a release with compatibility/kubeflow-<release>-resources.yml, or write that "
                                   "file from the release's manifests (see the 26.03 one)")]
    for index, team in enumerate(teams):
        quota = team.get("quota") if isinstance(team, dict) else None
        if not isinstance(quota, dict):
            continue
        where = _team_label(team, index) + ".quota"
        for key, parse, have, show in (("cpu", res.cpu_millis, cluster["cpu_m"], res.human_cpu),
                                       ("memory", res.byte_count, cluster["memory_bytes"], res.human_bytes)):
            asked = parse(quota.get(key))
            if asked is not None and asked > have:
                out.append(_problem("%s.%s" % (where, key), quota.get(key), "is more than all kube_node hosts offer "
                                    "together (%s)" % show(have), "lower it to at most %s" % show(have)))
        gpu = quota.get("gpu")
        if isinstance(gpu, int) and not isinstance(gpu, bool) and gpu > cluster["gpus"]:
            out.append(_problem(where + ".gpu", gpu, "is more than the GPUs of the gpu_nodes (%d)" % cluster["gpus"],
                                "lower it to at most %d, or add GPU nodes" % cluster["gpus"]))
    for problem, fix in res.shortfalls(needs, _quota_sums(teams), cluster, overcommit):
        out.append(_problem("cluster_kubeflow", "(%d teams)" % len(teams), problem, fix))
    return out


def _meta(name: str, team: str, namespace: str | None = None, annotations: dict | None = None) -> dict:
    meta = {"name": name, "labels": dict(MANAGED_BY, **{TEAM_LABEL: team})}
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = annotations
    return meta


def pod_default(team: str, no_proxy: list, proxy: bool, ca: bool) -> dict:
    """The PodDefault every pod of the team gets unless it opts out: NO_PROXY always, the
    proxy from the Secret when there is one, the CA bundle mounted when there is one."""
    no_proxy_text = ",".join(no_proxy)
    env = [{"name": "NO_PROXY", "value": no_proxy_text}, {"name": "no_proxy", "value": no_proxy_text}]
    if proxy:
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            env.append({"name": key, "valueFrom": {"secretKeyRef": {"name": PROXY_SECRET, "key": key}}})
    spec = {
        "desc": "Corporate network: proxy, NO_PROXY and CA bundle (mlplatform)",
        "selector": {"matchExpressions": [{"key": OPT_OUT_LABEL, "operator": "DoesNotExist"}]},
        "env": env,
    }
    if ca:
        path = "%s/%s" % (CA_DIR, CA_KEY)
        env.extend({"name": key, "value": path} for key in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT"))
        spec["volumes"] = [{"name": "mlp-corporate-ca", "configMap": {"name": CA_CONFIGMAP}}]
        spec["volumeMounts"] = [{"name": "mlp-corporate-ca", "mountPath": CA_DIR, "readOnly": True}]
    return {"apiVersion": "kubeflow.org/v1alpha1", "kind": "PodDefault", "metadata": _meta(PODDEFAULT, team, team),
            "spec": spec}


def team_objects(team: dict, settings: dict) -> list:
    """Every object of one team, in apply order, without the proxy Secret (secret_objects has it).

    settings: no_proxy (the cluster's list), proxy (bool: a proxy is set),
    ca_bundle (the PEM text, "" when none), member_role (ClusterRole name).
    """
    name, owner = team["name"], team["owner"]
    hard = quota_hard(team["quota"])
    no_proxy = list(settings.get("no_proxy") or []) + ["." + name]
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, name, annotations={OWNER_ANNOTATION: owner})},
        {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": _meta(name, name),
         "spec": {"owner": {"kind": "User", "name": owner}, "resourceQuotaSpec": {"hard": hard}}},
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta(QUOTA_NAME, name, name), "spec": {"hard": hard}},
    ]
    ca_bundle = settings.get("ca_bundle") or ""
    if ca_bundle:
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(CA_CONFIGMAP, name, name),
                        "data": {CA_KEY: ca_bundle}})
    objects.append(pod_default(name, no_proxy, bool(settings.get("proxy")), bool(ca_bundle)))
    role = settings.get("member_role") or MEMBER_ROLE
    for user in team.get("users") or []:
        account = USER_PREFIX + user["name"]
        objects.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(account, name, name),
                        "automountServiceAccountToken": False})
        objects.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": _meta(account, name, name, annotations={USER_ANNOTATION: user["email"], ROLE_ANNOTATION: "edit"}),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            # The ServiceAccount for the issued kubeconfig; the email for the Kubeflow UI, where
            # the identity provider (Dex or the corporate OIDC issuer) names the user by it.
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": name},
                         {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user["email"]}],
        })
    return objects


def proxy_secret(team: str, http_proxy: str, https_proxy: str) -> dict:
    """The proxy URLs (they may hold credentials) as a Secret the PodDefault reads."""
    data = {"HTTP_PROXY": http_proxy, "http_proxy": http_proxy, "HTTPS_PROXY": https_proxy, "https_proxy": https_proxy}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": _meta(PROXY_SECRET, team, team),
            "stringData": data}


def identity(obj: Any) -> str:
    """kind/namespace/name of an object ("" namespace when cluster-scoped); a string is one already."""
    if isinstance(obj, str):
        return obj
    meta = obj.get("metadata") or {}
    return "%s/%s/%s" % (obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def found_objects(results: Any) -> list:
    """The objects of k8s_info lookups registered in a loop over {api_version, kind}: each with its kind
    and apiVersion (list items do not carry them)."""
    out = []
    for result in results or []:
        item = result.get("item") or {}
        for obj in result.get("resources") or []:
            # Metadata only: a Secret's data never travels further.
            out.append({"kind": item.get("kind", obj.get("kind")), "apiVersion": item.get("api_version", obj.get("apiVersion")),
                        "metadata": obj.get("metadata") or {}})
    return out


# Access goes first: a removed user's binding and account before anything else.
_DELETE_ORDER = ("RoleBinding", "ServiceAccount", "Secret", "PodDefault", "ConfigMap", "ResourceQuota", "Profile")


def stale_objects(found: list, desired: list) -> list:
    """The objects we labelled that the description no longer has, as {kind, api_version, namespace, name}.

    ``found``: objects (kind and apiVersion set, see found_objects); ``desired``: objects or identities.
    Namespaces are never returned: a removed team keeps its namespace and its
    volumes (data is deleted by a person); its access, quota and Profile go.
    """
    wanted = {identity(obj) for obj in desired}
    out = []
    for obj in found:
        meta = obj.get("metadata") or {}
        if obj.get("kind") not in _DELETE_ORDER or identity(obj) in wanted:
            continue
        if (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") != MANAGED_BY["app.kubernetes.io/managed-by"]:
            continue
        out.append({"kind": obj.get("kind"), "api_version": obj.get("apiVersion"), "namespace": meta.get("namespace"),
                    "name": meta.get("name")})
    return sorted(out, key=lambda o: (_DELETE_ORDER.index(o["kind"]), o["namespace"] or "", o["name"]))


def references(stale: list) -> list:
    """stale_objects' entries as the minimal objects kubernetes.core.k8s deletes."""
    out = []
    for entry in stale:
        meta = {"name": entry["name"]}
        if entry.get("namespace"):
            meta["namespace"] = entry["namespace"]
        out.append({"apiVersion": entry["api_version"], "kind": entry["kind"], "metadata": meta})
    return out


def in_namespaces(objects: list, namespaces: list) -> list:
    """The cluster-scoped objects and those whose namespace is listed (check mode's dry run needs the namespace)."""
    return [obj for obj in objects if (obj.get("metadata") or {}).get("namespace") in (None, "") or
            obj["metadata"]["namespace"] in namespaces]


def kept_namespaces(found: list, desired: list) -> list:
    """Namespaces we labelled whose team left the description: kept, and named in the run."""
    wanted = {identity(obj) for obj in desired}
    return sorted((obj.get("metadata") or {}).get("name") for obj in found
                  if obj.get("kind") == "Namespace" and identity(obj) not in wanted)


def find_user(teams: Any, user: str) -> dict | None:
    """{team, name, email, account} of a user of the description, or None."""
    for team in teams or []:
        for entry in team.get("users") or []:
            if entry.get("name") == user:
                return {"team": team["name"], "name": user, "email": entry.get("email"), "account": USER_PREFIX + user}
    return None


def user_kubeconfig(admin: dict, user: str, namespace: str, token: str) -> dict:
    """A kubeconfig with the admin kubeconfig's cluster (server, CA) and the user's token, in their namespace."""
    contexts = {c["name"]: c["context"] for c in admin.get("contexts") or []}
    current = contexts.get(admin.get("current-context")) or (list(contexts.values()) or [{}])[0]
    clusters = {c["name"]: c["cluster"] for c in admin.get("clusters") or []}
    cluster = clusters.get(current.get("cluster")) or (list(clusters.values()) or [None])[0]
    if not cluster or not cluster.get("server"):
        raise ValueError("the admin kubeconfig has no cluster with a server")
    keep = {k: v for k, v in cluster.items() if k in ("server", "certificate-authority-data", "tls-server-name")}
    context = "%s@%s" % (user, namespace)
    return {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "mlplatform", "cluster": keep}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "mlplatform", "user": user, "namespace": namespace}}],
        "current-context": context,
    }
