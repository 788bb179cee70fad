#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by the action plugin
# plugins/action/kubespray_run.py, with the output parsing in
# plugins/module_utils/kubespray_run.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kubespray_run
short_description: Run one Kubespray playbook as its own ansible-playbook process
description:
  - Runs C(kubernetes_sigs.kubespray.<playbook>) with the generated inventory only, as a separate
    C(ansible-playbook) process, never through C(import_playbook), so that Kubespray's defaults do not mix with
    ours and a missing collection does not break the parsing of our playbooks.
  - Kubespray is the collection pinned in C(requirements.yml), installed into C(./collections) by
    C(make collections).
  - The inventory is passed as C(-i <inventory>/hosts.yml) (its C(group_vars/) load; nothing else there is parsed
    as an inventory), with C(-e @<inventory>/extra-vars.yml) when that file exists.
  - Every line of output goes to C(<log_dir>/kubespray-<playbook>-<UTC time>.log) (mode 0600); each PLAY line is
    shown as it starts.
  - A failure names each failed host and task and its log line; a missing collection fails with how to install or
    mirror it.
  - Runs on the controller only; no connection to the host is made.
options:
  playbook:
    description:
      - The Kubespray playbook to run.
    type: str
    required: true
    choices: [cluster, scale, upgrade_cluster, reset, remove_node, facts]
  inventory:
    description:
      - The generated Kubespray inventory directory (the C(kubespray_inventory) role writes it).
      - Defaults to C(<inventory_dir>/artifacts/kubespray).
    type: path
  limit:
    description:
      - Hosts for C(--limit) (C(scale) - the new hosts; C(remove_node) - the node).
    type: list
    elements: str
    default: []
  extra_vars:
    description:
      - "Variables for this run, for example C({node: wk03}) for C(remove_node)."
      - Written to a 0600 file in a 0700 directory, passed as C(-e @file) and removed afterwards, never on the
        command line (argv is visible in C(ps)). Set C(no_log) on the task when they hold a secret.
    type: dict
    default: {}
  log_dir:
    description:
      - Where the log goes.
      - Defaults to C(<inventory_dir>/reports).
    type: path
  collections_paths:
    description:
      - Where to look for C(ansible_collections/kubernetes_sigs/kubespray).
      - Defaults to the configured collections paths (C(ansible.cfg) - C(./collections) first).
    type: list
    elements: path
  timeout:
    description:
      - Seconds before the run is stopped; C(0) for none.
    type: int
    default: 0
notes:
  - Supports check mode; it then runs nothing and returns C(changed=true) and the command it would run (with a
    warning when the collection is missing).
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Add new hosts with Kubespray's scale playbook
  mlplatform.installer.kubespray_run:
    playbook: scale
    inventory: "{{ inventory_dir }}/artifacts/kubespray"
    limit: [wk03]
    timeout: 7200
  register: __kubespray_run
  delegate_to: localhost
  run_once: true

- name: Remove a node with Kubespray
  mlplatform.installer.kubespray_run:
    playbook: remove_node
    extra_vars:
      node: wk03
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
rc:
  description: Exit status of C(ansible-playbook).
  returned: when it ran
  type: int
log:
  description: Path of the log, or null when nothing ran.
  returned: always
  type: str
command:
  description: The command run (or that would run), the extra variables file shown as C(@<vars file>).
  returned: always
  type: list
  elements: str
plays:
  description: Each play's name and its log line.
  returned: always
  type: list
  elements: dict
recap:
  description: The PLAY RECAP counters per host.
  returned: always
  type: dict
failures:
  description: Each failure with its host, task, play, log line and message.
  returned: always
  type: list
  elements: dict
msg:
  description: The summary of the run.
  returned: always
  type: str
"""
