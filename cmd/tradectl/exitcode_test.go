package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
)

// TestSuccessNeverExitsInterrupted runs the real binary many times: a command that succeeds
// must exit 0 every time (a race between the end of Run and the interrupt watcher once made
// a few runs in a hundred exit 130) and never say "interrupted".
func TestSuccessNeverExitsInterrupted(t *testing.T) {
	// Each run starts a process (slow under -race); TestRunProcessSuccessIsNeverInterrupted
	// repeats the same logic in-process many more times, scripts/exitcodes.sh 1,000 times.
	n := 50
	if testing.Short() {
		n = 5
	}
	codes := map[int]int{}
	for range n {
		cmd := binary("version")
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatal(err)
		}
		codes[code]++
		if code != 0 {
			t.Logf("exit %d: %s", code, out)
		}
	}
	if codes[0] != n {
		t.Fatalf("exit codes over %d runs of 'version': %v, want all 0", n, codes)
	}
}

// TestRunProcessSuccessIsNeverInterrupted drives RunProcess in-process many times with no
// signal: every run returns 0, never calls exit and never prints "interrupted".
func TestRunProcessSuccessIsNeverInterrupted(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		var out, errb bytes.Buffer
		d := Deps{In: strings.NewReader(""), Out: &out, Err: &errb, Clock: clock.System{}, HTTP: http.DefaultClient}
		exited := -1
		code := RunProcess([]string{"version"}, d, make(chan os.Signal, 1), func(c int) { exited = c })
		if code != 0 || exited != -1 || errb.Len() != 0 {
			t.Fatalf("run %d: code %d, exit called with %d, stderr %q", i, code, exited, errb.String())
		}
	}
}

// synthKlines are n closed 1m bars from 2022-01-01 in Binance's text form.
func synthKlines(n int) []exchange.Kline {
	t0 := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := make([]exchange.Kline, n)
	for i := range rows {
		p := 100 + float64(i%97)/10
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
		ms := t0 + int64(i)*60_000
		rows[i] = exchange.Kline{OpenTime: ms, Fields: [11]string{
			f(p), f(p + 1), f(p - 1), f(p + 0.5), f(10 + float64(i%7)), strconv.FormatInt(ms+59_999, 10),
			f(1000), strconv.Itoa(5 + i%3), f(4), f(400), "0"}}
	}
	return rows
}

// TestInterruptedDownloadExits130 interrupts a download in-process while a page is being
// served: the command exits 130 (not 1 with "context canceled"), says how many rows the file
// keeps, and the file holds exactly that many complete rows.
func TestInterruptedDownloadExits130(t *testing.T) {
	rows := synthKlines(5000)
	h, err := fakebinance.NewHandler(fakebinance.Config{
		Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: rows}},
		Clock:  clock.Fixed{T: time.UnixMilli(rows[len(rows)-1].OpenTime + 30_000).UTC()},
	})
	if err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 2)
	var pages atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/klines") && pages.Add(1) == 3 {
			sigs <- os.Interrupt
			time.Sleep(20 * time.Millisecond)
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := itbConfig(t, dir, "\n  \"binance_base_url\": \""+srv.URL+"\",")
	var out bytes.Buffer
	var errb lockedBuffer // the interrupt watcher and the command both write to it
	d := Deps{In: strings.NewReader(""), Out: &out, Err: &errb, Clock: clock.System{}, HTTP: &http.Client{Timeout: 10 * time.Second}}
	exited := -1
	code := RunProcess([]string{"download", "-c", cfg, "--start", "2022-01-01"}, d, sigs, func(c int) { exited = c })
	if code != ExitInterrupted || exited != -1 {
		t.Fatalf("code %d, exit(%d); stderr:\n%s", code, exited, errb.String())
	}
	msg := errb.String()
	if strings.Contains(msg, "context canceled") || !strings.Contains(msg, "interrupted") {
		t.Fatalf("stderr:\n%s", msg)
	}
	b, err := os.ReadFile(filepath.Join(dir, "BTCUSDT", "klines.csv"))
	if err != nil {
		t.Fatal(err)
	}
	kept := bytes.Count(b, []byte("\n")) - 1
	if len(b) == 0 || b[len(b)-1] != '\n' || !strings.Contains(msg, fmt.Sprintf("keeps %d rows", kept)) {
		t.Fatalf("file has %d complete rows (ends with newline: %v); stderr:\n%s", kept, len(b) > 0 && b[len(b)-1] == '\n', msg)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers, like os.Stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
