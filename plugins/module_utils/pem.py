# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of a PEM CA bundle file (cluster_ca_bundle): readable, PEM, CA, not expired.

Returns (problem, fix) pairs so the caller names the variable; nothing here
prints a file's content.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
import re

_PEM_CERT_RE = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def ca_bundle_problems(path: str) -> list[tuple[str, str]]:
    """(problem, fix) pairs for a CA bundle file; empty when it is usable."""
    fix_path = "put the corporate CA bundle (PEM) at this path, relative to the inventory directory, or write \"\""
    if not os.path.exists(path):
        return [("the file does not exist (looked for %s)" % path, fix_path)]
    if not os.path.isfile(path):
        return [("is not a regular file (%s)" % path, fix_path)]
    try:
        with open(path, "rb") as handle:
            data = handle.read(8 * 1024 * 1024 + 1)
    except OSError as exc:
        return [("cannot be read: %s" % exc.strerror, "make the file readable by the user running ansible-playbook")]
    if len(data) > 8 * 1024 * 1024:
        return [("is larger than 8 MB, which is not a CA bundle", fix_path)]
    if b"PRIVATE KEY-----" in data:
        return [("contains a PRIVATE KEY; a CA bundle holds only certificates", "remove the key from the file and keep it secret")]
    blocks = _PEM_CERT_RE.findall(data)
    if not blocks:
        if data[:1] == b"\x30":
            return [("is DER, not PEM", "convert it: openssl x509 -inform der -in FILE -out FILE.pem")]
        return [("is not PEM: it has no -----BEGIN CERTIFICATE----- block", fix_path)]
    problems = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for number, block in enumerate(blocks, start=1):
        try:
            der = base64.b64decode(b"".join(block.split()), validate=True)
        except (binascii.Error, ValueError):
            problems.append(("certificate %d of the bundle is not valid base64" % number, "export the certificate again"))
            continue
        problems.extend(_certificate_problems(number, der, now))
    return problems


def _certificate_problems(number: int, der: bytes, now: datetime.datetime) -> list[tuple[str, str]]:
    try:
        from cryptography import x509  # ansible-core depends on it on the controller
    except ImportError:  # pragma: no cover - without it only the PEM armour is checked
        return []
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return [("certificate %d of the bundle is not an X.509 certificate" % number, "export the certificate again")]
    subject = cert.subject.rfc4514_string() or "(empty subject)"
    if cert.not_valid_after_utc < now:
        return [("certificate %d (%s) expired on %s" % (number, subject, cert.not_valid_after_utc.date()),
                 "get the current CA certificate from the PKI team")]
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        return [("certificate %d (%s) is not a CA certificate" % (number, subject),
                 "export the issuing root/intermediate CA, not a server certificate")]
    return []
