#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Module only: command words and XML parsing live in plugins/module_utils/gluster.py
# (plain pytest), running them in plugins/module_utils/gluster_cli.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gluster_peer
short_description: Form a GlusterFS trusted storage pool
description:
  - Probes (or detaches) GlusterFS peers from the node it runs on, through
    C(gluster --mode=script --xml), and waits until every named peer is connected.
  - A node already in the pool under any of its names, and the node the module runs on,
    are left alone, so a second run changes nothing.
  - The local node is recognised by binding a socket to each address a name resolves to;
    no gluster command is needed for that, so check mode predicts exactly.
  - Errors from gluster are returned verbatim, with the command that failed.
options:
  nodes:
    description:
      - Addresses or host names of the pool members, as bricks will name them.
      - Run the module on one node that is already in the pool (or on the first node of a
        new pool); the others are probed from there.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) probes missing nodes; V(absent) detaches the named nodes.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Detach with C(force) (only for a node that is gone for good).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the named peers to be connected and "Peer in Cluster"
        (0 does not wait). The module fails when they are not.
    type: int
    default: 60
  binary:
    description:
      - Path or name of the gluster CLI.
    type: str
    default: gluster
requirements:
  - glusterd running on the target
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Form the trusted pool from the first storage node
  mlplatform.installer.gluster_peer:
    nodes: [10.0.20.31, 10.0.20.32, 10.0.20.33]
  run_once: true
  delegate_to: gluster1

- name: Remove a storage node that no longer holds bricks
  mlplatform.installer.gluster_peer:
    nodes: [10.0.20.34]
    state: absent
"""

RETURN = r"""
probed:
  description: Nodes probed (in check mode, nodes that would be probed).
  returned: always
  type: list
  elements: str
  sample: [10.0.20.32, 10.0.20.33]
detached:
  description: Nodes detached (in check mode, nodes that would be detached).
  returned: always
  type: list
  elements: str
peers:
  description: The pool as C(gluster pool list) reports it after the change.
  returned: always
  type: list
  elements: dict
  sample:
    - {uuid: 48122a51-9324-4a19-bcfd-d8a1b22273d5, hostname: 10.0.20.32, hostnames: [10.0.20.32],
       connected: true, state: Peer in Cluster, local: false}
commands:
  description: The gluster command lines run (or, in check mode, that would run).
  returned: always
  type: list
  elements: list
"""

import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import (
    GlusterError,
    parse_pool_list,
    parse_probe,
    peer_detach_argv,
    peer_probe_argv,
    peers_to_detach,
    peers_to_probe,
    pool_list_argv,
    unconnected_peers,
)
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import GlusterCli


def is_local(host):
    """True when host resolves to an address of this machine (bind succeeds)."""
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    for family, _type, _proto, _canonname, sockaddr in infos:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((sockaddr[0], 0))
            return True
        except OSError:
            continue
        finally:
            sock.close()
    return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type="list", elements="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            force=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=60),
            binary=dict(type="str", default="gluster"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    cli = GlusterCli(module, module.get_bin_path(params["binary"], required=True))
    nodes = [n.strip() for n in params["nodes"] if n and n.strip()]
    result = dict(changed=False, probed=[], detached=[], peers=[], commands=[])

    def fail(msg, exc=None):
        if exc is not None:
            msg = "%s: %s" % (msg, exc.message)
        module.fail_json(msg=msg, **result)

    def pool():
        try:
            return cli.run(pool_list_argv(), parse_pool_list)
        except GlusterError as exc:
            fail("reading the pool failed", exc)

    local_hosts = set(n for n in nodes if is_local(n))
    current = pool()

    if params["state"] == "present":
        todo = peers_to_probe(current, nodes, local_hosts)
        for host in todo:
            words = peer_probe_argv(host)
            result["commands"].append(cli.command(words))
            if module.check_mode:
                result["probed"].append(host)
                continue
            try:
                outcome = cli.run(words, parse_probe)
            except GlusterError as exc:
                fail("probing %s from this node failed; check glusterd on %s and TCP 24007" % (host, host), exc)
            if outcome == "probed":
                result["probed"].append(host)
    else:
        todo = peers_to_detach(current, nodes, local_hosts)
        for host in todo:
            words = peer_detach_argv(host, params["force"])
            result["commands"].append(cli.command(words))
            if not module.check_mode:
                try:
                    cli.run(words)
                except GlusterError as exc:
                    fail("detaching %s failed" % host, exc)
            result["detached"].append(host)

    result["changed"] = bool(result["probed"] or result["detached"])

    if module.check_mode:
        result["peers"] = current
        module.exit_json(**result)

    # A probed peer is "Peer in Cluster" within seconds; a peer that stays
    # disconnected is a firewall or glusterd problem to report, not to ignore.
    wanted = [n for n in nodes if n not in local_hosts] if params["state"] == "present" else []
    deadline = time.time() + max(params["wait_timeout"], 0)
    current = pool()
    while wanted and unconnected_peers(current, wanted) and time.time() < deadline:
        time.sleep(2)
        current = pool()
    result["peers"] = current
    missing = [n for n in wanted if not any(n in p["hostnames"] for p in current if not p["local"])]
    bad = unconnected_peers(current, wanted)
    if missing or bad:
        details = ["%s not in the pool" % n for n in missing]
        details += ["%s is %s and %s" % (p["hostname"], "connected" if p["connected"] else "disconnected",
                                         p["state"] or "in no state") for p in bad]
        fail("peers not ready after %ds: %s; check glusterd and TCP 24007 on those nodes"
             % (params["wait_timeout"], "; ".join(details)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
