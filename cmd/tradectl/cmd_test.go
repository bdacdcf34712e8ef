package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/synth"
)

// result of one command run.
type result struct {
	code     int
	out, err string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	d := Deps{In: strings.NewReader(""), Out: &out, Err: &errb, Clock: clock.System{}, HTTP: &http.Client{Timeout: 10 * time.Second}}
	code := Run(context.Background(), args, d)
	return result{code, out.String(), errb.String()}
}

func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	return r
}

// failsWith asserts a non-zero exit and a one-line error containing every want.
func (r result) failsWith(t *testing.T, want ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("exit 0, want failure\nstdout:\n%s", r.out)
	}
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "tradectl: ") {
		t.Fatalf("last stderr line is not the error: %q", r.err)
	}
	for _, w := range want {
		if !strings.Contains(last, w) {
			t.Fatalf("error %q does not contain %q", last, w)
		}
	}
}

// workspace writes a config (the demo's, with edits) and a synthetic market; it returns the config path.
func workspace(t *testing.T, days int, edit func(string) string) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	text := strings.Replace(string(demoConfig), "{\n", "{\n  \"data_folder\": \""+dir+"\",\n", 1)
	if edit != nil {
		text = edit(text)
	}
	cfgPath = filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m := synth.Klines(synth.Options{Seed: 3, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), Rows: days * 1440})
	if err := frame.WriteFile(filepath.Join(dir, "DEMOUSDT", "klines.csv"), m, frame.WriteOptions{Precision: -1}); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

// setKey sets a top-level key of a config text to a JSON value: it replaces the value (an
// object, a list or a scalar) when the key is there, and adds the key first otherwise.
func setKey(text, key, value string) string {
	i := strings.Index(text, `"`+key+`":`)
	if i < 0 {
		return strings.Replace(text, "{\n", "{\n  \""+key+"\": "+value+",\n", 1)
	}
	start := i + len(key) + 3
	for start < len(text) && text[start] == ' ' {
		start++
	}
	return text[:start] + value + text[valueEnd(text, start):]
}

// valueEnd returns the index just after the JSON value that starts at i.
func valueEnd(s string, i int) int {
	depth, inString := 0, false
	for j := i; j < len(s); j++ {
		switch c := s[j]; {
		case inString && c == '\\':
			j++
		case inString:
			if inString = c != '"'; !inString && depth == 0 {
				return j + 1
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return j // a scalar ends at its object's close
			}
			if depth--; depth == 0 {
				return j + 1
			}
		case depth == 0 && (c == ',' || c == '\n'):
			return j
		}
	}
	return len(s)
}

func TestSetKey(t *testing.T) {
	text := "{\n  \"a\": {\"x\": [1, \"]\"]},\n  \"b\": 2,\n  \"c\": \"s\"\n}"
	for _, tc := range []struct{ key, value, want string }{
		{"a", "[]", "{\n  \"a\": [],\n  \"b\": 2,\n  \"c\": \"s\"\n}"},
		{"b", "{}", "{\n  \"a\": {\"x\": [1, \"]\"]},\n  \"b\": {},\n  \"c\": \"s\"\n}"},
		{"c", "3", "{\n  \"a\": {\"x\": [1, \"]\"]},\n  \"b\": 2,\n  \"c\": 3\n}"},
		{"d", "4", "{\n  \"d\": 4,\n  \"a\": {\"x\": [1, \"]\"]},\n  \"b\": 2,\n  \"c\": \"s\"\n}"},
	} {
		if got := setKey(text, tc.key, tc.value); got != tc.want {
			t.Errorf("setKey(%q):\n%s\nwant\n%s", tc.key, got, tc.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	r := run(t, "version").ok(t)
	if r.out != "tradectl "+Version+"\n" {
		t.Fatalf("version: %q", r.out)
	}
	for _, c := range []struct{ cmd, want string }{
		{"download", "--archive"}, {"merge", "gap report"}, {"features", "incremental"},
		{"labels", "label_horizon"}, {"train", "label x algorithm"}, {"predict", "predictions.csv"}, {"demo", "no network"},
		{"rolling", `"prediction_size": 10080, "prediction_steps": 12`}, {"signals", "threshold_rule2"},
		{"simulate", "heatmap.png"}, {"check", "features_horizon is shorter"}, {"check lookahead", "--cuts"}, {"check warmup", "--compare"},
	} {
		r := run(t, append(strings.Fields(c.cmd), "--help")...).ok(t)
		if !strings.Contains(r.out, c.want) || !strings.Contains(r.out, "--config") {
			t.Errorf("%s --help lacks %q or --config:\n%s", c.cmd, c.want, r.out)
		}
	}
	// The root help lists every step in pipeline order.
	r = run(t, "--help").ok(t)
	last := 0
	for _, step := range []string{"download", "merge", "features", "labels", "train", "predict", "rolling", "signals", "simulate", "check lookahead | check warmup"} {
		i := strings.Index(r.out, "\n  "+step+" ")
		if i < last {
			t.Errorf("root help lists %q out of order or not at all:\n%s", step, r.out)
		}
		last = i
	}
}

func TestConfigErrors(t *testing.T) {
	t.Run("no config", func(t *testing.T) { run(t, "merge").failsWith(t, "-c/--config") })
	t.Run("malformed", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.jsonc")
		os.WriteFile(p, []byte("{\n \"symbol\": \"BTCUSDT\"\n \"freq\": \"1min\"\n}"), 0o644)
		run(t, "merge", "-c", p).failsWith(t, "bad.jsonc", "line 3")
	})
	t.Run("missing data folder", func(t *testing.T) {
		cfg, dir := workspace(t, 2, nil)
		run(t, "merge", "-c", cfg, "--data-folder", filepath.Join(dir, "nope")).failsWith(t, "data_folder", "does not exist")
	})
	t.Run("unknown generator", func(t *testing.T) {
		cfg, _ := workspace(t, 2, func(s string) string { return strings.Replace(s, `"generator": "talib"`, `"generator": "talibb"`, 1) })
		run(t, "features", "-c", cfg).failsWith(t, "feature_sets[0]", `unknown generator "talibb"`)
	})
	t.Run("label horizon too small", func(t *testing.T) {
		cfg, _ := workspace(t, 2, func(s string) string { return strings.Replace(s, `"label_horizon": 120`, `"label_horizon": 60`, 1) })
		run(t, "labels", "-c", cfg).failsWith(t, "label_horizon", "120", "label_sets[0]")
	})
	t.Run("features horizon too small", func(t *testing.T) {
		cfg, _ := workspace(t, 2, func(s string) string {
			return strings.Replace(s, `"features_horizon": 120`, `"features_horizon": 30`, 1)
		})
		run(t, "features", "-c", cfg).failsWith(t, "features_horizon", "60")
	})
	t.Run("unknown algorithm", func(t *testing.T) {
		cfg, _ := workspace(t, 2, func(s string) string { return strings.Replace(s, `"algo": "lc"`, `"algo": "rf"`, 1) })
		run(t, "train", "-c", cfg).failsWith(t, `unknown algorithm "rf"`)
	})
	t.Run("unknown algorithm parameter", func(t *testing.T) {
		cfg, dir := workspace(t, 3, func(s string) string { return strings.Replace(s, `"max_iter": 100`, `"max_iterations": 100`, 1) })
		run(t, "merge", "-c", cfg).ok(t)
		run(t, "features", "-c", cfg).ok(t)
		run(t, "labels", "-c", cfg).ok(t)
		run(t, "train", "-c", cfg).failsWith(t, "max_iterations")
		if _, err := os.Stat(filepath.Join(dir, "DEMOUSDT", "MODELS")); err == nil {
			ents, _ := os.ReadDir(filepath.Join(dir, "DEMOUSDT", "MODELS"))
			if len(ents) > 0 {
				t.Fatalf("a failed train left models: %v", ents)
			}
		}
	})
}

func TestPipelineOnGeneratedMarket(t *testing.T) {
	cfg, dir := workspace(t, 12, nil)
	sym := filepath.Join(dir, "DEMOUSDT")
	r := run(t, "merge", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "grid: 17280 rows") {
		t.Fatalf("merge output:\n%s", r.out)
	}
	r = run(t, "features", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "features: full") || !strings.Contains(r.out, "13 new columns") {
		t.Fatalf("features output:\n%s", r.out)
	}
	r = run(t, "features", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "up to date") {
		t.Fatalf("second features run:\n%s", r.out)
	}
	run(t, "labels", "-c", cfg).ok(t)
	r = run(t, "train", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "high_10_lc") || !strings.Contains(r.out, "low_10_lc") {
		t.Fatalf("train output:\n%s", r.out)
	}
	r = run(t, "predict", "-c", cfg).ok(t)
	head, err := os.ReadFile(filepath.Join(sym, "predictions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(head), "\n", 2)[0]
	if first != "high_10_lc,low_10_lc,timestamp,open,high,low,close,volume,close_time,high_10,low_10" {
		t.Fatalf("predictions.csv header: %s", first)
	}
	txt, _ := os.ReadFile(filepath.Join(sym, "predictions.txt"))
	if !strings.HasPrefix(string(txt), "high_10_lc: {'auc': ") || !strings.HasSuffix(string(txt), "}\n\n") {
		t.Fatalf("predictions.txt:\n%s", txt)
	}

	// A model trained on other features is refused, naming the columns.
	cfg2 := filepath.Join(dir, "config2.jsonc")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg2, []byte(strings.Replace(string(b), `"close_STDDEV_60"`, `"close_STDDEV_15", "close_SMA_15"`, 1)), 0o644)
	run(t, "predict", "-c", cfg2).failsWith(t, "model features differ", "close_STDDEV_60")

	// A damaged model file is refused and predictions.csv is left as it was.
	before, _ := os.ReadFile(filepath.Join(sym, "predictions.csv"))
	mp := filepath.Join(sym, "MODELS", "high_10_lc.json")
	mb, _ := os.ReadFile(mp)
	os.WriteFile(mp, bytes.Replace(mb, []byte(`"intercept": `), []byte(`"intercept": 1`), 1), 0o644)
	run(t, "predict", "-c", cfg).failsWith(t, "corrupt model file", "high_10_lc.json")
	after, _ := os.ReadFile(filepath.Join(sym, "predictions.csv"))
	if !bytes.Equal(before, after) {
		t.Fatal("a failed predict changed predictions.csv")
	}
}

func TestFailedStepKeepsOutput(t *testing.T) {
	cfg, dir := workspace(t, 3, nil)
	sym := filepath.Join(dir, "DEMOUSDT")
	run(t, "merge", "-c", cfg).ok(t)
	run(t, "features", "-c", cfg).ok(t)
	before, _ := os.ReadFile(filepath.Join(sym, "features.csv"))
	// Garble a row of data.csv: features must fail naming the file and line, and keep features.csv.
	data, _ := os.ReadFile(filepath.Join(sym, "data.csv"))
	lines := strings.Split(string(data), "\n")
	lines[100] = strings.Replace(lines[100], ",", ",x", 2)
	os.WriteFile(filepath.Join(sym, "data.csv"), []byte(strings.Join(lines, "\n")), 0o644)
	run(t, "features", "-c", cfg, "--full").failsWith(t, "data.csv", "line 101")
	after, _ := os.ReadFile(filepath.Join(sym, "features.csv"))
	if !bytes.Equal(before, after) {
		t.Fatal("features.csv changed after a failed run")
	}
	// A missing column.
	os.WriteFile(filepath.Join(sym, "data.csv"), []byte("timestamp,open\n2024-01-01 00:00:00+00:00,1\n"), 0o644)
	run(t, "features", "-c", cfg, "--full").failsWith(t, "data.csv", `missing column "close"`)
	// An empty file.
	os.WriteFile(filepath.Join(sym, "data.csv"), nil, 0o644)
	run(t, "features", "-c", cfg, "--full").failsWith(t, "data.csv", "empty")
	if b, _ := os.ReadFile(filepath.Join(sym, "features.csv")); !bytes.Equal(before, b) {
		t.Fatal("features.csv changed")
	}
}

func TestRowWindowIsReported(t *testing.T) {
	cfg, _ := workspace(t, 3, func(s string) string { return strings.Replace(s, `"train": true`, `"train": false`, 1) })
	r := run(t, "merge", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "grid: 408 rows") || !strings.Contains(r.err, "row window: older rows left out") || !strings.Contains(r.err, "predict_length 288") {
		t.Fatalf("window not reported:\n%s\n%s", r.out, r.err)
	}
	r = run(t, "train", "-c", cfg)
	if !strings.Contains(r.err, "train uses the predict row window") {
		t.Fatalf("train with train=false gave no warning:\n%s", r.err)
	}
	// The missing matrix names the step to run first.
	r.failsWith(t, "matrix.csv", "run 'tradectl labels' first")
}

func TestMissingInputNamesTheStep(t *testing.T) {
	cfg, _ := workspace(t, 2, nil)
	run(t, "features", "-c", cfg).failsWith(t, "data.csv", "run 'tradectl merge' first")
	run(t, "predict", "-c", cfg).failsWith(t, "high_10_lc.json", "train it first")
}

func TestMergeBadPrices(t *testing.T) {
	cfg, dir := workspace(t, 2, nil)
	p := filepath.Join(dir, "DEMOUSDT", "klines.csv")
	b, _ := os.ReadFile(p)
	lines := strings.Split(string(b), "\n")
	for _, bad := range []string{"inf", "nan", ""} {
		fields := strings.Split(lines[50], ",")
		fields[4] = bad // close
		l := append([]string{}, lines...)
		l[50] = strings.Join(fields, ",")
		os.WriteFile(p, []byte(strings.Join(l, "\n")), 0o644)
		run(t, "merge", "-c", cfg).failsWith(t, "klines.csv", "bad price", "close")
		if _, err := os.Stat(filepath.Join(dir, "DEMOUSDT", "data.csv")); err == nil {
			t.Fatal("merge wrote data.csv despite a bad price")
		}
	}
}

// TestMergeBadHeader: a duplicated, missing or unknown column in a klines header is an error
// naming the file and the column, and no data.csv is written.
func TestMergeBadHeader(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"close twice", ",close,volume,", ",close,close,", `duplicate column "close"`},
		{"missing volume", ",close,volume,", ",close,", `missing column "volume"`},
		{"unknown column", ",close,volume,", ",colse,volume,", `unknown column "colse"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, dir := workspace(t, 1, nil)
			p := filepath.Join(dir, "DEMOUSDT", "klines.csv")
			b, _ := os.ReadFile(p)
			head, rest, _ := strings.Cut(string(b), "\n")
			if !strings.Contains(head, c.from) {
				t.Fatalf("header %q", head)
			}
			head = strings.Replace(head, c.from, c.to, 1)
			if c.name == "missing volume" { // drop the volume cells too
				var lines []string
				for _, l := range strings.Split(strings.TrimSpace(rest), "\n") {
					f := strings.Split(l, ",")
					lines = append(lines, strings.Join(append(f[:5:5], f[6:]...), ","))
				}
				rest = strings.Join(lines, "\n") + "\n"
			}
			os.WriteFile(p, []byte(head+"\n"+rest), 0o644)
			run(t, "merge", "-c", cfg).failsWith(t, "klines.csv", c.want)
			if _, err := os.Stat(filepath.Join(dir, "DEMOUSDT", "data.csv")); err == nil {
				t.Fatal("merge wrote data.csv despite a bad header")
			}
		})
	}
}

// TestMergeImpossibleBars: negative volume, high below low, open or close outside the bar are
// refused with the file and the line; no data.csv is written.
func TestMergeImpossibleBars(t *testing.T) {
	cases := []struct {
		name string
		edit func(f []string) // fields: timestamp, open, high, low, close, volume, ...
		want string
	}{
		{"negative volume", func(f []string) { f[5] = "-" + f[5] }, "volume is -"},
		{"high below low", func(f []string) { f[2], f[3] = f[3]+"1", f[2] }, "is below low"},
		{"open above high", func(f []string) { f[1] = f[2] + "9" }, "open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, dir := workspace(t, 1, nil)
			p := filepath.Join(dir, "DEMOUSDT", "klines.csv")
			b, _ := os.ReadFile(p)
			lines := strings.Split(string(b), "\n")
			f := strings.Split(lines[50], ",") // line 51
			c.edit(f)
			lines[50] = strings.Join(f, ",")
			os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
			run(t, "merge", "-c", cfg).failsWith(t, "klines.csv", "line 51", c.want)
			if _, err := os.Stat(filepath.Join(dir, "DEMOUSDT", "data.csv")); err == nil {
				t.Fatal("merge wrote data.csv despite an impossible bar")
			}
		})
	}
}

func TestIncrementalFeaturesEqualFull(t *testing.T) {
	cfg, dir := workspace(t, 4, nil)
	sym := filepath.Join(dir, "DEMOUSDT")
	run(t, "merge", "-c", cfg).ok(t)
	full, _ := os.ReadFile(filepath.Join(sym, "data.csv"))
	// Features over all but the last 500 rows, then over everything incrementally.
	lines := strings.SplitAfter(string(full), "\n")
	os.WriteFile(filepath.Join(sym, "data.csv"), []byte(strings.Join(lines[:len(lines)-501], "")), 0o644)
	run(t, "features", "-c", cfg, "--full").ok(t)
	os.WriteFile(filepath.Join(sym, "data.csv"), full, 0o644)
	r := run(t, "features", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "incremental") || !strings.Contains(r.out, "(500 computed)") {
		t.Fatalf("not incremental:\n%s", r.out)
	}
	inc, _ := os.ReadFile(filepath.Join(sym, "features.csv"))
	run(t, "features", "-c", cfg, "--full").ok(t)
	want, _ := os.ReadFile(filepath.Join(sym, "features.csv"))
	if !bytes.Equal(inc, want) {
		t.Fatal("incremental features.csv differs from a full recompute")
	}
	// A changed input in the last stored row is detected by the input checksums and the rows
	// from its block on are recomputed.
	os.WriteFile(filepath.Join(sym, "data.csv"), []byte(strings.Join(lines[:len(lines)-501], "")), 0o644)
	run(t, "features", "-c", cfg, "--full").ok(t)
	changed := append([]string{}, lines...)
	f := strings.Split(changed[len(lines)-502], ",")
	f[4] = "1.5" // close of the last row features.csv holds
	changed[len(lines)-502] = strings.Join(f, ",")
	os.WriteFile(filepath.Join(sym, "data.csv"), []byte(strings.Join(changed, "")), 0o644)
	if r := run(t, "features", "-c", cfg).ok(t); !strings.Contains(r.out, "features: incremental") || !strings.Contains(r.err, "input changed") {
		t.Fatalf("a changed stored row was not recomputed:\n%s\n%s", r.out, r.err)
	}
	inc, _ = os.ReadFile(filepath.Join(sym, "features.csv"))
	run(t, "features", "-c", cfg, "--full").ok(t)
	if want, _ := os.ReadFile(filepath.Join(sym, "features.csv")); !bytes.Equal(inc, want) {
		t.Fatal("after a changed stored row, incremental features.csv differs from a full recompute")
	}

	// Same for Parquet.
	cfgB := filepath.Join(dir, "configB.jsonc")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfgB, []byte(strings.Replace(string(b), "{\n", "{\n  \"feature_file_name\": \"features.parquet\",\n", 1)), 0o644)
	os.WriteFile(filepath.Join(sym, "data.csv"), []byte(strings.Join(lines[:len(lines)-501], "")), 0o644)
	run(t, "features", "-c", cfgB, "--full").ok(t)
	os.WriteFile(filepath.Join(sym, "data.csv"), full, 0o644)
	if r := run(t, "features", "-c", cfgB).ok(t); !strings.Contains(r.out, "incremental") {
		t.Fatalf("parquet not incremental:\n%s", r.out)
	}
	incB, err := frame.ReadFile(filepath.Join(sym, "features.parquet"), frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, "features", "-c", cfgB, "--full").ok(t)
	fullB, _ := frame.ReadFile(filepath.Join(sym, "features.parquet"), frame.ReadOptions{})
	for _, c := range fullB.Columns() {
		got, _ := incB.Col(c.Name)
		for i, v := range c.Data {
			if !(v == got[i] || v != v && got[i] != got[i]) {
				t.Fatalf("parquet incremental %s[%d] = %v, full %v", c.Name, i, got[i], v)
			}
		}
	}
}

func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	r := run(t, "demo", "--dir", dir, "--days", "5").ok(t)
	rep := filepath.Join(dir, "report")
	for _, want := range []string{"zero volume:", "gap:", "features: full", "labels: full", "train: high_10_lc", "predict: high_10_lc: {'auc'",
		"rolling: 5 folds of 720 rows", "rolling: overall high_10_lc: {'auc'", "signals: wrote", "simulate: 36 combinations on 3520 rows",
		"demo: report: " + filepath.Join(rep, "report.json"), "demo: trades: " + filepath.Join(rep, "trades.csv"),
		"demo: charts: " + filepath.Join(rep, "price.png") + ", " + filepath.Join(rep, "equity.png") + ", " + filepath.Join(rep, "heatmap.png"),
		"signal serve --replay (the last day): 1440 ticks; ", " 1 diagrams queued in " + filepath.Join(dir, "tradectl.db"),
		"demo: daily diagram: " + filepath.Join(rep, "diagram.png"), "demo: done"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.out)
		}
	}
	if _, err := config.Load(filepath.Join(dir, "config.jsonc"), nil); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "DEMOUSDT")
	for _, n := range []string{"predictions.metrics.json", "signal_models.txt", "signal_models.json"} {
		if _, err := os.Stat(filepath.Join(sym, n)); err != nil {
			t.Error(err)
		}
	}
	// rolling replaced predict's scores by 5 x 720 out-of-sample rows; signals and the
	// backtest cover exactly those rows.
	pred, err := frame.ReadFile(filepath.Join(sym, "predictions.csv"), frame.ReadOptions{})
	if err != nil || pred.Len() != 5*720 {
		t.Fatalf("predictions.csv: %v rows, %v", pred.Len(), err)
	}
	sig, err := frame.ReadFile(filepath.Join(sym, "signals.csv"), frame.ReadOptions{})
	if err != nil || sig.Len() != 5*720 || sig.Time[0] != pred.Time[0] {
		t.Fatalf("signals.csv: %v rows, %v", sig.Len(), err)
	}
	checkDemoReport(t, rep, sig)
	run(t, "demo", "--dir", dir).failsWith(t, "not empty")
}

// checkDemoReport checks the demo's report against its signals file: report.json parses, its
// span and buy-and-hold return are those of the signals' closes, its trade count is the number
// of rows of trades.csv, and every chart is a PNG with something drawn on it.
func checkDemoReport(t *testing.T, dir string, sig *frame.Frame) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Rows    int     `json:"rows"`
		From    string  `json:"from"`
		To      string  `json:"to"`
		Trades  int     `json:"trades"`
		Fees    float64 `json:"fees_paid"`
		BuyHold struct {
			ProfitPct float64 `json:"profit_pct"`
		} `json:"buy_and_hold"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	// The backtest leaves out the rows without a price (the generated halt's missing bars).
	all, _ := sig.Col("close")
	var closes []float64
	var times []int64
	for i, c := range all {
		if !math.IsNaN(c) {
			closes, times = append(closes, c), append(times, sig.Time[i])
		}
	}
	n := len(closes)
	if rep.From != frame.FormatTime(times[0]) || rep.To != frame.FormatTime(times[n-1]) {
		t.Errorf("report.json spans %s .. %s, signals.csv %s .. %s", rep.From, rep.To, frame.FormatTime(times[0]), frame.FormatTime(times[n-1]))
	}
	if want := 100 * (closes[n-1]/closes[0] - 1); rep.Rows != n || math.Abs(rep.BuyHold.ProfitPct-want) > 1e-9 {
		t.Errorf("report.json: %d rows, buy-and-hold %v%%; signals.csv: %d rows, closes %v .. %v (%v%%)", rep.Rows, rep.BuyHold.ProfitPct, n, closes[0], closes[n-1], want)
	}
	trades, err := os.ReadFile(filepath.Join(dir, "trades.csv"))
	if lines := strings.Count(string(trades), "\n"); err != nil || rep.Trades != lines-1 || rep.Trades > 0 && rep.Fees <= 0 {
		t.Errorf("report.json: %d trades, fees %v; trades.csv: %d lines (%v)", rep.Trades, rep.Fees, lines, err)
	}
	for _, name := range []string{"price.png", "equity.png", "heatmap.png", "diagram.png"} {
		img := decodePNG(t, filepath.Join(dir, name))
		colours := map[color.Color]bool{}
		bounds := img.Bounds()
		for y := bounds.Min.Y; y < bounds.Max.Y; y += 3 {
			for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
				colours[img.At(x, y)] = true
			}
		}
		if bounds.Dx() < 400 || bounds.Dy() < 300 || len(colours) < 4 {
			t.Errorf("%s: %dx%d with %d colours: nothing drawn", name, bounds.Dx(), bounds.Dy(), len(colours))
		}
	}
}

// decodePNG reads a PNG file.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// TestDemoFolds: the walk-forward folds fit the generated market's length.
func TestDemoFolds(t *testing.T) {
	for _, tc := range []struct{ days, size, steps int }{
		{30, 2880, 7}, {28, 2880, 7}, {27, 2880, 6}, {8, 2880, 2}, {7, 720, 7}, {5, 720, 5}, {2, 720, 2},
	} {
		got, err := demoFolds(string(demoConfig), tc.days)
		want := fmt.Sprintf(`"prediction_size": %d, "prediction_steps": %d`, tc.size, tc.steps)
		if err != nil || !strings.Contains(got, want) {
			t.Errorf("%d days: want %s (%v)", tc.days, want, err)
		}
	}
	if _, err := demoFolds("{}", 30); err == nil {
		t.Error("a config without the fold keys is accepted")
	}
}

// TestArchiveOfAnotherSymbolNeedsForce: download --archive refuses ETHUSDT's dump file in a
// BTCUSDT config unless --force is given.
func TestArchiveOfAnotherSymbolNeedsForce(t *testing.T) {
	dir := t.TempDir()
	cfg := itbConfig(t, dir, "")
	eth := filepath.Join(dir, "ETHUSDT-1m-2023-01.csv")
	os.WriteFile(eth, []byte("1672531200000,1196.1,1197.0,1195.5,1196.4,120.5,1672531259999,144000.1,300,60.2,72000.0,0\n"), 0o644)
	run(t, "download", "-c", cfg, "--archive", eth).failsWith(t, "ETHUSDT-1m-2023-01.csv", "symbol ETHUSDT", "--force")
	if _, err := os.Stat(filepath.Join(dir, "BTCUSDT", "klines.csv")); err == nil {
		t.Fatal("klines.csv written")
	}
	r := run(t, "download", "-c", cfg, "--archive", "--force", eth).ok(t)
	if !strings.Contains(r.out, "1 rows (1 added") {
		t.Fatalf("--force: %s", r.out)
	}
}

// TestEmptyFeatureColumnWarns: a feature window longer than the data gives an all-NaN column
// and a warning naming it.
func TestEmptyFeatureColumnWarns(t *testing.T) {
	cfg, _ := workspace(t, 1, func(s string) string {
		s = strings.Replace(s, `"windows": [1, 5, 10, 15, 60]`, `"windows": [1, 5, 10, 15, 2000]`, 1)
		return strings.Replace(s, `"features_horizon": 120`, `"features_horizon": 2000`, 1)
	})
	run(t, "merge", "-c", cfg).ok(t)
	r := run(t, "features", "-c", cfg).ok(t)
	var warned bool
	for _, l := range strings.Split(r.err, "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "column=close_SMA_2000") && strings.Contains(l, "window is longer than the data") {
			warned = true
		}
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "close_SMA_60") {
			t.Errorf("warning for a column with values: %s", l)
		}
	}
	if !warned {
		t.Fatalf("no warning naming close_SMA_2000:\n%s", r.err)
	}
}

// TestDebugLogDetail: --log-level debug adds per-file and per-generator lines; info does not.
func TestDebugLogDetail(t *testing.T) {
	cfg, _ := workspace(t, 1, nil)
	r := run(t, "merge", "-c", cfg, "--log-level", "debug").ok(t)
	if !strings.Contains(r.err, `level=DEBUG msg="read data source"`) || !strings.Contains(r.err, "klines.csv") {
		t.Fatalf("merge debug:\n%s", r.err)
	}
	r = run(t, "features", "-c", cfg, "--log-level", "debug").ok(t)
	for _, want := range []string{`level=DEBUG msg="read input"`, `level=DEBUG msg=generator step="feature_sets[0] (talib)"`,
		`outputs=close_SMA_1,close_SMA_5`, `level=DEBUG msg="column written"`, "column=close_STDDEV_60"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("features debug lacks %q:\n%s", want, r.err)
		}
	}
	r = run(t, "features", "-c", cfg, "--full").ok(t)
	if strings.Contains(r.err, "level=DEBUG") {
		t.Fatalf("debug lines at info level:\n%s", r.err)
	}
}

// TestMergeFlagsFreqMismatch: 5-minute klines with a 1-minute config are flagged.
func TestMergeFlagsFreqMismatch(t *testing.T) {
	cfg, dir := workspace(t, 1, nil)
	m := synth.Klines(synth.Options{Seed: 3, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), Rows: 300, Step: 300_000})
	if err := frame.WriteFile(filepath.Join(dir, "DEMOUSDT", "klines.csv"), m, frame.WriteOptions{Precision: -1}); err != nil {
		t.Fatal(err)
	}
	r := run(t, "merge", "-c", cfg).ok(t)
	if !strings.Contains(r.err, "likely freq mismatch") || !strings.Contains(r.err, "spacing=5m0s") || !strings.Contains(r.out, "is freq right?") {
		t.Fatalf("no freq mismatch warning:\n%s\n%s", r.out, r.err)
	}
}

// --cpuprofile (hidden) writes a profile that go tool pprof reads: a gzipped protobuf.
func TestCPUProfileFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	run(t, "version", "--cpuprofile", path).ok(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile is not gzip data: %d bytes", len(b))
	}
	run(t, "version", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir")).failsWith(t, "--cpuprofile")
	if r := run(t, "--help").ok(t); strings.Contains(r.out, "cpuprofile") {
		t.Fatalf("--cpuprofile is listed in the help:\n%s", r.out)
	}
}
