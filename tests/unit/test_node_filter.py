"""node_in_container (plugins/filter/node.py), the one place roles learn that
a node is a container. The first two fact sets were gathered here with
`ansible -m setup -a 'filter=ansible_virtualization*'`: a bed node (podman)
and this CI machine (a docker container on a KVM host). The Hyper-V guest's
are what Ansible's Linux fact code reports for DMI vendor "Microsoft
Corporation" (ansible.module_utils.facts.virtual.linux)."""

import pytest

from ansible_collections.mlplatform.installer.plugins.filter.node import node_in_container

BED_NODE = {"virtualization_role": "guest", "virtualization_tech_guest": ["podman", "container"],
            "virtualization_tech_host": [], "virtualization_type": "podman"}
CI_MACHINE = {"virtualization_role": "guest", "virtualization_tech_guest": ["docker", "container"],
              "virtualization_tech_host": ["kvm"], "virtualization_type": "docker"}
HYPERV_GUEST = {"virtualization_role": "guest", "virtualization_tech_guest": ["VirtualPC"],
                "virtualization_tech_host": [], "virtualization_type": "VirtualPC"}
KVM_HOST = {"virtualization_role": "host", "virtualization_tech_guest": [],
            "virtualization_tech_host": ["kvm"], "virtualization_type": "kvm"}


@pytest.mark.parametrize("facts, expected", [
    (BED_NODE, True), (CI_MACHINE, True), (HYPERV_GUEST, False), (KVM_HOST, False), ({}, False), (None, False),
])
def test_node_in_container(facts, expected):
    assert node_in_container(facts) is expected
