package ops

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/signaler/outbox"
)

type fakeStats outbox.Stats

func (f *fakeStats) Stats() outbox.Stats { return outbox.Stats(*f) }

type fakePending struct {
	n   int
	err error
}

func (f *fakePending) Pending(context.Context) (int, error) { return f.n, f.err }

func TestOutboxSource(t *testing.T) {
	st := &fakeStats{Sent: 5, Retried: 3, Rejected: 1}
	db := &fakePending{n: 4}
	src := OutboxSource(st, db)
	if got := src(); got != (Notifications{Sent: 5, Failed: 4, Queued: 4}) {
		t.Errorf("got %+v", got)
	}
	st.Sent, db.n = 6, 2
	if got := src(); got != (Notifications{Sent: 6, Failed: 4, Queued: 2}) {
		t.Errorf("got %+v", got)
	}
	db.n, db.err = 0, errors.New("database is locked")
	if got := src(); got.Queued != 2 {
		t.Errorf("a failed count query must keep the last one: %+v", got)
	}
}

// TestWeightFromExchange wires the registry to the real Binance client's transport, which
// parses X-MBX-USED-WEIGHT-1M from a fake Binance: /metrics and /healthz show the weight the
// server counted.
func TestWeightFromExchange(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []exchange.Kline
	for i := range 5 {
		open := start.Add(time.Duration(i) * time.Minute).UnixMilli()
		rows = append(rows, exchange.Kline{OpenTime: open, Fields: [11]string{"1", "2", "0.5", "1.5", "10", itoa(open + 59_999), "15", "3", "5", "7", "0"}})
	}
	clk := clock.NewFake(start.Add(5*time.Minute + time.Second))
	srv, err := fakebinance.New(fakebinance.Config{Clock: clk, Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: rows}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	src, err := exchange.NewBinance(exchange.BinanceConfig{BaseURL: srv.URL(), Transport: exchange.TransportConfig{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(clk, time.Minute)
	r.SetWeightSource(src.Transport().UsedWeight)
	for range 3 {
		if _, err := src.Klines(context.Background(), "BTCUSDT", "1m", start, 5); err != nil {
			t.Fatal(err)
		}
	}
	want := srv.UsedWeight(fakebinance.Spot)
	if want <= 0 {
		t.Fatalf("server counted weight %d", want)
	}
	var b bytes.Buffer
	if err := WriteMetrics(&b, r.Snapshot()); err != nil {
		t.Fatal(err)
	}
	fams, err := parseExposition(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := fams["tradectl_exchange_weight_used_1m"].samples[0].value; got != float64(want) {
		t.Errorf("metrics weight %v, want the server's %d", got, want)
	}
	rec := httptest.NewRecorder()
	Handler(r).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if !bytes.Contains(rec.Body.Bytes(), []byte(`"exchange_weight_used_1m":`+itoa(int64(want)))) {
		t.Errorf("healthz: %s", rec.Body.String())
	}
}
