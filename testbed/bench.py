#!/usr/bin/env python
"""Print the bed's storage figures: `make bench`.

Runs the project's own storage_benchmark module (the one preflight gates
with) on every bed node, on each data path the node has, several rounds, and
prints the median and the spread of each figure. Rounds matter here: the
bed's disks are this machine's one disk, shared with everything running on
it, so a single run says little. Figures are in the units of the module
(ms, IOPS, MiB/s).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# path on the node -> profiles measured there. Paths a node lacks are skipped.
PATHS = {
    "/var/lib/etcd": ["etcd"],
    "/var/lib": ["etcd", "seqwrite", "seqread", "randread", "randwrite"],
    "/mnt/gluster/gv0": ["etcd", "seqwrite", "seqread", "randwrite"],
}
COLUMNS = ["etcd_fdatasync_p99_ms", "etcd_write_iops", "seqwrite_mib_s", "seqread_mib_s",
           "randread_iops", "randwrite_iops"]


def fmt(value):
    if abs(value) >= 100:
        return "%d" % round(value)
    if abs(value) >= 1:
        return "%.1f" % value
    return "%.3f" % value


def ansible_json(args, inventory):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_CALLBACKS_ENABLED="")
    # check=False: ansible exits non-zero when one host fails, and its JSON
    # still holds the other hosts' results.
    proc = subprocess.run([os.path.join(BIN, "ansible"), "all", "-i", inventory, "--become"] + args,
                          cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit("ansible failed (%d): %s" % (proc.returncode, proc.stderr.strip() or proc.stdout[-2000:]))
    results = {}
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            results.update(task.get("hosts", {}))
    return results


def existing_paths(inventory):
    script = "for p in %s; do [ -d \"$p\" ] && echo \"$p\"; done" % " ".join(PATHS)
    found = ansible_json(["-m", "ansible.builtin.shell", "-a", script], inventory)
    return {host: r.get("stdout_lines", []) for host, r in found.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--inventory", default="inventories/testbed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="64m")
    parser.add_argument("--runtime", type=int, default=5)
    args = parser.parse_args()

    installed = ansible_json(["-m", "ansible.builtin.apt", "-a", "name=fio update_cache=true cache_valid_time=3600"],
                             args.inventory)
    for host, result in installed.items():
        if result.get("failed"):
            sys.exit("%s: cannot install fio: %s" % (host, result.get("msg")))
    figures = {}  # (host, path) -> figure -> [values]
    paths = existing_paths(args.inventory)
    for round_no in range(args.rounds):
        for path, profiles in PATHS.items():
            hosts = sorted(h for h, found in paths.items() if path in found)
            if not hosts:
                continue
            module_args = json.dumps({"path": path, "profiles": profiles, "size": args.size,
                                      "runtime": args.runtime})
            results = ansible_json(["--limit", ",".join(hosts), "-m", "mlplatform.installer.storage_benchmark", "-a", module_args],
                                   args.inventory)
            for host, result in results.items():
                if result.get("failed"):
                    print("%s %s: %s" % (host, path, result.get("msg")), file=sys.stderr)
                for name, value in (result.get("figures") or {}).items():
                    figures.setdefault((host, path), {}).setdefault(name, []).append(value)
        print("round %d/%d done" % (round_no + 1, args.rounds), file=sys.stderr)

    header = "%-10s %-16s" % ("node", "path") + "".join(" %24s" % c for c in COLUMNS)
    print("\nstorage_benchmark, median (min-max) of %d rounds, size %s, %d s per profile" %
          (args.rounds, args.size, args.runtime))
    print(header)
    for (host, path), values in sorted(figures.items()):
        cells = []
        for column in COLUMNS:
            series = values.get(column)
            if not series:
                cells.append(" %24s" % "-")
                continue
            spread = "%s [%s-%s]" % (fmt(statistics.median(series)), fmt(min(series)), fmt(max(series)))
            cells.append(" %24s" % spread)
        print("%-10s %-16s" % (host, path) + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
