"""First-boot seeds for the production example, rendered by the real plays and
validated with the real tools.

playbooks/provision.yml runs with only its plan and seed steps (every other
step needs a Hyper-V host): the vm_seed role renders each VM's seed, runs the
validator on it (Debian 13's cloud-init schema for user-data and
network-config, and `netplan generate`), and packs the cidata ISO. The tests
then read what landed and validate it again, and feed the validator broken
seeds, which the real tools must reject with their own messages.

Debian 13's cloud-init comes from tests/tools/fetch-cloud-init-trixie.sh (apt
with a separate state dir, then dpkg -x); the tests skip, saying why, only
when that download is impossible.
"""

import base64
import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import quote

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCTION = os.path.join(REPO, "inventories", "production")
FETCH = os.path.join(REPO, "tests", "tools", "fetch-cloud-init-trixie.sh")
VALIDATOR = os.path.join(REPO, "roles", "vm_seed", "files", "validate_seed.py")
ISO_MODULE = os.path.join(REPO, "plugins", "modules", "cidata_iso.py")
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
SEED_TAGS = "plan,vm_seed_preflight,vm_seed_render,vm_seed_write"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session", name="cloud_init_root")
def fixture_cloud_init_root():
    proc = subprocess.run([FETCH], capture_output=True, text=True, check=False)
    # Debian's archive is one of this project's machines' sources: a failed
    # download is a failure, never a skip that hides the schema check.
    if proc.returncode != 0:
        pytest.fail("Debian 13's cloud-init could not be downloaded by %s (exit %d): %s"
                    % (os.path.relpath(FETCH, REPO), proc.returncode, proc.stderr.strip()[-400:]))
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session", name="validator")
def fixture_validator(cloud_init_root):
    """The role's validator, imported once, with cloud-init and netplan loaded."""
    module = _load("validate_seed", VALIDATOR)
    schema, version = module.import_cloudinit(cloud_init_root)
    netplan = module.find_netplan("netplan")  # raises when netplan.io is not installed

    def validate(seed, name="vm"):
        return module.validate(seed, name, schema, version, netplan)

    validate.version = version
    return validate


def run_provision(tmp, cloud_init_root, *extra, check=True):
    key = os.path.join(tmp, "id_ed25519")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ops@unit", "-f", key], check=True)
    with open(key + ".pub", encoding="utf-8") as handle:
        public_key = handle.read().strip()
    extra_vars = {
        "hyperv_vm_plan_file": os.path.join(tmp, "vm-plan.yml"),
        "vm_seed_dir": os.path.join(tmp, "seeds"),
        "vm_seed_cloud_init_root": cloud_init_root,
        "vm_seed_ssh_authorized_keys": [public_key],
        # hyperv_vm records the VM's Hyper-V id; no VM exists here.
        "vm_seed_instance_id": "iid-0b8e6d1c-unit-test",
    }
    argv = [PLAYBOOK_BIN, os.path.join(REPO, "playbooks", "provision.yml"), "-i", PRODUCTION,
            "--tags", SEED_TAGS, "-e", json.dumps(extra_vars), *extra]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, public_key


@pytest.fixture(scope="session", name="rendered")
def fixture_rendered(tmp_path_factory, cloud_init_root):
    tmp = str(tmp_path_factory.mktemp("seeds"))
    proc, public_key = run_provision(tmp, cloud_init_root)
    with open(os.path.join(tmp, "vm-plan.yml"), encoding="utf-8") as handle:
        plan = {vm["name"]: vm for vm in yaml.safe_load(handle)["vms"]}
    seeds = {}
    for name in plan:
        folder = os.path.join(tmp, "seeds", name)
        seeds[name] = {}
        for kind in ("meta-data", "user-data", "network-config"):
            with open(os.path.join(folder, kind), encoding="utf-8") as handle:
                seeds[name][kind] = handle.read()
    return {"tmp": tmp, "plan": plan, "seeds": seeds, "public_key": public_key, "output": proc.stdout}


def test_every_planned_vm_has_a_seed(rendered):
    assert len(rendered["plan"]) == 11
    assert sorted(os.listdir(os.path.join(rendered["tmp"], "seeds"))) == sorted(rendered["plan"])


def test_every_seed_passes_cloud_init_schema_and_netplan(rendered, validator):
    for name, seed in rendered["seeds"].items():
        ok, lines = validator(seed, name)
        assert ok, lines
        assert "%s/network-config: valid (cloud-init %s schema + netplan generate)" % (name, validator.version) in lines
        assert "%s/user-data: valid (cloud-init %s schema)" % (name, validator.version) in lines


def test_network_config_is_the_plans(rendered):
    with open(os.path.join(PRODUCTION, "group_vars", "all", "cluster.yml"), encoding="utf-8") as handle:
        cluster = yaml.safe_load(handle)
    for name, vm in rendered["plan"].items():
        config = yaml.safe_load(rendered["seeds"][name]["network-config"])
        assert config["version"] == 2
        eth0 = config["ethernets"]["eth0"]
        assert eth0["match"] == {"macaddress": vm["mac"]} and eth0["set-name"] == "eth0"
        assert eth0["addresses"] == ["%s/%d" % (vm["ip"], vm["prefix"])]
        assert eth0["routes"] == [{"to": "default", "via": cluster["cluster_gateway"]}]
        assert eth0["nameservers"] == {"addresses": cluster["cluster_dns_servers"],
                                       "search": cluster["cluster_search_domains"]}
        assert eth0["dhcp4"] is False


def test_user_data_brings_user_key_proxy_ca_and_ntp(rendered):
    with open(os.path.join(PRODUCTION, "group_vars", "all", "cluster.yml"), encoding="utf-8") as handle:
        cluster = yaml.safe_load(handle)
    with open(os.path.join(PRODUCTION, cluster["cluster_ca_bundle"]), encoding="utf-8") as handle:
        bundle = re.findall(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----", handle.read())
    for name, vm in rendered["plan"].items():
        text = rendered["seeds"][name]["user-data"]
        assert text.startswith("#cloud-config\n")
        data = yaml.safe_load(text)
        assert (data["hostname"], data["fqdn"]) == (name, vm["fqdn"])
        assert data["users"] == [{
            "name": "ops", "gecos": "Cluster operations", "shell": "/bin/bash", "sudo": "ALL=(ALL) NOPASSWD:ALL",
            "lock_passwd": True, "ssh_authorized_keys": [rendered["public_key"]]}]
        assert data["ssh_pwauth"] is False and data["disable_root"] is True
        assert data["ca_certs"]["trusted"] == bundle and bundle
        assert data["ntp"] == {"enabled": True, "servers": cluster["cluster_ntp_servers"]}
        assert data["apt"] == {"http_proxy": cluster["cluster_http_proxy"], "https_proxy": cluster["cluster_https_proxy"]}
        environment = data["write_files"][0]
        assert environment["path"] == "/etc/environment" and environment["append"] is True
        lines = environment["content"].splitlines()
        assert "https_proxy=%s" % cluster["cluster_https_proxy"] in lines
        no_proxy = [line for line in lines if line.startswith("no_proxy=")][0].split("=", 1)[1].split(",")
        assert {vm["ip"], name, vm["fqdn"], ".corp.example.com", "localhost"} <= set(no_proxy)


def test_meta_data_names_the_instance(rendered):
    for name in rendered["plan"]:
        assert yaml.safe_load(rendered["seeds"][name]["meta-data"]) == {
            "instance-id": "iid-0b8e6d1c-unit-test", "local-hostname": name}


def test_cidata_iso_holds_exactly_the_seed(rendered):
    iso_module = _load("cidata_iso", ISO_MODULE)
    for name, seed in rendered["seeds"].items():
        iso = os.path.join(rendered["tmp"], "seeds", name, "cidata.iso")
        label, files = iso_module.read_iso(iso)
        assert label == "cidata"
        assert {k: v.decode() for k, v in files.items()} == seed
    if shutil.which("blkid"):
        # What cloud-init's ds-identify looks for on a VM's block devices.
        out = subprocess.run(["blkid", "-p", "-o", "export", iso], capture_output=True, text=True, check=True).stdout
        assert "LABEL=cidata" in out.splitlines() and "TYPE=iso9660" in out.splitlines()


# --- Secrets: a credentialed proxy never enters the seed or the run's output ---------

PLANTED_PASSWORD = "Seed-Pl4nted@pw:/#?"  # reserved characters, percent-encoded in the inventory
PLANTED_PROXY = "http://mlp-ops:%s@proxy.example.com:3128" % quote(PLANTED_PASSWORD, safe="")


def test_proxy_credentials_never_enter_the_seed(tmp_path, cloud_init_root):
    proxy = json.dumps({"cluster_http_proxy": PLANTED_PROXY, "cluster_https_proxy": PLANTED_PROXY})
    proc = run_provision(str(tmp_path), cloud_init_root, "--limit", "cp01,gpu01", "-vvv", "-e", proxy)[0]
    needles = [PLANTED_PASSWORD, quote(PLANTED_PASSWORD, safe=""), "Seed-Pl4nted",
               base64.b64encode(("mlp-ops:" + PLANTED_PASSWORD).encode()).decode()]
    leaks = [needle for needle in needles if needle in proc.stdout + proc.stderr]
    assert leaks == [], "the run's -vvv output holds the proxy password"
    seeds = tmp_path / "seeds"
    for path in sorted(seeds.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            assert not [n for n in needles if n.encode() in data], "%s holds the proxy password" % path
    for name in ("cp01", "gpu01"):
        data = yaml.safe_load((seeds / name / "user-data").read_text(encoding="utf-8"))
        # The proxy is still there for apt and the login sessions, without user:password.
        assert data["apt"] == {"http_proxy": "http://proxy.example.com:3128",
                               "https_proxy": "http://proxy.example.com:3128"}
        lines = data["write_files"][0]["content"].splitlines()
        assert "HTTPS_PROXY=http://proxy.example.com:3128" in lines


# --- Broken seeds: the real tools reject them, in their own words --------------------

@pytest.fixture(name="seed")
def fixture_seed(rendered):
    return copy.deepcopy(rendered["seeds"]["gpu01"])


def test_bad_address_is_rejected_by_netplan(validator, seed):
    seed["network-config"] = seed["network-config"].replace("10.40.8.31/24", "10.40.8.300/24")
    ok, lines = validator(seed)
    assert not ok
    assert any("netplan generate:" in line and "malformed address '10.40.8.300/24'" in line for line in lines), lines


def test_wrong_type_is_rejected_by_cloud_init(validator, seed):
    seed["network-config"] = seed["network-config"].replace('addresses: ["10.40.8.31/24"]', 'addresses: "10.40.8.31/24"')
    ok, lines = validator(seed)
    assert not ok
    assert any("ethernets.eth0.addresses: '10.40.8.31/24' is not of type 'array'" in line for line in lines), lines


def test_unknown_user_data_key_is_rejected_by_cloud_init(validator, seed):
    seed["user-data"] = seed["user-data"].replace("\nntp:\n", "\nntpd:\n")
    ok, lines = validator(seed)
    assert not ok
    assert any("Additional properties are not allowed ('ntpd' was unexpected)" in line for line in lines), lines


def test_unknown_network_key_is_rejected_by_netplan(validator, seed):
    seed["network-config"] = seed["network-config"].replace("    dhcp6: false\n", "    gateway5: 10.40.8.1\n")
    ok, lines = validator(seed)
    assert not ok
    assert any("unknown key 'gateway5'" in line for line in lines), lines


def test_meta_data_without_instance_id_is_rejected(validator, seed):
    seed["meta-data"] = "local-hostname: gpu01\n"
    ok, lines = validator(seed)
    assert not ok and "vm/meta-data: meta-data lacks instance-id" in lines


def test_the_play_stops_before_writing_a_broken_seed(tmp_path, cloud_init_root):
    proc = run_provision(str(tmp_path), cloud_init_root, "--limit", "cp01", "-e", "vm_seed_address=10.40.8.311",
                         check=False)[0]
    assert proc.returncode != 0
    assert "malformed address '10.40.8.311/24'" in proc.stdout
    assert not os.path.exists(os.path.join(str(tmp_path), "seeds", "cp01", "network-config"))
