# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the nexus_* modules (plugins/module_utils/nexus_api.py argument_spec)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Nexus's base URL, without C(/service/rest). The modules usually run on the Nexus host itself
        against the loopback listener.
    type: str
    default: http://127.0.0.1:8081
  username:
    description: User the API calls authenticate as (Basic authentication).
    type: str
    default: admin
  password:
    description: That user's password (vault). Never logged, never part of an error message.
    type: str
    required: true
  validate_certs:
    description: Check the server's TLS certificate when O(url) is https.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA that signed Nexus's certificate (the cluster's CA), for https URLs.
    type: path
  timeout:
    description: Seconds each API call may take.
    type: int
    default: 30
  use_proxy:
    description:
      - Send the calls through the proxy of the environment (C(https_proxy) and the like). Off by default, since
        Nexus is reached directly and the node's proxy variables would otherwise apply to it.
    type: bool
    default: false
notes:
  - Errors quote the request (method and path) and Nexus's answer; credentials are never part of them.
"""
