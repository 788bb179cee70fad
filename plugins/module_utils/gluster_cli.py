# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the gluster_* modules run the gluster CLI.

gluster.py builds each command's words and parses the output without running
anything (plain pytest on captured output); this runner adds what every call
shares, as community.general's CmdRunner does: the global options, the
environment, the timeout, and an error text that names the command line and
carries gluster's own words (stdout and stderr).
"""

from __future__ import absolute_import, division, print_function

import time

from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import (
    GlusterError,
    check_exit,
    parse_cli,
)

__metaclass__ = type

# The parsers match untranslated messages.
GLUSTER_ENV = {"LC_ALL": "C", "LANG": "C"}
# Seconds the CLI waits for glusterd's answer before it prints "Error : Request
# timed out" and fails (its --timeout). 120 is gluster's own default, written
# out so the wait a module may spend on one command is stated, not implied.
TIMEOUT = 120
# glusterd refuses a command while another node holds the volume's cluster-wide
# lock (every `volume status` takes it, e.g. the gluster_metrics timer on each
# storage node): nothing ran, so the command is tried again a few times.
LOCK_BUSY = "Another transaction is in progress"
LOCK_RETRIES = 5
LOCK_WAIT = 2


def failure_text(argv, rc, gluster_text):
    """The error a module reports: the command line, its exit status, gluster's words."""
    status = "exited %d" % rc if rc else "failed"
    return "`%s` %s: %s" % (" ".join(argv), status, gluster_text)


class GlusterCli(object):
    """Runs gluster for one module; every failure is a GlusterError naming the command."""

    def __init__(self, module, binary, timeout=TIMEOUT):
        self.module = module
        self.binary = binary
        self.timeout = timeout

    def command(self, words, xml=True):
        """The full command line: what runs, what a module records and what an error quotes.

        --mode=script answers every prompt (volume stop, peer detach) with yes;
        --xml gives parseable output and the opRet every parser checks.
        """
        return ([self.binary, "--mode=script"] + (["--xml"] if xml else [])
                + ["--timeout=%d" % self.timeout] + list(words))

    def run(self, words, parser=parse_cli, xml=True, sleep=time.sleep):
        """parser(stdout) of a command that succeeded (stdout itself when parser is None)."""
        argv = self.command(words, xml)
        for attempt in range(LOCK_RETRIES + 1):
            rc, out, err = self.module.run_command(argv, environ_update=GLUSTER_ENV)
            try:
                out = check_exit(rc, out, err)
                return parser(out) if parser is not None else out
            except GlusterError as exc:
                if LOCK_BUSY in exc.message and attempt < LOCK_RETRIES:
                    sleep(LOCK_WAIT)
                    continue
                raise GlusterError(failure_text(argv, rc, exc.message), op_ret=exc.op_ret,
                                   op_errno=exc.op_errno, output=exc.output)
        raise AssertionError("unreachable")  # pragma: no cover
