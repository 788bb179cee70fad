"""A minimal DNS server for molecule/node_network: the scenario's "DNS server".

Answers every query on UDP port 53: an A record for the names given as
NAME=ADDRESS arguments, NXDOMAIN for any other name. Test machinery only: it
stands in for the data centre's DNS, which the role's confirmation queries
after a network change; nothing here forwards a query anywhere.
usage: /usr/bin/python3 dns_responder.py [NAME=ADDRESS...]
"""

import socket
import struct
import sys


def parse_question(packet):
    labels, offset = [], 12
    while packet[offset]:
        length = packet[offset]
        labels.append(packet[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    qtype, _qclass = struct.unpack("!HH", packet[offset + 1:offset + 5])
    return ".".join(labels).lower(), qtype, packet[12:offset + 5]


def answer(packet, records):
    ident, flags = struct.unpack("!HH", packet[:4])
    name, qtype, question = parse_question(packet)
    address = records.get(name)
    reply_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080  # QR, AA, RD copied, RA
    if address is None:
        return struct.pack("!HHHHHH", ident, reply_flags | 3, 1, 0, 0, 0) + question
    answers = []
    if qtype == 1:
        answers.append(struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address))
    return struct.pack("!HHHHHH", ident, reply_flags, 1, len(answers), 0, 0) + question + b"".join(answers)


def main():
    records = dict(arg.lower().split("=", 1) for arg in sys.argv[1:])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 53))
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(packet, records), peer)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue  # not a query we can read: no answer, as a real server might


if __name__ == "__main__":
    main()
