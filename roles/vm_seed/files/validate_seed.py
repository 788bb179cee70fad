#!/usr/bin/env python
"""Validate one VM's NoCloud seed with the real tools, before it is written.

Reads {"<VM name>": {"meta-data": str, "user-data": str, "network-config":
str}, ...} as JSON on stdin (the vm_seed role renders the seeds of a play in
memory and pipes them here in one run), and checks each with:

* cloud-init's own schema validation (cloudinit.config.schema, the code
  behind `cloud-init schema`): user-data against the cloud-config schema,
  network-config against the network-config v2 schema;
* `netplan generate --root-dir` on the network-config, which is what renders
  it on an Ubuntu node: it rejects malformed addresses and unknown keys that
  cloud-init's v2 schema lets through;
* meta-data: a YAML mapping with instance-id and local-hostname.

cloud-init is imported from --cloud-init-root (a directory with the
package unpacked, e.g. by tests/tools/fetch-cloud-init-trixie.sh), else from
this Python's path, else from the system's /usr/lib/python3/dist-packages
(cloud-init is pure Python; this interpreter's own libraries win).

Prints one line per file and every problem with the tool's own message;
exits 0 when all pass, 1 when one fails, 2 when a validator is missing.
`validate()` is importable, for tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

SYSTEM_DIST_PACKAGES = "/usr/lib/python3/dist-packages"


class ToolMissing(Exception):
    pass


def import_cloudinit(root):
    """Import cloud-init's schema module; returns (module, version)."""
    if root:
        path = os.path.join(root, "usr", "lib", "python3", "dist-packages")
        if not os.path.isdir(os.path.join(path, "cloudinit")):
            raise ToolMissing("no cloud-init package under %s (run tests/tools/fetch-cloud-init-trixie.sh)" % path)
        sys.path.insert(0, path)
    try:
        import cloudinit  # noqa: F401
    except ImportError:
        if os.path.isdir(os.path.join(SYSTEM_DIST_PACKAGES, "cloudinit")):
            sys.path.append(SYSTEM_DIST_PACKAGES)
        else:
            raise ToolMissing(
                "cloud-init is not installed on this controller: install it (apt-get install cloud-init) or unpack "
                "one with tests/tools/fetch-cloud-init-trixie.sh and set vm_seed_cloud_init_root")
    from cloudinit import version
    from cloudinit.config import schema
    return schema, version.version_string()


def check_meta_data(text):
    import yaml

    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return ["meta-data is not a YAML mapping"]
    return ["meta-data lacks %s" % key for key in ("instance-id", "local-hostname") if not data.get(key)]


def cloud_init_errors(schema, path, kind):
    """Problems cloud-init's schema validation reports for one file."""
    if kind == "network-config":
        if not hasattr(schema.SchemaType, "NETWORK_CONFIG"):
            raise ToolMissing("this cloud-init cannot validate network-config (needs 23.x or later); "
                              "use tests/tools/fetch-cloud-init-trixie.sh")
        if not getattr(schema, "LIBNETPLAN_AVAILABLE", False):
            # Without netplan's Python API, cloud-init skips v2 validation when a
            # netplan binary exists; make it use its own v2 JSON schema instead
            # (netplan itself runs separately below).
            import cloudinit.net.netplan as netplan_renderer

            netplan_renderer.available = lambda target=None: False
        kwargs = {"schema_type": schema.SchemaType.NETWORK_CONFIG}
        chosen = schema.get_schema(schema.SchemaType.NETWORK_CONFIG)
    else:
        kwargs = {}
        chosen = schema.get_schema()
    try:
        performed = schema.validate_cloudconfig_file(path, chosen, annotate=False, **kwargs)
    except schema.SchemaValidationError as exc:
        return [str(exc).strip()]
    except RuntimeError as exc:
        return [str(exc).strip()]
    if performed is False:
        raise ToolMissing("cloud-init skipped the %s validation (missing jsonschema?)" % kind)
    return []


def netplan_errors(netplan, text, label):
    """Problems `netplan generate` reports for a network-config v2 document."""
    import yaml

    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return ["%s is not a YAML mapping" % label]
    if "network" not in data:
        data = {"network": data}
    root = tempfile.mkdtemp(prefix="vm-seed-netplan-")
    try:
        os.makedirs(os.path.join(root, "etc", "netplan"))
        target = os.path.join(root, "etc", "netplan", "50-cloud-init.yaml")
        with open(target, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, default_flow_style=False, sort_keys=False)
        os.chmod(target, 0o600)
        proc = subprocess.run([netplan, "generate", "--root-dir", root], capture_output=True, text=True,
                              env=dict(os.environ, LC_ALL="C"), check=False)
        if proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip().replace(target, "%s (as netplan YAML)" % label)
            return ["netplan generate: " + message]
        return []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def find_netplan(name):
    """Path of the netplan binary; ToolMissing when it is not installed."""
    path = shutil.which(name) if name else ""
    if name and not path:
        raise ToolMissing("netplan is not installed on this controller (apt-get install netplan.io); it checks "
                          "the network-config as a node renders it")
    return path or ""


def validate(seed, name, schema, ci_version, netplan):
    """Validate one seed; returns (ok, report lines). Raises ToolMissing."""
    missing = [key for key in ("meta-data", "user-data", "network-config") if not isinstance(seed.get(key), str)]
    if missing:
        return False, ["%s: seed lacks %s" % (name, ", ".join(missing))]
    lines = []
    ok = True
    workdir = tempfile.mkdtemp(prefix="vm-seed-")
    try:
        for kind in ("meta-data", "user-data", "network-config"):
            path = os.path.join(workdir, kind)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(seed[kind])
            label = "%s/%s" % (name, kind)
            if kind == "meta-data":
                problems = check_meta_data(seed[kind])
                tools = "yaml"
            else:
                problems = cloud_init_errors(schema, path, kind)
                tools = "cloud-init %s schema" % ci_version
                if kind == "network-config" and netplan:
                    problems += netplan_errors(netplan, seed[kind], label)
                    tools += " + netplan generate"
            lines.extend("%s: %s" % (label, problem.replace(path, label)) for problem in problems)
            lines.append("%s: %s (%s)" % (label, "INVALID" if problems else "valid", tools))
            ok = ok and not problems
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return ok, lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cloud-init-root", default="", help="directory holding usr/lib/python3/dist-packages/cloudinit")
    parser.add_argument("--netplan", default="netplan", help="netplan binary ('' skips netplan generate)")
    args = parser.parse_args(argv)
    seeds = json.load(sys.stdin)
    if not isinstance(seeds, dict) or not all(isinstance(seed, dict) for seed in seeds.values()):
        print("stdin must be a JSON object of VM name to seed")
        return 1
    all_ok = True
    try:
        schema, ci_version = import_cloudinit(args.cloud_init_root)
        netplan = find_netplan(args.netplan)
        for name in sorted(seeds):
            ok, lines = validate(seeds[name], name, schema, ci_version, netplan)
            print("\n".join(lines))
            all_ok = all_ok and ok
    except ToolMissing as exc:
        print("cannot validate: %s" % exc)
        return 2
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
