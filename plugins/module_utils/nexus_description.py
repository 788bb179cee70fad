# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cluster_nexus: the Nexus layer's keys in the cluster description, and the edition's usage limits.

Pure functions: the validation (cluster_rules_global.py hooks
``cluster_nexus_problems`` in) returns problem strings, each naming the key
and the fix; ``usage_limits`` says what the pinned version's edition allows,
for roles/nexus's preflight warning.
"""

from __future__ import annotations

import re

NEXUS_KEYS = {
    "download_url": "the http(s) URL of the pinned version's archive (files mirror or Sonatype's download URL)",
    "sha256": "that archive's sha256 (64 lowercase hex digits)",
    "http_port": "Nexus's HTTP port (1024-65535, default 8081; bound to loopback unless nexus_http_host says otherwise)",
    "https_port": "Nexus's HTTPS port (1024-65535, default 8443; used when nexus_tls_cert is set)",
    "anonymous": "anonymous read access, true or false (default false)",
    "accept_eula": "accept the Community Edition EULA through the API, true or false (default false)",
    "jvm_heap_mb": "the JVM heap in MiB (512 or more, default 2703)",
    "direct_memory_mb": "the JVM's direct memory in MiB (256 or more, default 2703)",
    "data_dir": "the data directory, an absolute path (default /srv/nexus)",
    "data_device": "the data disk's block device (/dev/...; mounted, never formatted), or empty",
}
DEFAULTS = {"jvm_heap_mb": 2703, "direct_memory_mb": 2703}
OS_RESERVE_MB = 512  # roles/nexus nexus_os_reserve_mb: the rest of the process and the OS
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^3\.(\d+)\.(\d+)-(\d+)$")

# Community Edition (3.77 and later) caps usage; earlier releases on the
# embedded database (H2 or OrientDB) only warn in the UI. Sources:
# - https://help.sonatype.com/en/understanding-your-usage.html (Sonatype's
#   docs: embedded-database deployments are warned at 20,000 requests per day
#   or 100,000 components; the banner was replaced by a status check in 3.77);
# - https://github.com/sonatype/nexus-public/issues/883 (Sonatype's
#   repository: 3.87.0 lowered Community Edition's limits from 100,000
#   components and 200,000 requests per day to 40,000 and 100,000).
USAGE_DOC = "https://help.sonatype.com/en/understanding-your-usage.html"
USAGE_CHANGE = "https://github.com/sonatype/nexus-public/issues/883"


def parse_version(version):
    """(minor, patch, build) of a Nexus 3 version such as 3.71.0-06, or None."""
    match = _VERSION.match(str(version or ""))
    return tuple(int(g) for g in match.groups()) if match else None


def usage_limits(version):
    """One sentence on the pinned version's usage limits, with its source, for the preflight warning."""
    parsed = parse_version(version)
    if parsed is None:
        return ("Nexus %s: not a Nexus 3 version (3.<minor>.<patch>-<build>); check cluster_release.nexus. "
                "Community Edition (3.77+) caps components and requests per day: see %s" % (version, USAGE_DOC))
    minor = parsed[0]
    if minor >= 87:
        return ("Nexus %s Community Edition is limited to 40,000 components and 100,000 requests per day "
                "(since 3.87, %s; %s): plan the proxies' content and the nodes' pulls within that, or license Pro"
                % (version, USAGE_CHANGE, USAGE_DOC))
    if minor >= 77:
        return ("Nexus %s Community Edition is limited to 100,000 components and 200,000 requests per day "
                "(3.77-3.86, %s; %s): plan the proxies' content and the nodes' pulls within that, or license Pro"
                % (version, USAGE_CHANGE, USAGE_DOC))
    return ("Nexus %s on its embedded database is meant for up to 20,000 requests per day and 100,000 components "
            "(Sonatype warns beyond that, %s); Community Edition from 3.77 enforces limits (40,000 components and "
            "100,000 requests per day since 3.87, %s)" % (version, USAGE_DOC, USAGE_CHANGE))


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def cluster_nexus_problems(value, release_version=None, hosts=None):
    """Problems of cluster_nexus, each naming the key and the fix.

    ``release_version`` is cluster_release.nexus; ``hosts`` is [(name, node_memory_mb or None)] of the nexus group.
    """
    if not isinstance(value, dict):
        return ["cluster_nexus must be a mapping with the keys %s" % ", ".join(NEXUS_KEYS)]
    problems = []
    for key in sorted(value, key=str):
        if key not in NEXUS_KEYS:
            problems.append("cluster_nexus.%s is not a key of cluster_nexus (%s)" % (key, ", ".join(NEXUS_KEYS)))
    hosts = list(hosts or [])
    if len(hosts) != 1:
        problems.append("cluster_nexus is set but the nexus group has %d hosts: put exactly one host in it, or "
                        "remove cluster_nexus" % len(hosts))
    if not release_version:
        problems.append("cluster_nexus is set but cluster_release.nexus (the pinned version, e.g. 3.71.0-06) is not")
    elif parse_version(release_version) is None:
        problems.append("cluster_release.nexus is %r: write a Nexus 3 version such as 3.71.0-06" % (release_version,))
    url = value.get("download_url")
    if not (isinstance(url, str) and re.match(r"^https?://[^/\s]+/\S+$", url)):
        problems.append("cluster_nexus.download_url is %r: write %s" % (url, NEXUS_KEYS["download_url"]))
    elif "@" in url.split("/")[2]:
        problems.append("cluster_nexus.download_url holds credentials: use a URL without them")
    elif release_version and str(release_version) not in url:
        problems.append("cluster_nexus.download_url does not name cluster_release.nexus (%s): the archive must be "
                        "the pinned version's" % release_version)
    digest = value.get("sha256")
    if not (isinstance(digest, str) and _SHA256.match(digest)):
        problems.append("cluster_nexus.sha256 must be %s (sha256sum of the archive)" % NEXUS_KEYS["sha256"])
    for key in ("http_port", "https_port"):
        if key in value and not (_int(value[key]) and 1024 <= value[key] <= 65535):
            problems.append("cluster_nexus.%s is %r: write %s" % (key, value[key], NEXUS_KEYS[key]))
    if value.get("http_port", 8081) == value.get("https_port", 8443):
        problems.append("cluster_nexus.http_port and https_port are the same: give each its own port")
    for key in ("anonymous", "accept_eula"):
        if key in value and not isinstance(value[key], bool):
            problems.append("cluster_nexus.%s is %r: write true or false, unquoted" % (key, value[key]))
    for key, low in (("jvm_heap_mb", 512), ("direct_memory_mb", 256)):
        if key in value and not (_int(value[key]) and value[key] >= low):
            problems.append("cluster_nexus.%s is %r: write %s" % (key, value[key], NEXUS_KEYS[key]))
    if "data_dir" in value and not (isinstance(value["data_dir"], str) and value["data_dir"].startswith("/")
                                    and value["data_dir"].rstrip("/") not in ("", "/opt/nexus")):
        problems.append("cluster_nexus.data_dir is %r: write %s" % (value["data_dir"], NEXUS_KEYS["data_dir"]))
    if value.get("data_device") and not (isinstance(value["data_device"], str)
                                         and value["data_device"].startswith("/dev/")):
        problems.append("cluster_nexus.data_device is %r: write %s" % (value["data_device"], NEXUS_KEYS["data_device"]))
    heap = value.get("jvm_heap_mb", DEFAULTS["jvm_heap_mb"])
    direct = value.get("direct_memory_mb", DEFAULTS["direct_memory_mb"])
    if _int(heap) and _int(direct):
        for name, memory in hosts:
            if _int(memory) and heap + direct + OS_RESERVE_MB > memory:
                problems.append("cluster_nexus.jvm_heap_mb (%d) + direct_memory_mb (%d) + %d MiB for the process "
                                "and the OS do not fit in host %s's node_memory_mb (%d): give the VM more memory or "
                                "Nexus less" % (heap, direct, OS_RESERVE_MB, name, memory))
    return problems
