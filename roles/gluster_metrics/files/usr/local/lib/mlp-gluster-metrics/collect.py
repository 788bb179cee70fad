# Installed by roles/gluster_metrics (mlplatform.installer): writes this storage
# node's view of the GlusterFS pool as node_exporter textfile metrics. Run by
# mlp-gluster-metrics.service with python3 and PYTHONPATH set to this
# directory, which holds the collection's module_utils under their names.
"""Collect GlusterFS health once and write it atomically to --output."""

import argparse
import sys

from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import GlusterCli
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_metrics import CommandRunner, run_once


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", required=True, help="the .prom file to replace")
    parser.add_argument("--volume", action="append", default=[], help="volume to export (default: all)")
    parser.add_argument("--max-pending-heals", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per gluster command")
    parser.add_argument("--binary", default="gluster")
    args = parser.parse_args()
    # The process timeout leaves the CLI's own --timeout the first word.
    cli = GlusterCli(CommandRunner(args.timeout + 10), args.binary, timeout=args.timeout)
    result = run_once(cli, args.output, args.volume, args.max_pending_heals)
    for problem in result["problems"]:
        print(problem)
    # An unhealthy pool is data for the alerts, not a failed unit.
    return 0


if __name__ == "__main__":
    sys.exit(main())
