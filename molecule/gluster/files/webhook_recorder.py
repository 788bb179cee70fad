"""A webhook receiver for Alertmanager that appends every notification, with its arrival time, to a file.

Usage: webhook_recorder.py ADDRESS PORT FILE  (molecule/gluster's end-to-end alert test)
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Recorder(BaseHTTPRequestHandler):
    path_out = None

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        record = {"received": time.time(), "notification": json.loads(body or b"{}")}
        with open(self.path_out, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    address, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(os.path.dirname(out), exist_ok=True)
    Recorder.path_out = out
    HTTPServer((address, port), Recorder).serve_forever()


if __name__ == "__main__":
    main()
