package download_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
)

// The acceptance run: 60 real days over the real REST protocol, paginated, with one 429
// (Retry-After 7) and one dropped connection.
func TestDownload60DaysFromScratch(t *testing.T) {
	rows := dump(t)
	f := newFake(t, rows, false, nowInBar(rows, days60)) // the 86,401st bar is open
	f.srv.Inject(3, fakebinance.Fault{Kind: fakebinance.RateLimit, RetryAfter: 7})
	f.srv.Inject(10, fakebinance.Fault{Kind: fakebinance.Drop})
	dir := t.TempDir()
	var pages []download.Progress
	o := f.options(dir)
	o.Progress = func(p download.Progress) { pages = append(pages, p) }
	res := run(t, o)

	assertDumpRows(t, download.Path(dir, "BTCUSDT"), rows[:days60])
	if res.Rows != days60 || res.Added != days60 || res.Replaced != 0 || res.Pages != 87 || res.Repaired {
		t.Errorf("result %+v", res)
	}
	if !res.First.Equal(time.UnixMilli(rows[0].OpenTime)) || !res.Last.Equal(time.UnixMilli(rows[days60-1].OpenTime)) {
		t.Errorf("first/last %v %v", res.First, res.Last)
	}
	// 87 pages (86 of 1000 rows, the last with 400 closed rows plus the open bar) + the 429 + the drop.
	reqs := f.klinesRequests()
	if len(reqs) != 89 || f.srv.RequestCount() != 89 {
		t.Fatalf("%d klines requests (%d total), want 89", len(reqs), f.srv.RequestCount())
	}
	if reqs[2].Status != 429 || reqs[3].Query.Get("startTime") != reqs[2].Query.Get("startTime") || reqs[9].Fault != fakebinance.Drop {
		t.Errorf("fault requests: %+v / %+v / %+v", reqs[2], reqs[3], reqs[9])
	}
	page := 0
	for _, r := range reqs {
		if r.Status != 200 {
			continue
		}
		if r.Query.Get("limit") != "1000" || r.Query.Get("startTime") != fmt.Sprint(rows[page*1000].OpenTime) || r.Weight != 5 {
			t.Fatalf("page %d request %+v", page, r)
		}
		page++
	}
	if s := f.clk.Sleeps(); len(s) != 2 || s[0] != 7*time.Second || s[1] != time.Second {
		t.Errorf("sleeps %v, want [7s (Retry-After) 1s (backoff after the drop)]", s)
	}
	if len(pages) != 87 || pages[86].Rows != days60 || pages[0].Rows != 1000 {
		t.Errorf("%d progress calls, last %+v", len(pages), pages[len(pages)-1])
	}

	// Caught up: a rerun at the same now fetches the overlap once and changes nothing.
	before := readBytes(t, res.Path)
	res2 := run(t, f.options(dir))
	if res2.Added != 0 || res2.Replaced != 0 || res2.Pages != 1 || !bytes.Equal(before, readBytes(t, res.Path)) {
		t.Errorf("rerun %+v changed the file", res2)
	}
	if r := f.klinesRequests()[89]; r.Query.Get("startTime") != fmt.Sprint(rows[days60-5].OpenTime) {
		t.Errorf("rerun started at %s, want the 5th-from-last row", r.Query.Get("startTime"))
	}
}

func TestDownloadInterruptedThenResumed(t *testing.T) {
	rows := dump(t)
	now := nowInBar(rows, days60)
	want := expectedBytes(rows[:days60])

	// 1. Cancelled after 10 durable pages: exactly those pages are stored.
	dir := t.TempDir()
	path := download.Path(dir, "BTCUSDT")
	f := newFake(t, rows, false, now)
	ctx, cancel := context.WithCancel(context.Background())
	o := f.options(dir)
	o.Progress = func(p download.Progress) {
		if p.Page == 10 {
			cancel()
		}
	}
	if res, err := download.Run(ctx, o); !errors.Is(err, context.Canceled) || res.Rows != 10_000 || res.Pages != 10 {
		t.Fatalf("result %+v, error %v; want 10 pages stored and context.Canceled", res, err)
	}
	assertDumpRows(t, path, rows[:10_000])

	// 2. Resumed, then the exchange fails for good after 20 more requests: whole pages only.
	f.srv.InjectFunc(func(n int, _ *http.Request) fakebinance.Fault {
		if n > 30 {
			return fakebinance.Fault{Kind: fakebinance.ServerError}
		}
		return fakebinance.Fault{}
	})
	_, err := download.Run(context.Background(), f.options(dir))
	if !errors.Is(err, exchange.ErrTooManyRetries) {
		t.Fatalf("error %v, want ErrTooManyRetries", err)
	}
	got, err := download.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// 20 requests from the 5th-from-last row: the first page adds 995 rows, the others 1000.
	if len(got) != 10_000+995+19*1000 {
		t.Fatalf("%d rows after the failure", len(got))
	}
	assertDumpRows(t, path, rows[:len(got)])

	// 3. A crash mid-append leaves a torn last line; the next run repairs it and finishes.
	data := readBytes(t, path)
	if err := os.WriteFile(path, data[:len(data)-37], 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := download.ReadFile(path); err != nil || len(got) != 29_994 {
		t.Fatalf("reading the torn file: %d rows, %v", len(got), err)
	}
	stale := filepath.Join(dir, "BTCUSDT", ".klines.csv.12345.tmp") // left by a crash mid-rewrite
	if err := os.WriteFile(stale, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.srv.InjectFunc(nil)
	res := run(t, f.options(dir))
	if !res.Repaired || res.Rows != days60 {
		t.Errorf("result %+v", res)
	}
	if !bytes.Equal(readBytes(t, path), want) {
		t.Fatal("the resumed download differs from an uninterrupted one")
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file left: %v", err)
	}

	// 4. The same bytes as a fresh uninterrupted download into another folder.
	dir2 := t.TempDir()
	run(t, newFake(t, rows, false, now).options(dir2))
	if !bytes.Equal(readBytes(t, download.Path(dir2, "BTCUSDT")), want) {
		t.Fatal("uninterrupted download differs from the expected bytes")
	}
}

func TestDownloadIncremental(t *testing.T) {
	rows := dump(t)
	want := expectedBytes(rows[:days60])
	for _, modify := range []bool{false, true} {
		t.Run(fmt.Sprintf("stale_overlap=%v", modify), func(t *testing.T) {
			dir := t.TempDir()
			path := download.Path(dir, "BTCUSDT")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			stored := append([]exchange.Kline(nil), rows[:days30]...)
			if modify { // as pandas would write it, or a value the exchange later corrected
				stored[days30-2].Fields[exchange.FieldClose] = "1.5"
			}
			if err := download.WriteFile(path, stored); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(path)
			f := newFake(t, rows, false, nowInBar(rows, days60))
			res := run(t, f.options(dir))
			after, _ := os.Stat(path)
			if rewritten := !os.SameFile(before, after); rewritten != modify {
				t.Errorf("file rewritten=%v; want a rewrite only when the overlap changed", rewritten)
			}
			if !bytes.Equal(readBytes(t, path), want) {
				t.Fatal("incremental result differs from the full 60-day download")
			}
			reqs := f.klinesRequests()
			if reqs[0].Query.Get("startTime") != fmt.Sprint(rows[days30-5].OpenTime) {
				t.Errorf("first request starts at %s, want the 5th-from-last stored row", reqs[0].Query.Get("startTime"))
			}
			wantReplaced := 0
			if modify {
				wantReplaced = 1
			}
			// 43,205 rows from the overlap start, the open bar included: 44 pages.
			if res.Added != days60-days30 || res.Replaced != wantReplaced || res.Pages != 44 || len(reqs) != 44 {
				t.Errorf("result %+v, %d requests", res, len(reqs))
			}
		})
	}
}

func TestDownloadFutures(t *testing.T) {
	rows := dump(t)
	f := newFake(t, rows, true, nowInBar(rows, days60))
	dir := t.TempDir()
	res := run(t, f.options(dir))
	assertDumpRows(t, download.Path(dir, "BTCUSDT"), rows[:days60])
	reqs := f.klinesRequests()
	if res.Pages != 58 || len(reqs) != 58 { // 57 × 1500 + 901
		t.Fatalf("%d pages, %d requests", res.Pages, len(reqs))
	}
	for _, r := range reqs {
		if r.Path != "/fapi/v1/klines" || r.Query.Get("limit") != "1500" || r.Weight != 10 {
			t.Fatalf("request %+v", r)
		}
	}
	o := f.options(dir)
	o.Futures = false // a spot page size with a futures source is refused
	if _, err := download.Run(context.Background(), o); err == nil {
		t.Error("market mismatch accepted")
	}
}

func TestDownloadMaxRows(t *testing.T) {
	rows := dump(t)
	dir := t.TempDir()
	path := download.Path(dir, "BTCUSDT")
	f := newFake(t, rows, false, nowInBar(rows, 50_000))
	o := f.options(dir)
	o.MaxRows = 1000
	res := run(t, o)
	assertDumpRows(t, path, rows[49_000:50_000])
	if res.Rows != 1000 || res.Trimmed != 49_000 || !res.First.Equal(time.UnixMilli(rows[49_000].OpenTime)) {
		t.Errorf("result %+v", res)
	}
	f.clk.Set(nowInBar(rows, days60)) // later: continue from the trimmed file, trim again
	res = run(t, o)
	assertDumpRows(t, path, rows[days60-1000:days60])
	if res.Added != days60-50_000 || res.Trimmed != days60-50_000 {
		t.Errorf("result %+v", res)
	}
}

func TestDownloadRefusesOtherBarSize(t *testing.T) {
	rows := dump(t)
	dir := t.TempDir()
	path := download.Path(dir, "BTCUSDT")
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := download.WriteFile(path, rows[:100]); err != nil {
		t.Fatal(err)
	}
	f := newFake(t, rows, false, nowInBar(rows, 200))
	o := f.options(dir)
	o.Interval = "5min"
	if _, err := download.Run(context.Background(), o); !errors.Is(err, download.ErrIntervalMismatch) {
		t.Fatalf("error %v, want ErrIntervalMismatch", err)
	}
	if f.srv.RequestCount() != 0 {
		t.Error("requests were made")
	}
}

func TestDownloadBadOptions(t *testing.T) {
	rows := dump(t)
	f := newFake(t, rows, false, nowInBar(rows, 10))
	for name, mod := range map[string]func(*download.Options){
		"symbol":   func(o *download.Options) { o.Symbol = "../x" },
		"interval": func(o *download.Options) { o.Interval = "7min" },
		"source":   func(o *download.Options) { o.Source = nil },
		"folder":   func(o *download.Options) { o.DataFolder = "" },
	} {
		o := f.options(t.TempDir())
		mod(&o)
		if _, err := download.Run(context.Background(), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDownloadEmptyFileStartsAfresh(t *testing.T) {
	rows := dump(t)
	dir := t.TempDir()
	path := download.Path(dir, "BTCUSDT")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, nil, 0o644)
	f := newFake(t, rows, false, nowInBar(rows, 1500))
	run(t, f.options(dir))
	assertDumpRows(t, path, rows[:1500])
}
