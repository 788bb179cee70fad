# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether Kubespray must run, and which of its playbooks: pure functions.

Inputs: the generated Kubespray inventory (its files, read by the caller),
the release bundle, the live cluster when its API answers (apiserver version,
Nodes) and the apply record (the ConfigMap the layer writes in kube-system
after each successful Kubespray run). Output: one of

- ``skip``: nothing Kubespray owns changed since the last successful apply;
- ``scale``: the only change is new worker hosts (``scale.yml --limit``);
- ``cluster``: anything else Kubespray must converge (``cluster.yml``);
- ``refuse``: the change is not this layer's to make: versions that differ
  from the running cluster (``playbooks/upgrade.yml``), or Nodes the
  inventory no longer lists (``playbooks/remove_node.yml``);

with a reason a person can act on. No I/O: plain pytest covers it.
"""

from __future__ import annotations

import hashlib
import json
import os

SKIP, SCALE, CLUSTER, REFUSE = "skip", "scale", "cluster", "refuse"

# The generated inventory's host list (H3's kubespray_inventory writes it).
HOSTS_FILE = "hosts.yml"
# Kubespray's groups whose membership decides between scale.yml and
# cluster.yml: scale.yml joins workers only; a new control-plane or etcd
# member needs cluster.yml (Kubespray docs/operations/nodes.md).
CONTROL_GROUPS = ("kube_control_plane", "etcd")
# Versions the bundle pins and the record keeps, in the order they are named.
VERSION_KEYS = ("kubespray", "kubernetes", "containerd", "etcd")

UPGRADE_PLAYBOOK = "playbooks/upgrade.yml"
REMOVE_PLAYBOOK = "playbooks/remove_node.yml"


class InventoryError(ValueError):
    """The generated inventory cannot be read."""


# --- the generated inventory ------------------------------------------------

def read_tree(root):
    """{relative path: bytes} of every file under root (the generated inventory)."""
    if not os.path.isdir(root):
        raise InventoryError("no generated Kubespray inventory at %s: the kubespray_inventory role writes it" % root)
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root).replace(os.sep, "/")] = handle.read()
    if HOSTS_FILE not in files:
        raise InventoryError("%s has no %s: the kubespray_inventory role writes it" % (root, HOSTS_FILE))
    return files


def inventory_hash(files):
    """sha256 over the sorted relative paths and contents of the generated files.

    Each path and each content is length-prefixed, so moving bytes from one
    file to the next, or renaming a file, changes the hash.
    """
    digest = hashlib.sha256()
    for path in sorted(files):
        content = files[path]
        if isinstance(content, str):
            content = content.encode("utf-8")
        name = path.encode("utf-8")
        digest.update(b"%d:%s\n%d:" % (len(name), name, len(content)))
        digest.update(content)
    return digest.hexdigest()


def _canonical(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
                          .encode("utf-8")).hexdigest()


def _walk_groups(name, group, hosts, direct, children):
    """Host variables, each group's own hosts and child groups, as Ansible's YAML inventory reads them.

    A group is one object however often it appears: `k8s_cluster: {children:
    {kube_node: }}` names the group whose hosts are listed elsewhere.
    """
    group = group or {}
    direct.setdefault(name, set())
    children.setdefault(name, set())
    for host, host_vars in (group.get("hosts") or {}).items():
        hosts.setdefault(host, {}).update(host_vars or {})
        direct[name].add(host)
    for child, sub in (group.get("children") or {}).items():
        children[name].add(child)
        _walk_groups(child, sub, hosts, direct, children)


def _host_groups(direct, children):
    """{host: set of every group it is in, through child groups}."""
    def members(group, seen):
        if group in seen:
            return set()
        seen = seen | {group}
        found = set(direct.get(group, ()))
        for child in children.get(group, ()):
            found |= members(child, seen)
        return found

    groups = {}
    for group in direct:
        for host in members(group, frozenset()):
            groups.setdefault(host, set()).add(group)
    return groups


def inventory_state(files):
    """What the decision compares, from the generated files' parsed content.

    Returns {"hash": full hash, "settings": digest of every file but hosts.yml
    (parsed, so a reworded comment is no change), "hosts": {host: {"digest":
    digest of its variables and groups, "groups": sorted groups}}}.
    """
    # PyYAML is on the controller (ansible-core needs it), the only place this
    # runs; imported here because ansible-test sanity imports module_utils with
    # the standard library only.
    import yaml  # pylint: disable=import-outside-toplevel

    try:
        parsed = {path: yaml.safe_load(content) for path, content in files.items()
                  if path.endswith((".yml", ".yaml"))}
    except yaml.YAMLError as exc:
        raise InventoryError("the generated Kubespray inventory does not parse: %s" % exc)
    inventory = parsed.get(HOSTS_FILE) or {}
    hosts, direct, children = {}, {}, {}
    _walk_groups("all", inventory.get("all") or {}, hosts, direct, children)
    groups = _host_groups(direct, children)
    cluster = {h for h, member in groups.items() if "k8s_cluster" in member or member & set(CONTROL_GROUPS)}
    state = {}
    for host in sorted(cluster):
        member = sorted(groups[host] - {"all"})
        state[host] = {"digest": _canonical({"vars": hosts.get(host, {}), "groups": member}), "groups": member}
    settings = {path: data for path, data in parsed.items() if path != HOSTS_FILE}
    settings.update({path: content.decode("utf-8", "replace") if isinstance(content, bytes) else content
                     for path, content in files.items() if path not in parsed})
    return {"hash": inventory_hash(files), "settings": _canonical(settings), "hosts": state}


# --- the live cluster and the record ---------------------------------------

def _bare(version):
    text = str(version or "").strip()
    return text[1:] if text[:1] in ("v", "V") else text


def live_state(version_info, nodes):
    """{"apiserver": gitVersion, "nodes": {name: kubeletVersion}} from k8s_cluster_info / k8s_info output."""
    server = (version_info or {}).get("gitVersion") or ""
    found = {}
    for node in nodes or []:
        name = ((node or {}).get("metadata") or {}).get("name")
        if name:
            found[name] = (((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion") or "")
    return {"apiserver": server, "nodes": found}


def record_data(state, release, applied_at, playbook):
    """The apply record's ConfigMap data (strings only) after a successful run."""
    data = {"inventory_hash": state["hash"], "settings_hash": state["settings"],
            "hosts": json.dumps({h: s["digest"] for h, s in sorted(state["hosts"].items())}, sort_keys=True),
            "applied_at": applied_at, "playbook": playbook}
    for key in VERSION_KEYS:
        data[key] = str((release or {}).get(key, ""))
    return data


def parse_record(data):
    """The record's ConfigMap data back as {"hash", "settings", "hosts", "versions", "applied_at"}, or None.

    A record this code cannot read (hand-edited, an older layout) is treated
    as missing: the decision then runs cluster.yml, the safe choice.
    """
    if not data or not data.get("inventory_hash"):
        return None
    try:
        hosts = json.loads(data.get("hosts") or "{}")
    except ValueError:
        return None
    if not isinstance(hosts, dict):
        return None
    return {"hash": data["inventory_hash"], "settings": data.get("settings_hash", ""), "hosts": hosts,
            "versions": {key: data.get(key, "") for key in VERSION_KEYS},
            "applied_at": data.get("applied_at", "?")}


# --- the decision ------------------------------------------------------------

def _result(decision, reason, **extra):
    out = {"decision": decision, "reason": reason, "new_hosts": [], "removed_hosts": [], "record_stale": False,
           "playbook": {SKIP: None, SCALE: "scale", CLUSTER: "cluster", REFUSE: None}[decision]}
    out.update(extra)
    return out


def _names(hosts):
    return ", ".join(sorted(hosts))


def _version_refusal(release, live, record):
    """A refusal reason when versions differ from the running cluster, else ''."""
    wanted = _bare((release or {}).get("kubernetes"))
    server = _bare(live["apiserver"])
    upgrade = "run %s to change versions; this layer installs and scales, it never upgrades" % UPGRADE_PLAYBOOK
    if server and wanted and server != wanted:
        if _older(wanted, server):
            return ("the cluster runs Kubernetes v%s and cluster_release.kubernetes is %s, older: versions change "
                    "only through %s, and Kubernetes cannot be downgraded; set cluster_release.kubernetes back to %s"
                    % (server, wanted, UPGRADE_PLAYBOOK, server))
        return "the cluster runs Kubernetes v%s and cluster_release.kubernetes is %s: %s" % (server, wanted, upgrade)
    behind = {n: _bare(v) for n, v in live["nodes"].items() if v and _bare(v) != wanted}
    if wanted and behind:
        return ("kubelets not at cluster_release.kubernetes %s: %s (an unfinished upgrade?): %s"
                % (wanted, ", ".join("%s v%s" % (n, v) for n, v in sorted(behind.items())), upgrade))
    if record:
        changed = [(key, record["versions"].get(key), (release or {}).get(key)) for key in VERSION_KEYS
                   if key != "kubernetes" and record["versions"].get(key)
                   and _bare(record["versions"].get(key)) != _bare((release or {}).get(key))]
        if changed:
            return ("the last apply (%s) installed %s; cluster_release now says %s: %s"
                    % (record["applied_at"], ", ".join("%s %s" % (k, old) for k, old, _new in changed),
                       ", ".join("%s %s" % (k, new) for k, _old, new in changed), upgrade))
    return ""


def _older(left, right):
    def key(text):
        return [int(part) if part.isdigit() else 0 for part in text.split("+")[0].split("-")[0].split(".")]
    return key(left) < key(right)


def decide(state, release, live=None, record=None, api_error=""):
    """What to do with Kubespray. See the module docstring.

    state: inventory_state() of the generated inventory.
    release: cluster_release (the bundle's versions).
    live: live_state() when the API answered, None when it did not.
    record: parse_record() of the apply record, None when missing.
    api_error: why the API did not answer (named in the reason).
    """
    hosts = state["hosts"]
    if live is None:
        why = api_error or "no answer"
        return _result(CLUSTER, "the API server does not answer (%s): cluster.yml builds the cluster, or converges "
                                "it if it exists" % why)

    refusal = _version_refusal(release, live, record)
    if refusal:
        return _result(REFUSE, refusal)

    live_nodes = set(live["nodes"])
    stale = sorted(live_nodes - set(hosts))
    if stale:
        # cluster.yml would leave these Nodes running, and an etcd member
        # missing from the inventory would be dropped from the members'
        # configuration without leaving the etcd cluster: remove them first.
        return _result(REFUSE, "Nodes in the cluster that the inventory no longer lists: %s. Put them back in the "
                               "inventory, remove them with %s -e '{\"remove_nodes\": [%s]}' (its checks, then "
                               "drain, reset and delete), then delete them from the inventory and run this layer again"
                       % (_names(stale), REMOVE_PLAYBOOK, ", ".join('"%s"' % h for h in stale)), removed_hosts=stale)

    new = sorted(set(hosts) - live_nodes)
    new_control = [h for h in new if set(hosts[h]["groups"]) & set(CONTROL_GROUPS)]

    if record is None:
        return _result(CLUSTER, "no apply record in the cluster (kube-system ConfigMap): what the last Kubespray run "
                                "applied is unknown, so cluster.yml converges everything%s"
                       % ("; new hosts: " + _names(new) if new else ""), new_hosts=new)

    changed_hosts = sorted(h for h in hosts if h in record["hosts"] and h not in new
                           and record["hosts"][h] != hosts[h]["digest"])
    gone = sorted(set(record["hosts"]) - set(hosts))
    other = []
    if state["settings"] != record["settings"]:
        other.append("the cluster-wide settings (group_vars) changed")
    if changed_hosts:
        other.append("the variables or groups of %s changed" % _names(changed_hosts))
    if gone:
        # Already gone from the cluster (remove_node.yml ran): the remaining
        # members' configuration (etcd endpoints, no_proxy) still names them.
        other.append("%s left the inventory and the cluster: cluster.yml rewrites the remaining nodes' "
                     "configuration without them" % _names(gone))
    if other:
        return _result(CLUSTER, "since the last apply (%s): %s" % (record["applied_at"], "; ".join(other))
                       + ("; new hosts: " + _names(new) if new else ""), new_hosts=new)

    if new_control:
        return _result(CLUSTER, "new control-plane or etcd hosts %s: scale.yml joins workers only, cluster.yml "
                                "adds members" % _names(new_control), new_hosts=new)
    if new:
        return _result(SCALE, "new worker hosts only: %s (scale.yml limited to them, after Kubespray's facts on "
                              "every host)" % _names(new), new_hosts=new)

    if state["hash"] != record["hash"]:
        return _result(SKIP, "the generated inventory's files changed since the last apply (%s) but not their "
                             "content (comments or layout): nothing for Kubespray to do; the record is updated"
                       % record["applied_at"], record_stale=True)
    return _result(SKIP, "nothing changed since the last apply (%s): same generated inventory (sha256 %s), same "
                         "versions, every host a Node" % (record["applied_at"], state["hash"][:12]))
