// Package faketelegram is a fake Telegram Bot API server for tests and replay: an
// httptest.Server that speaks the real wire protocol. Requests go to /bot<token>/<method>;
// parameters are read from the query string, url-encoded or multipart forms, or a JSON body,
// as the Bot API accepts them; answers are {"ok":true,"result":...} or
// {"ok":false,"error_code":N,"description":"...","parameters":{"retry_after":S}}.
//
// Methods: getMe, sendMessage (chat_id, text, parse_mode) and sendPhoto (multipart file part
// "photo", chat_id, caption, parse_mode). Like Telegram, the server checks the text against
// its parse_mode (HTML or MarkdownV2) and answers 400 "Bad Request: can't parse entities: ..."
// when it is malformed, so tests catch escaping mistakes; the text a user would see (entities
// removed, escapes resolved) is recorded beside the raw text. A wrong token is answered 401,
// an unknown method 404, a chat other than the configured one 400 "chat not found".
//
// Faults can be injected per request number or by a function: connection dropped without a
// response (Telegram down), 500 with a JSON body, 502 with nginx's HTML page, 429 with
// parameters.retry_after and a Retry-After header, a slow answer, or no answer at all.
// Only successful sendMessage/sendPhoto calls count as delivered messages.
package faketelegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
)

// Config configures New.
type Config struct {
	// Token is the bot token the server accepts (required).
	Token string
	// ChatID, if set, is the only chat_id accepted.
	ChatID string
	// Clock stamps messages ("date"); nil means clock.System.
	Clock clock.Clock
}

// FaultKind is a kind of injected failure.
type FaultKind int

const (
	// NoFault serves the request normally.
	NoFault FaultKind = iota
	// Down closes the connection without any response, as an unreachable API looks.
	Down
	// InternalError answers 500 with a Bot API JSON error.
	InternalError
	// BadGateway answers 502 with an HTML page, as Telegram's front end does.
	BadGateway
	// TooManyRequests answers 429 with parameters.retry_after = Fault.RetryAfter.
	TooManyRequests
	// Slow waits Fault.Delay (real time) and then serves the request normally.
	Slow
	// SlowAnswer serves the request (a message is delivered at once) and waits Fault.Delay
	// (real time) before answering: the window in which a client that dies has sent a message
	// without learning so.
	SlowAnswer
	// Stall never answers: it holds the request until the client gives up or the server closes.
	Stall
)

// String names the fault.
func (k FaultKind) String() string {
	names := [...]string{"none", "down", "500", "502", "429", "slow", "slow-answer", "stall"}
	if k < 0 || int(k) >= len(names) {
		return "fault(" + strconv.Itoa(int(k)) + ")"
	}
	return names[k]
}

// Fault is an injected failure.
type Fault struct {
	Kind       FaultKind
	RetryAfter int           // seconds, for TooManyRequests
	Delay      time.Duration // for Slow and SlowAnswer
}

// Request records one request the server received.
type Request struct {
	N      int // 1-based arrival number
	Method string
	Status int // 0 when the connection was dropped
	Fault  FaultKind
	At     time.Time // the server clock's time at arrival
}

// Message is one message the server accepted (answered ok:true).
type Message struct {
	ID        int64
	Method    string // sendMessage or sendPhoto
	ChatID    string
	Text      string // text, or a photo's caption, as sent
	ParseMode string
	// Visible is the text a user sees: entities removed and escapes resolved.
	Visible  string
	Photo    []byte
	Filename string
	At       time.Time
}

// Server is the fake Bot API. It is an http.Handler; New starts it on an httptest.Server.
type Server struct {
	token, chat string
	clk         clock.Clock
	ts          *httptest.Server
	closing     chan struct{}
	once        sync.Once

	mu        sync.Mutex
	n         int
	inflight  int
	faults    map[int]Fault
	faultFunc func(n int, method string) Fault
	log       []Request
	msgs      []Message
}

// New starts the server on 127.0.0.1.
func New(cfg Config) *Server {
	s := NewHandler(cfg)
	s.ts = httptest.NewServer(s)
	return s
}

// NewHandler returns the server without starting a listener.
func NewHandler(cfg Config) *Server {
	s := &Server{token: cfg.Token, chat: cfg.ChatID, clk: cfg.Clock, faults: map[int]Fault{}, closing: make(chan struct{})}
	if s.clk == nil {
		s.clk = clock.System{}
	}
	return s
}

// URL is the server's base URL (for telegram_api_url).
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down, releasing stalled requests.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	if s.ts != nil {
		s.ts.Close()
	}
}

// CloseClientConnections drops every open client connection (stalled and slow requests fail).
func (s *Server) CloseClientConnections() {
	if s.ts != nil {
		s.ts.CloseClientConnections()
	}
}

// Inject makes request number n (1-based, over all requests) fail with f.
func (s *Server) Inject(n int, f Fault) {
	s.mu.Lock()
	s.faults[n] = f
	s.mu.Unlock()
}

// InjectFunc installs fn, asked for every request that has no Inject fault; nil removes it.
func (s *Server) InjectFunc(fn func(n int, method string) Fault) {
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

// Messages returns a copy of the accepted messages, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Idle reports whether no request is being handled and none arrived within quiet (real
// time): tests call it after killing a client so that a request already on the wire is
// counted before they look at Messages.
func (s *Server) Idle(quiet time.Duration) bool {
	s.mu.Lock()
	n, busy := s.n, s.inflight > 0
	s.mu.Unlock()
	if busy {
		return false
	}
	time.Sleep(quiet)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n == n && s.inflight == 0
}

// apiError is a Bot API error answer.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func (e *apiError) write(w http.ResponseWriter) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.description}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]int{"retry_after": e.retryAfter}
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.code, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/bot"+s.token+"/")
	authorised := strings.HasPrefix(r.URL.Path, "/bot"+s.token+"/") && s.token != ""
	if !authorised {
		method = "" // never record a wrong token's path
	}
	s.mu.Lock()
	s.n++
	s.inflight++
	n := s.n
	f, ok := s.faults[n]
	fn := s.faultFunc
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	if !ok && fn != nil {
		f = fn(n, method)
	}
	rec := Request{N: n, Method: method, Fault: f.Kind, At: s.clk.Now().UTC()}
	defer func() {
		s.mu.Lock()
		s.log = append(s.log, rec)
		s.mu.Unlock()
	}()
	switch f.Kind {
	case Down:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case InternalError:
		rec.Status = http.StatusInternalServerError
		(&apiError{code: rec.Status, description: "Internal Server Error"}).write(w)
		return
	case BadGateway:
		rec.Status = http.StatusBadGateway
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(rec.Status)
		io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")
		return
	case TooManyRequests:
		rec.Status = http.StatusTooManyRequests
		(&apiError{code: rec.Status, description: fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter), retryAfter: f.RetryAfter}).write(w)
		return
	case Stall:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	case Slow:
		if !s.wait(r, f.Delay) {
			return
		}
	}
	if !authorised {
		rec.Status = http.StatusUnauthorized
		(&apiError{code: rec.Status, description: "Unauthorized"}).write(w)
		return
	}
	if f.Kind != SlowAnswer {
		rec.Status = s.serve(w, r, method)
		return
	}
	rr := httptest.NewRecorder()
	rec.Status = s.serve(rr, r, method)
	if !s.wait(r, f.Delay) {
		return
	}
	for k, v := range rr.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rr.Code)
	w.Write(rr.Body.Bytes())
}

// wait sleeps d (real time) and reports false if the client or the server gave up first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// serve handles an authorised request and returns its status.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, method string) int {
	p, files, err := params(r)
	if err != nil {
		e := &apiError{code: http.StatusBadRequest, description: "Bad Request: " + err.Error()}
		e.write(w)
		return e.code
	}
	var result any
	var e *apiError
	switch method {
	case "getMe":
		result = map[string]any{"id": botID(s.token), "is_bot": true, "first_name": "tradectl test bot", "username": "tradectl_test_bot",
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
	case "sendMessage":
		result, e = s.send(method, p, nil)
	case "sendPhoto":
		result, e = s.send(method, p, files)
	default:
		e = &apiError{code: http.StatusNotFound, description: "Not Found"}
	}
	if e != nil {
		e.write(w)
		return e.code
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
	return http.StatusOK
}

type file struct {
	name string
	data []byte
}

// send checks and records a sendMessage or sendPhoto and returns the Message object Telegram
// would answer with.
func (s *Server) send(method string, p url.Values, files map[string]file) (any, *apiError) {
	bad := func(d string) *apiError {
		return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + d}
	}
	chat := p.Get("chat_id")
	if chat == "" {
		return nil, bad("chat_id is empty")
	}
	if s.chat != "" && chat != s.chat {
		return nil, bad("chat not found")
	}
	textKey := "text"
	var photo file
	if method == "sendPhoto" {
		textKey = "caption"
		var ok bool
		if photo, ok = files["photo"]; !ok || len(photo.data) == 0 {
			return nil, bad("there is no photo in the request")
		}
	}
	text := p.Get(textKey)
	if method == "sendMessage" && strings.TrimSpace(text) == "" {
		return nil, bad("message text is empty")
	}
	mode := p.Get("parse_mode")
	visible, err := Visible(text, mode)
	if err != nil {
		return nil, bad("can't parse entities: " + err.Error())
	}
	limit := 4096
	if method == "sendPhoto" {
		limit = 1024
	}
	if n := len([]rune(visible)); n > limit {
		if method == "sendPhoto" {
			return nil, bad("message caption is too long")
		}
		return nil, bad("message is too long")
	}
	now := s.clk.Now().UTC()
	s.mu.Lock()
	m := Message{ID: int64(len(s.msgs) + 1), Method: method, ChatID: chat, Text: text, ParseMode: mode, Visible: visible,
		Photo: photo.data, Filename: photo.name, At: now}
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	res := map[string]any{"message_id": m.ID, "date": now.Unix(), "chat": chatObject(chat)}
	if method == "sendPhoto" {
		res["photo"] = []map[string]any{{"file_id": fmt.Sprintf("AgACAgQAAx0C%d", m.ID), "file_unique_id": fmt.Sprintf("AQAD%d", m.ID),
			"width": 320, "height": 160, "file_size": len(photo.data)}}
		if visible != "" {
			res["caption"] = visible
		}
	} else {
		res["text"] = visible
	}
	return res, nil
}

func chatObject(chat string) map[string]any {
	if id, err := strconv.ParseInt(chat, 10, 64); err == nil {
		typ := "private"
		if id < 0 {
			typ = "channel"
		}
		return map[string]any{"id": id, "type": typ}
	}
	return map[string]any{"id": int64(-1001000000001), "type": "channel", "username": strings.TrimPrefix(chat, "@")}
}

func botID(token string) int64 {
	id, _ := strconv.ParseInt(strings.SplitN(token, ":", 2)[0], 10, 64)
	return id
}

// params collects a request's parameters from the query string and the body (url-encoded,
// multipart or JSON), as the Bot API accepts them, and a multipart request's files.
func params(r *http.Request) (url.Values, map[string]file, error) {
	p := r.URL.Query()
	files := map[string]file{}
	if r.Method != http.MethodPost {
		return p, files, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("can't parse JSON object")
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				p.Set(k, s)
			} else {
				b, _ := json.Marshal(v)
				p.Set(k, string(b))
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		for k, v := range r.PostForm {
			p[k] = v
		}
	case "multipart/form-data":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, err
		}
		if len(body) == 0 { // go-telegram/bot sends no parts at all for a method without parameters
			return p, files, nil
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, nil, fmt.Errorf("can't parse multipart form")
		}
		for k, v := range r.MultipartForm.Value {
			p[k] = v
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			b, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			files[k] = file{name: fhs[0].Filename, data: b}
		}
	}
	return p, files, nil
}
