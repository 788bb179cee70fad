# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Controller-side action: asks the live API, through the admin kubeconfig on
# the controller, whether every pod a drain of the given nodes would evict may
# be evicted now (dry-run evictions: nothing is cordoned, evicted or changed).
# The kubernetes Python client is in the controller's venv (kubernetes.core
# needs it too); the meaning of each answer is module_utils/pdb_check.py.
# Documentation: plugins/modules/pdb_check.py.

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mlplatform.installer.plugins.module_utils import pdb_check


def _client(kubeconfig):
    try:
        from kubernetes import config
    except ImportError as exc:
        raise AnsibleActionFail("pdb_check needs the kubernetes Python client on the controller (pip install "
                                "kubernetes, as requirements.txt pins it): %s" % exc)
    return config.new_client_from_config(config_file=kubeconfig)


def request(api, method, path, query=(), body=None, timeout=30):
    """(HTTP status, the API's own JSON) of one request; a refusal (429, 500) is an answer, not an exception."""
    method, url, headers, body, post = api.param_serialize(
        method, path, query_params=list(query), body=body,
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=headers, body=body, post_params=post, _request_timeout=timeout)
    return response.status, json.loads(response.read() or b"{}")


def evict_dry_run(api, pod, timeout=30):
    """POST an Eviction with dryRun=All (query and deleteOptions, as `kubectl drain --dry-run=server`)."""
    meta = pod["metadata"]
    body = {"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "deleteOptions": {"dryRun": ["All"]}}
    return request(api, "POST", "/api/v1/namespaces/%s/pods/%s/eviction" % (meta["namespace"], meta["name"]),
                   [("dryRun", "All")], body, timeout)


def _items(api, path, query, timeout):
    code, data = request(api, "GET", path, query, timeout=timeout)
    if code != 200:
        raise RuntimeError("GET %s answered HTTP %s: %s" % (path, code, data.get("message", data)))
    return data.get("items") or []


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _status, args = self.validate_argument_spec(
            argument_spec=dict(
                kubeconfig=dict(type="path", required=True),
                nodes=dict(type="list", elements="str", required=True),
                fail_on_block=dict(type="bool", default=True),
                timeout=dict(type="int", default=30),
            )
        )
        api = _client(args["kubeconfig"])
        try:
            pdbs = _items(api, "/apis/policy/v1/poddisruptionbudgets", [], args["timeout"])
            verdicts, skipped = [], []
            for node in args["nodes"]:
                pods = _items(api, "/api/v1/pods", [("fieldSelector", "spec.nodeName=%s" % node)], args["timeout"])
                evict, left = pdb_check.pods_to_evict(pods)
                skipped.extend(dict(entry, node=node) for entry in left)
                for pod in evict:
                    code, body = evict_dry_run(api, pod, args["timeout"])
                    verdicts.append(pdb_check.eviction_verdict(node, pod, code, body, pdbs))
        except Exception as exc:  # the client raises urllib3, ApiException and OS errors alike
            raise AnsibleActionFail("pdb_check could not ask the API through %s: %s. Fix: make the API answer "
                                    "through that kubeconfig (playbooks/kubernetes.yml fetches it), then run again"
                                    % (args["kubeconfig"], exc))
        finally:
            api.close()

        refusals = pdb_check.blocked_lines(verdicts)
        result.update(
            changed=False,
            verdicts=verdicts,
            skipped=skipped,
            blocked=[v for v in verdicts if v["verdict"] != "allowed"],
            refusals=refusals,
            warnings_pressure=pdb_check.budget_pressure(verdicts),
            msg=pdb_check.summary(args["nodes"], verdicts, skipped) + ("; " + " ".join(refusals) if refusals else ""),
        )
        if refusals and args["fail_on_block"]:
            result["failed"] = True
        return result
