#!/usr/bin/env bash
# Benchmarks the batch steps on one year of real 1-minute BTCUSDT (../shared/data) with ITB's
# 1min reference config: wall time and peak memory (max RSS) of each tradectl command, as a
# user runs it. Usage: scripts/bench.sh [year-file] (default BTCUSDT-1m-2023.csv.gz).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd .. && pwd)/shared/data"
file="${1:-BTCUSDT-1m-2023.csv.gz}"
[ -f "$data/$file" ] || { echo "bench: $data/$file is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d /tmp/tradectl-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/tradectl" ./cmd/tradectl
cfg="$work/config.jsonc"
sed -e "s|\"data_folder\": \"C:/DATA_ITB\"|\"data_folder\": \"$work/data\"|" testdata/configs/config-sample-1min.jsonc > "$cfg"
mkdir -p "$work/data"

run() { # name, args...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$work/tradectl" "$@" -c "$cfg" > "$work/$name.out" 2> "$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
  read -r wall rss < "$work/time.txt"
  printf '%-22s %8.2f s %8.1f MB\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)"
}

echo "tradectl $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, $file"
run "download --archive" download --archive "$data/$file"
run merge merge
run "features (full)" features --full
run labels labels
if "$work/tradectl" train --help >/dev/null 2>&1; then
  run "train (lc)" train
fi
if "$work/tradectl" rolling --help >/dev/null 2>&1; then
  run "rolling (4 weekly folds)" rolling --no-cache
fi
# Incremental features: a year minus one day, then the day appended.
sym="$work/data/BTCUSDT"
cp "$sym/data.csv" "$work/data.full.csv"
head -n -1440 "$work/data.full.csv" > "$sym/data.csv"
"$work/tradectl" features --full -c "$cfg" > /dev/null 2>&1
cp "$work/data.full.csv" "$sym/data.csv"
run "features (+1 day)" features
grep -q incremental "$work/features (+1 day).out" || { echo "bench: features did not run incrementally" >&2; cat "$work/features (+1 day).out" >&2; exit 1; }
