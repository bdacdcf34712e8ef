package exchange

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/futures"
)

// Page limits of the klines endpoints.
const (
	SpotMaxLimit    = 1000 // GET /api/v3/klines
	FuturesMaxLimit = 1500 // GET /fapi/v1/klines
	// FuturesWeightLimit is Binance's USDⓈ-M request-weight budget per minute, the futures
	// default when BinanceConfig.Transport.WeightLimit is 0.
	FuturesWeightLimit = 2400
)

// BinanceConfig configures NewBinance.
type BinanceConfig struct {
	// Futures selects USDⓈ-M futures (/fapi/v1/klines, 1500 bars a page) instead of spot
	// (/api/v3/klines, 1000 bars a page).
	Futures bool
	// BaseURL is the spot REST root (config key binance_base_url); "" keeps go-binance's default.
	BaseURL string
	// FuturesBaseURL is the futures REST root (config key binance_futures_base_url).
	FuturesBaseURL string
	// APIKey and APISecret are optional (klines are public). They are handed to go-binance
	// only and never logged or put in errors.
	APIKey, APISecret string
	// Transport configures the robust HTTP layer (clock, logger, weight budget, retries).
	Transport TransportConfig
}

// Binance is a KlineSource backed by go-binance over a Transport.
type Binance struct {
	futures   bool
	spot      *binance.Client
	fut       *futures.Client
	transport *Transport
	http      *http.Client
}

// NewBinance builds the go-binance spot and futures clients sharing one Transport.
func NewBinance(cfg BinanceConfig) (*Binance, error) {
	tc := cfg.Transport
	if tc.WeightLimit == 0 && cfg.Futures {
		tc.WeightLimit = FuturesWeightLimit
	}
	tr := NewTransport(tc)
	hc := &http.Client{Transport: tr}
	quiet := log.New(io.Discard, "", 0) // go-binance's debug logger could print signed URLs

	spot := binance.NewClient(cfg.APIKey, cfg.APISecret)
	if cfg.BaseURL != "" {
		u, err := checkBaseURL(cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("binance_base_url: %w", err)
		}
		spot.BaseURL = u
	}
	spot.HTTPClient, spot.Logger, spot.Debug = hc, quiet, false

	fut := futures.NewClient(cfg.APIKey, cfg.APISecret)
	if cfg.FuturesBaseURL != "" {
		u, err := checkBaseURL(cfg.FuturesBaseURL)
		if err != nil {
			return nil, fmt.Errorf("binance_futures_base_url: %w", err)
		}
		fut.BaseURL = u
	}
	fut.HTTPClient, fut.Logger, fut.Debug = hc, quiet, false
	return &Binance{futures: cfg.Futures, spot: spot, fut: fut, transport: tr, http: hc}, nil
}

func checkBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// Futures reports whether the source serves USDⓈ-M futures klines.
func (b *Binance) Futures() bool { return b.futures }

// MaxLimit is the largest page the endpoint serves (1000 spot, 1500 futures).
func (b *Binance) MaxLimit() int {
	if b.futures {
		return FuturesMaxLimit
	}
	return SpotMaxLimit
}

// SpotClient returns the go-binance spot client, which uses the robust transport. Its errors
// name the request URL, query included: pass them through Redact.
func (b *Binance) SpotClient() *binance.Client { return b.spot }

// FuturesClient returns the go-binance USDⓈ-M futures client, which uses the robust
// transport. Its errors name the request URL, query included: pass them through Redact.
func (b *Binance) FuturesClient() *futures.Client { return b.fut }

// Transport returns the shared robust transport.
func (b *Binance) Transport() *Transport { return b.transport }

// Klines implements KlineSource. A limit <= 0 or above MaxLimit is MaxLimit. The bars come back
// as the exchange sent them (the still-open one included); "ignore" is "0" since go-binance
// does not keep that column, which Binance always sends as "0".
func (b *Binance) Klines(ctx context.Context, symbol, interval string, start time.Time, limit int) ([]Kline, error) {
	market := "spot"
	if b.futures {
		market = "futures"
	}
	if !IsBinanceInterval(interval) {
		return nil, fmt.Errorf("binance %s klines %s: %w: %q", market, symbol, ErrUnsupportedInterval, interval)
	}
	if limit <= 0 || limit > b.MaxLimit() {
		limit = b.MaxLimit()
	}
	startMs := start.UnixMilli()
	var out []Kline
	var err error
	if b.futures {
		var ks []*futures.Kline
		ks, err = b.fut.NewKlinesService().Symbol(symbol).Interval(interval).StartTime(startMs).Limit(limit).Do(ctx)
		if err == nil {
			out = make([]Kline, len(ks))
			for i, k := range ks {
				out[i] = newKline(k.OpenTime, k.Open, k.High, k.Low, k.Close, k.Volume, k.CloseTime, k.QuoteAssetVolume, k.TradeNum, k.TakerBuyBaseAssetVolume, k.TakerBuyQuoteAssetVolume)
			}
		}
	} else {
		var ks []*binance.Kline
		ks, err = b.spot.NewKlinesService().Symbol(symbol).Interval(interval).StartTime(startMs).Limit(limit).Do(ctx)
		if err == nil {
			out = make([]Kline, len(ks))
			for i, k := range ks {
				out[i] = newKline(k.OpenTime, k.Open, k.High, k.Low, k.Close, k.Volume, k.CloseTime, k.QuoteAssetVolume, k.TradeNum, k.TakerBuyBaseAssetVolume, k.TakerBuyQuoteAssetVolume)
			}
		}
	}
	what := fmt.Sprintf("binance %s klines %s %s from %s", market, symbol, interval, start.UTC().Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, Redact(err))
	}
	if err := checkPage(out, startMs, limit); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func newKline(open int64, o, h, l, c, v string, closeTime int64, qav string, trades int64, tbb, tbq string) Kline {
	return Kline{OpenTime: open, Fields: [11]string{o, h, l, c, v, strconv.FormatInt(closeTime, 10), qav, strconv.FormatInt(trades, 10), tbb, tbq, "0"}}
}

// checkPage catches what go-binance lets through silently (it reads a non-string value as "").
func checkPage(ks []Kline, startMs int64, limit int) error {
	if len(ks) > limit {
		return fmt.Errorf("%w: %d bars for limit %d", ErrBadResponse, len(ks), limit)
	}
	prev := int64(-1 << 63)
	for i, k := range ks {
		if k.OpenTime < startMs || k.OpenTime <= prev {
			return fmt.Errorf("%w: bar %d opens at %d, out of order or before the start", ErrBadResponse, i, k.OpenTime)
		}
		prev = k.OpenTime
		for j, f := range k.Fields {
			if f == "" {
				return fmt.Errorf("%w: bar %d (open time %d) has an empty or non-string %s", ErrBadResponse, i, k.OpenTime, FieldNames[j])
			}
		}
	}
	return nil
}

// Redact drops the query string from the *url.Error that net/http returns, so a signed
// request's signature never reaches a log or an error message. Klines applies it; callers of
// SpotClient or FuturesClient should apply it to the errors of signed calls.
func Redact(err error) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	if u, perr := url.Parse(ue.URL); perr == nil && u.RawQuery != "" {
		u.RawQuery = ""
		c := *ue
		c.URL = u.String()
		return &c
	}
	return err
}
