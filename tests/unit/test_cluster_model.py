"""Validation of the cluster description (plugins/module_utils/cluster_model.py).

The inventories are read with Ansible's own InventoryManager/VariableManager
(tests/conftest.py), so every fixture is seen exactly as ansible-playbook
sees it, and passed through the filter plugin the role uses.

tests/fixtures/inventories/broken/*.yml: one inventory per defect, derived
from tests/fixtures/inventories/base.yml; the comment lines `# expect: ...`
(from line 3) each hold a substring of the single message it must produce.
"""

import copy
import datetime
import difflib
import glob
import importlib.util
import os
import re

import pytest
from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "inventories")
BASE = os.path.join(FIXTURES, "base.yml")
BROKEN = sorted(glob.glob(os.path.join(FIXTURES, "broken", "*.yml")))
GOOD = ["inventories/sample", "inventories/lab", "inventories/production", "inventories/testbed"]
MESSAGE_RE = re.compile(r"^(all|inventory|host \S+|group \S+|validation): \S.* = .+: .+\. Fix: .+$")


def _load_filter():
    spec = importlib.util.spec_from_file_location("cluster_filter_under_test", os.path.join(REPO, "plugins", "filter", "cluster.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FILTER = _load_filter()


def _errors(load_inventory, path):
    inventory = load_inventory(path)
    return FILTER.cluster_inventory_errors(inventory.hostvars, inventory.groups, inventory.sources)


def _expectation(path):
    """Every `# expect:` line: substrings of the one message (a long message takes several lines)."""
    with open(path, encoding="utf-8") as handle:
        found = re.findall(r"^# expect: (.+)$", handle.read(), re.M)
    assert found, "%s has no '# expect:' line" % path
    return found


@pytest.fixture(name="base_model", scope="module")
def fixture_base_model():
    from conftest import LoadedInventory

    inventory = LoadedInventory(BASE)
    return cm.model_from_hostvars(inventory.hostvars, inventory.groups, inventory.sources)


# --------------------------------------------------------------------------
# Good inventories pass, broken ones are rejected with their message
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", GOOD + [BASE])
def test_good_inventory_passes(load_inventory, path):
    assert _errors(load_inventory, os.path.join(REPO, path)) == []


def test_at_least_forty_broken_inventories():
    assert len(BROKEN) >= 40


@pytest.mark.parametrize("path", BROKEN, ids=[os.path.basename(p)[:-4] for p in BROKEN])
def test_broken_inventory_is_rejected_with_its_message(load_inventory, path, monkeypatch):
    monkeypatch.chdir(REPO)  # messages name inventory files relative to the working directory
    expected = _expectation(path)
    errors = _errors(load_inventory, path)
    assert len(errors) == 1, "one defect per fixture, got:\n" + "\n".join(errors)
    for part in expected:
        assert part in errors[0], (part, errors[0])
    assert MESSAGE_RE.match(errors[0]), errors[0]


def test_broken_fixtures_differ_from_base_by_their_defect_only():
    """Every fixture is the base plus its defect: a stale base would hide defects."""
    def body(path):
        with open(path, encoding="utf-8") as handle:
            return [line for line in handle.read().splitlines() if not line.startswith("#")]

    base = body(BASE)
    for path in BROKEN:
        changed = [line for line in difflib.unified_diff(base, body(path), lineterm="", n=0)
                   if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        assert 0 < len(changed) <= 20, (path, changed)


def test_every_defect_is_reported_in_one_run(base_model):
    model = copy.deepcopy(base_model)
    model["hostvars"]["wk1"]["node_ip"] = "10.20.0.41"  # gl1's address; wk1 comes first
    for values in model["hostvars"].values():
        values["cluster_gateway"] = "10.21.0.1"
        values["cluster_release"] = dict(values["cluster_release"], kubernetes=1.35)
    model["groups"]["etcd"] = ["cp1", "cp2"]
    errors = [str(d) for d in cm.validate(model)]
    assert len(errors) == 4, errors
    assert any("host gl1: node_ip = '10.20.0.41': is already the address of host wk1" in e for e in errors)
    assert any("all: cluster_gateway = '10.21.0.1': is outside cluster_subnet" in e for e in errors)
    assert any("cluster_release.kubernetes = 1.35" in e for e in errors)
    assert any("group etcd: hosts = ['cp1', 'cp2']" in e for e in errors)


# --------------------------------------------------------------------------
# Garbage never produces a traceback
# --------------------------------------------------------------------------

GARBAGE = [None, True, 1.5, {"a": {"b": []}}, [None], ["x", 1], "", "garbage", [], {}, 0, -1, "{{ undefined }}"]
ALWAYS_WRONG = [None, True, 1.5, {"a": {"b": []}}, [None]]


@pytest.mark.parametrize("name", cm.CLUSTER_VARS)
def test_garbage_cluster_value_becomes_a_defect(base_model, name):
    for garbage in GARBAGE:
        model = copy.deepcopy(base_model)
        model["sources"] = []  # the inventory file is covered elsewhere; keep the loop fast
        for values in model["hostvars"].values():
            values[name] = copy.deepcopy(garbage)
        defects = cm.validate(model)
        texts = [str(d) for d in defects]
        assert not any(d.where == "validation" for d in defects), texts
        if garbage in ALWAYS_WRONG:
            assert any(name in d.variable for d in defects), (garbage, texts)


@pytest.mark.parametrize("name", cm.NODE_VARS)
@pytest.mark.parametrize("host", ["cp1", "wk1", "gpu1"])
def test_garbage_node_value_becomes_a_defect(base_model, name, host):
    for garbage in GARBAGE:
        model = copy.deepcopy(base_model)
        model["sources"] = []  # the inventory file is covered elsewhere; keep the loop fast
        model["hostvars"][host][name] = copy.deepcopy(garbage)
        defects = cm.validate(model)
        texts = [str(d) for d in defects]
        assert not any(d.where == "validation" for d in defects), texts
        if garbage in ALWAYS_WRONG:
            assert any(d.variable == name and d.where == "host %s" % host for d in defects), (garbage, texts)


@pytest.mark.parametrize("model", [
    None, [], "x", {}, {"groups": "x"}, {"groups": {"all": "x"}},
    {"groups": {"all": ["a"], "kube_node": ["a"]}, "hostvars": None},
    {"groups": {"all": ["a"], "kube_node": ["a"]}, "hostvars": {"a": "not a mapping"}},
    {"groups": {"all": ["a", 1]}, "hostvars": {"a": {"cluster_release": {1: 2}}}, "varnames": "x", "sources": 5},
])
def test_malformed_model_never_raises(model):
    defects = cm.validate(model)
    assert defects
    assert not any(d.where == "validation" for d in defects), [str(d) for d in defects]


def test_filter_with_garbage_arguments_returns_messages():
    for hostvars, groups in ((None, None), ({}, "x"), ("x", {"all": ["a"]}), ({"a": 5}, {"all": ["a"], "etcd": ["a"]})):
        errors = FILTER.cluster_inventory_errors(hostvars, groups, None)
        assert errors and all(isinstance(e, str) for e in errors)


def test_check_that_raises_becomes_internal_defect(base_model, monkeypatch):
    def broken(_self):
        raise KeyError("boom")

    monkeypatch.setattr(cm.Validator, "_check_gluster", broken)
    defects = cm.validate(base_model)
    assert [d.where for d in defects] == ["validation"]
    assert "KeyError" in str(defects[0]) and "Fix: report this as a bug" in str(defects[0])


def test_template_failure_is_reported():
    model = {"groups": {"all": ["w"], "kube_node": ["w"]},
             "hostvars": {"w": {"node_ip": cm.TemplateFailure("'x' is undefined")}}}
    texts = [str(d) for d in cm.validate(model)]
    assert any("host w: node_ip = (cannot be evaluated): its Jinja expression cannot be evaluated ('x' is undefined)" in t
               for t in texts), texts


def test_empty_inventory_is_one_defect():
    defects = cm.validate({"groups": {"all": [], "ungrouped": []}, "hostvars": {}, "sources": ["/x/hosts.yml"]})
    assert [str(d) for d in defects] == [
        "inventory: hosts = ['/x/hosts.yml']: the inventory has no hosts (Ansible could not read it, or it is empty). "
        "Fix: check the -i path; Ansible's warnings above name the file it could not parse"]


# --------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------


@pytest.mark.parametrize("text, network, why", [
    ("10.0.0.0/24", "10.0.0.0/24", ""),
    ("10.0.0.0/8", "10.0.0.0/8", ""),
    ("10.0.0.1/24", None, "has host bits set: the network address of this prefix is 10.0.0.0/24"),
    ("10.0.0.0", None, "is not in CIDR notation"),
    ("10.0.0.0/33", None, "is not an IPv4 network"),
    ("10/8", None, "is not an IPv4 network"),
    ("fd00::/8", None, "is not an IPv4 network"),
    (24, None, "must be a string"),
])
def test_parse_cidr(text, network, why):
    parsed, reason = cm.parse_cidr(text)
    assert (str(parsed) if parsed is not None else None) == network
    assert why in reason


@pytest.mark.parametrize("url, problem", [
    ("http://proxy.example.com:3128", ""),
    ("http://proxy.example.com:3128/", ""),
    ("https://10.0.0.5:8443", ""),
    ("http://user:secret@proxy:3128", ""),
    ("proxy.example.com:3128", "has no scheme"),
    ("http://proxy.example.com:3128/path", "must not have a path"),
    ("http://proxy.example.com:70000", "does not parse as a URL"),
    ("http://proxy.example.com:", "has an empty port"),
    ("ftp://proxy.example.com:21", "scheme 'ftp' is not supported"),
    ("http://", "has no valid proxy host name"),
    ("http://proxy .example.com:3128", "contains spaces"),
])
def test_proxy_url_problem(url, problem):
    result = cm.proxy_url_problem(url)
    assert (problem in result) if problem else result == ""


def _certificate(not_after, ca=True, cn="Test CA"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(not_after).add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_ca_bundle_with_two_valid_certificates_passes(tmp_path):
    bundle = tmp_path / "bundle.pem"
    future = datetime.datetime.now() + datetime.timedelta(days=365)
    bundle.write_bytes(b"root\n" + _certificate(future) + b"intermediate\n" + _certificate(future, cn="Issuing CA"))
    assert cm.ca_bundle_problems(str(bundle)) == []


def test_ca_bundle_names_the_bad_certificate(tmp_path):
    bundle = tmp_path / "bundle.pem"
    future = datetime.datetime.now() + datetime.timedelta(days=365)
    bundle.write_bytes(_certificate(future) + _certificate(future, ca=False, cn="www.example.com"))
    assert [p for p, _fix in cm.ca_bundle_problems(str(bundle))] == ["certificate 2 (CN=www.example.com) is not a CA certificate"]


def test_ca_bundle_with_broken_base64(tmp_path):
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
    assert [p for p, _fix in cm.ca_bundle_problems(str(bundle))] == ["certificate 1 of the bundle is not valid base64"]


def test_ca_bundle_directory(tmp_path):
    assert "is not a regular file" in cm.ca_bundle_problems(str(tmp_path))[0][0]


def test_ca_bundle_absolute_path_is_used_as_is(base_model, tmp_path):
    bundle = tmp_path / "corporate.pem"
    bundle.write_bytes(_certificate(datetime.datetime.now() + datetime.timedelta(days=30)))
    model = copy.deepcopy(base_model)
    for values in model["hostvars"].values():
        values["cluster_ca_bundle"] = str(bundle)
    assert cm.validate(model) == []


def test_show_renders_yaml_flow():
    assert cm.show({"name": "os", "size_gb": 1, "x": [None, True]}) == "{name: 'os', size_gb: 1, x: [null, true]}"
    assert cm.show("it's") == "'it''s'"
    assert cm.show(cm.MISSING) == "(not set)"
    assert cm.show("x" * 500).endswith("...")


def test_duplicate_key_in_vars_is_reported(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    kube_node:\n      hosts:\n        w1:\n          node_ip: 10.0.0.1\n"
                         "          node_ip: 10.0.0.2\n")
    defects = cm.source_defects([str(tmp_path)], {"w1"})
    assert len(defects) == 1
    assert "= 'node_ip': repeats the key of line 6 in the same mapping" in str(defects[0])
    assert defects[0].where == "inventory file"


def test_source_scan_ignores_unparsable_and_non_yaml_sources(tmp_path):
    (tmp_path / "broken.yml").write_text("all: [\n")
    (tmp_path / "hosts.ini").write_text("[kube_node]\nw1\nw1\n")
    (tmp_path / "vault.yml").write_text("all:\n  vars:\n    secret: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3132\n")
    assert cm.source_defects([str(tmp_path), 42, str(tmp_path / "missing.yml")]) == []


def test_sample_documents_every_variable():
    """The sample is the model's documentation: every variable appears in it."""
    text = ""
    for path in glob.glob(os.path.join(REPO, "inventories", "sample", "**", "*.yml"), recursive=True):
        with open(path, encoding="utf-8") as handle:
            text += handle.read()
    for name in cm.CLUSTER_VARS + cm.NODE_VARS + cm.MODEL_GROUPS + cm.RELEASE_REQUIRED + cm.RELEASE_OPTIONAL:
        assert re.search(r"\b%s\b" % re.escape(name), text), name


# --------------------------------------------------------------------------
# The release bundle against compatibility/matrix.yml, before any host
# --------------------------------------------------------------------------


def _with_release(model, **changes):
    """A copy of the model whose cluster_release has `changes` (None removes a key)."""
    model = copy.deepcopy(model)
    model["sources"] = []
    for values in model["hostvars"].values():
        release = dict(values["cluster_release"], **changes)
        values["cluster_release"] = {k: v for k, v in release.items() if v is not None}
    return model


@pytest.mark.parametrize("changes", [
    # Every optional component the matrix judges, at versions that work together.
    {"gpu_operator": "v26.7.0", "nvidia_driver": "595.91.07", "kubeflow": "26.03", "kustomize": "5.8.1",
     "glusterfs": "11.1"},
    {"glusterfs": "11", "os": ["ubuntu-24.04"]},
    {"glusterfs": "10.3", "os": ["debian-12"]},
    {"glusterfs": "10.1", "os": ["ubuntu-22.04"]},
    # Kubespray's 1.33 pairing: etcd 3.5.
    {"kubernetes": "1.33.0", "etcd": "3.5.26", "os": ["ubuntu-22.04", "ubuntu-24.04"]},
])
def test_compatible_bundle_passes(base_model, changes):
    assert [str(d) for d in cm.validate(_with_release(base_model, **changes))] == []


# Bundles the inventory validation refuses: the same rule names version_check reports in preflight.
REFUSED = [
    ({"kubernetes": "1.32.9"}, ["kubespray_kubernetes_version"]),
    ({"kubernetes": "1.34.7"}, ["kubespray_etcd_series"]),
    ({"containerd": "2.0.7"}, ["containerd_kubernetes"]),
    ({"gpu_operator": "v26.7.0", "nvidia_driver": "470.256.02"}, ["gpu_operator_driver_branch"]),
    ({"gpu_operator": "v26.7.0", "os": ["debian-12"]}, ["gpu_operator_os"]),
    ({"kubeflow": "26.03", "kubernetes": "1.33.11", "etcd": "3.5.26"}, ["kubeflow_kubernetes_minimum"]),
    ({"glusterfs": "10.3"}, ["glusterfs_os"]),
    ({"container_runtime": "docker"}, ["dockershim_removed"]),
]


@pytest.mark.parametrize("changes, rules", REFUSED, ids=[r[0] for _changes, r in REFUSED])
def test_bundle_rules_are_version_checks_rules(base_model, changes, rules):
    """One implementation: the defects name exactly the rules version_matrix.evaluate finds."""
    from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix as vm

    model = _with_release(base_model, **changes)
    release = model["hostvars"]["cp1"]["cluster_release"]
    assert sorted({c["rule"] for c in vm.evaluate(vm.load_matrix(), release)}) == rules
    texts = [str(d) for d in cm.validate(model)]
    assert len(texts) == 1, texts
    assert all("(rule %s in compatibility/matrix.yml" % rule in texts[0] for rule in rules), texts


def test_malformed_values_are_reported_once_not_again_by_the_matrix(base_model):
    """A value with a format defect stays out of the matrix: one message per mistake."""
    texts = [str(d) for d in cm.validate(_with_release(base_model, os=["ubuntu-20.04"], containerd="latest"))]
    assert len(texts) == 2, texts
    assert not any("compatibility/matrix.yml" in t for t in texts), texts
    # Without a well-written kubespray and kubernetes the bundle is not judged at all.
    texts = [str(d) for d in cm.validate(_with_release(base_model, kubernetes="v1.32.9"))]
    assert len(texts) == 1 and "is not an exact version without a leading v" in texts[0], texts


def test_every_unknown_key_is_a_defect_with_the_closest_key(base_model):
    texts = [str(d) for d in cm.validate(_with_release(base_model, container_runtime="containerd",
                                                       kubernete_version="1.35.4", flannel="0.27.0"))]
    assert sorted(texts) == sorted([
        "all: cluster_release.container_runtime = 'containerd': is not a component of the release bundle, so nothing "
        "reads it (the closest known key is containerd, which is set as well). Fix: remove container_runtime (the "
        "components are %s)" % ", ".join(cm.RELEASE_REQUIRED + cm.RELEASE_OPTIONAL),
        "all: cluster_release.kubernete_version = '1.35.4': is not a component of the release bundle, so nothing "
        "reads it (the closest known key is kubernetes, which is set as well). Fix: remove kubernete_version (the "
        "components are %s)" % ", ".join(cm.RELEASE_REQUIRED + cm.RELEASE_OPTIONAL),
        "all: cluster_release.flannel = '0.27.0': is not a component of the release bundle, so nothing reads it. "
        "Fix: remove flannel (the components are %s)" % ", ".join(cm.RELEASE_REQUIRED + cm.RELEASE_OPTIONAL),
    ])


def test_matrix_given_in_the_model_is_used(base_model):
    from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix as vm

    matrix = copy.deepcopy(vm.load_matrix())
    matrix["kubespray"]["v2.31.0"]["kubernetes"]["newest_patch"]["1.35"] = "1.35.3"
    model = _with_release(base_model)
    model["matrix"] = matrix
    texts = [str(d) for d in cm.validate(model)]
    assert len(texts) == 1 and "all: cluster_release.kubernetes = '1.35.4': Kubespray installs only" in texts[0], texts


def test_unreadable_matrix_is_a_defect_not_a_pass(base_model, tmp_path, monkeypatch):
    from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix as vm

    broken = tmp_path / "matrix.yml"
    broken.write_text("kubespray: [\n", encoding="utf-8")
    monkeypatch.setattr(vm, "DEFAULT_MATRIX", str(broken))
    texts = [str(d) for d in cm.validate(_with_release(base_model))]
    assert len(texts) == 1 and texts[0].startswith(
        "validation: compatibility matrix = '%s': the release bundle cannot be checked: cannot read the "
        "compatibility matrix %s" % (broken, broken)), texts
    assert MESSAGE_RE.match(texts[0]), texts[0]
