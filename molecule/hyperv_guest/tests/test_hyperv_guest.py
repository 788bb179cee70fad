"""hyperv_guest: the skip on a non-Hyper-V node, the install path when forced.

The daemons need the VMBus devices (/dev/vmbus/hv_*) that only a Hyper-V VM
has: here they are installed and checked as programs and units, not enabled
without a device, and enabled and started by the role when its device is
there (side_effect.yml).
"""

import testinfra

DETECTED = testinfra.get_host("podman://hyperv_guest-detected")
FORCED = testinfra.get_host("podman://hyperv_guest-forced")
DAEMONS = ("hv-kvp-daemon", "hv-vss-daemon", "hv-fcopy-daemon")


def test_a_container_is_not_taken_for_a_hyperv_guest():
    # What Ansible's fact code reads: a Hyper-V VM has DMI vendor
    # "Microsoft Corporation"; this node is a podman container.
    assert DETECTED.file("/run/systemd/container").content_string.strip() == "podman"
    assert not DETECTED.package("hyperv-daemons").is_installed
    for daemon in DAEMONS:
        assert DETECTED.run("systemctl cat %s.service" % daemon).rc != 0


def test_forced_install_brings_debians_daemons():
    assert FORCED.package("hyperv-daemons").is_installed
    for daemon in DAEMONS:
        unit = FORCED.check_output("systemctl cat %s.service" % daemon)
        # Each unit is bound to its VMBus device.
        assert "BindsTo=sys-devices-virtual-misc-vmbus" in unit
    for binary in ("hv_kvp_daemon", "hv_vss_daemon", "hv_fcopy_daemon"):
        # The programs run (hv_fcopy_daemon exits 1 after its usage text).
        out = FORCED.run("/usr/sbin/%s --help" % binary)
        assert out.rc in (0, 1)
        assert "Usage: /usr/sbin/%s" % binary in out.stdout + out.stderr


def test_daemons_are_not_started_without_vmbus():
    """The converge found no VMBus device: nothing enabled (Debian ships the
    units disabled). side_effect.yml then gave hv_kvp only."""
    assert not FORCED.file("/dev/vmbus").exists
    for daemon in ("hv-vss-daemon", "hv-fcopy-daemon"):
        service = FORCED.service(daemon)
        assert not service.is_running
        assert not service.is_enabled


def test_the_daemon_whose_device_exists_is_enabled_and_started():
    """side_effect.yml: with hv_kvp present the role enables hv-kvp-daemon and
    starts it; systemd then stops it, its BindsTo= device being absent here."""
    assert FORCED.service("hv-kvp-daemon").is_enabled
    journal = FORCED.check_output("journalctl -u hv-kvp-daemon.service --no-pager -o cat")
    assert "Started hv-kvp-daemon.service" in journal
