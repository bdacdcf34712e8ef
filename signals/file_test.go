package signals_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/signals"
)

// predictions.csv as predict writes it: scores first, then time, prices and labels.
const predictions = `high_10_lc,low_10_lc,timestamp,open,high,low,close,volume,close_time,high_10,low_10
0.030000,0.010000,2024-01-01 00:00:00+00:00,100.000000,101.000000,99.000000,100.500000,5.000000,1704067259999,False,False
0.020000,0.010000,2024-01-01 00:01:00+00:00,100.500000,102.000000,100.000000,101.000000,6.000000,1704067319999,True,False
,0.010000,2024-01-01 00:02:00+00:00,101.000000,101.500000,100.500000,101.200000,7.000000,1704067379999,False,False
0.010000,0.040000,2024-01-01 00:03:00+00:00,101.200000,101.300000,99.000000,99.500000,8.000000,1704067439999,False,True
`

var signalSets = []config.GeneratorSet{
	{Generator: "combine", Config: json.RawMessage(`{"columns":["high_10_lc","low_10_lc"],"names":"trade_score","combine":"difference","coefficient":1.0,"constant":0.0}`)},
	{Generator: "threshold_rule", Config: json.RawMessage(`{"columns":"trade_score","names":["buy_signal_column","sell_signal_column"],"parameters":{"buy_signal_threshold":0.015,"sell_signal_threshold":-0.015}}`)},
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileOptions(t *testing.T, in, out string, sets []config.GeneratorSet) signals.FileOptions {
	t.Helper()
	steps, err := gen.Build("signal_sets", sets, signals.Default)
	if err != nil {
		t.Fatal(err)
	}
	return signals.FileOptions{In: in, Out: out, Steps: steps, Labels: []string{"high_10", "low_10", "absent"}, Precision: 6}
}

func TestRunFileWritesITBColumns(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "predictions.csv", predictions)
	out := filepath.Join(dir, "signals.csv")
	res, err := signals.RunFile(fileOptions(t, in, out, signalSets))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	// trade_score = high - low: 0.02, 0.01, NaN (missing high score), -0.03.
	want := `timestamp,open,high,low,close,high_10,low_10,trade_score,buy_signal_column,sell_signal_column
2024-01-01 00:00:00+00:00,100.000000,101.000000,99.000000,100.500000,False,False,0.020000,True,False
2024-01-01 00:01:00+00:00,100.500000,102.000000,100.000000,101.000000,True,False,0.010000,False,False
2024-01-01 00:02:00+00:00,101.000000,101.500000,100.500000,101.200000,False,False,,False,False
2024-01-01 00:03:00+00:00,101.200000,101.300000,99.000000,99.500000,False,True,-0.030000,False,True
`
	if string(got) != want {
		t.Fatalf("signals.csv:\n%s\nwant:\n%s", got, want)
	}
	if res.Rows != 4 || res.True["buy_signal_column"] != 1 || res.True["sell_signal_column"] != 1 || res.NaN["trade_score"] != 1 {
		t.Fatalf("result %+v", res)
	}

	// The row window keeps the last rows.
	opt := fileOptions(t, in, out, signalSets)
	opt.Window = 2
	res, err = signals.RunFile(opt)
	if err != nil || res.Rows != 2 || res.Dropped != 2 {
		t.Fatalf("window: %+v %v", res, err)
	}
	got, _ = os.ReadFile(out)
	if lines := strings.Split(strings.TrimSpace(string(got)), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "2024-01-01 00:02:00") {
		t.Fatalf("windowed signals.csv:\n%s", got)
	}
}

func TestRunFileMissingScoreKeepsOutput(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "predictions.csv", strings.ReplaceAll(predictions, "high_10_lc", "high_10_gb"))
	out := writeFile(t, dir, "signals.csv", "old\n")
	_, err := signals.RunFile(fileOptions(t, in, out, signalSets))
	if !errors.Is(err, frame.ErrMissingColumn) || !strings.Contains(err.Error(), `"high_10_lc" needed by signal_sets[0] (combine)`) ||
		!strings.Contains(err.Error(), "predictions.csv") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old\n" {
		t.Fatalf("a failed run changed signals.csv: %q", b)
	}
}
