"""version_check: the compatibility matrix (compatibility/matrix.yml) and its rules.

Known-bad combinations are each rejected with the rule they break (the exact
set of rules, so a combination that trips an unrelated rule fails the test);
known-good bundles pass; the matrix agrees with Kubespray's own data in
../shared/upstream; the action plugin works through ansible.
"""

import csv
import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.mlplatform.installer.plugins.module_utils import version_matrix as vm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MATRIX_PATH = os.path.join(REPO, "compatibility", "matrix.yml")
UPSTREAM = os.path.join(REPO, "..", "shared", "upstream", "kubespray-v2.31.0", "versions.tsv")
GPU_OPERATOR_VALUES = os.path.join(REPO, "..", "shared", "upstream", "gpu-operator-v26.7.0", "values.yaml")

with open(MATRIX_PATH) as _handle:
    MATRIX = yaml.safe_load(_handle)

# What Kubespray v2.31.0 installs by default, on the OS the project targets.
BASE = {"kubespray": "v2.31.0", "kubernetes": "1.35.4", "containerd": "2.2.3", "etcd": "3.6.10",
        "os": ["ubuntu-24.04"]}
FULL = dict(BASE, os=["ubuntu-22.04", "ubuntu-24.04"], gpu_operator="v26.7.0", nvidia_driver="595.91.07",
            kubeflow="26.03", kustomize="5.8.1")


def rules(wanted, found=None):
    return sorted({c["rule"] for c in vm.evaluate(MATRIX, wanted, found)})


def host(**facts):
    return {"hosts": {"node1": facts}}


# (wanted, found, rules broken). Each line is one known-bad combination.
BAD = {
    "kubernetes older than Kubespray's minimum": (dict(BASE, kubernetes="1.32.9", etcd="3.5.29"), None,
                                                  ["kubespray_kubernetes_version"]),
    "kubernetes patch Kubespray has no checksum for": (dict(BASE, kubernetes="1.35.5"), None,
                                                       ["kubespray_kubernetes_version"]),
    "Kubespray release not in the matrix": (dict(BASE, kubespray="v2.30.0"), None, ["kubespray_release_known"]),
    "containerd newer than Kubespray ships": (dict(BASE, containerd="2.3.0"), None,
                                              ["kubespray_containerd_version"]),
    "containerd 2.0 with Kubernetes 1.35": (dict(BASE, containerd="2.0.7"), None, ["containerd_kubernetes"]),
    "containerd 1.7.27 with Kubernetes 1.34": (dict(BASE, kubernetes="1.34.7", etcd="3.5.29", containerd="1.7.27"),
                                               None, ["containerd_kubernetes"]),
    "etcd 3.6 with Kubernetes 1.34": (dict(BASE, kubernetes="1.34.7"), None, ["kubespray_etcd_series"]),
    "etcd older than Kubespray ships": (dict(BASE, kubernetes="1.33.11", etcd="3.5.5"), None,
                                        ["kubespray_etcd_version"]),
    "OS Kubespray does not support": (dict(BASE, os=["rhel-9"]), None, ["kubespray_os"]),
    "ansible-core 2.19 on the controller": (BASE, {"ansible_core": "2.19.0"}, ["kubespray_ansible_core"]),
    "ansible-core 2.17 on the controller": (BASE, {"ansible_core": "2.17.12"}, ["kubespray_ansible_core"]),
    "GPU Operator on Debian": (dict(FULL, os=["debian-12"]), None, ["gpu_operator_os"]),
    "GPU Operator 26.7 below Kubernetes 1.33 on Ubuntu 22.04": (
        dict(FULL, kubernetes="1.32.9", etcd="3.5.29", containerd="2.1.5", kubeflow=None, kustomize=None), None,
        ["gpu_operator_kubernetes", "kubespray_kubernetes_version"]),
    "driver branch 550 with GPU Operator 26.7": (dict(FULL, nvidia_driver="550.127.08"), None,
                                                 ["gpu_operator_driver_branch"]),
    "GPU Operator release not in the matrix": (dict(FULL, gpu_operator="v25.10.1"), None,
                                               ["gpu_operator_release_known"]),
    "containerd newer than the GPU Operator validated": (dict(FULL, containerd="2.4.0"), None,
                                                         ["gpu_operator_containerd", "kubespray_containerd_version"]),
    "Kubeflow 26.03 on Kubernetes 1.33": (dict(FULL, kubernetes="1.33.11", etcd="3.5.29"), None,
                                          ["kubeflow_kubernetes_minimum"]),
    "kubectl's built-in kustomize 5.7.1 for Kubeflow 26.03": (dict(FULL, kustomize="v5.7.1"), None,
                                                              ["kubeflow_kustomize"]),
    "Kubeflow release not in the matrix": (dict(FULL, kubeflow="1.10.0"), None, ["kubeflow_release_known"]),
    "kubelet newer than the apiserver": (BASE, dict(host(kubelet="v1.36.0"), apiserver="v1.35.4"),
                                         ["kubelet_not_newer_than_apiserver"]),
    # The policy's own example: apiservers at 1.35 and 1.34 support kubelets at 1.34 and older only.
    "kubelet newer than the oldest HA apiserver": (BASE, dict(host(kubelet="v1.35.4"), apiserver=["1.34.7", "1.35.4"]),
                                                   ["kubelet_not_newer_than_apiserver"]),
    "kubelet four minors older than the apiserver": (BASE, dict(host(kubelet="v1.31.14"), apiserver="v1.35.0"),
                                                     ["kubelet_max_skew"]),
    "kubelet too old for the wanted control plane": (BASE, dict(host(kubelet="1.31.14"), apiserver="1.34.7"),
                                                     ["kubelet_max_skew"]),
    "HA apiservers two minors apart": (dict(BASE, kubernetes="1.34.7", etcd="3.5.29"),
                                       {"apiserver": ["1.33.5", "1.35.1"]}, ["apiserver_ha_skew"]),
    "upgrade skipping a minor": (BASE, {"apiserver": "v1.33.5"}, ["upgrade_one_minor_at_a_time"]),
    "kernel older than 4.19": (BASE, host(kernel="4.18.0-553.el8_10.x86_64"), ["kernel_minimum"]),
    "node on an unsupported Ubuntu": (BASE, host(os="Ubuntu 20.04"), ["kubespray_os"]),
    "node's containerd too old for the wanted Kubernetes": (BASE, host(containerd="1.7.24-0ubuntu1"),
                                                            ["containerd_kubernetes"]),
    "GPU node with a 570 driver": (FULL, host(nvidia_driver="570.172.08", os="ubuntu-24.04"),
                                   ["gpu_operator_driver_branch"]),
    "GPU node on Debian": (FULL, host(gpu=True, os="debian-12"), ["gpu_operator_os"]),
    "version that is not a version": (dict(BASE, containerd="latest"), None, ["version_format"]),
    "Docker Engine as the runtime of Kubernetes 1.35": (dict(BASE, container_runtime="docker"), None,
                                                        ["dockershim_removed"]),
    "docker-ce as the runtime of Kubernetes 1.35": (dict(BASE, container_runtime="Docker-CE"), None,
                                                    ["dockershim_removed"]),
    "a node running Docker Engine for Kubernetes 1.35": (BASE, host(container_runtime="docker://24.0.7"),
                                                         ["dockershim_removed"]),
    "GlusterFS 10.3 pinned on Ubuntu 24.04": (dict(BASE, glusterfs="10.3"), None, ["glusterfs_os"]),
    "GlusterFS 11.1 pinned on Debian 12 (only in bookworm-backports)": (dict(BASE, os=["debian-12"], glusterfs="11.1"),
                                                                        None, ["glusterfs_os"]),
    "GlusterFS 10 pinned on Ubuntu 22.04 and 24.04": (dict(BASE, os=["ubuntu-22.04", "ubuntu-24.04"], glusterfs="10"),
                                                      None, ["glusterfs_os"]),
    "GlusterFS pin longer than what the OS ships": (dict(BASE, glusterfs="11.1.2"), None, ["glusterfs_os"]),
    "GlusterFS pin that is not a version": (dict(BASE, glusterfs="latest"), None, ["version_format"]),
    "bundle without Kubernetes": ({"kubespray": "v2.31.0"}, None, ["bundle_required"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_known_bad_combination_is_rejected_with_its_rule(case):
    wanted, found, expected = BAD[case]
    wanted = {k: v for k, v in wanted.items() if v is not None}
    assert rules(wanted, found) == expected


def test_each_conflict_explains_itself():
    wanted = dict(BASE, kubernetes="1.34.7", etcd="3.5.29", containerd="1.7.27")
    [conflict] = vm.evaluate(MATRIX, wanted)
    assert conflict == {
        "rule": "containerd_kubernetes",
        "component": "containerd",
        "value": "1.7.27",
        "expected": "2.1.3+, 2.0.6+, 1.7.28+, 1.6.39+ for Kubernetes 1.34",
        "source": "https://github.com/containerd/containerd/blob/main/RELEASES.md#kubernetes-support",
        "message": "containerd = 1.7.27 breaks containerd_kubernetes (containerd must be a version recommended "
                   "for the Kubernetes minor): expected 2.1.3+, 2.0.6+, 1.7.28+, 1.6.39+ for Kubernetes 1.34",
        "fix": "pin a containerd that meets one of 2.1.3+, 2.0.6+, 1.7.28+, 1.6.39+ (each a minimum within its own release series)",
    }


def test_every_bundle_conflict_says_what_to_change():
    """The inventory validation prints `fix`: each bundle rule has its own, never the generic fallback."""
    bundle_cases = [case for case, (_w, found, _r) in BAD.items() if found is None]
    assert len(bundle_cases) >= 20
    for case in bundle_cases:
        wanted = {k: v for k, v in BAD[case][0].items() if v is not None}
        for conflict in vm.evaluate(MATRIX, wanted):
            assert conflict["fix"] and not conflict["fix"].startswith("make "), (case, conflict)


@pytest.mark.parametrize("k8s, broken", [((1, 23, 17), False), ((1, 24, 0), True), ((1, 35, 4), True)])
def test_dockershim_boundary(k8s, broken):
    ev = vm._Evaluator(MATRIX)
    vm._check_container_runtime(ev, "container_runtime", "docker", k8s)
    vm._check_container_runtime(ev, "container_runtime", "containerd", k8s)
    vm._check_container_runtime(ev, "container_runtime", "cri-o", k8s)
    assert [c["rule"] for c in ev.conflicts] == (["dockershim_removed"] if broken else [])


def test_every_conflict_is_listed_not_only_the_first():
    wanted = dict(FULL, kubernetes="1.36.0", containerd="2.0.5", os=["rhel-9"], nvidia_driver="550.1")
    found = {"ansible_core": "2.19.1", "apiserver": "1.34.2", "hosts": {"w1": {"kubelet": "1.37.0", "kernel": "4.14"}}}
    conflicts = vm.evaluate(MATRIX, wanted, found)
    assert sorted({c["rule"] for c in conflicts}) == [
        "containerd_kubernetes", "gpu_operator_driver_branch", "gpu_operator_os", "kernel_minimum",
        "kubelet_not_newer_than_apiserver", "kubespray_ansible_core", "kubespray_kubernetes_version", "kubespray_os",
        "upgrade_one_minor_at_a_time"]
    text = vm.summary(conflicts)
    assert text.startswith("%d compatibility conflict(s):" % len(conflicts))
    assert text.count("\n- ") == len(conflicts)


@pytest.mark.parametrize("wanted,found", [
    (BASE, None),
    (FULL, None),
    # The test bed's own bundle.
    ({"kubespray": "v2.31.0", "kubernetes": "1.35.4", "containerd": "2.2.3", "etcd": "3.6.10", "os": ["debian-12"]},
     None),
    # Kubespray's 1.33 pairing: etcd 3.5 and its default containerd 2.2.3.
    (dict(BASE, kubernetes="1.33.0", etcd="3.5.29", os=["ubuntu-22.04"]), None),
    # GlusterFS pinned to what each OS ships (a prefix pin like apt's glob), containerd named as the runtime.
    (dict(BASE, glusterfs="11.1", container_runtime="containerd"), None),
    (dict(BASE, os=["debian-12"], glusterfs="10.3"), None),
    (dict(BASE, os=["ubuntu-22.04"], glusterfs="10"), None),
    (BASE, host(container_runtime="containerd://2.2.3")),
    # An upgrade 1.34 -> 1.35 with HA apiservers mid-way and kubelets up to 3 minors behind.
    (FULL, {"ansible_core": "2.18.19", "apiserver": ["v1.34.7", "v1.35.4"],
            "hosts": {"cp1": {"kubelet": "v1.34.7", "containerd": "2.2.3", "kernel": "6.8.0-79-generic",
                              "os": "Ubuntu 24.04"},
                      "gpu1": {"kubelet": "v1.32.9", "containerd": "1.7.28", "kernel": "5.15.0-153-generic",
                               "os": "Ubuntu 22.04", "nvidia_driver": "580.173.02"}}}),
])
def test_known_good_combination_is_compatible(wanted, found):
    assert vm.evaluate(MATRIX, wanted, found) == []


def test_containerd_table_reading():
    # "2.2.0+" for 1.35 includes newer series; 1.6 is not listed for 1.35.
    table = MATRIX["containerd"]["kubernetes_minimums"]
    assert vm._qualifies_containerd(vm.parse_version("2.3.1"), table["1.35"])
    assert vm._qualifies_containerd(vm.parse_version("2.2.3"), table["1.33"])
    assert not vm._qualifies_containerd(vm.parse_version("1.6.39"), table["1.35"])
    assert not vm._qualifies_containerd(vm.parse_version("2.1.4"), table["1.35"])


def test_version_and_name_normalisation():
    assert vm.parse_version("v1.35.4") == (1, 35, 4)
    assert vm.parse_version("1.7.28-0ubuntu1~24.04.1") == (1, 7, 28)
    assert vm.parse_version("6.8.0-79-generic") == (6, 8, 0)
    assert vm.parse_version(595) == (595, 0, 0)
    with pytest.raises(vm.BadVersion):
        vm.parse_version("stable")
    assert vm.normalize_os("Ubuntu 24.04") == "ubuntu-24.04"
    assert vm.normalize_os("Debian 12.7") == "debian-12"
    assert vm.release_key("v26.7.0") == "26.7"
    assert vm.release_key("26.03") == "26.03"


def _blocks_with_rules(node, path=""):
    """Every mapping in the matrix that holds data next to a `source`."""
    if isinstance(node, dict):
        if "source" in node:
            yield path, node
        for key, value in node.items():
            if key != "source":
                yield from _blocks_with_rules(value, "%s/%s" % (path, key))


def test_every_matrix_entry_cites_its_source():
    blocks = list(_blocks_with_rules(MATRIX))
    assert len(blocks) >= 13
    for path, block in blocks:
        source = block["source"]
        assert source["url"].startswith("https://"), path
        assert len(source["says"]) > 40, path
        assert isinstance(source["verified"], bool), path
        assert source.get("how") or not source["verified"], path
    # Every rule-bearing section of the matrix is covered by some source.
    for section in ("kubespray", "containerd", "gpu_operator", "kubeflow", "kubernetes_skew", "kubernetes_upgrade",
                    "kernel", "container_runtimes", "glusterfs"):
        assert any(path.startswith("/" + section) for path, _block in blocks), section


def test_kubespray_entry_matches_kubesprays_own_data():
    # Contract with ../shared/upstream (data taken from Kubespray v2.31.0 itself).
    with open(UPSTREAM) as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    supported = [vm.parse_version(r["version"]) for r in rows if r["item"] == "kube_version_supported"]
    entry = MATRIX["kubespray"]["v2.31.0"]
    newest = {}
    for version in supported:
        key = vm.minor_str(version[:2])
        newest[key] = max(newest.get(key, version), version)
    assert {k: vm.parse_version(v) for k, v in entry["kubernetes"]["newest_patch"].items()} == newest
    assert vm.parse_version(entry["kubernetes"]["minimum"]) == min(supported)
    defaults = {r["item"]: r["version"] for r in rows}
    assert entry["kubernetes"]["default"] == defaults["kube_version"]
    assert entry["containerd"]["default"] == defaults["containerd_version"]
    assert entry["etcd"]["maximum"] == defaults["etcd_version"]
    # Kubespray's defaults are compatible with each other.
    assert vm.evaluate(MATRIX, {"kubespray": "v2.31.0", "kubernetes": defaults["kube_version"],
                                "containerd": defaults["containerd_version"], "etcd": defaults["etcd_version"]}) == []
    assert entry["kubernetes"]["minimum"] == defaults["kube_version_min_required"]
    assert entry["containerd"]["maximum"] == defaults["containerd_version"]
    # Kubespray's default etcd is the series the matrix pairs with its default Kubernetes minor.
    series = entry["etcd"]["series_by_kubernetes_minor"][vm.minor_str(vm.parse_version(defaults["kube_version"])[:2])]
    assert vm.parse_version(defaults["etcd_version"])[:2] == vm.parse_version(series)[:2]


def test_matrix_accepts_exactly_the_kubernetes_versions_kubespray_has_checksums_for():
    """Every patch of 1.31-1.37 against versions.tsv: the ones listed pass, every other is refused."""
    with open(UPSTREAM) as handle:
        supported = {r["version"] for r in csv.DictReader(handle, delimiter="\t") if r["item"] == "kube_version_supported"}
    assert len(supported) == 25
    checked = 0
    for minor in range(31, 38):
        for patch in range(0, 16):
            version = "1.%d.%d" % (minor, patch)
            etcd = "3.6.10" if minor >= 35 else "3.5.26"
            wanted = {"kubespray": "v2.31.0", "kubernetes": version, "etcd": etcd}
            refused = "kubespray_kubernetes_version" in {c["rule"] for c in vm.evaluate(MATRIX, wanted)}
            assert refused == (version not in supported), version
            checked += 1
    assert checked == 7 * 16


def test_gpu_operator_entry_matches_the_chart():
    """The chart's default driver (../shared/upstream/gpu-operator-v26.7.0/values.yaml) is the matrix's
    default and of a supported branch."""
    with open(GPU_OPERATOR_VALUES) as handle:
        values = yaml.safe_load(handle)
    block = MATRIX["gpu_operator"]["26.7"]["driver_branches"]
    assert values["driver"]["version"] == block["default"]
    assert vm.parse_version(block["default"])[0] in block["supported"]
    assert vm.evaluate(MATRIX, dict(FULL, nvidia_driver=values["driver"]["version"])) == []


def _ansible(args):
    # An explicit inventory: ansible.cfg fails a run whose inventory cannot be parsed.
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    # check=False: the tests read the module's verdict from a failed run too.
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-i", "localhost,",
                           "-c", "local", "-m", "mlplatform.installer.version_check", "-a", json.dumps(args)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False, env=env)
    return proc, json.loads(proc.stdout[proc.stdout.index("{"):])


def test_action_plugin_through_ansible():
    proc, result = _ansible({"wanted": dict(BASE, containerd="2.0.7"), "found": {"ansible_core": "2.18.19"}})
    assert proc.stdout.startswith("localhost | FAILED!") and proc.returncode != 0
    assert result["compatible"] is False and result["matrix"] == MATRIX_PATH
    assert [c["rule"] for c in result["conflicts"]] == ["containerd_kubernetes"]
    assert "containerd = 2.0.7 breaks containerd_kubernetes" in result["msg"]
    proc, result = _ansible({"wanted": dict(BASE, containerd="2.0.7"), "fail_on_conflict": False})
    assert proc.returncode == 0 and result["compatible"] is False
