#!/usr/bin/env bash
# A throttled data disk for a bed node: a loop device with an ext4 file system,
# mounted on this machine, bind-mounted into the node at its data path and
# throttled there with podman's --device-write-bps/--device-write-iops.
# Throttling only a data volume (not the root disk) keeps the rest of the node
# fast (TESTBED.md: a throttled root disk made a 2-node run take 7 minutes).
#
#   slowdisk.sh up NAME    -> /var/tmp/mlp-slowdisk/NAME/mnt, device /dev/mlp-slowdisk-NAME
#   slowdisk.sh down NAME  -> unmount, detach, remove
# podman accepts only /dev paths for throttles, hence the stable /dev symlink:
# molecule.yml can name it before the loop device exists.
set -euo pipefail
action="${1:?usage: slowdisk.sh up|down NAME}"
name="${2:?usage: slowdisk.sh up|down NAME}"
size="${MLP_SLOWDISK_SIZE:-1G}"
base="/var/tmp/mlp-slowdisk/$name"
link="/dev/mlp-slowdisk-$name"

case "$action" in
  up)
    mkdir -p "$base/mnt"
    if mountpoint -q "$base/mnt" && [ -e "$link" ]; then
      echo "slowdisk $name: already up ($(readlink "$link"))"
      exit 0
    fi
    [ -f "$base/disk.img" ] || truncate -s "$size" "$base/disk.img"
    dev="$(losetup -j "$base/disk.img" | cut -d: -f1 | head -n1)"
    if [ -z "$dev" ]; then
      dev="$(losetup -f --show "$base/disk.img")"
    fi
    blkid "$dev" >/dev/null 2>&1 || mkfs.ext4 -q "$dev"
    mountpoint -q "$base/mnt" || mount "$dev" "$base/mnt"
    ln -sfn "$dev" "$link"
    echo "slowdisk $name: $dev mounted on $base/mnt, throttle device $link"
    ;;
  down)
    if mountpoint -q "$base/mnt"; then umount -l "$base/mnt"; fi
    for dev in $(losetup -j "$base/disk.img" 2>/dev/null | cut -d: -f1); do losetup -d "$dev"; done
    rm -f "$link"
    rm -rf "$base"
    echo "slowdisk $name: removed"
    ;;
  *)
    echo "usage: slowdisk.sh up|down NAME" >&2
    exit 2
    ;;
esac
