#!/usr/bin/env bash
# Install what the bed needs on this machine (Debian 12), idempotently:
# podman with runc (crun cannot raise rlimits here), netavark/aardvark-dns for
# static addresses and names, iptables for netavark, debootstrap for the image,
# ssh for Ansible's connection; qemu-utils and netplan.io for the tests that
# convert the golden image and check rendered netplan files; dnsmasq-base, a
# real DNS server for the DNS check's tests; shellcheck for ansible-test
# sanity (tests/run_all.py). Then the
# containers.conf the bed needs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packages=(podman runc netavark aardvark-dns iptables debootstrap openssh-client fio qemu-utils netplan.io dnsmasq-base shellcheck)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

install -d /etc/containers
if ! cmp -s "$here/containers.conf" /etc/containers/containers.conf; then
  install -m 0644 "$here/containers.conf" /etc/containers/containers.conf
  echo "wrote /etc/containers/containers.conf"
fi
