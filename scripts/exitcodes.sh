#!/usr/bin/env bash
# Checks that successful commands always exit 0 (a cron job must never see a false failure):
# runs `tradectl version` VERSION_RUNS times (default 1000) and `tradectl merge` MERGE_RUNS
# times (default 50) on a demo folder, prints the exit-code counts of each and fails unless
# every run exited 0. Usage: scripts/exitcodes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version_runs=${VERSION_RUNS:-1000}
merge_runs=${MERGE_RUNS:-50}

work=$(mktemp -d /tmp/tradectl-exitcodes-XXXXXX)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/tradectl" ./cmd/tradectl
"$work/tradectl" demo --dir "$work/demo" --days 10 >/dev/null 2>&1

count() { # runs, args... -> prints "exit-code count" lines
  local n=$1; shift
  for _ in $(seq "$n"); do
    rc=0
    "$work/tradectl" "$@" >/dev/null 2>&1 || rc=$?
    echo "$rc"
  done | sort -n | uniq -c | awk '{printf "  exit %s: %s runs\n", $2, $1}'
}

fail=0
v=$(count "$version_runs" version)
echo "tradectl version x $version_runs:"; echo "$v"
m=$(count "$merge_runs" merge -c "$work/demo/config.jsonc")
echo "tradectl merge x $merge_runs (demo folder, 10 days):"; echo "$m"
for out in "$v" "$m"; do
  if echo "$out" | grep -qv '^  exit 0:'; then fail=1; fi
done
if [ "$fail" = 1 ]; then echo "exitcodes: FAIL: a successful command exited non-zero" >&2; exit 1; fi
echo "exitcodes: ok"
