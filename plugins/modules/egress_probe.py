#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runner only: what an answer means (the origin's, the proxy's refusal, a
# TLS-intercepting proxy's block page) is judged on the controller by
# plugins/module_utils/egress.py, which plain pytest covers with answers
# captured from real proxies.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: egress_probe
short_description: Fetch URLs through the node's proxy and return each answer's status, headers and first bytes
description:
  - Sends one GET per URL from the target node, in parallel, through the proxy given by
    O(http_proxy)/O(https_proxy)/O(no_proxy) (credentials in the proxy URL, percent-encoded, are
    used for Basic proxy authentication), each bounded by O(timeout). The proxy comes as module
    arguments, never through the task's C(environment), which Ansible prints at -vvv and puts on
    the node's command line.
  - Redirects are not followed, so the answer is the first one - the origin's, or the proxy's.
  - Returns, per URL, the status, the response headers, the first O(max_body) bytes of the body, the
    status of a refused CONNECT tunnel, or the error that left no answer at all. It judges nothing,
    but for whether to keep the probe (O(figures_dir)).
  - Read-only, but for the record of a passing probe (O(figures_dir)); runs in check mode too (then it
    writes nothing).
options:
  urls:
    description: URLs to fetch (http or https).
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds each request may take, connection included.
    type: int
    default: 10
  max_body:
    description: Bytes of each body kept (enough for a proxy's error page title and signature).
    type: int
    default: 4096
  http_proxy:
    description: Proxy URL for http:// URLs; empty for none. May hold credentials (never logged).
    type: str
    default: ""
  https_proxy:
    description: Proxy URL for https:// URLs; empty for none. May hold credentials (never logged).
    type: str
    default: ""
  no_proxy:
    description: Comma-separated hosts and domains reached directly.
    type: str
    default: ""
  figures_dir:
    description:
      - Directory on the node where a probe in which every endpoint was open is kept (C(egress.json),
        mode 0600), for M(mlplatform.installer.preflight_kept) to reuse on a later run. A probe with any
        blocked endpoint removes the kept one, so a failed result is never reused. Unset keeps nothing.
      - Needs O(key) and O(expect). Nothing is written in check mode.
    type: path
  key:
    description: Digest of what the probe depends on (URLs, expectations, proxy settings), stored with it.
    type: str
    default: ""
  expect:
    description: What each URL's origin answers (plugins/module_utils/egress.py), to tell whether every endpoint was open.
    type: dict
    default: {}
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Probe the release bundle's endpoints through the proxy
  mlplatform.installer.egress_probe:
    urls: [https://dl.k8s.io/release/stable.txt, http://deb.debian.org/debian/]
    timeout: 10
    http_proxy: http://proxy.lab.example.com:3128
    https_proxy: http://proxy.lab.example.com:3128
  register: __preflight_egress
"""

RETURN = r"""
results:
  description: One entry per URL, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL fetched.
      type: str
    status:
      description: HTTP status of the answer; 0 when there was none.
      type: int
    headers:
      description: Response headers, names lower-cased (a repeated header's values joined with a comma).
      type: dict
    body:
      description: First max_body bytes of the body, decoded as UTF-8 with replacement.
      type: str
    connect_status:
      description: Status with which the proxy refused a CONNECT tunnel; 0 otherwise.
      type: int
    error:
      description: Why there was no answer (timeout, refused, TLS, proxy tunnel).
      type: str
    via_proxy:
      description: Whether the environment routed this URL through a proxy.
      type: bool
"""

import os
import re
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils import egress

# http.client's own wording for a refused CONNECT (Python 3.6 to 3.13).
_TUNNEL_RE = re.compile(r"Tunnel connection failed: (\d{3})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _headers(message):
    merged = {}
    for name, value in message.items():
        key = name.lower()
        merged[key] = "%s, %s" % (merged[key], value) if key in merged else value
    return merged


def _probe(url, timeout, max_body, proxies, no_proxy):
    scheme = url.split(":", 1)[0].lower()
    host = urllib.request.urlparse(url).hostname or ""
    bypass = bool(no_proxy) and urllib.request.proxy_bypass_environment(host, {"no": no_proxy})
    via_proxy = scheme in proxies and not bypass
    record = {"url": url, "status": 0, "headers": {}, "body": "", "connect_status": 0, "error": "",
              "via_proxy": bool(via_proxy)}
    # Only the proxies given: the node's own environment does not count.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({scheme: proxies[scheme]} if via_proxy else {}), _NoRedirect())
    request = urllib.request.Request(url, headers={"User-Agent": "mlp-preflight/1", "Accept": "*/*"})
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        # 3xx (not followed), 4xx and 5xx answers: still answers, judged later.
        response = exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = str(reason)
        match = _TUNNEL_RE.search(text)
        if match:
            record["connect_status"] = int(match.group(1))
        if isinstance(reason, ssl.SSLError):
            text = "TLS: %s" % text
        record["error"] = text
        return record
    except (socket.timeout, TimeoutError):
        record["error"] = "timed out after %d s" % timeout
        return record
    except (OSError, ValueError) as exc:
        record["error"] = str(exc)
        return record
    try:
        record["status"] = int(response.status if hasattr(response, "status") else response.code)
        record["headers"] = _headers(response.headers)
        try:
            record["body"] = response.read(max_body).decode("utf-8", "replace")
        except (OSError, ValueError) as exc:
            record["error"] = "answer cut short: %s" % exc
    finally:
        response.close()
    return record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            urls=dict(type="list", elements="str", required=True),
            timeout=dict(type="int", default=10),
            max_body=dict(type="int", default=4096),
            http_proxy=dict(type="str", default="", no_log=True),
            https_proxy=dict(type="str", default="", no_log=True),
            no_proxy=dict(type="str", default=""),
            figures_dir=dict(type="path"),
            key=dict(type="str", default="", no_log=False),
            expect=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    urls = module.params["urls"]
    timeout = module.params["timeout"]
    if timeout < 1:
        module.fail_json(msg="timeout must be at least 1 second")
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
    if bad:
        module.fail_json(msg="only http:// and https:// URLs can be probed: %s" % ", ".join(bad))
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(urls)))) as pool:
        proxies = {scheme: module.params[scheme + "_proxy"] for scheme in ("http", "https")
                   if module.params[scheme + "_proxy"]}
        results = list(pool.map(lambda u: _probe(u, timeout, module.params["max_body"], proxies,
                                                 module.params["no_proxy"]), urls))
    if module.params["figures_dir"] and module.params["key"] and not module.check_mode:
        _keep(module, results)
    module.exit_json(changed=False, results=results)


def _keep(module, results):
    """Keep a passing probe (atomically, 0600), or drop the kept one: a failed probe is never reused."""
    path = os.path.join(module.params["figures_dir"], egress.KEPT_NAME)
    try:
        if not egress.all_open(results, module.params["expect"]):
            if os.path.exists(path):
                os.remove(path)
            return
        os.makedirs(module.params["figures_dir"], mode=0o700, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=module.params["figures_dir"], prefix=".egress-")
        with os.fdopen(handle, "w") as out:
            out.write(egress.kept_record(module.params["key"], time.time(), results))
        os.replace(temp, path)
    except OSError as exc:
        module.warn("could not keep the egress probe in %s: %s (the next run probes again)" % (path, exc))


if __name__ == "__main__":
    main()
