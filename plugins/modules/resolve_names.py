#!/usr/bin/python
# -*- coding: utf-8 -*-
# Resolves names with the node's own resolver (nsswitch: /etc/hosts, then DNS),
# one lookup per name so a canonical name or CNAME never hides which query it
# answered (getent prints the canonical name, not the one asked for).

from __future__ import annotations

DOCUMENTATION = r"""
---
module: resolve_names
short_description: Resolve host names to IPv4 addresses on the target node
description:
  - Looks up each name with the node's resolver (C(getaddrinfo), the same path as
    every program on the node) and returns the IPv4 addresses found, or null.
  - Read-only; runs in check mode.
options:
  names:
    description: Names to resolve.
    type: list
    elements: str
    required: true
author:
  - ML platform team
"""

EXAMPLES = r"""
- name: Resolve every node FQDN
  resolve_names:
    names: [cp1.lab.example.com, worker1.lab.example.com]
  register: __preflight_resolved
"""

RETURN = r"""
addresses:
  description: name -> sorted list of IPv4 addresses, or null when the name does not resolve.
  returned: always
  type: dict
  sample: {"cp1.lab.example.com": ["10.20.0.11"], "typo.lab.example.com": null}
"""

import socket

from ansible.module_utils.basic import AnsibleModule


def resolve(name):
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    return sorted({info[4][0] for info in infos})


def main():
    module = AnsibleModule(argument_spec={"names": {"type": "list", "elements": "str", "required": True}},
                           supports_check_mode=True)
    module.exit_json(changed=False, addresses={name: resolve(name) for name in module.params["names"]})


if __name__ == "__main__":
    main()
