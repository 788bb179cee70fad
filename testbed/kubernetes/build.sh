#!/usr/bin/env bash
# Build the bed's control plane (etcd, kube-*, kubectl) and kwok from the
# wrapper Go modules in gomod/<name>/, with the versions pinned there.
#
# Binaries are cached per pin outside the checkout:
#   ${MLP_BED_CACHE:-~/.cache/mlplatform-bed}/bin/<name>-<hash of go.mod, go.sum, this script, go version>/
# and rebuilt only when a pin, this script or the Go toolchain changes. Nothing is downloaded
# as a prebuilt binary: every byte comes from the Go module proxy as source.
#
# Usage: build.sh [--print-dir]   (--print-dir prints "<name> <dir>" per module)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MLP_BED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlplatform-bed}"
# readonly: go.sum is the pin, a build never edits it; no VCS stamp of this
# repository into the binaries; the installed Go, never a downloaded toolchain.
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
# This machine kind ships Go in /usr/local/go/bin; callers other than make
# (ansible-playbook, tests) may not have it on PATH.
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || {
  echo "build.sh: Go is not installed; the bed's Kubernetes binaries are built from Go modules." >&2
  echo "Install Go 1.26 or newer (this machine kind ships it in /usr/local/go/bin)." >&2
  exit 1; }
print_dir=false
[[ "${1:-}" == --print-dir ]] && print_dir=true

# The version a module pins for a path, from its go.mod ("require X vN").
pinned() { awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "$1/go.mod"; }

# -ldflags per module: the version stamps each project's release build sets
# (without them kube-apiserver reports v0.0.0-master).
ldflags() {
  local dir="$1" name="$2" v
  case "$name" in
    kubernetes)
      v="$(pinned "$dir" k8s.io/kubernetes)"
      local major="${v#v}"; major="${major%%.*}"
      local minor="${v#v*.}"; minor="${minor%%.*}"
      local x=""
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        x+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        x+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      done
      echo "-s -w$x" ;;
    *) echo "-s -w" ;;
  esac
}

# A package's binary name: its last path element without a /vN suffix;
# etcd's server is the package go.etcd.io/etcd/server/v3.
binary_name() {
  case "$1" in
    go.etcd.io/etcd/server/v3) echo etcd ;;
    *) local p="${1%/v[0-9]*}"; echo "${p##*/}" ;;
  esac
}

for dir in "$here"/gomod/*/; do
  dir="${dir%/}"; name="$(basename "$dir")"
  # The cache key: the pins, this script (flags, stamps) and the toolchain.
  key="$( (cat "$dir/go.mod" "$dir/go.sum" "$0"; go version) | sha256sum | cut -c1-12)"
  out="$cache/bin/$name-$key"
  if [[ ! -f "$out/.complete" ]]; then
    # The tool directives of go.mod are the list of binaries to build.
    mapfile -t tools < <(awk '/^tool \(/{t=1; next} t && /^\)/{t=0} t && $1 ~ /\./ {print $1} /^tool [^(]/{print $2}' "$dir/go.mod")
    (( ${#tools[@]} )) || { echo "build.sh: no tool directive in $dir/go.mod: nothing to build" >&2; exit 1; }
    # Built beside the cache entry and moved in whole: a failed or concurrent
    # build never leaves a half-filled entry marked complete.
    tmp="$out.tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    echo "build.sh: building $name (${#tools[@]} binaries) into $out" >&2
    start=$SECONDS
    for pkg in "${tools[@]}"; do
      bin="$(binary_name "$pkg")"
      (cd "$dir" && go build -trimpath -ldflags "$(ldflags "$dir" "$name")" -o "$tmp/$bin" "$pkg")
    done
    echo "build.sh: $name built in $((SECONDS - start)) s" >&2
    if [[ "$name" == kwok ]]; then
      # Since v0.8.0 kwok has no built-in stages: take the ones the pinned
      # module ships (Nodes: initialize, heartbeat with lease; Pods: ready,
      # complete, delete), so they always match the binary.
      src="$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
      for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
               pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
        echo "---"; cat "$src/$f.yaml"
      done > "$tmp/stages.yaml"
    fi
    touch "$tmp/.complete"
    rm -rf "$out"; mv "$tmp" "$out"
    trap - EXIT
  fi
  $print_dir && echo "$name $out"
done
exit 0
