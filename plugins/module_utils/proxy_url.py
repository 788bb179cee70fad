# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credentials in a proxy URL (``http://user:password@host:port``).

Pure functions, no Ansible imports: the inventory validation
(``cluster_model.py``), the filters of ``plugins/filter/proxy_url.py`` (used
by node_proxy and vm_seed) and plain pytest share them.

* :func:`credentials_problem` says why a URL's ``user:password`` must be
  percent-encoded first, without ever quoting the password.
* :func:`masked` is the URL to show in messages: the password as ``****``.
* :func:`public` is the URL without ``user:password``: what world-readable
  files (``/etc/environment``, the cloud-init seed) may carry.

Why every character outside RFC 3986's *unreserved* set must be encoded,
sub-delims (``!$&'()*+,;=``) included, although RFC 3986 allows those raw in
userinfo: the URL lands in shell-sourced files, systemd ``EnvironmentFile=``,
sudo and apt configuration, where ``$``, ``'``, ``;`` and ``&`` mean something.
Encoded, the URL holds only ``A-Z a-z 0-9 - . _ ~ %`` in its credentials,
which every consumer takes literally and decodes (curl, apt, Go's net/url).
``@ : / # ?`` raw cut the URL in the wrong place: curl refuses such URLs
(``http://u:p@ss@host`` is "Could not resolve proxy: ss@host").

The host is what follows the *last* ``@``: a raw password may hold ``@``,
``/`` or ``#``, and its ``user:password`` is everything between ``://`` and
that ``@``. A ``%`` followed by two hex digits is taken as already encoded
(curl reads it the same way).
"""

from __future__ import annotations

import re
import string

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
MASK = "****"
# Shown in messages: encodes without echoing the password on the terminal.
ENCODE_HINT = ("python3 -c 'import getpass, urllib.parse; "
               "print(urllib.parse.quote(getpass.getpass(\"proxy password: \"), safe=\"\"))'")

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def split(url: str) -> tuple[str, str | None, str | None, str]:
    """(scheme://, user, password, host[:port][/...]); user and password None when absent.

    Never raises; a string without ``://`` has no credentials.
    """
    if not isinstance(url, str) or "://" not in url:
        return "", None, None, url if isinstance(url, str) else ""
    scheme, rest = url.split("://", 1)
    if "@" not in rest:
        return scheme + "://", None, None, rest
    userinfo, host = rest.rsplit("@", 1)
    user, colon, password = userinfo.partition(":")
    return scheme + "://", user, (password if colon else None), host


def has_credentials(url: str) -> bool:
    """True when the URL carries a user (and maybe a password)."""
    return split(url)[1] is not None


def is_encoded(part: str) -> bool:
    """True when every character is unreserved or part of a %XX escape."""
    plain = _PERCENT.sub("", part)
    return all(char in UNRESERVED for char in plain)


def encode(part: str) -> str:
    """Percent-encode every character outside the unreserved set; %XX escapes stay."""
    out = []
    index = 0
    while index < len(part):
        if _PERCENT.match(part, index):
            out.append(part[index:index + 3].upper())
            index += 3
            continue
        char = part[index]
        out.append(char if char in UNRESERVED else "".join("%%%02X" % byte for byte in char.encode("utf-8")))
        index += 1
    return "".join(out)


def masked(url: str) -> str:
    """The URL with its password replaced by ****; unchanged when it has none."""
    scheme, user, password, host = split(url)
    if user is None or password is None:
        return url
    return "%s%s:%s@%s" % (scheme, user, MASK, host)


def public(url: str) -> str:
    """The URL without user:password (what world-readable files may carry)."""
    scheme, user, _password, host = split(url)
    return url if user is None else scheme + host


def credentials_problem(url: str) -> tuple[str, str]:
    """(problem, fix) when the URL's user:password is not percent-encoded, else ('', '').

    Neither text holds the password: the fix shows the URL with the user
    encoded and the password as a placeholder, and how to encode it
    without echoing it.
    """
    scheme, user, password, host = split(url)
    if user is None:
        return "", ""
    bad = []
    if not user:
        bad.append("the user name is empty")
    elif not is_encoded(user):
        bad.append("the user name holds characters that must be percent-encoded")
    if password is not None and not is_encoded(password):
        bad.append("the password holds characters that must be percent-encoded")
    if not bad:
        return "", ""
    shown_user = encode(user) or "<user>"
    shown_password = "" if password is None else ":<the password, percent-encoded>"
    problem = ("%s: only A-Z a-z 0-9 - . _ ~ may stand unencoded in a proxy's user:password "
               "(curl refuses such URLs; apt, Go and the shell read them wrongly)" % " and ".join(bad))
    fix = ("write it as %s%s%s@%s (every other character as %%XX: @ %%40, : %%3A, / %%2F, # %%23, %% %%25); "
           "encode the password without echoing it: %s; keep the URL in Ansible Vault"
           % (scheme, shown_user, shown_password, host, ENCODE_HINT))
    return problem, fix


# scheme://user:password@ inside any text; the password runs to the last @ of
# the token (a raw one may hold @ or /), the token ends at a blank or a quote
# ('' is a quote inside a YAML single-quoted value, as show() renders them).
_URL_CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s'\"@/:]*):(?:[^\s'\"]|'')*@")


def mask_in_text(text: str) -> str:
    """Every URL password in a text replaced by ****: a safety net for messages."""
    return _URL_CREDENTIALS.sub(lambda match: match.group(1) + ":" + MASK + "@", text)
