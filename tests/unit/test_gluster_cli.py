"""The one gluster runner (plugins/module_utils/gluster_cli.py), fed real captured CLI output.

What every gluster_* module now gets from it: the command line it runs, the
environment, and an error that names the command and carries gluster's words.
"""

import os

import pytest

from ansible_collections.mlplatform.installer.plugins.module_utils.gluster import GlusterError, parse_pool_list
from ansible_collections.mlplatform.installer.plugins.module_utils.gluster_cli import GlusterCli

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "gluster")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


class FakeModule:
    """AnsibleModule.run_command answering with one captured (rc, stdout, stderr)."""

    def __init__(self, rc, out, err):
        self.answer = (rc, out, err)
        self.calls = []

    def run_command(self, args, environ_update=None, **kwargs):
        self.calls.append((list(args), environ_update))
        return self.answer


def test_command_line_and_environment():
    module = FakeModule(0, fixture("pool-list-connected.xml"), "")
    pool = GlusterCli(module, "/usr/sbin/gluster").run(["pool", "list"], parse_pool_list)
    assert len(pool) == 3
    assert module.calls == [(["/usr/sbin/gluster", "--mode=script", "--xml", "--timeout=120", "pool", "list"],
                             {"LC_ALL": "C", "LANG": "C"})]
    # A command without an XML form (volume heal VOL) runs without --xml.
    assert GlusterCli(module, "gluster", timeout=30).command(["volume", "heal", "gv0"], xml=False) == [
        "gluster", "--mode=script", "--timeout=30", "volume", "heal", "gv0"]


def test_plain_text_failure_names_the_command_its_status_and_stderr():
    # Captured: `volume heal gv0` with storage3 down, plain text on stderr, exit 1.
    module = FakeModule(1, "", fixture("heal-trigger-node-down.txt"))
    with pytest.raises(GlusterError) as err:
        GlusterCli(module, "/usr/sbin/gluster").run(["volume", "heal", "gv0"], parser=None, xml=False)
    assert err.value.message == (
        "`/usr/sbin/gluster --mode=script --timeout=120 volume heal gv0` exited 1: "
        "Launching heal operation to perform index self heal on volume gv0 has been unsuccessful:\n"
        "Glusterd Syncop Mgmt brick op 'Heal' failed. Please check glustershd log file for details.")


def test_glusterd_down_on_stdout():
    module = FakeModule(1, fixture("glusterd-down-pool-list.txt"), "")
    with pytest.raises(GlusterError) as err:
        GlusterCli(module, "gluster").run(["pool", "list"], parse_pool_list)
    assert err.value.message == ("`gluster --mode=script --xml --timeout=120 pool list` exited 1: "
                                 "Connection failed. Please check if gluster daemon is operational.")


def test_xml_failure_exits_zero_and_still_names_the_command():
    module = FakeModule(0, fixture("volume-set-quorum-lost.xml"), "")
    with pytest.raises(GlusterError) as err:
        GlusterCli(module, "gluster").run(["volume", "set", "gv0", "network.ping-timeout", "20"])
    assert err.value.message.startswith(
        "`gluster --mode=script --xml --timeout=120 volume set gv0 network.ping-timeout 20` failed: ")
    assert "Quorum not met. Volume operation not allowed." in err.value.message
    assert err.value.op_ret in (-1, 1)
