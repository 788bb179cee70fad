"""Credentials in proxy URLs (plugins/module_utils/proxy_url.py) and how the
inventory validation refuses a user:password that is not percent-encoded
without ever printing the password (also through `ansible-playbook -vvv`)."""

import os
import subprocess
import sys
from urllib.parse import quote, unquote, urlsplit

import pytest
from ansible_collections.mlplatform.installer.plugins.module_utils import cluster_model as cm
from ansible_collections.mlplatform.installer.plugins.module_utils import proxy_url

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "inventories", "broken", "proxy-password-not-encoded.yml")
PLANTED = "Pr0xy@Pass#1"  # the raw password of the fixture
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

# Passwords a person might have, each with reserved characters.
PASSWORDS = ["p@ss", "a:b", "s/l/a/s/h", "hash#tag", "q?x", "100%", "sp ace", "d$llar'q\"&;", "ümlaut", "p@:/#?%x"]


@pytest.mark.parametrize("url, parts", [
    ("http://proxy.example.com:3128", ("http://", None, None, "proxy.example.com:3128")),
    ("http://ops@proxy:3128", ("http://", "ops", None, "proxy:3128")),
    ("http://ops:@proxy:3128", ("http://", "ops", "", "proxy:3128")),
    ("http://ops:p%40ss@proxy:3128/", ("http://", "ops", "p%40ss", "proxy:3128/")),
    # Raw: the host follows the last @; the password runs from the first ':'.
    ("http://ops:p@ss:w/rd#1@proxy:3128", ("http://", "ops", "p@ss:w/rd#1", "proxy:3128")),
    ("proxy:3128", ("", None, None, "proxy:3128")),
])
def test_split(url, parts):
    assert proxy_url.split(url) == parts


@pytest.mark.parametrize("password", PASSWORDS)
def test_encoded_password_round_trips_and_passes(password):
    encoded = proxy_url.encode(password)
    assert proxy_url.is_encoded(encoded)
    url = "http://mlp-ops:%s@proxy.example.com:3128" % encoded
    assert proxy_url.credentials_problem(url) == ("", "")
    # What curl, apt and Go do with it: the host is right, the password decodes back.
    parts = urlsplit(url)
    assert parts.hostname == "proxy.example.com" and parts.port == 3128
    assert unquote(parts.password) == password


@pytest.mark.parametrize("password", PASSWORDS)
def test_raw_password_is_refused_without_being_quoted(password):
    url = "http://mlp-ops:%s@proxy.example.com:3128" % password
    problem, fix = proxy_url.credentials_problem(url)
    assert "the password holds characters that must be percent-encoded" in problem
    assert "http://mlp-ops:<the password, percent-encoded>@proxy.example.com:3128" in fix
    for text in (problem, fix, proxy_url.masked(url), cm.show(url)):
        assert password not in text
        assert proxy_url.encode(password) not in text


@pytest.mark.parametrize("password", ["p/ss", "p#ss", "p?ss"])
def test_raw_passwords_break_a_url_parser(password):
    """Why the rule exists: a raw '/', '#' or '?' ends the authority, so the host is wrong."""
    assert urlsplit("http://ops:%s@proxy.example.com:3128" % password).hostname == "ops"
    assert urlsplit("http://ops:%s@proxy.example.com:3128" % quote(password, safe="")).hostname == "proxy.example.com"


def test_user_name_is_encoded_in_the_fix_and_the_percent_escapes_kept():
    problem, fix = proxy_url.credentials_problem("http://dom\\ops:s3cret@proxy:3128")
    assert "the user name holds characters" in problem and "password" not in problem.split(":", maxsplit=1)[0]
    assert "http://dom%5Cops:<the password, percent-encoded>@proxy:3128" in fix
    assert "s3cret" not in problem + fix
    assert proxy_url.encode("a%2fb c%zz") == "a%2Fb%20c%25zz"


def test_a_url_without_credentials_is_left_alone():
    url = "http://proxy.example.com:3128"
    assert proxy_url.credentials_problem(url) == ("", "")
    assert proxy_url.masked(url) == proxy_url.public(url) == url
    assert not proxy_url.has_credentials(url)


def test_public_and_masked_forms():
    url = "http://mlp-ops:p%40ss@proxy.example.com:3128"
    assert proxy_url.public(url) == "http://proxy.example.com:3128"
    assert proxy_url.masked(url) == "http://mlp-ops:****@proxy.example.com:3128"
    assert proxy_url.has_credentials(url)
    assert proxy_url.masked("http://ops@proxy:3128") == "http://ops@proxy:3128"


def test_mask_in_text_covers_urls_anywhere():
    text = "x = ['http://a:p@ss/w@h:1', 'https://b:it''s@h2'] y=ftp://c:d@e z=http://f@g"
    masked = proxy_url.mask_in_text(text)
    assert masked == "x = ['http://a:****@h:1', 'https://b:****@h2'] y=ftp://c:****@e z=http://f@g"


def test_show_masks_before_it_cuts_a_long_value():
    value = "http://u:" + "x" * 200 + "@proxy:3128"
    shown = cm.show(value)
    assert "x" * 20 not in shown and "****" in shown


# --------------------------------------------------------------------------
# The inventory validation: the fixture is refused, its password never shown
# --------------------------------------------------------------------------


def _filter_errors(load_inventory, path):
    from ansible_collections.mlplatform.installer.plugins.filter import cluster as cluster_filter
    inventory = load_inventory(path)
    return cluster_filter.cluster_inventory_errors(inventory.hostvars, inventory.groups, inventory.sources)


def test_fixture_is_refused_and_passes_once_encoded(load_inventory, tmp_path):
    errors = _filter_errors(load_inventory, FIXTURE)
    assert len(errors) == 1
    assert "http://mlp-ops:****@proxy.example.com:3128" in errors[0]
    assert PLANTED not in errors[0] and "Pr0xy" not in errors[0]
    text = open(FIXTURE, encoding="utf-8").read()
    assert text.count(PLANTED) == 1
    fixed = tmp_path / "hosts.yml"
    fixed.write_text(text.replace(PLANTED, proxy_url.encode(PLANTED)), encoding="utf-8")
    assert _filter_errors(load_inventory, str(fixed)) == []


def test_validate_playbook_never_prints_the_password(tmp_path):
    """The real play at -vvv, with Ansible's log file: refused, no host touched, no password."""
    log = tmp_path / "ansible.log"
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOG_PATH=str(log),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-vvv", "-i", FIXTURE, os.path.join(REPO, "playbooks", "validate_inventory.yml")],
                          cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2, proc.stdout
    assert "No host was touched" in proc.stdout
    assert "http://mlp-ops:****@proxy.example.com:3128" in proc.stdout
    for text in (proc.stdout, log.read_text(encoding="utf-8")):
        assert "Pr0xy" not in text
