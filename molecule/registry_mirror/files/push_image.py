"""Build a one-layer image and push it to a registry with the Registry API v2 (stdlib only).

Usage: push_image.py https://REGISTRY[:PORT] REPOSITORY TAG TEXT

The layer holds one file, /mlp-mirror-proof, with TEXT; every byte is fixed
(file times, gzip header), so the same arguments give the same digests and a
second run pushes nothing. Prints one JSON line: {"changed", "digest"}.
Trusts the system's CA store (the test CA is in it).
"""

import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.request

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:  # nosec B310 - the test's own registry
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def layer(text):
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        content = text.encode()
        info = tarfile.TarInfo("mlp-mirror-proof")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    raw = tar_bytes.getvalue()
    return raw, gzip.compress(raw, mtime=0)


def push_blob(base, repository, data):
    blob = digest(data)
    status, _headers, _body = request("HEAD", "%s/v2/%s/blobs/%s" % (base, repository, blob))
    if status == 200:
        return blob
    status, headers, body = request("POST", "%s/v2/%s/blobs/uploads/" % (base, repository), data=b"")
    if status != 202:
        sys.exit("starting the upload of %s failed: %s %s" % (blob, status, body[:300]))
    location = headers["Location"]
    if location.startswith("/"):
        location = base + location
    separator = "&" if "?" in location else "?"
    status, _headers, body = request("PUT", "%s%sdigest=%s" % (location, separator, blob), data=data,
                                     headers={"Content-Type": "application/octet-stream"})
    if status != 201:
        sys.exit("uploading %s failed: %s %s" % (blob, status, body[:300]))
    return blob


def main():
    base, repository, tag, text = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
    raw, compressed = layer(text)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [digest(raw)]}}, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "size": len(config), "digest": digest(config)},
        "layers": [{"mediaType": LAYER, "size": len(compressed), "digest": digest(compressed)}],
    }, sort_keys=True).encode()
    url = "%s/v2/%s/manifests/%s" % (base, repository, tag)
    status, headers, _body = request("HEAD", url, headers={"Accept": MANIFEST})
    if status == 200 and headers.get("Docker-Content-Digest") == digest(manifest):
        print(json.dumps({"changed": False, "digest": digest(manifest)}))
        return
    push_blob(base, repository, compressed)
    push_blob(base, repository, config)
    status, _headers, body = request("PUT", url, data=manifest, headers={"Content-Type": MANIFEST})
    if status != 201:
        sys.exit("pushing the manifest %s failed: %s %s" % (url, status, body[:300]))
    print(json.dumps({"changed": True, "digest": digest(manifest)}))


if __name__ == "__main__":
    main()
