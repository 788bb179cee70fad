#!/usr/bin/env bash
# Build the bed's node image: a Debian 12 systemd root made with debootstrap.
# Ubuntu archives are unreachable here, so the bed runs Debian 12; roles reach
# Ubuntu through their vars files. The image tag is a hash of this folder, so
# the ~60 s debootstrap only runs again when the recipe changes.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
name="${MLP_BED_IMAGE_NAME:-localhost/mlp-bed}"
recipe_hash="$(cd "$here" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
image="$name:$recipe_hash"

if podman image exists "$image"; then
  podman tag "$image" "$name:current"
  echo "bed image $image is up to date"
  exit 0
fi

# The package list is what Ansible needs to manage a node over SSH the way it
# manages a production VM (python3, sudo, sshd), plus systemd to boot.
packages=systemd,systemd-sysv,dbus,python3,python3-apt,openssh-server,sudo,iproute2,ca-certificates,curl,gnupg,procps,iputils-ping,udev,locales,less

root="$(mktemp -d /var/tmp/mlp-bed-root.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "building $image with debootstrap (about a minute)"
debootstrap --variant=minbase --include="$packages" bookworm "$root" http://deb.debian.org/debian >/dev/null

# Overlay the recipe's files (ops user sudoers, host key generation unit).
cp -a "$here/rootfs/." "$root/"
chroot "$root" /bin/sh -eu <<'CHROOT'
useradd --create-home --shell /bin/bash ops
install -d -m 0700 -o ops -g ops /home/ops/.ssh
# Fresh host keys per container: generated at first boot, never baked in.
rm -f /etc/ssh/ssh_host_*
systemctl enable ssh-hostkeys.service ssh.service >/dev/null
# Units that make no sense in a container and only fail there.
systemctl mask systemd-udevd.service systemd-udev-trigger.service getty@tty1.service \
  systemd-remount-fs.service sys-kernel-debug.mount >/dev/null 2>&1 || true
sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen
locale-gen >/dev/null
# Package lists stay in the image, as on a cloud image: with no lists at all,
# python-apt creates a fresh pkgcache.bin and Ansible's apt module then takes
# cache_valid_time as satisfied and never updates (measured here).
cat > /etc/apt/sources.list <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
apt-get update -qq
apt-get clean
CHROOT

tar -C "$root" -c . | podman import --change 'CMD ["/lib/systemd/systemd"]' - "$image" >/dev/null
podman tag "$image" "$name:current"
echo "built $image"
