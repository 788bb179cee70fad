#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: the client and the diff helpers are in plugins/module_utils/nexus_api.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nexus_blobstore
short_description: A Nexus file blob store over the REST API v1
description:
  - GETs C(/service/rest/v1/blobstores/file/<name>) and creates (POST) or updates (PUT, the whole
    configuration) the blob store only when its path or soft quota differs. Deleting refuses nothing
    itself; Nexus refuses to delete a blob store that repositories use, and its answer is quoted.
  - Check mode and diff mode report the change without sending it.
extends_documentation_fragment:
  - mlplatform.installer.nexus
options:
  name:
    description: Blob store name.
    type: str
    required: true
  path:
    description:
      - Directory of the blobs, absolute or relative to Nexus's data directory's C(blobs/). Required by Nexus
        when the blob store is created; it cannot move an existing store's blobs, so a changed path is refused.
    type: str
  soft_quota:
    description:
      - C({type, limit}) as the REST API takes it (C(type) spaceRemainingQuota or spaceUsedQuota, C(limit) in bytes),
        or omitted to leave it as it is. An empty mapping removes the quota.
    type: dict
  state:
    description: Present or absent.
    type: str
    default: present
    choices: [present, absent]
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: A blob store on the Nexus data disk for the apt proxies
  mlplatform.installer.nexus_blobstore:
    password: "{{ nexus_admin_password }}"
    name: apt
    path: /srv/nexus/blobs/apt
    soft_quota: {type: spaceRemainingQuota, limit: 10737418240}
  no_log: true
"""

RETURN = r"""
blobstore:
  description: The blob store's configuration after the run (path, softQuota).
  returned: when state is present
  type: dict
changed_keys:
  description: Keys that differed.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api


def wanted_config(params):
    wanted = {}
    if params["path"] is not None:
        wanted["path"] = params["path"]
    if params["soft_quota"] is not None:
        wanted["softQuota"] = params["soft_quota"] or None
    return wanted


def run(module, api):
    p = module.params
    name = p["name"]
    path = "/v1/blobstores/file/" + name
    status, current = api.call("GET", path, expect=(200, 404))
    current = current if status == 200 else None
    result = dict(changed=False, changed_keys=[])
    if p["state"] == "absent":
        if current is not None:
            result.update(changed=True, diff=dict(before=current, after={}))
            if not module.check_mode:
                api.call("DELETE", "/v1/blobstores/" + name)
        return result
    wanted = wanted_config(p)
    if current is None:
        if "path" not in wanted:
            module.fail_json(msg="blob store %s does not exist: give path to create it (Nexus requires one)" % name)
        body, changes, method, target = dict(wanted, name=name), sorted(wanted), "POST", "/v1/blobstores/file"
        before = {}
    else:
        if "path" in wanted and wanted["path"] != current.get("path"):
            module.fail_json(msg="blob store %s is at %s, not %s: Nexus cannot move a blob store's blobs; keep the "
                             "path or create a new blob store" % (name, current.get("path"), wanted["path"]))
        body = nexus_api.merge(current, wanted)
        if "softQuota" in wanted:
            body["softQuota"] = wanted["softQuota"]
        changes = nexus_api.changed_keys(current, body)
        method, target, before = "PUT", path, current
    result["changed_keys"] = changes
    after = body
    if changes:
        result.update(changed=True, request="%s %s" % (method, target))
        if not module.check_mode:
            api.call(method, target, body)
            _status, after = api.call("GET", path)
    result["blobstore"] = after
    if module._diff and changes:
        result["diff"] = dict(before=before, after=after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=nexus_api.argument_spec(
            name=dict(type="str", required=True),
            path=dict(type="str"),
            soft_quota=dict(type="dict"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    nexus_api.exit_with(module, run)


if __name__ == "__main__":
    main()
