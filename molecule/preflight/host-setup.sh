#!/usr/bin/env bash
# Host side of the scenario, before molecule creates the nodes: the throttled
# loop disk and a network with fixed addresses (the molecule podman driver
# cannot set a subnet itself).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
"$repo/testbed/slowdisk.sh" up preflight-etcd
podman network exists preflight-net || podman network create --subnet 10.81.0.0/24 preflight-net >/dev/null
