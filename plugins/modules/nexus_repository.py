#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: paths, merge, diff and the API's pitfalls are in
# plugins/module_utils/nexus_api.py (plain pytest with real captured answers).

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nexus_repository
short_description: A Nexus repository (docker, apt, raw, helm, pypi, maven; proxy, hosted, group) over the REST API v1
description:
  - GETs the repository's configuration from C(/service/rest/v1/repositories/<format>/<type>/<name>), merges
    O(config) into it and PUTs the whole merged configuration only when a key differs (PUT replaces the whole
    configuration in Nexus). A missing repository is created with a POST of O(config).
  - O(config) is the REST API v1 body of C(POST /v1/repositories/<format>/<type>) (the shape
    C(plugins/module_utils/nexus_layout.py) generates), C(name) excluded. What GET answers as
    C(routingRuleName) is sent as C(routingRule).
  - Secrets in O(config) (C(httpClient.authentication.password), C(aptSigning.keypair) and C(aptSigning.passphrase))
    are sent with every create and update but never compared, since Nexus does not return them; to rotate one,
    change another key too or delete the repository.
  - A name that exists with another format or type is refused, naming both (Nexus would answer "Duplicate key").
  - docker repositories get C(docker.forceBasicAuth) true and C(docker.v1Enabled) false when O(config) leaves
    them out (Nexus's own defaults, made explicit so a second run compares equal). With C(forceBasicAuth) false
    the module warns when the C(DockerToken) realm is not active (token pulls need it).
  - Check mode and diff mode report the change without sending it.
extends_documentation_fragment:
  - mlplatform.installer.nexus
options:
  name:
    description: Repository name.
    type: str
    required: true
  format:
    description: Repository format (the path segment of the REST API; maven is listed as maven2 elsewhere).
    type: str
    required: true
    choices: [docker, apt, raw, helm, pypi, maven]
  type:
    description: Repository type.
    type: str
    required: true
    choices: [proxy, hosted, group]
  config:
    description: The REST API v1 body (C(online), C(storage), C(proxy), C(group), C(apt), C(docker), ...).
    type: dict
    default: {}
  state:
    description: Present (created or updated) or absent (deleted, with its content).
    type: str
    default: present
    choices: [present, absent]
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: A raw repository laid out as Kubespray's files_repo
  mlplatform.installer.nexus_repository:
    password: "{{ nexus_admin_password }}"
    name: files
    format: raw
    type: hosted
    config:
      online: true
      storage: {blobStoreName: default, strictContentTypeValidation: false, writePolicy: ALLOW_ONCE}
  no_log: true

- name: Every repository the bundle needs
  mlplatform.installer.nexus_repository:
    password: "{{ nexus_admin_password }}"
    name: "{{ item.name }}"
    format: "{{ item.format }}"
    type: "{{ item.type }}"
    config: "{{ item.payload }}"
  loop: "{{ nexus_repositories }}"
  loop_control:
    label: "{{ item.format }}/{{ item.type }}/{{ item.name }}"
"""

RETURN = r"""
repository:
  description: The configuration after the run, as GET answers it (secrets masked); the wanted one in check mode.
  returned: when state is present
  type: dict
changed_keys:
  description: Dotted keys that differed (all keys when created).
  returned: always
  type: list
  elements: str
request:
  description: The request that made the change (method and path), or the one check mode would send.
  returned: when changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api


def run(module, api):
    p = module.params
    fmt, rtype, name = p["format"], p["type"], p["name"]
    # Secrets in config: scrubbed from every output, the module's invocation included.
    module.no_log_values.update(nexus_api.secret_values(p["config"]))
    path = nexus_api.repository_path(fmt, rtype, name)
    status, body = api.call("GET", path, expect=(200, 404))
    current = nexus_api.repository_from_get(body) if status == 200 else None
    result = dict(changed=False, changed_keys=[])
    if current is None:
        _status, listing = api.call("GET", "/v1/repositories")
        other = [r for r in listing or [] if isinstance(r, dict) and r.get("name") == name]
        if other and p["state"] == "present":
            module.fail_json(msg="repository %s exists as %s/%s, not %s/%s: delete it or choose another name "
                             "(Nexus would answer 400 Duplicate key)" % (
                                 name, other[0].get("format"), other[0].get("type"), nexus_api.list_format(fmt), rtype))
        if p["state"] == "absent":
            return result
    if p["state"] == "absent":
        request = "DELETE /v1/repositories/%s" % name
        if not module.check_mode:
            api.call("DELETE", "/v1/repositories/" + name)
        result.update(changed=True, request=request,
                      diff=dict(before=nexus_api.masked(current), after={}))
        return result

    wanted = nexus_api.docker_defaults(fmt, dict(p["config"], name=name))
    if current is None:
        body, changes, method, target = wanted, sorted(wanted), "POST", nexus_api.repository_path(fmt, rtype)
        before = {}
    else:
        body, changes = nexus_api.plan_update(current, wanted)
        method, target, before = "PUT", path, current
    result["changed_keys"] = changes
    after = body
    if changes:
        result.update(changed=True, request="%s %s" % (method, target))
        if not module.check_mode:
            try:
                api.call(method, target, body, hint="the body is the REST API v1 shape of %s/%s" % (fmt, rtype))
            except nexus_api.NexusError as err:
                if err.status != 404:
                    raise
                raise nexus_api.NexusError(err.method, err.path, err.status, err.answer, nexus_api.FORMAT_MISSING % fmt)
            _status, fresh = api.call("GET", path)
            after = nexus_api.repository_from_get(fresh)
    result["repository"] = nexus_api.masked(after)
    if module._diff and changes:
        result["diff"] = dict(before=nexus_api.masked(before), after=nexus_api.masked(after))
    realms = None
    if fmt == "docker" and (after.get("docker") or {}).get("forceBasicAuth") is False:
        _status, realms = api.call("GET", "/v1/security/realms/active")
    for warning in nexus_api.docker_warnings(fmt, name, after, realms):
        module.warn(warning)
    return result


def main():
    module = AnsibleModule(
        argument_spec=nexus_api.argument_spec(
            name=dict(type="str", required=True),
            format=dict(type="str", required=True, choices=list(nexus_api.FORMATS)),
            type=dict(type="str", required=True, choices=list(nexus_api.TYPES)),
            config=dict(type="dict", default={}),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    nexus_api.exit_with(module, run)


if __name__ == "__main__":
    main()
