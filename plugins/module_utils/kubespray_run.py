# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running Kubespray as its own ansible-playbook: the pure parts.

Building the command, and reading ansible-playbook's default-callback output
line by line (plays as they start, failed hosts and tasks with their log
line, the recap). The action plugin (plugins/action/kubespray_run.py) runs
the process and streams its output through OutputParser; plain pytest covers
this file with real captured output (tests/unit/fixtures/kubespray_run/).
"""

from __future__ import annotations

import json
import re

# Kubespray's playbooks (kubernetes_sigs.kubespray.<name>) this project runs.
PLAYBOOKS = ("cluster", "scale", "upgrade_cluster", "reset", "remove_node", "facts")
COLLECTION = "kubernetes_sigs.kubespray"

INSTALL_HINT = (
    "Install it with `make collections` (ansible-galaxy collection install -r requirements.yml -p collections), "
    "which needs github.com. An air-gapped site mirrors it: on a machine that reaches GitHub run "
    "`ansible-galaxy collection download -r requirements.yml -p kubespray-collection/` and carry that directory "
    "over; then `ansible-galaxy collection install -r kubespray-collection/requirements.yml -p collections` "
    "(or point requirements.yml at the mirrored tarball or an internal Git mirror of "
    "kubernetes-sigs/kubespray at the same tag).")

_PLAY = re.compile(r"^PLAY \[(?P<name>.*)\] \**\s*$")
_TASK = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(?P<name>.*)\] \**\s*$")
_RECAP = re.compile(r"^PLAY RECAP \**\s*$")
_RECAP_HOST = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")
# fatal: [host]: FAILED! => {...}, fatal: [host -> other]: UNREACHABLE! => {...},
# failed: [host] (item=x) => {...}
_FAILED = re.compile(r"^(?:fatal|failed): \[(?P<host>[^\]\s]+)(?: -> [^\]]+)?\]"
                     r"(?::\s+(?P<kind>FAILED|UNREACHABLE)!)?(?: \(item=(?P<item>.*?)\))?(?: => (?P<body>.*))?$")
_IGNORING = "...ignoring"
_ERROR = re.compile(r"^(?:\[)?ERROR(?:\]|!):?\s*(?P<msg>.*)$")


# In the generated inventory directory: the hosts file given to -i (so that
# nothing else there is parsed as an inventory source; group_vars/ beside it
# still load) and the play keywords Kubespray reads as extra vars (serial).
HOSTS_FILE = "hosts.yml"
EXTRA_VARS_FILE = "extra-vars.yml"


def command(ansible_playbook, playbook, inventory, limit=(), vars_files=(), check=False):
    """argv for one Kubespray playbook; secrets never appear in it (extra vars go through files).

    inventory: the generated inventory directory; vars_files: `-e @file` in order (later wins).
    """
    if playbook not in PLAYBOOKS:
        raise ValueError("playbook %r: use one of %s" % (playbook, ", ".join(PLAYBOOKS)))
    argv = [ansible_playbook, "-i", inventory.rstrip("/") + "/" + HOSTS_FILE, "%s.%s" % (COLLECTION, playbook)]
    if limit:
        argv += ["--limit", ",".join(limit)]
    for path in vars_files or ():
        argv += ["-e", "@" + path]
    if check:
        argv.append("--check")
    return argv


def play_name(line):
    """The play's name when the line starts a play, else None."""
    match = _PLAY.match(line.rstrip("\n"))
    return match.group("name") if match else None


def _message(body):
    """A one-line reason out of a result's JSON: msg, then the first stderr line."""
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    parts = [str(data.get("msg") or "").strip()]
    stderr = str(data.get("stderr") or "").strip().splitlines()
    if stderr and stderr[-1] not in parts[0]:
        parts.append(stderr[-1])
    return ": ".join(p for p in parts if p)[:300]


class OutputParser:
    """Feed ansible-playbook's output one line at a time; read plays, failures, recap and errors."""

    def __init__(self):
        self.lineno = 0
        self.plays = []
        self.play = None
        self.task = None
        self.failures = []
        self.recap = {}
        self.errors = []
        self._in_recap = False
        self._pending = None

    def feed(self, line):
        """Returns the play's name when this line starts one (to show it while it runs), else None."""
        self.lineno += 1
        text = line.rstrip("\r\n")
        if self._pending is not None:
            if text.strip() == _IGNORING:
                self._pending = None
                return None
            self.failures.append(self._pending)
            self._pending = None
        if _RECAP.match(text):
            self._in_recap = True
            return None
        name = play_name(text)
        if name is not None:
            self._in_recap = False
            self.play, self.task = name, None
            self.plays.append({"name": name, "line": self.lineno})
            return name
        if self._in_recap:
            match = _RECAP_HOST.match(text.strip())
            if match:
                self.recap[match.group("host")] = {key: int(value) for key, value in
                                                   re.findall(r"(\w+)=(\d+)", match.group("counts"))}
                return None
        match = _TASK.match(text)
        if match:
            self.task = match.group("name")
            return None
        match = _FAILED.match(text)
        if match:
            self._pending = {"host": match.group("host"), "task": self.task, "play": self.play,
                             "line": self.lineno, "item": match.group("item"),
                             "unreachable": match.group("kind") == "UNREACHABLE",
                             "msg": _message(match.group("body"))}
            return None
        match = _ERROR.match(text)
        if match:
            self.errors.append({"line": self.lineno, "msg": match.group("msg").strip()})
        return None

    def close(self):
        if self._pending is not None:
            self.failures.append(self._pending)
            self._pending = None


def parse(text):
    """OutputParser over a whole captured output."""
    parser = OutputParser()
    for line in text.splitlines():
        parser.feed(line)
    parser.close()
    return parser


def totals(recap):
    """The recap summed over hosts."""
    out = {}
    for counts in recap.values():
        for key, value in counts.items():
            out[key] = out.get(key, 0) + value
    return out


def failed_hosts(recap):
    """Hosts whose recap shows a failure or unreachability, sorted."""
    return sorted(h for h, c in recap.items() if c.get("failed", 0) or c.get("unreachable", 0))


def summary(playbook, rc, parser, log_path):
    """One paragraph for the run's end: the recap, and on failure each failed host and task with its log line."""
    name = "%s.%s" % (COLLECTION, playbook)
    counts = totals(parser.recap)
    recap = ", ".join("%s=%d" % (k, counts.get(k, 0))
                      for k in ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"))
    if rc == 0:
        return "%s passed on %d hosts (%s); log: %s" % (name, len(parser.recap), recap, log_path)
    named = []
    seen = set()
    for failure in parser.failures:
        key = (failure["host"], failure["task"])
        if key in seen:
            continue
        seen.add(key)
        named.append("%s %s at task [%s] (play [%s]), log line %d%s" % (
            failure["host"], "unreachable" if failure["unreachable"] else "failed", failure["task"] or "?",
            failure["play"] or "?", failure["line"],
            (": " + failure["msg"]) if failure["msg"] else ""))
    for host in failed_hosts(parser.recap):
        if not any(f["host"] == host for f in parser.failures):
            named.append("%s failed (see the recap)" % host)
    for error in parser.errors:
        named.append("ansible-playbook: %s (log line %d)" % (error["msg"], error["line"]))
    if not named:
        named.append("no failed task in the output; the last lines of the log say why")
    return "%s failed (rc=%d): %s. Recap: %s. Log: %s" % (
        name, rc, "; ".join(named), recap if parser.recap else "none (it stopped before any play ended)",
        log_path)
