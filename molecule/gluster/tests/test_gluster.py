"""Verify the storage layer after converge and the data-survival side effect.

Everything is read from the nodes themselves: gluster's XML, sockets, mounts,
brick directories and extended attributes. side_effect.yml stopped storage2
while the client kept writing, started it again and waited for the heal; the
checksums the client recorded must now match on the client and on every
brick that holds data.
"""

import functools
import json
import os
import sys
import time
import xml.etree.ElementTree as ET

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], ".cache", "collections"))

from ansible_collections.mlplatform.installer.plugins.module_utils import gluster_cli  # noqa: E402

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
STORAGE = ["gluster-storage1", "gluster-storage2", "gluster-storage3"]
ADDRESSES = {"gluster-storage1": "10.79.0.11", "gluster-storage2": "10.79.0.12",
             "gluster-storage3": "10.79.0.13"}
CLIENT = "gluster-client1"
VOLUMES = ["gv0", "gva"]
BASE_PORT, MAX_PORT = 49152, 49251
REPORT = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "reports", "gluster-survival.json")


@functools.lru_cache(maxsize=None)
def node(name):
    # The nodes are podman containers: `podman exec` is what Ansible's podman
    # connection uses too, without an ansible run per command.
    return testinfra.get_host("podman://%s" % name)


@functools.lru_cache(maxsize=None)
def ansible_node(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


def gluster_xml(host, *words):
    # The gluster_metrics timer on each storage node takes the volume's
    # cluster-wide lock every interval: a command refused for it is tried
    # again, as the modules do (module_utils/gluster_cli).
    for _attempt in range(gluster_cli.LOCK_RETRIES + 1):
        out = host.check_output("gluster --mode=script --xml" + " %s" * len(words), *words)
        root = ET.fromstring(out)
        if gluster_cli.LOCK_BUSY not in (root.findtext("opErrstr") or ""):
            break
        time.sleep(gluster_cli.LOCK_WAIT)
    assert root.findtext("opRet") == "0", out
    return root


@functools.lru_cache(maxsize=None)
def manifest(volume):
    """{relative path: sha256} as the client recorded it after writing."""
    text = node(CLIENT).file("/var/tmp/gluster-survival/%s.sha256" % volume).content_string
    entries = dict(reversed(line.split("  ", 1)) for line in text.splitlines() if line)
    assert len(entries) >= 40, "the side effect wrote 40 files per volume, manifest has %d" % len(entries)
    return entries


def sha256_of(host, directory, paths):
    out = host.check_output("cd %s && sha256sum --" + " %s" * len(paths), directory, *paths)
    return dict(reversed(line.split("  ", 1)) for line in out.splitlines())


@pytest.mark.parametrize("name", STORAGE)
def test_glusterd_runs_and_listens(name):
    host = node(name)
    service = host.service("glusterd")
    assert service.is_running and service.is_enabled
    assert host.socket("tcp://0.0.0.0:24007").is_listening


@pytest.mark.parametrize("name", STORAGE)
def test_bricks_listen_inside_the_documented_port_range(name):
    host = node(name)
    assert "option base-port %d" % BASE_PORT in host.file("/etc/glusterfs/glusterd.vol").content_string
    for volume in VOLUMES:
        status = gluster_xml(host, "volume", "status", volume)
        ports = [int(n.findtext("port")) for n in status.iter("node")
                 if n.findtext("hostname") == ADDRESSES[name]]
        assert len(ports) == 1, "one brick of %s on %s" % (volume, name)
        assert BASE_PORT <= ports[0] <= MAX_PORT
        assert host.socket("tcp://0.0.0.0:%d" % ports[0]).is_listening


@pytest.mark.parametrize("name", STORAGE)
def test_every_node_sees_a_connected_pool(name):
    peers = gluster_xml(node(name), "pool", "list").findall("peerStatus/peer")
    assert len(peers) == 3
    assert all(p.findtext("connected") == "1" for p in peers)


def test_volume_layouts():
    info = gluster_xml(node("gluster-storage1"), "volume", "info")
    volumes = {v.findtext("name"): v for v in info.findall("volInfo/volumes/volume")}
    assert sorted(volumes) == VOLUMES
    for name, replica, arbiter in (("gv0", "3", "0"), ("gva", "3", "1")):
        vol = volumes[name]
        assert vol.findtext("statusStr") == "Started"
        assert (vol.findtext("replicaCount"), vol.findtext("arbiterCount")) == (replica, arbiter)
        bricks = [b.findtext("name") for b in vol.findall("bricks/brick")]
        assert bricks == ["%s:/data/glusterfs/%s/brick" % (ADDRESSES[n], name) for n in STORAGE]
    # The arbiter brick is the third of the set (storage3).
    assert [b.findtext("isArbiter") for b in volumes["gva"].findall("bricks/brick")] == ["0", "0", "1"]


@pytest.mark.parametrize("volume", VOLUMES)
def test_quorum_options_are_in_force(volume):
    opts = gluster_xml(node("gluster-storage1"), "volume", "get", volume, "all")
    values = {o.findtext("Option"): o.findtext("Value") for o in opts.iter("Opt")}
    assert values["cluster.quorum-type"] == "auto"
    assert values["cluster.server-quorum-type"] == "server"
    assert values["network.ping-timeout"] == "20"


@pytest.mark.parametrize("name", STORAGE)
def test_brick_roots_carry_their_volume_id(name):
    host = node(name)
    info = gluster_xml(host, "volume", "info")
    for vol in info.findall("volInfo/volumes/volume"):
        brick = "/data/glusterfs/%s/brick" % vol.findtext("name")
        out = host.check_output("getfattr --absolute-names -n trusted.glusterfs.volume-id -e hex %s", brick)
        assert "0x" + vol.findtext("id").replace("-", "") in out


def test_client_mounts_with_backup_volfile_servers():
    host = node(CLIENT)
    fstab = host.file("/etc/fstab").content_string
    for volume in VOLUMES:
        mount = host.mount_point("/mnt/gluster/%s" % volume)
        assert mount.exists and mount.filesystem == "fuse.glusterfs"
        assert mount.device == "10.79.0.11:/%s" % volume
        assert ("10.79.0.11:/%s /mnt/gluster/%s glusterfs defaults,_netdev,noatime,"
                "backup-volfile-servers=10.79.0.12:10.79.0.13 0 0" % (volume, volume)) in fstab


def test_kubelet_requires_the_mounts():
    dropin = node(CLIENT).file("/etc/systemd/system/kubelet.service.d/20-gluster-mounts.conf")
    assert "RequiresMountsFor=/mnt/gluster/gv0 /mnt/gluster/gva\n" in dropin.content_string


@pytest.mark.parametrize("volume", VOLUMES)
def test_client_reads_back_what_it_wrote(volume):
    expected = manifest(volume)
    actual = sha256_of(node(CLIENT), "/mnt/gluster/%s/survival" % volume, sorted(expected))
    assert actual == expected


@pytest.mark.parametrize("name", ["gluster-storage1", "gluster-storage2", "gluster-storage3"])
def test_replica3_bricks_hold_identical_copies(name):
    # storage2 was down for the second half of the writes: its copy is the
    # self-heal's work.
    expected = manifest("gv0")
    actual = sha256_of(node(name), "/data/glusterfs/gv0/brick/survival", sorted(expected))
    assert actual == expected


@pytest.mark.parametrize("name", ["gluster-storage1", "gluster-storage2"])
def test_arbiter_volume_data_bricks_hold_identical_copies(name):
    expected = manifest("gva")
    actual = sha256_of(node(name), "/data/glusterfs/gva/brick/survival", sorted(expected))
    assert actual == expected


def test_arbiter_brick_holds_names_but_no_data():
    expected = sorted(manifest("gva"))
    out = node("gluster-storage3").check_output(
        "cd /data/glusterfs/gva/brick/survival && stat -c '%%F %%s %%n' --" + " %s" * len(expected), *expected)
    assert out.splitlines() == ["regular empty file 0 %s" % path for path in expected]


def test_gluster_health_is_green():
    result = ansible_node("gluster-storage1").ansible("mlplatform.installer.gluster_health", "max_pending_heals=0", check=False)
    assert result.get("healthy") is True, result.get("msg", result)
    for volume in VOLUMES:
        assert result["volumes"][volume]["bricks_online"] == 3
        assert result["volumes"][volume]["heal"]["pending"] == 0


def test_survival_report_has_heal_time_and_figures():
    with open(REPORT) as handle:
        report = json.load(handle)
    assert all(count > 0 for count in report["pending_heals_while_down"].values())
    assert 0 < report["heal_seconds_after_restart"] < 300
    for figure in ("seqwrite_mib_s", "seqread_mib_s", "randwrite_iops", "randread_iops", "etcd_fdatasync_p99_ms"):
        assert report["benchmark_figures"][figure] > 0
