# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's no_proxy list, and what a usable no_proxy entry is.

Invalid values are skipped here: the validation (cluster_rules_proxy) reports them.
"""

from __future__ import annotations

from typing import Any

from .cluster_formats import is_domain, netaddr, parse_cidr, parse_ipv4, require_netaddr
from .cluster_view import ClusterView


def no_proxy_entry_problem(entry: str) -> str:
    """Why a no_proxy entry is not usable, or '' when it is."""
    if not entry or any(c.isspace() for c in entry) or "," in entry:
        return "one entry per list item, without spaces or commas"
    if entry == "*":
        return "'*' turns the proxy off for every host"
    if _classify(entry) is None:
        return "is not a host name, .domain, IPv4 address or CIDR"
    return ""


def _classify(entry: str) -> tuple[str, Any] | None:
    """('ip'|'cidr'|'domain'|'host', normalised value) or None when not usable."""
    if "/" in entry:
        network, _problem = parse_cidr(entry)
        if network is None:  # IPv6, or an IPv4 network written with host bits
            address_text, _sep, prefix = entry.partition("/")
            try:
                address = netaddr.IPAddress(address_text, flags=netaddr.INET_PTON)
            except (netaddr.AddrFormatError, ValueError, TypeError):
                return None
            if not prefix.isdigit() or int(prefix) > (32 if address.version == 4 else 128):
                return None
            network = netaddr.IPNetwork("%s/%d" % (address, int(prefix))).cidr
        if network.size == 1:
            return ("ip", network.ip)
        return ("cidr", network.cidr)
    address = parse_ipv4(entry)
    if address is None:
        try:
            address = netaddr.IPAddress(entry, flags=netaddr.INET_PTON)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            address = None
    if address is not None:
        return ("ip", address)
    text = entry.lower()
    if text.startswith("*."):
        text = text[1:]
    if text.startswith("."):
        return ("domain", text) if is_domain(text[1:]) else None
    return ("host", text) if is_domain(text) else None


def no_proxy(model: Any, extra: Any = None, compact: bool = False) -> list[str]:
    """The no_proxy list of the cluster, merged and de-duplicated.

    Contains localhost, every node's address, short name and FQDN, the node
    subnet, the service and pod CIDRs, ``.svc`` and the cluster DNS domain,
    the API endpoint (address and FQDN), and ``cluster_no_proxy_extra`` plus
    ``extra``. CIDRs are merged with netaddr. Addresses and names covered by a
    CIDR or ``.domain`` entry are kept unless ``compact`` is true, because
    older tools (curl before 7.86, wget, Python's urllib, Java) ignore CIDRs.
    Invalid values are skipped here: :func:`validate` reports them.
    """
    require_netaddr()
    view = ClusterView(model)
    try:
        view.collect_cluster_values()
    except Exception:  # an unusable model yields the fixed entries only
        pass
    cluster = view.cluster
    domain = cluster.get("cluster_domain")
    dns_domain = cluster.get("cluster_dns_domain")
    entries: list = ["localhost", "127.0.0.1", "::1"]
    for host in view.nodes:
        values = view.hostvars.get(host, {})
        if isinstance(values.get("node_ip"), str):
            entries.append(values["node_ip"])
        entries.append(host)
        if isinstance(domain, str) and is_domain(domain):
            entries.append("%s.%s" % (host, domain))
    for name in ("cluster_subnet", "cluster_service_cidr", "cluster_pod_cidr", "cluster_api_address", "cluster_api_fqdn"):
        if isinstance(cluster.get(name), str):
            entries.append(cluster[name])
    entries.append(".svc")
    if isinstance(dns_domain, str) and is_domain(dns_domain):
        entries.append("." + dns_domain)
    for more in (cluster.get("cluster_no_proxy_extra"), extra):
        if isinstance(more, str):
            more = more.split(",")
        if isinstance(more, (list, tuple)):
            entries.extend(str(item).strip() for item in more if isinstance(item, (str, int)))
    return merge_no_proxy(entries, compact=compact)


def merge_no_proxy(entries: Any, compact: bool = False) -> list[str]:
    """Normalise, merge (netaddr.cidr_merge) and de-duplicate no_proxy entries.

    Order: names first (localhost, hosts, .domains, in order of appearance),
    then addresses and CIDRs sorted numerically.
    """
    names: list = []
    addresses: list = []
    networks: list = []
    for entry in entries if isinstance(entries, (list, tuple)) else []:
        if not isinstance(entry, str) or not entry or no_proxy_entry_problem(entry):
            continue
        kind, value = _classify(entry)
        if kind == "ip":
            addresses.append(value)
        elif kind == "cidr":
            networks.append(value)
        elif value not in names:
            names.append(value)
    merged = netaddr.cidr_merge(networks)
    if compact:
        domains = [n for n in names if n.startswith(".")]
        names = [n for n in names if n.startswith(".") or not any(n.endswith(d) for d in domains)]
        addresses = [a for a in addresses if not any(a in net for net in merged if net.version == a.version)]
    unique_addresses = sorted(set(addresses), key=lambda a: (a.version, int(a)))
    return names + [str(a) for a in unique_addresses] + [str(n) for n in sorted(merged, key=lambda n: (n.version, n.first, n.prefixlen))]
