"""node_base on a bed node: behaviour, not just files.

The node is an unprivileged podman container: modules, sysctls and swap
belong to the host kernel, so those are checked as the boot-time files the
role writes (and the role must not have touched the host). chrony, the
unattended-upgrades policy and journald really run and are checked live.
"""

import os
import re
import time

import testinfra.utils.ansible_runner

# podman:// runs each check with `podman exec` (testinfra's Ansible backend
# would start one ansible process per command: minutes on a busy bed).
testinfra_hosts = ["podman://" + name for name in testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("nodes")]

NTP_SERVER = "10.78.0.130"


def test_chronyd_runs_without_clock_control_in_a_container(host):
    assert host.service("chrony").is_running
    assert host.service("chrony").is_enabled
    args = host.check_output("ps -C chronyd -o args=")
    # -x: a container must never try to set the host's clock.
    assert "-x" in args.split()


def test_chrony_uses_only_the_inventory_servers(host):
    conf = host.file("/etc/chrony/chrony.conf").content_string
    servers = re.findall(r"^(?:server|pool)\s+(\S+)", conf, re.M)
    assert servers == [NTP_SERVER]
    sources = host.check_output("chronyc -n sources")
    listed = re.findall(r"^\^.\s+(\S+)", sources, re.M)
    assert listed == [NTP_SERVER]


def test_chrony_synchronises_with_the_configured_server(host):
    # iburst gets four samples in a few seconds; allow for a slow bed.
    deadline = time.time() + 60
    while True:
        sources = host.check_output("chronyc -n sources")
        if re.search(r"^\^\*\s+%s\s" % re.escape(NTP_SERVER), sources, re.M):
            break
        assert time.time() < deadline, "chrony never selected %s:\n%s" % (NTP_SERVER, sources)
        time.sleep(2)
    tracking = host.check_output("chronyc -n tracking")
    assert re.search(r"^Reference ID\s+:\s+\S+ \(%s\)" % re.escape(NTP_SERVER), tracking, re.M)


def test_kernel_modules_are_loaded_at_boot(host):
    lines = [l for l in host.file("/etc/modules-load.d/90-mlp-kubernetes.conf").content_string.splitlines()
             if l and not l.startswith("#")]
    assert lines == ["overlay", "br_netfilter"]


def test_sysctls_are_written_for_boot(host):
    conf = host.file("/etc/sysctl.d/90-mlp-kubernetes.conf").content_string
    values = dict(l.split("=", 1) for l in conf.splitlines() if l and not l.startswith("#"))
    assert values["net.ipv4.ip_forward"] == "1"
    assert values["net.bridge.bridge-nf-call-iptables"] == "1"
    assert values["fs.inotify.max_user_instances"] == "8192"
    # The sysctls cannot be applied here (/proc/sys is the host's, read-only),
    # but every key must be one this kernel knows, or a misspelling would only
    # show at the first real boot. The bridge keys appear once br_netfilter is
    # loaded, which this kernel cannot do.
    for key in values:
        if key.startswith("net.bridge."):
            continue
        assert host.file("/proc/sys/" + key.replace(".", "/")).exists, key


def test_swap_stays_off_after_a_reboot(host):
    fstab = host.file("/etc/fstab").content_string
    swap_lines = [l for l in fstab.splitlines() if re.match(r"^\s*[^#\s]+\s+\S+\s+swap\s", l)]
    assert swap_lines == []
    assert "# /swap.img none swap sw 0 0" in fstab
    assert host.run("systemctl is-enabled swap.target").stdout.strip() == "masked"


def test_unattended_upgrades_never_reboot(host):
    # prepare.yml left a 51site-reboot file that turns automatic reboots on, as
    # some site images do; the role's file must win. apt_pkg is the API
    # unattended-upgrade itself reads its settings with.
    out = host.check_output(
        "python3 -c 'import apt_pkg; apt_pkg.init_config(); c = apt_pkg.config; "
        "print(c.find_b(\"Unattended-Upgrade::Automatic-Reboot\", True)); "
        "print(c.find(\"APT::Periodic::Unattended-Upgrade\")); "
        "print(\" \".join(c.value_list(\"Unattended-Upgrade::Package-Blacklist\")))'")
    reboot, periodic, blacklist = out.splitlines()
    assert reboot == "False"
    assert periodic == "1"
    assert {"glusterfs-", "containerd", "nvidia-"} <= set(blacklist.split())


def test_journald_runs_with_the_limits(host):
    # journald logs its effective limit each time it opens the system journal;
    # the role restarted it after writing the drop-in.
    out = host.check_output("journalctl -b -u systemd-journald -o cat --no-pager")
    opened = re.findall(r"^System Journal \((/var/log/journal/[^)]+)\) is .*, max ([0-9.]+[KMGT]), ", out, re.M)
    assert opened, out
    path, limit = opened[-1]
    assert limit == "1.0G"
    assert host.file(path).is_directory


def test_base_packages_work(host):
    assert host.run("jq -n 1+1").stdout.strip() == "2"
    assert host.run("socat -V").rc == 0
    assert host.run("conntrack --version").rc == 0
    # validate.yml's storage gates need it and install nothing.
    assert host.run("fio --version").stdout.startswith("fio-")


def test_time_source_check_refuses_hyperv_time_sync(host):
    """side_effect.yml ran the role's check on a VM's clock list with and
    without Hyper-V's time synchronization: chrony must be the only one."""
    refused = host.file("/run/mlp-test/hyperv-timesync-on.verdict").content_string
    assert refused.startswith("failed: ")
    assert "node_base-node1: Hyper-V's Time Synchronization integration service is on" in refused
    assert "/run/mlp-test/hyperv-timesync-on/ptp0/clock_name" in refused
    assert "Disable-VMIntegrationService" in refused
    assert host.file("/run/mlp-test/hyperv-timesync-off.verdict").content_string == "passed\n"


def test_gpu_node_blacklists_nouveau_and_has_the_preflight_tools(host):
    """node1 is in gpu_nodes: nouveau is blacklisted for modprobe, lspci and mokutil answer."""
    conf = host.file("/etc/modprobe.d/mlp-nouveau.conf")
    assert conf.mode == 0o644
    assert "blacklist nouveau" in conf.content_string.splitlines()
    assert host.run("lspci -nn").rc == 0
    # A container has no EFI variables: mokutil runs (rc 1) and says so, which
    # the GPU preflight reads as no Secure Boot.
    answer = host.run("mokutil --sb-state")
    assert "EFI variables are not supported" in answer.stdout + answer.stderr or "SecureBoot" in answer.stdout
