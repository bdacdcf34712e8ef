package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/signaler/notify"
)

const (
	token = "7012345678:AAH-s3cr3t_T0ken-value_xyz"
	chat  = "-1001234567890"
)

func newFake(t *testing.T) *faketelegram.Server {
	s := faketelegram.New(faketelegram.Config{Token: token, ChatID: chat})
	t.Cleanup(s.Close)
	return s
}

func newTelegram(t *testing.T, apiURL string, logs *bytes.Buffer) *notify.Telegram {
	t.Helper()
	cfg := notify.TelegramConfig{APIURL: apiURL, Token: config.Secret(token), ChatID: chat, Timeout: 2 * time.Second}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	tg, err := notify.NewTelegram(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// itbTexts are messages as ITB writes them (§7.3, §7.5), full of MarkdownV2's reserved characters.
var itbTexts = []notify.Rich{
	notify.Bold("〉〉〉📈 ₿ 74,896 Indicator: +0.02 ↑   BUY ZONE 1min"),
	notify.Plain("〈 Ξ 3,120 Indicator: -0.01 ↓   weak 1min"),
	notify.Plain("BTC_USDT 1,234 Indicator: +0.00 (no band) 5min"),
	{{Text: "⚡💰 "}, {Text: "SOLD: Profit: -1.25% -12.3456₮", Bold: true}},
	{{Text: "↗ "}, {Text: "LONG transactions stats (4 weeks)", Bold: true}, {Text: "\n🔸sum=1.50% 🔸count=3\n🔸mean=0.5000% 🔸std=0.1000%\n🔸min=-0.2000% 🔸median=0.4000% 🔸max=1.3000%\n"}},
	notify.Plain(`a*b_c.d+e-f(g)h[i]j~k` + "`" + `l>m#n=o|p{q}r!s\t&u<v>`),
}

func TestFormatEscapes(t *testing.T) {
	for _, tc := range []struct {
		in   notify.Rich
		mode notify.ParseMode
		want string
	}{
		{notify.Bold("+0.02 ↑ (x)"), notify.HTML, "<b>+0.02 ↑ (x)</b>"},
		{notify.Plain("a<b & c>d"), notify.HTML, "a&lt;b &amp; c&gt;d"},
		{notify.Bold("+0.02 ↑ (x)"), notify.MarkdownV2, `*\+0\.02 ↑ \(x\)*`},
		{notify.Plain(`a_b*c-d.e\f`), notify.MarkdownV2, `a\_b\*c\-d\.e\\f`},
		{notify.Rich{{Text: "x_"}, {Text: "y.", Bold: true}}, notify.PlainText, "x_y."},
		{notify.Rich{{Text: "x_"}, {Text: "y.", Bold: true}}, "", "x_y."},
	} {
		if got := tc.in.Format(tc.mode); got != tc.want {
			t.Errorf("%v.Format(%s) = %q, want %q", tc.in, tc.mode, got, tc.want)
		}
	}
	if got := itbTexts[0].Legacy(); got != "*〉〉〉📈 ₿ 74,896 Indicator: +0.02 ↑   BUY ZONE 1min*" {
		t.Errorf("Legacy = %q", got)
	}
}

// TestFormattedTextsSurviveTelegramsParser sends ITB's texts in each mode to the fake, whose
// entity parser is written independently from the Bot API rules: each must be accepted and
// shown to the user exactly as the plain text.
func TestFormattedTextsSurviveTelegramsParser(t *testing.T) {
	fake := newFake(t)
	tg := newTelegram(t, fake.URL(), nil)
	ctx := context.Background()
	modes := []notify.ParseMode{notify.HTML, notify.MarkdownV2, notify.PlainText}
	for _, mode := range modes {
		for _, r := range itbTexts {
			if err := tg.SendText(ctx, r.Format(mode), mode); err != nil {
				t.Errorf("%s %q: %v", mode, r.Text(), err)
			}
		}
	}
	got := fake.Messages()
	if len(got) != len(modes)*len(itbTexts) {
		t.Fatalf("%d messages delivered, want %d", len(got), len(modes)*len(itbTexts))
	}
	for i, m := range got {
		want := itbTexts[i%len(itbTexts)].Text()
		if m.Visible != want || m.ParseMode != string(modes[i/len(itbTexts)]) || m.ChatID != chat {
			t.Errorf("message %d: visible %q mode %q, want %q", i, m.Visible, m.ParseMode, want)
		}
	}
	// Unescaped MarkdownV2 is refused as Telegram refuses it, and the error says so.
	err := tg.SendText(ctx, itbTexts[0].Legacy(), notify.MarkdownV2)
	var e *notify.Error
	if !errors.As(err, &e) || e.Code != 400 || !e.Rejected() || !strings.Contains(e.Description, "can't parse entities") {
		t.Fatalf("unescaped MarkdownV2: %v", err)
	}
}

func TestSendPhoto(t *testing.T) {
	fake := newFake(t)
	tg := newTelegram(t, fake.URL()+"/", nil) // a trailing slash is tolerated
	png := []byte("\x89PNG\r\n\x1a\n-not-really-")
	caption := notify.Bold("BTCUSDT 1min (1D)")
	if err := tg.SendPhoto(context.Background(), png, "diagram.png", caption.Format(notify.HTML), notify.HTML); err != nil {
		t.Fatal(err)
	}
	m := fake.Messages()
	if len(m) != 1 || m[0].Method != "sendPhoto" || !bytes.Equal(m[0].Photo, png) || m[0].Filename != "diagram.png" || m[0].Visible != "BTCUSDT 1min (1D)" {
		t.Fatalf("recorded %+v", m)
	}
	if err := tg.Check(context.Background()); err != nil {
		t.Fatalf("getMe: %v", err)
	}
}

func TestNewTelegramSettings(t *testing.T) {
	for _, tc := range []struct {
		cfg  notify.TelegramConfig
		want string
	}{
		{notify.TelegramConfig{ChatID: chat}, `"telegram_bot_token" is not set`},
		{notify.TelegramConfig{Token: "12:ab/cd", ChatID: chat}, `"telegram_bot_token" is not a bot token`},
		{notify.TelegramConfig{Token: token}, `"telegram_chat_id" is not set`},
		{notify.TelegramConfig{Token: token, ChatID: chat, APIURL: "ftp://x"}, `"telegram_api_url"`},
		{notify.TelegramConfig{Token: token, ChatID: chat, APIURL: "api.telegram.org"}, `"telegram_api_url"`},
	} {
		_, err := notify.NewTelegram(tc.cfg)
		if !errors.Is(err, notify.ErrConfig) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%+v: got %v, want ErrConfig naming %s", tc.cfg, err, tc.want)
		}
	}
	// No request is made at construction: an unreachable API still gives a client.
	if _, err := notify.NewTelegram(notify.TelegramConfig{Token: token, ChatID: chat, APIURL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
}

func TestErrorClassification(t *testing.T) {
	fake := newFake(t)
	tg := newTelegram(t, fake.URL(), nil)
	for _, tc := range []struct {
		fault    faketelegram.Fault
		code     int
		retry    time.Duration
		rejected bool
	}{
		{faketelegram.Fault{Kind: faketelegram.TooManyRequests, RetryAfter: 7}, 429, 7 * time.Second, false},
		{faketelegram.Fault{Kind: faketelegram.InternalError}, 0, 0, false},
		{faketelegram.Fault{Kind: faketelegram.BadGateway}, 0, 0, false},
		{faketelegram.Fault{Kind: faketelegram.Down}, 0, 0, false},
	} {
		fake.InjectFunc(func(int, string) faketelegram.Fault { return tc.fault })
		err := tg.SendText(context.Background(), "x", notify.HTML)
		var e *notify.Error
		if !errors.As(err, &e) || e.Code != tc.code || e.RetryAfter != tc.retry || e.Rejected() != tc.rejected {
			t.Errorf("%s: got %#v", tc.fault.Kind, err)
		}
	}
	fake.InjectFunc(nil)
	other := notify.TelegramConfig{APIURL: fake.URL(), Token: "1:wrongwrongwrong", ChatID: chat}
	tgWrong, _ := notify.NewTelegram(other)
	var e *notify.Error
	if err := tgWrong.SendText(context.Background(), "x", ""); !errors.As(err, &e) || e.Code != 401 || e.Rejected() {
		t.Errorf("wrong token: %v", err)
	}
	other.Token, other.ChatID = token, "-42"
	tgChat, _ := notify.NewTelegram(other)
	if err := tgChat.SendText(context.Background(), "x", ""); !errors.As(err, &e) || e.Code != 400 || e.Rejected() || e.Description != "Bad Request: chat not found" {
		t.Errorf("wrong chat must not count as a rejected message: %#v", err)
	}
}

// echoURL is a misconfigured proxy that puts the request URL (with the token) in its error page.
func echoURL(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte("<html>no route for " + r.URL.String() + " (" + url.QueryEscape(r.URL.Path) + ")</html>"))
}

func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	fake := newFake(t)
	echo := httptest.NewServer(http.HandlerFunc(echoURL))
	defer echo.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // connection refused from now on

	var logs bytes.Buffer
	secret := token[strings.IndexByte(token, ':')+1:]
	check := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		if s := err.Error() + logs.String(); strings.Contains(s, secret) || strings.Contains(s, url.QueryEscape(secret)) {
			t.Errorf("%s: token leaked: %s", name, s)
		}
		if !strings.Contains(err.Error(), "telegram") {
			t.Errorf("%s: error %q does not say it is Telegram's", name, err)
		}
	}
	ctx := context.Background()
	for _, kind := range []faketelegram.FaultKind{faketelegram.Down, faketelegram.BadGateway, faketelegram.InternalError, faketelegram.TooManyRequests, faketelegram.Stall} {
		fake.InjectFunc(func(int, string) faketelegram.Fault { return faketelegram.Fault{Kind: kind, RetryAfter: 1} })
		tg, _ := notify.NewTelegram(notify.TelegramConfig{APIURL: fake.URL(), Token: config.Secret(token), ChatID: chat,
			Timeout: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		check(kind.String(), tg.SendText(ctx, "x", notify.HTML))
		check(kind.String()+" photo", tg.SendPhoto(ctx, []byte("png"), "", "", ""))
	}
	check("echoing proxy", newTelegram(t, echo.URL, &logs).SendText(ctx, "x", ""))
	check("connection refused", newTelegram(t, deadURL, &logs).SendText(ctx, "x", ""))
	check("getMe refused", newTelegram(t, deadURL, &logs).Check(ctx))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	check("cancelled", newTelegram(t, fake.URL(), &logs).SendText(cctx, "x", ""))

	// The echoing proxy's body did contain the token: the redaction is what removed it.
	resp, err := http.Get(echo.URL + "/bot" + token + "/sendMessage")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), secret) {
		t.Fatal("the echo server does not echo the token; the test proves nothing")
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Post \"https://x/bot" + token + "/sendMessage\": EOF", "Post \"https://x/bot<redacted>/sendMessage\": EOF"},
		{"path " + url.PathEscape(token) + " q " + url.QueryEscape(token), "path <redacted> q <redacted>"},
		{"secret only " + token[11:], "secret only <redacted>"},
		{"nothing here", "nothing here"},
	} {
		if got := notify.Redact(tc.in, token); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := notify.Redact("x", ""); got != "x" {
		t.Errorf("empty token: %q", got)
	}
}
