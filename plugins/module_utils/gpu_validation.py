# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU checks against the live API (issue 17, item 3) and the guest preflight's parsing (item 1).

Pure functions on the API's own JSON and on the tools' captured output; the
action plugins/action/gpu_check.py reads the API and calls them. Every
problem names the node (or object) and the state found.
"""

from __future__ import annotations

import re

RESOURCE = "nvidia.com/gpu"
# gpu-feature-discovery's driver label (k8s-device-plugin's GFD), and the
# deprecated labels it still writes, which the operator itself reads
# (internal/nodeinfo/attributes.go at v26.7.0: nvidia.com/cuda.driver.major).
DRIVER_LABEL = "nvidia.com/cuda.driver-version.full"
DRIVER_LABEL_PARTS = ("nvidia.com/cuda.driver.major", "nvidia.com/cuda.driver.minor", "nvidia.com/cuda.driver.rev")
NVIDIA_VENDOR = "10de"


# Every check of the layer, by name: the guest preflight's (tasks_from:
# preflight) and validate's (tasks_from: validate). gpu_operator_skip_checks
# maps some of them to the reason they cannot hold on an inventory (the bed has
# no GPU and no operator); production leaves it empty, so every check runs.
GUEST_CHECKS = ("devices", "nouveau", "headers", "secure_boot")
VALIDATE_CHECKS = ("cluster_policy", "allocatable", "driver", "cuda_sample")
CHECKS = GUEST_CHECKS + VALIDATE_CHECKS


def skip_plan(skip, kind):
    """{run, skipped, problems, note} of gpu_operator_skip_checks for one kind of checks ('guest' or 'validate').

    skip: {check name: reason}. problems name the variable and the fix; note
    says which checks of that kind run and which do not, with each reason.
    """
    names = GUEST_CHECKS if kind == "guest" else VALIDATE_CHECKS
    problems = []
    if skip in (None, ""):
        skip = {}
    if not isinstance(skip, dict):
        return {"run": list(names), "skipped": [], "note": "",
                "problems": ["gpu_operator_skip_checks must be a mapping {check: reason}, got %s: write e.g. "
                             "{devices: \"no GPU in this test bed\"}, or {} to run every check" % type(skip).__name__]}
    for name, reason in skip.items():
        if name not in CHECKS:
            problems.append("gpu_operator_skip_checks.%s is not a check of the GPU layer (%s): fix its name or remove it"
                            % (name, ", ".join(CHECKS)))
        elif not isinstance(reason, str) or not reason.strip():
            problems.append("gpu_operator_skip_checks.%s has no reason: write why the check cannot hold on this "
                            "inventory (it is printed on every run), or remove it" % name)
    skipped = [n for n in names if n in skip]
    run = [n for n in names if n not in skip]
    note = "%s checks run: %s" % (kind, ", ".join(run) or "none")
    if skipped:
        note += "; NOT checked (gpu_operator_skip_checks): " + "; ".join(
            "%s: %s" % (n, str(skip[n]).strip()) for n in skipped)
    return {"run": run, "skipped": skipped, "problems": problems, "note": note}


def _name(obj):
    return ((obj or {}).get("metadata") or {}).get("name", "?")


# --------------------------------------------------------------------------
# ClusterPolicy
# --------------------------------------------------------------------------


def cluster_policy_state(policy):
    """(ready, description of the state found) of a ClusterPolicy object (None: absent)."""
    if not policy:
        return False, "no ClusterPolicy in the cluster (the chart's clusterPolicy.deployCR creates cluster-policy)"
    status = policy.get("status") or {}
    state = status.get("state")
    notes = []
    for cond in status.get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") != "Ready" or cond.get("type") == "Ready" and cond.get("status") != "True":
            text = "%s=%s" % (cond.get("type"), cond.get("status"))
            if cond.get("reason") or cond.get("message"):
                text += " (%s)" % ": ".join(x for x in (cond.get("reason"), cond.get("message")) if x)
            notes.append(text)
    found = "state %s" % state if state else "no state reported (the operator has not reconciled it)"
    if notes:
        found += ", " + ", ".join(notes)
    return status.get("state") == "ready", "ClusterPolicy %s: %s" % (_name(policy), found)


# --------------------------------------------------------------------------
# Nodes: allocatable GPUs and driver version
# --------------------------------------------------------------------------


def driver_version(node):
    """The driver version GPU feature discovery labelled the Node with, or None."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    if labels.get(DRIVER_LABEL):
        return labels[DRIVER_LABEL]
    parts = [labels.get(name) for name in DRIVER_LABEL_PARTS]
    if all(parts):
        return ".".join(parts)
    return None


def node_problems(nodes, expected, driver=None, check_allocatable=True):
    """Problems of the GPU Nodes.

    nodes: Node objects (the API's JSON); expected: {host: device count} from
    node_gpu_devices; driver: cluster_release.nvidia_driver, or None to skip
    the version check; check_allocatable: False to skip the count.
    """
    problems = []
    present = {_name(n): n for n in nodes or []}
    for host in sorted(expected):
        want = expected[host]
        node = present.get(host)
        if node is None:
            problems.append("%s: no Node of that name, so none of its %d GPU(s) (node_gpu_devices) can be scheduled; "
                            "join the node to the cluster" % (host, want))
            continue
        status = node.get("status") or {}
        allocatable = (status.get("allocatable") or {}).get(RESOURCE)
        capacity = (status.get("capacity") or {}).get(RESOURCE)
        if check_allocatable and _count(allocatable) != want:
            problems.append("%s: allocatable %s is %s (capacity %s), the inventory's node_gpu_devices lists %d; "
                            "check the device plugin's pod on the node and the passed-through devices (lspci -d 10de:)"
                            % (host, RESOURCE, allocatable if allocatable is not None else "absent",
                               capacity if capacity is not None else "absent", want))
        if driver is not None:
            found = driver_version(node)
            if found is None:
                problems.append("%s: no driver version label (%s) on the Node: GPU feature discovery has not run "
                                "there, so the driver is not known to be %s" % (host, DRIVER_LABEL, driver))
            elif found != str(driver):
                problems.append("%s: driver %s runs on the Node, the bundle pins cluster_release.nvidia_driver %s; "
                                "the driver upgrade (driver.upgradePolicy) has not reached it" % (host, found, driver))
    return problems


def _count(value):
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------
# Guest preflight: lspci, nouveau, kernel headers, Secure Boot
# --------------------------------------------------------------------------

_LSPCI_NN = re.compile(r"^(?P<slot>\S+)\s+(?P<class>[^\[]*)\[(?P<classid>[0-9a-f]{4})\]:\s.*\[(?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4})\]",
                       re.IGNORECASE)


def nvidia_devices(lspci_nn):
    """The NVIDIA display/3D controllers (class 03xx) in ``lspci -nn`` output: [(slot, vendor:device)]."""
    found = []
    for line in (lspci_nn or "").splitlines():
        match = _LSPCI_NN.match(line.strip())
        if match and match["vendor"].lower() == NVIDIA_VENDOR and match["classid"].startswith("03"):
            found.append((match["slot"], "%s:%s" % (match["vendor"].lower(), match["device"].lower())))
    return found


def nouveau_blacklisted(modprobe_config):
    """Whether ``modprobe --showconfig`` (or the concatenated modprobe.d files) blacklists nouveau."""
    for line in (modprobe_config or "").splitlines():
        words = line.split("#", 1)[0].split()
        if words[:2] == ["blacklist", "nouveau"] or words[:2] == ["install", "nouveau"] and "/bin/false" in words[2:3] + words[-1:]:
            return True
    return False


def headers_candidate(apt_policy):
    """The Candidate of ``apt-cache policy linux-headers-<kernel>`` ("" when apt knows no such package)."""
    match = re.search(r"^\s*Candidate:\s*(\S+)", apt_policy or "", re.MULTILINE)
    return match.group(1) if match else ""


def secure_boot_state(mokutil_output):
    """'enabled', 'disabled' or 'unknown' from ``mokutil --sb-state``."""
    text = (mokutil_output or "").lower()
    if "secureboot enabled" in text:
        return "enabled"
    if "secureboot disabled" in text:
        return "disabled"
    if "efi variables are not supported" in text or "not supported" in text:
        # A BIOS boot: no Secure Boot at all.
        return "disabled"
    return "unknown"


def preflight_problems(host, want, lspci_nn, modules, modprobe_config, kernel, headers_candidate, mokutil_output,
                       skip=()):
    """Every problem of one GPU node's guest, naming the host and the missing piece.

    want: len(node_gpu_devices); modules: /proc/modules text (None when the
    kernel has no loadable modules, as in a container); headers_candidate:
    ``apt-cache policy linux-headers-<kernel>``'s Candidate ("" or "(none)": none);
    skip: names of GUEST_CHECKS not to judge (gpu_operator_skip_checks, whose
    reasons the role prints on every run).
    """
    problems = []
    devices = nvidia_devices(lspci_nn)
    if "devices" in skip:
        pass
    elif lspci_nn is None:
        problems.append("%s: lspci could not run, so the passed-through GPUs cannot be counted: install pciutils "
                        "(node prep does on gpu_nodes)" % host)
    elif len(devices) != want:
        problems.append("%s: lspci shows %d NVIDIA GPU(s) (vendor %s%s), node_gpu_devices lists %d; check the Hyper-V "
                        "DDA assignment (roles/hyperv_vm) or the inventory"
                        % (host, len(devices), NVIDIA_VENDOR, ": " + ", ".join(s for s, _d in devices) if devices else "", want))
    if "nouveau" in skip:
        pass
    elif modprobe_config is None:
        problems.append("%s: modprobe --showconfig could not run, so the nouveau blacklist cannot be read: install kmod "
                        "(node prep does on gpu_nodes)" % host)
    elif not nouveau_blacklisted(modprobe_config):
        problems.append("%s: nouveau is not blacklisted (no 'blacklist nouveau' in modprobe's configuration); node prep "
                        "(roles/node_base) writes /etc/modprobe.d/mlp-nouveau.conf" % host)
    if "nouveau" not in skip and modules is not None and re.search(r"^nouveau\s", modules, re.MULTILINE):
        problems.append("%s: the nouveau module is loaded; it holds the GPUs the NVIDIA driver needs: reboot the node "
                        "after node prep blacklisted it (and the initramfs is rebuilt)" % host)
    candidate = (headers_candidate or "").strip()
    if "headers" not in skip and (not candidate or candidate == "(none)"):
        problems.append("%s: no linux-headers-%s in the apt sources: the driver container builds its module against "
                        "them; boot a kernel the archive (or the Nexus apt proxy) still carries headers for" % (host, kernel))
    state = "skipped" if "secure_boot" in skip else secure_boot_state(mokutil_output)
    if state == "enabled":
        problems.append("%s: Secure Boot is enabled, and the driver container's module is unsigned: turn Secure Boot off "
                        "in the VM (Set-VMFirmware -EnableSecureBoot Off) or sign the module" % host)
    elif state == "unknown":
        problems.append("%s: Secure Boot state unknown (mokutil --sb-state said %r); install mokutil and check"
                        % (host, (mokutil_output or "").strip()[:80]))
    return problems


# --------------------------------------------------------------------------
# The CUDA sample pod: one per GPU node, run to completion
# --------------------------------------------------------------------------

SAMPLE_APP = "mlp-cuda-sample"
SAMPLE_PASSED = "Test PASSED"


def cuda_sample_pod(node, image, namespace):
    """The vectorAdd sample's Pod for one node: pinned to it, asking for one GPU, never restarted."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            # A new name each run: a pod left by an interrupted run never blocks this one.
            "generateName": "%s-%s-" % (SAMPLE_APP, node),
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": SAMPLE_APP, "app.kubernetes.io/managed-by": "mlplatform-validate",
                       "mlplatform.io/gpu-node": node},
        },
        "spec": {
            "restartPolicy": "Never",
            "nodeSelector": {"kubernetes.io/hostname": node},
            # The taint NVIDIA's docs and the operator's own operands tolerate on GPU nodes.
            "tolerations": [{"key": RESOURCE, "operator": "Exists", "effect": "NoSchedule"}],
            "automountServiceAccountToken": False,
            "containers": [{"name": "cuda-sample", "image": image, "resources": {"limits": {RESOURCE: 1}}}],
        },
    }


def _tail(log, lines=5):
    text = [line.strip() for line in (log or "").splitlines() if line.strip()]
    return " | ".join(text[-lines:]) if text else "(empty)"


def _waiting(pod):
    """Why a pod is not running yet: the scheduler's condition, else its container's waiting reason."""
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") != "True":
            return "not scheduled: %s" % ": ".join(x for x in (cond.get("reason"), cond.get("message")) if x)
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting")
        if waiting:
            return "container %s waiting: %s" % (container.get("name"), ": ".join(
                x for x in (waiting.get("reason"), waiting.get("message")) if x))
    return "scheduled, no container started"


def _terminated(pod):
    for container in (pod.get("status") or {}).get("containerStatuses") or []:
        ended = (container.get("state") or {}).get("terminated")
        if ended:
            return "exit code %s%s" % (ended.get("exitCode"), ", " + ended["reason"] if ended.get("reason") else "")
    return "no container status"


def cuda_sample_verdict(node, pod, log, waited=None):
    """(finished, problem or None) for one node's sample pod.

    log: the container's log once the pod ended (None: not readable);
    waited: seconds, when the wait is over (an unfinished pod is then a
    problem naming its phase and why).
    """
    if pod is None:
        return True, "%s: the CUDA sample pod is gone before it finished (deleted by someone else?); run validate again" % node
    name = _name(pod)
    phase = (pod.get("status") or {}).get("phase") or "no phase"
    if phase == "Succeeded":
        if log is not None and SAMPLE_PASSED in log:
            return True, None
        return True, ("%s: the CUDA sample pod %s Succeeded but its log has no %r (log: %s); the GPU did not compute "
                      "the sample's result" % (node, name, SAMPLE_PASSED, "not readable" if log is None else _tail(log)))
    if phase == "Failed":
        shown = "not readable" if log is None else _tail(log)
        return True, ("%s: the CUDA sample pod %s Failed (%s), log: %s; check the driver and the toolkit on the node "
                      "(kubectl -n gpu-operator get pods -o wide)" % (node, name, _terminated(pod), shown))
    if waited is None:
        return False, None
    if phase == "Pending":
        found = "Pending, %s" % _waiting(pod)
    elif phase == "Running":
        found = "Running, never Succeeded (the sample ends within seconds on a working GPU)"
    else:
        found = phase
    return True, "%s: the CUDA sample pod %s is still %s after %ds" % (node, name, found, waited)


def cuda_sample_run(nodes, create, read_pod, read_log, timeout, poll_interval, clock, sleep):
    """Problems of the CUDA sample, one pod per node run to completion (or the timeout).

    create(node) -> the created pod's name; read_pod(name) -> the Pod (None:
    gone); read_log(name) -> its log (None: not readable). The caller deletes
    the pods afterwards.
    """
    names = {node: create(node) for node in sorted(nodes)}
    started = clock()
    verdicts, last = {}, {}
    while True:
        for node, name in names.items():
            if node in verdicts:
                continue
            last[node] = pod = read_pod(name)
            phase = ((pod or {}).get("status") or {}).get("phase")
            if pod is None or phase in ("Succeeded", "Failed"):
                verdicts[node] = cuda_sample_verdict(node, pod, read_log(name) if pod else None)[1]
        waited = clock() - started
        if len(verdicts) == len(names) or waited >= timeout:
            break
        sleep(min(poll_interval, max(timeout - waited, 0.1)))
    for node in names:
        if node not in verdicts:
            verdicts[node] = cuda_sample_verdict(node, last.get(node), None, waited=timeout)[1]
    return [verdicts[node] for node in sorted(verdicts) if verdicts[node]]


# --------------------------------------------------------------------------
# The whole check, with the API reads and the clock passed in
# --------------------------------------------------------------------------


def check(read_policy, read_nodes, expected, driver, wait_timeout, poll_interval, clock, sleep, skip=()):
    """{ready, state, problems, waited}: the ClusterPolicy waited for up to wait_timeout, then the Nodes.

    read_policy() -> the ClusterPolicy (None: absent); read_nodes() -> Node
    objects; clock() -> seconds; sleep(seconds). The action plugin passes the
    API and time; tests pass fakes. skip: VALIDATE_CHECKS not to run (the
    caller prints their reasons); the CUDA sample is cuda_sample_run.
    """
    started = clock()
    ready, state, problems = None, "ClusterPolicy not checked (gpu_operator_skip_checks)", []
    if "cluster_policy" not in skip:
        while True:
            ready, state = cluster_policy_state(read_policy())
            waited = clock() - started
            if ready or waited >= wait_timeout:
                break
            sleep(min(poll_interval, max(wait_timeout - waited, 0.1)))
        problems = [] if ready else ["%s, not ready after %ds" % (state, wait_timeout)]
    if "allocatable" not in skip or "driver" not in skip:
        problems += node_problems(read_nodes(), expected, None if "driver" in skip else driver,
                                  check_allocatable="allocatable" not in skip)
    return {"ready": ready, "state": state, "problems": problems, "waited": round(clock() - started, 1)}
