#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: the client and the checks are in plugins/module_utils/nexus_api.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nexus_realms
short_description: Nexus's active security realms, in order, over the REST API v1
description:
  - GETs C(/service/rest/v1/security/realms/active) and PUTs O(realms) only when the list or its order differs.
  - Realms this Nexus does not offer (C(/v1/security/realms/available)) are refused before anything is sent,
    naming the ones it has. C(DockerToken) is needed for docker token pulls; it comes with the docker format,
    which the open-source base assembly lacks.
  - Check mode and diff mode report the change without sending it.
extends_documentation_fragment:
  - mlplatform.installer.nexus
options:
  realms:
    description:
      - Realm ids in the order Nexus tries them. C(NexusAuthenticatingRealm) should stay in the list, or
        local users (admin included) can no longer log in.
    type: list
    elements: str
    required: true
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Local users and docker bearer tokens
  mlplatform.installer.nexus_realms:
    password: "{{ nexus_admin_password }}"
    realms: [NexusAuthenticatingRealm, DockerToken]
  no_log: true
"""

RETURN = r"""
realms:
  description: The active realms after the run.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api


def run(module, api):
    wanted = module.params["realms"]
    _status, current = api.call("GET", "/v1/security/realms/active")
    current = list(current or [])
    result = dict(changed=False, realms=current)
    if current == wanted:
        return result
    _status, available = api.call("GET", "/v1/security/realms/available")
    problems = nexus_api.realm_problems(wanted, available)
    if problems:
        module.fail_json(msg="; ".join(problems), realms=current)
    if "NexusAuthenticatingRealm" not in wanted:
        module.warn("NexusAuthenticatingRealm is not in realms: local users, admin included, cannot log in afterwards")
    result.update(changed=True, realms=wanted, request="PUT /v1/security/realms/active")
    if module._diff:
        result["diff"] = dict(before="\n".join(current) + "\n", after="\n".join(wanted) + "\n")
    if not module.check_mode:
        api.call("PUT", "/v1/security/realms/active", wanted)
    return result


def main():
    module = AnsibleModule(
        argument_spec=nexus_api.argument_spec(realms=dict(type="list", elements="str", required=True)),
        supports_check_mode=True,
    )
    nexus_api.exit_with(module, run)


if __name__ == "__main__":
    main()
