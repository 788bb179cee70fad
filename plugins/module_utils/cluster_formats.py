# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How values of the description must be written: formats and strict parsers.

One place for each format (a host name label, a MAC, a PCI location path, a
version): the rules and the VM plan use these, never a regex of their own.
The parsers return None (or the reason) when the text is not what it should be.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from .cluster_values import type_name

# netaddr is on the controller (requirements.txt), the only place these run;
# ansible-test sanity imports every plugin with ansible-core's libraries only.
try:
    import netaddr
except ImportError:
    netaddr = None


def require_netaddr() -> None:
    """Say what is missing rather than fail on None later."""
    if netaddr is None:
        raise ImportError("the cluster description's checks need the netaddr library on the controller: "
                          "run `make venv` (requirements.txt)")


LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
LABEL_ANYCASE_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
DISK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
VOLUME_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
LOCATION_PATH_RE = re.compile(r"^PCIROOT\([0-9A-F]{1,4}\)(#PCI\([0-9A-F]{4}\)){1,8}$")
MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
SEMVER_RE = re.compile(r"^\d+\.\d+\.\d+$")
TAG_RE = re.compile(r"^v\d+\.\d+\.\d+$")
COMPONENT_VERSION_RE = re.compile(r"^v?\d+(\.\d+)*([-+][0-9A-Za-z.-]+)?$")


def parse_ipv4(text: Any) -> netaddr.IPAddress | None:
    """A strictly written IPv4 address (no prefix, no leading zeros, no spaces)."""
    require_netaddr()
    if not isinstance(text, str):
        return None
    try:
        address = netaddr.IPAddress(text, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    return address if address.version == 4 else None


def parse_cidr(text: Any) -> tuple[netaddr.IPNetwork | None, str]:
    """A strictly written IPv4 network 'a.b.c.d/n'. Returns (network, why-not)."""
    require_netaddr()
    if not isinstance(text, str):
        return None, "must be a string such as '10.0.0.0/24', got %s" % type_name(text)
    address_text, slash, prefix_text = text.partition("/")
    if not slash:
        return None, "is not in CIDR notation (address/prefix)"
    address = parse_ipv4(address_text)
    if address is None or not re.match(r"^\d{1,2}$", prefix_text) or int(prefix_text) > 32:
        return None, "is not an IPv4 network in CIDR notation (address/prefix, prefix 0-32)"
    network = netaddr.IPNetwork("%s/%s" % (address, int(prefix_text)))
    if network.ip != network.network:
        return None, "has host bits set: the network address of this prefix is %s" % network.cidr
    return network, ""


def is_domain(text: Any) -> bool:
    """A DNS name made of RFC 1123 labels (case-insensitive, no trailing dot).

    The last label is never all digits, so '10.0.0.300' is not a name.
    """
    if not isinstance(text, str) or not text or len(text) > 253:
        return False
    labels = text.split(".")
    return all(LABEL_ANYCASE_RE.match(label) for label in labels) and not labels[-1].isdigit()


def is_host(text: Any) -> bool:
    return parse_ipv4(text) is not None or is_domain(text)


def closest(word: str, choices: Any, cutoff: float = 0.75) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def usable_range(network: netaddr.IPNetwork) -> str:
    if network.prefixlen >= 31:
        return "%s-%s" % (network[0], network[-1])
    return "%s-%s" % (network[1], network[-2])


def cidr_fix(text: Any, example: str) -> str:
    """The fix for a CIDR that parse_cidr rejected."""
    if isinstance(text, str) and "/" in text:
        address, _sep, prefix = text.partition("/")
        if parse_ipv4(address) is not None and re.match(r"^\d{1,2}$", prefix) and int(prefix) <= 32:
            return "write %s" % netaddr.IPNetwork("%s/%s" % (address, int(prefix))).cidr
    return "write it as address/prefix, e.g. %s" % example
