#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kubeflow_build
short_description: Build Kubeflow's manifests for the perimeter, stage by stage
description:
  - Checks that O(kustomize) is the version the release is built with (O(kustomize_version)) and that every path of
    O(stages) is a kustomization in O(manifests).
  - Copies O(manifests) to O(dest)/tree and points every remote base its kustomizations name at the mirrored copy
    O(remote_bases) gives; a remote base that is not mirrored fails the task, naming each, before anything is built.
  - Runs C(kustomize build) on every path of every stage, moves every image to O(mirror_registry) (pod specs, and
    the image references inside strings), and fails naming each image whose registry the mirror does not proxy.
  - Fails, naming the Secret and key (never the value), when the build still holds a credential of
    O(default_credentials), unless O(accept_default_credentials).
  - "Writes O(dest)/NN-<name>.yaml (mode 0600) in apply order: the Namespaces and the CustomResourceDefinitions of
    every stage first, then per stage its Secrets (a file of their own, applied with no_log) and its other objects;
    and O(dest)/images.txt, the mirrored images to seed."
  - "Reports changed when a written file differs from what was there. Runs on the controller
    (C(delegate_to: localhost)); it never reaches the cluster or the network."
options:
  manifests:
    description: A local copy of kubeflow/manifests at the release's tag.
    type: path
    required: true
  remote_bases:
    description:
      - The mirrored copies of the remote bases, by key C(<host>/<org>/<repo>@<ref>) (a checkout of that
        repository at that ref) or, for a remote file, its URL (a local copy of the file).
    type: dict
    default: {}
  stages:
    description: The stages in apply order, each a C(name) and the C(paths) (kustomizations) it builds.
    type: list
    elements: dict
    required: true
  kustomize:
    description: The kustomize binary.
    type: path
    required: true
  kustomize_version:
    description: The version C(kustomize version) must print (cluster_release.kustomize, e.g. C(5.8.1); a leading v is ignored).
    type: str
    required: true
  mirror_registry:
    description: The mirror's registry (C(host:port)); images become C(<mirror_registry>/<upstream path>). Empty, images are kept.
    type: str
    default: ""
  mirror_registries:
    description: The upstream registries the mirror proxies (cluster_mirror.registries).
    type: list
    elements: str
    default: []
  default_credentials:
    description:
      - The credentials the release's public manifests ship (C(secret) C(<ns>/<name>), C(key), C(sha256) of the
        value), from the release's install data; a build still holding one fails, naming the Secret and key.
    type: list
    elements: dict
    default: []
  accept_default_credentials:
    description: Apply a build that holds upstream's public credentials anyway (a lab), with a warning.
    type: bool
    default: false
  dest:
    description: The build directory on the controller (replaced on every run).
    type: path
    required: true
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Build Kubeflow 26.03 with the mirror's images
  mlplatform.installer.kubeflow_build:
    manifests: /srv/mirror/kubeflow-manifests-26.03
    remote_bases:
      github.com/argoproj/argo-workflows@v3.7.3: /srv/mirror/argo-workflows-v3.7.3
    stages: [{name: cert-manager, paths: [common/cert-manager/overlays/kubeflow]}]
    kustomize: /usr/local/bin/kustomize
    kustomize_version: 5.8.1
    mirror_registry: nexus01.dc1.example.com:8443
    mirror_registries: [docker.io, ghcr.io, quay.io, gcr.io, registry.k8s.io]
    dest: /srv/ansible/inventories/prod/artifacts/kubeflow
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
stages:
  description: The files written, in apply order.
  returned: success
  type: list
  elements: dict
  contains:
    name: {description: "C(namespaces), C(crds), then per stage C(<stage>-secrets) and C(<stage>).", type: str}
    file: {description: Path of its manifest., type: str}
    objects: {description: Number of objects., type: int}
    wait: {description: "What to wait for: C(none), C(established) (CRDs) or C(ready) (workloads).", type: str}
    secrets: {description: The file holds Secrets (apply it with no_log)., type: bool}
    workloads: {description: "Deployments, StatefulSets and DaemonSets, as Kind/namespace/name.", type: list}
images:
  description: Every image moved, upstream reference to mirrored (with no mirror, upstream to itself).
  returned: success
  type: dict
remote:
  description: The remote bases replaced, as [url, local path].
  returned: success
  type: list
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mlplatform.installer.plugins.module_utils import kubeflow_manifests as km

try:
    import yaml
    # libyaml when PyYAML has it: the CRDs alone are 12 MB at 26.03.
    _LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)


def localize_tree(tree, paths, remote_bases):
    """Rewrite the kustomizations the builds of paths read, in the work copy: ([url, path] replaced, [problems])."""
    replaced, problems = [], []
    for rel in km.reachable(tree, paths, _load):
        path = os.path.join(tree, rel)
        data = _load(path)
        if not km.remote_entries(data):
            continue
        new, done, bad = km.localize(data, remote_bases, os.path.dirname(path))
        problems += ["%s: %s" % (rel, p) for p in bad]
        replaced += [[url, local] for url, local in done]
        with open(path, "w", encoding="utf-8") as handle:
            yaml.dump(new, handle, Dumper=_DUMPER, sort_keys=False)
    return replaced, problems


def build(module, tree, stage):
    objects = []
    for rel in stage["paths"]:
        # Mirrored bases live outside the copy; kustomize's default restriction
        # would refuse their files.
        rc, out, err = module.run_command([module.params["kustomize"], "build", "--load-restrictor",
                                           "LoadRestrictionsNone", os.path.join(tree, rel)])
        if rc != 0:
            module.fail_json(msg="kustomize build %s (stage %s) failed: %s" % (rel, stage["name"], err.strip()[-2000:]))
        objects += [doc for doc in yaml.load_all(out, Loader=_LOADER) if doc]
    return objects


def write(path, text):
    """Write when different; True when it changed."""
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)
    return True


def main():
    module = AnsibleModule(argument_spec=dict(
        manifests=dict(type="path", required=True),
        remote_bases=dict(type="dict", default={}),
        stages=dict(type="list", elements="dict", required=True),
        kustomize=dict(type="path", required=True),
        kustomize_version=dict(type="str", required=True),
        mirror_registry=dict(type="str", default=""),
        mirror_registries=dict(type="list", elements="str", default=[]),
        default_credentials=dict(type="list", elements="dict", default=[]),
        accept_default_credentials=dict(type="bool", default=False),
        dest=dict(type="path", required=True),
    ), supports_check_mode=True)
    if yaml is None:
        module.fail_json(msg="PyYAML is missing on the controller")
    p = module.params
    if not os.path.isdir(p["manifests"]):
        module.fail_json(msg="cluster_kubeflow.platform.manifests: %s is not a directory on the controller: copy "
                             "kubeflow/manifests at the release's tag there" % p["manifests"])
    rc, out, err = module.run_command([p["kustomize"], "version"])
    if rc != 0 or out.strip().lstrip("v") != p["kustomize_version"].lstrip("v"):
        printed = (out or err).strip()
        module.fail_json(msg="%s prints %r, and cluster_release.kustomize pins %s: install that version and set "
                             "kubeflow_platform_kustomize to it" % (p["kustomize"], printed, p["kustomize_version"]))
    problems = km.stages_problems(p["stages"], p["manifests"])
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)

    os.makedirs(p["dest"], mode=0o700, exist_ok=True)
    tree = os.path.join(p["dest"], "tree")
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(p["manifests"], tree, ignore=shutil.ignore_patterns(".git"), symlinks=True)
    remote, problems = localize_tree(tree, [path for stage in p["stages"] for path in stage["paths"]],
                                     p["remote_bases"])
    if problems:
        module.fail_json(msg="%d remote bases are not mirrored: %s" % (len(problems), "; ".join(problems)),
                         problems=problems)

    built = [(stage["name"], build(module, tree, stage)) for stage in p["stages"]]
    every = [obj for _name, objects in built for obj in objects]
    rewritten, images, problems = km.rewrite_images(every, p["mirror_registry"], p["mirror_registries"])
    if problems:
        module.fail_json(msg="images the mirror cannot serve: %s" % "; ".join(problems), problems=problems)
    it = iter(rewritten)  # back into their stages, in order
    built = [(name, [next(it) for _obj in objects]) for name, objects in built]

    found = km.default_credentials([obj for _n, objs in built for obj in objs], p["default_credentials"])
    if found and not p["accept_default_credentials"]:
        module.fail_json(msg="the build still holds the credentials Kubeflow's public manifests ship: %s. Change them "
                             "in the manifests copy (kubeflow/manifests README, 'Change default user password', and "
                             "the OIDC client and cookie secrets of common/dex and common/oauth2-proxy); for a lab "
                             "only, set kubeflow_platform_accept_default_credentials: true" % ", ".join(found),
                         default_credentials=found)
    for what in found:
        module.warn("applying upstream's public credential %s (kubeflow_platform_accept_default_credentials)" % what)

    changed, stages = False, []
    files = km.stage_files(built)
    wanted = ["%02d-%s.yaml" % (index, stage["name"]) for index, stage in enumerate(files)]
    for name in os.listdir(p["dest"]):
        if name.endswith(".yaml") and name not in wanted:  # a stage the data no longer has
            os.remove(os.path.join(p["dest"], name))
            changed = True
    for name, stage in zip(wanted, files):
        path = os.path.join(p["dest"], name)
        changed |= write(path, yaml.dump_all(stage["objects"], Dumper=_DUMPER, sort_keys=False))
        stages.append({"name": stage["name"], "file": path, "objects": len(stage["objects"]), "wait": stage["wait"],
                       "secrets": stage["secrets"], "workloads": stage["workloads"]})
    changed |= write(os.path.join(p["dest"], "images.txt"), "".join("%s\n" % ref for ref in sorted(set(images.values()))))
    module.exit_json(changed=changed, stages=stages, images=images, remote=remote)


if __name__ == "__main__":
    main()
