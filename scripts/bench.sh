#!/usr/bin/env bash
# Benchmarks the batch steps on one year of real 1-minute BTCUSDT (../shared/data) with ITB's
# 1min reference config: wall time and peak memory (max RSS) of each tradectl command, as a
# user runs it. Usage: [FORMAT=csv|parquet] scripts/bench.sh [year-file] (default
# BTCUSDT-1m-2023.csv.gz). FORMAT=parquet names every step file *.parquet (klines.csv stays CSV).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd .. && pwd)/shared/data"
file="${1:-BTCUSDT-1m-2023.csv.gz}"
format="${FORMAT:-csv}"
case "$format" in csv|parquet) ;; *) echo "bench: FORMAT must be csv or parquet" >&2; exit 1 ;; esac
[ -f "$data/$file" ] || { echo "bench: $data/$file is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d /tmp/tradectl-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/tradectl" ./cmd/tradectl
cfg="$work/config.jsonc"
sed -e "s|\"data_folder\": \"C:/DATA_ITB\"|\"data_folder\": \"$work/data\"|" testdata/configs/config-sample-1min.jsonc > "$cfg"
if [ "$format" = parquet ]; then
  sed -i -e '0,/^{/s//{\n  "merge_file_name": "data.parquet", "feature_file_name": "features.parquet",\n  "matrix_file_name": "matrix.parquet", "predict_file_name": "predictions.parquet",/' "$cfg"
fi
mkdir -p "$work/data"

chain=0 # wall time of merge -> predict
run() { # name, args...
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$work/tradectl" "$@" -c "$cfg" > "$work/$name.out" 2> "$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
  read -r wall rss user sys < "$work/time.txt"
  # CPU (user + system) is printed too: on a loaded machine it moves far less than wall time.
  printf '%-22s %8.2f s %8.1f MB %8.2f s CPU\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)" "$(echo "$user + $sys" | bc -l)"
  case "$name" in download*|"features (+1 day)") ;; *) chain=$(echo "$chain + $wall" | bc -l) ;; esac
}

echo "tradectl $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, $file, $format files"
run "download --archive" download --archive "$data/$file"
run merge merge
run "features (full)" features --full
run labels labels
if "$work/tradectl" train --help >/dev/null 2>&1; then
  run "train (lc)" train
  run predict predict
  printf '%-22s %8.2f s\n' "merge -> predict" "$chain"
fi
if "$work/tradectl" rolling --help >/dev/null 2>&1; then
  run "rolling (4 weekly folds)" rolling --no-cache
fi
sym="$work/data/BTCUSDT"
ls -l "$sym" | awk '/\.(csv|parquet)$/ { printf "%-22s %8.1f MB\n", $NF, $5/1e6 }'
# Incremental features: a year minus one day, then the day appended.
cp "$sym/klines.csv" "$work/klines.full.csv"
head -n -1440 "$work/klines.full.csv" > "$sym/klines.csv"
"$work/tradectl" merge -c "$cfg" > /dev/null 2>&1
"$work/tradectl" features --full -c "$cfg" > /dev/null 2>&1
cp "$work/klines.full.csv" "$sym/klines.csv"
"$work/tradectl" merge -c "$cfg" > /dev/null 2>&1
run "features (+1 day)" features
grep -q incremental "$work/features (+1 day).out" || { echo "bench: features did not run incrementally" >&2; cat "$work/features (+1 day).out" >&2; exit 1; }
