# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubeflow's manifests made installable inside the perimeter, as pure functions.

* :func:`remote_entries` / :func:`localize`: the remote bases a release's
  kustomizations name (``https://github.com/argoproj/argo-workflows/...?ref=v3.7.3``,
  a release's ``manifests.yaml``) are pointed at local copies the site
  mirrored, so ``kustomize build`` reaches nothing outside.
* :func:`rewrite_images`: every image the built objects pull, in pod specs and
  in the strings that carry images (a launcher image in an env value, Istio's
  ``hub``), moved to ``<cluster_mirror.registry>/<upstream path>`` as the
  mirror lays images out; an image from a registry the mirror does not proxy
  is a problem, named before anything is applied.
* :func:`stage_files`: the built objects in apply order: first every
  Namespace and CustomResourceDefinition, then each stage's other objects,
  with the workloads to wait for.

plugins/modules/kubeflow_build.py runs kustomize and calls these.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# The fields of a kustomization whose entries may be remote (bases: the old name).
REMOTE_FIELDS = ("resources", "components", "bases")
REMOTE_VARIABLE = "cluster_kubeflow.platform.remote_bases"
_SCHEME_RE = re.compile(r"^(https?://|ssh://|git::|git@|github\.com/)")
_FILE_SUFFIXES = (".yaml", ".yml", ".json")


class ManifestsError(Exception):
    """A problem with the manifests or their remote bases, naming the fix."""


def is_remote(entry: Any) -> bool:
    return isinstance(entry, str) and bool(_SCHEME_RE.match(entry))


def remote_key(url: str) -> tuple:
    """(key, path inside it) of a remote entry, the key being what remote_bases maps.

    A file (``https://host/.../manifests.yaml`` without ``ref``) is its own key,
    with path "". A git base is ``<host>/<org>/<repo>@<ref>`` and the directory
    inside the repository: kustomize's ``repo//dir?ref=`` form, or on
    github.com ``org/repo/dir?ref=``.
    """
    text = re.sub(r"^git::", "", url)
    if text.startswith("github.com/"):
        text = "https://" + text
    parts = urlsplit(text)
    ref = (parse_qs(parts.query).get("ref") or parse_qs(parts.query).get("version") or [""])[0]
    if not ref and parts.path.endswith(_FILE_SUFFIXES) and "//" not in parts.path:
        return url, ""
    if not ref:
        raise ManifestsError("%s names no ?ref=: a base that is not pinned cannot be mirrored; pin it upstream or in "
                             "a patch of the manifests" % url)
    path = parts.path.lstrip("/")
    if "//" in path:
        repo, _sep, inside = path.partition("//")
    elif parts.hostname == "github.com":
        segments = path.split("/")
        repo, inside = "/".join(segments[:2]), "/".join(segments[2:])
    else:
        raise ManifestsError("%s: cannot tell the repository from the directory; write it as "
                             "<repository>//<directory>?ref=<ref> (kustomize's form)" % url)
    repo = re.sub(r"\.git$", "", repo)
    return "%s/%s@%s" % (parts.hostname, repo, ref), inside.strip("/")


def kustomization_in(directory: str) -> str | None:
    """The kustomization file of a directory, or None."""
    for name in KUSTOMIZATION_FILES:
        if os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


def reachable(root: str, paths: list, load) -> list:
    """The kustomization files the builds of ``paths`` (under root) read, relative to root, sorted.

    Follows the local directories of resources, components and bases; only
    these kustomizations' remote bases matter (a release carries overlays it
    does not build, with remote bases of their own). ``load`` parses a file.
    """
    seen, todo = set(), [os.path.normpath(os.path.join(root, p)) for p in paths]
    while todo:
        directory = todo.pop()
        path = kustomization_in(directory)
        if path is None or path in seen:
            continue
        seen.add(path)
        data = load(path)
        data = data if isinstance(data, dict) else {}
        for field in REMOTE_FIELDS:
            for entry in data.get(field) or []:
                if isinstance(entry, str) and not is_remote(entry):
                    target = os.path.normpath(os.path.join(directory, entry))
                    if os.path.isdir(target):
                        todo.append(target)
    return sorted(os.path.relpath(p, root) for p in seen)


def remote_entries(kustomization: Any) -> list:
    """(field, index, url) of every remote entry of one parsed kustomization."""
    if not isinstance(kustomization, dict):
        return []
    return [(field, index, entry) for field in REMOTE_FIELDS
            for index, entry in enumerate(kustomization.get(field) or []) if is_remote(entry)]


def local_path(url: str, remote_bases: dict) -> str:
    """The mirrored copy of a remote entry, or ManifestsError naming the key to add."""
    key, inside = remote_key(url)
    if key not in remote_bases:
        what = "the file" if not inside and key == url else "a checkout of %s at %s" % tuple(key.rsplit("@", 1))
        raise ManifestsError("%s is not mirrored: add %r: <path of %s on the controller> to %s"
                             % (url, key, what, REMOTE_VARIABLE))
    base = str(remote_bases[key])
    path = os.path.join(base, inside) if inside else base
    if inside and not os.path.isdir(path):
        raise ManifestsError("%s: %s (from %s[%r]) has no directory %s: is it a checkout of %s?"
                             % (url, base, REMOTE_VARIABLE, key, inside, key))
    if not inside and not os.path.isfile(path):
        raise ManifestsError("%s: %s (from %s[%r]) is not a file" % (url, path, REMOTE_VARIABLE, key))
    return os.path.abspath(path)


def localize(kustomization: dict, remote_bases: dict, directory: str) -> tuple:
    """(a copy with every remote entry replaced by its mirrored path, [(url, path)], [problems]).

    The paths are relative to ``directory``, the kustomization's own: kustomize
    refuses an absolute path as a base.
    """
    out = copy.deepcopy(kustomization)
    replaced, problems = [], []
    for field, index, url in remote_entries(kustomization):
        try:
            path = local_path(url, remote_bases)
        except ManifestsError as exc:
            problems.append(str(exc))
            continue
        out[field][index] = os.path.relpath(path, os.path.abspath(directory))
        replaced.append((url, path))
    return out, replaced, problems


# ----------------------------------------------------------------- images

# Registries images are commonly pulled from: a reference to one of these in a
# string is an image, and one the mirror does not proxy is refused.
KNOWN_REGISTRIES = ("docker.io", "registry-1.docker.io", "index.docker.io", "gcr.io", "ghcr.io", "quay.io",
                    "registry.k8s.io", "k8s.gcr.io", "nvcr.io", "public.ecr.aws", "cgr.dev", "mcr.microsoft.com",
                    "us-docker.pkg.dev", "europe-docker.pkg.dev", "asia-docker.pkg.dev", "docker.elastic.co",
                    "registry.gitlab.com")
_DOCKER_HUB = ("docker.io", "registry-1.docker.io", "index.docker.io")
_POD_CONTAINERS = ("containers", "initContainers", "ephemeralContainers")
# A single container (KServe's ClusterStorageContainer spec.container).
_ONE_CONTAINER = "container"
# "image: <ref>" inside embedded YAML (Istio's injection templates), where a
# Docker Hub image may omit docker.io; not a Go template ({{ ... }}).
_EMBEDDED_IMAGE_RE = re.compile(r"(?<![\w.-])(image:[ \t]*[\"']?)([a-z0-9][a-z0-9._/-]*(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?)")


def split_image(ref: str) -> tuple:
    """(registry, path, tail) as docker normalises a reference: ``busybox:1`` is docker.io, library/busybox, ``:1``."""
    name, at, digest = ref.partition("@")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", name
    tail = ""
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, _colon, tag = path.rpartition(":")
        tail = ":" + tag
    if at:
        tail += "@" + digest
    if registry in _DOCKER_HUB:
        registry = "docker.io"
        if "/" not in path:
            path = "library/" + path
    return registry, path, tail


def _token_re(hosts) -> re.Pattern:
    names = "|".join(re.escape(h) for h in sorted(set(hosts), key=len, reverse=True))
    # Not inside a URL or a longer name (https://gcr.io/..., my.gcr.io/...).
    return re.compile(r"(?<![\w./:@-])(?:%s)/[a-z0-9][a-z0-9._/-]*(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?" % names)


class _Rewriter:
    def __init__(self, mirror: str, registries: list):
        self.mirror = mirror.rstrip("/")
        self.registries = set(registries)
        self.token = _token_re(list(KNOWN_REGISTRIES) + list(registries))
        self.images, self.unproxied = {}, {}

    def problems(self) -> list:
        return ["%s, which cluster_mirror.registries does not proxy, serves %d of the images: %s; add %s to "
                "cluster_mirror.registries (the Nexus layer makes its docker proxy) and seed them"
                % (registry, len(found), ", ".join(sorted(set(found))), registry)
                for registry, found in sorted(self.unproxied.items())]

    def image(self, ref: str, where: str) -> str:
        registry, path, tail = split_image(ref)
        if not self.mirror:  # no mirror: images are listed, kept as they are
            self.images[ref] = ref
            return ref
        if registry == self.mirror:
            return ref
        if registry not in self.registries:
            self.unproxied.setdefault(registry, []).append("%s (%s)" % (ref, where))
            return ref
        new = "%s/%s%s" % (self.mirror, path, tail)
        self.images[ref] = new
        return new

    def text(self, value: str, where: str) -> str:
        value = self.token.sub(lambda m: self.image(m.group(0), where), value)
        if "\n" not in value:
            return value
        return _EMBEDDED_IMAGE_RE.sub(lambda m: m.group(1) + self.image(m.group(2), where), value)

    def walk(self, node: Any, where: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k in _POD_CONTAINERS and isinstance(v, list):
                    out[k] = [self.container(c, where) for c in v]
                elif k == _ONE_CONTAINER and isinstance(v, dict):
                    out[k] = self.container(v, where)
                else:
                    out[k] = self.walk(v, where)
            return out
        if isinstance(node, list):
            return [self.walk(v, where) for v in node]
        if isinstance(node, str):
            return self.text(node, where)
        return node

    def container(self, container: Any, where: str) -> Any:
        if not isinstance(container, dict):
            return container
        out = self.walk({k: v for k, v in container.items() if k != "image"}, where)
        image = container.get("image")
        if "image" in container:
            # A pod spec's image may omit docker.io: normalised here, and only here.
            out["image"] = self.image(image, "%s container %s" % (where, container.get("name"))) \
                if isinstance(image, str) else image
        return {k: out[k] for k in container}


def identity(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return "%s/%s%s" % (obj.get("kind"), namespace + "/" if namespace else "", meta.get("name"))


def rewrite_images(objects: list, mirror: str, registries: list) -> tuple:
    """(objects with every image on the mirror, {upstream: mirrored}, [problems]).

    With no mirror ("") nothing is moved and every image maps to itself.

    CustomResourceDefinitions are left as they are (their schemas only
    describe images); so is every object's metadata (labels, annotations).
    """
    rewriter = _Rewriter(mirror, registries)
    out = []
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("kind") == "CustomResourceDefinition":
            out.append(obj)
            continue
        body = rewriter.walk({k: v for k, v in obj.items() if k != "metadata"}, identity(obj))
        out.append({k: (obj[k] if k == "metadata" else body[k]) for k in obj})
    return out, dict(sorted(rewriter.images.items())), rewriter.problems()


# ----------------------------------------------------------------- stages

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# Set on every Namespace of the build. A Namespace with no field of its own
# (upstream's auth, oauth2-proxy...) gives server-side apply nothing to own:
# the API server then records its own label under "before-first-apply" on
# the second apply, a change on a run that changes nothing.
NAMESPACE_LABELS = {"app.kubernetes.io/managed-by": "mlplatform-installer"}


def stage_files(stages: list) -> list:
    """[{name, objects, wait, secrets}] in apply order.

    ``stages`` is [(name, objects)] as built. Every stage's Namespaces, then
    its CRDs (wait "established"), go first, so that later stages' custom
    resources have their kinds and every namespaced object its namespace.
    Each stage's Secrets are a file of their own (``secrets``: applied with
    no_log), before the stage's other objects (wait "ready": its workloads).
    Namespaces get NAMESPACE_LABELS.
    An object built by two stages is applied once, by the first.
    """
    seen, namespaces, crds, rest = set(), [], [], []
    for name, objects in stages:
        secrets, others = [], []
        for obj in objects:
            key = identity(obj)
            if key in seen:
                continue
            seen.add(key)
            kind = obj.get("kind")
            if kind == "Namespace":
                obj = copy.deepcopy(obj)
                obj["metadata"]["labels"] = dict(obj["metadata"].get("labels") or {}, **NAMESPACE_LABELS)
            {"Namespace": namespaces, "CustomResourceDefinition": crds, "Secret": secrets}.get(kind, others).append(obj)
        if secrets:
            rest.append({"name": name + "-secrets", "objects": secrets, "wait": "none", "secrets": True})
        rest.append({"name": name, "objects": others, "wait": "ready", "secrets": False,
                     "workloads": [identity(o) for o in others if o.get("kind") in WORKLOAD_KINDS]})
    out = [{"name": "namespaces", "objects": namespaces, "wait": "none", "secrets": False},
           {"name": "crds", "objects": crds, "wait": "established", "secrets": False}] + rest
    for stage in out:
        stage.setdefault("workloads", [])
    return [stage for stage in out if stage["objects"]]


def default_credentials(objects: list, known: list) -> list:
    """The known upstream credentials still in the build, as "Secret/ns/name key" (never the value).

    ``known`` is [{secret: "<ns>/<name>", key, sha256}] from the release's
    install data: values anyone can read in the public manifests.
    """
    found = []
    secrets = [o for o in objects if isinstance(o, dict) and o.get("kind") == "Secret"]
    for entry in known or []:
        # A generated Secret carries kustomize's hash suffix (name-<10 chars>).
        pattern = re.compile(re.escape(str(entry.get("secret"))) + r"(-[a-z0-9]{10})?")
        for obj in secrets:
            if pattern.fullmatch(identity(obj)[len("Secret/"):]) and _value(obj, entry.get("key")) is not None \
                    and hashlib.sha256(_value(obj, entry["key"]).encode("utf-8")).hexdigest() == entry.get("sha256"):
                found.append("%s %s" % (identity(obj), entry["key"]))
    return found


def _value(secret: dict, key: Any) -> str | None:
    """A Secret's value for key, from stringData or (base64) data; None when absent or unreadable."""
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key])
    try:
        return base64.b64decode(secret["data"][key]).decode("utf-8")
    except (KeyError, TypeError, ValueError):
        return None


def stages_problems(value: Any, manifests: str) -> list:
    """Problems of an install data file's stages against a manifests copy (each names the file's key)."""
    if not isinstance(value, list) or not value:
        return ["stages must be a non-empty list of {name, paths}"]
    out, names = [], set()
    for index, stage in enumerate(value):
        if not isinstance(stage, dict) or not isinstance(stage.get("name"), str) or not isinstance(stage.get("paths"), list):
            out.append("stages[%d] must be a mapping with name and paths" % index)
            continue
        if stage["name"] in names or stage["name"] in ("namespaces", "crds") or stage["name"].endswith("-secrets"):
            out.append("stages[%d].name %r is used twice, or is a name the build gives its own files"
                       % (index, stage["name"]))
        names.add(stage["name"])
        for path in stage["paths"]:
            full = os.path.join(manifests, str(path))
            if not any(os.path.isfile(os.path.join(full, f)) for f in KUSTOMIZATION_FILES):
                out.append("stages[%d] (%s): %s has no kustomization in %s: is the copy at the release's tag?"
                           % (index, stage["name"], path, manifests))
    return out
