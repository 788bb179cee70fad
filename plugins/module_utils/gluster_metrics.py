# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GlusterFS health as node_exporter textfile metrics.

roles/gluster_metrics runs this on every storage node from a systemd timer
(files/usr/local/lib/mlp-gluster-metrics/collect.py): ``collect`` makes the same pass
over the pool as the gluster_health module (gluster.py's parsers and
``evaluate_*`` judge it, one place for the health rules), adds each brick's
size and free space from ``volume status VOL detail``, ``to_textfile`` turns
the result into Prometheus text format (pure, tested with captured output)
and ``write_atomically`` replaces the collector's file in one rename, so
node_exporter never reads half a file.

The alerts that read these metrics are roles/monitoring/files/rules/gluster.yml.
"""

from __future__ import absolute_import, division, print_function

import os
import subprocess
import tempfile
import time

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster_check
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import parse_cli

__metaclass__ = type

PREFIX = "mlp_gluster_"

# name: (help, [label names]); the order here is the order in the file.
METRICS = [
    ("up", "1 when the gluster CLI on this node answered pool list and volume info.", []),
    ("healthy", "1 when the health check (as the gluster_health module judges it) found no problem.", []),
    ("problems", "Problems the health check found.", []),
    ("peer_connected", "1 when the peer is connected and in the cluster.", ["peer", "uuid"]),
    ("volume_started", "1 when the volume is started.", ["volume"]),
    ("volume_bricks", "Bricks of the volume.", ["volume"]),
    ("volume_bricks_online", "Bricks of the volume that are online.", ["volume"]),
    ("brick_online", "1 when the brick's process is online as this node sees it.", ["volume", "brick"]),
    ("heal_pending_entries", "Entries waiting for self-heal, summed over the volume's bricks.", ["volume"]),
    ("heal_split_brain_entries", "Entries in split-brain.", ["volume"]),
    ("heal_unreachable_bricks", "Bricks the self-heal process could not reach.", ["volume"]),
    ("client_quorum_met", "1 when client quorum holds in every replica set.", ["volume"]),
    ("server_quorum_met", "1 when server quorum holds (or is off).", ["volume"]),
    ("brick_size_bytes", "Size of the filesystem under the brick.", ["volume", "brick"]),
    ("brick_free_bytes", "Free bytes on the filesystem under the brick.", ["volume", "brick"]),
    ("scrape_duration_seconds", "Seconds the collection took.", []),
    ("scrape_timestamp_seconds", "Unix time the file was written.", []),
]


def volume_status_detail_argv(name):
    return ["volume", "status", name, "detail"]


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def parse_brick_capacity(text):
    """``volume status VOL detail``: {volume: {"host:path": {"size_bytes", "free_bytes"}}}.

    Only bricks whose node answered are listed (a stopped node's brick is
    omitted, as in plain ``volume status``); the detail output has no
    self-heal daemons, so health still reads plain ``volume status``.
    """
    root = parse_cli(text)
    result = {}
    for vol in root.findall("volStatus/volumes/volume"):
        bricks = {}
        for node in vol.findall("node"):
            size = _int((node.findtext("sizeTotal") or "").strip())
            free = _int((node.findtext("sizeFree") or "").strip())
            if size is None or free is None:
                continue
            name = "%s:%s" % ((node.findtext("hostname") or "").strip(), (node.findtext("path") or "").strip())
            bricks[name] = {"size_bytes": size, "free_bytes": free}
        result[(vol.findtext("volName") or "").strip()] = bricks
    return result


def collect(cli, volumes=None, max_pending=0, require_quorum=True):
    """gluster_health's pass over the pool (module_utils/gluster_check), plus brick capacity.

    ``cli`` is a gluster_cli.GlusterCli (``run(words, parser)``). Returns
    {"up", "peers", "volumes" (gluster_health's per-volume reports), "bricks"
    ({volume: [brick names]}), "capacity", "problems", "status_unknown"}; a
    failing command is a problem, never an exception, so the file still says
    what is known. A volume in status_unknown exports no brick series this
    round: unknown is not offline (the other storage nodes still report).
    """
    capacity = {}

    def brick_capacity(name):
        found, error = gluster_check.read(cli, volume_status_detail_argv(name), parse_brick_capacity)
        capacity[name] = (found or {}).get(name, {})
        return [error] if error else []

    state = gluster_check.check(cli, volumes, max_pending, require_quorum, per_started_volume=brick_capacity)
    return {"up": state["up"], "peers": state["pool"], "volumes": state["reports"],
            "bricks": {name: [b["name"] for b in state["infos"][name]["bricks"]] for name in state["reports"]},
            "capacity": capacity, "problems": state["problems"], "status_unknown": state["status_unknown"]}


def escape_label(value):
    """Prometheus text format: backslash, double quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name, labels, value):
    if labels:
        text = ",".join('%s="%s"' % (k, escape_label(v)) for k, v in labels)
        return "%s%s{%s} %s" % (PREFIX, name, text, _number(value))
    return "%s%s %s" % (PREFIX, name, _number(value))


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 3))
    return str(int(value))


def samples(result):
    """[(metric, [(label, value)], number)] for a ``collect`` result."""
    out = [("up", [], result["up"]),
           ("healthy", [], result["up"] and not result["problems"]),
           ("problems", [], len(result["problems"]))]
    for peer in result["peers"]:
        if peer.get("local"):
            continue
        out.append(("peer_connected", [("peer", peer["hostname"]), ("uuid", peer["uuid"])],
                    peer["connected"] and peer["state"] == "Peer in Cluster"))
    for volume in sorted(result["volumes"]):
        report = result["volumes"][volume]
        vol = [("volume", volume)]
        started = report["status"] == "Started"
        out.append(("volume_started", vol, started))
        if not started:
            # No brick runs by design: volume_started says it, not one alert per brick.
            continue
        if volume in result.get("status_unknown", []):
            continue
        bricks = result["bricks"].get(volume, [])
        offline = set(report.get("offline_bricks", []))
        out.append(("volume_bricks", vol, len(bricks)))
        out.append(("volume_bricks_online", vol, len([b for b in bricks if b not in offline])))
        for brick in bricks:
            out.append(("brick_online", vol + [("brick", brick)], brick not in offline))
        heal = report.get("heal")
        if heal is not None and report.get("replica_count", 1) > 1:
            out.append(("heal_pending_entries", vol, heal["pending"]))
            out.append(("heal_split_brain_entries", vol, heal["split_brain"]))
            out.append(("heal_unreachable_bricks", vol, len(heal["unreachable_bricks"])))
        quorum = report.get("quorum")
        if quorum is not None:
            out.append(("client_quorum_met", vol, quorum["client_met"]))
            out.append(("server_quorum_met", vol, quorum["server_met"]))
        capacity = result["capacity"].get(volume, {})
        for brick in bricks:
            if brick in capacity:
                out.append(("brick_size_bytes", vol + [("brick", brick)], capacity[brick]["size_bytes"]))
                out.append(("brick_free_bytes", vol + [("brick", brick)], capacity[brick]["free_bytes"]))
    return out


def to_textfile(result, now, duration=0.0):
    """The textfile: every metric with HELP and TYPE once, its samples grouped under it."""
    by_name = {}
    for name, labels, value in samples(result):
        by_name.setdefault(name, []).append(_sample(name, labels, value))
    by_name["scrape_duration_seconds"] = [_sample("scrape_duration_seconds", [], float(duration))]
    by_name["scrape_timestamp_seconds"] = [_sample("scrape_timestamp_seconds", [], int(now))]
    lines = []
    for name, help_text, _labels in METRICS:
        if name not in by_name:
            continue
        lines.append("# HELP %s%s %s" % (PREFIX, name, help_text))
        lines.append("# TYPE %s%s gauge" % (PREFIX, name))
        lines.extend(by_name[name])
    return "\n".join(lines) + "\n"


def write_atomically(path, text, mode=0o644):
    """Write into a temporary file beside ``path``, then rename it over ``path``.

    The temporary name does not end in .prom, so node_exporter skips it, and
    the rename is atomic on one filesystem: a scrape sees the old file or the
    new one, never a part.
    """
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class CommandRunner(object):
    """``run_command`` as GlusterCli expects it from AnsibleModule, for the timer's script."""

    def __init__(self, timeout):
        self.timeout = timeout

    def run_command(self, argv, environ_update=None):
        env = dict(os.environ)
        env.update(environ_update or {})
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  universal_newlines=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            return 124, "", "no answer within %ds" % self.timeout
        except OSError as exc:
            return 127, "", str(exc)
        return proc.returncode, proc.stdout, proc.stderr


def run_once(cli, path, volumes=None, max_pending=0, clock=time.time):
    """Collect, format and write one file; returns the collect result."""
    started = clock()
    result = collect(cli, volumes, max_pending)
    finished = clock()
    write_atomically(path, to_textfile(result, finished, finished - started))
    return result


# node_exporter's own default for --collector.diskstats.device-exclude
# (1.5.0 as Debian 12 ships it, plus zram as later releases exclude it): RAM
# disks, loop devices, floppies and partitions (a partition's I/O is already
# counted on its disk). Written with [0-9] for \d: the pattern reaches
# node_exporter through systemd's $ARGS, which eats single backslashes.
DISKSTATS_DEFAULT_EXCLUDE = r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+$"


def _digits_except(numbers):
    """An RE2 pattern (no lookahead in Go) for every decimal number except `numbers` (a trie's complement)."""
    trie = {}
    for number in numbers:
        node = trie
        for digit in str(int(number)):
            node = node.setdefault(digit, {})
        node[""] = {}

    def others(children):
        rest = sorted(set("0123456789") - set(children))
        return ("[%s][0-9]*" % "".join(rest)) if rest else None

    def walk(node, root):
        branches = [] if root or "" in node else [""]
        other = others(node)
        if other:
            branches.append(other)
        branches += [digit + walk(child, False) for digit, child in sorted(node.items()) if digit]
        return "(?:%s)" % "|".join(branches)

    return walk(trie, True)


def diskstats_device_exclude(keep=()):
    """node_exporter's default device exclude, with the loop devices in `keep` (names: loop3) reported after all.

    A Gluster brick on a loop device (the test bed's data disks) is a data
    disk: its latency is what the NodeDiskWriteLatencyHigh alert watches. Every
    other loop device (snap and image mounts; in a container, the host's
    other loops, since /proc/diskstats is not namespaced) stays excluded, as do
    RAM disks and partitions. On real machines `keep` is empty and the
    default is unchanged.
    """
    numbers = sorted({int(name[4:]) for name in keep if name.startswith("loop") and name[4:].isdigit()})
    bad = sorted(name for name in keep if not (name.startswith("loop") and name[4:].isdigit()))
    if bad:
        raise ValueError("only loop devices (loopN) need keeping, not %s" % ", ".join(bad))
    if not numbers:
        return DISKSTATS_DEFAULT_EXCLUDE
    return r"^((z?ram|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+|loop%s)$" % _digits_except(numbers)
