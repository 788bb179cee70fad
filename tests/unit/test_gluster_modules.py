"""The gluster_* modules' runners, fed real captured CLI output.

A fake CLI answers each gluster command line with fixtures from
fixtures/gluster/ (in order, when one command is asked several times) and
refuses any command the test did not expect, so these tests show which
commands a module runs, which it leaves out (idempotence, check mode), and
that gluster's own error text reaches the user.
"""

import os

from ansible.module_utils import basic

from plugin_module import load, run_main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "gluster")
BRICKS = ["10.79.0.11:/data/glusterfs/gv0/brick", "10.79.0.12:/data/glusterfs/gv0/brick",
          "10.79.0.13:/data/glusterfs/gv0/brick"]
GVX_BRICKS = [b.replace("gv0", "gvx") for b in BRICKS]
QUORUM = {"cluster.quorum-type": "auto", "cluster.server-quorum-type": "server"}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


class FakeGluster:
    """Answers `gluster --mode=script --xml --timeout=120 <words>` from a script of fixtures."""

    def __init__(self, script):
        self.script = {tuple(k.split()): list(v) for k, v in script.items()}
        self.calls = []

    def __call__(self, module, args, environ_update=None, **kwargs):
        assert args[:4] == ["/usr/sbin/gluster", "--mode=script", "--xml", "--timeout=120"], args
        assert environ_update == {"LC_ALL": "C", "LANG": "C"}
        words = tuple(args[4:])
        self.calls.append(" ".join(words))
        if words not in self.script:
            raise AssertionError("unexpected gluster command: %s" % " ".join(words))
        answers = self.script[words]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, tuple):
            return answer
        return 0, fixture(answer), ""


def run(monkeypatch, capsys, module_name, args, script, check_mode=False, binary="/usr/sbin/gluster"):
    fake = FakeGluster(script)

    def run_command(self, args, **kw):
        # A plain function, so that it binds as a method (the FakeGluster instance would not).
        return fake(self, args, **kw)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: binary)
    module_args = dict(args, _ansible_check_mode=check_mode)
    module = load(module_name)
    monkeypatch.setattr(module, "time", FakeTime(), raising=False)
    if hasattr(module, "is_local"):
        monkeypatch.setattr(module, "is_local", lambda host: host == "10.79.0.11")
    result, rc, _out = run_main(monkeypatch, capsys, module, module_args)
    result["_rc"] = rc
    result["_calls"] = fake.calls
    return result


class FakeTime:
    """time.time()/sleep() without waiting."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


# ---------------------------------------------------------------- gluster_volume

def test_volume_created_tuned_and_started(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume",
                 dict(name="gvx", bricks=GVX_BRICKS, replica=3, force=True,
                      options=dict(QUORUM, **{"network.ping-timeout": 20})),
                 {"volume info": ["volume-info-none.xml", "volume-info-created-stopped.xml"],
                  "volume create gvx replica 3 transport tcp %s force" % " ".join(GVX_BRICKS): ["volume-create-ok.xml"],
                  "volume get gvx all": ["volume-get-all-defaults.xml"],
                  "volume set gvx cluster.server-quorum-type server": ["volume-set-ok.xml"],
                  "volume set gvx network.ping-timeout 20": ["volume-set-ok.xml"],
                  "volume start gvx": ["volume-start-ok.xml"]})
    assert result["_rc"] == 0 and result["changed"]
    # quorum-type is already auto on a new replica 3 volume: not set again.
    assert result["actions"] == ["create", "set cluster.server-quorum-type", "set network.ping-timeout", "start"]
    assert result["options_changed"]["network.ping-timeout"] == {"before": "42", "after": "20"}


def test_volume_second_run_changes_nothing(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume",
                 dict(name="gv0", bricks=BRICKS, replica=3, force=True, options=QUORUM),
                 {"volume info": ["volume-info-started.xml"],
                  "volume get gv0 all": ["volume-get-all-quorum.xml"]})
    assert result["_rc"] == 0 and not result["changed"]
    assert result["commands"] == [] and result["volume"]["status"] == "Started"
    assert result["_calls"] == ["volume info", "volume get gv0 all", "volume info"]


def test_volume_check_mode_runs_no_change(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume",
                 dict(name="gvx", bricks=GVX_BRICKS, replica=3, options=QUORUM),
                 {"volume info": ["volume-info-none.xml"]}, check_mode=True)
    assert result["_rc"] == 0 and result["changed"]
    assert result["actions"] == ["create", "set cluster.quorum-type", "set cluster.server-quorum-type", "start"]
    assert result["_calls"] == ["volume info"]


def test_volume_stop_and_delete(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume", dict(name="gv0", state="absent"),
                 {"volume info": ["volume-info-started.xml"],
                  "volume stop gv0": ["volume-start-ok.xml"],
                  "volume delete gv0": ["volume-delete-ok.xml"]})
    assert result["_rc"] == 0 and result["actions"] == ["stop", "delete"]


def test_absent_volume_stays_absent(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume", dict(name="gv9", state="absent"),
                 {"volume info": ["volume-info-started.xml"]})
    assert result["_rc"] == 0 and not result["changed"]


def test_volume_root_partition_error_is_verbatim(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume", dict(name="gv0", bricks=BRICKS, replica=3),
                 {"volume info": ["volume-info-none.xml"],
                  "volume create gv0 replica 3 transport tcp %s" % " ".join(BRICKS): ["volume-create-rootfs.xml"]})
    assert result["_rc"] == 1
    assert "creating volume gv0 failed: `/usr/sbin/gluster --mode=script --xml --timeout=120 volume create gv0" in result["msg"]
    assert "is being created in the root partition" in result["msg"]


def test_volume_set_error_names_option_and_gluster_text(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume",
                 dict(name="gv0", bricks=BRICKS, options={"network.ping-timeout": "banana"}),
                 {"volume info": ["volume-info-started.xml"],
                  "volume get gv0 all": ["volume-get-all-quorum.xml"],
                  "volume set gv0 network.ping-timeout banana": ["volume-set-bad-value.xml"]})
    assert result["_rc"] == 1
    assert "setting network.ping-timeout=banana on volume gv0 failed" in result["msg"]
    assert 'invalid time format "banana" in "option ping-timeout"' in result["msg"]


def test_volume_other_layout_is_refused(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume",
                 dict(name="gva", bricks=[b.replace("gv0", "gva") for b in BRICKS], replica=3),
                 {"volume info": ["volume-info-started.xml"]})
    assert result["_rc"] == 1 and "day-2 operation" in result["msg"]
    assert "replica 3 arbiter 1" in result["msg"]


def test_volume_short_option_key_is_refused(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume",
                 dict(name="gv0", bricks=BRICKS, options={"quorum-type": "auto"}), {})
    assert result["_rc"] == 1 and "full key" in result["msg"] and result["_calls"] == []


def test_volume_glusterd_down(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_volume", dict(name="gv0", bricks=BRICKS),
                 {"volume info": [(1, fixture("glusterd-down-pool-list.txt"), "")]})
    assert result["_rc"] == 1
    assert "Connection failed. Please check if gluster daemon is operational." in result["msg"]


# ---------------------------------------------------------------- gluster_peer

NODES = ["10.79.0.11", "10.79.0.12", "10.79.0.13"]


def test_peer_pool_formed(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=NODES),
                 {"pool list": ["pool-list-single.xml", "pool-list-connected.xml"],
                  "peer probe 10.79.0.12": ["peer-probe-ok.xml"],
                  "peer probe 10.79.0.13": ["peer-probe-ok.xml"]})
    assert result["_rc"] == 0 and result["changed"]
    assert result["probed"] == ["10.79.0.12", "10.79.0.13"]
    assert "peer probe 10.79.0.11" not in result["_calls"]


def test_peer_second_run_changes_nothing(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=NODES),
                 {"pool list": ["pool-list-connected.xml"]})
    assert result["_rc"] == 0 and not result["changed"] and result["commands"] == []


def test_peer_probe_that_gluster_calls_a_no_op_is_not_a_change(monkeypatch, capsys):
    # Known to glusterd under a name the pool list does not show yet.
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=["10.79.0.11", "10.79.0.12"]),
                 {"pool list": ["pool-list-single.xml", "pool-list-connected.xml"],
                  "peer probe 10.79.0.12": ["peer-probe-already.xml"]})
    assert result["_rc"] == 0 and not result["changed"]


def test_peer_check_mode_probes_nothing(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=NODES),
                 {"pool list": ["pool-list-single.xml"]}, check_mode=True)
    assert result["changed"] and result["probed"] == ["10.79.0.12", "10.79.0.13"]
    assert result["_calls"] == ["pool list"]


def test_peer_unreachable_is_reported_verbatim(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=["10.79.0.11", "10.79.0.99"]),
                 {"pool list": ["pool-list-single.xml"],
                  "peer probe 10.79.0.99": ["peer-probe-unreachable.xml"]})
    assert result["_rc"] == 1
    assert "probing 10.79.0.99" in result["msg"]
    assert "Probe returned with Transport endpoint is not connected" in result["msg"]


def test_peer_staying_disconnected_fails_after_the_wait(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=NODES, wait_timeout=10),
                 {"pool list": ["pool-list-node-down.xml"]})
    assert result["_rc"] == 1
    assert "10.79.0.13 is disconnected" in result["msg"]
    assert len(result["_calls"]) > 2  # it polled before giving up


def test_peer_detach_refused_with_bricks(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_peer", dict(nodes=["10.79.0.13"], state="absent"),
                 {"pool list": ["pool-list-connected.xml"],
                  "peer detach 10.79.0.13": ["peer-detach-has-bricks.xml"]})
    assert result["_rc"] == 1 and "hosts one or more bricks" in result["msg"]


# ---------------------------------------------------------------- gluster_health

HEALTHY = {"pool list": ["pool-list-connected.xml"],
           "volume info": ["volume-info-started.xml"],
           "volume status gv0": ["volume-status-gv0.xml"],
           "volume heal gv0 info summary": ["heal-summary-clean.xml"],
           "volume get gv0 all": ["volume-get-all-quorum.xml"]}


def test_health_green(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_health", dict(volumes=["gv0"]), HEALTHY)
    assert result["_rc"] == 0 and result["healthy"] and result["problems"] == []
    assert result["volumes"]["gv0"]["bricks_online"] == 3 and not result["changed"]


def test_health_node_down_fails_with_every_problem(monkeypatch, capsys):
    script = dict(HEALTHY, **{"pool list": ["pool-list-node-down.xml"],
                              "volume status gv0": ["volume-status-node-down.xml"],
                              "volume heal gv0 info summary": ["heal-summary-pending.xml"]})
    result = run(monkeypatch, capsys, "gluster_health", dict(volumes=["gv0"]), script)
    assert result["_rc"] == 1 and not result["healthy"]
    assert "peer 10.79.0.13" in result["msg"] and "14 entries wait for self-heal" in result["msg"]


def test_health_waits_for_the_heal(monkeypatch, capsys):
    script = dict(HEALTHY, **{
        "pool list": ["pool-list-node-down.xml", "pool-list-connected.xml"],
        "volume status gv0": ["volume-status-node-down.xml", "volume-status-gv0.xml"],
        "volume heal gv0 info summary": ["heal-summary-pending.xml", "heal-summary-healing.xml",
                                         "heal-summary-clean.xml"]})
    result = run(monkeypatch, capsys, "gluster_health",
                 dict(volumes=["gv0"], wait_timeout=60, wait_interval=5), script)
    assert result["_rc"] == 0 and result["healthy"]
    assert result["checks"] == 3 and result["elapsed"] == 10.0


def test_health_report_only(monkeypatch, capsys):
    script = dict(HEALTHY, **{"volume status gv0": ["volume-status-brick-down.xml"]})
    result = run(monkeypatch, capsys, "gluster_health", dict(volumes=["gv0"], fail_on_unhealthy=False), script)
    assert result["_rc"] == 0 and not result["healthy"]
    assert result["volumes"]["gv0"]["offline_bricks"] == [BRICKS[1]]


def test_health_unknown_volume(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_health", dict(volumes=["nope"], fail_on_unhealthy=False), HEALTHY)
    assert result["problems"] == ["nope: volume does not exist (volumes: gv0, gva)"]


def test_health_before_gluster_is_installed(monkeypatch, capsys):
    result = run(monkeypatch, capsys, "gluster_health", dict(allow_absent=True), {}, binary=None)
    assert result["_rc"] == 0 and result["healthy"] and not result["installed"]
    result = run(monkeypatch, capsys, "gluster_health", dict(), {}, binary=None)
    assert result["_rc"] == 1 and "not installed" in result["msg"]
