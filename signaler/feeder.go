package signaler

import (
	"context"
	"fmt"
	"time"

	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
)

// Feeder serves klines to the loop: up to limit bars whose open time is >= since, ascending,
// as the source has them now. Like Binance it may include the still-open current bar; the loop
// keeps closed bars only.
type Feeder interface {
	Klines(ctx context.Context, since time.Time, limit int) ([]exchange.Kline, error)
}

// ExchangeFeeder feeds the loop from an exchange (exchange.Binance, or the fake one in tests).
type ExchangeFeeder struct {
	Source exchange.KlineSource
	// Symbol and Interval are the Binance symbol and kline interval ("1m").
	Symbol, Interval string
}

// Klines implements Feeder.
func (f ExchangeFeeder) Klines(ctx context.Context, since time.Time, limit int) ([]exchange.Kline, error) {
	return f.Source.Klines(ctx, f.Symbol, f.Interval, since, limit)
}

// fetchClosed returns the closed bars with open time in [since, cur) (cur is the start of the
// current, still-open interval), paging by at most pageLimit bars. Every response is checked
// with CheckOrder before anything is kept.
func fetchClosed(ctx context.Context, fd Feeder, since, cur time.Time, step time.Duration, pageLimit int) ([]exchange.Kline, error) {
	var out []exchange.Kline
	end := cur.UnixMilli()
	for since.Before(cur) {
		limit := min(int(cur.Sub(since)/step)+1, pageLimit) // +1: the open bar comes too
		ks, err := fd.Klines(ctx, since, limit)
		if err != nil {
			return nil, fmt.Errorf("%w from %s: %w", ErrFetch, since.Format(time.DateTime), err)
		}
		if err := CheckOrder(ks); err != nil {
			return nil, err
		}
		n := 0
		for _, k := range ks {
			if k.OpenTime < since.UnixMilli() {
				return nil, fmt.Errorf("%w: bar %s is before the requested start %s", ErrBarOrder, frame.FormatTime(k.OpenTime), frame.FormatTime(since.UnixMilli()))
			}
			if k.OpenTime >= end {
				break // the still-open bar and anything after it
			}
			out = append(out, k)
			n++
		}
		if n == 0 || len(ks) < limit {
			break
		}
		since = time.UnixMilli(out[len(out)-1].OpenTime).Add(step)
	}
	return out, nil
}
