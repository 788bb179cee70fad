# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on the way out: proxy URLs, no_proxy additions, the corporate CA bundle.

Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from . import proxy_url
from .cluster_formats import is_host
from .cluster_values import MISSING, show, type_name
from .no_proxy import no_proxy_entry_problem
from .pem import ca_bundle_problems


class ProxyRules:
    """cluster_http(s)_proxy, cluster_no_proxy_extra and cluster_ca_bundle."""

    def _check_proxy(self) -> None:
        urls = {}
        for name in ("cluster_http_proxy", "cluster_https_proxy"):
            value = self.var("all", self.cluster, name, hint="define %s in group_vars/all; write \"\" when the "
                             "nodes reach the internet without a proxy" % name)
            if value is MISSING:
                continue
            if not isinstance(value, str):
                self.add("all", name, value, "must be a URL string, got %s" % type_name(value),
                         "write \"\" for no proxy or a URL such as http://proxy.example.com:3128")
                continue
            urls[name] = value
            if value:
                # Credentials first, and only the masked URL in any message: it is printed and logged.
                problem, fix = proxy_url.credentials_problem(value)
                if problem:
                    self.add("all", name, proxy_url.masked(value), problem, fix)
                    continue
                problem = proxy_url_problem(value)
                if problem:
                    self.add("all", name, proxy_url.masked(value), problem,
                             "write the proxy as http://host:port, e.g. http://proxy.example.com:3128")
        http, https = urls.get("cluster_http_proxy"), urls.get("cluster_https_proxy")
        if http is not None and https is not None and bool(http) != bool(https):
            empty = "cluster_https_proxy" if http else "cluster_http_proxy"
            self.add("all", empty, "", "is empty while the other proxy variable is set, so half of the downloads bypass the proxy",
                     "set both (usually to the same URL) or neither")
        extra = self.var("all", self.cluster, "cluster_no_proxy_extra", hint="define cluster_no_proxy_extra in "
                         "group_vars/all; write [] when nothing needs adding")
        if extra is MISSING:
            return
        items = self.string_list("all", "cluster_no_proxy_extra", extra, ".example.com")
        for item in items or []:
            problem = no_proxy_entry_problem(item)
            if problem:
                self.add("all", "cluster_no_proxy_extra", item, problem,
                         "write one host, domain (.example.com), IPv4 address or CIDR per list entry")

    def _check_ca_bundle(self) -> None:
        value = self.var("all", self.cluster, "cluster_ca_bundle", hint="define cluster_ca_bundle in group_vars/all; "
                         "write \"\" when no corporate CA is needed")
        if value is MISSING:
            return
        if not isinstance(value, str):
            self.add("all", "cluster_ca_bundle", value, "must be a path string, got %s" % type_name(value),
                     "write \"\" or a path relative to the inventory directory")
            return
        if not value:
            return
        path = value if os.path.isabs(value) else os.path.join(self.inventory_dir or os.getcwd(), value)
        for problem, fix in ca_bundle_problems(path):
            self.add("all", "cluster_ca_bundle", value, problem, fix)

    # -- per node ----------------------------------------------------------


def proxy_url_problem(url: str) -> str:
    """Why a proxy URL would not work, or '' when it parses."""
    if url != url.strip() or any(c.isspace() for c in url):
        return "contains spaces"
    if "://" not in url:
        return "has no scheme (http://)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return "does not parse as a URL (%s)" % exc
    if parts.scheme not in ("http", "https"):
        return "scheme %s is not supported by apt, containerd and curl alike; use http" % show(parts.scheme)
    if not parts.hostname or not is_host(parts.hostname):
        return "has no valid proxy host name"
    if port is None and parts.netloc.endswith(":"):
        return "has an empty port"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must not have a path, query or fragment"
    return ""
