#!/usr/bin/env python
"""Re-run speed of site.yml: `make bench`.

    make bench                              # BENCH_KEEP=1 keeps the bench bed afterwards
    .venv/bin/python testbed/bench_rerun.py -i inventories/testbed [--keep]

Measures, in one run on a bed of its own, and prints one table:

  first converge   playbooks/site.yml on fresh nodes, the shipped ansible.cfg
  re-run           the same again (nothing to change: changed=0 expected)
  re-run defaults  the same with Ansible's defaults: an ansible.cfg holding only
                   the paths and callbacks the project needs (roles,
                   collections, the inventory's ignore patterns, its own
                   callbacks), no pipelining, forks, fact cache or gathering
                   settings
  re-run mitogen   the same with the opt-in profile ansible-mitogen.cfg

each as wall time, the controller's CPU seconds (user + system of the
ansible-playbook process and its children, from wait4) and that CPU per
host-task (per result line of the recap: ok + changed + failed + skipped +
unreachable + rescued + ignored), with the ratios the project aims for. The
figures are printed, never asserted: the machine is shared and noisy, the
ratios are what matter.

The bed is not the user's: the inventory given with -i is copied to
.cache/bench/inventories/bench with every address moved to its own subnet,
its own podman network, cluster name and domain, its own state directory
(.cache/bench/.testbed: key, known_hosts, PKI) and fact cache, brought up
(testbed/bed.py up, testbed/kubernetes/control-plane.yml) and taken down at
the end unless --keep or BENCH_KEEP=1. Nothing the source bed uses is read
or written past its inventory files.
"""

import argparse
import configparser
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# Inventory entries that are outputs of a run, never inputs (ansible.cfg's
# [inventory] ignore_patterns): not copied.
SKIP = ("reports", "artifacts", "backups", "ssh_known_hosts")

RECAP = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")
LAYER_LINE = re.compile(r"^(.+?)\s+(\d+(?:\.\d+)?)s$")
# profile_tasks pads "<name> " with dashes, then " <seconds>s" to 9 columns:
# a long name leaves two dashes, one or none.
TASK_LINE = re.compile(r"^(.+?) -*\s(\d+\.\d+)s$")
RESULT_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")

# (label, config) in the order they run; config names a file made or shipped.
RUNS = [
    ("first converge", "shipped"),
    ("re-run", "shipped"),
    ("re-run, Ansible defaults", "defaults"),
    ("re-run, mitogen profile", "mitogen"),
]

# Callbacks the defaults run keeps (defaults_cfg).
NEEDED_CALLBACKS = ("mlplatform.installer.layer_times", "mlplatform.installer.change_plan")

GOALS = {
    "rerun_share": 0.25,
    "shipped_vs_defaults": 0.80,
    "mitogen_vs_defaults": 0.55,
}


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- pure parts

def bench_names(source_vars, network, subnet):
    """The text substitutions that make a copy of a bed inventory a bed of its
    own: every address of the source subnet moved to the same host number in
    `subnet`, the network, cluster name and domain renamed.

    source_vars: testbed_network_name, cluster_name, cluster_subnet and
    cluster_domain of the source inventory. Returns [(old, new)] longest
    first, so a name never replaces part of a longer one.
    """
    old_net = ipaddress.ip_network(source_vars["cluster_subnet"])
    new_net = ipaddress.ip_network(subnet)
    if old_net.prefixlen != 24 or new_net.prefixlen != 24:
        raise BenchError("the bench moves /24 beds only: cluster_subnet is %s, the bench subnet %s"
                         % (old_net, new_net))
    if old_net == new_net:
        raise BenchError("the bench subnet %s is the source bed's own cluster_subnet" % new_net)
    old_prefix = str(old_net.network_address).rsplit(".", 1)[0] + "."
    new_prefix = str(new_net.network_address).rsplit(".", 1)[0] + "."
    pairs = {old_prefix: new_prefix,
             source_vars["testbed_network_name"]: network,
             source_vars["cluster_name"]: network}
    if source_vars.get("cluster_domain"):
        first, rest = (source_vars["cluster_domain"].split(".", 1) + [""])[:2]
        pairs[source_vars["cluster_domain"]] = "%s.%s" % (network, rest or first)
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def rewrite(text, pairs, repo_parent):
    """One inventory file's text for the bench bed.

    Paths written relative to the inventory reach the same places from the
    copy: `{{ inventory_dir }}/../../.testbed` (the bed's own state) is kept,
    so the copy gets .cache/bench/.testbed; anything further up (the shared
    upstream data beside the checkout) is made absolute.
    """
    text = text.replace("{{ inventory_dir }}/../../../", repo_parent.rstrip("/") + "/")
    for old, new in pairs:
        text = re.sub(r"(?<![\w/-])%s" % re.escape(old), new, text)
    return text


def leftovers(text, pairs):
    """Old names or addresses still in a rewritten file (must be none)."""
    return [old for old, _new in pairs if re.search(r"(?<![\w/-])%s" % re.escape(old), text)]


def parse_recap(output):
    """PLAY RECAP lines of ansible-playbook's default output -> {host: {key: n}}."""
    hosts = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            hosts = {}
            continue
        if in_recap:
            match = RECAP.match(line.strip())
            if not match:
                if line.strip():
                    in_recap = False
                continue
            counts = dict(pair.split("=") for pair in match.group(2).split())
            hosts[match.group(1)] = {key: int(counts.get(key, 0)) for key in RESULT_KEYS}
    return hosts


def block_after(output, banner, pattern):
    """Lines matching `pattern` in the block that follows a callback banner."""
    rows = []
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(banner):
            rows = []
            for follow in lines[index + 1:]:
                follow = follow.strip()
                if not follow or set(follow) <= set("=*"):
                    if rows:
                        break
                    continue
                match = pattern.match(follow)
                if not match:
                    break
                rows.append((match.group(1).strip(), float(match.group(2))))
    return rows


def layer_times(output):
    """The layer_times callback's block: [(layer, seconds)], total last."""
    return block_after(output, "LAYER TIMES", LAYER_LINE)


def slowest_tasks(output):
    """profile_tasks' summary: [(task, seconds)], slowest first."""
    marker = "=" * 20
    lines = output.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(marker):
            rows = []
            for follow in lines[index + 1:]:
                match = TASK_LINE.match(follow.strip())
                if not match:
                    break
                rows.append((match.group(1).strip(), float(match.group(2))))
            if rows:
                return rows
    return []


def summarise(label, wall, cpu, recap, rc):
    totals = {key: sum(host[key] for host in recap.values()) for key in RESULT_KEYS}
    host_tasks = sum(totals.values())
    return {"label": label, "wall": wall, "cpu": cpu, "rc": rc, "hosts": len(recap),
            "host_tasks": host_tasks, "totals": totals,
            "cpu_per_host_task_ms": (1000.0 * cpu / host_tasks) if host_tasks else None}


def ratio(num, den):
    return num / den if den else None


def render(results, bed_line):
    """The comparison table, then the ratios against the goals."""
    by_label = {r["label"]: r for r in results}
    out = [bed_line, ""]
    head = "%-28s %8s %10s %6s %11s %13s %8s %7s" % (
        "run", "wall s", "ctrl CPU s", "hosts", "host-tasks", "CPU ms/h-task", "changed", "failed")
    out += [head, "-" * len(head)]
    for r in results:
        per = "%13.1f" % r["cpu_per_host_task_ms"] if r["cpu_per_host_task_ms"] is not None else "%13s" % "-"
        out.append("%-28s %8.1f %10.1f %6d %11d %s %8d %7d%s" % (
            r["label"], r["wall"], r["cpu"], r["hosts"], r["host_tasks"], per,
            r["totals"]["changed"], r["totals"]["failed"] + r["totals"]["unreachable"],
            "" if r["rc"] == 0 else "  (exit %d)" % r["rc"]))
    first = by_label.get("first converge")
    rerun = by_label.get("re-run")
    defaults = by_label.get("re-run, Ansible defaults")
    mitogen = by_label.get("re-run, mitogen profile")
    rows = []

    def add(name, value, goal="", met=None):
        shown = "-" if value is None else ("%.2fx" % value if isinstance(value, float) else str(value))
        verdict = "" if value is None or met is None else ("goal met" if met(value) else "goal not met")
        rows.append("%-48s %9s %9s   %s" % (name, shown, goal, verdict))

    if first and rerun:
        add("re-run / first converge (wall)", ratio(rerun["wall"], first["wall"]),
            "<= %.2fx" % GOALS["rerun_share"], lambda v: v <= GOALS["rerun_share"])
        add("re-run / first converge (controller CPU)", ratio(rerun["cpu"], first["cpu"]))
    if rerun:
        add("re-run changed (shipped ansible.cfg)", rerun["totals"]["changed"], "= 0", lambda v: v == 0)
    if rerun and defaults:
        add("shipped ansible.cfg / defaults (re-run wall)", ratio(rerun["wall"], defaults["wall"]),
            "<= %.2fx" % GOALS["shipped_vs_defaults"], lambda v: v <= GOALS["shipped_vs_defaults"])
        add("shipped ansible.cfg / defaults (controller CPU)", ratio(rerun["cpu"], defaults["cpu"]))
    if mitogen and defaults:
        add("mitogen profile / defaults (re-run wall)", ratio(mitogen["wall"], defaults["wall"]),
            "<= %.2fx" % GOALS["mitogen_vs_defaults"], lambda v: v <= GOALS["mitogen_vs_defaults"])
        add("mitogen profile / defaults (controller CPU)", ratio(mitogen["cpu"], defaults["cpu"]))
    for name in ("re-run, Ansible defaults", "re-run, mitogen profile"):
        if name in by_label:
            add("%s changed" % name, by_label[name]["totals"]["changed"], "= 0", lambda v: v == 0)
    head2 = "%-48s %9s %9s   %s" % ("ratio", "measured", "goal", "")
    out += ["", head2, "-" * len(head2)] + rows
    return "\n".join(out)


def render_layers(results):
    """Wall time per layer (layer_times) for each run, side by side."""
    layers = []
    for r in results:
        for name, _seconds in r.get("layers", []):
            if name not in layers:
                layers.append(name)
    if not layers:
        return ""
    head = "%-40s" % "layer (wall s)" + "".join(" %12s" % short(r["label"]) for r in results)
    out = [head, "-" * len(head)]
    for name in layers:
        cells = []
        for r in results:
            value = dict(r.get("layers", [])).get(name)
            cells.append(" %12s" % ("-" if value is None else "%.1f" % value))
        out.append("%-40s" % name[:40] + "".join(cells))
    return "\n".join(out)


def short(label):
    return {"first converge": "first", "re-run": "re-run", "re-run, Ansible defaults": "defaults",
            "re-run, mitogen profile": "mitogen"}.get(label, label[:12])


# ------------------------------------------------------------ machine parts

def sh(argv, env=None, **kw):
    proc = subprocess.run(argv, cwd=REPO, env=env, text=True, capture_output=True, check=False, **kw)
    if proc.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(argv), proc.returncode,
                                                 (proc.stderr or proc.stdout).strip()[-3000:]))
    return proc.stdout


def source_vars(inventory):
    import json
    data = json.loads(sh([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"]))
    hostvars = data["_meta"]["hostvars"]
    first = hostvars[sorted(hostvars)[0]]
    missing = [k for k in ("testbed_network_name", "cluster_name", "cluster_subnet") if k not in first]
    if missing:
        raise BenchError("%s sets no %s: the bench needs a bed inventory (inventories/testbed)"
                         % (inventory, ", ".join(missing)))
    return first


def make_inventory(source, dest, pairs):
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    repo_parent = os.path.dirname(REPO)
    for root, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d not in SKIP]
        rel = os.path.relpath(root, source)
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for name in files:
            if name in SKIP:
                continue
            with open(os.path.join(root, name)) as handle:
                text = rewrite(handle.read(), pairs, repo_parent)
            left = leftovers(text, pairs)
            if left:
                raise BenchError("%s still names %s after the rewrite" % (os.path.join(rel, name), left))
            with open(os.path.join(dest, rel, name), "w") as handle:
                handle.write(text)


def defaults_cfg(path):
    """An ansible.cfg with Ansible's defaults and only the paths the project
    needs, read from the shipped ansible.cfg and made absolute."""
    shipped = configparser.ConfigParser(interpolation=None)
    shipped.read(os.path.join(REPO, "ansible.cfg"))
    roles = ":".join(os.path.join(REPO, p) for p in shipped["defaults"]["roles_path"].split(":"))
    colls = ":".join(os.path.join(REPO, p) for p in shipped["defaults"]["collections_path"].split(":"))
    # Callbacks the project needs, not tuning: layer_times for the layer
    # table, change_plan for node_prep.yml's plan (preload_plugins is tuning,
    # left out like pipelining).
    enabled = [name.strip() for name in shipped["defaults"]["callbacks_enabled"].split(",")]
    own = [name for name in NEEDED_CALLBACKS if name in enabled]
    text = ("# Ansible's defaults, with only the paths and callbacks the project needs (made by testbed/bench_rerun.py).\n"
            "[defaults]\nroles_path = %s\ncollections_path = %s\ncallbacks_enabled = %s\n\n[inventory]\n"
            % (roles, colls, ", ".join(own)))
    for key, value in shipped["inventory"].items():
        text += "%s = %s\n" % (key, value)
    with open(path, "w") as handle:
        handle.write(text)


def play(label, config, inventory, env, log_dir):
    argv = [os.path.join(BIN, "ansible-playbook"), "playbooks/site.yml", "-i", inventory]
    run_env = dict(env, ANSIBLE_CONFIG=config, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    log = os.path.join(log_dir, "%s.log" % re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"))
    print("bench: %s (%s) ..." % (label, os.path.relpath(config, REPO)), file=sys.stderr, flush=True)
    started = time.monotonic()
    with open(log, "w") as handle:
        proc = subprocess.Popen(argv, cwd=REPO, env=run_env, stdout=handle, stderr=subprocess.STDOUT)
        status, usage = os.wait4(proc.pid, 0)[1:]
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    with open(log) as handle:
        output = handle.read()
    result = summarise(label, wall, usage.ru_utime + usage.ru_stime, parse_recap(output), proc.returncode)
    result["layers"] = layer_times(output)
    result["tasks"] = slowest_tasks(output)
    result["log"] = log
    print("bench: %s: %.1f s wall, %.1f s CPU, changed=%d, exit %d, log %s" % (
        label, wall, result["cpu"], result["totals"]["changed"], proc.returncode,
        os.path.relpath(log, REPO)), file=sys.stderr, flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--inventory", default="inventories/testbed",
                        help="the bed inventory to copy (never run against)")
    parser.add_argument("--work", default=os.path.join(REPO, ".cache", "bench"))
    parser.add_argument("--network", default="mlp-bench")
    parser.add_argument("--subnet", default="10.86.0.0/24")
    parser.add_argument("--keep", action="store_true", default=os.environ.get("BENCH_KEEP") == "1",
                        help="leave the bench bed up (BENCH_KEEP=1)")
    args = parser.parse_args()

    work = os.path.abspath(args.work)
    inventory = os.path.join(work, "inventories", "bench")
    state = os.path.join(work, ".testbed")
    logs = os.path.join(work, "logs")
    facts = os.path.join(work, "facts")
    src = source_vars(args.inventory)
    if src["testbed_network_name"] == args.network:
        raise BenchError("the bench network %s is the source bed's own: pick another --network" % args.network)
    pairs = bench_names(src, args.network, args.subnet)
    os.makedirs(logs, exist_ok=True)
    make_inventory(args.inventory, inventory, pairs)
    defaults = os.path.join(work, "ansible-defaults.cfg")
    defaults_cfg(defaults)
    configs = {"shipped": os.path.join(REPO, "ansible.cfg"), "defaults": defaults,
               "mitogen": os.path.join(REPO, "ansible-mitogen.cfg")}
    # The bench bed's own state directory (bed.py, control-plane.yml) and fact
    # cache: the source bed shares host names, so a shared cache would hand
    # it these nodes' facts.
    env = dict(os.environ, MLP_BED_STATE=state, ANSIBLE_CACHE_PLUGIN_CONNECTION=facts)
    bed = [os.path.join(BIN, "python"), os.path.join(REPO, "testbed", "bed.py")]
    results = []
    try:
        started = time.monotonic()
        print("bench: bed %s on %s up ..." % (args.network, args.subnet), file=sys.stderr, flush=True)
        # A bench bed left by BENCH_KEEP=1 has converged already: start from
        # fresh nodes, or the "first converge" would be a re-run.
        sh(bed + ["down", "-i", inventory], env=env)
        sh(bed + ["up", "-i", inventory], env=env)
        sh([os.path.join(BIN, "ansible-playbook"), "testbed/kubernetes/control-plane.yml", "-i", inventory],
           env=dict(env, ANSIBLE_NOCOLOR="1"))
        print("bench: bed up with its control plane in %.0f s" % (time.monotonic() - started),
              file=sys.stderr, flush=True)
        shutil.rmtree(facts, ignore_errors=True)
        for label, config in RUNS:
            # Kubespray's stand-in: the bed's build recorded as the Kubernetes
            # layer's last apply again, so a change to the generated Kubespray
            # inventory made in this checkout meanwhile (the code under test
            # may move during a long bench) reads as "skip", not as a
            # Kubespray run that needs the collection. Not measured.
            sh([os.path.join(BIN, "ansible-playbook"), "testbed/kubernetes/record-apply.yml", "-i", inventory],
               env=dict(env, ANSIBLE_NOCOLOR="1"))
            result = play(label, configs[config], inventory, env, logs)
            results.append(result)
            if label == "first converge" and result["rc"] != 0:
                raise BenchError("the first converge failed (exit %d): no re-run to measure; see %s"
                                 % (result["rc"], result["log"]))
    finally:
        if results:
            nodes = max(r["hosts"] for r in results)
            bed_line = ("site.yml on the bench bed: %d hosts in the recap (network %s, %s), one run each, %s"
                        % (nodes, args.network, args.subnet, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
            table = render(results, bed_line)
            layers = render_layers(results)
            rerun = next((r for r in results if r["label"] == "re-run"), None)
            top = ""
            if rerun and rerun["tasks"]:
                top = "slowest tasks of the re-run (profile_tasks):\n" + "\n".join(
                    "%8.1f s  %s" % (sec, name) for name, sec in rerun["tasks"][:10])
            text = "\n\n".join(part for part in (table, layers, top) if part)
            with open(os.path.join(work, "table.txt"), "w") as handle:
                handle.write(text + "\n")
            print("\n" + text)
        if args.keep:
            print("bench: bed kept (BENCH_KEEP=1): inventory %s, MLP_BED_STATE=%s" % (inventory, state),
                  file=sys.stderr)
        else:
            proc = subprocess.run(bed + ["down", "-i", inventory], cwd=REPO, env=env, check=False)
            if proc.returncode != 0:
                print("bench: could not take the bench bed down: run `MLP_BED_STATE=%s %s down -i %s`"
                      % (state, " ".join(bed), inventory), file=sys.stderr)
    return 0 if results and all(r["rc"] == 0 for r in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print("bench: %s" % exc, file=sys.stderr)
        sys.exit(1)
