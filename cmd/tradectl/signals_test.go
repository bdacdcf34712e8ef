package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withSignalSets sets the demo config's signal_sets.
func withSignalSets(sets string) func(string) string {
	return func(s string) string { return setKey(s, "signal_sets", "["+sets+"]") }
}

const itbSignalSets = `
    {"generator": "combine", "config": {"columns": ["high_10_lc", "low_10_lc"], "names": "trade_score", "combine": "difference", "coefficient": 1.0, "constant": 0.0}},
    {"generator": "threshold_rule", "config": {"columns": "trade_score", "names": ["buy_signal_column", "sell_signal_column"],
      "parameters": {"buy_signal_threshold": 0.015, "sell_signal_threshold": -0.015}}}`

func TestSignalsCommand(t *testing.T) {
	cfg, dir := workspace(t, 1, withSignalSets(itbSignalSets))
	sym := filepath.Join(dir, "DEMOUSDT")
	run(t, "signals", "-c", cfg).failsWith(t, "predictions.csv does not exist", "tradectl predict", "tradectl rolling")

	pred := "high_10_lc,low_10_lc,timestamp,open,high,low,close,volume,close_time,high_10,low_10\n" +
		"0.030000,0.010000,2024-01-01 00:00:00+00:00,100.0,101.0,99.0,100.5,5.0,1704067259999,False,False\n" +
		"0.010000,0.040000,2024-01-01 00:01:00+00:00,100.5,102.0,100.0,101.0,6.0,1704067319999,True,True\n"
	os.WriteFile(filepath.Join(sym, "predictions.csv"), []byte(pred), 0o644)
	r := run(t, "signals", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "signals.csv: 2 rows, columns [trade_score buy_signal_column sell_signal_column]") ||
		!strings.Contains(r.out, "buy_signal_column=1 sell_signal_column=1") {
		t.Fatalf("output:\n%s", r.out)
	}
	got, _ := os.ReadFile(filepath.Join(sym, "signals.csv"))
	want := "timestamp,open,high,low,close,high_10,low_10,trade_score,buy_signal_column,sell_signal_column\n" +
		"2024-01-01 00:00:00+00:00,100.000000,101.000000,99.000000,100.500000,False,False,0.020000,True,False\n" +
		"2024-01-01 00:01:00+00:00,100.500000,102.000000,100.000000,101.000000,True,True,-0.030000,False,True\n"
	if string(got) != want {
		t.Fatalf("signals.csv:\n%s\nwant:\n%s", got, want)
	}

	t.Run("bad signal set", func(t *testing.T) {
		cfg, _ := workspace(t, 1, withSignalSets(strings.Replace(itbSignalSets, `"combine": "difference"`, `"combine": "diff"`, 1)))
		run(t, "signals", "-c", cfg).failsWith(t, "signal_sets[0] (combine)", `key "combine"`)
	})
	t.Run("no signal sets", func(t *testing.T) {
		cfg, _ := workspace(t, 1, withSignalSets(""))
		run(t, "signals", "-c", cfg).failsWith(t, `"signal_sets" is empty`)
	})
}
