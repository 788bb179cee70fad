# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules on addresses: the node network, Kubernetes ranges, DNS, NTP, the API endpoint.

Methods of :class:`cluster_rules.Validator` (``self.add``, ``self.var``,
``self.expect`` and the parsed values such as ``self.subnet`` are defined
there and in cluster_view.ClusterView); each check adds Defects and never
stops the others.
"""

from __future__ import annotations

import re
from typing import Any

from .cluster_formats import MAC_RE, cidr_fix, is_domain, is_host, netaddr, parse_cidr, parse_ipv4, usable_range
from .cluster_values import MISSING, type_name
from .cluster_vars import DEFAULT_NODE_PREFIX, GROUP_CONTROL_PLANE, GROUP_WORKERS, MAX_DNS_SERVERS


class NetworkRules:
    """Subnet, gateway, service and pod ranges, name resolution, unique addresses, API endpoint."""

    def _check_network(self) -> None:
        subnet_text = self.var("all", self.cluster, "cluster_subnet")
        if subnet_text is not MISSING:
            subnet, why = parse_cidr(subnet_text)
            if subnet is None:
                self.add("all", "cluster_subnet", subnet_text, why, cidr_fix(subnet_text, "10.40.8.0/24"))
            elif subnet.prefixlen > 29:
                self.add("all", "cluster_subnet", subnet_text, "a /%d has too few addresses for a cluster" % subnet.prefixlen,
                         "use the real prefix of the node network (typically /24)")
            else:
                self.subnet = subnet
        gateway_text = self.var("all", self.cluster, "cluster_gateway")
        if gateway_text is not MISSING:
            gateway = self._ipv4("all", "cluster_gateway", gateway_text, "e.g. 10.40.8.1")
            if gateway is not None and self.subnet is not None:
                if gateway not in self.subnet:
                    self.add("all", "cluster_gateway", gateway_text, "is outside cluster_subnet %s" % self.subnet,
                             "use the router address of the node network (inside %s), or correct cluster_subnet"
                             % usable_range(self.subnet))
                elif gateway in (self.subnet.network, self.subnet.broadcast):
                    self.add("all", "cluster_gateway", gateway_text,
                             "is the %s address of cluster_subnet %s" % (
                                 "network" if gateway == self.subnet.network else "broadcast", self.subnet),
                             "use the router address, inside %s" % usable_range(self.subnet))
                else:
                    self.gateway = gateway
            elif gateway is not None:
                self.gateway = gateway

    def _ipv4(self, where: str, name: str, value: Any, example: str) -> netaddr.IPAddress | None:
        if not isinstance(value, str):
            self.add(where, name, value, "must be an IPv4 address string, got %s" % type_name(value),
                     "write the address as a.b.c.d (%s)" % example)
            return None
        if "/" in value:
            address = parse_ipv4(value.split("/")[0])
            if address is not None:
                self.add(where, name, value, "must be a plain address; the prefix comes from cluster_subnet",
                         "write %s" % address)
                return None
        address = parse_ipv4(value)
        if address is None:
            self.add(where, name, value, "is not a valid IPv4 address",
                     "write four numbers 0-255 separated by dots, without leading zeros or spaces (%s)" % example)
        return address

    def _check_cidrs(self) -> None:
        nets = {}
        for name, example in (("cluster_service_cidr", "10.233.0.0/18"), ("cluster_pod_cidr", "10.233.64.0/18")):
            text = self.var("all", self.cluster, name)
            if text is MISSING:
                continue
            network, why = parse_cidr(text)
            if network is None:
                self.add("all", name, text, why, cidr_fix(text, example))
                continue
            nets[name] = network
        service = nets.get("cluster_service_cidr")
        pod = nets.get("cluster_pod_cidr")
        if service is not None:
            if service.prefixlen < 12:
                self.add("all", "cluster_service_cidr", str(service),
                         "kube-apiserver refuses an IPv4 service range larger than /12", "use a /12 to /24, e.g. 10.233.0.0/18")
                service = None
            elif service.prefixlen > 24:
                self.add("all", "cluster_service_cidr", str(service),
                         "is too small for the cluster's services", "use a /12 to /24, e.g. 10.233.0.0/18")
                service = None
        if pod is not None:
            node_prefix = self._node_prefix()
            if node_prefix is not None and pod.prefixlen >= node_prefix:
                self.add("all", "cluster_pod_cidr", str(pod),
                         "must be larger than one node's pod block (/%d, kube_network_node_prefix)" % node_prefix,
                         "use a range such as 10.233.64.0/18")
                pod = None
            elif node_prefix is not None:
                k8s_nodes = set(self._members(GROUP_CONTROL_PLANE)) | set(self._members(GROUP_WORKERS))
                blocks = 2 ** (node_prefix - pod.prefixlen)
                if blocks < len(k8s_nodes):
                    self.add("all", "cluster_pod_cidr", str(pod),
                             "holds %d blocks of /%d but the cluster has %d Kubernetes nodes" % (blocks, node_prefix, len(k8s_nodes)),
                             "use a larger range (smaller prefix)")
        pairs = (
            ("cluster_service_cidr", service, "cluster_subnet", self.subnet),
            ("cluster_pod_cidr", pod, "cluster_subnet", self.subnet),
            ("cluster_pod_cidr", pod, "cluster_service_cidr", service),
        )
        for name, net, other_name, other in pairs:
            if net is not None and other is not None and (net.first <= other.last and other.first <= net.last):
                self.add("all", name, str(net), "overlaps %s %s" % (other_name, other),
                         "choose %s outside %s (Kubespray's defaults are 10.233.0.0/18 for services and "
                         "10.233.64.0/18 for pods)" % (name, other))
                if name == "cluster_service_cidr":
                    service = None
                else:
                    pod = None
        self.service, self.pod = service, pod

    def _node_prefix(self) -> int | None:
        values = [self.hostvars.get(h, {}).get("kube_network_node_prefix", MISSING) for h in self.nodes]
        value = next((v for v in values if v is not MISSING), MISSING)
        if value is MISSING:
            return DEFAULT_NODE_PREFIX
        if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 28:
            self.add("all", "kube_network_node_prefix", value, "must be an integer between 16 and 28",
                     "remove it to use Kubespray's default 24")
            return None
        return value

    def _in_cluster_ranges(self, address: netaddr.IPAddress) -> str | None:
        for name, net in (("cluster_service_cidr", self.service), ("cluster_pod_cidr", self.pod)):
            if net is not None and address in net:
                return "%s %s" % (name, net)
        return None

    def _check_name_resolution(self) -> None:
        servers = self.var("all", self.cluster, "cluster_dns_servers")
        if servers is not MISSING:
            items = self.string_list("all", "cluster_dns_servers", servers, "10.40.0.10")
            if items is not None:
                if not items:
                    self.add("all", "cluster_dns_servers", items, "the nodes need at least one DNS server",
                             "list the data centre's DNS servers")
                elif len(items) > MAX_DNS_SERVERS:
                    self.add("all", "cluster_dns_servers", items,
                             "the resolver uses only the first %d servers" % MAX_DNS_SERVERS, "list at most 3 servers")
                seen = set()
                for item in items:
                    address = self._ipv4("all", "cluster_dns_servers", item, "e.g. 10.40.0.10")
                    if address is None:
                        continue
                    clash = self._in_cluster_ranges(address)
                    if clash:
                        self.add("all", "cluster_dns_servers", item, "is inside %s, so nodes could not reach it" % clash,
                                 "correct the address or move the Kubernetes ranges")
                    if address in seen:
                        self.add("all", "cluster_dns_servers", item, "is listed twice", "list each server once")
                    seen.add(address)
        search = self.var("all", self.cluster, "cluster_search_domains", hint="define cluster_search_domains in "
                          "group_vars/all; write [] when the nodes need none")
        if search is not MISSING:
            items = self.string_list("all", "cluster_search_domains", search, "dc1.example.com")
            for item in items or []:
                if not is_domain(item):
                    self.add("all", "cluster_search_domains", item, "is not a valid DNS domain",
                             "write a domain such as dc1.example.com")
        ntp = self.var("all", self.cluster, "cluster_ntp_servers")
        if ntp is not MISSING:
            items = self.string_list("all", "cluster_ntp_servers", ntp, "ntp1.example.com")
            if items is not None and not items:
                self.add("all", "cluster_ntp_servers", items, "etcd and TLS need synchronised clocks",
                         "list the data centre's NTP servers")
            for item in items or []:
                if not is_host(item):
                    self.add("all", "cluster_ntp_servers", item, "is neither an IPv4 address nor a host name",
                             "write a host name or an address, e.g. ntp1.example.com")

    def _check_unique_addresses(self) -> None:
        owners: dict = {}
        for host in self.hyperv:
            address = parse_ipv4(self.hostvars.get(host, {}).get("ansible_host"))
            if address is not None:
                owners.setdefault(address, "Hyper-V host %s (ansible_host)" % host)
        for host in self.nodes:
            address = self.node_ips.get(host)
            if address is None:
                continue
            if address in owners:
                self.add("host %s" % host, "node_ip", str(address), "is already the address of %s" % owners[address],
                         "give every host its own address")
            else:
                owners[address] = "host %s" % host
        macs: dict = {}
        for host in self.nodes:
            mac = self.hostvars.get(host, {}).get("node_mac")
            if isinstance(mac, str) and MAC_RE.match(mac):
                key = re.sub(r"[:-]", "", mac).lower()
                if key in macs:
                    self.add("host %s" % host, "node_mac", mac, "is already the MAC of host %s" % macs[key],
                             "give every VM its own MAC address")
                else:
                    macs[key] = host

    def _check_api_endpoint(self) -> None:
        text = self.var("all", self.cluster, "cluster_api_address")
        control = self._members(GROUP_CONTROL_PLANE)
        if text is not MISSING:
            address = self._ipv4("all", "cluster_api_address", text, "e.g. 10.40.8.10")
            if address is not None:
                owner = next((h for h, a in self.node_ips.items() if a == address), None)
                clash = self._in_cluster_ranges(address)
                if clash:
                    self.add("all", "cluster_api_address", text, "is inside %s" % clash,
                             "use the VIP or load balancer address on the node network")
                elif self.subnet is not None and address in (self.subnet.network, self.subnet.broadcast):
                    self.add("all", "cluster_api_address", text, "is the network or broadcast address of cluster_subnet",
                             "use a free address in %s for the VIP" % usable_range(self.subnet))
                elif self.gateway is not None and address == self.gateway:
                    self.add("all", "cluster_api_address", text, "is the gateway address",
                             "use a free address for the VIP, or the control-plane node's address when there is one")
                elif owner is not None and owner not in control:
                    self.add("all", "cluster_api_address", text,
                             "is the address of %s, which is not a control-plane node" % owner,
                             "use the VIP/load balancer address, or the control-plane node's node_ip")
                elif owner is not None and len(control) > 1:
                    self.add("all", "cluster_api_address", text,
                             "is the address of control-plane node %s; with %d control-plane nodes the API endpoint "
                             "must be a VIP or load balancer that survives losing one" % (owner, len(control)),
                             "use a free address of the node network as the VIP, or the load balancer's address")
                self.api = address
        port = self.var("all", self.cluster, "cluster_api_port")
        if port is not MISSING and self.expect("all", "cluster_api_port", port, int, "an integer (a TCP port)"):
            if not 1 <= port <= 65535:
                self.add("all", "cluster_api_port", port, "is not a TCP port", "write 6443 unless the load balancer listens elsewhere")
        fqdn = self.var("all", self.cluster, "cluster_api_fqdn", hint="define cluster_api_fqdn in group_vars/all; write "
                        "\"\" when the API is reached by address only")
        if fqdn is not MISSING and self.expect("all", "cluster_api_fqdn", fqdn, str, "a string"):
            if fqdn and (not is_domain(fqdn) or "." not in fqdn):
                self.add("all", "cluster_api_fqdn", fqdn, "is not a fully qualified DNS name",
                         "write the API's DNS name, e.g. api.dc1.example.com, or \"\"")
