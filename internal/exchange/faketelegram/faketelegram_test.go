package faketelegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
)

const token = "123456:ABC-def_ghi"

var now = time.Date(2024, 3, 1, 12, 0, 1, 0, time.UTC)

func newServer(t *testing.T) *faketelegram.Server {
	s := faketelegram.New(faketelegram.Config{Token: token, ChatID: "-100777", Clock: clock.Fixed{T: now}})
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func get(t *testing.T, s *faketelegram.Server, path string, q url.Values) answer {
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path+"?"+q.Encode(), nil)
	return do(t, req)
}

func TestGetMeAndAuth(t *testing.T) {
	s := newServer(t)
	a := get(t, s, "/bot"+token+"/getMe", nil)
	res, _ := a.body["result"].(map[string]any)
	if a.status != 200 || a.body["ok"] != true || res["id"] != float64(123456) || res["is_bot"] != true {
		t.Fatalf("getMe: %d %s", a.status, a.raw)
	}
	a = get(t, s, "/bot999:wrong/getMe", nil)
	if a.status != 401 || a.body["ok"] != false || a.body["error_code"] != float64(401) || a.body["description"] != "Unauthorized" {
		t.Fatalf("wrong token: %d %s", a.status, a.raw)
	}
	a = get(t, s, "/bot"+token+"/fly", nil)
	if a.status != 404 || a.body["description"] != "Not Found" {
		t.Fatalf("unknown method: %d %s", a.status, a.raw)
	}
	for _, r := range s.Requests() {
		if strings.Contains(r.Method, "wrong") {
			t.Errorf("a wrong token was recorded: %+v", r)
		}
	}
}

func TestSendMessageEncodings(t *testing.T) {
	s := newServer(t)
	// ITB's way: GET with the text in the query.
	a := get(t, s, "/bot"+token+"/sendMessage", url.Values{"chat_id": {"-100777"}, "parse_mode": {"markdown"}, "text": {"*₿ 74,896 +0.02*"}})
	if a.status != 200 {
		t.Fatalf("GET: %d %s", a.status, a.raw)
	}
	res := a.body["result"].(map[string]any)
	if res["text"] != "₿ 74,896 +0.02" || res["date"] != float64(now.Unix()) || res["chat"].(map[string]any)["type"] != "channel" {
		t.Fatalf("result %s", a.raw)
	}
	// JSON body.
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/bot"+token+"/sendMessage", strings.NewReader(`{"chat_id":-100777,"text":"a &amp; <b>b</b>","parse_mode":"HTML"}`))
	req.Header.Set("Content-Type", "application/json")
	if a := do(t, req); a.status != 200 {
		t.Fatalf("JSON: %d %s", a.status, a.raw)
	}
	// Multipart, as go-telegram/bot sends.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("chat_id", "-100777")
	mw.WriteField("text", `\+0\.02`)
	mw.WriteField("parse_mode", "MarkdownV2")
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, s.URL()+"/bot"+token+"/sendMessage", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if a := do(t, req); a.status != 200 {
		t.Fatalf("multipart: %d %s", a.status, a.raw)
	}
	msgs := s.Messages()
	want := []string{"₿ 74,896 +0.02", "a & b", "+0.02"}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		if m.Visible != want[i] || m.ChatID != "-100777" || m.ID != int64(i+1) {
			t.Errorf("message %d: %+v, want visible %q", i, m, want[i])
		}
	}
}

func TestSendMessageErrors(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		name string
		q    url.Values
		want string
	}{
		{"no chat", url.Values{"text": {"x"}}, "Bad Request: chat_id is empty"},
		{"other chat", url.Values{"chat_id": {"42"}, "text": {"x"}}, "Bad Request: chat not found"},
		{"empty text", url.Values{"chat_id": {"-100777"}, "text": {" "}}, "Bad Request: message text is empty"},
		{"unescaped plus", url.Values{"chat_id": {"-100777"}, "text": {"+0.02"}, "parse_mode": {"MarkdownV2"}},
			`Bad Request: can't parse entities: Character '+' is reserved and must be escaped with the preceding '\'`},
		{"bare <", url.Values{"chat_id": {"-100777"}, "text": {"a < b"}, "parse_mode": {"HTML"}}, "Bad Request: can't parse entities: "},
		{"too long", url.Values{"chat_id": {"-100777"}, "text": {strings.Repeat("x", 4097)}}, "Bad Request: message is too long"},
	} {
		a := get(t, s, "/bot"+token+"/sendMessage", tc.q)
		if a.status != 400 || a.body["error_code"] != float64(400) || !strings.HasPrefix(a.body["description"].(string), tc.want) {
			t.Errorf("%s: %d %s, want 400 %q", tc.name, a.status, a.raw, tc.want)
		}
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d rejected messages recorded as delivered", n)
	}
}

func TestSendPhoto(t *testing.T) {
	s := newServer(t)
	post := func(withPhoto bool) answer {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("chat_id", "-100777")
		mw.WriteField("caption", "<b>BTCUSDT</b> 1D")
		mw.WriteField("parse_mode", "HTML")
		if withPhoto {
			fw, _ := mw.CreateFormFile("photo", "diagram.png")
			fw.Write([]byte("\x89PNG\r\n\x1a\nfake"))
		}
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/bot"+token+"/sendPhoto", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return do(t, req)
	}
	if a := post(false); a.status != 400 || a.body["description"] != "Bad Request: there is no photo in the request" {
		t.Fatalf("no photo: %d %s", a.status, a.raw)
	}
	a := post(true)
	if a.status != 200 || a.body["result"].(map[string]any)["caption"] != "BTCUSDT 1D" {
		t.Fatalf("photo: %d %s", a.status, a.raw)
	}
	m := s.Messages()
	if len(m) != 1 || m[0].Method != "sendPhoto" || string(m[0].Photo) != "\x89PNG\r\n\x1a\nfake" || m[0].Filename != "diagram.png" {
		t.Fatalf("recorded %+v", m)
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	q := url.Values{"chat_id": {"-100777"}, "text": {"x"}}
	path := "/bot" + token + "/sendMessage"
	s.Inject(1, faketelegram.Fault{Kind: faketelegram.TooManyRequests, RetryAfter: 7})
	s.Inject(2, faketelegram.Fault{Kind: faketelegram.InternalError})
	s.Inject(3, faketelegram.Fault{Kind: faketelegram.BadGateway})
	s.Inject(4, faketelegram.Fault{Kind: faketelegram.Down})
	s.Inject(5, faketelegram.Fault{Kind: faketelegram.Slow, Delay: 50 * time.Millisecond})
	s.Inject(6, faketelegram.Fault{Kind: faketelegram.Stall})
	s.Inject(7, faketelegram.Fault{Kind: faketelegram.SlowAnswer, Delay: 300 * time.Millisecond})

	a := get(t, s, path, q)
	params, _ := a.body["parameters"].(map[string]any)
	if a.status != 429 || a.header.Get("Retry-After") != "7" || params["retry_after"] != float64(7) ||
		a.body["description"] != "Too Many Requests: retry after 7" {
		t.Fatalf("429: %d %v %s", a.status, a.header, a.raw)
	}
	if a := get(t, s, path, q); a.status != 500 || a.body["ok"] != false {
		t.Fatalf("500: %d %s", a.status, a.raw)
	}
	if a := get(t, s, path, q); a.status != 502 || !strings.Contains(a.raw, "502 Bad Gateway") || a.body != nil {
		t.Fatalf("502: %d %s", a.status, a.raw)
	}
	// A fresh connection: net/http silently retries an idempotent request on a reused one.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := fresh.Get(s.URL() + path + "?" + q.Encode()); err == nil {
		t.Fatal("down: the request succeeded")
	}
	start := time.Now()
	if a := get(t, s, path, q); a.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("slow: %d after %v", a.status, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+path+"?"+q.Encode(), nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("stall: the request succeeded")
	}
	if m := s.Messages(); len(m) != 1 {
		t.Fatalf("%d messages delivered, want 1 (the slow one)", len(m))
	}
	// A slow answer: the message is delivered although the client gives up waiting.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	req, _ = http.NewRequestWithContext(ctx2, http.MethodGet, s.URL()+path+"?"+q.Encode(), nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("slow answer: the client did not time out")
	}
	if m := s.Messages(); len(m) != 2 {
		t.Fatalf("%d messages delivered, want 2 (the slow answer's too)", len(m))
	}
	for deadline := time.Now().Add(10 * time.Second); !s.Idle(10 * time.Millisecond); {
		if time.Now().After(deadline) {
			t.Fatal("the server never became idle")
		}
	}
	var kinds []string
	for _, r := range s.Requests() {
		kinds = append(kinds, r.Fault.String())
	}
	if got := strings.Join(kinds, ","); got != "429,500,502,down,slow,stall,slow-answer" {
		t.Fatalf("request log faults %s", got)
	}
}

func TestVisible(t *testing.T) {
	for _, tc := range []struct {
		text, mode, want, err string
	}{
		{"plain *x*", "", "plain *x*", ""},
		{"<b>₿ 74,896</b> Indicator: +0.02 ↑ (a-b_c.d)", "HTML", "₿ 74,896 Indicator: +0.02 ↑ (a-b_c.d)", ""},
		{"a &lt;b&gt; &amp; &quot;c&quot; &#8593; &#x2191;", "html", `a <b> & "c" ↑ ↑`, ""},
		{"<b>x", "HTML", "", "Can't find end tag"},
		{"<b>x</i>", "HTML", "", "Unmatched end tag"},
		{"a & b", "HTML", "", "Unsupported HTML entity"},
		{"<blink>x</blink>", "HTML", "", "Unsupported start tag \"blink\""},
		{`*〉〉〉📈 ₿ 74,896 Indicator: \+0\.02 ↑   BUY ZONE 1min*`, "MarkdownV2", "〉〉〉📈 ₿ 74,896 Indicator: +0.02 ↑   BUY ZONE 1min", ""},
		{`\-0\.01 \(x\) a\_b \\ \*`, "MarkdownV2", `-0.01 (x) a_b \ *`, ""},
		{`__u__ ||s|| ~t~ _i_ [l](http://x) ` + "`c\\`d`", "MarkdownV2", "u s t i l c`d", ""},
		{"-0.01", "MarkdownV2", "", "Character '-' is reserved"},
		{"1.5", "MarkdownV2", "", "Character '.' is reserved"},
		{"(", "MarkdownV2", "", "Character '(' is reserved"},
		{"*bold", "MarkdownV2", "", "Can't find end of Bold entity at byte offset 0"},
		{"a_b", "MarkdownV2", "", "Can't find end of Italic entity"},
		{"*〉〉 ₿ 74,896 Indicator: +0.01 ↑   strong 1min*", "markdown", "〉〉 ₿ 74,896 Indicator: +0.01 ↑   strong 1min", ""},
		{"trade_score", "Markdown", "", "Can't find end of the entity"},
		{`trade\_score`, "Markdown", "trade_score", ""},
		{"x", "bbcode", "", "unsupported parse_mode"},
	} {
		got, err := faketelegram.Visible(tc.text, tc.mode)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Visible(%q, %s) = %q, %v; want error %q", tc.text, tc.mode, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Visible(%q, %s) = %q, %v; want %q", tc.text, tc.mode, got, err, tc.want)
		}
	}
}
