"""The verifier's own Ansible calls stay out of the run's log.

testinfra's AnsibleRunner runs `ansible-inventory --list`, which prints the
whole inventory, planted password included, and Ansible writes what it
prints to ANSIBLE_LOG_PATH (the provisioner's env reaches the verifier).
Those calls are the test's, not the run under test: they must not log into
the ansible.log that test_secrets.py searches.
"""

import os

os.environ.pop("ANSIBLE_LOG_PATH", None)
