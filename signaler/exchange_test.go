package signaler

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
)

// TestServeFromFakeExchange runs the loop against a fake Binance serving real bars on the
// loop's own fake clock, with the exchange down for 5 minutes (every request answered 503):
// those ticks fail and log, the tick after the outage fetches the 6 bars it missed, and every
// bar's scores equal the batch run's.
func TestServeFromFakeExchange(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	all := realBars(t, 1200)
	models := fitModels(t, c, all[:700])
	saveModels(t, c.ModelPath(), models)
	w := c.PredictLength + c.FeaturesHorizon
	served := all[700-w : 700+30]

	clk := clock.NewFake(time.UnixMilli(all[700].OpenTime).UTC().Add(time.Second))
	srv, err := fakebinance.New(fakebinance.Config{Clock: clk,
		Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: served}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	src, err := exchange.NewBinance(exchange.BinanceConfig{BaseURL: srv.URL(),
		Transport: exchange.TransportConfig{Clock: clk, MaxAttempts: 1, Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	srv.InjectFunc(func(int, *http.Request) fakebinance.Fault {
		if down.Load() {
			return fakebinance.Fault{Kind: fakebinance.ServerError}
		}
		return fakebinance.Fault{}
	})
	rec := &recorder{}
	l, err := New(Options{Config: c, Clock: clk, Output: rec, Settle: time.Second,
		Feeder: ExchangeFeeder{Source: src, Symbol: "BTCUSDT", Interval: "1m"},
		Until:  time.UnixMilli(served[len(served)-1].OpenTime).UTC().Add(time.Minute + time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	rec.hook = func(r *Result) {
		if len(rec.results) == 10 {
			down.Store(true)
		}
	}
	ctx := context.Background()
	if _, err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 30 {
		clk.Advance(time.Minute)
		if _, err := l.Tick(ctx); err != nil {
			failed++
			if failed == 5 {
				down.Store(false)
			}
		}
	}
	if failed != 5 {
		t.Fatalf("%d ticks failed, want the 5 of the outage", failed)
	}
	batch := batchRun(t, c, all[:730], models)
	n := 0
	for k, r := range rec.results {
		for i := range r.Rows.Len() {
			compareRow(t, k, r.Rows.Slice(i, i+1), batch, []string{"close", "close_EMA_30", "high_02_lc", "low_02_lc", "trade_score"})
			n++
		}
	}
	if n != 30 || len(rec.results) != 25 || rec.results[10].Rows.Len() != 6 {
		t.Fatalf("%d rows in %d ticks (the one after the outage %d rows), want 30 rows in 25 ticks, 6 after the outage",
			n, len(rec.results), rec.results[10].Rows.Len())
	}
}
