#!/usr/bin/env bash
# scripts/demo.sh refuses options that exclude each other or carry bad values, with exit
# status 2 and a message naming the option, before it installs or builds anything. Each call
# writes to a temporary --out and is cut off after 30 s, so a missing refusal fails the test
# instead of running (and replacing) a real demo.
set -uo pipefail
demo="$(dirname "$0")/../../scripts/demo.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
expect_refusal() {  # expect_refusal "MESSAGE PART" ARGS...: exit 2, MESSAGE PART on stderr
  local want="$1"; shift
  local err status
  err=$(timeout 30 bash "$demo" --out "$tmp/out" "$@" 2>&1 >/dev/null </dev/null)
  status=$?
  if [ "$status" != 2 ] || [[ "$err" != *"$want"* ]]; then
    echo "FAIL: demo.sh $* -> exit $status, stderr: $err (expected exit 2 and '$want')"
    failures=$((failures + 1))
  else
    echo "ok: demo.sh $* -> $err"
  fi
}
expect_refusal "--quick and --full exclude each other" --quick --full
expect_refusal "--full is the demo from pixels" --full --setup mdp
expect_refusal "--setup must be visual or mdp, got lidar" --setup lidar
expect_refusal "--demo-policy must be expert or noisy, got random" --demo-policy random
expect_refusal "--models must be shared or per-seed, got all" --models all
expect_refusal "--jobs must be a positive integer, got '0'" --jobs 0
expect_refusal "--jobs must be a positive integer, got 'two'" --jobs two
expect_refusal "unknown option --fast" --fast
[ $failures = 0 ] || { echo "$failures refusal(s) missing"; exit 1; }
