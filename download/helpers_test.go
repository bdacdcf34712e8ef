package download_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

const (
	days60 = 60 * 24 * 60 // 86,400 one-minute rows
	days30 = 30 * 24 * 60
)

var (
	rowsOnce sync.Once
	rows2022 []exchange.Kline
)

// dump returns the first 60 days of BTCUSDT 2022 plus the bar after them (86,401 real rows).
func dump(t testing.TB) []exchange.Kline {
	t.Helper()
	rowsOnce.Do(func() {
		src := sharedtest.ReadKlines(t, "BTCUSDT-1m-2022.csv.gz", days60+1)
		rows2022 = make([]exchange.Kline, len(src))
		for i, k := range src {
			rows2022[i] = exchange.Kline(k)
		}
	})
	if len(rows2022) != days60+1 {
		t.Fatalf("real data: %d rows", len(rows2022))
	}
	return rows2022
}

func dumpLine(k exchange.Kline) string {
	return strconv.FormatInt(k.OpenTime, 10) + "," + strings.Join(k.Fields[:], ",")
}

// nowInBar is 30 s into the bar of row i, which is therefore still open.
func nowInBar(rows []exchange.Kline, i int) time.Time {
	return time.UnixMilli(rows[i].OpenTime + 30_000).UTC()
}

type fake struct {
	srv *fakebinance.Server
	clk *clock.Fake
	src *exchange.Binance
}

// newFake serves rows over the real REST protocol with now = the given time, and a go-binance
// source on a transport that opens a connection per request (so a dropped connection reaches
// our retry logic rather than net/http's one silent replay on a reused connection).
func newFake(t testing.TB, rows []exchange.Kline, futures bool, now time.Time) *fake {
	t.Helper()
	clk := clock.NewFake(now)
	m := fakebinance.Spot
	if futures {
		m = fakebinance.Futures
	}
	srv, err := fakebinance.New(fakebinance.Config{Clock: clk, Series: []fakebinance.Series{{Market: m, Symbol: "BTCUSDT", Interval: "1m", Klines: rows}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	src, err := exchange.NewBinance(exchange.BinanceConfig{Futures: futures, BaseURL: srv.URL(), FuturesBaseURL: srv.URL(),
		Transport: exchange.TransportConfig{Clock: clk, Base: &http.Transport{DisableKeepAlives: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return &fake{srv, clk, src}
}

func (f *fake) options(dir string) download.Options {
	return download.Options{
		DataFolder: dir, Symbol: "BTCUSDT", Interval: "1min", Futures: f.src.Futures(),
		Start: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Source: f.src, Clock: f.clk,
	}
}

func (f *fake) klinesRequests() []fakebinance.Request {
	var out []fakebinance.Request
	for _, r := range f.srv.Requests() {
		if strings.HasSuffix(r.Path, "/klines") {
			out = append(out, r)
		}
	}
	return out
}

// assertDumpRows checks that the file's rows, with the timestamp converted back to Unix ms,
// are byte for byte the dump lines of want. The timestamp text is checked against the time
// package's formatting, independently of the code under test.
func assertDumpRows(t testing.TB, path string, want []exchange.Kline) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("%s does not end with a newline", path)
	}
	lines = lines[:len(lines)-1]
	if lines[0] != download.Header {
		t.Fatalf("header %q", lines[0])
	}
	lines = lines[1:]
	if len(lines) != len(want) {
		t.Fatalf("%s: %d rows, want %d", path, len(lines), len(want))
	}
	for i, l := range lines {
		if got := fileLineToDump(t, l); got != dumpLine(want[i]) {
			t.Fatalf("row %d:\n got %s\nwant %s", i, got, dumpLine(want[i]))
		}
	}
}

func fileLineToDump(t testing.TB, l string) string {
	t.Helper()
	ts, rest, ok := strings.Cut(l, ",")
	if !ok {
		t.Fatalf("row %q has no comma", l)
	}
	tm, err := time.Parse("2006-01-02 15:04:05-07:00", ts)
	if err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	if want := tm.UTC().Format("2006-01-02 15:04:05") + "+00:00"; ts != want {
		t.Fatalf("timestamp %q, want %q", ts, want)
	}
	return strconv.FormatInt(tm.UnixMilli(), 10) + "," + rest
}

// expectedBytes is the klines.csv an uninterrupted download of rows produces.
func expectedBytes(rows []exchange.Kline) []byte {
	var b bytes.Buffer
	b.WriteString(download.Header + "\n")
	for _, k := range rows {
		b.WriteString(time.UnixMilli(k.OpenTime).UTC().Format("2006-01-02 15:04:05") + "+00:00," + strings.Join(k.Fields[:], ",") + "\n")
	}
	return b.Bytes()
}

func readBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t testing.TB, o download.Options) download.Result {
	t.Helper()
	res, err := download.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// writeGz writes lines as a gzipped dump file.
func writeGz(t testing.TB, path string, lines []string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	w := bufio.NewWriter(zw)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
