# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubeflow layer's resource needs at a pinned release, and the cluster's capacity.

compatibility/kubeflow-<release>-resources.yml holds what the release's
components ask for (CPU, memory, PVC sizes, each with its source);
:func:`shortfalls` compares that plus the sum of the team quotas with the
kube_node sizes of the description (node_vcpus, node_memory_mb, the GPUs of
gpu_nodes). Pure functions; :func:`load_needs` reads the data file on the
controller (the inventory validation runs there).
"""

from __future__ import annotations

import os
import re
from typing import Any

DATA_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), os.pardir, os.pardir,
                                         "compatibility"))

_CPU_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m?)$")
_BYTES_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
_UNITS = {None: 1, "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15,
          "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50}
MI = 2 ** 20
GI = 2 ** 30


class NeedsError(Exception):
    """The data file is missing or malformed; the message names the file."""


def cpu_millis(value: Any) -> int | None:
    """A Kubernetes CPU quantity ("8", "500m", 2, 0.5) in millicores, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(round(value * 1000)) if value >= 0 else None
    match = _CPU_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    number = float(match.group(1))
    return int(round(number if match.group(2) else number * 1000))


def byte_count(value: Any) -> int | None:
    """A Kubernetes memory/storage quantity ("32Gi", "500M", 1024) in bytes, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    match = _BYTES_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def human_cpu(millis: int) -> str:
    return "%g CPU" % (millis / 1000.0)


def human_bytes(count: int) -> str:
    return "%g GiB" % round(count / float(GI), 1)


def data_file(release: str) -> str:
    return os.path.join(DATA_DIR, "kubeflow-%s-resources.yml" % release)


def needs_from_data(data: Any, path: str = "the data file") -> dict:
    """Totals of a parsed data file: {release, cpu_m, memory_bytes, pvc_bytes, components}.

    Raises NeedsError naming the file and the entry when an entry is malformed.
    """
    if not isinstance(data, dict) or not isinstance(data.get("components"), list) or not data["components"]:
        raise NeedsError("%s has no list 'components'" % path)
    totals = {"release": str(data.get("release", "")), "cpu_m": 0, "memory_bytes": 0, "pvc_bytes": 0,
              "components": len(data["components"])}
    for index, entry in enumerate(data["components"]):
        name = entry.get("name", "#%d" % index) if isinstance(entry, dict) else "#%d" % index
        cpu = cpu_millis(entry.get("cpu")) if isinstance(entry, dict) else None
        memory = byte_count(entry.get("memory")) if isinstance(entry, dict) else None
        pvc = byte_count(entry.get("pvc", 0)) if isinstance(entry, dict) else None
        if cpu is None or memory is None or pvc is None:
            raise NeedsError("%s: component %s needs cpu, memory and pvc as Kubernetes quantities" % (path, name))
        totals["cpu_m"] += cpu
        totals["memory_bytes"] += memory
        totals["pvc_bytes"] += pvc
    return totals


def load_needs(release: str, path: str | None = None) -> dict:
    """The needs of a release from compatibility/kubeflow-<release>-resources.yml (NeedsError when absent)."""
    import yaml  # PyYAML, an ansible-core dependency; only the controller reads the data

    path = path or data_file(release)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise NeedsError("%s cannot be read: %s" % (path, exc))
    needs = needs_from_data(data, path)
    if needs["release"] != str(release):
        raise NeedsError("%s describes release %r, not %r" % (path, needs["release"], release))
    return needs


def capacity(groups: dict, hostvars: dict) -> dict:
    """What the workers offer: {nodes, cpu_m, memory_bytes, gpus, node_cpu_m, node_memory_bytes}.

    Pods run on kube_node (the control plane is tainted by Kubespray); GPUs are
    the node_gpu_devices of the gpu_nodes among them. A value that is not a
    positive number is left out: the node rules report it.
    """
    workers = list(groups.get("kube_node", []) or [])
    gpu_hosts = set(groups.get("gpu_nodes", []) or [])
    result = {"nodes": len(workers), "cpu_m": 0, "memory_bytes": 0, "gpus": 0, "node_cpu_m": 0,
              "node_memory_bytes": 0}
    for host in workers:
        values = hostvars.get(host, {}) or {}
        vcpus, memory_mb = values.get("node_vcpus"), values.get("node_memory_mb")
        if isinstance(vcpus, int) and not isinstance(vcpus, bool) and vcpus > 0:
            result["cpu_m"] += vcpus * 1000
            result["node_cpu_m"] = max(result["node_cpu_m"], vcpus * 1000)
        if isinstance(memory_mb, int) and not isinstance(memory_mb, bool) and memory_mb > 0:
            result["memory_bytes"] += memory_mb * MI
            result["node_memory_bytes"] = max(result["node_memory_bytes"], memory_mb * MI)
        devices = values.get("node_gpu_devices")
        if host in gpu_hosts and isinstance(devices, list):
            result["gpus"] += len(devices)
    return result


def shortfalls(needs: dict, quotas: dict, cluster: dict, overcommit: bool) -> list:
    """The named shortfalls of the workers against the layer's needs plus the team quotas.

    ``quotas`` sums the teams' {cpu_m, memory_bytes, gpus}. The components
    must fit whatever ``overcommit`` says; with ``overcommit`` false the quotas
    are reservations and must fit beside them. Each entry is (problem, fix).
    """
    out = []
    release = needs.get("release", "?")
    for key, label, show in (("cpu_m", "CPU", human_cpu), ("memory_bytes", "memory", human_bytes)):
        have, layer, teams = cluster[key], needs[key], quotas[key]
        if layer > have:
            out.append(("Kubeflow %s alone needs %s of %s (compatibility/kubeflow-%s-resources.yml) and the kube_node "
                        "hosts offer %s: %s short" % (release, show(layer), label, release, show(have),
                                                      show(layer - have)),
                        "add workers or raise node_vcpus/node_memory_mb of the kube_node hosts"))
        elif not overcommit and layer + teams > have:
            out.append(("Kubeflow %s needs %s of %s and the team quotas add up to %s: %s in all, the kube_node hosts "
                        "offer %s: %s short" % (release, show(layer), label, show(teams), show(layer + teams), show(have),
                                                show(layer + teams - have)),
                        "lower the team quotas, add workers, or set cluster_kubeflow.quota_overcommit: true "
                        "(quotas become caps that teams share, not reservations)"))
    if not overcommit and quotas["gpus"] > cluster["gpus"]:
        out.append(("the team quotas add up to %d GPUs (requests.nvidia.com/gpu) and the gpu_nodes have %d "
                    "(node_gpu_devices): %d short" % (quotas["gpus"], cluster["gpus"], quotas["gpus"] - cluster["gpus"]),
                    "lower the teams' quota.gpu, add GPUs, or set cluster_kubeflow.quota_overcommit: true "
                    "(GPUs then go to whichever team asks first)"))
    return out
