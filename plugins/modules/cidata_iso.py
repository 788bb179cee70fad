#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pack cloud-init NoCloud seed files into a `cidata` ISO (controller side)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cidata_iso
short_description: Pack cloud-init seed files into a NoCloud cidata ISO
description:
  - "Builds an ISO 9660 image with Joliet and Rock Ridge names, volume label C(cidata), holding the given files at
    its root (C(meta-data), C(user-data), C(network-config)): what cloud-init's NoCloud datasource reads from a
    VM's DVD."
  - "Idempotent by content: an existing ISO with the same label and the same files byte for byte is left alone, so
    the image is rewritten only when a seed file changed."
  - Written atomically (temporary file, then rename) with pycdlib, a pure-Python library; no mount is needed.
options:
  path:
    description: The ISO to write.
    type: path
    required: true
  files:
    description:
      - Map of the name on the ISO (lowercase, with dashes) to its content (text).
      - Content, not paths, so that check mode compares what would be packed, not what an earlier run left.
    type: dict
    required: true
  files_dir:
    description:
      - "Also write each file there (created if missing), byte for byte as on the ISO: for people to read, and for
        a machine that takes a NoCloud seed directory instead of an ISO."
      - Omit to write the ISO only.
    type: path
  label:
    description: Volume label; NoCloud looks for C(cidata).
    type: str
    default: cidata
  mode:
    description: Permissions of the ISO.
    type: str
    default: "0644"
requirements:
  - pycdlib (PyPI) in the Python that runs the module on the controller
attributes:
  check_mode:
    description: Can run in check mode and return the changed status prediction without modifying the target.
    support: full
author:
  - ML platform team (@mlplatform)
"""

EXAMPLES = r"""
- name: Pack the seed
  mlplatform.installer.cidata_iso:
    path: /srv/seeds/cp01/cidata.iso
    files_dir: /srv/seeds/cp01
    files:
      meta-data: "{{ lookup('ansible.builtin.template', 'meta-data.j2') }}"
      user-data: "{{ lookup('ansible.builtin.template', 'user-data.j2') }}"
      network-config: "{{ lookup('ansible.builtin.template', 'network-config.j2') }}"
"""

RETURN = r"""
content_sha256:
  description: SHA-256 over the label and every file name and content; names the ISO on the Hyper-V host.
  returned: always
  type: str
files:
  description: Names on the ISO.
  returned: always
  type: list
  elements: str
written:
  description: What was (or in check mode would be) rewritten, the ISO and plain files.
  returned: always
  type: list
  elements: path
"""

import hashlib
import io
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import pycdlib

    HAS_PYCDLIB = True
    PYCDLIB_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_PYCDLIB = False
    PYCDLIB_ERROR = exc

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def content_hash(label, files):
    """Hash of what the ISO holds, independent of pycdlib's timestamps."""
    digest = hashlib.sha256()
    digest.update(label.encode() + b"\0")
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def iso9660_name(name, index):
    """A level-1 ISO 9660 name; Joliet and Rock Ridge carry the real one."""
    stem = re.sub(r"[^A-Z0-9]", "", name.upper())[:6] or "FILE"
    return "/%s%02d.;1" % (stem, index)


def read_iso(path):
    """(label, {name: bytes}) of an existing ISO, or None if unreadable."""
    iso = pycdlib.PyCdlib()
    try:
        iso.open(path)
    except (pycdlib.pycdlibexception.PyCdlibException, OSError):
        return None
    try:
        label = iso.pvd.volume_identifier.decode("ascii", "replace").strip()
        files = {}
        for child in iso.list_children(joliet_path="/"):
            if child.is_dot() or child.is_dotdot() or child.is_dir():
                continue
            name = child.file_identifier().decode("utf-16_be")
            buf = io.BytesIO()
            iso.get_file_from_iso_fp(buf, joliet_path="/" + name)
            files[name] = buf.getvalue()
        return label, files
    except (pycdlib.pycdlibexception.PyCdlibException, UnicodeDecodeError):
        return None
    finally:
        iso.close()


def write_atomic(path, data, mode):
    """Write bytes to path through a temporary file in the same folder."""
    folder = os.path.dirname(path) or "."
    handle, tmp = tempfile.mkstemp(prefix=".cidata-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def file_differs(path, data, mode):
    if not os.path.isfile(path):
        return True
    if (os.stat(path).st_mode & 0o7777) != mode:
        return True
    with open(path, "rb") as handle:
        return handle.read() != data


def write_iso(path, label, files, mode):
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=label)
    for index, name in enumerate(sorted(files)):
        data = files[name]
        iso.add_fp(io.BytesIO(data), len(data), iso9660_name(name, index),
                   rr_name=name, joliet_path="/" + name)
    image = io.BytesIO()
    iso.write_fp(image)
    iso.close()
    write_atomic(path, image.getvalue(), mode)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "files": {"type": "dict", "required": True},
            "files_dir": {"type": "path"},
            "label": {"type": "str", "default": "cidata"},
            "mode": {"type": "str", "default": "0644"},
        },
        supports_check_mode=True,
    )
    if not HAS_PYCDLIB:
        module.fail_json(msg=missing_required_lib("pycdlib"), exception=str(PYCDLIB_ERROR))
    path, label = module.params["path"], module.params["label"]
    try:
        mode = int(module.params["mode"], 8)
    except ValueError:
        module.fail_json(msg="mode %r is not an octal mode such as 0644" % module.params["mode"])

    files = {}
    for name, content in sorted(module.params["files"].items()):
        if not _NAME.match(name):
            module.fail_json(msg="file name %r on the ISO: use lowercase letters, digits, '.', '-', '_'" % name)
        if not isinstance(content, str):
            module.fail_json(msg="content of %s must be text, got %s" % (name, type(content).__name__))
        files[name] = content.encode("utf-8")

    digest = content_hash(label, files)
    written = []
    files_dir = module.params["files_dir"]
    if files_dir:
        for name in sorted(files):
            target = os.path.join(files_dir, name)
            if file_differs(target, files[name], mode):
                written.append(target)
                if not module.check_mode:
                    os.makedirs(files_dir, mode=0o755, exist_ok=True)
                    write_atomic(target, files[name], mode)
    current = read_iso(path) if os.path.exists(path) else None
    if current != (label, files) or (os.stat(path).st_mode & 0o7777) != mode:
        written.append(path)
        if not module.check_mode:
            os.makedirs(os.path.dirname(path) or ".", mode=0o755, exist_ok=True)
            write_iso(path, label, files, mode)
    module.exit_json(changed=bool(written), content_sha256=digest, files=sorted(files), written=written)


if __name__ == "__main__":
    main()
