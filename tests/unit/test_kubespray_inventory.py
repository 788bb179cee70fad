"""The cluster description as a Kubespray v2.31.0 inventory (plugins/module_utils/kubespray_inventory.py).

Contract tests against Kubespray's own data in ../shared/upstream/kubespray-v2.31.0/
(variables.tsv, sample-commented-only-variables.txt, versions.tsv,
offline-downloads.tsv; see ../shared/upstream/README.md): every variable the
mapping sets is one Kubespray knows, no_proxy is never set, kube_version is
one Kubespray installs, the mirror overrides give the URL of every download
Kubespray made in its observed offline run, none of our own variables
reaches Kubespray's run, booleans are booleans.

Golden inventories: tests/unit/fixtures/kubespray/<env>/ holds the files the
role writes for inventories/sample, lab and production, and for production
with the mirror, drain and rollout keys of
tests/unit/fixtures/kubespray/inputs/production-mirror/ added. After a
deliberate change of the mapping, regenerate them and review the diff:

    MLP_REGENERATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/test_kubespray_inventory.py -k golden
    git diff tests/unit/fixtures/kubespray/

Descriptions are read with Ansible's own InventoryManager (tests/conftest.py);
no host is contacted. The role is run with ansible-playbook on copies of an
inventory, under `unshare -rn` (no routes) where the kernel allows it.
"""

import csv
import os
import re
import shutil
import subprocess

import jinja2
import jinja2.meta
import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.filter import kubespray as kubespray_filter
from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm
from ansible_collections.mlplatform.installer.plugins.module_utils import kubespray_inventory as ki

import small_cluster

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(os.path.dirname(REPO), "shared", "upstream", "kubespray-v2.31.0")
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "kubespray")
ENVS = ["sample", "lab", "production", "production-mirror"]
REGENERATE = os.environ.get("MLP_REGENERATE_GOLDEN") == "1"

# Variables Kubespray reads that its data files do not list, each with where it reads them.
HOST_VARS = {
    "ansible_host": "Ansible's own",
    "ip": "roles/network_facts/tasks/main.yaml: _ipv4: ip | default(fallback_ip) (documented in inventory/sample/inventory.ini)",
    "access_ip": "roles/network_facts/tasks/main.yaml; sample-commented-only-variables.txt",
}
PLAY_KEYWORD_VARS = {"serial": "playbooks/upgrade_cluster.yml: serial: \"{{ serial | default('20%') }}\""}
# Read by a template only, with its default commented out, so no data file lists it.
TEMPLATE_VARS = {
    "etcd_metrics_port": "roles/etcd/templates/etcd.env.j2: {% elif etcd_metrics_port is defined %} "
                         "ETCD_LISTEN_METRICS_URLS=http://<etcd_address>:<port>,http://127.0.0.1:<port> "
                         "(roles/etcd_defaults/defaults/main.yml: # etcd_metrics_port: 2381)",
}
# Names Jinja may reference in a generated value besides Kubespray's variables.
ANSIBLE_MAGIC = {"inventory_dir", "ansible_system"}


# --------------------------------------------------------------------------
# Kubespray's data
# --------------------------------------------------------------------------


def _tsv(name):
    with open(os.path.join(UPSTREAM, name), encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(name="kubespray_names", scope="module")
def fixture_kubespray_names():
    names = {row["name"] for row in _tsv("variables.tsv")}
    with open(os.path.join(UPSTREAM, "sample-commented-only-variables.txt"), encoding="utf-8") as handle:
        names |= {line.strip() for line in handle if line.strip()}
    return names


@pytest.fixture(name="versions", scope="module")
def fixture_versions():
    rows = _tsv("versions.tsv")
    supported = [row["version"] for row in rows if row["item"] == "kube_version_supported"]
    defaults = {row["item"]: row["version"] for row in rows if row["item"] != "kube_version_supported"}
    return supported, defaults


def _version(text):
    return tuple(int(part) for part in text.split("."))


# --------------------------------------------------------------------------
# Descriptions
# --------------------------------------------------------------------------


def _inventory_path(env, tmp_root):
    """The inventory directory of an env; production-mirror is production plus its input files."""
    if env != "production-mirror":
        return os.path.join(REPO, "inventories", env)
    target = os.path.join(str(tmp_root), "production-mirror")
    if not os.path.isdir(target):
        shutil.copytree(os.path.join(REPO, "inventories", "production"), target,
                        ignore=shutil.ignore_patterns("artifacts", "reports", "ssh_known_hosts"))
        for name in os.listdir(os.path.join(FIXTURES, "inputs", env)):
            shutil.copy(os.path.join(FIXTURES, "inputs", env, name), os.path.join(target, "group_vars", "all", name))
    return target


class Generated:
    """The mapping of one description: the data (Inventory) and the files the role writes."""

    def __init__(self, loaded, label):
        self.description = ki.description_from_hostvars(loaded.hostvars, loaded.groups)
        self.model = cm.model_from_hostvars(loaded.hostvars, loaded.groups)
        no_proxy = cm.no_proxy(self.model, extra=ki.mirror_hosts(self.description))
        self.inventory = ki.generate(self.description, no_proxy, rollout_default=cm.ROLLOUT_DEFAULTS["nodes"])
        self.files = kubespray_filter.kubespray_inventory(loaded.hostvars, loaded.groups, label)["files"]
        self.variables = self.inventory.variables()


@pytest.fixture(name="generated", scope="module")
def fixture_generated(tmp_path_factory):
    from conftest import LoadedInventory

    root = tmp_path_factory.mktemp("descriptions")
    cache = {}

    def get(env):
        if env not in cache:
            cache[env] = Generated(LoadedInventory(_inventory_path(env, root)), env)
        return cache[env]

    return get


def _description(**cluster):
    """A small description as plain data: one control-plane node, one worker."""
    release = {"kubespray": "v2.31.0", "kubernetes": "1.35.4", "containerd": "2.2.3", "etcd": "3.6.10"}
    return small_cluster.description(**dict({"cluster_release": release}, **cluster))


# --------------------------------------------------------------------------
# Every variable is one Kubespray knows
# --------------------------------------------------------------------------


def _unknown(names, known):
    return sorted(n for n in names if n not in known and n not in PLAY_KEYWORD_VARS and n not in HOST_VARS
                  and n not in TEMPLATE_VARS and n not in ki.CONNECTION_VARS)


def test_the_known_names_check_can_fail(kubespray_names):
    # A typo Kubespray would silently ignore (its validation does not catch it).
    assert _unknown(["kube_vip_adress", "kube_version"], kubespray_names) == ["kube_vip_adress"]
    # The template-only names are exact: a near miss is still caught.
    assert _unknown(["etcd_metrics_port", "etcd_metric_port"], kubespray_names) == ["etcd_metric_port"]


@pytest.mark.parametrize("env", ENVS)
def test_every_variable_is_one_kubespray_knows(generated, kubespray_names, env):
    inventory = generated(env).inventory
    names = set(inventory.variables())
    for variables in inventory.hosts.values():
        names |= {var.name for var in variables}
    assert _unknown(names, kubespray_names) == []


def test_every_jinja_reference_is_to_a_kubespray_variable(generated, kubespray_names):
    environment = jinja2.Environment()
    referenced = set()
    for env in ENVS:
        for value in _strings(generated(env).variables):
            referenced |= jinja2.meta.find_undeclared_variables(environment.parse(value))
    assert referenced, "the mirror description must produce Jinja references to check"
    assert sorted(referenced - kubespray_names - ANSIBLE_MAGIC) == []


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


# --------------------------------------------------------------------------
# no_proxy, versions, booleans, our own variables
# --------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_no_proxy_is_never_set(generated, env):
    result = generated(env)
    assert "no_proxy" not in result.variables
    for path, text in result.files.items():
        assert not re.search(r"^\s*no_proxy\s*:", text, re.M), path


def test_proxy_exceptions_reach_kubespray_as_additional_no_proxy(generated):
    variables = generated("production-mirror").variables
    entries = variables["additional_no_proxy_list"]
    # The description's extras, a node's FQDN, the node subnet and the mirror host are all there.
    for entry in (".corp.example.com", "10.40.0.0/16", "gpu01.prod.mlp.example.com", "10.40.8.50", "nexus01.prod.mlp.example.com"):
        assert entry in entries
    assert variables["additional_no_proxy"] == "{{ additional_no_proxy_list | join(',') }}"


def test_no_proxy_variables_only_with_a_proxy():
    inventory = ki.generate(_description(), ["localhost"])
    assert not {"http_proxy", "https_proxy", "additional_no_proxy", "additional_no_proxy_list"} & set(inventory.variables())


@pytest.mark.parametrize("env", ENVS)
def test_kube_version_is_one_kubespray_installs(generated, versions, env):
    supported, defaults = versions
    kube_version = generated(env).variables["kube_version"]
    assert kube_version in supported
    assert _version(kube_version) >= _version(defaults["kube_version_min_required"])


@pytest.mark.parametrize("env", ENVS)
def test_versions_come_from_the_release_bundle(generated, env):
    result = generated(env)
    release = ki.cluster_value(result.description, "cluster_release")
    assert (result.variables["kube_version"], result.variables["containerd_version"], result.variables["etcd_version"]) == (
        release["kubernetes"], release["containerd"], release["etcd"])
    assert result.variables["etcd_deployment_type"] == "host"


class _VaultLoader(yaml.SafeLoader):
    pass


_VaultLoader.add_constructor("!vault", lambda loader, node: ki.Vaulted(loader.construct_scalar(node)))


def _booleans_as_strings(value, path=""):
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "on", "off"):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _booleans_as_strings(item, "%s.%s" % (path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _booleans_as_strings(item, "%s[%d]" % (path, index))


@pytest.mark.parametrize("env", ENVS)
def test_booleans_are_booleans_in_the_written_files(generated, env):
    result = generated(env)
    loaded = {}
    for path, text in result.files.items():
        data = yaml.load(text, Loader=_VaultLoader)  # noqa: S506 - a SafeLoader subclass
        assert list(_booleans_as_strings(data, path)) == []
        if path.startswith("group_vars/"):
            loaded.update(data)
    expected = {name: value for name, value in result.variables.items() if isinstance(value, bool)}
    assert expected, "every description sets some booleans"
    assert {name: loaded[name] for name in expected} == expected
    assert all(isinstance(loaded[name], bool) for name in expected)  # bool has no subclasses: exactly bool


def test_description_keys_kubespray_also_knows_are_set_explicitly(generated, kubespray_names):
    # Kubespray's dns_domain defaults to its cluster_name: both are set, so neither default applies.
    ours = set(cm.CLUSTER_VARS) | set(cm.NODE_VARS) | {"cluster_mirror", "cluster_drain", "cluster_api_loadbalancer"}
    shared = ours & kubespray_names
    assert shared == {"cluster_name"}
    for env in ENVS:
        result = generated(env)
        assert shared <= set(result.variables)
        assert result.variables["cluster_name"] == ki.cluster_value(result.description, "cluster_name")
        assert result.variables["dns_domain"] == ki.cluster_value(result.description, "cluster_dns_domain")


def _role_variables():
    names = set()
    roles = os.path.join(REPO, "roles")
    for role in os.listdir(roles):
        for part in ("defaults", "vars"):
            path = os.path.join(roles, role, part, "main.yml")
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as handle:
                    names |= set(yaml.safe_load(handle) or {})
    return names


@pytest.mark.parametrize("env", ENVS)
def test_none_of_our_variables_leaks_into_kubespray(generated, env):
    result = generated(env)
    ours = set(cm.CLUSTER_VARS) | set(cm.NODE_VARS) | _role_variables() | {"cluster_mirror", "cluster_drain", "cluster_api_loadbalancer"}
    # cluster_name is Kubespray's too and set explicitly (test above); nothing else of ours is a name there.
    assert sorted((set(result.variables) & ours) - {"cluster_name"}) == []
    for path, text in result.files.items():
        # No value refers to one of our variables: Kubespray's run has none of them.
        for name in re.findall(r"\{\{[^}]*?\b((?:cluster|node)_[a-z_]+)", text):
            assert name not in ours, (path, name)


@pytest.mark.parametrize("env", ENVS)
def test_only_kubespray_groups_and_their_hosts(generated, env):
    result = generated(env)
    hosts = set(result.inventory.hosts)
    description = result.description["groups"]
    expected = set(description["kube_control_plane"]) | set(description["etcd"]) | set(description["kube_node"])
    assert hosts == expected
    assert not hosts & (set(description.get("hyperv_hosts", [])) | set(description.get("gluster_nodes", []))
                        | set(description.get("nexus", [])))
    data = yaml.safe_load(result.files["hosts.yml"])
    assert set(data["all"]["children"]) == {"kube_control_plane", "etcd", "kube_node", "k8s_cluster"}
    for host in hosts:
        node_ip = result.description["hostvars"][host]["node_ip"]
        assert {key: data["all"]["hosts"][host][key] for key in ("ansible_host", "ip", "access_ip")} == {
            "ansible_host": node_ip, "ip": node_ip, "access_ip": node_ip}


def test_connection_paths_do_not_depend_on_the_checkout(generated):
    text = generated("production").files["hosts.yml"]
    assert REPO not in text
    assert "UserKnownHostsFile={{ inventory_dir }}/../../ssh_known_hosts" in text


# --------------------------------------------------------------------------
# The mirror
# --------------------------------------------------------------------------


def _render(template, context, depth=10):
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    for _round in range(depth):
        rendered = environment.from_string(template).render(context)
        if rendered == template or "{{" not in rendered:
            return rendered
        template = rendered
    return template


def _kubespray_context(variables, defaults):
    """Our variables over Kubespray's defaults of the observed run; files_repo and registry_host kept as written."""
    context = {name: defaults[name] for name in ("cni_version", "crictl_version", "runc_version", "nerdctl_version",
                                                 "calico_version")}
    context.update(calico_ctl_version=defaults["calico_version"], image_arch="amd64", ansible_system="Linux",
                   containerd_static_binary=False)
    context.update({k: v for k, v in variables.items() if k not in ("files_repo", "registry_host")})
    context.update(files_repo="{{ files_repo }}", registry_host="{{ registry_host }}")
    return context


def test_mirror_overrides_cover_every_offline_download(generated, versions):
    variables = generated("production-mirror").variables
    context = _kubespray_context(variables, versions[1])
    rows = _tsv("offline-downloads.tsv")
    assert {row["type"] for row in rows} == {"file", "image"}
    missing = []
    for row in rows:
        if row["type"] == "file":
            name, wanted = row["name"] + "_download_url", row["url_or_image"]
        else:
            name, wanted = row["name"] + "_image_repo", row["url_or_image"].rsplit(":", 1)[0]
        got = _render(variables[name], context) if name in variables else None
        if got != wanted:
            missing.append((row["name"], name, got, wanted))
    assert missing == []


def test_the_coverage_check_can_fail(generated, versions):
    variables = dict(generated("production-mirror").variables)
    variables["runc_download_url"] = variables["runc_download_url"].replace("{{ runc_version }}", "1.0.0")
    context = _kubespray_context(variables, versions[1])
    row = next(r for r in _tsv("offline-downloads.tsv") if r["name"] == "runc")
    assert _render(variables["runc_download_url"], context) != row["url_or_image"]


def test_mirror_settings_in_the_generated_inventory(generated):
    result = generated("production-mirror")
    variables = result.variables
    assert variables["files_repo"] == "https://nexus01.prod.mlp.example.com/repository/kubespray-files"
    assert variables["registry_host"] == "nexus01.prod.mlp.example.com:8443"
    for name in ki.IMAGE_BASES:
        assert variables[name] == "{{ registry_host }}"
    # Anything Kubespray downloads that the list does not name still goes to the mirror.
    assert variables["github_url"] == "{{ files_repo }}/github.com"
    mirrors = variables["containerd_registries_mirrors"]
    assert [m["prefix"] for m in mirrors] == list(ki.MIRROR_REGISTRIES_DEFAULT)
    docker = next(m for m in mirrors if m["prefix"] == "docker.io")
    assert docker["server"] == "https://registry-1.docker.io"
    assert docker["mirrors"] == [{"host": "https://nexus01.prod.mlp.example.com:8443", "capabilities": ["pull", "resolve"],
                                  "skip_verify": False, "override_path": False, "ca": [ki.NODE_CA_BUNDLE]}]
    assert "group_vars/all/offline.yml" in result.files
    # Drain and rollout from the description's keys.
    assert (variables["drain_grace_period"], variables["drain_timeout"], variables["upgrade_node_fail_if_drain_fails"],
            variables["serial"]) == (120, "600s", True, 2)


def test_containerd_hosts_toml_form():
    # What Kubespray's hosts.toml.j2 renders from one entry: containerd 2's certs.d/<registry>/hosts.toml.
    description = _description(cluster_mirror={"files_url": "https://m.example.com/raw", "registry": "m.example.com:8443",
                                               "registries": ["quay.io"]})
    entry = ki.generate(description, []).variables()["containerd_registries_mirrors"][0]
    template = (
        'server = "{{ item.server | default("https://" + item.prefix) }}"\n'
        "{% for mirror in item.mirrors %}\n"
        '[host."{{ mirror.host }}"]\n'
        '  capabilities = ["{{ ([ mirror.capabilities ] | flatten ) | join(\'","\') }}"]\n'
        "  skip_verify = {{ mirror.skip_verify | default('false') | string | lower }}\n"
        "  override_path = {{ mirror.override_path | default('false') | string | lower }}\n"
        "{% endfor %}\n")
    environment = jinja2.Environment(trim_blocks=True)
    environment.filters["flatten"] = lambda value: [x for item in value for x in (item if isinstance(item, list) else [item])]
    assert environment.from_string(template).render(item=entry) == (
        'server = "https://quay.io"\n'
        '[host."https://m.example.com:8443"]\n'
        '  capabilities = ["pull","resolve"]\n'
        "  skip_verify = false\n"
        "  override_path = false\n")


# --------------------------------------------------------------------------
# The API endpoint
# --------------------------------------------------------------------------


def test_a_vip_on_the_node_network_is_kube_vip(generated):
    variables = generated("production").variables
    assert variables["loadbalancer_apiserver"] == {"address": "10.40.8.10", "port": 6443}
    assert variables["apiserver_loadbalancer_domain_name"] == "api.prod.mlp.example.com"
    assert (variables["kube_vip_enabled"], variables["kube_vip_controlplane_enabled"], variables["kube_vip_arp_enabled"],
            variables["kube_vip_address"], variables["kube_proxy_strict_arp"]) == (True, True, True, "10.40.8.10", True)


def test_one_control_plane_node_is_its_own_endpoint(generated):
    variables = generated("lab").variables
    assert "loadbalancer_apiserver" not in variables and "kube_vip_enabled" not in variables
    assert variables["loadbalancer_apiserver_localhost"] is True
    assert variables["kube_apiserver_port"] == 6443


def test_external_load_balancer():
    variables = ki.generate(_description(cluster_api_loadbalancer="external", cluster_api_fqdn="api.t.example.com",
                                         cluster_api_port=443), []).variables()
    assert variables["loadbalancer_apiserver"] == {"address": "10.9.0.10", "port": 443}
    assert variables["apiserver_loadbalancer_domain_name"] == "api.t.example.com"
    # The load balancer forwards to the API servers' own port: Kubespray's default stays.
    assert "kube_vip_enabled" not in variables and "kube_apiserver_port" not in variables


def test_fqdn_of_a_single_node_endpoint_is_in_the_certificate():
    description = _description(cluster_api_address="10.9.0.11", cluster_api_fqdn="api.t.example.com")
    assert ki.generate(description, []).variables()["supplementary_addresses_in_ssl_keys"] == ["api.t.example.com"]


# --------------------------------------------------------------------------
# Validation of the keys the mapping adds, and secrets
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cluster, expected", [
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw/", "registry": "m.example.com:8443"}},
     "all: cluster_mirror.files_url = 'https://m.example.com/raw/': ends with '/'"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw", "registry": "https://m.example.com:8443"}},
     "cluster_mirror.registry = 'https://m.example.com:8443': is a host:port, not a URL"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw"}}, "cluster_mirror.registry = (not set): is required"),
    ({"cluster_mirror": {"files_url": "https://u:secret@m.example.com/raw", "registry": "m.example.com"}},
     "cluster_mirror.files_url = 'https://u:****@m.example.com/raw': holds credentials"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw", "registry": "m.example.com", "registrys": ["quay.io"]}},
     "cluster_mirror.registrys = ['quay.io']: is not a key of cluster_mirror (files_url, registry, registries, apt_url, "
     "helm_url). "
     "Fix: rename it to registries"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw", "registry": "m.example.com", "registries": "quay.io"}},
     "cluster_mirror.registries = 'quay.io': must be a non-empty list"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw", "registry": "m.example.com", "apt_url": "m.example.com/ubuntu"}},
     "cluster_mirror.apt_url = 'm.example.com/ubuntu': must be an http:// or https:// URL. Fix: write the apt proxy of "
     "Ubuntu's archive"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw", "registry": "m.example.com",
                         "helm_url": "https://m.example.com/repository/"}},
     "cluster_mirror.helm_url = 'https://m.example.com/repository/': ends with '/', so every URL under it would hold '//'"),
    ({"cluster_mirror": {"files_url": "https://m.example.com/raw", "registry": "m.example.com",
                         "apt_url": "https://u:pw@m.example.com/repository/ubuntu"}},
     "cluster_mirror.apt_url = 'https://u:****@m.example.com/repository/ubuntu': holds credentials"),
    ({"cluster_drain": {"fail_if_drain_fails": "false"}},
     "cluster_drain.fail_if_drain_fails = 'false': must be a boolean (Kubespray reads the string 'false' as true). "
     "Fix: write true or false without quotes"),
    ({"cluster_drain": {"grace_period_seconds": 600}},
     "cluster_drain.timeout_seconds = 360: is not longer than grace_period_seconds (600)"),
    ({"cluster_drain": {"timeout_seconds": "360s"}}, "cluster_drain.timeout_seconds = '360s': must be a whole number of seconds"),
    ({"cluster_drain": {"grace_period": 30}}, "Fix: rename it to grace_period_seconds"),
    ({"cluster_api_loadbalancer": "keepalived"}, "cluster_api_loadbalancer = 'keepalived': is not one of kube-vip, external"),
    ({"cluster_api_loadbalancer": "kube-vip", "cluster_api_address": "10.8.0.10"},
     "kube-vip announces the VIP by ARP on the node network, but cluster_api_address 10.8.0.10 is outside cluster_subnet"),
    ({"cluster_api_loadbalancer": "external", "cluster_api_address": "10.9.0.11"},
     "cluster_api_address 10.9.0.11 is the address of cp1, so no load balancer is in front of the API"),
])
def test_description_problems_name_the_variable_and_the_fix(cluster, expected):
    problems = ki.description_problems(_description(**cluster))
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert re.match(r"^all: \S+ = .+: .+\. Fix: .+$", problems[0])
    # Nothing is generated from a description with a problem.
    inventory = ki.generate(_description(**cluster), [])
    assert inventory.problems == problems and not inventory.group_vars and not inventory.hosts


def test_only_the_kubespray_release_the_mapping_knows():
    release = {"kubespray": "v2.30.0", "kubernetes": "1.34.3", "containerd": "2.1.5", "etcd": "3.5.24"}
    problems = ki.generate(_description(cluster_release=release), []).problems
    assert problems == ["all: cluster_release.kubespray = 'v2.30.0': this installer maps the description to Kubespray "
                        "v2.31.0's variables only. Fix: write kubespray: v2.31.0, or extend "
                        "plugins/module_utils/kubespray_inventory.py (and its contract data in ../shared/upstream/) "
                        "for the other release"]


def test_valid_new_keys_pass():
    description = _description(
        cluster_mirror={"files_url": "http://10.9.0.50:8081/repository/files", "registry": "10.9.0.50:8443",
                        "registries": ["registry.k8s.io", "nvcr.io"]},
        cluster_drain={"grace_period_seconds": 60, "timeout_seconds": 61, "fail_if_drain_fails": False},
        cluster_api_loadbalancer="kube-vip")
    assert ki.description_problems(description) == []
    variables = ki.generate(description, []).variables()
    assert variables["upgrade_node_fail_if_drain_fails"] is False
    assert variables["drain_timeout"] == "61s"


def test_the_mirror_hosts_join_no_proxy():
    description = _description(cluster_mirror={
        "files_url": "https://files.example.com/raw", "registry": "registry.example.com:8443",
        "apt_url": "https://apt.example.com/repository/ubuntu", "helm_url": "https://helm.example.com/repository"})
    assert ki.description_problems(description) == []
    assert ki.mirror_hosts(description) == ["files.example.com", "apt.example.com", "helm.example.com", "registry.example.com"]
    hostvars = {h: dict(v, cluster_http_proxy="http://proxy.example.com:3128") for h, v in description["hostvars"].items()}
    variables = ki.generate(dict(description, hostvars=hostvars), []).variables()
    for host in ki.mirror_hosts(description):
        assert host in variables["additional_no_proxy_list"]


def test_the_checks_run_on_the_validation_model(generated):
    # Where the lead hooks them in: cluster_model's model has the same {groups, hostvars} shape.
    model = generated("production-mirror").model
    assert ki.description_problems(model) == []
    assert ki.drain_settings(model)[0]["grace_period_seconds"] == 120
    broken = dict(model, hostvars={h: dict(v, cluster_drain={"fail_if_drain_fails": "no"}) for h, v in model["hostvars"].items()})
    assert [p.split(":")[1].strip().split(" ")[0] for p in ki.description_problems(broken)] == ["cluster_drain.fail_if_drain_fails"]


def test_a_proxy_password_in_clear_is_refused_without_printing_it():
    proxy = "http://svc-k8s:S3cr%40t@proxy.example.com:3128"
    problems = ki.secret_problems(_description(cluster_http_proxy=proxy, cluster_https_proxy=proxy))
    assert ki.generate(_description(cluster_http_proxy=proxy, cluster_https_proxy=proxy), []).problems == problems
    assert [p.split(" = ")[0] for p in problems] == ["all: cluster_http_proxy", "all: cluster_https_proxy"]
    assert all("S3cr" not in p and "svc-k8s:****@proxy.example.com" in p and "ansible-vault encrypt_string" in p
               for p in problems)


def test_a_vaulted_proxy_is_written_as_the_same_ciphertext(tmp_path):
    from ansible.parsing.vault import VaultLib, VaultSecret

    from conftest import LoadedInventory

    secret = [("default", VaultSecret(b"test-vault-password"))]
    plain = "http://svc-k8s:S3cr%40t@proxy.example.com:3128"
    ciphertext = VaultLib(secret).encrypt(plain).decode()
    target = tmp_path / "production"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), target,
                    ignore=shutil.ignore_patterns("artifacts", "reports", "ssh_known_hosts"))
    block = "\n".join("  " + line for line in ciphertext.splitlines())
    (target / "group_vars" / "all" / "zz-proxy.yml").write_text(
        "---\ncluster_http_proxy: !vault |\n%s\ncluster_https_proxy: !vault |\n%s\n" % (block, block))
    loaded = LoadedInventory(str(target))
    files = kubespray_filter.kubespray_inventory(loaded.hostvars, loaded.groups, "production")["files"]
    text = files["group_vars/all/all.yml"]
    assert "S3cr" not in "".join(files.values())
    assert "http_proxy: !vault |\n" in text
    data = yaml.load(text, Loader=_VaultLoader)  # noqa: S506 - a SafeLoader subclass
    assert data["http_proxy"].ciphertext.strip() == ciphertext.strip()
    # Kubespray run by hand with the same vault password reads the proxy back.
    assert VaultLib(secret).decrypt(data["https_proxy"].ciphertext).decode() == plain


# --------------------------------------------------------------------------
# Readable files: a comment above each variable; golden inventories
# --------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_a_comment_above_each_variable_names_its_source(generated, env):
    checked = 0
    for path, text in generated(env).files.items():
        lines = text.split("\n")
        assert lines[0] == "---"
        # Variables: top-level keys of a vars file; in hosts.yml, keys with a value under all.vars or a host.
        indents = (4, 6) if path == "hosts.yml" else (0,)
        for index, line in enumerate(lines):
            match = re.match(r"^( *)([a-z_][A-Za-z0-9_]*):( \S.*)?$", line)
            if not match or len(match.group(1)) not in indents or (path == "hosts.yml" and not match.group(3)):
                continue
            back = index - 1
            while lines[back].strip().startswith("# ") and not lines[back].strip().startswith("# from "):
                back -= 1  # a comment wrapped over several lines
            assert lines[back].strip().startswith("# from "), (path, line)
            checked += 1
    assert checked >= len(generated(env).variables)


@pytest.mark.parametrize("env", ENVS)
def test_golden_inventory(generated, env):
    """The files the role writes, against tests/unit/fixtures/kubespray/<env>/ (MLP_REGENERATE_GOLDEN=1 rewrites them)."""
    files = generated(env).files
    root = os.path.join(FIXTURES, env)
    if REGENERATE:
        shutil.rmtree(root, ignore_errors=True)
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as handle:
                handle.write(text)
    on_disk = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            full = os.path.join(directory, name)
            with open(full, encoding="utf-8") as handle:
                on_disk[os.path.relpath(full, root)] = handle.read()
    assert sorted(on_disk) == sorted(files), "regenerate with MLP_REGENERATE_GOLDEN=1 and review the diff"
    for path, text in files.items():
        assert on_disk[path] == text, "%s/%s drifted: regenerate with MLP_REGENERATE_GOLDEN=1 and review the diff" % (env, path)


# --------------------------------------------------------------------------
# The role, run by ansible-playbook on a copy of production
# --------------------------------------------------------------------------

PLAYBOOK = """---
- name: Kubernetes | the generated Kubespray inventory
  hosts: kube_control_plane[0]
  gather_facts: false
  roles:
    - role: mlplatform.installer.kubespray_inventory
"""


def _no_routes():
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return False


def _play(inventory, playbook, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="", ANSIBLE_LOCALHOST_WARNING="false")
    command = ["ansible-playbook", "-i", str(inventory), str(playbook)] + list(args)
    if _no_routes():
        command = ["unshare", "-rn"] + command
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def _recap(output):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output
    return {k: int(v) for k, v in zip(("ok", "changed", "unreachable", "failed"), match.groups())}


def test_role_writes_in_check_mode_is_idempotent_and_removes_stale_files(tmp_path):
    target = tmp_path / "production"
    shutil.copytree(os.path.join(REPO, "inventories", "production"), target,
                    ignore=shutil.ignore_patterns("artifacts", "reports", "ssh_known_hosts"))
    playbook = tmp_path / "kubespray_inventory.yml"
    playbook.write_text(PLAYBOOK)
    dest = target / "artifacts" / "kubespray"

    run = _play(target, playbook, "--check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert _recap(run.stdout)["changed"] > 0
    golden = os.path.join(FIXTURES, "production")
    for directory, _dirs, names in os.walk(golden):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), golden)
            assert (dest / relative).read_text() == open(os.path.join(directory, name), encoding="utf-8").read(), relative

    # A file an earlier description produced (a mirror since removed) must not stay for Kubespray to read.
    (dest / "group_vars" / "all" / "offline.yml").write_text("---\nfiles_repo: http://old-mirror\n")
    run = _play(target, playbook)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _recap(run.stdout)["changed"] == 1, run.stdout  # the removal only: every write was already in place
    assert not (dest / "group_vars" / "all" / "offline.yml").exists()

    (target / "group_vars" / "all" / "zz-drain.yml").write_text("---\ncluster_drain:\n  fail_if_drain_fails: \"false\"\n")
    run = _play(target, playbook)
    assert run.returncode != 0
    assert "cluster_drain.fail_if_drain_fails = 'false': must be a boolean" in run.stdout
    assert "Fix: write true or false without quotes" in run.stdout


def test_role_docs_match_defaults():
    # The checks of tests/unit/test_role_docs.py, on this role (add it to ROLES there to drop this).
    import test_role_docs as role_docs

    role_docs.test_argument_specs_match_defaults("kubespray_inventory")
    role_docs.test_readme_names_every_variable("kubespray_inventory")


# --------------------------------------------------------------------------
# etcd's metrics (issue 18): Kubespray opens them, the monitoring role scrapes them
# --------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_etcd_serves_metrics_where_the_monitoring_role_scrapes(generated, env):
    etcd = dict((var.name, var.value) for var in generated(env).inventory.group_vars["group_vars/all/etcd.yml"])
    assert etcd["etcd_metrics_port"] == ki.ETCD_METRICS_PORT
    with open(os.path.join(REPO, "roles", "monitoring", "defaults", "main.yml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["monitoring_etcd_metrics_port"] == etcd["etcd_metrics_port"]
