"""The opt-in mitogen profile is the shipped ansible.cfg plus mitogen's strategy.

ansible-mitogen.cfg replaces ansible.cfg when ANSIBLE_CONFIG names it, so a
setting added to ansible.cfg and not to the profile (a path, a callback, an
inventory safety setting) would silently be missing from mitogen runs.
"""

import configparser
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MITOGEN_ONLY = {("defaults", "strategy"), ("defaults", "strategy_plugins")}


def settings(name):
    parser = configparser.ConfigParser(interpolation=None)
    with open(os.path.join(REPO, name)) as handle:
        parser.read_file(handle)
    return {(section, key): value for section in parser.sections() for key, value in parser[section].items()}


def test_profile_is_the_shipped_config_plus_mitogen():
    shipped, profile = settings("ansible.cfg"), settings("ansible-mitogen.cfg")
    assert {k: v for k, v in profile.items() if k not in MITOGEN_ONLY} == shipped
    assert profile[("defaults", "strategy")] == "mitogen_linear"
    # The link `make venv` makes; a path into .venv would name the Python version.
    assert profile[("defaults", "strategy_plugins")] == ".cache/ansible_mitogen/plugins/strategy"


def test_shipped_config_stays_on_ansibles_own_strategy():
    assert not MITOGEN_ONLY & set(settings("ansible.cfg"))


def test_mitogen_pin_is_exact_and_installed_by_make_venv():
    with open(os.path.join(REPO, "requirements-mitogen.txt")) as handle:
        pins = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert len(pins) == 1 and re.fullmatch(r"mitogen==0\.3\.\d+", pins[0]), pins
    with open(os.path.join(REPO, "Makefile")) as handle:
        makefile = handle.read()
    assert "-r requirements-mitogen.txt" in makefile
    assert re.search(r"^venv:.*\.mitogen-installed", makefile, re.M)
