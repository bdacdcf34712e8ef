package fakebinance_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

func realRows(t testing.TB, n int) []exchange.Kline {
	src := sharedtest.ReadKlines(t, "BTCUSDT-1m-2022.csv.gz", n)
	out := make([]exchange.Kline, len(src))
	for i, k := range src {
		out[i] = exchange.Kline(k)
	}
	return out
}

func line(k exchange.Kline) string {
	return fmt.Sprint(k.OpenTime) + "," + strings.Join(k.Fields[:], ",")
}

type fixture struct {
	srv  *fakebinance.Server
	clk  *clock.Fake
	rows []exchange.Kline
}

// newFixture serves 3000 real rows on both markets; now is 30 s into the bar of row 2999.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	rows := realRows(t, 3000)
	clk := clock.NewFake(time.UnixMilli(rows[2999].OpenTime + 30_000).UTC())
	srv, err := fakebinance.New(fakebinance.Config{Clock: clk, Series: []fakebinance.Series{
		{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: rows},
		{Market: fakebinance.Futures, Symbol: "BTCUSDT", Interval: "1m", Klines: rows},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &fixture{srv, clk, rows}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) get(t *testing.T, pathQuery string) reply {
	t.Helper()
	resp, err := http.Get(f.srv.URL() + pathQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// decode parses a klines reply back into rows, keeping every value's JSON text.
func decode(t *testing.T, body []byte) []exchange.Kline {
	t.Helper()
	var raw [][]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("decode %.100s: %v", body, err)
	}
	out := make([]exchange.Kline, len(raw))
	for i, r := range raw {
		if len(r) != 12 {
			t.Fatalf("row %d has %d values", i, len(r))
		}
		if err := json.Unmarshal(r[0], &out[i].OpenTime); err != nil {
			t.Fatal(err)
		}
		for j := 1; j < 12; j++ {
			s := string(r[j])
			quoted := j-1 != exchange.FieldCloseTime && j-1 != exchange.FieldTrades
			if quoted != strings.HasPrefix(s, `"`) {
				t.Fatalf("row %d value %d: %s quoted=%v, want %v", i, j, s, !quoted, quoted)
			}
			out[i].Fields[j-1] = strings.Trim(s, `"`)
		}
	}
	return out
}

func TestKlinesWireFormat(t *testing.T) {
	f := newFixture(t)
	r := f.get(t, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1640995200000&limit=2")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	want := `[[1640995200000,"46216.93000000","46271.08000000","46208.37000000","46250.00000000","40.57574000",1640995259999,"1875978.44269790",796,"27.26086000","1260270.37206270","0"],`
	if !strings.HasPrefix(string(r.body), want) {
		t.Fatalf("body %s\nwant prefix %s", r.body, want)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("content type %q", got)
	}
}

func TestKlinesSemantics(t *testing.T) {
	f := newFixture(t)
	t0 := f.rows[0].OpenTime
	cases := []struct {
		name, query string
		first, n    int // expected rows f.rows[first:first+n]
	}{
		{"default limit 500", "startTime=%d", 0, 500},
		{"start mid-bar rounds up", "startTime=%d", 1, 500},
		{"spot max 1000", "startTime=%d&limit=1000", 0, 1000},
		{"end inclusive", "startTime=%d&endTime=%d&limit=1000", 10, 11},
		{"no start: newest up to now", "limit=3", 2997, 3},
		{"only end: newest up to end", "endTime=%d&limit=5", 16, 5},
		{"start past data", "startTime=%d", 3000, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var q string
			switch c.name {
			case "start mid-bar rounds up":
				q = fmt.Sprintf(c.query, t0+1)
			case "end inclusive":
				q = fmt.Sprintf(c.query, f.rows[10].OpenTime, f.rows[20].OpenTime)
			case "only end: newest up to end":
				q = fmt.Sprintf(c.query, f.rows[20].OpenTime)
			case "start past data":
				q = fmt.Sprintf(c.query, f.rows[2999].OpenTime+60_000)
			case "no start: newest up to now":
				q = c.query
			default:
				q = fmt.Sprintf(c.query, t0)
			}
			r := f.get(t, "/api/v3/klines?symbol=BTCUSDT&interval=1m&"+q)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			got := decode(t, r.body)
			if len(got) != c.n {
				t.Fatalf("%d rows, want %d", len(got), c.n)
			}
			for i, k := range got {
				if line(k) != line(f.rows[c.first+i]) {
					t.Fatalf("row %d: %s\nwant %s", i, line(k), line(f.rows[c.first+i]))
				}
			}
		})
	}
}

func TestNowHidesFutureBarsAndServesOpenOne(t *testing.T) {
	f := newFixture(t)
	f.clk.Set(time.UnixMilli(f.rows[99].OpenTime)) // exactly the open of row 99
	got := decode(t, f.get(t, fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=1000", f.rows[0].OpenTime)).body)
	if len(got) != 100 || got[99].OpenTime != f.rows[99].OpenTime {
		t.Fatalf("got %d rows, want 100 ending with the open bar", len(got))
	}
	f.clk.Set(time.UnixMilli(f.rows[99].OpenTime - 1))
	if got := decode(t, f.get(t, fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=1000", f.rows[0].OpenTime)).body); len(got) != 99 {
		t.Fatalf("got %d rows, want 99", len(got))
	}
}

func TestFuturesLimit(t *testing.T) {
	f := newFixture(t)
	r := f.get(t, fmt.Sprintf("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=1500", f.rows[0].OpenTime))
	if r.status != 200 || len(decode(t, r.body)) != 1500 {
		t.Fatalf("status %d, want 1500 rows", r.status)
	}
	if r.header.Get("X-MBX-USED-WEIGHT-1M") != "10" {
		t.Errorf("futures weight %q, want 10", r.header.Get("X-MBX-USED-WEIGHT-1M"))
	}
	if r := f.get(t, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1501"); r.status != 400 || !strings.Contains(string(r.body), "-1130") {
		t.Errorf("limit 1501: %d %s", r.status, r.body)
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/api/v3/klines?symbol=XXXUSDT&interval=1m", 400, `{"code":-1121,"msg":"Invalid symbol."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1min", 400, `{"code":-1120,"msg":"Invalid interval."}`},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1s", 400, `{"code":-1120,"msg":"Invalid interval."}`},
		{"/api/v3/klines?interval=1m", 400, `{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}`},
		{"/api/v3/klines?symbol=BTCUSDT", 400, `{"code":-1102,"msg":"Mandatory parameter 'interval' was not sent, was empty/null, or malformed."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001", 400, `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=0", 400, `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=abc", 400, `{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=x", 400, `{"code":-1100,"msg":"Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=2&endTime=1", 400, `{"code":-1023,"msg":"Start time is greater than end time."}`},
	}
	for _, c := range cases {
		r := f.get(t, c.path)
		if r.status != c.status || string(r.body) != c.body {
			t.Errorf("%s: %d %s\nwant %d %s", c.path, r.status, r.body, c.status, c.body)
		}
	}
	if r := f.get(t, "/api/v3/nope"); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
}

func TestWeightsAndPingTime(t *testing.T) {
	f := newFixture(t)
	f.clk.Set(time.Date(2022, 1, 3, 0, 0, 10, 0, time.UTC))
	steps := []struct {
		path string
		used string
	}{
		{"/api/v3/ping", "1"},
		{"/api/v3/time", "2"},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=100", "3"},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m", "5"}, // default 500: 2
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000", "10"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1001", "10"}, // futures counts apart
	}
	for _, s := range steps {
		r := f.get(t, s.path)
		if r.status != 200 || r.header.Get("X-MBX-USED-WEIGHT-1M") != s.used {
			t.Fatalf("%s: status %d used %q, want %s", s.path, r.status, r.header.Get("X-MBX-USED-WEIGHT-1M"), s.used)
		}
	}
	if r := f.get(t, "/api/v3/time"); string(r.body) != fmt.Sprintf(`{"serverTime":%d}`, f.clk.Now().UnixMilli()) {
		t.Errorf("time: %s", r.body)
	}
	if r := f.get(t, "/api/v3/ping"); string(r.body) != "{}" {
		t.Errorf("ping: %s", r.body)
	}
	f.clk.Advance(time.Minute)
	if r := f.get(t, "/api/v3/ping"); r.header.Get("X-MBX-USED-WEIGHT-1M") != "1" {
		t.Errorf("weight did not reset with the minute: %s", r.header.Get("X-MBX-USED-WEIGHT-1M"))
	}
}

func TestServerWeightLimit(t *testing.T) {
	rows := realRows(t, 10)
	clk := clock.NewFake(time.Date(2022, 1, 3, 0, 0, 45, 0, time.UTC))
	srv, err := fakebinance.New(fakebinance.Config{Clock: clk, SpotWeightLimit: 12, Series: []fakebinance.Series{{Symbol: "BTCUSDT", Interval: "1m", Klines: rows}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := &fixture{srv, clk, rows}
	for i := 0; i < 2; i++ {
		if r := f.get(t, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000"); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := f.get(t, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000")
	if r.status != 429 || r.header.Get("Retry-After") != "15" || !strings.Contains(string(r.body), `"code":-1003`) {
		t.Fatalf("over the limit: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t)
	f.srv.Inject(1, fakebinance.Fault{Kind: fakebinance.RateLimit, RetryAfter: 7})
	f.srv.Inject(2, fakebinance.Fault{Kind: fakebinance.Ban, RetryAfter: 120})
	f.srv.Inject(3, fakebinance.Fault{Kind: fakebinance.ServerError})
	f.srv.Inject(4, fakebinance.Fault{Kind: fakebinance.Drop})
	f.srv.Inject(5, fakebinance.Fault{Kind: fakebinance.Truncate})
	q := "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=10"
	if r := f.get(t, q); r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Errorf("429: %d %q", r.status, r.header.Get("Retry-After"))
	}
	if r := f.get(t, q); r.status != 418 || r.header.Get("Retry-After") != "120" || !strings.Contains(string(r.body), "IP banned until") {
		t.Errorf("418: %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := f.get(t, q); r.status != 503 {
		t.Errorf("503: %d", r.status)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := client.Get(f.srv.URL() + q); err == nil {
		t.Errorf("dropped connection gave no error")
	}
	resp, err := client.Get(f.srv.URL() + q)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Errorf("truncated body gave no error")
	}
	if r := f.get(t, q); r.status != 200 {
		t.Errorf("request 6: %d", r.status)
	}
	log := f.srv.Requests()
	if len(log) != 6 || log[3].Status != 0 || log[3].Fault != fakebinance.Drop || log[5].Weight != 1 {
		t.Errorf("request log %+v", log)
	}
}

func TestNewRejectsBadSeries(t *testing.T) {
	rows := realRows(t, 3)
	rows[2].OpenTime = rows[1].OpenTime
	if _, err := fakebinance.NewHandler(fakebinance.Config{Series: []fakebinance.Series{{Symbol: "BTCUSDT", Interval: "1m", Klines: rows}}}); err == nil {
		t.Error("unsorted series accepted")
	}
	rows = realRows(t, 3)
	rows[1].Fields[exchange.FieldTrades] = "1.5"
	if _, err := fakebinance.NewHandler(fakebinance.Config{Series: []fakebinance.Series{{Symbol: "BTCUSDT", Interval: "1m", Klines: rows}}}); err == nil {
		t.Error("non-integer trades accepted")
	}
	if _, err := fakebinance.NewHandler(fakebinance.Config{Series: []fakebinance.Series{{Symbol: "BTCUSDT", Interval: "1min"}}}); err == nil {
		t.Error("pandas interval accepted")
	}
}
