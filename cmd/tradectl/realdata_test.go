package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

// TestMain lets tests run the real binary: a re-executed test binary with
// TRADECTL_TEST_MAIN=1 behaves exactly like tradectl (on a faster clock with
// TRADECTL_TEST_CLOCK, see mappedClockMain).
func TestMain(m *testing.M) {
	if os.Getenv("TRADECTL_TEST_MAIN") == "1" {
		mappedClockMain()
		main()
		return
	}
	os.Exit(m.Run())
}

// itbConfig writes ITB's 1min sample config with data_folder (and extra keys) set.
func itbConfig(t *testing.T, dir string, extra string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "configs", "config-sample-1min.jsonc"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), `"data_folder": "C:/DATA_ITB",`, `"data_folder": "`+dir+`",`+extra, 1)
	p := filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArchiveThenMergeShowsTheHalt(t *testing.T) {
	if testing.Short() {
		t.Skip("full year of real data")
	}
	dir := t.TempDir()
	cfg := itbConfig(t, dir, "")
	r := run(t, "download", "-c", cfg, "--archive", sharedtest.Path(t, "BTCUSDT-1m-2023.csv.gz")).ok(t)
	if !strings.Contains(r.out, "525520 rows") {
		t.Fatalf("import:\n%s", r.out)
	}
	r = run(t, "merge", "-c", cfg).ok(t)
	for _, want := range []string{
		"grid: 525600 rows at 1m0s from 2023-01-01 00:00:00+00:00 to 2023-12-31 23:59:00+00:00",
		"80 missing rows in 1 gaps",
		"gap: 2023-03-24 12:40:00+00:00 .. 2023-03-24 13:59:00+00:00 (80 rows)",
		"zero volume: 2023-03-24 11:28:00+00:00 .. 2023-03-24 12:39:00+00:00 (72 rows)",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("merge report lacks %q:\n%s", want, r.out)
		}
	}
}

// fakeExchange serves the first days of real 2022 klines, slowed down so a download can be
// killed part-way.
func fakeExchange(t *testing.T, days int, delay time.Duration) string {
	t.Helper()
	kl := sharedtest.ReadKlines(t, "BTCUSDT-1m-2022.csv.gz", days*1440)
	rows := make([]exchange.Kline, len(kl))
	for i, k := range kl {
		rows[i] = exchange.Kline{OpenTime: k.OpenTime, Fields: k.Fields}
	}
	now := time.UnixMilli(kl[len(kl)-1].OpenTime + 30_000).UTC() // inside the last bar
	h, err := fakebinance.NewHandler(fakebinance.Config{
		Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: rows}},
		Clock:  clock.Fixed{T: now},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func binary(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRADECTL_TEST_MAIN=1")
	return cmd
}

// killWhen starts cmd and kills it with SIGKILL as soon as ready() holds (polled every
// 2 ms), failing the test with msg if that takes longer than limit.
func killWhen(t *testing.T, cmd *exec.Cmd, limit time.Duration, msg string, ready func() bool) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(limit)
	for !ready() {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal(msg)
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

func TestDownloadKilledMidwayLosesNothing(t *testing.T) {
	url := fakeExchange(t, 30, 15*time.Millisecond)
	extra := "\n  \"binance_base_url\": \"" + url + "\","
	// Reference: one uninterrupted download.
	refDir := t.TempDir()
	if out, err := binary("download", "-c", itbConfig(t, refDir, extra), "--start", "2022-01-01").CombinedOutput(); err != nil {
		t.Fatalf("reference download: %v\n%s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(refDir, "BTCUSDT", "klines.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(want, []byte("\n")); n != 30*1440+1 {
		t.Fatalf("reference has %d lines", n)
	}
	// Kill -9 a download part-way, check what it left, then finish it.
	dir := t.TempDir()
	cfg := itbConfig(t, dir, extra)
	file := filepath.Join(dir, "BTCUSDT", "klines.csv")
	killWhen(t, binary("download", "-c", cfg, "--start", "2022-01-01"), 20*time.Second, "download made no progress", func() bool {
		st, err := os.Stat(file)
		return err == nil && st.Size() > int64(len(want))/3
	})
	part, _ := os.ReadFile(file)
	if len(part) >= len(want) {
		t.Fatalf("the download finished before it was killed (%d bytes)", len(part))
	}
	// Whatever was left is whole rows that start the reference (a torn last line is repaired by the rerun).
	if lastNL := bytes.LastIndexByte(part, '\n'); !bytes.HasPrefix(want, part[:lastNL+1]) {
		t.Fatal("the killed download left rows that differ from the reference")
	}
	if out, err := binary("download", "-c", cfg).CombinedOutput(); err != nil {
		t.Fatalf("second download: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(file)
	if !bytes.Equal(got, want) {
		t.Fatalf("after kill and rerun the file differs from an uninterrupted download (%d vs %d bytes)", len(got), len(want))
	}
}

// scikit-learn 1.2.1 on the same matrices, from scripts/sklearn_oos.py: AUC on 2023 of models
// trained on 2022. lc: LogisticRegression (solver sag, ITB's settings); gb:
// HistGradientBoostingClassifier with the same rounds, depth and learning rate.
var sklearnAUC = map[string]float64{"high_20_lc": 0.715490, "low_20_lc": 0.722033, "high_20_gb": 0.700201, "low_20_gb": 0.669289}

// sklearnInSampleAUC is the gb reference's AUC on its own training rows.
var sklearnInSampleAUC = map[string]float64{"high_20_gb": 0.867800, "low_20_gb": 0.849700}

func TestOutOfSample2022to2023(t *testing.T) {
	if testing.Short() {
		t.Skip("two years of real data")
	}
	root := t.TempDir()
	models := filepath.Join(root, "MODELS")
	algos := `"model_folder": "` + models + `",`
	gb := `{"name": "gb", "algo": "gb", "params": {"is_scale": false}, "train": {"objective": "binary", "num_boost_round": 300, "max_depth": 4, "learning_rate": 0.1, "seed": 1}}`
	cfgs := map[string]string{}
	for _, y := range []string{"2022", "2023"} {
		dir := filepath.Join(root, y)
		os.MkdirAll(dir, 0o755)
		cfg := itbConfig(t, dir, algos)
		b, _ := os.ReadFile(cfg)
		text := strings.Replace(string(b), `"solver": "sag", "max_iter": 100}}`, `"solver": "sag", "max_iter": 100}}, `+gb, 1)
		if text == string(b) {
			t.Fatal("could not add the gb algorithm to the config")
		}
		os.WriteFile(cfg, []byte(text), 0o644)
		cfgs[y] = cfg
		run(t, "download", "-c", cfg, "--archive", sharedtest.Path(t, "BTCUSDT-1m-"+y+".csv.gz")).ok(t)
		for _, step := range []string{"merge", "features", "labels"} {
			run(t, step, "-c", cfg).ok(t)
		}
	}
	r := run(t, "train", "-c", cfgs["2022"]).ok(t)
	trainOut := r.out
	t.Log("\n" + r.out)
	r = run(t, "predict", "-c", cfgs["2023"]).ok(t)
	t.Log("\n" + r.out)
	b, err := os.ReadFile(filepath.Join(root, "2023", "BTCUSDT", "predictions.metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]struct {
		AUC float64 `json:"auc"`
		N   int     `json:"n"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for name, want := range sklearnAUC {
		if d := math.Abs(got[name].AUC - want); d > 0.01 {
			t.Errorf("%s: AUC %.6f, scikit-learn %.6f (|diff| %.4f > 0.01)", name, got[name].AUC, want, d)
		}
		if got[name].N != 525541 {
			t.Errorf("%s scored %d rows, scikit-learn 525541", name, got[name].N)
		}
	}
	// In-sample AUC of gb, from the train log, against the reference's.
	for name, want := range sklearnInSampleAUC {
		var in float64
		for _, line := range strings.Split(trainOut, "\n") {
			if strings.HasPrefix(line, "train: "+name+":") {
				fmt.Sscanf(line[strings.Index(line, "in-sample AUC")+len("in-sample AUC "):], "%f", &in)
			}
		}
		if d := math.Abs(in - want); d > 0.01 {
			t.Errorf("%s: in-sample AUC %.4f, scikit-learn %.4f", name, in, want)
		}
	}
}

func TestInterruptStopsAStepAndLeavesNoTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	cmd := binary("demo", "--dir", dir, "--days", "120")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the pipeline is under way, then interrupt it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "DEMOUSDT", "klines.csv")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("demo did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d (%v), want 130; stderr:\n%s", code, err, stderr.String())
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(filepath.Base(p), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func TestInterruptedDownloadFinishesThePage(t *testing.T) {
	url := fakeExchange(t, 30, 15*time.Millisecond)
	dir := t.TempDir()
	cfg := itbConfig(t, dir, "\n  \"binance_base_url\": \""+url+"\",")
	file := filepath.Join(dir, "BTCUSDT", "klines.csv")
	cmd := binary("download", "-c", cfg, "--start", "2022-01-01")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, err := os.Stat(file); err == nil && st.Size() > 1_000_000 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("download made no progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "run again to continue") || strings.Contains(stderr.String(), "context canceled") {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	b, _ := os.ReadFile(file)
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatal("the interrupted download left a torn file")
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines)-1 >= 30*1440 || (len(lines)-1)%1000 != 0 {
		t.Fatalf("the interrupted download holds %d rows: want whole pages of 1000 and fewer than all", len(lines)-1)
	}
}
