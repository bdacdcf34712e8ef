// Package exchange is tradectl's Binance client plumbing: the Kline row type shared by the
// download step, the signal service and the fake exchange, the KlineSource interface they
// depend on, a go-binance based implementation for spot and USDⓈ-M futures, and an
// http.RoundTripper that makes every REST call robust (request-weight throttling, Retry-After
// on 429/418, bounded exponential backoff on transient failures).
//
// Kline values are kept as the exchange's decimal strings, never re-formatted through float64,
// so a stored row can be compared byte for byte with Binance's dump files.
package exchange

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Indexes into Kline.Fields, in Binance's column order after the open time.
const (
	FieldOpen = iota
	FieldHigh
	FieldLow
	FieldClose
	FieldVolume
	FieldCloseTime
	FieldQuoteAV
	FieldTrades
	FieldTakerBaseAV
	FieldTakerQuoteAV
	FieldIgnore
)

// FieldNames are the ITB klines.csv column names of Kline.Fields, in order.
var FieldNames = [11]string{"open", "high", "low", "close", "volume", "close_time", "quote_av", "trades", "tb_base_av", "tb_quote_av", "ignore"}

// Kline is one exchange bar: its open time in Unix milliseconds (UTC) and the other 11 values
// verbatim as the exchange wrote them: open, high, low, close, volume, close_time, quote_av,
// trades, tb_base_av, tb_quote_av, ignore (see the Field* constants).
type Kline struct {
	OpenTime int64
	Fields   [11]string
}

// CloseTime parses the close_time field (Unix milliseconds).
func (k Kline) CloseTime() (int64, error) {
	v, err := strconv.ParseInt(k.Fields[FieldCloseTime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: close_time %q of the bar opened at %d", ErrBadResponse, k.Fields[FieldCloseTime], k.OpenTime)
	}
	return v, nil
}

// KlineSource returns up to limit bars of symbol at the Binance interval (e.g. "1m") whose open
// time is >= start, in ascending open-time order. Like Binance it may include the still-open
// current bar; callers drop it. A limit <= 0 means the source's page maximum.
type KlineSource interface {
	Klines(ctx context.Context, symbol, interval string, start time.Time, limit int) ([]Kline, error)
}

// Sentinel errors callers branch on.
var (
	// ErrRateLimited: HTTP 429 on every attempt, or a Retry-After longer than the allowed wait.
	ErrRateLimited = errors.New("binance rate limit exceeded")
	// ErrBanned: HTTP 418 (IP auto-banned) on every attempt, or a ban longer than the allowed wait.
	ErrBanned = errors.New("binance IP ban (HTTP 418)")
	// ErrTooManyRetries wraps every failure that persisted through all attempts.
	ErrTooManyRetries = errors.New("too many retries")
	// ErrBadResponse: the exchange answered with data that breaks the protocol (wrong shape, order).
	ErrBadResponse = errors.New("bad exchange response")
	// ErrUnsupportedInterval: a frequency or interval Binance does not offer.
	ErrUnsupportedInterval = errors.New("unsupported interval")
)
