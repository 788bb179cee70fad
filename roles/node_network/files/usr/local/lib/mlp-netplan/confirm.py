"""Confirm a netplan change of node_network, or say why it cannot be confirmed.

node_network writes "armed" to STATE and arms a transient timer that runs
mlp-netplan-rollback; once Ansible reaches the node again it runs this. The
new network counts only when the node reaches its gateway (ICMP echo, or a
resolved link-layer address when the gateway drops ping) and every DNS
server answers a query (NOERROR or NXDOMAIN). The checks are retried until
they pass or the rollback has run.

Confirmation and rollback take the same lock on STATE, so exactly one of
them wins: this writes "confirmed" and stops the timer only while STATE
still says "armed"; the rollback writes "rolled-back" and does nothing once
STATE says "confirmed". A confirmation that comes too late fails (exit 3).

usage: mlp-netplan-confirm --state FILE --unit UNIT --timeout SECONDS
                           --gateway IP --dns IP [IP...] --name FQDN
exit: 0 confirmed, 2 the checks never passed (the timer is still armed and
      rolls back), 3 the rollback ran first, 1 usage or state errors.
"""

import argparse
import fcntl
import json
import os
import socket
import struct
import subprocess
import sys
import time

RETRY_SECONDS = 2


def ping(address, timeout):
    """One ICMP echo through a datagram socket (no raw socket, no ping binary)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    sock.settimeout(timeout)
    try:
        # The kernel fills in the identifier and the checksum.
        sock.sendto(struct.pack("!BBHHH", 8, 0, 0, 0, 1) + b"mlp-netplan-confirm", (address, 0))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data, peer = sock.recvfrom(1024)
            if peer[0] == address and data[:1] == b"\x00":
                return True
    except OSError:
        return False
    finally:
        sock.close()
    return False


def neighbour_reachable(address):
    """The gateway answered ARP just now (a router may drop ICMP)."""
    out = subprocess.run(["ip", "-j", "neigh", "show", address], capture_output=True, text=True, check=False)
    try:
        entries = json.loads(out.stdout or "[]")
    except ValueError:
        return False
    return any("REACHABLE" in entry.get("state", []) or "PERMANENT" in entry.get("state", []) for entry in entries)


def gateway_problem(gateway, timeout):
    if ping(gateway, timeout) or neighbour_reachable(gateway):
        return None
    return "gateway %s answers neither ping nor ARP" % gateway


def dns_query(name):
    ident = int.from_bytes(os.urandom(2), "big")
    labels = b"".join(bytes([len(part)]) + part.encode("ascii") for part in name.strip(".").split(".") if part)
    # Header: id, RD flag, one question; question: name, type A, class IN.
    return ident, struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", 1, 1)


def dns_problem(server, name, timeout):
    ident, query = dns_query(name)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    try:
        sock.sendto(query, (server, 53))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data, peer = sock.recvfrom(4096)
            if peer[0] != server or len(data) < 12:
                continue
            reply_id, flags = struct.unpack("!HH", data[:4])
            if reply_id != ident or not flags & 0x8000:
                continue
            rcode = flags & 0x000F
            # NXDOMAIN still proves the server resolves for this node.
            if rcode in (0, 3):
                return None
            return "DNS server %s answered %s with rcode %d (2 SERVFAIL, 5 REFUSED)" % (server, name, rcode)
    except socket.timeout:
        pass
    except OSError as exc:
        return "DNS server %s cannot be reached: %s" % (server, exc)
    finally:
        sock.close()
    return "DNS server %s did not answer a query for %s within %d s" % (server, name, timeout)


def read_state(path):
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return ""


def confirm(state_path, unit):
    """Under the lock the rollback takes too: confirm only an armed change."""
    with open(state_path, "r+", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        state = handle.read().strip()
        if state != "armed":
            return state
        handle.seek(0)
        handle.truncate()
        handle.write("confirmed %s\n" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        handle.flush()
        os.fsync(handle.fileno())
    # Past this point a firing timer finds "confirmed" and restores nothing.
    subprocess.run(["systemctl", "stop", unit + ".timer"], check=False)
    return "armed"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", required=True)
    parser.add_argument("--unit", required=True)
    parser.add_argument("--timeout", type=int, required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--dns", nargs="+", required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()

    started = time.monotonic()
    problems = ["not checked yet"]
    while True:
        state = read_state(args.state)
        if state.startswith("rolled-back"):
            print("not confirmed: the rollback timer fired first (%s); the previous configuration is back. "
                  "Last check: %s" % (state, "; ".join(problems)))
            return 3
        if state != "armed":
            print("not confirmed: %s says %r, not 'armed' (was the change armed by node_network?)"
                  % (args.state, state))
            return 1
        problems = [p for p in [gateway_problem(args.gateway, RETRY_SECONDS)]
                    + [dns_problem(server, args.name, RETRY_SECONDS) for server in args.dns] if p]
        if not problems:
            break
        if time.monotonic() - started > args.timeout:
            print("not confirmed within %d s: %s. The rollback timer %s.timer restores the previous "
                  "configuration." % (args.timeout, "; ".join(problems), args.unit))
            return 2
        time.sleep(RETRY_SECONDS)

    previous = confirm(args.state, args.unit)
    if previous != "armed":
        print("not confirmed: the rollback timer fired first (%s); the previous configuration is back. "
              "The checks passed only after %.0f s." % (previous, time.monotonic() - started))
        return 3
    print("confirmed after %.0f s: gateway %s and DNS %s answer; %s.timer stopped"
          % (time.monotonic() - started, args.gateway, ", ".join(args.dns), args.unit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
