"""The egress allowlist against what the real Kubespray v2.31.0 downloaded."""

import csv
import os

from ansible_collections.mlplatform.installer.plugins.module_utils import egress

UPSTREAM = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "upstream", "kubespray-v2.31.0")

# Kubespray v2.31.0 image repositories (roles/kubespray_defaults/defaults/main/download.yml):
# kube_image_repo registry.k8s.io, quay_image_repo quay.io (calico), docker_image_repo docker.io.
IMAGE_REGISTRY = {"calico": "quay.io", "coredns": "registry.k8s.io", "cpa": "registry.k8s.io",
                  "pause": "registry.k8s.io", "library": "docker.io"}


def kubespray_downloads():
    with open(os.path.join(UPSTREAM, "offline-downloads.tsv")) as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_host_kubespray_downloaded_from_is_allowed():
    hosts = {e["host"] for e in egress.allowlist({"kubespray": "v2.31.0", "kubernetes": "1.35.4"})}
    needed = set()
    for row in kubespray_downloads():
        path = row["url_or_image"].split("}}/", 1)[1]
        first = path.split("/", 1)[0]
        needed.add(first if row["type"] == "file" else IMAGE_REGISTRY[first.split(":")[0]])
    assert needed, "offline-downloads.tsv listed nothing"
    assert needed <= hosts, "missing from the allowlist: %s" % sorted(needed - hosts)


def test_components_follow_the_bundle():
    bundle = {"kubernetes": "1.35.4", "gpu_operator": "v26.7.0", "os": ["ubuntu-24.04"]}
    hosts = {e["host"] for e in egress.allowlist(bundle)}
    assert {"nvcr.io", "archive.ubuntu.com", "dl.k8s.io"} <= hosts
    assert "ghcr.io" not in hosts  # no Kubeflow in this bundle
    assert "deb.debian.org" not in hosts


def test_shared_hosts_are_listed_once_with_every_component():
    entries = egress.allowlist({"kubernetes": "1.35.4", "kube_prometheus_stack": "88.5.3"})
    quay = [e for e in entries if e["host"] == "quay.io"]
    assert len(quay) == 1 and quay[0]["component"] == "kubespray, kube_prometheus_stack"


def test_a_mirror_replaces_every_upstream_endpoint():
    entries = egress.allowlist({"kubernetes": "1.35.4"}, "https://nexus.lab.example.com:8443")
    assert [e["host"] for e in entries] == ["https://nexus.lab.example.com:8443"]
    assert egress.probe_urls(entries) == ["https://nexus.lab.example.com:8443"]


def test_probe_urls_are_unique():
    urls = egress.probe_urls(egress.allowlist({"kubernetes": "1.35.4", "kubeflow": "26.03"}))
    assert len(urls) == len(set(urls))


# --- whose answer is it: real answers captured from real proxies ----------------
#
# fixtures/egress/*.json are egress_probe results captured on a bed container
# (Debian 12) through Debian's tinyproxy 1.11.1 (filter: only origin.pf.test;
# a second instance with BasicAuth), squid 5.7 (dstdomain ACL; port 3129
# with proxy_auth) and squid-openssl 5.7 intercepting TLS (ssl_bump; port
# 3130 strips X-Squid-Error, Server and Via from its pages). Origins on
# loopback: python3's http.server (http) and Debian's docker-registry 2.8.2
# with TLS and htpasswd (https /v2/). denied.pf.test is refused by each
# proxy's rule; refused.pf.test is allowed but nothing listens there.

import json  # noqa: E402

import pytest  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "egress")
HTTP_ORIGIN, HTTP_DENIED, HTTP_DOWN = ("http://%s.pf.test:8080/ubuntu/" % h for h in ("origin", "denied", "refused"))
TLS_ORIGIN, TLS_DENIED = ("https://%s.pf.test:8443/v2/" % h for h in ("origin", "denied"))


def captured(proxy):
    with open(os.path.join(FIXTURES, "%s.json" % proxy)) as handle:
        return {r["url"]: r for r in json.load(handle)[proxy]}


@pytest.mark.parametrize("proxy,url,why", [
    # The proxy's own 403 on an http:// URL: the old check took any status for open.
    ("tinyproxy", HTTP_DENIED, "tinyproxy/1.11.1 answered 403 itself"),
    ("squid", HTTP_DENIED, "squid answered 403 itself (X-Squid-Error: ERR_ACCESS_DENIED 0"),
    # It could not reach the origin.
    ("tinyproxy", HTTP_DOWN, "tinyproxy/1.11.1 answered 500 itself"),
    ("squid", HTTP_DOWN, "squid answered 503 itself (X-Squid-Error: ERR_CONNECT_FAIL 111"),
    # It wants credentials.
    ("tinyproxy-auth", HTTP_ORIGIN, "the proxy wants credentials (407, Proxy-Authenticate: Basic realm=\"Tinyproxy\")"),
    ("squid-auth", HTTP_ORIGIN, "the proxy wants credentials (407"),
    ("tinyproxy-auth", TLS_ORIGIN, "CONNECT answered 407"),
    ("squid-auth", TLS_ORIGIN, "CONNECT answered 407"),
    # It refused the tunnel.
    ("tinyproxy", TLS_DENIED, "the proxy refused the tunnel (CONNECT answered 403)"),
    ("squid", TLS_DENIED, "the proxy refused the tunnel (CONNECT answered 403)"),
    # A TLS-intercepting proxy's block page, with and without its headers.
    ("squid-bump", TLS_DENIED, "squid answered 403 itself (X-Squid-Error: ERR_ACCESS_DENIED 0, via 1.1 pf-bump"),
    ("squid-bump-hardened", TLS_DENIED, "a proxy's error page (/squid-internal-static/) answered 403 itself"),
])
def test_a_proxys_own_answer_is_blocked(proxy, url, why):
    expect = egress.APT_ARCHIVE if url.startswith("http:") else egress.REGISTRY
    verdict = egress.classify(captured(proxy)[url], expect)
    assert verdict["verdict"] == egress.BLOCKED and verdict["by"] == "proxy"
    assert why in verdict["reason"]
    # Without any expectation, the proxy's marks alone decide.
    assert egress.classify(captured(proxy)[url], egress.ANY)["verdict"] == egress.BLOCKED


@pytest.mark.parametrize("proxy", ["none", "tinyproxy", "squid", "squid-bump", "squid-bump-hardened"])
def test_the_origins_answer_through_any_proxy_is_open(proxy):
    records = captured(proxy)
    # docker-registry's 401 with WWW-Authenticate: what every registry's /v2/ answers.
    assert egress.classify(records[TLS_ORIGIN], egress.REGISTRY) == {
        "verdict": "open", "by": "origin", "reason": "401 from the origin"}
    if HTTP_ORIGIN in records:
        # Through squid and tinyproxy it carries their Via header: still the origin's answer.
        assert egress.classify(records[HTTP_ORIGIN], egress.APT_ARCHIVE)["verdict"] == egress.OPEN


def test_a_block_page_without_any_proxy_mark_is_caught_by_the_endpoints_known_answer():
    # The hardened intercepting proxy's page cut before its stylesheet and
    # signature: only the expectation can tell it from the registry.
    record = dict(captured("squid-bump-hardened")[TLS_DENIED])
    record["body"] = record["body"][:300]
    assert "squid" not in record["body"].lower().replace("squid software foundation", "")
    verdict = egress.classify(record, egress.REGISTRY)
    assert verdict["verdict"] == egress.BLOCKED
    assert verdict["reason"] == ("answered 403, but the origin answers 200/401: a proxy's block page "
                                 "(a TLS-intercepting proxy answers https:// itself)")
    # A 200 block page instead: a registry's 200 is fine, but a 401 without
    # WWW-Authenticate is not a registry's.
    record.update(status=401, headers={})
    assert "without the origin's www-authenticate header" in egress.classify(record, egress.REGISTRY)["reason"]
    # The same once the expectation went through JSON (Ansible variables).
    through_json = json.loads(json.dumps(egress.REGISTRY))
    assert egress.classify(record, through_json)["verdict"] == egress.BLOCKED


def test_no_answer_is_blocked_with_the_reason():
    verdict = egress.classify(captured("none")[HTTP_DOWN], egress.APT_ARCHIVE)
    assert verdict == {"verdict": "blocked", "by": "none", "reason": "no answer: [Errno 111] Connection refused"}


def test_known_answers_of_the_upstream_endpoints():
    expect = egress.expectations(egress.allowlist(
        {"kubernetes": "1.35.4", "gpu_operator": "v26.7.0", "kube_prometheus_stack": "88.5.3",
         "kubeflow": "26.03", "os": ["ubuntu-24.04", "debian-12"]}))
    assert expect["https://dl.k8s.io/release/stable.txt"] is egress.K8S_RELEASE
    assert expect["https://nvcr.io/v2/"] is egress.REGISTRY
    assert expect["https://registry.k8s.io/v2/"] is egress.K8S_REGISTRY
    release = {"url": "https://dl.k8s.io/release/stable.txt", "status": 200, "headers": {}, "body": "v1.35.4"}
    assert egress.classify(release, egress.K8S_RELEASE)["verdict"] == egress.OPEN
    assert egress.classify(dict(release, body="<html>Access denied</html>"), egress.K8S_RELEASE)["verdict"] == \
        egress.BLOCKED
    redirect = {"url": "https://registry.k8s.io/v2/", "status": 307,
                "headers": {"location": "https://us-west1-docker.pkg.dev/v2/"}}
    assert egress.classify(redirect, egress.K8S_REGISTRY)["verdict"] == egress.OPEN
    assert egress.classify(dict(redirect, headers={}), egress.K8S_REGISTRY)["verdict"] == egress.BLOCKED
    # A mirror has no fixed answer: anything that is not the proxy's.
    mirror = egress.allowlist({}, "https://nexus.lab.example.com:8443")[0]
    assert mirror["expect"] == egress.ANY


# --- the runner, against a real HTTP server on the loopback ---------------------

def _load_probe_module():
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "modules", "egress_probe.py")
    spec = importlib.util.spec_from_file_location("test_egress_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runner_keeps_the_first_answer_and_reports_no_answer(tmp_path, monkeypatch):
    import functools
    import http.server
    import socket
    import threading

    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "ubuntu").mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    try:
        probe = _load_probe_module()._probe
        base = "http://127.0.0.1:%d" % server.server_address[1]
        answer = probe(base + "/ubuntu/", 5, 64, {}, "")
        assert answer["status"] == 200 and answer["via_proxy"] is False
        assert answer["headers"]["server"].startswith("SimpleHTTP/") and len(answer["body"]) == 64
        # A redirect is an answer of its own, never followed to somewhere else.
        moved = probe(base + "/ubuntu", 5, 64, {}, "")
        assert moved["status"] == 301 and moved["headers"]["location"] == "/ubuntu/"
        refused = probe("http://127.0.0.1:%d/" % closed.getsockname()[1], 5, 64, {}, "")
        assert refused["status"] == 0 and "Connection refused" in refused["error"]
        assert egress.classify(refused, egress.ANY)["by"] == "none"
        # The proxy given is used (and reported) unless no_proxy says otherwise; the
        # node's environment is not (the task passes the proxy as no_log arguments).
        dead_proxy = {"http": "http://127.0.0.1:%d" % closed.getsockname()[1]}
        through = probe(base + "/ubuntu/", 5, 64, dead_proxy, "")
        assert through["via_proxy"] is True and through["status"] == 0
        assert probe(base + "/ubuntu/", 5, 64, dead_proxy, "127.0.0.1")["status"] == 200
        monkeypatch.setenv("http_proxy", dead_proxy["http"])
        assert probe(base + "/ubuntu/", 5, 64, {}, "")["status"] == 200
    finally:
        server.shutdown()
        closed.close()
