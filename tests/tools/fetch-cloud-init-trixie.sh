#!/usr/bin/env bash
# Unpack Debian 13 (trixie)'s cloud-init into a cache directory, so the tests
# can validate rendered seeds with a cloud-init that checks network-config too
# (Debian 12's 22.4 validates user-data only and misses top-level key typos).
#
# Nothing on this machine changes: apt runs with its own state, cache and
# source list under the cache directory, and the package is unpacked with
# `dpkg -x`, never installed. Re-running is a no-op once the cache is there.
#
# Usage: tests/tools/fetch-cloud-init-trixie.sh [CACHE_DIR]
# Prints the cache directory's root (the unpacked filesystem) on success.
# Environment: MLP_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${1:-$repo/.cache/cloud-init-trixie}"
mirror="${MLP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Pure-Python dependencies of `cloud-init schema` that the project's venv does
# not already provide (PyYAML, Jinja2, jsonschema, requests come from it).
packages=(cloud-init python3-configobj python3-jsonpatch python3-json-pointer)

root="$cache/root"
stamp="$cache/.complete"
if [[ -f "$stamp" && -x "$root/usr/bin/cloud-init" ]]; then
  echo "$root"
  exit 0
fi

state="$cache/apt"
rm -rf "$state" "$root"
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/debs" "$state/empty" "$root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$state/sources.list"
: >"$state/status"

apt_opts=(
  -o "Dir::State=$state"
  -o "Dir::State::Lists=$state/lists"
  -o "Dir::State::status=$state/status"
  -o "Dir::Cache=$state"
  -o "Dir::Cache::archives=$state/archives"
  -o "Dir::Etc::SourceList=$state/sources.list"
  -o "Dir::Etc::SourceParts=$state/empty"
  -o "Dir::Etc::Preferences=$state/empty/preferences"
  -o "Dir::Etc::PreferencesParts=$state/empty"
  -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$state/debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}" >&2)
for deb in "$state/debs"/*.deb; do
  dpkg -x "$deb" "$root"
done
# Record exactly what was unpacked, for the test report.
dpkg-deb -f "$state/debs"/cloud-init_*.deb Version >"$cache/cloud-init.version"
touch "$stamp"
echo "$root"
