package exchange_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/adshao/go-binance/v2/common"

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

type env struct {
	srv  *fakebinance.Server
	clk  *clock.Fake
	rows []exchange.Kline
	src  *exchange.Binance
	logs *bytes.Buffer
}

// newEnv serves 3000 real 1m rows on both markets, with now 30 s into the last one, and a
// source on a fresh-connection-per-request transport (so dropped connections reach our retry
// logic instead of net/http's own single replay on reused connections).
func newEnv(t *testing.T, futures bool, tc exchange.TransportConfig, fc fakebinance.Config) *env {
	t.Helper()
	rows := realRows(t, 3000)
	clk := clock.NewFake(time.UnixMilli(rows[2999].OpenTime + 30_000).UTC())
	fc.Clock = clk
	fc.Series = []fakebinance.Series{
		{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: rows},
		{Market: fakebinance.Futures, Symbol: "BTCUSDT", Interval: "1m", Klines: rows},
	}
	srv, err := fakebinance.New(fc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	logs := &bytes.Buffer{}
	tc.Clock = clk
	tc.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if tc.Base == nil {
		tc.Base = &http.Transport{DisableKeepAlives: true}
	}
	src, err := exchange.NewBinance(exchange.BinanceConfig{Futures: futures, BaseURL: srv.URL(), FuturesBaseURL: srv.URL(), Transport: tc})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv, clk, rows, src, logs}
}

func (e *env) start(i int) time.Time { return time.UnixMilli(e.rows[i].OpenTime) }

func line(k exchange.Kline) string {
	return fmt.Sprint(k.OpenTime) + "," + strings.Join(k.Fields[:], ",")
}

func sameRows(t *testing.T, got, want []exchange.Kline) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if line(got[i]) != line(want[i]) {
			t.Fatalf("row %d:\n got %s\nwant %s", i, line(got[i]), line(want[i]))
		}
	}
}

func TestSpotKlinesVerbatim(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
	got, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, e.rows[:1000])
	got, err = e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(2500), 5000) // clamped to 1000
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, e.rows[2500:]) // includes the still-open last bar: callers drop it
	reqs := e.srv.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/api/v3/klines" || reqs[0].Query.Get("limit") != "1000" || reqs[0].Query.Get("startTime") != fmt.Sprint(e.rows[0].OpenTime) {
		t.Fatalf("requests %+v", reqs)
	}
	if e.src.Transport().UsedWeight() != 10 {
		t.Errorf("used weight %d, want 10", e.src.Transport().UsedWeight())
	}
}

func TestFuturesKlines(t *testing.T) {
	e := newEnv(t, true, exchange.TransportConfig{}, fakebinance.Config{})
	got, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, e.rows[:1500])
	if r := e.srv.Requests()[0]; r.Path != "/fapi/v1/klines" || r.Query.Get("limit") != "1500" || r.Weight != 10 {
		t.Fatalf("request %+v", r)
	}
	if e.src.MaxLimit() != 1500 || !e.src.Futures() {
		t.Error("futures source reports spot limits")
	}
}

func TestRetryAfter429(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
	e.srv.Inject(1, fakebinance.Fault{Kind: fakebinance.RateLimit, RetryAfter: 7})
	got, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 10)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, e.rows[:10])
	if n := e.srv.RequestCount(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if s := e.clk.Sleeps(); len(s) != 1 || s[0] != 7*time.Second {
		t.Errorf("sleeps %v, want [7s]", s)
	}
}

func TestTransientFailuresRetriedWithBackoff(t *testing.T) {
	for _, kind := range []fakebinance.FaultKind{fakebinance.Drop, fakebinance.Truncate, fakebinance.ServerError, fakebinance.RateLimit} {
		t.Run(kind.String(), func(t *testing.T) {
			e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
			e.srv.Inject(1, fakebinance.Fault{Kind: kind}) // no Retry-After: backoff
			e.srv.Inject(2, fakebinance.Fault{Kind: kind})
			got, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 10)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, got, e.rows[:10])
			if s := e.clk.Sleeps(); len(s) != 2 || s[0] != time.Second || s[1] != 2*time.Second {
				t.Errorf("sleeps %v, want [1s 2s]", s)
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	cases := []struct {
		fault     fakebinance.Fault
		sentinels []error
		sleeps    []time.Duration
	}{
		{fakebinance.Fault{Kind: fakebinance.Drop}, []error{exchange.ErrTooManyRetries}, []time.Duration{1e9, 2e9, 4e9, 8e9}},
		{fakebinance.Fault{Kind: fakebinance.ServerError}, []error{exchange.ErrTooManyRetries}, []time.Duration{1e9, 2e9, 4e9, 8e9}},
		{fakebinance.Fault{Kind: fakebinance.RateLimit, RetryAfter: 3}, []error{exchange.ErrRateLimited, exchange.ErrTooManyRetries}, []time.Duration{3e9, 3e9, 3e9, 3e9}},
		{fakebinance.Fault{Kind: fakebinance.Ban, RetryAfter: 120}, []error{exchange.ErrBanned, exchange.ErrTooManyRetries}, []time.Duration{120e9, 120e9, 120e9, 120e9}},
	}
	for _, c := range cases {
		t.Run(c.fault.Kind.String(), func(t *testing.T) {
			e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
			e.srv.InjectFunc(func(int, *http.Request) fakebinance.Fault { return c.fault })
			_, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 10)
			for _, s := range c.sentinels {
				if !errors.Is(err, s) {
					t.Errorf("error %v is not %v", err, s)
				}
			}
			if n := e.srv.RequestCount(); n != exchange.DefaultMaxAttempts {
				t.Errorf("%d requests, want %d", n, exchange.DefaultMaxAttempts)
			}
			if s := e.clk.Sleeps(); fmt.Sprint(s) != fmt.Sprint(c.sleeps) {
				t.Errorf("sleeps %v, want %v", s, c.sleeps)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
}

func TestLongBanFailsAtOnce(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
	e.srv.Inject(1, fakebinance.Fault{Kind: fakebinance.Ban, RetryAfter: 3 * 86400})
	_, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 10)
	if !errors.Is(err, exchange.ErrBanned) || errors.Is(err, exchange.ErrTooManyRetries) {
		t.Fatalf("error %v, want ErrBanned only", err)
	}
	if e.srv.RequestCount() != 1 || len(e.clk.Sleeps()) != 0 {
		t.Errorf("%d requests, sleeps %v", e.srv.RequestCount(), e.clk.Sleeps())
	}
}

func TestClientWeightThrottle(t *testing.T) {
	// Budget 20, headroom 2: after four 1000-row pages (weight 5 each) the used weight is 20,
	// so the fifth request waits for the next minute (+1 s) and the server's counter resets.
	e := newEnv(t, false, exchange.TransportConfig{WeightLimit: 20}, fakebinance.Config{})
	e.clk.Set(time.Date(2022, 1, 3, 12, 0, 30, 0, time.UTC))
	var maxUsed int
	for i := 0; i < 6; i++ {
		if _, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 1000); err != nil {
			t.Fatal(err)
		}
		maxUsed = max(maxUsed, e.src.Transport().UsedWeight())
	}
	if s := e.clk.Sleeps(); len(s) != 1 || s[0] != 31*time.Second {
		t.Errorf("sleeps %v, want [31s]", s)
	}
	if maxUsed > 20 || e.src.Transport().UsedWeight() != 10 {
		t.Errorf("max used %d, now %d", maxUsed, e.src.Transport().UsedWeight())
	}
	if !strings.Contains(e.logs.String(), "weight near the limit") {
		t.Errorf("no throttle log: %s", e.logs)
	}
}

func TestServerWeightLimit429(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{SpotWeightLimit: 12})
	e.clk.Set(time.Date(2022, 1, 3, 12, 0, 45, 0, time.UTC))
	for i := 0; i < 3; i++ {
		if _, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 1000); err != nil {
			t.Fatal(err)
		}
	}
	if s := e.clk.Sleeps(); len(s) != 1 || s[0] != 15*time.Second {
		t.Errorf("sleeps %v, want [15s]", s)
	}
	if e.srv.RequestCount() != 4 {
		t.Errorf("%d requests, want 4", e.srv.RequestCount())
	}
}

func TestAPIErrorNotRetried(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
	_, err := e.src.Klines(context.Background(), "NOPEUSDT", "1m", e.start(0), 10)
	var api *common.APIError
	if !errors.As(err, &api) || api.Code != -1121 {
		t.Fatalf("error %v, want APIError -1121", err)
	}
	if e.srv.RequestCount() != 1 {
		t.Errorf("%d requests", e.srv.RequestCount())
	}
	if _, err := e.src.Klines(context.Background(), "BTCUSDT", "1min", e.start(0), 10); !errors.Is(err, exchange.ErrUnsupportedInterval) {
		t.Errorf("pandas interval: %v", err)
	}
}

type stuckClock struct{ clock.Clock }

func (stuckClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func TestContextCancelledDuringWait(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{}, fakebinance.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	src, err := exchange.NewBinance(exchange.BinanceConfig{BaseURL: e.srv.URL(), Transport: exchange.TransportConfig{Clock: stuckClock{e.clk}}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.InjectFunc(func(int, *http.Request) fakebinance.Fault {
		cancel()
		return fakebinance.Fault{Kind: fakebinance.RateLimit, RetryAfter: 30}
	})
	if _, err := src.Klines(ctx, "BTCUSDT", "1m", e.start(0), 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if e.srv.RequestCount() != 1 {
		t.Errorf("%d requests", e.srv.RequestCount())
	}
}

func TestSecretsStayOut(t *testing.T) {
	const key, secret = "KEY-abcdef123456", "SECRET-zyxw987654"
	rows := realRows(t, 10)
	clk := clock.NewFake(time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC))
	srv, err := fakebinance.New(fakebinance.Config{Clock: clk, Series: []fakebinance.Series{{Symbol: "BTCUSDT", Interval: "1m", Klines: rows}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.InjectFunc(func(int, *http.Request) fakebinance.Fault {
		return fakebinance.Fault{Kind: fakebinance.RateLimit, RetryAfter: 1}
	})
	var logs bytes.Buffer
	src, err := exchange.NewBinance(exchange.BinanceConfig{BaseURL: srv.URL(), APIKey: key, APISecret: secret,
		Transport: exchange.TransportConfig{Clock: clk, Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	if err != nil {
		t.Fatal(err)
	}
	// A signed call (account) carries the key header and a signature in the query.
	_, err = src.SpotClient().NewGetAccountService().Do(context.Background())
	if !errors.Is(err, exchange.ErrRateLimited) {
		t.Fatalf("error %v", err)
	}
	_, kerr := src.Klines(context.Background(), "BTCUSDT", "1m", time.UnixMilli(rows[0].OpenTime), 10)
	reqs := srv.Requests()
	if reqs[0].Query.Get("signature") == "" {
		t.Fatal("the account call was not signed; the test proves nothing")
	}
	text := logs.String() + exchange.Redact(err).Error() + kerr.Error()
	for _, s := range []string{key, secret, reqs[0].Query.Get("signature")} {
		if strings.Contains(text, s) {
			t.Errorf("%q leaked into logs or errors:\n%s", s, text)
		}
	}
}

func TestBadBaseURL(t *testing.T) {
	if _, err := exchange.NewBinance(exchange.BinanceConfig{BaseURL: "api.binance.com"}); err == nil || !strings.Contains(err.Error(), "binance_base_url") {
		t.Errorf("error %v", err)
	}
}

func TestStalledAttemptTimesOut(t *testing.T) {
	e := newEnv(t, false, exchange.TransportConfig{Timeout: 100 * time.Millisecond}, fakebinance.Config{})
	e.srv.Inject(1, fakebinance.Fault{Kind: fakebinance.Stall})
	got, err := e.src.Klines(context.Background(), "BTCUSDT", "1m", e.start(0), 10)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, e.rows[:10])
	if s := e.clk.Sleeps(); len(s) != 1 || s[0] != time.Second {
		t.Errorf("sleeps %v, want [1s]", s)
	}
	if !strings.Contains(e.logs.String(), "no complete response within 100ms") {
		t.Errorf("logs: %s", e.logs)
	}
}
