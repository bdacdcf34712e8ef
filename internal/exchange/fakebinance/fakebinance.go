// Package fakebinance is a fake Binance REST server for tests and replay: an httptest.Server
// that speaks the real wire protocol (paths, query parameters, JSON arrays, error bodies,
// X-MBX-USED-WEIGHT-1M headers) and serves klines from memory, as of its clock's "now".
//
// Endpoints: GET /api/v3/klines (spot: limit default 500, max 1000), GET /fapi/v1/klines
// (USDⓈ-M futures: default 500, max 1500), GET /api/v3/ping, /api/v3/time, /fapi/v1/ping and
// /fapi/v1/time. Klines follow Binance: rows with startTime <= open time <= endTime, ascending,
// at most limit; without startTime the newest limit rows up to endTime (or now). Rows whose
// open time is after the clock's now are not served, but the still-open current bar is (its
// open time <= now), exactly as Binance does, so clients must drop it.
//
// Request weight: klines cost 1 (limit 1–100), 2 (101–500), 5 (501–1000) or 10 (>1000), as
// Binance documents for /fapi/v1/klines; we apply the same table to spot. ping and time cost 1.
// Weights accumulate per clock minute and per market and are reported in X-MBX-USED-WEIGHT-1M
// (and X-MBX-USED-WEIGHT). A request that would exceed the market's WeightLimit is answered 429
// code -1003 with Retry-After set to the seconds left in the minute, as Binance does.
//
// Faults can be injected per request number (1-based, counted over all requests): 429 or 418
// with Retry-After, a 503, a connection dropped without a response, a response cut off
// mid-body, or no answer at all (a stall).
package fakebinance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
)

// Market selects spot or USDⓈ-M futures.
type Market int

const (
	// Spot is served under /api/v3.
	Spot Market = iota
	// Futures is served under /fapi/v1.
	Futures
)

// String names the market.
func (m Market) String() string {
	if m == Futures {
		return "futures"
	}
	return "spot"
}

// Binance's per-market request-weight budgets per minute, the defaults of Config.
const (
	SpotWeightLimit    = 6000
	FuturesWeightLimit = 2400
)

// Series is the klines one market serves for one symbol and interval, ascending by open time.
type Series struct {
	Market   Market
	Symbol   string
	Interval string // a Binance interval, e.g. "1m"
	Klines   []exchange.Kline
}

// Config configures New.
type Config struct {
	Series []Series
	// Clock gives the server's "now"; nil means clock.System.
	Clock clock.Clock
	// SpotWeightLimit and FuturesWeightLimit are the per-minute budgets; 0 means Binance's
	// (6000 and 2400), a negative value disables the limit.
	SpotWeightLimit, FuturesWeightLimit int
}

// FaultKind is a kind of injected failure.
type FaultKind int

const (
	// NoFault serves the request normally.
	NoFault FaultKind = iota
	// RateLimit answers HTTP 429, code -1003, with Retry-After (omitted when 0).
	RateLimit
	// Ban answers HTTP 418, code -1003, with Retry-After (omitted when 0).
	Ban
	// ServerError answers HTTP 503, code -1001.
	ServerError
	// Drop hijacks the connection and closes it without any response.
	Drop
	// Truncate sends the status line, headers and half the body, then closes the connection.
	Truncate
	// Stall never answers: it holds the request until the client gives up or the server closes.
	Stall
)

// String names the fault.
func (k FaultKind) String() string {
	names := [...]string{"none", "429", "418", "503", "drop", "truncate", "stall"}
	if k < 0 || int(k) >= len(names) {
		return "fault(" + strconv.Itoa(int(k)) + ")"
	}
	return names[k]
}

// Fault is an injected failure; RetryAfter is in seconds.
type Fault struct {
	Kind       FaultKind
	RetryAfter int
}

// Request records one request the server received.
type Request struct {
	N      int // 1-based arrival number
	Method string
	Path   string
	Query  url.Values
	Status int // 0 when the connection was dropped
	Weight int // weight charged (0 for faults and weight-limit rejections)
	Fault  FaultKind
}

type key struct {
	m              Market
	symbol, period string
}

// Server is the fake exchange. It is an http.Handler, so it can also be mounted on a real
// listener (replay mode); New starts it on an httptest.Server.
type Server struct {
	clk     clock.Clock
	limits  [2]int
	series  map[key][]exchange.Kline
	symbols [2]map[string]bool
	ts      *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu        sync.Mutex
	n         int
	faults    map[int]Fault
	faultFunc func(n int, r *http.Request) Fault
	log       []Request
	weight    [2]int
	minute    [2]time.Time
}

// New validates the series and starts the server on 127.0.0.1.
func New(cfg Config) (*Server, error) {
	s, err := NewHandler(cfg)
	if err != nil {
		return nil, err
	}
	s.ts = httptest.NewServer(s)
	return s, nil
}

// NewHandler validates the series and returns the server without starting a listener.
func NewHandler(cfg Config) (*Server, error) {
	s := &Server{clk: cfg.Clock, series: map[key][]exchange.Kline{}, faults: map[int]Fault{}, closing: make(chan struct{})}
	if s.clk == nil {
		s.clk = clock.System{}
	}
	s.limits = [2]int{cfg.SpotWeightLimit, cfg.FuturesWeightLimit}
	if s.limits[Spot] == 0 {
		s.limits[Spot] = SpotWeightLimit
	}
	if s.limits[Futures] == 0 {
		s.limits[Futures] = FuturesWeightLimit
	}
	s.symbols = [2]map[string]bool{{}, {}}
	for _, sr := range cfg.Series {
		if sr.Market != Spot && sr.Market != Futures {
			return nil, fmt.Errorf("fakebinance: series %s: unknown market %d", sr.Symbol, sr.Market)
		}
		if sr.Symbol == "" || !validInterval(sr.Market, sr.Interval) {
			return nil, fmt.Errorf("fakebinance: series %q %q: need a symbol and a Binance interval", sr.Symbol, sr.Interval)
		}
		if err := checkSeries(sr.Klines); err != nil {
			return nil, fmt.Errorf("fakebinance: %s %s %s: %w", sr.Market, sr.Symbol, sr.Interval, err)
		}
		k := key{sr.Market, sr.Symbol, sr.Interval}
		if _, dup := s.series[k]; dup {
			return nil, fmt.Errorf("fakebinance: %s %s %s given twice", sr.Market, sr.Symbol, sr.Interval)
		}
		s.series[k] = sr.Klines
		s.symbols[sr.Market][sr.Symbol] = true
	}
	return s, nil
}

func checkSeries(ks []exchange.Kline) error {
	for i, k := range ks {
		if i > 0 && k.OpenTime <= ks[i-1].OpenTime {
			return fmt.Errorf("row %d: open time %d not after %d", i, k.OpenTime, ks[i-1].OpenTime)
		}
		for j, f := range k.Fields {
			if j == exchange.FieldCloseTime || j == exchange.FieldTrades {
				if _, err := strconv.ParseInt(f, 10, 64); err != nil {
					return fmt.Errorf("row %d: %s %q is not an integer", i, exchange.FieldNames[j], f)
				}
				continue
			}
			if f == "" {
				return fmt.Errorf("row %d: empty %s", i, exchange.FieldNames[j])
			}
			for _, c := range []byte(f) {
				if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
					return fmt.Errorf("row %d: %s %q is not a plain decimal string", i, exchange.FieldNames[j], f)
				}
			}
		}
	}
	return nil
}

// URL is the server's base URL (for BinanceConfig.BaseURL and FuturesBaseURL).
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down, releasing stalled requests.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	if s.ts != nil {
		s.ts.Close()
	}
}

// Inject makes request number n (1-based, over all requests) fail with f.
func (s *Server) Inject(n int, f Fault) {
	s.mu.Lock()
	s.faults[n] = f
	s.mu.Unlock()
}

// InjectFunc installs fn, asked for every request that has no Inject fault; nil removes it.
func (s *Server) InjectFunc(fn func(n int, r *http.Request) Fault) {
	s.mu.Lock()
	s.faultFunc = fn
	s.mu.Unlock()
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestCount returns how many requests arrived.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// UsedWeight returns the weight used in the current clock minute on market m.
func (s *Server) UsedWeight(m Market) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.minute[m].Equal(s.clk.Now().Truncate(time.Minute)) {
		return 0
	}
	return s.weight[m]
}

type apiError struct {
	status int
	code   int
	msg    string
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	n := s.n
	f, ok := s.faults[n]
	fn := s.faultFunc
	s.mu.Unlock()
	if !ok && fn != nil {
		f = fn(n, r)
	}
	rec := Request{N: n, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Fault: f.Kind}
	// The request is logged before the client can see any answer: a normal response is sent
	// after the handler returns (so the deferred call is in time), but a dropped or truncated
	// connection is closed inside the handler, so those log first.
	logged := false
	logIt := func() {
		if logged {
			return
		}
		logged = true
		s.mu.Lock()
		s.log = append(s.log, rec)
		s.mu.Unlock()
	}
	defer logIt()

	switch f.Kind {
	case RateLimit:
		rec.Status = http.StatusTooManyRequests
		s.writeError(w, r, f.RetryAfter, apiError{rec.Status, -1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."})
		return
	case Ban:
		rec.Status = http.StatusTeapot
		until := s.clk.Now().Add(time.Duration(f.RetryAfter) * time.Second).UnixMilli()
		s.writeError(w, r, f.RetryAfter, apiError{rec.Status, -1003, fmt.Sprintf("Way too much request weight used; IP banned until %d. Please use WebSocket Streams for live updates to avoid bans.", until)})
		return
	case ServerError:
		rec.Status = http.StatusServiceUnavailable
		s.writeError(w, r, f.RetryAfter, apiError{rec.Status, -1001, "Internal error; unable to process your request. Please try again."})
		return
	case Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				logIt()
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // no hijacking (HTTP/2): abort the response instead
	case Stall:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	case Truncate:
		rr := httptest.NewRecorder()
		rec.Status, rec.Weight = s.serve(rr, r)
		logIt()
		s.truncate(w, rr)
		return
	}
	rec.Status, rec.Weight = s.serve(w, r)
}

// serve handles a request normally and returns its status and the weight charged.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (int, int) {
	var m Market
	var op string
	switch r.URL.Path {
	case "/api/v3/klines":
		m, op = Spot, "klines"
	case "/api/v3/ping":
		m, op = Spot, "ping"
	case "/api/v3/time":
		m, op = Spot, "time"
	case "/fapi/v1/klines":
		m, op = Futures, "klines"
	case "/fapi/v1/ping":
		m, op = Futures, "ping"
	case "/fapi/v1/time":
		m, op = Futures, "time"
	default:
		http.NotFound(w, r)
		return http.StatusNotFound, 0
	}
	if r.Method != http.MethodGet {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return http.StatusMethodNotAllowed, 0
	}
	q := r.URL.Query()
	weight := 1
	var limit int
	if op == "klines" {
		limit = 500
		if v := q.Get("limit"); v != "" {
			l, err := strconv.Atoi(v)
			if err != nil || l < 0 {
				return s.fail(w, r, m, 0, *illegal("limit"))
			}
			limit = l
		}
		weight = klinesWeight(limit)
	}
	now := s.clk.Now()
	if e := s.charge(m, weight, now); e != nil {
		return s.fail(w, r, m, 0, *e)
	}
	switch op {
	case "ping":
		s.writeJSON(w, m, http.StatusOK, []byte("{}"))
	case "time":
		s.writeJSON(w, m, http.StatusOK, fmt.Appendf(nil, `{"serverTime":%d}`, now.UnixMilli()))
	default:
		body, e := s.klines(m, q, limit, now)
		if e != nil {
			return s.fail(w, r, m, weight, *e)
		}
		s.writeJSON(w, m, http.StatusOK, body)
	}
	return http.StatusOK, weight
}

func klinesWeight(limit int) int {
	switch {
	case limit <= 100:
		return 1
	case limit <= 500:
		return 2
	case limit <= 1000:
		return 5
	default:
		return 10
	}
}

// charge adds weight to market m's current minute, or returns the 429 Binance would send.
func (s *Server) charge(m Market, weight int, now time.Time) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if min := now.Truncate(time.Minute); !s.minute[m].Equal(min) {
		s.minute[m], s.weight[m] = min, 0
	}
	if lim := s.limits[m]; lim > 0 && s.weight[m]+weight > lim {
		return &apiError{http.StatusTooManyRequests, -1003, fmt.Sprintf("Too much request weight used; current limit is %d request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.", lim)}
	}
	s.weight[m] += weight
	return nil
}

func illegal(param string) *apiError {
	return &apiError{http.StatusBadRequest, -1100, fmt.Sprintf("Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.", param)}
}

func mandatory(param string) *apiError {
	return &apiError{http.StatusBadRequest, -1102, fmt.Sprintf("Mandatory parameter '%s' was not sent, was empty/null, or malformed.", param)}
}

func (s *Server) klines(m Market, q url.Values, limit int, now time.Time) ([]byte, *apiError) {
	symbol, interval := q.Get("symbol"), q.Get("interval")
	if symbol == "" {
		return nil, mandatory("symbol")
	}
	if interval == "" {
		return nil, mandatory("interval")
	}
	if !s.symbols[m][symbol] {
		return nil, &apiError{http.StatusBadRequest, -1121, "Invalid symbol."}
	}
	if !validInterval(m, interval) {
		return nil, &apiError{http.StatusBadRequest, -1120, "Invalid interval."}
	}
	max := 1000
	if m == Futures {
		max = 1500
	}
	if limit < 1 || limit > max {
		return nil, &apiError{http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid."}
	}
	hi := now.UnixMilli() // open time <= now: the still-open current bar is served
	var lo int64 = -1 << 63
	start, hasStart, e := timeParam(q, "startTime")
	if e != nil {
		return nil, e
	}
	end, hasEnd, e := timeParam(q, "endTime")
	if e != nil {
		return nil, e
	}
	if hasStart && hasEnd && start > end {
		return nil, &apiError{http.StatusBadRequest, -1023, "Start time is greater than end time."}
	}
	if hasStart {
		lo = start
	}
	if hasEnd && end < hi {
		hi = end
	}
	rows := s.series[key{m, symbol, interval}]
	i := sort.Search(len(rows), func(i int) bool { return rows[i].OpenTime >= lo })
	j := sort.Search(len(rows), func(i int) bool { return rows[i].OpenTime > hi })
	if j < i {
		j = i
	}
	if j-i > limit {
		if hasStart {
			j = i + limit
		} else {
			i = j - limit
		}
	}
	return encodeKlines(rows[i:j]), nil
}

func timeParam(q url.Values, name string) (int64, bool, *apiError) {
	v := q.Get(name)
	if v == "" {
		return 0, false, nil
	}
	t, err := strconv.ParseInt(v, 10, 64)
	if err != nil || t < 0 {
		return 0, false, illegal(name)
	}
	return t, true, nil
}

// encodeKlines writes rows exactly as Binance does:
// [[openTime,"open","high","low","close","volume",closeTime,"quoteAv",trades,"tbBase","tbQuote","0"],...]
func encodeKlines(rows []exchange.Kline) []byte {
	b := make([]byte, 0, 2+len(rows)*160)
	b = append(b, '[')
	for i, k := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, k.OpenTime, 10)
		for j, f := range k.Fields {
			b = append(b, ',')
			if j == exchange.FieldCloseTime || j == exchange.FieldTrades {
				b = append(b, f...)
			} else {
				b = append(b, '"')
				b = append(b, f...)
				b = append(b, '"')
			}
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

func validInterval(m Market, iv string) bool {
	if m == Futures && iv == "1s" {
		return false
	}
	return exchange.IsBinanceInterval(iv)
}

func (s *Server) weightHeaders(h http.Header, m Market) {
	used := strconv.Itoa(s.UsedWeight(m))
	h.Set("X-MBX-USED-WEIGHT-1M", used)
	if m == Spot {
		h.Set("X-MBX-USED-WEIGHT", used)
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, m Market, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	s.weightHeaders(h, m)
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, m Market, weight int, e apiError) (int, int) {
	retry := 0
	if e.status == http.StatusTooManyRequests {
		now := s.clk.Now()
		left := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
		retry = int((left + time.Second - 1) / time.Second)
	}
	s.writeError(w, r, retry, e)
	return e.status, weight
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, retryAfter int, e apiError) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	body, _ := json.Marshal(struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}{e.code, e.msg})
	m := Spot
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/fapi" {
		m = Futures
	}
	s.writeJSON(w, m, e.status, body)
}

// truncate replays rr's status and headers with its full Content-Length, sends half the body
// and closes the connection.
func (s *Server) truncate(w http.ResponseWriter, rr *httptest.ResponseRecorder) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, bw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	body := rr.Body.Bytes()
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\n", rr.Code, http.StatusText(rr.Code))
	rr.Header().Write(&head)
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", len(body))
	bw.Write(head.Bytes())
	bw.Write(body[:len(body)/2])
	bw.Flush()
}
