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
repo="$(dirname "$here")"
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

# promtool for the rule tests (tests/unit/test_monitoring_rules.py): only the
# binary, from Debian's `prometheus` package, into the checkout's .cache/.
# Installing that package would enable and start a Prometheus daemon on this
# machine; the tests need none. Kept until the file is missing or broken.
promtool="$repo/.cache/promtool/promtool"
if ! "$promtool" --version >/dev/null 2>&1; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # apt's download sandbox user cannot write into root's mktemp directory.
  if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root prometheus >/dev/null); then
    apt-get update -qq
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root prometheus >/dev/null)
  fi
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  install -D -m 0755 "$tmp/usr/bin/promtool" "$promtool"
  echo "installed $("$promtool" --version 2>&1 | head -1) as $promtool"
fi
