# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Controller-side action: the GPU layer's post-install checks against the live
# API through the admin kubeconfig: the ClusterPolicy ready (waited for, up to
# a timeout), allocatable nvidia.com/gpu on every GPU Node equal to its
# node_gpu_devices, the driver version GPU feature discovery labelled equal to
# the bundle's, the CUDA vectorAdd sample run to "Test PASSED" on every GPU
# node (one pod each, removed afterwards). The meaning of each answer is
# module_utils/gpu_validation.py.
# Documentation: plugins/modules/gpu_check.py.

from __future__ import annotations

import json
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mlplatform.installer.plugins.module_utils import gpu_validation

POLICY_PATH = "/apis/nvidia.com/v1/clusterpolicies/%s"


def _client(kubeconfig):
    try:
        from kubernetes import config
    except ImportError as exc:
        raise AnsibleActionFail("gpu_check needs the kubernetes Python client on the controller (pip install "
                                "kubernetes, as requirements.txt pins it): %s" % exc)
    return config.new_client_from_config(config_file=kubeconfig)


def request(api, path, timeout, method="GET", body=None, query=None):
    """(HTTP status, JSON body or {}) of a request; a text body (a 404 for a resource the API does not serve, a
    pod's log) comes back as {"message": text}."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    method, url, headers, body, post = api.param_serialize(
        method, path, query_params=list((query or {}).items()), header_params=headers, body=body,
        auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=headers, body=body, post_params=post, _request_timeout=timeout)
    raw = response.read() or b"{}"
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, {"message": raw.decode("utf-8", "replace").strip()}


def _ok(code, data, what):
    if code >= 300:
        raise RuntimeError("%s answered HTTP %s: %s" % (what, code, data.get("message", data)))
    return data


class _Samples:
    """The CUDA sample's pods through the API (module_utils/gpu_validation.cuda_sample_run drives them)."""

    def __init__(self, api, namespace, image, timeout):
        self.api, self.namespace, self.image, self.timeout = api, namespace, image, timeout
        self.pods = "/api/v1/namespaces/%s/pods" % namespace

    def create(self, node):
        pod = gpu_validation.cuda_sample_pod(node, self.image, self.namespace)
        code, data = request(self.api, self.pods, self.timeout, "POST", body=pod)
        return _ok(code, data, "POST %s (the CUDA sample pod for %s)" % (self.pods, node))["metadata"]["name"]

    def read(self, name):
        code, data = request(self.api, "%s/%s" % (self.pods, name), self.timeout)
        return None if code == 404 else _ok(code, data, "GET %s/%s" % (self.pods, name))

    def log(self, name):
        code, data = request(self.api, "%s/%s/log" % (self.pods, name), self.timeout, query={"tailLines": "50"})
        return data.get("message", "") if code == 200 else None

    def delete_all(self):
        """Remove every sample pod (this run's, and any an interrupted run left)."""
        request(self.api, self.pods, self.timeout, "DELETE",
                query={"labelSelector": "app.kubernetes.io/name=%s" % gpu_validation.SAMPLE_APP})


def _policy(api, name, timeout):
    code, data = request(api, POLICY_PATH % name, timeout)
    if code == 404:
        return None
    if code != 200:
        raise RuntimeError("GET %s answered HTTP %s: %s" % (POLICY_PATH % name, code, data.get("message", data)))
    return data


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _status, args = self.validate_argument_spec(
            argument_spec=dict(
                kubeconfig=dict(type="path", required=True),
                nodes=dict(type="dict", required=True),
                driver_version=dict(type="str"),
                cluster_policy=dict(type="str", default="cluster-policy"),
                wait_timeout=dict(type="int", default=300),
                poll_interval=dict(type="int", default=5),
                timeout=dict(type="int", default=30),
                skip=dict(type="list", elements="str", default=[]),
                cuda_sample_image=dict(type="str"),
                cuda_sample_namespace=dict(type="str", default="gpu-operator"),
                cuda_sample_timeout=dict(type="int", default=300),
            )
        )
        skip = set(args["skip"])
        unknown = sorted(skip - set(gpu_validation.VALIDATE_CHECKS))
        if unknown:
            raise AnsibleActionFail("gpu_check: skip names %s, not among its checks %s"
                                    % (", ".join(unknown), ", ".join(gpu_validation.VALIDATE_CHECKS)))
        # The sample creates pods: never in check mode, which writes nothing.
        run_sample = "cuda_sample" not in skip and not self._task.check_mode
        if run_sample and not args.get("cuda_sample_image"):
            raise AnsibleActionFail("gpu_check needs cuda_sample_image for the CUDA sample check (or cuda_sample in skip)")
        expected = {str(k): int(v) for k, v in args["nodes"].items()}
        api = _client(args["kubeconfig"])

        def read_nodes():
            code, data = request(api, "/api/v1/nodes", args["timeout"])
            if code != 200:
                raise RuntimeError("GET /api/v1/nodes answered HTTP %s: %s" % (code, data.get("message", data)))
            return data.get("items") or []

        samples = _Samples(api, args["cuda_sample_namespace"], args.get("cuda_sample_image"), args["timeout"])
        try:
            found = gpu_validation.check(lambda: _policy(api, args["cluster_policy"], args["timeout"]), read_nodes, expected,
                                         args.get("driver_version"), args["wait_timeout"], args["poll_interval"],
                                         time.monotonic, time.sleep, skip=skip)
            found["cuda_sample"] = "not run (%s)" % ("check mode" if "cuda_sample" not in skip else "skipped")
            if run_sample and expected:
                try:
                    sample_problems = gpu_validation.cuda_sample_run(
                        expected, samples.create, samples.read, samples.log, args["cuda_sample_timeout"],
                        args["poll_interval"], time.monotonic, time.sleep)
                finally:
                    samples.delete_all()
                found["problems"] += sample_problems
                found["cuda_sample"] = "failed" if sample_problems else "passed"
        except Exception as exc:  # the client raises urllib3, ApiException and OS errors alike
            raise AnsibleActionFail("gpu_check could not ask the API through %s: %s. Fix: make the API answer "
                                    "through that kubeconfig (playbooks/kubernetes.yml fetches it), then run again"
                                    % (args["kubeconfig"], exc))
        finally:
            api.close()

        problems = found["problems"]
        passed = ([found["state"]] if "cluster_policy" not in skip else [])
        if "allocatable" not in skip:
            passed.append("%d GPU node(s) with their GPUs allocatable" % len(expected))
        if "driver" not in skip and args.get("driver_version"):
            passed.append("driver %s" % args["driver_version"])
        if found["cuda_sample"] == "passed":
            passed.append("CUDA sample passed on each")
        if skip:
            passed.append("not checked: %s" % ", ".join(sorted(skip)))
        # The sample's pods are created and removed: nothing stays changed.
        result.update(changed=False, msg="; ".join(problems) if problems else "; ".join(passed), **found)
        if problems:
            result["failed"] = True
        return result
