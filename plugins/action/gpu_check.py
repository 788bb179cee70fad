# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Controller-side action: the GPU layer's post-install checks against the live
# API through the admin kubeconfig: the ClusterPolicy ready (waited for, up to
# a timeout), allocatable nvidia.com/gpu on every GPU Node equal to its
# node_gpu_devices, the driver version GPU feature discovery labelled equal to
# the bundle's. The meaning of each answer is module_utils/gpu_validation.py.
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


def request(api, path, timeout):
    """(HTTP status, JSON body or {}) of a GET; a 404 for a resource the API does not serve has a text body."""
    method, url, headers, body, post = api.param_serialize(
        "GET", path, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=headers, body=body, post_params=post, _request_timeout=timeout)
    raw = response.read() or b"{}"
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, {"message": raw.decode("utf-8", "replace").strip()}


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
            )
        )
        expected = {str(k): int(v) for k, v in args["nodes"].items()}
        api = _client(args["kubeconfig"])

        def read_nodes():
            code, data = request(api, "/api/v1/nodes", args["timeout"])
            if code != 200:
                raise RuntimeError("GET /api/v1/nodes answered HTTP %s: %s" % (code, data.get("message", data)))
            return data.get("items") or []

        try:
            found = gpu_validation.check(lambda: _policy(api, args["cluster_policy"], args["timeout"]), read_nodes, expected,
                                         args.get("driver_version"), args["wait_timeout"], args["poll_interval"],
                                         time.monotonic, time.sleep)
        except Exception as exc:  # the client raises urllib3, ApiException and OS errors alike
            raise AnsibleActionFail("gpu_check could not ask the API through %s: %s. Fix: make the API answer "
                                    "through that kubeconfig (playbooks/kubernetes.yml fetches it), then run again"
                                    % (args["kubeconfig"], exc))
        finally:
            api.close()

        problems = found["problems"]
        result.update(changed=False, msg="; ".join(problems) if problems else
                      "%s; %d GPU node(s) with their GPUs allocatable%s" % (
                          found["state"], len(expected),
                          " and driver %s" % args["driver_version"] if args.get("driver_version") else ""), **found)
        if problems:
            result["failed"] = True
        return result
