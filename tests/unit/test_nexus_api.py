"""The pure parts of module_utils/nexus_api.py, on answers recorded from a real Nexus 3.71.0-06.

fixtures/nexus/ holds real answers (GET of an apt proxy and a raw hosted
repository, the duplicate-create 400, the PUT-without-storage 400, realms,
users) and the server's own OpenAPI document (swagger-3.71.0-06.json), which
checks the request shapes the modules send for the formats it has.
"""

import json
import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils import nexus_api

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "nexus")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle) if name.endswith(".json") else handle.read()


def test_get_answer_becomes_the_put_body():
    body = nexus_api.repository_from_get(fixture("get-apt-proxy-ubuntu.json"))
    assert "routingRuleName" not in body and body["routingRule"] is None
    assert not {"url", "format", "type"} & set(body)
    assert body["apt"] == {"distribution": "noble", "flat": False}


def test_put_body_keys_are_the_openapi_request_keys():
    """What the module PUTs for apt proxy and raw hosted has only keys 3.71's own OpenAPI request models name."""
    swagger = fixture("swagger-3.71.0-06.json")
    models = swagger["definitions"]

    def model_of(path):
        params = swagger["paths"][path]["put"]["parameters"]
        ref = [p for p in params if p["in"] == "body"][0]["schema"]["$ref"]
        return models[ref.rsplit("/", 1)[1]]

    for path, answer in (("/v1/repositories/apt/proxy/{repositoryName}", "get-apt-proxy-ubuntu.json"),
                         ("/v1/repositories/raw/hosted/{repositoryName}", "get-raw-hosted.json")):
        model = model_of(path)
        body = nexus_api.repository_from_get(fixture(answer))
        assert set(body) <= set(model["properties"]), (path, set(body) - set(model["properties"]))
        assert set(model.get("required", [])) <= set(body), path
    # ... and routingRuleName is GET's name only: the request model calls it routingRule.
    assert "routingRule" in model_of("/v1/repositories/apt/proxy/{repositoryName}")["properties"]
    assert "routingRuleName" not in model_of("/v1/repositories/apt/proxy/{repositoryName}")["properties"]


def test_plan_update_merges_and_reports_only_real_changes():
    current = nexus_api.repository_from_get(fixture("get-apt-proxy-ubuntu.json"))
    body, changes = nexus_api.plan_update(current, {"proxy": {"contentMaxAge": 30}, "online": True})
    assert changes == ["proxy.contentMaxAge"]
    assert body["proxy"]["remoteUrl"] == current["proxy"]["remoteUrl"] and body["storage"] == current["storage"]
    assert nexus_api.plan_update(current, {"online": True})[1] == []


def test_secrets_never_count_and_are_masked():
    current = {"httpClient": {"authentication": {"type": "username", "username": "u"}}}
    wanted = {"httpClient": {"authentication": {"password": "p"}}}
    body, changes = nexus_api.plan_update(current, wanted)
    assert changes == [] and body["httpClient"]["authentication"]["password"] == "p"
    assert nexus_api.masked(body)["httpClient"]["authentication"]["password"] == nexus_api.MASK
    assert nexus_api.secret_values(body) == ["p"]


def test_error_text_quotes_request_and_answer():
    with open(os.path.join(FIXTURES, "post-400-duplicate.json")) as handle:
        text = nexus_api.error_text("POST", "/v1/repositories/raw/hosted", 400, handle.read())
    assert text.startswith("Nexus answered 400 to POST /v1/repositories/raw/hosted: ")
    assert '"Duplicate key' in text
    assert nexus_api.error_text("GET", "/v1/status", 0, "Connection refused", "is Nexus running?") == (
        "no answer from Nexus to GET /v1/status: Connection refused (is Nexus running?)")
    assert nexus_api.error_text("GET", "/x", 500, "y" * 700).endswith("y...")


def test_realm_problems_name_the_available_ones():
    available = fixture("realms-available.json")
    assert nexus_api.realm_problems(["NexusAuthenticatingRealm"], available) == []
    problem, = nexus_api.realm_problems(["DockerToken"], available)
    assert "DockerToken not available on this Nexus (available: DefaultRole, NexusAuthenticatingRealm)" in problem


def test_user_search_is_a_prefix_search():
    answer = fixture("users-prefix-a.json")
    assert {u["userId"] for u in answer} == {"admin", "anonymous"}
    assert nexus_api.user_from_list(answer, "admin")["userId"] == "admin"
    assert nexus_api.user_from_list(answer, "a") is None


@pytest.mark.parametrize("fmt, config, expected", [
    ("docker", {}, {"forceBasicAuth": True, "v1Enabled": False}),
    ("docker", {"docker": {"forceBasicAuth": False}}, {"forceBasicAuth": False, "v1Enabled": False}),
    ("raw", {}, None),
])
def test_docker_force_basic_auth_default_is_explicit(fmt, config, expected):
    assert nexus_api.docker_defaults(fmt, config).get("docker") == expected


def test_docker_warning_needs_docker_token_realm():
    config = {"docker": {"forceBasicAuth": False}}
    assert nexus_api.docker_warnings("docker", "g", config, ["NexusAuthenticatingRealm"])
    assert nexus_api.docker_warnings("docker", "g", config, ["NexusAuthenticatingRealm", "DockerToken"]) == []
    assert nexus_api.docker_warnings("docker", "g", {"docker": {"forceBasicAuth": True}}, []) == []
