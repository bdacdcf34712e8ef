package ops

import (
	"encoding/json"
	"net/http"
	"time"
)

// Health is the /healthz body.
type Health struct {
	// Status is "ok", "stale" (the newest closed bar closed more than two intervals ago) or
	// "starting" (no tick has finished yet); anything but "ok" is served with 503.
	Status string `json:"status"`
	// Now is the service clock's time of the answer.
	Now time.Time `json:"now"`
	// LastTickStart and LastTickEnd time the last tick (null before the first).
	LastTickStart *time.Time `json:"last_tick_start"`
	LastTickEnd   *time.Time `json:"last_tick_end"`
	// LastClosedBar is the open time (the data's timestamp) of the newest closed bar.
	LastClosedBar *time.Time `json:"last_closed_bar"`
	// LagSeconds is how long ago that bar closed (null without a bar).
	LagSeconds *float64 `json:"lag_seconds"`
	// StaleAfterSeconds is the lag beyond which the data is stale (two intervals).
	StaleAfterSeconds float64    `json:"stale_after_seconds"`
	LastError         string     `json:"last_error,omitempty"`
	LastErrorAt       *time.Time `json:"last_error_at,omitempty"`
	// ExchangeWeightUsed1m is the last X-MBX-USED-WEIGHT-1M value Binance sent.
	ExchangeWeightUsed1m int    `json:"exchange_weight_used_1m"`
	Ticks                uint64 `json:"ticks"`
}

// HealthOf derives the health report from a snapshot.
func HealthOf(s Snapshot) Health {
	h := Health{
		Status: "ok", Now: s.Now, StaleAfterSeconds: (2 * s.Interval).Seconds(),
		LastError: s.LastError, ExchangeWeightUsed1m: s.Weight, Ticks: s.Ticks,
		LastTickStart: timePtr(s.TickStarted), LastTickEnd: timePtr(s.TickDone),
		LastClosedBar: timePtr(s.LastBar), LastErrorAt: timePtr(s.LastErrorAt),
	}
	if !s.LastBar.IsZero() {
		lag := Lag(s.LastBar, s.Interval, s.Now).Seconds()
		h.LagSeconds = &lag
	}
	switch {
	case s.Ticks == 0:
		h.Status = "starting"
	case Stale(s.LastBar, s.Interval, s.Now):
		h.Status = "stale"
	}
	return h
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// Handler serves /healthz and /metrics from r.
func Handler(r *Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		h := HealthOf(r.Snapshot())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if h.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_ = WriteMetrics(w, r.Snapshot())
	})
	return mux
}
