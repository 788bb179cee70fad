#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: the client and the diff helpers are in plugins/module_utils/nexus_api.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nexus_settings
short_description: Nexus's own outbound HTTP proxy, anonymous access and the Community Edition EULA over the REST API v1
description:
  - Each setting given is read first and written only when it differs; a setting left out is not touched.
  - O(http) is merged over C(GET /service/rest/v1/http) and the whole result PUT (the outbound proxy Nexus uses
    to reach its proxy repositories' remotes). The proxies' passwords (C(httpProxy.authInfo.password),
    C(httpsProxy.authInfo.password)) are sent, never compared. A Nexus without that endpoint (the open-source
    3.71 base assembly answers 404) fails with that answer, naming the endpoint.
  - O(anonymous) turns anonymous access on or off (C(/v1/security/anonymous)).
  - O(eula_accepted=true) accepts the Community Edition EULA (C(POST /v1/system/eula) with the disclaimer exactly
    as GET answered it, C(accepted) true); only the inventory's decision may set it. A Nexus without the endpoint
    (editions before 3.77, the base assembly) needs no acceptance and reports ok with C(eula=not required).
    O(eula_accepted=false) never withdraws an acceptance; it only reports the state.
  - Check mode and diff mode report the change without sending it.
extends_documentation_fragment:
  - mlplatform.installer.nexus
options:
  http:
    description:
      - The body of C(PUT /v1/http) or the part of it to change (C(httpProxy), C(httpsProxy), C(nonProxyHosts),
        C(userAgent), C(timeout), C(retries)).
    type: dict
  anonymous:
    description: Anonymous access on (true) or off (false).
    type: bool
  eula_accepted:
    description: Accept the Community Edition EULA (true); false reports its state without changing it.
    type: bool
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Anonymous access off, the EULA accepted as the description says, Nexus's remotes through the proxy
  mlplatform.installer.nexus_settings:
    password: "{{ nexus_admin_password }}"
    anonymous: false
    eula_accepted: "{{ cluster_nexus.accept_eula | default(false) }}"
    http:
      httpProxy: {enabled: true, host: proxy.example.com, port: 3128}
      httpsProxy: {enabled: true, host: proxy.example.com, port: 3128}
      nonProxyHosts: [localhost, "*.example.com"]
  no_log: true
"""

RETURN = r"""
changed_keys:
  description: Settings that differed (C(anonymous), C(eula), C(http.<key>)).
  returned: always
  type: list
  elements: str
requests:
  description: The requests that made the changes (method and path), or that check mode would send.
  returned: when changed
  type: list
  elements: str
eula:
  description: accepted, not accepted, or not required (the endpoint does not exist on this Nexus).
  returned: when eula_accepted is given
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api

HTTP_SECRETS = (("httpProxy", "authInfo", "password"), ("httpsProxy", "authInfo", "password"))


def run(module, api):
    p = module.params
    module.no_log_values.update(nexus_api.secret_values(p["http"] or {}, HTTP_SECRETS))
    result = dict(changed=False, changed_keys=[])
    before, after, requests = {}, {}, []

    if p["anonymous"] is not None:
        _status, current = api.call("GET", "/v1/security/anonymous")
        if bool(current.get("enabled")) != p["anonymous"]:
            body = dict(current, enabled=p["anonymous"])
            requests.append(("PUT", "/v1/security/anonymous", body, "application/json"))
            result["changed_keys"].append("anonymous")
            before["anonymous"], after["anonymous"] = current.get("enabled"), p["anonymous"]

    if p["eula_accepted"] is not None:
        status, current = api.call("GET", "/v1/system/eula", expect=(200, 404))
        if status == 404:
            result["eula"] = "not required"
        elif current.get("accepted"):
            result["eula"] = "accepted"
        elif p["eula_accepted"]:
            requests.append(("POST", "/v1/system/eula", nexus_api.eula_body(current), "application/json"))
            result["changed_keys"].append("eula")
            result["eula"] = "accepted"
            before["eula"], after["eula"] = False, True
        else:
            result["eula"] = "not accepted"

    if p["http"] is not None:
        hint = ("this Nexus has no REST endpoint for its HTTP settings: set the outbound proxy under System > HTTP "
                "in its UI, or run a version that has /v1/http")
        _status, current = api.call("GET", "/v1/http", hint=hint)
        body, changes = nexus_api.plan_update(current or {}, p["http"], HTTP_SECRETS)
        if changes:
            requests.append(("PUT", "/v1/http", body, "application/json"))
            result["changed_keys"].extend("http." + k for k in changes)
            before["http"] = nexus_api.masked(current or {}, HTTP_SECRETS)
            after["http"] = nexus_api.masked(body, HTTP_SECRETS)

    if requests:
        result.update(changed=True, requests=["%s %s" % (m, path) for m, path, _body, _type in requests])
        if module._diff:
            result["diff"] = dict(before=before, after=after)
        if not module.check_mode:
            for method, path, body, content_type in requests:
                api.call(method, path, body, content_type=content_type)
    return result


def main():
    module = AnsibleModule(
        argument_spec=nexus_api.argument_spec(
            http=dict(type="dict"),
            anonymous=dict(type="bool"),
            eula_accepted=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    nexus_api.exit_with(module, run)


if __name__ == "__main__":
    main()
