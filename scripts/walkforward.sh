#!/usr/bin/env bash
# Walk-forward backtest on real data, end to end: BTCUSDT 1m 2022-2023 (../shared/data) with
# ITB's 1min sample config (testdata/configs/config-sample-1min.jsonc), then
#   download --archive -> merge -> features -> labels -> rolling (12 weekly folds, lc)
#   -> signals -> simulate --report
# Every step runs under /usr/bin/time -v; the script ends with a table of wall time and peak
# RSS per step. The data folder, logs and report stay in WORKDIR (nothing is written into the
# repository).
#
# Usage: scripts/walkforward.sh [WORKDIR]   (default: a new /tmp/tradectl-walkforward-XXXXXX)
#
# Config changes against ITB's sample, and why:
#   data_folder                WORKDIR/data
#   rolling_predict.prediction_steps 4 -> 12   (12 weekly folds of prediction_size 10080)
#   "train": true -> false, "predict_length": 288 -> 0
#       ITB's row window keeps train_length + features_horizon rows (one year) in merge,
#       features and labels when train is true, which would throw 2022 away. With the window
#       off every step keeps both years, and train_length (525600, unchanged) still makes each
#       fold train on the year before it (a sliding window), as in ITB's predict_rolling.
# signal_sets (trade_score = high_20_lc - low_20_lc, threshold_rule) and simulate_model (ITB's
# 6 x 6 grid, long) are the sample's; the fill model takes tradectl's defaults (10 bps fees per
# side, next-open fills, all equity).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
data="$(cd .. && pwd)/shared/data"
years=(BTCUSDT-1m-2022.csv.gz BTCUSDT-1m-2023.csv.gz)
for y in "${years[@]}"; do
  [ -f "$data/$y" ] || { echo "walkforward: $data/$y is missing" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "walkforward: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

work=${1:-$(mktemp -d /tmp/tradectl-walkforward-XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
case "$work/" in "$repo"/*) echo "walkforward: $work is inside the repository; pick a folder outside it" >&2; exit 1 ;; esac
[ -z "$(ls -A "$work")" ] || { echo "walkforward: $work is not empty; pick a fresh folder" >&2; exit 1; }
mkdir -p "$work/data" "$work/logs"

CGO_ENABLED=0 go build -o "$work/tradectl" ./cmd/tradectl
cfg="$work/config.jsonc"
sed -e "s|\"data_folder\": \"C:/DATA_ITB\"|\"data_folder\": \"$work/data\"|" \
  -e 's|"train": true,|"train": false,|' \
  -e 's|"predict_length": 288,|"predict_length": 0,|' \
  -e 's|"prediction_steps": 4,|"prediction_steps": 12,|' \
  testdata/configs/config-sample-1min.jsonc > "$cfg"
for want in "\"data_folder\": \"$work/data\"" '"train": false,' '"predict_length": 0,' '"prediction_steps": 12,'; do
  grep -qF "$want" "$cfg" || { echo "walkforward: the sample config changed; could not set $want" >&2; exit 1; }
done

steps=()
run() { # name, args...
  local name=$1; shift
  steps+=("$name")
  echo "== $name: tradectl $* -c $cfg"
  if ! /usr/bin/time -v -o "$work/logs/$name.time" "$work/tradectl" "$@" -c "$cfg" > "$work/logs/$name.out" 2> "$work/logs/$name.err"; then
    cat "$work/logs/$name.err" >&2
    echo "walkforward: $name failed; logs in $work/logs" >&2
    exit 1
  fi
  cat "$work/logs/$name.out"
}

echo "tradectl $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run download download --archive "${years[@]/#/$data/}"
run merge merge
run features features --full
run labels labels
run rolling rolling
run signals signals
run simulate simulate --report "$work/report"

echo
echo "step       wall (s)   user+sys (s)   peak RSS (MB)"
for s in "${steps[@]}"; do
  t="$work/logs/$s.time"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2, p, ":"); s=0; for (i=1; i<=n; i++) s=s*60+p[i]; print s}' "$t")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$t")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2/1024}' "$t")
  printf '%-10s %8.2f %14.2f %15.1f\n' "$s" "$wall" "$cpu" "$rss"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "report: $work/report (report.json, trades.csv, price.png, equity.png, heatmap.png)"
