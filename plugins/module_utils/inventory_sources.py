# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory files read as YAML: defects Ansible merges away silently.

Ansible keeps the last of two equal keys and merges two definitions of one
host, so these defects are only visible in the files themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .cluster_values import Defect, canonical, show


def source_defects(sources: Any, known_hosts: set | None = None) -> list[Defect]:
    """Defects visible only in the YAML inventory files themselves.

    * a key written twice in one mapping (YAML keeps the last one silently);
    * one host name defined in two places with different host variables
      (a copied block not renamed: Ansible merges both into one host).
    """
    defects: list[Defect] = []
    for path in _yaml_sources(sources):
        try:
            duplicates, data = _load_yaml_with_duplicates(path)
        except Exception:  # Ansible has already reported a file it cannot parse
            continue
        label = _display_path(path)
        for key, first, second in duplicates:
            host = key if known_hosts and key in known_hosts else None
            defects.append(Defect(
                "host %s" % host if host else "inventory file",
                "%s line %d" % (label, second), key,
                "repeats the key of line %d in the same mapping; YAML keeps only the last one, so the first is lost" % first,
                "rename one of the two entries (every VM needs its own name) or delete the duplicate"))
        definitions: dict = {}
        if isinstance(data, Mapping):
            for group, body in data.items():
                _collect_host_definitions(str(group), body, definitions, 0)
        for host, entries in definitions.items():
            for index, (group, host_vars) in enumerate(entries):
                for other_group, other_vars in entries[:index]:
                    differ = [n for n in host_vars if n in other_vars and canonical(other_vars[n]) != canonical(host_vars[n])]
                    if not differ:
                        continue
                    name = differ[0]
                    defects.append(Defect(
                        "host %s" % host, name, host_vars[name],
                        "%s defines host %s under %s and again under %s with other values (%s = %s under %s%s); "
                        "Ansible merges both into one host and silently keeps one value of each"
                        % (label, host, other_group, group, name, show(other_vars[name]), other_group,
                           ", and %s differ too" % ", ".join(differ[1:]) if differ[1:] else ""),
                        "give the second VM its own name, or remove the duplicate definition"))
                    break
    return defects


def _yaml_sources(sources: Any) -> list[str]:
    files: list[str] = []
    for source in sources if isinstance(sources, (list, tuple)) else []:
        if not isinstance(source, str):
            continue
        if os.path.isdir(source):
            for name in sorted(os.listdir(source)):
                full = os.path.join(source, name)
                if os.path.isfile(full) and name.endswith((".yml", ".yaml")) and not name.startswith("."):
                    files.append(full)
        elif os.path.isfile(source) and source.endswith((".yml", ".yaml")):
            files.append(source)
    return files


def _display_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _load_yaml_with_duplicates(path: str) -> tuple[list, Any]:
    import yaml  # PyYAML, an ansible-core dependency; only the controller runs this

    duplicates: list = []

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                duplicates.append((key, seen[key], line))
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def construct_tagged(loader, _suffix, node):  # !unsafe, !vault: keep the text
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return construct_mapping(loader, node, deep=True)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_multi_constructor("!", construct_tagged)
    with open(path, "rb") as handle:
        data = yaml.load(handle, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    return duplicates, data


def _collect_host_definitions(group: str, body: Any, definitions: dict, depth: int) -> None:
    if depth > 50 or not isinstance(body, Mapping):
        return
    hosts = body.get("hosts")
    if isinstance(hosts, Mapping):
        for host, host_vars in hosts.items():
            if isinstance(host_vars, Mapping) and host_vars:
                definitions.setdefault(str(host), []).append((group, dict(host_vars)))
    children = body.get("children")
    if isinstance(children, Mapping):
        for child, child_body in children.items():
            _collect_host_definitions(str(child), child_body, definitions, depth + 1)
