package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

// simConfig writes a config for simulate over dir/SIMUSDT with the given simulate_model
// section (and signal_sets columns).
func simConfig(tb testing.TB, dir, columns, simulate string) string {
	tb.Helper()
	text := fmt.Sprintf(`{
  "data_folder": %q, "symbol": "SIMUSDT", "labels": ["high_20", "low_20"],
  "signal_sets": [
    {"generator": "combine", "config": {"columns": ["high_20_lc", "low_20_lc"], "names": "trade_score", "combine": "difference"}},
    {"generator": "threshold_rule", "config": {"columns": %s, "names": ["buy_signal_column", "sell_signal_column"],
      "parameters": {"buy_signal_threshold": 0.015, "sell_signal_threshold": -0.015}}}
  ],
  "simulate_model": %s
}`, dir, columns, simulate)
	p := filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// writeSignals writes dir/SIMUSDT/signals.csv from rows "close,score[,high_20,low_20]" (one
// per minute from 2024-01-01; open = high = low = close).
func writeSignals(t *testing.T, dir string, header string, rows ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,open,high,low," + header + "\n")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i, r := range rows {
		c := strings.Split(r, ",")[0]
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s\n", frame.FormatTime(start+int64(i)*60_000), c, c, c, r)
	}
	if err := os.MkdirAll(filepath.Join(dir, "SIMUSDT"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SIMUSDT", "signals.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A hand-made tape through the command, with ITB's formulas and with the honest model.
//
//	row close score  buy(>=0.1) sell(<=-0.1)
//	0   100   0.2    B
//	1   110  -0.2         S
//	2   120   0.3    B
//	3   90   -0.3         S
//	4   95    nan    (NaN: no signal)
//	5   100   0.2    B
//
// ITB (--compat itb, long dict): sells at 110 and 90 go to "longs": first profit 0, then
// 90 − 110 = −20 (−18.18…%): 2 transactions, profit −20.0, %profit −18.2, 0 profitable,
// profit/T −10.0, %profit/T −9.1. The span is 5 minutes = 5/43800 months, so
// #transactions/M = 2*8760 = 17520.0, profit/M = −175200.0, %profit/M = −18.2*8760 = −159432.0.
//
// Honest, close fills, no fees (equity 1000): buy 10 at 100, sell at 110 → 1100; buy at 120,
// sell at 90 → 825; buy at 100, still open at the end (marked at 100): 3 transactions,
// profit −175.0, %profit −17.5, 1 profitable.
func TestSimulateHandTape(t *testing.T) {
	dir := t.TempDir()
	writeSignals(t, dir, "close,trade_score,high_20,low_20",
		"100,0.2,True,False", "110,-0.2,False,True", "120,0.3,False,False", "90,-0.3,False,True", "95,,False,False", "100,0.2,True,False")
	grid := `"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1]}`
	cfg := simConfig(t, dir, `"trade_score"`, `{"direction": "long", `+grid+`}`)
	txt := filepath.Join(dir, "SIMUSDT", "signal_models.txt")

	run(t, "simulate", "-c", cfg, "--compat", "itb").ok(t)
	b, _ := os.ReadFile(txt)
	itbLine := "0.1,-0.1,2,-20.0,-18.2,0,0.0,-10.0,-9.1,17520.0,-175200.0,-159432.0"
	want := "buy_signal_threshold,sell_signal_threshold,#transactions,profit,%profit,#profitable,%profitable,profit/T,%profit/T,#transactions/M,profit/M,%profit/M\n" + itbLine + "\n\n"
	if string(b) != want {
		t.Fatalf("signal_models.txt:\n%s\nwant:\n%s", b, want)
	}

	rep := filepath.Join(dir, "report")
	r := run(t, "simulate", "-c", cfg, "--fill", "close", "--fee-bps", "0", "--report", rep).ok(t)
	b, _ = os.ReadFile(txt)
	lines := strings.Split(string(b), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[3], "0.1,-0.1,3,-175.0,-17.5,1,33.3,") {
		t.Fatalf("second run: header must not repeat and the honest line must follow:\n%s", b)
	}
	var report struct {
		Trades    int     `json:"trades"`
		NetProfit float64 `json:"net_profit"`
		BuyHold   struct {
			ProfitPct float64 `json:"profit_pct"`
		} `json:"buy_and_hold"`
		Confusion []backtest.Confusion `json:"confusion"`
	}
	js, err := os.ReadFile(filepath.Join(rep, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &report); err != nil {
		t.Fatal(err)
	}
	// Buy signals on rows 0, 2, 5 vs high_20 True on rows 0, 5: TP 2, FP 1, FN 0, TN 3.
	// Sell signals on rows 1, 3 vs low_20 True on rows 1, 3: TP 2, TN 4.
	if report.Trades != 3 || report.NetProfit != -175 || report.BuyHold.ProfitPct != 0 || len(report.Confusion) != 2 ||
		report.Confusion[0].TP != 2 || report.Confusion[0].FP != 1 || report.Confusion[0].TN != 3 ||
		report.Confusion[1].TP != 2 || report.Confusion[1].TN != 4 {
		t.Errorf("report %s", js)
	}
	trades, _ := os.ReadFile(filepath.Join(rep, "trades.csv"))
	if n := strings.Count(string(trades), "\n"); n != 4 || !strings.Contains(string(trades), ",open,") {
		t.Errorf("trades.csv:\n%s", trades)
	}
	for _, name := range []string{"price.png", "equity.png", "heatmap.png"} {
		if img := decodePNG(t, filepath.Join(rep, name)); img.Bounds().Dx() < 400 {
			t.Errorf("%s: %d pixels wide", name, img.Bounds().Dx())
		}
	}
	if !strings.Contains(r.out, "3 trades") {
		t.Errorf("output:\n%s", r.out)
	}
	var models []map[string]any
	js, _ = os.ReadFile(filepath.Join(dir, "SIMUSDT", "signal_models.json"))
	if err := json.Unmarshal(js, &models); err != nil || len(models) != 1 || models[0]["#transactions"] != 3.0 {
		t.Errorf("signal_models.json: %s (%v)", js, err)
	}
}

// Bad inputs: one line each, naming the key or column; nothing is written.
func TestSimulateBadInputs(t *testing.T) {
	rows := []string{"100,0.2", "110,-0.2", "120,0.3"}
	for _, tc := range []struct {
		name, columns, simulate, header string
		want                            []string
	}{
		{"grid without values", `"trade_score"`, `{"grid": {"buy_signal_threshold": [], "sell_signal_threshold": [-0.1]}}`, "close,trade_score",
			[]string{`"grid.buy_signal_threshold": no values`}},
		{"no grid", `"trade_score"`, `{}`, "close,trade_score", []string{`simulate_model.grid": no values`}},
		{"buy threshold below sell", `"trade_score"`, `{"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [0.2]}}`, "close,trade_score",
			[]string{"buy_signal_threshold 0.1 must be above sell_signal_threshold 0.2"}},
		{"missing score column", `"trade_score"`, `{"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1]}}`, "close,score",
			[]string{"signals.csv", `no score column "trade_score"`}},
		{"report of a combination not in the grid", `"trade_score"`, `{"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1]}}`, "close,trade_score",
			[]string{"--buy/--sell", "buy 0.5 sell -0.1 is not in the grid"}},
		{"bad direction", `"trade_score"`, `{"direction": "both", "grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1]}}`, "close,trade_score",
			[]string{`"simulate_model.direction"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSignals(t, dir, tc.header, rows...)
			cfg := simConfig(t, dir, tc.columns, tc.simulate)
			args := []string{"simulate", "-c", cfg}
			if strings.HasPrefix(tc.name, "report") {
				args = append(args, "--report", filepath.Join(dir, "rep"), "--buy", "0.5", "--sell", "-0.1")
			}
			run(t, args...).failsWith(t, tc.want...)
			if _, err := os.Stat(filepath.Join(dir, "SIMUSDT", "signal_models.txt")); err == nil {
				t.Error("signal_models.txt written on error")
			}
		})
	}
}

// NaN scores never trade: a file whose scores are all empty gives no transaction.
func TestSimulateNaNScores(t *testing.T) {
	dir := t.TempDir()
	writeSignals(t, dir, "close,trade_score", "100,", "110,", "120,")
	cfg := simConfig(t, dir, `"trade_score"`, `{"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1]}}`)
	run(t, "simulate", "-c", cfg).ok(t)
	b, _ := os.ReadFile(filepath.Join(dir, "SIMUSDT", "signal_models.txt"))
	if lines := strings.Split(string(b), "\n"); !strings.HasPrefix(lines[1], "0.1,-0.1,0,0.0,0.0,0,0.0,0.0,0.0,0.0,0.0,0.0") {
		t.Errorf("signal_models.txt:\n%s", b)
	}
}

// BenchmarkSimulateCommand runs the whole command (read, 36 combinations, write) on the
// 525,600 real BTCUSDT minutes of 2023 with a score derived from the closes, written to a
// temporary signals.csv by the benchmark.
func BenchmarkSimulateCommand(b *testing.B) {
	dir := b.TempDir()
	ks := sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0)
	f := frame.New(make([]int64, len(ks)))
	cols := [4][]float64{}
	for i, k := range ks {
		f.Time[i] = k.OpenTime
		for j := range cols {
			cols[j] = append(cols[j], k.Float(b, j))
		}
	}
	for j, name := range []string{"open", "high", "low", "close"} {
		if err := f.Set(name, frame.Float, cols[j]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Set("trade_score", frame.Float, backtest.MeanDistance(cols[3], 60, 10)); err != nil {
		b.Fatal(err)
	}
	if err := frame.WriteFile(filepath.Join(dir, "SIMUSDT", "signals.csv"), f, frame.WriteOptions{Precision: 6}); err != nil {
		b.Fatal(err)
	}
	cfg := simConfig(b, dir, `"trade_score"`, `{"grid": {"buy_signal_threshold": [0.02, 0.03, 0.04, 0.05, 0.1, 0.15],
		"sell_signal_threshold": [-0.02, -0.03, -0.04, -0.05, -0.1, -0.15]}}`)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		var out, errb bytes.Buffer
		d := DefaultDeps()
		d.Out, d.Err = &out, &errb
		if code := Run(b.Context(), []string{"simulate", "-c", cfg}, d); code != 0 {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
	}
	// The machine is shared: CPU time (user + system) tells the command's cost apart from waiting.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(ks)), "rows")
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threshold_rule2: both scores must pass. Row 1's first score says sell but its second
// (0.0) does not, so the position bought at 100 is sold at 120 on row 2: +200 on 1000.
func TestSimulateThresholdRule2(t *testing.T) {
	dir := t.TempDir()
	writeSignals(t, dir, "close,s1,s2", "100,0.2,0.2", "110,-0.2,0.0", "120,-0.2,-0.2")
	cfg := simConfig(t, dir, `["s1", "s2"]`, `{"signal_generator": "threshold_rule2", "fill": "close", "fee_bps": 0,
		"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1], "buy_signal_threshold_2": [0.1], "sell_signal_threshold_2": [-0.1]}}`)
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, bytes.Replace(b, []byte(`"generator": "threshold_rule"`), []byte(`"generator": "threshold_rule2"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "simulate", "-c", cfg).ok(t)
	out, _ := os.ReadFile(filepath.Join(dir, "SIMUSDT", "signal_models.txt"))
	lines := strings.Split(string(out), "\n")
	if lines[0] != "buy_signal_threshold,buy_signal_threshold_2,sell_signal_threshold,sell_signal_threshold_2,#transactions,profit,%profit,#profitable,%profitable,profit/T,%profit/T,#transactions/M,profit/M,%profit/M" ||
		!strings.HasPrefix(lines[1], "0.1,0.1,-0.1,-0.1,1,200.0,20.0,1,100.0,200.0,20.0,") {
		t.Errorf("signal_models.txt:\n%s", out)
	}
}

// A file with the close only: close fills work (open, high and low are not needed); next-open
// fills need the open and say so.
func TestSimulateCloseOnlyFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "SIMUSDT"), 0o755)
	csv := "timestamp,close,trade_score\n2024-01-01 00:00:00,100,0.2\n2024-01-01 00:01:00,110,-0.2\n"
	if err := os.WriteFile(filepath.Join(dir, "SIMUSDT", "signals.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := simConfig(t, dir, `"trade_score"`, `{"grid": {"buy_signal_threshold": [0.1], "sell_signal_threshold": [-0.1]}}`)
	run(t, "simulate", "-c", cfg).failsWith(t, "signals.csv", `no price column "open"`)
	run(t, "simulate", "-c", cfg, "--fill", "close", "--fee-bps", "0").ok(t)
	b, _ := os.ReadFile(filepath.Join(dir, "SIMUSDT", "signal_models.txt"))
	// Bought at 100, sold at 110: +10%.
	if lines := strings.Split(string(b), "\n"); !strings.HasPrefix(lines[1], "0.1,-0.1,1,100.0,10.0,1,") {
		t.Errorf("signal_models.txt:\n%s", b)
	}
}
