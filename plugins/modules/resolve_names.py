#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Asks the site's DNS servers for each name, over the wire, never through the
# node's resolver: node prep writes every node to /etc/hosts, which
# getaddrinfo reads first, so a stale DNS record would hide behind it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: resolve_names
short_description: Ask DNS servers for host names' IPv4 addresses, from the target node
description:
  - Sends an A query for each name to each server in O(servers), from the node (so the
    node's path to its DNS servers is tested too), follows CNAMEs, and returns the IPv4
    addresses every server gave, merged, or null when no server has a record.
  - /etc/hosts and nsswitch are not consulted.
  - Fails, naming the server, when a server does not answer or answers with an error
    (SERVFAIL, REFUSED).
  - Read-only; runs in check mode.
options:
  names:
    description: Fully qualified names to resolve (no search domains are applied).
    type: list
    elements: str
    required: true
  servers:
    description: IPv4 addresses of the DNS servers to ask (the nodes' configured servers).
    type: list
    elements: str
    required: true
  port:
    description: The servers' port.
    type: int
    default: 53
  timeout:
    description: Seconds to wait for each answer (each query is tried twice).
    type: float
    default: 2.0
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Resolve every node FQDN with the site's DNS servers
  mlplatform.installer.resolve_names:
    names: [cp1.lab.example.com, worker1.lab.example.com]
    servers: "{{ cluster_dns_servers }}"
  register: __preflight_resolved
"""

RETURN = r"""
addresses:
  description: name -> sorted list of IPv4 addresses (all servers' answers merged), or null when no server has one.
  returned: always
  type: dict
  sample: {"cp1.lab.example.com": ["10.20.0.11"], "typo.lab.example.com": null}
by_server:
  description: server -> name -> sorted list of IPv4 addresses ([] when that server has no record).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils.dns_query import DnsError, query_a


def main():
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "servers": {"type": "list", "elements": "str", "required": True},
            "port": {"type": "int", "default": 53},
            "timeout": {"type": "float", "default": 2.0},
        },
        supports_check_mode=True)
    names, servers = module.params["names"], module.params["servers"]
    if not servers:
        module.fail_json(msg="servers is empty: give the DNS servers to ask (cluster_dns_servers)")
    by_server, errors = {}, []
    for server in servers:
        answers = by_server.setdefault(server, {})
        for name in names:
            try:
                answers[name] = query_a(name, server, module.params["port"], module.params["timeout"])
            except (DnsError, ValueError) as err:
                errors.append("DNS server %s, query for %s: %s" % (server, name, err))
    if errors:
        module.fail_json(msg="; ".join(errors), by_server=by_server)
    addresses = {}
    for name in names:
        found = sorted({ip for server in servers for ip in by_server[server][name]})
        addresses[name] = found or None
    module.exit_json(changed=False, addresses=addresses, by_server=by_server)


if __name__ == "__main__":
    main()
