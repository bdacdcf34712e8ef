package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
)

// Transport defaults.
const (
	DefaultWeightLimit = 6000             // Binance spot request weight per minute
	DefaultMaxAttempts = 5                // attempts per request, the first included
	DefaultBaseBackoff = time.Second      // first backoff; doubles per attempt
	DefaultMaxBackoff  = 30 * time.Second // backoff cap
	DefaultMaxWait     = 5 * time.Minute  // longest Retry-After the transport sleeps through
	DefaultMaxBody     = 64 << 20         // response bodies are buffered up to this size
	DefaultTimeout     = 30 * time.Second // per attempt, connect to last body byte
	weightResetMargin  = time.Second      // slack after the minute boundary for clock skew
)

// TransportConfig configures NewTransport. Zero values take the defaults above.
type TransportConfig struct {
	// Base does the actual round trips; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Clock times waits; nil means clock.System. Tests pass a fake so nothing really sleeps.
	Clock clock.Clock
	// Logger receives retry and throttle notices (method and path only: never query strings,
	// headers or keys); nil discards them.
	Logger *slog.Logger
	// WeightLimit is the request-weight budget per minute (X-MBX-USED-WEIGHT-1M); 0 means
	// DefaultWeightLimit, a negative value disables throttling.
	WeightLimit int
	// WeightHeadroom: once the used weight reaches WeightLimit-WeightHeadroom, requests wait
	// for the next minute. 0 means WeightLimit/10.
	WeightHeadroom int
	// MaxAttempts bounds the attempts per request (first included); 0 means DefaultMaxAttempts.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the exponential backoff for transient errors.
	BaseBackoff, MaxBackoff time.Duration
	// MaxWait is the longest Retry-After honoured; a longer one fails at once with
	// ErrRateLimited or ErrBanned. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// MaxBody bounds the buffered response size; 0 means DefaultMaxBody.
	MaxBody int64
	// Timeout bounds each attempt (real time, not Clock); a timed-out attempt is retried like
	// a transient error. 0 means DefaultTimeout, a negative value disables it.
	Timeout time.Duration
}

// Transport is an http.RoundTripper for Binance REST calls. It
//   - reads X-MBX-USED-WEIGHT-1M and, when the budget is nearly spent, holds requests until the
//     next minute (plus one second of slack);
//   - on 429 and 418 waits Retry-After (or the backoff when absent) and retries; every request
//     sharing the transport waits too;
//   - retries transient failures (connection reset/refused, EOF, timeouts, a truncated body,
//     HTTP 5xx) with exponential backoff, up to MaxAttempts, then fails with ErrTooManyRetries.
//
// Only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are retried after a transport error
// or a 5xx, since Binance may have executed such a request (an order POST would be duplicated).
// 429/418 responses and connection-refused errors are retried for every method: the request was
// certainly not executed. Response bodies are read fully inside RoundTrip, so a connection that
// breaks mid-body is retried as well. It is safe for concurrent use.
type Transport struct {
	cfg    TransportConfig
	base   http.RoundTripper
	clk    clock.Clock
	log    *slog.Logger
	mu     sync.Mutex
	used   int       // last X-MBX-USED-WEIGHT-1M seen
	usedAt time.Time // clock time it was seen
	resume time.Time // no request starts before this time
}

// NewTransport returns a Transport with cfg's zero values replaced by the defaults.
func NewTransport(cfg TransportConfig) *Transport {
	if cfg.WeightLimit == 0 {
		cfg.WeightLimit = DefaultWeightLimit
	}
	if cfg.WeightHeadroom <= 0 {
		cfg.WeightHeadroom = cfg.WeightLimit / 10
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	t := &Transport{cfg: cfg, base: cfg.Base, clk: cfg.Clock, log: cfg.Logger}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.clk == nil {
		t.clk = clock.System{}
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t
}

// UsedWeight returns the last X-MBX-USED-WEIGHT-1M value seen.
func (t *Transport) UsedWeight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.used
}

type failure int

const (
	failTransient failure = iota
	failRateLimit
	failBan
)

// RoundTrip sends req, throttling and retrying as described on Transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idem := idempotent(req.Method)
	what := req.Method + " " + req.URL.Path // never the query: signed requests carry a signature
	var last error
	var kind failure
	for attempt := 1; ; attempt++ {
		if err := t.throttle(ctx, what); err != nil {
			return nil, err
		}
		resp, timedOut, err := t.attempt(req, attempt)
		var wait time.Duration
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			if timedOut {
				err = fmt.Errorf("no complete response within %s: %w", t.cfg.Timeout, err)
			} else if !retryable(err, idem) {
				return nil, err
			}
			kind, last = failTransient, err
			wait = t.backoff(attempt)
		} else {
			t.observe(resp.Header)
			status := resp.StatusCode
			switch {
			case status == http.StatusTooManyRequests || status == http.StatusTeapot:
				kind = failRateLimit
				sentinel := ErrRateLimited
				if status == http.StatusTeapot {
					kind, sentinel = failBan, ErrBanned
				}
				last = fmt.Errorf("HTTP %d%s", status, apiMessage(resp))
				ra, ok := t.retryAfter(resp.Header)
				if !ok {
					ra = t.backoff(attempt)
				}
				if ra > t.cfg.MaxWait {
					resp.Body.Close()
					return nil, fmt.Errorf("%w: %s: %v, Retry-After %s exceeds the allowed wait %s", sentinel, what, last, ra, t.cfg.MaxWait)
				}
				wait = ra
			case status >= 500 && idem:
				kind, last = failTransient, fmt.Errorf("HTTP %d%s", status, apiMessage(resp))
				ra, ok := t.retryAfter(resp.Header)
				if !ok || ra > t.cfg.MaxWait {
					ra = t.backoff(attempt)
				}
				wait = ra
			default:
				return resp, nil
			}
			resp.Body.Close()
		}
		if attempt >= t.cfg.MaxAttempts {
			switch kind {
			case failRateLimit:
				return nil, fmt.Errorf("%w: %w: %s failed %d times, last: %v", ErrRateLimited, ErrTooManyRetries, what, attempt, last)
			case failBan:
				return nil, fmt.Errorf("%w: %w: %s failed %d times, last: %v", ErrBanned, ErrTooManyRetries, what, attempt, last)
			default:
				return nil, fmt.Errorf("%w: %s failed %d times, last: %w", ErrTooManyRetries, what, attempt, last)
			}
		}
		t.log.Warn("binance request failed, retrying", "request", what, "attempt", attempt, "max_attempts", t.cfg.MaxAttempts, "wait", wait, "error", last.Error())
		if kind == failTransient {
			if err := clock.SleepContext(ctx, t.clk, wait); err != nil {
				return nil, err
			}
		} else {
			t.pause(wait) // everyone sharing the transport waits; throttle sleeps at the loop top
		}
	}
}

// attempt makes one round trip under the per-attempt timeout and buffers the body. timedOut
// reports that the attempt's own deadline, not the caller's context, ended it.
func (t *Transport) attempt(req *http.Request, n int) (resp *http.Response, timedOut bool, err error) {
	r, err := cloneRequest(req, n)
	if err != nil {
		return nil, false, err
	}
	actx := req.Context()
	if t.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, t.cfg.Timeout)
		defer cancel() // the body is fully buffered before this runs
		r = r.WithContext(actx)
	}
	resp, err = t.base.RoundTrip(r)
	if err == nil {
		err = bufferBody(resp, t.cfg.MaxBody)
	}
	return resp, err != nil && actx.Err() != nil && req.Context().Err() == nil, err
}

// throttle waits while a Retry-After pause is active or the weight budget is nearly spent.
func (t *Transport) throttle(ctx context.Context, what string) error {
	now := t.clk.Now()
	t.mu.Lock()
	if t.cfg.WeightLimit > 0 && t.used >= t.cfg.WeightLimit-t.cfg.WeightHeadroom && sameMinute(t.usedAt, now) {
		next := now.Truncate(time.Minute).Add(time.Minute + weightResetMargin)
		if next.After(t.resume) {
			t.resume = next
		}
		t.log.Info("binance request weight near the limit, pausing until the next minute", "request", what, "used_weight_1m", t.used, "limit", t.cfg.WeightLimit)
		t.used = 0 // the window resets by the time the pause ends
	}
	wait := t.resume.Sub(now)
	t.mu.Unlock()
	return clock.SleepContext(ctx, t.clk, wait)
}

func (t *Transport) pause(d time.Duration) {
	until := t.clk.Now().Add(d)
	t.mu.Lock()
	if until.After(t.resume) {
		t.resume = until
	}
	t.mu.Unlock()
}

func (t *Transport) observe(h http.Header) {
	v := h.Get("X-Mbx-Used-Weight-1m")
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return
	}
	now := t.clk.Now()
	t.mu.Lock()
	t.used, t.usedAt = n, now
	t.mu.Unlock()
}

func (t *Transport) backoff(attempt int) time.Duration {
	d := t.cfg.BaseBackoff
	for i := 1; i < attempt && d < t.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, t.cfg.MaxBackoff)
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func (t *Transport) retryAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(t.clk.Now()), 0), true
	}
	return 0, false
}

func sameMinute(a, b time.Time) bool {
	return !a.IsZero() && a.Truncate(time.Minute).Equal(b.Truncate(time.Minute))
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return false
}

// retryable reports whether a transport-level error is worth another attempt.
func retryable(err error, idem bool) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true // nothing was sent
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if !idem {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.As(err, &op) // other socket-level errors (read/write on a broken connection)
}

// cloneRequest returns req for the first attempt and a copy with a fresh body afterwards.
func cloneRequest(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("%s %s: cannot retry: request body is not replayable", req.Method, req.URL.Path)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("%s %s: cannot retry: %w", req.Method, req.URL.Path, err)
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// bufferBody reads the whole body so a connection broken mid-body surfaces here, retryable.
func bufferBody(resp *http.Response, limit int64) error {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("response body larger than %d bytes", limit)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return nil
}

// apiMessage formats a Binance error body ({"code":-1003,"msg":"..."}) for an error message.
func apiMessage(resp *http.Response) string {
	data, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	var e struct {
		Code int64  `json:"code"`
		Msg  string `json:"msg"`
	}
	if json.Unmarshal(data, &e) != nil || (e.Code == 0 && e.Msg == "") {
		return ""
	}
	if len(e.Msg) > 200 {
		e.Msg = e.Msg[:200] + "..."
	}
	return fmt.Sprintf(" (code %d: %s)", e.Code, e.Msg)
}
