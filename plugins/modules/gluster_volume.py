#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Module only: command words, XML parsing and the change plan live in
# plugins/module_utils/gluster.py (plain pytest), running them in gluster_cli.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gluster_volume
short_description: Create, start, stop, tune and delete a GlusterFS volume
description:
  - Manages one volume through C(gluster --mode=script --xml) on a node of the trusted pool.
  - Creates a replicated (C(replica N)) or arbiter (C(replica 2 arbiter 1)) volume from an
    ordered brick list, sets volume options, and starts or stops it.
  - Options are compared with the effective values (C(volume get VOL all)), with gluster's
    boolean spellings treated alike (on, enable, yes, true), so a second run changes nothing.
  - It never changes the layout of an existing volume (adding, removing or replacing bricks
    moves data and is a day-2 operation); a mismatch fails with both layouts in the message.
  - Errors from gluster are returned verbatim, with the command that failed.
options:
  name:
    description: Volume name.
    type: str
    required: true
  state:
    description:
      - V(started) and V(present) create the volume when it is missing; V(started) also starts it,
        V(stopped) stops it, V(absent) stops and deletes it (the data stays on the bricks).
    type: str
    choices: [present, started, stopped, absent]
    default: started
  bricks:
    description:
      - Bricks as C(HOST:/path), in order; each consecutive group of C(replica + arbiter) bricks
        is one replica set (with an arbiter, the last of each group is the arbiter).
      - Required to create the volume; compared with the existing volume otherwise.
    type: list
    elements: str
    default: []
  replica:
    description: Data copies per replica set (1 for a plain distributed volume).
    type: int
    default: 3
  arbiter:
    description: 1 for an arbiter volume (then O(replica) must be 2), else 0.
    type: int
    default: 0
  transport:
    description: Brick transport.
    type: str
    choices: [tcp]
    default: tcp
  force:
    description:
      - Create with C(force), which gluster requires when a brick sits on the root filesystem
        (a directory brick, as on the test bed).
    type: bool
    default: false
  options:
    description:
      - Volume options by full key (C(cluster.quorum-type)). Booleans may be given as YAML booleans.
    type: dict
    default: {}
  binary:
    description: Path or name of the gluster CLI.
    type: str
    default: gluster
requirements:
  - glusterd running on the target, every brick host in its trusted pool
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Replica 3 volume with server and client quorum
  mlplatform.installer.gluster_volume:
    name: gv0
    bricks:
      - 10.0.20.31:/data/glusterfs/gv0/brick
      - 10.0.20.32:/data/glusterfs/gv0/brick
      - 10.0.20.33:/data/glusterfs/gv0/brick
    replica: 3
    options:
      cluster.quorum-type: auto
      cluster.server-quorum-type: server
      network.ping-timeout: 20
  run_once: true

- name: Arbiter volume (two data copies, metadata-only third brick)
  mlplatform.installer.gluster_volume:
    name: gva
    bricks: [10.0.20.31:/data/glusterfs/gva/brick, 10.0.20.32:/data/glusterfs/gva/brick,
             10.0.20.33:/data/glusterfs/gva/brick]
    replica: 2
    arbiter: 1
"""

RETURN = r"""
volume:
  description: The volume as C(gluster volume info) reports it after the change (empty when absent).
  returned: always
  type: dict
  sample:
    name: gv0
    status: Started
    started: true
    type: Replicate
    replica_count: 3
    arbiter_count: 0
    bricks: [{name: 10.0.20.31:/data/glusterfs/gv0/brick, host_uuid: 59d4..., arbiter: false}]
    options: {cluster.quorum-type: auto}
options_changed:
  description: Options set, by key, with the value before and after.
  returned: always
  type: dict
  sample: {network.ping-timeout: {before: "42", after: "20"}}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create, set network.ping-timeout, start]
commands:
  description: The gluster command lines run (or, in check mode, that would run).
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import (
    GlusterError,
    current_options,
    layout_mismatch,
    option_changes,
    parse_volume_get,
    parse_volume_info,
    validate_bricks,
    validate_layout,
    volume_create_argv,
    volume_delete_argv,
    volume_get_argv,
    volume_info_argv,
    volume_set_argv,
    volume_start_argv,
    volume_stop_argv,
)
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import GlusterCli


class Steps(object):
    """The module's reads and changes; a gluster failure ends the module, named."""

    def __init__(self, module, cli, result):
        self.module = module
        self.cli = cli
        self.result = result

    def fail(self, msg, exc):
        self.module.fail_json(msg="%s: %s" % (msg, exc.message), **self.result)

    def read(self, words, parser, what):
        try:
            return self.cli.run(words, parser)
        except GlusterError as exc:
            self.fail("reading %s failed" % what, exc)

    def change(self, action, words, what):
        """Record one change; run it unless in check mode."""
        self.result["actions"].append(action)
        self.result["commands"].append(self.cli.command(words))
        self.result["changed"] = True
        if self.module.check_mode:
            return
        try:
            self.cli.run(words)
        except GlusterError as exc:
            self.fail("%s failed" % what, exc)

    def info(self, name):
        return self.read(volume_info_argv(), parse_volume_info, "volume info").get(name)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "started", "stopped", "absent"], default="started"),
            bricks=dict(type="list", elements="str", default=[]),
            replica=dict(type="int", default=3),
            arbiter=dict(type="int", default=0),
            transport=dict(type="str", choices=["tcp"], default="tcp"),
            force=dict(type="bool", default=False),
            options=dict(type="dict", default={}),
            binary=dict(type="str", default="gluster"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name = p["name"]
    result = dict(changed=False, volume={}, options_changed={}, actions=[], commands=[])
    runner = Steps(module, GlusterCli(module, module.get_bin_path(p["binary"], required=True)), result)

    try:
        validate_layout(p["replica"], p["arbiter"])
        if p["bricks"]:
            validate_bricks(p["bricks"], p["replica"], p["arbiter"])
    except ValueError as exc:
        module.fail_json(msg="volume %s: %s" % (name, exc), **result)
    bad_keys = sorted(k for k in p["options"] if "." not in k)
    if bad_keys:
        module.fail_json(msg="volume %s: give options by their full key (for example "
                             "cluster.quorum-type), not %s" % (name, ", ".join(bad_keys)), **result)

    volume = runner.info(name)

    if p["state"] == "absent":
        if volume is not None:
            if volume["started"]:
                runner.change("stop", volume_stop_argv(name), "stopping volume %s" % name)
            runner.change("delete", volume_delete_argv(name), "deleting volume %s" % name)
        module.exit_json(**result)

    if volume is None:
        if not p["bricks"]:
            module.fail_json(msg="volume %s does not exist and no bricks were given to create it" % name,
                             **result)
        words = volume_create_argv(name, p["bricks"], p["replica"], p["arbiter"], p["transport"], p["force"])
        runner.change("create", words, "creating volume %s" % name)
        if not module.check_mode:
            volume = runner.info(name)
    elif p["bricks"]:
        mismatch = layout_mismatch(volume, p["bricks"], p["replica"], p["arbiter"])
        if mismatch:
            module.fail_json(msg="volume %s exists with another layout: %s. Changing bricks is a day-2 "
                                 "operation (add-brick, replace-brick, remove-brick) this module does "
                                 "not do." % (name, mismatch), **result)

    if p["options"]:
        if volume is None:
            # Check mode on a volume that does not exist yet: every option would be set.
            current = {}
        else:
            current = current_options(
                runner.read(volume_get_argv(name), parse_volume_get, "options of %s" % name),
                volume["options"])
        for key, before, after in option_changes(p["options"], current):
            runner.change("set %s" % key, volume_set_argv(name, key, after),
                          "setting %s=%s on volume %s" % (key, after, name))
            result["options_changed"][key] = {"before": before, "after": after}

    started = bool(volume and volume["started"])
    if p["state"] == "started" and not started:
        runner.change("start", volume_start_argv(name), "starting volume %s" % name)
    elif p["state"] == "stopped" and started:
        runner.change("stop", volume_stop_argv(name), "stopping volume %s" % name)

    if not module.check_mode or volume is not None:
        result["volume"] = runner.info(name) or {}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
