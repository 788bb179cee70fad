# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask one DNS server for a name's IPv4 addresses, over the wire (RFC 1035).

preflight and validate judge the site's DNS, not the node's resolver:
getaddrinfo reads /etc/hosts first, and node prep writes every node there,
so a stale or missing DNS record would never show. The standard library has
no DNS client and the nodes get no extra package for it, so the query is
built and read here: a pure part (build_query, parse_response) that pytest
covers with answers captured from a real server, and a small socket part.
"""

from __future__ import annotations

import random
import socket
import struct

TYPE_A = 1
TYPE_CNAME = 5
CLASS_IN = 1
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class DnsError(Exception):
    """The server gave no usable answer (timeout, malformed, or an error code)."""


def encode_name(name):
    labels = name.rstrip(".").split(".")
    out = b""
    for label in labels:
        raw = label.encode("idna") if label else b""
        if not raw or len(raw) > 63:
            raise ValueError("%r is not a valid DNS name" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def build_query(name, query_id):
    """A recursive A query for name."""
    header = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", TYPE_A, CLASS_IN)


def _read_name(data, offset):
    """(name, offset after it), following compression pointers."""
    labels, end, jumps = [], None, 0
    while True:
        if offset >= len(data):
            raise DnsError("truncated name in the answer")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data) or jumps > 20:
                raise DnsError("bad compression pointer in the answer")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            jumps += 1
            continue
        if length == 0:
            return ".".join(labels), (end if end is not None else offset + 1)
        labels.append(data[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length


def parse_response(data, query_id, name):
    """The IPv4 addresses the answer gives for name (CNAMEs followed), [] for
    NXDOMAIN or no A record. Raises DnsError for anything else."""
    if len(data) < 12:
        raise DnsError("answer shorter than a DNS header")
    rid, flags, qdcount, ancount = struct.unpack("!HHHH", data[:8])
    if rid != query_id or not flags & 0x8000:
        raise DnsError("answer does not match the query")
    if flags & 0x0200:
        raise DnsError("truncated")
    rcode = flags & 0x000F
    if rcode == 3:
        return []
    if rcode != 0:
        raise DnsError("server answered %s" % RCODES.get(rcode, "rcode %d" % rcode))
    offset = 12
    for _question in range(qdcount):
        offset = _read_name(data, offset)[1]
        offset += 4  # QTYPE and QCLASS
    aliases = {name.rstrip(".").lower()}
    addresses = []
    for _answer in range(ancount):
        owner, offset = _read_name(data, offset)
        if offset + 10 > len(data):
            raise DnsError("truncated record in the answer")
        rtype, rclass, _ttl, rdlength = struct.unpack("!HHIH", data[offset:offset + 10])
        offset += 10
        rdata_at = offset
        offset += rdlength
        if rclass != CLASS_IN or owner.lower() not in aliases:
            continue
        if rtype == TYPE_CNAME:
            aliases.add(_read_name(data, rdata_at)[0].lower())
        elif rtype == TYPE_A and rdlength == 4:
            addresses.append(socket.inet_ntoa(data[rdata_at:offset]))
    return sorted(set(addresses))


def query_a(name, server, port=53, timeout=2.0, tries=2):
    """Ask server (an IPv4 address) for name's A records; TCP when the UDP
    answer is truncated. Raises DnsError when the server does not answer."""
    last = "no answer"
    for _attempt in range(tries):
        query_id = random.randint(0, 0xFFFF)
        packet = build_query(name, query_id)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(timeout)
                sock.sendto(packet, (server, port))
                while True:
                    data, peer = sock.recvfrom(4096)
                    if peer[0] == server and data[:2] == packet[:2]:
                        break
            try:
                return parse_response(data, query_id, name)
            except DnsError as err:
                if str(err) != "truncated":
                    raise
            return _query_tcp(packet, query_id, name, server, port, timeout)
        except (socket.timeout, OSError) as err:
            last = "no answer within %ss" % timeout if isinstance(err, socket.timeout) else str(err)
    raise DnsError(last)


def _query_tcp(packet, query_id, name, server, port, timeout):
    with socket.create_connection((server, port), timeout=timeout) as sock:
        sock.sendall(struct.pack("!H", len(packet)) + packet)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            chunk = sock.recv(65537)
            if not chunk:
                raise DnsError("connection closed mid-answer")
            data += chunk
    return parse_response(data[2:], query_id, name)
