# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Note, per node, which tasks of a plan play would change something.

playbooks/node_prep.yml runs node_network and node_proxy in check mode on
every node at once, then rolls them, with health gates, only over the nodes
that would change. Ansible keeps no per-host "changed" tally a later play can
read, so this callback keeps one: in a play whose vars list the roles to plan
(change_plan_roles), every task result of those roles that reported changed,
or failed, is added to the host fact change_plan, {role: [task names]}. A role
that ran with nothing to change gets an empty list; a role missing from the
fact was not planned (callback off, tags), and the filter
mlplatform.installer.change_plan_exclusions then keeps its nodes in the
rollout: without a plan, everything rolls.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: change_plan
author:
  - ML platform team (@mlplatform)
type: aggregate
short_description: record which tasks of planned roles would change each host
description:
  - In a play whose C(vars) hold C(change_plan_roles) (a list of role names), sets
    the host fact C(change_plan) to a dict of role name -> names of that role's tasks
    that reported changed or failed on the host (a failure cannot prove nothing would
    change).
  - Meant for plays in check mode; filter C(mlplatform.installer.change_plan_exclusions)
    reads the fact.
requirements:
  - enabled in ansible.cfg callbacks_enabled
"""

from ansible.plugins.callback import CallbackBase
from ansible.utils.unsafe_proxy import wrap_var


def planned_roles(play_vars) -> frozenset:
    """The roles a play plans: its literal change_plan_roles list, or none."""
    roles = (play_vars or {}).get("change_plan_roles")
    if not isinstance(roles, (list, tuple)):
        return frozenset()
    return frozenset(str(role) for role in roles)


def note(plan: dict, role: str, task: str | None) -> dict:
    """plan with role present, and task added to its list when given."""
    tasks = list(plan.get(role, []))
    if task is not None and task not in tasks:
        tasks.append(task)
    return {**plan, role: tasks}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mlplatform.installer.change_plan"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._roles: frozenset = frozenset()
        self._variables = None
        self._plans: dict[str, dict] = {}

    def v2_playbook_on_play_start(self, play):
        self._roles = planned_roles(play.vars)
        self._variables = play.get_variable_manager() if self._roles else None
        self._plans = {}

    def _record(self, result, would_change: bool):
        if not self._roles or self._variables is None:
            return
        role = getattr(result._task, "_role", None)
        name = role.get_name(include_role_fqcn=False) if role is not None else None
        if name not in self._roles:
            return
        host = result._host.get_name()
        # The name as written: Ansible templates a task's name once, with the
        # first host's variables, which would name another host's change.
        task = ((result._task.get_ds() or {}).get("name") or result.task_name) if would_change else None
        self._plans[host] = note(self._plans.get(host, {}), name, task)
        # Read by the strategy before it queues the host's next task. Unsafe:
        # a task name may hold "{{ item }}", never to be templated again.
        self._variables.set_nonpersistent_facts(host, {"change_plan": wrap_var(self._plans[host])})

    def v2_runner_on_ok(self, result):
        self._record(result, bool(result._result.get("changed")))

    def v2_runner_on_skipped(self, result):
        self._record(result, False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, True)
