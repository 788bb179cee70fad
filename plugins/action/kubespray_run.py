# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlplatform.installer.kubespray_run: run one Kubespray playbook as its own ansible-playbook process.

Controller side. Kubespray (kubernetes_sigs.kubespray, pinned in
requirements.yml, installed into ./collections by `make collections`) runs
with the generated inventory only, never through import_playbook: its
defaults must not mix with ours, and a missing collection must not break the
parsing of our playbooks. The parsing is in
plugins/module_utils/kubespray_run.py (pure, pytest).
Documentation (options, check mode, return values): plugins/modules/kubespray_run.py.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml
from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_run as kr

display = Display()


def _collection_dir(paths):
    for base in paths:
        candidate = os.path.join(os.path.abspath(os.path.expanduser(base)), "ansible_collections",
                                 *kr.COLLECTION.split("."))
        if os.path.isdir(os.path.join(candidate, "playbooks")):
            return os.path.dirname(os.path.dirname(candidate)), candidate
    return None, None


def _environment(collections_root):
    # Every ANSIBLE_* and MOLECULE_* variable belongs to our run (our
    # ansible.cfg, roles and plugin paths, inject_facts_as_vars=False) and
    # would change Kubespray's behaviour: none is passed on.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_root,
        # The output the parser reads: plain text, default callback.
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PYTHONUNBUFFERED": "1",
        # ansible-core needs a UTF-8 locale; C.UTF-8 keeps tool output untranslated.
        "LC_ALL": "C.UTF-8",
    })
    return env


def _stop(proc):
    """SIGTERM to Kubespray's whole process group (its forks and ssh)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _status, args = self.validate_argument_spec(argument_spec=dict(
            playbook=dict(type="str", required=True, choices=list(kr.PLAYBOOKS)),
            inventory=dict(type="path"),
            limit=dict(type="list", elements="str", default=[]),
            extra_vars=dict(type="dict", default={}, no_log=True),
            log_dir=dict(type="path"),
            collections_paths=dict(type="list", elements="path"),
            timeout=dict(type="int", default=0),
        ))
        inventory_dir = task_vars.get("inventory_dir") or ""
        inventory = args["inventory"] or os.path.join(inventory_dir, "artifacts", "kubespray")
        log_dir = args["log_dir"] or os.path.join(inventory_dir, "reports")
        paths = args["collections_paths"] or list(C.COLLECTIONS_PATHS)
        root, collection = _collection_dir(paths)
        ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        if not os.path.exists(ansible_playbook):
            ansible_playbook = shutil.which("ansible-playbook") or "ansible-playbook"
        generated_vars = os.path.join(inventory, kr.EXTRA_VARS_FILE)
        vars_files = [generated_vars] if os.path.isfile(generated_vars) else []
        argv = kr.command(ansible_playbook, args["playbook"], inventory, args["limit"],
                          vars_files=vars_files + (["<vars file>"] if args["extra_vars"] else []))
        result.update(command=argv, log=None, plays=[], recap={}, failures=[])

        if collection is None:
            missing = ("Kubespray (%s) is not installed in any of %s. %s"
                       % (kr.COLLECTION, ", ".join(paths), kr.INSTALL_HINT))
            if self._task.check_mode:
                result.update(changed=True, msg="check mode: would run %s; " % " ".join(argv) + missing)
                result.setdefault("warnings", []).append(missing)
                return result
            # Returned, not raised: a raise here prints a bare "An exception
            # occurred ... NoneType: None" above the message.
            result.update(failed=True, msg=missing)
            return result
        if not os.path.isfile(os.path.join(inventory, kr.HOSTS_FILE)):
            result.update(failed=True, msg="no generated Kubespray inventory at %s (hosts.yml): run the "
                          "kubespray_inventory role first (playbooks/kubernetes.yml does)" % inventory)
            return result
        if self._task.check_mode:
            result.update(changed=True, msg="check mode: would run %s from %s" % (" ".join(argv), collection))
            return result

        os.makedirs(log_dir, mode=0o700, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        log_path = os.path.join(log_dir, "kubespray-%s-%s.log" % (args["playbook"], stamp))
        secrets_dir = tempfile.mkdtemp(prefix="kubespray-vars-")  # mode 0700
        try:
            vars_file = None
            if args["extra_vars"]:
                vars_file = os.path.join(secrets_dir, "vars.yml")
                fd = os.open(vars_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    yaml.safe_dump(args["extra_vars"], handle)
            argv = kr.command(ansible_playbook, args["playbook"], inventory, args["limit"],
                              vars_files=vars_files + ([vars_file] if vars_file else []))
            rc, parser = self._stream(argv, collection, _environment(root), log_path, args["timeout"],
                                      args["playbook"])
        finally:
            shutil.rmtree(secrets_dir, ignore_errors=True)

        summary = kr.summary(args["playbook"], rc, parser, log_path)
        shown = [a if not a.startswith("@" + secrets_dir) else "@<vars file>" for a in argv]
        result.update(rc=rc, log=log_path, command=shown,
                      plays=parser.plays, recap=parser.recap, failures=parser.failures, msg=summary,
                      changed=rc == 0)
        if rc != 0:
            result["failed"] = True
        return result

    @staticmethod
    def _stream(argv, cwd, env, log_path, timeout, playbook):
        """Run argv, writing every line to log_path and showing each PLAY as it starts."""
        parser = kr.OutputParser()
        started = time.monotonic()
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            # Cwd is the collection: Kubespray's own ansible.cfg applies when it ships one.
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
            display.display("kubespray %s: log %s" % (playbook, log_path))
            # A run that hangs without output is stopped too: a timer, not the read loop.
            watchdog = threading.Timer(timeout, _stop, (proc,)) if timeout else None
            if watchdog:
                watchdog.start()
            try:
                for line in proc.stdout:
                    log.write(line)
                    log.flush()
                    play = parser.feed(line)
                    if play is not None:
                        display.display("kubespray %s [%ds]: PLAY [%s] (log line %d)"
                                        % (playbook, time.monotonic() - started, play, parser.lineno))
                rc = proc.wait()
            except BaseException:
                _stop(proc)
                proc.wait()
                raise
            finally:
                if watchdog:
                    watchdog.cancel()
            if watchdog and time.monotonic() - started >= timeout and rc != 0:
                log.write("kubespray_run: stopped after %d s (timeout)\n" % timeout)
                parser.errors.append({"line": parser.lineno + 1, "msg": "stopped after %d s (timeout)" % timeout})
        parser.close()
        return rc, parser
