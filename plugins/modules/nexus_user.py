#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: the client and the diff helpers are in plugins/module_utils/nexus_api.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nexus_user
short_description: A local Nexus user and its password (the admin password rotation included) over the REST API v1
description:
  - Finds the user in C(/service/rest/v1/security/users?userId=<id>) (a prefix search; the exact id is picked),
    creates it (POST, with O(user_password)) or PUTs the whole user only when a managed field differs
    (roles compare as sets).
  - The password is never returned by Nexus, so the module asks Nexus whether O(user_password) already works
    (C(GET /v1/status) with the user's own credentials, 200 or 401). Only when it does not, and
    O(update_password=always), it sets it with C(PUT /v1/security/users/<id>/change-password). When O(user_id)
    is O(username) (rotating the connecting user's own password, such as the first-boot admin password) and
    O(user_password) works already, the module carries on with it, so a re-run after the old password is gone
    reports ok.
  - Check mode and diff mode report the change without sending it. Passwords are never returned or logged.
extends_documentation_fragment:
  - mlplatform.installer.nexus
options:
  user_id:
    description: The user's id.
    type: str
    required: true
  user_password:
    description: The user's password (vault). Required to create a user.
    type: str
  update_password:
    description: C(always) sets O(user_password) when it does not work; C(on_create) only when creating the user.
    type: str
    default: always
    choices: [always, on_create]
  first_name:
    description: First name (required by Nexus to create a user).
    type: str
  last_name:
    description: Last name (required by Nexus to create a user).
    type: str
  email:
    description: E-mail address (required by Nexus to create a user).
    type: str
  status:
    description: Account status.
    type: str
    choices: [active, disabled, changepassword, locked]
  roles:
    description: Role ids (the whole set; compared as a set).
    type: list
    elements: str
  state:
    description: Present or absent.
    type: str
    default: present
    choices: [present, absent]
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Replace the first-boot admin password with the vault one
  mlplatform.installer.nexus_user:
    password: "{{ __nexus_first_boot_password | default(nexus_admin_password) }}"
    user_id: admin
    user_password: "{{ nexus_admin_password }}"
  no_log: true

- name: A read-only user for the nodes' pulls
  mlplatform.installer.nexus_user:
    password: "{{ nexus_admin_password }}"
    user_id: puller
    user_password: "{{ nexus_puller_password }}"
    first_name: Cluster
    last_name: Puller
    email: puller@example.com
    roles: [nx-anonymous]
  no_log: true
"""

RETURN = r"""
user:
  description: The user after the run (no password).
  returned: when state is present
  type: dict
changed_keys:
  description: Fields that differed (C(password) when it was set).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api


def password_works(api, user_id, password):
    status, _answer = api.call("GET", "/v1/status", expect=(200, 401), password=password, username=user_id)
    return status == 200


def run(module, api):
    p = module.params
    user_id = p["user_id"]
    own = user_id == p["username"]
    works = None
    if p["user_password"] and p["state"] == "present":
        works = password_works(api, user_id, p["user_password"])
        if works and own:
            api.password = p["user_password"]
    _status, listing = api.call("GET", "/v1/security/users?userId=" + user_id)
    current = nexus_api.user_from_list(listing, user_id)
    result = dict(changed=False, changed_keys=[])
    if p["state"] == "absent":
        if current is not None:
            result.update(changed=True, diff=dict(before=current, after={}))
            if not module.check_mode:
                api.call("DELETE", "/v1/security/users/" + user_id)
        return result
    wanted = {"firstName": p["first_name"], "lastName": p["last_name"], "emailAddress": p["email"],
              "status": p["status"], "roles": p["roles"]}
    if current is None:
        missing = [k for k, v in (("user_password", p["user_password"]), ("first_name", p["first_name"]),
                                  ("last_name", p["last_name"]), ("email", p["email"])) if not v]
        if missing:
            module.fail_json(msg="user %s does not exist: give %s to create it" % (user_id, ", ".join(missing)))
        body = {k: v for k, v in wanted.items() if v is not None}
        body.setdefault("status", "active")
        body.setdefault("roles", [])
        result.update(changed=True, changed_keys=sorted(body) + ["password"], request="POST /v1/security/users",
                      user=dict(body, userId=user_id))
        if module._diff:
            result["diff"] = dict(before={}, after=result["user"])
        if not module.check_mode:
            _status, created = api.call("POST", "/v1/security/users", dict(body, userId=user_id, password=p["user_password"]))
            result["user"] = created
        return result
    body, changes = nexus_api.plan_user(current, wanted)
    if changes:
        result.update(changed=True, request="PUT /v1/security/users/" + user_id)
        if not module.check_mode:
            api.call("PUT", "/v1/security/users/" + user_id, body)
    if p["user_password"] and not works and p["update_password"] == "always":
        changes = changes + ["password"]
        result.update(changed=True, request="PUT /v1/security/users/%s/change-password" % user_id)
        if not module.check_mode:
            api.call("PUT", "/v1/security/users/%s/change-password" % user_id, p["user_password"],
                     content_type="text/plain")
    result["changed_keys"] = changes
    result["user"] = body
    if module._diff and changes:
        after = dict(body)
        if "password" in changes:
            after["password"] = "(changed)"
        result["diff"] = dict(before=current, after=after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=nexus_api.argument_spec(
            user_id=dict(type="str", required=True),
            user_password=dict(type="str", no_log=True),
            update_password=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
            first_name=dict(type="str"),
            last_name=dict(type="str"),
            email=dict(type="str"),
            status=dict(type="str", choices=["active", "disabled", "changepassword", "locked"]),
            roles=dict(type="list", elements="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    nexus_api.exit_with(module, run)


if __name__ == "__main__":
    main()
