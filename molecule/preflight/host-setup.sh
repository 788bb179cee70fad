#!/usr/bin/env bash
# Host side of the scenario, before molecule creates the nodes: the throttled
# loop disk for etcd, a blank throttled loop disk for the storage node's
# bricks, and a network with fixed addresses (the molecule podman driver
# cannot set a subnet itself).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
"$repo/testbed/slowdisk.sh" up preflight-etcd

# The brick disk stays blank (no file system, not mounted): preflight must
# measure it raw, and only because nothing is on it. podman takes /dev paths
# only, hence the stable symlink to whichever loop device it got.
brick=/var/tmp/mlp-preflight-brick
mkdir -p "$brick"
[ -f "$brick/disk.img" ] || truncate -s 256M "$brick/disk.img"
dev="$(losetup -j "$brick/disk.img" | cut -d: -f1 | head -n1)"
[ -n "$dev" ] || dev="$(losetup -f --show "$brick/disk.img")"
ln -sfn "$dev" /dev/mlp-preflight-brick
echo "preflight brick disk: $dev (blank), throttle device /dev/mlp-preflight-brick"

podman network exists preflight-net || podman network create --subnet 10.81.0.0/24 preflight-net >/dev/null
