# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over proxy URLs that may carry user:password.

Thin wrappers: the logic lives in plugins/module_utils/proxy_url.py.

``proxy_url_public``
    ``url | proxy_url_public`` is the URL without user:password: what
    world-readable files (/etc/environment, the cloud-init seed) may carry.
``proxy_url_masked``
    ``url | proxy_url_masked`` is the URL with the password as ``****``: what
    a message may show.
``proxy_url_has_credentials``
    ``url | proxy_url_has_credentials`` is true when the URL names a user.
``proxy_url_problem``
    ``url | proxy_url_problem`` is '' or why the user:password must be
    percent-encoded first, with the fix; it never quotes the password.
"""

from __future__ import annotations

from ansible_collections.mlplatform.installer.plugins.module_utils import proxy_url


def proxy_url_problem(url):
    """'' or 'problem. Fix: fix' for a user:password that is not percent-encoded."""
    problem, fix = proxy_url.credentials_problem(url)
    return "%s. Fix: %s" % (problem, fix) if problem else ""


class FilterModule:
    """Proxy URL filters."""

    def filters(self):
        return {
            "proxy_url_public": proxy_url.public,
            "proxy_url_masked": proxy_url.masked,
            "proxy_url_has_credentials": proxy_url.has_credentials,
            "proxy_url_problem": proxy_url_problem,
        }
