#!/usr/bin/env bash
# Measures the signal service (issue 10's benchmarks) with ITB's 1min sample config and models
# trained on 3 real days of BTCUSDT (2024-01-01..03, ../shared/data):
#  1. `signal serve --replay` of the next real day (1,440 ticks) at --speed 0: wall time and
#     peak RSS (/usr/bin/time; target under 5 s), messages logged (no Telegram token);
#  2. unless QUICK=1: the RSS of the running service (target under 40 MB) with
#     BenchmarkServeRSS (cmd/tradectl): `signal serve` live against a fake Binance on a clock
#     offset onto the data (LIVE_TICKS ticks, a real minute each, default 3) and a replay at
#     SPEED (default 60) for REPLAY_TICKS ticks (default 300), both sending to a fake
#     Telegram; VmRSS/VmHWM read from /proc/PID/status after every tick.
# Usage: [QUICK=1] [LIVE_TICKS=n] [REPLAY_TICKS=n] [SPEED=x] scripts/serve-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd .. && pwd)/shared/data"
file="$data/BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz"
[ -f "$file" ] || { echo "serve-rss: $file is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "serve-rss: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d /tmp/tradectl-serve-XXXXXX)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/tradectl" ./cmd/tradectl
day=1440
history=408 # predict_length + features_horizon of the sample config
# Binance dump rows: days 1-3 to train on; the history before day 4 and day 4 to replay.
zcat "$file" | head -n $((3 * day)) > "$work/BTCUSDT-1m-train.csv" || true
zcat "$file" | head -n $((4 * day)) | tail -n $((day + history)) > "$work/BTCUSDT-1m-replay.csv" || true

config() { # data folder → config path
  mkdir -p "$1"
  sed -e "s|\"data_folder\": \"C:/DATA_ITB\"|\"data_folder\": \"$1\"|" testdata/configs/config-sample-1min.jsonc > "$1/config.jsonc"
  echo "$1/config.jsonc"
}
quiet() { "$@" > "$work/step.log" 2>&1 || { cat "$work/step.log" >&2; exit 1; }; }

cfg=$(config "$work/data")
quiet "$work/tradectl" download -c "$cfg" --archive "$work/BTCUSDT-1m-train.csv"
for step in merge features labels train; do quiet "$work/tradectl" "$step" -c "$cfg"; done
# The replay file as download writes it (klines.csv), imported in another folder.
quiet "$work/tradectl" download -c "$(config "$work/replay")" --archive "$work/BTCUSDT-1m-replay.csv"

echo "tradectl $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime | sed 's/.*load/load/')"
rm -f "$work/data/tradectl.db"*
/usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$work/tradectl" signal serve -c "$cfg" \
  --replay "$work/replay/BTCUSDT/klines.csv" --speed 0 > "$work/serve.out" 2> "$work/serve.err" ||
  { cat "$work/serve.err" >&2; exit 1; }
read -r wall rss user sys < "$work/time.txt"
# CPU (user + system) too: on a loaded machine wall time moves far more. Each tick commits to
# the state database with synchronous=FULL (an fsync per commit), so a busy disk shows here.
printf 'signal serve --replay (1 day, --speed 0): %.2f s wall, %.2f s CPU, max RSS %.1f MB; %s\n' \
  "$wall" "$(echo "$user + $sys" | bc -l)" "$(echo "$rss/1024" | bc -l)" "$(tail -n 1 "$work/serve.out")"

[ "${QUICK:-}" = 1 ] && exit 0
TRADECTL_RSS_LIVE_TICKS="${LIVE_TICKS:-3}" TRADECTL_RSS_REPLAY_TICKS="${REPLAY_TICKS:-300}" TRADECTL_RSS_SPEED="${SPEED:-60}" \
  go test ./cmd/tradectl -run '^$' -bench BenchmarkServeRSS -benchtime 1x -timeout 60m -v |
  grep -E '^(Benchmark|    serverss)|MB'
