#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Module only: XML parsing and the health rules live in plugins/module_utils/gluster.py
# (plain pytest), running the CLI in gluster_cli.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gluster_health
short_description: Judge a GlusterFS cluster - peers, bricks, self-heal and quorum
description:
  - Read-only check run on one node of the trusted pool, through C(gluster --mode=script --xml).
  - "Checks, per volume: every peer connected and \"Peer in Cluster\"; the volume started; every
    brick online; every self-heal daemon running; no entry in split-brain; at most
    O(max_pending_heals) entries waiting for self-heal (every brick reachable by the heal
    process); client quorum met in every replica set and server quorum met; and, unless
    O(require_quorum_options=false), client and server quorum switched on for replicated volumes."
  - With O(wait_timeout), checks again every O(wait_interval) seconds until healthy, for example
    to wait for a returning node's self-heal; the time that took is returned.
  - Fails with every problem in the message when unhealthy, unless O(fail_on_unhealthy=false).
options:
  volumes:
    description:
      - Volumes to check; empty means every volume of the pool. A named volume that does not
        exist is a problem.
    type: list
    elements: str
    default: []
  max_pending_heals:
    description: Entries waiting for self-heal (summed over a volume's bricks) still counted healthy.
    type: int
    default: 0
  require_quorum_options:
    description: Count a replicated volume without client and server quorum as unhealthy.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to keep checking until healthy (0 checks once).
    type: int
    default: 0
  wait_interval:
    description: Seconds between checks while waiting.
    type: int
    default: 3
  fail_on_unhealthy:
    description: Fail the task when unhealthy. With V(false) the result carries C(healthy) and C(problems).
    type: bool
    default: true
  allow_absent:
    description:
      - Report healthy, with C(installed=false), when the gluster CLI is not installed (a preflight
        run before the storage layer exists). Otherwise a missing CLI is a failure.
    type: bool
    default: false
  binary:
    description: Path or name of the gluster CLI.
    type: str
    default: gluster
notes:
  - Never changes anything; check mode runs the same read-only commands.
  - Heal counters come from C(volume heal VOL info summary), which starts a short-lived client
    process per call (about a second per volume).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Storage must be healthy before nodes are touched
  mlplatform.installer.gluster_health:
    volumes: [gv0]
  run_once: true
  delegate_to: "{{ groups['gluster_nodes'][0] }}"

- name: Wait for the self-heal after a node came back
  mlplatform.installer.gluster_health:
    wait_timeout: 600
  register: __storage_heal
"""

RETURN = r"""
healthy:
  description: True when no problem was found.
  returned: always
  type: bool
problems:
  description: One sentence per problem, naming the volume, brick or peer and what to do.
  returned: always
  type: list
  elements: str
  sample:
    - "gv0: brick 10.0.20.33:/data/glusterfs/gv0/brick is offline (glusterd on 10.0.20.33 is unreachable from this node)"
peers:
  description: The pool as C(gluster pool list) reports it.
  returned: always
  type: list
  elements: dict
volumes:
  description: Per volume, its status, brick counts, offline bricks, heal counters and quorum state.
  returned: always
  type: dict
  sample:
    gv0:
      status: Started
      bricks_total: 3
      bricks_online: 3
      offline_bricks: []
      heal: {pending: 0, split_brain: 0, possibly_healing: 0, unreachable_bricks: []}
      quorum: {client_type: auto, server_type: server, client_met: true, server_met: true}
checks:
  description: How many times the cluster was checked.
  returned: always
  type: int
elapsed:
  description: Seconds from the first check to the last.
  returned: always
  type: float
installed:
  description: False when the gluster CLI is missing and O(allow_absent) is set.
  returned: always
  type: bool
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_check import check
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import GlusterCli


def main():
    module = AnsibleModule(
        argument_spec=dict(
            volumes=dict(type="list", elements="str", default=[]),
            max_pending_heals=dict(type="int", default=0),
            require_quorum_options=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=0),
            wait_interval=dict(type="int", default=3),
            fail_on_unhealthy=dict(type="bool", default=True),
            allow_absent=dict(type="bool", default=False),
            binary=dict(type="str", default="gluster"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, healthy=False, problems=[], peers=[], volumes={}, checks=0,
                  elapsed=0.0, installed=True)
    binary = module.get_bin_path(p["binary"])
    if binary is None:
        result["installed"] = False
        if p["allow_absent"]:
            result["healthy"] = True
            module.exit_json(**result)
        module.fail_json(msg="the gluster CLI (%s) is not installed on this node" % p["binary"], **result)

    cli = GlusterCli(module, binary)
    started = time.time()
    deadline = started + max(p["wait_timeout"], 0)
    while True:
        state = check(cli, p["volumes"], p["max_pending_heals"], p["require_quorum_options"])
        peers, volumes, problems = state["pool"], state["reports"], state["problems"]
        result["checks"] += 1
        if not problems or time.time() + p["wait_interval"] > deadline:
            break
        time.sleep(max(p["wait_interval"], 1))
    result.update(peers=peers, volumes=volumes, problems=problems, healthy=not problems,
                  elapsed=round(time.time() - started, 1))
    if problems and p["fail_on_unhealthy"]:
        waited = " after waiting %ds" % p["wait_timeout"] if p["wait_timeout"] else ""
        module.fail_json(msg="GlusterFS is unhealthy%s: %s" % (waited, "; ".join(problems)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
