# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the gluster_peer, gluster_volume and gluster_health modules.

Three kinds of function, none of which runs anything:
  * ``*_argv``      build a command's words (gluster_cli.GlusterCli adds the
                    binary, ``--mode=script --xml`` and the timeout, and runs it);
  * ``parse_*``     turn the CLI's XML into plain dicts and lists;
  * plan/evaluate   decide what to change or what is unhealthy from parsed data.

Facts about the CLI these functions rely on, seen on glusterfs 10.3 (Debian 12;
fixtures in tests/unit/fixtures/gluster/):
  * With ``--xml`` the exit status is 0 even when the operation failed: only
    ``<opRet>`` (0 = success, -1 or 1 = failure) and ``<opErrstr>`` tell.
  * When glusterd is down, or for commands without XML support (``volume heal
    VOL``), the output is plain text; it is reported verbatim.
  * ``peer probe`` succeeds with ``<opErrno>`` 1 for the local node and 2 for a
    node already in the pool: that is how a probe that changed nothing is known.
  * ``volume status`` omits the bricks of a node whose glusterd is unreachable;
    a brick whose process died is listed with ``<status>0``.
  * ``volume get VOL all`` appends `` (DEFAULT)`` to values never set.
"""

from __future__ import absolute_import, division, print_function

import xml.etree.ElementTree as ET

__metaclass__ = type

BOOL_TRUE = frozenset(["on", "yes", "true", "enable", "1"])
BOOL_FALSE = frozenset(["off", "no", "false", "disable", "0"])

# glusterd's "Peer in Cluster" state: anything else (probe sent, rejected...)
# means the peer is not a working member of the pool.
PEER_IN_CLUSTER = "Peer in Cluster"
# <opErrno> values of a successful `peer probe` (glusterd's gf_probe_resp).
PROBE_ERRNO_LOCALHOST = 1
PROBE_ERRNO_ALREADY_PEER = 2
SELF_HEAL_DAEMON = "Self-heal Daemon"


class GlusterError(Exception):
    """A gluster command failed; ``message`` is the CLI's own text, verbatim."""

    def __init__(self, message, op_ret=None, op_errno=None, output=None):
        super(GlusterError, self).__init__(message)
        self.message = message
        self.op_ret = op_ret
        self.op_errno = op_errno
        self.output = output


# --------------------------------------------------------------------------
# Command builders
# --------------------------------------------------------------------------

def pool_list_argv():
    return ["pool", "list"]


def peer_probe_argv(host):
    return ["peer", "probe", host]


def peer_detach_argv(host, force=False):
    return ["peer", "detach", host] + (["force"] if force else [])


def volume_info_argv():
    # Every volume at once: asking for a missing one is an error whose text
    # would have to be matched; an absent entry in the full list is not.
    return ["volume", "info"]


def volume_status_argv(name):
    return ["volume", "status", name]


def volume_get_argv(name, key="all"):
    return ["volume", "get", name, key]


def heal_summary_argv(name):
    return ["volume", "heal", name, "info", "summary"]


def replica_tokens(replica, arbiter):
    """CLI words for a layout: ``replica 3`` or ``replica 2 arbiter 1``."""
    validate_layout(replica, arbiter)
    if replica == 1:
        return []
    tokens = ["replica", str(replica)]
    if arbiter:
        tokens += ["arbiter", str(arbiter)]
    return tokens


def volume_create_argv(name, bricks, replica, arbiter=0, transport="tcp", force=False):
    validate_bricks(bricks, replica, arbiter)
    argv = ["volume", "create", name]
    argv += replica_tokens(replica, arbiter)
    argv += ["transport", transport]
    argv += list(bricks)
    if force:
        argv.append("force")
    return argv


def volume_start_argv(name, force=False):
    return ["volume", "start", name] + (["force"] if force else [])


def volume_stop_argv(name, force=False):
    return ["volume", "stop", name] + (["force"] if force else [])


def volume_delete_argv(name):
    return ["volume", "delete", name]


def volume_set_argv(name, key, value):
    return ["volume", "set", name, key, option_to_cli(value)]


# --------------------------------------------------------------------------
# Layout rules
# --------------------------------------------------------------------------

def set_size(replica, arbiter):
    """Bricks per replica set: ``replica 2 arbiter 1`` has 3 bricks per set."""
    return replica + arbiter


def validate_layout(replica, arbiter):
    if not isinstance(replica, int) or replica < 1:
        raise ValueError("replica must be a positive integer, got %r" % (replica,))
    if arbiter not in (0, 1):
        raise ValueError("arbiter must be 0 or 1, got %r" % (arbiter,))
    if arbiter and replica != 2:
        raise ValueError("an arbiter volume is 'replica 2 arbiter 1' (two data bricks and one "
                         "arbiter per set); got replica %d arbiter %d" % (replica, arbiter))


def validate_bricks(bricks, replica, arbiter):
    validate_layout(replica, arbiter)
    if not bricks:
        raise ValueError("no bricks given")
    size = set_size(replica, arbiter)
    if len(bricks) % size:
        raise ValueError("%d bricks cannot form sets of %d (replica %d, arbiter %d): give a "
                         "multiple of %d" % (len(bricks), size, replica, arbiter, size))
    for brick in bricks:
        host, sep, path = brick.partition(":")
        if not sep or not host or not path.startswith("/"):
            raise ValueError("brick %r is not HOST:/absolute/path" % (brick,))
    if len(set(bricks)) != len(bricks):
        raise ValueError("duplicate bricks in %r" % (bricks,))
    for start in range(0, len(bricks), size):
        hosts = [b.partition(":")[0] for b in bricks[start:start + size]]
        if len(set(hosts)) != len(hosts):
            raise ValueError("replica set %s puts two bricks on one host: a node loss would take "
                             "two copies" % (bricks[start:start + size],))


# --------------------------------------------------------------------------
# Parsers
# --------------------------------------------------------------------------

def _text(elem, tag, default=None):
    if elem is None:
        return default
    child = elem.find(tag)
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def check_exit(rc, out, err):
    """Output of a finished gluster command, or GlusterError when it produced no XML.

    With --xml gluster exits 0 even on failure (parse_cli reads opRet); a
    non-zero status without XML means glusterd was unreachable or the command
    has no XML form, and the text it printed is the message.
    """
    if rc != 0 and "<cliOutput" not in (out or ""):
        raise GlusterError(((out or "") + (err or "")).strip() or "exit status %d" % rc,
                           output=(out or "") + (err or ""))
    return out


def parse_cli(text, command=None):
    """Return the ``<cliOutput>`` root of a successful command.

    Raises GlusterError with the CLI's own words when the output is not XML
    (glusterd down, a command without XML support) or when ``opRet`` is not 0.
    """
    what = " ".join(command) if command else "gluster"
    raw = (text or "").strip()
    start = raw.find("<?xml")
    if start < 0:
        start = raw.find("<cliOutput")
    if start < 0:
        raise GlusterError(raw or "no output", output=raw)
    try:
        root = ET.fromstring(raw[start:])
    except ET.ParseError as exc:
        raise GlusterError("unreadable XML from %s (%s): %s" % (what, exc, raw), output=raw)
    if root.tag != "cliOutput":
        raise GlusterError("unexpected XML root <%s> from %s" % (root.tag, what), output=raw)
    op_ret = _int(_text(root, "opRet"), 0)
    op_errno = _int(_text(root, "opErrno"), 0)
    if op_ret != 0:
        message = _text(root, "opErrstr") or _text(root, "output") or "failed with opRet %d" % op_ret
        raise GlusterError(message, op_ret=op_ret, op_errno=op_errno, output=raw)
    return root


def parse_pool_list(text):
    """``pool list`` / ``peer status``: one dict per node, the local one flagged."""
    root = parse_cli(text)
    peers = []
    for peer in root.iter("peer"):
        hostname = _text(peer, "hostname", "")
        names = [h.text.strip() for h in peer.findall("hostnames/hostname") if h.text]
        if hostname and hostname not in names:
            names.insert(0, hostname)
        local = hostname == "localhost" and peer.find("state") is None
        peers.append({
            "uuid": _text(peer, "uuid", ""),
            "hostname": hostname,
            "hostnames": names,
            "connected": _text(peer, "connected") == "1",
            "state": _text(peer, "stateStr", PEER_IN_CLUSTER if local else ""),
            "local": local,
        })
    return peers


def parse_probe(text):
    """``peer probe``: 'probed', 'local' or 'already' (the last two changed nothing)."""
    root = parse_cli(text)
    errno = _int(_text(root, "opErrno"), 0)
    if errno == PROBE_ERRNO_LOCALHOST:
        return "local"
    if errno == PROBE_ERRNO_ALREADY_PEER:
        return "already"
    return "probed"


def parse_volume_info(text):
    """``volume info``: {name: volume dict} with bricks in CLI order."""
    root = parse_cli(text)
    volumes = {}
    for vol in root.findall("volInfo/volumes/volume"):
        bricks = []
        for brick in vol.findall("bricks/brick"):
            name = _text(brick, "name") or (brick.text or "").strip()
            bricks.append({
                "name": name,
                "host_uuid": _text(brick, "hostUuid", brick.get("uuid", "")),
                "arbiter": _text(brick, "isArbiter") == "1",
            })
        options = {}
        for opt in vol.findall("options/option"):
            key = _text(opt, "name")
            if key:
                options[key] = _text(opt, "value", "")
        name = _text(vol, "name")
        volumes[name] = {
            "name": name,
            "id": _text(vol, "id", ""),
            "status": _text(vol, "statusStr", ""),
            "started": _text(vol, "status") == "1",
            "type": _text(vol, "typeStr", ""),
            "brick_count": _int(_text(vol, "brickCount"), len(bricks)),
            "dist_count": _int(_text(vol, "distCount"), 1),
            "replica_count": _int(_text(vol, "replicaCount"), 1),
            "arbiter_count": _int(_text(vol, "arbiterCount"), 0),
            "disperse_count": _int(_text(vol, "disperseCount"), 0),
            "bricks": bricks,
            "options": options,
        }
    return volumes


def parse_volume_status(text):
    """``volume status VOL``: bricks by "host:path" and self-heal daemons by node."""
    root = parse_cli(text)
    result = {}
    for vol in root.findall("volStatus/volumes/volume"):
        bricks = {}
        shd = {}
        for node in vol.findall("node"):
            hostname = _text(node, "hostname", "")
            path = _text(node, "path", "")
            online = _text(node, "status") == "1"
            if hostname == SELF_HEAL_DAEMON:
                shd[path] = {"online": online, "peerid": _text(node, "peerid", "")}
                continue
            bricks["%s:%s" % (hostname, path)] = {
                "online": online,
                "port": _int(_text(node, "port")),
                "pid": _int(_text(node, "pid")),
                "peerid": _text(node, "peerid", ""),
            }
        result[_text(vol, "volName")] = {"bricks": bricks, "self_heal_daemons": shd}
    return result


def _option_value(raw):
    """Split ``on (DEFAULT)`` into ('on', True)."""
    value = (raw or "").strip()
    if value.endswith("(DEFAULT)"):
        return value[: -len("(DEFAULT)")].strip(), True
    return value, False


def parse_volume_get(text):
    """``volume get VOL all``: {key: {"value": str, "default": bool, "values": [str]}}.

    A few keys are listed once per translator that reads them, sometimes with
    different defaults (performance.cache-size: 32MB for io-cache, 128MB for
    quick-read); ``values`` keeps each, ``value`` is the first.
    """
    root = parse_cli(text)
    options = {}
    for opt in root.findall("volGetopts/Opt"):
        key = _text(opt, "Option")
        if not key:
            continue
        value, is_default = _option_value(_text(opt, "Value", ""))
        entry = options.get(key)
        if entry is None:
            options[key] = {"value": value, "default": is_default, "values": [value]}
        else:
            entry["values"].append(value)
            entry["default"] = entry["default"] and is_default
    return options


def parse_heal_summary(text):
    """``volume heal VOL info summary``: one dict per brick.

    A brick the heal process cannot reach has no counters (they are None) and
    a status other than "Connected" (10.3 even glues a counter name onto that
    status text; it is kept as is).
    """
    root = parse_cli(text)
    bricks = []
    for brick in root.findall("healInfo/bricks/brick"):
        status = _text(brick, "status", "")
        bricks.append({
            "name": _text(brick, "name", ""),
            "status": status,
            "connected": status == "Connected",
            "total": _int(_text(brick, "totalNumberOfEntries")),
            "pending": _int(_text(brick, "numberOfEntriesInHealPending")),
            "split_brain": _int(_text(brick, "numberOfEntriesInSplitBrain")),
            "possibly_healing": _int(_text(brick, "numberOfEntriesPossiblyHealing")),
        })
    return bricks


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------

def option_to_cli(value):
    """Ansible values to the CLI's words: YAML booleans become on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def canonical_option(value):
    """Compare option values the way glusterd reads them: on == enable == yes."""
    text = option_to_cli(value).strip().lower()
    if text in BOOL_TRUE:
        return "on"
    if text in BOOL_FALSE:
        return "off"
    if text.endswith("%") and text[:-1].replace(".", "", 1).isdigit():
        return text[:-1]
    return text


def current_options(volume_get, volume_info_options=None):
    """Effective values: ``volume get`` overlaid with ``volume info``'s reconfigured ones."""
    values = {}
    for key, entry in (volume_get or {}).items():
        # Translators disagreeing on one key: no single current value, so a
        # desired value is set (after which they agree).
        distinct = set(canonical_option(v) for v in entry.get("values", [entry["value"]]))
        values[key] = entry["value"] if len(distinct) == 1 else None
    values.update(volume_info_options or {})
    return values


def option_changes(desired, current):
    """[(key, current value or None, desired CLI value)] for every option that differs."""
    changes = []
    for key in sorted(desired):
        want = option_to_cli(desired[key])
        have = current.get(key)
        if have is None or canonical_option(have) != canonical_option(want):
            changes.append((key, have, want))
    return changes


def layout_mismatch(volume, bricks, replica, arbiter):
    """Why an existing volume differs from the requested layout ('' when it matches)."""
    problems = []
    have_bricks = [b["name"] for b in volume["bricks"]]
    if have_bricks != list(bricks):
        problems.append("bricks are %s, requested %s" % (have_bricks, list(bricks)))
    want_replica = set_size(replica, arbiter) if replica > 1 else 1
    if volume["replica_count"] != want_replica or volume["arbiter_count"] != arbiter:
        problems.append("layout is replica %d arbiter %d (bricks per set), requested replica %d arbiter %d"
                        % (volume["replica_count"], volume["arbiter_count"], replica, arbiter))
    return "; ".join(problems)


def peers_to_probe(pool, hosts, local_hosts):
    """Hosts that are neither this node nor known to the pool under any name."""
    known = set()
    for peer in pool:
        if not peer["local"]:
            known.update(peer["hostnames"])
    return [h for h in hosts if h not in known and h not in local_hosts]


def peers_to_detach(pool, hosts, local_hosts):
    known = set()
    for peer in pool:
        if not peer["local"]:
            known.update(peer["hostnames"])
    return [h for h in hosts if h in known and h not in local_hosts]


def unconnected_peers(pool, hosts=None):
    """Peers (optionally only those named in ``hosts``) not connected and in the cluster."""
    bad = []
    for peer in pool:
        if peer["local"]:
            continue
        if hosts is not None and not set(peer["hostnames"]) & set(hosts):
            continue
        if not peer["connected"] or peer["state"] != PEER_IN_CLUSTER:
            bad.append(peer)
    return bad


# --------------------------------------------------------------------------
# Health
# --------------------------------------------------------------------------

def replica_sets(volume):
    """Brick names grouped by replica set (``replicaCount`` bricks each)."""
    size = max(volume["replica_count"], 1)
    names = [b["name"] for b in volume["bricks"]]
    return [names[i:i + size] for i in range(0, len(names), size)]


def client_quorum_met(set_bricks, online, quorum_type, quorum_count=None):
    """AFR client quorum for one replica set.

    auto: more than half the bricks up, or exactly half including the first
    brick; fixed: at least quorum_count bricks up; none: always met.
    """
    up = [b in online for b in set_bricks]
    count = sum(up)
    size = len(set_bricks)
    if quorum_type == "auto":
        return count * 2 > size or (count * 2 == size and up[0])
    if quorum_type == "fixed":
        return count >= (quorum_count or size)
    return True


def server_quorum_met(pool, ratio=None):
    """glusterd server quorum: connected nodes (this one included) against the ratio."""
    total = len(pool)
    active = sum(1 for p in pool if p["local"] or p["connected"])
    if ratio is None:
        return active * 2 > total
    return active * 100 >= ratio * total


def _option(options, key, default=None):
    entry = options.get(key)
    if entry is None:
        return default
    return entry["value"]


def evaluate_volume(name, info, status, heal, options, pool, max_pending=0,
                    require_quorum_options=True):
    """Health of one volume: (report dict, [problem sentences])."""
    problems = []
    report = {"name": name, "status": info["status"], "type": info["type"],
              "replica_count": info["replica_count"], "arbiter_count": info["arbiter_count"]}
    if not info["started"]:
        # A stopped volume has no brick processes by design: one problem, not one per brick.
        problems.append("%s: volume is %s, not Started: `gluster volume start %s`"
                        % (name, info["status"], name))
        return report, problems
    bricks_status = (status or {}).get("bricks", {})
    online = set(b for b, s in bricks_status.items() if s["online"])
    all_bricks = [b["name"] for b in info["bricks"]]
    offline = [b for b in all_bricks if b not in online]
    report.update({"bricks_total": len(all_bricks), "bricks_online": len(all_bricks) - len(offline),
                   "offline_bricks": offline})
    for brick in offline:
        if brick in bricks_status:
            why = "its process is not running: `gluster volume start %s force` restarts it" % name
        else:
            why = "glusterd on %s is unreachable from this node" % brick.partition(":")[0]
        problems.append("%s: brick %s is offline (%s)" % (name, brick, why))

    replicated = info["replica_count"] > 1
    if replicated:
        shd = (status or {}).get("self_heal_daemons", {})
        down = sorted(node for node, s in shd.items() if not s["online"])
        report["self_heal_daemons_offline"] = down
        for node in down:
            problems.append("%s: self-heal daemon on %s is not running" % (name, node))

    pending = split = possibly = 0
    unreachable = []
    for brick in heal or []:
        if not brick["connected"]:
            unreachable.append(brick["name"])
            continue
        pending += brick["total"] or 0
        split += brick["split_brain"] or 0
        possibly += brick["possibly_healing"] or 0
    report["heal"] = {"pending": pending, "split_brain": split, "possibly_healing": possibly,
                      "unreachable_bricks": unreachable}
    if split:
        problems.append("%s: %d entries in split-brain: see `gluster volume heal %s info split-brain`"
                        % (name, split, name))
    if pending > max_pending:
        problems.append("%s: %d entries wait for self-heal (allowed %d): see `gluster volume heal %s info`"
                        % (name, pending, max_pending, name))

    quorum_type = _option(options, "cluster.quorum-type", "none")
    server_type = _option(options, "cluster.server-quorum-type", "off")
    quorum_count = _int(_option(options, "cluster.quorum-count"))
    ratio_text = _option(options, "cluster.server-quorum-ratio")
    ratio = _int(canonical_option(ratio_text)) if ratio_text else None
    lost_sets = [s for s in replica_sets(info)
                 if not client_quorum_met(s, online, quorum_type, quorum_count)]
    report["quorum"] = {"client_type": quorum_type, "server_type": server_type,
                        "client_met": not lost_sets,
                        "server_met": server_type != "server" or server_quorum_met(pool, ratio)}
    if replicated and require_quorum_options:
        if quorum_type not in ("auto", "fixed"):
            problems.append("%s: cluster.quorum-type is %r: without client quorum a partition can "
                            "write both sides (split-brain); set it to auto" % (name, quorum_type))
        if server_type != "server":
            problems.append("%s: cluster.server-quorum-type is %r: set it to server so a node cut "
                            "off from the pool stops its bricks" % (name, server_type))
    for lost in lost_sets:
        problems.append("%s: client quorum lost in replica set %s: writes fail until more of its "
                        "bricks are online" % (name, lost))
    if not report["quorum"]["server_met"]:
        problems.append("%s: server quorum lost: this node sees too few connected peers and "
                        "glusterd has stopped its bricks" % name)
    return report, problems


def evaluate_pool(pool):
    problems = []
    for peer in unconnected_peers(pool):
        if not peer["connected"]:
            problems.append("peer %s (%s) is not connected: check glusterd there and TCP 24007 "
                            "between the storage nodes" % (peer["hostname"], peer["uuid"]))
        else:
            problems.append("peer %s (%s) is in state %r, not %r"
                            % (peer["hostname"], peer["uuid"], peer["state"], PEER_IN_CLUSTER))
    return problems
