package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tradectl/tradectl/internal/config"
)

// Notifier sends notifications. Text is already formatted for mode (see Rich.Format).
type Notifier interface {
	SendText(ctx context.Context, text string, mode ParseMode) error
	SendPhoto(ctx context.Context, png []byte, filename, caption string, mode ParseMode) error
}

// ErrConfig is wrapped by NewTelegram's errors about missing or bad settings.
var ErrConfig = errors.New("telegram settings")

// TelegramConfig configures NewTelegram.
type TelegramConfig struct {
	// APIURL is the Bot API base (config key telegram_api_url); requests go to
	// <APIURL>/bot<token>/<method>. Empty means https://api.telegram.org.
	APIURL string
	Token  config.Secret
	ChatID string
	// Timeout bounds one request, from connecting to reading the answer (default 30 s).
	Timeout time.Duration
	// Logger receives the library's own error reports, redacted (default slog.Default()).
	Logger *slog.Logger
}

// DefaultAPIURL is Telegram's Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// Telegram is a Notifier sending to one chat through the Bot API.
type Telegram struct {
	bot    *bot.Bot
	chatID string
	token  string
}

// NewTelegram checks the settings and builds the client. It makes no request, so the service
// starts (and queues) while Telegram is unreachable; Check tests the connection.
func NewTelegram(cfg TelegramConfig) (*Telegram, error) {
	token := cfg.Token.Reveal()
	if strings.TrimSpace(token) == "" {
		return nil, fmt.Errorf("%w: key \"telegram_bot_token\" is not set (or set %s)", ErrConfig, config.EnvTelegramBotToken)
	}
	if strings.ContainsAny(token, "/?#% \t\r\n") {
		return nil, fmt.Errorf("%w: key \"telegram_bot_token\" is not a bot token (it contains URL or space characters)", ErrConfig)
	}
	if strings.TrimSpace(cfg.ChatID) == "" {
		return nil, fmt.Errorf("%w: key \"telegram_chat_id\" is not set (or set %s)", ErrConfig, config.EnvTelegramChatID)
	}
	base := cfg.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: key \"telegram_api_url\": %q is not an http(s) base URL", ErrConfig, base)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	t := &Telegram{chatID: cfg.ChatID, token: token}
	b, err := bot.New(token,
		bot.WithServerURL(strings.TrimRight(base, "/")),
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(cfg.Timeout, newHTTPClient(cfg.Timeout)),
		bot.WithErrorsHandler(func(err error) { log.Error("telegram client", "err", t.redact(err.Error())) }),
		bot.WithDebugHandler(func(string, ...any) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfig, t.redact(err.Error()))
	}
	t.bot = b
	return t, nil
}

// newHTTPClient bounds every phase of a request: connect, TLS, waiting for headers, and the
// whole exchange.
func newHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
			ForceAttemptHTTP2:     true,
		},
	}
}

// Check calls getMe: it reports whether the API is reachable and the token valid.
func (t *Telegram) Check(ctx context.Context) error {
	_, err := t.bot.GetMe(ctx)
	return t.wrap("getMe", err)
}

// SendText sends a text message to the chat.
func (t *Telegram) SendText(ctx context.Context, text string, mode ParseMode) error {
	_, err := t.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: t.chatID, Text: text, ParseMode: models.ParseMode(mode)})
	return t.wrap("sendMessage", err)
}

// SendPhoto sends a PNG with a caption to the chat.
func (t *Telegram) SendPhoto(ctx context.Context, png []byte, filename, caption string, mode ParseMode) error {
	if filename == "" {
		filename = "image.png"
	}
	_, err := t.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: t.chatID, Caption: caption, ParseMode: models.ParseMode(mode),
		Photo: &models.InputFileUpload{Filename: filename, Data: bytes.NewReader(png)}})
	return t.wrap("sendPhoto", err)
}

// Error is a failed Bot API call. Its text never contains the token.
type Error struct {
	Method string
	// Code is the Bot API error_code (an HTTP status), or 0 when there was no API answer
	// (network failure, timeout, an unreadable body such as a proxy's HTML page).
	Code        int
	Description string
	// RetryAfter is Telegram's parameters.retry_after for a 429.
	RetryAfter time.Duration
	msg        string
}

// Error returns the redacted message.
func (e *Error) Error() string { return e.msg }

// rejectedDescriptions are Bot API 400 answers about the message itself: the same message
// sent again fails again.
var rejectedDescriptions = []string{
	"can't parse entities", "message is too long", "message text is empty", "message caption is too long",
	"there is no photo in the request", "PHOTO_INVALID_DIMENSIONS", "IMAGE_PROCESS_FAILED", "wrong file identifier",
	"failed to get HTTP URL content", "wrong type of the web page content",
}

// Rejected reports whether Telegram refused this message for its content, so retrying it is
// pointless. Other errors (network, 5xx, 429, a wrong chat or token) may clear up.
func (e *Error) Rejected() bool {
	if e.Code != http.StatusBadRequest {
		return false
	}
	for _, d := range rejectedDescriptions {
		if strings.Contains(e.Description, d) {
			return true
		}
	}
	return false
}

// wrap turns a library error into an *Error with the token removed. The library's error is
// not kept (it may hold the URL with the token, e.g. in a *url.Error).
func (t *Telegram) wrap(method string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Method: method}
	var tooMany *bot.TooManyRequestsError
	var migrate *bot.MigrateError
	switch {
	case errors.As(err, &tooMany):
		e.Code, e.RetryAfter = http.StatusTooManyRequests, time.Duration(tooMany.RetryAfter)*time.Second
		e.Description = tooMany.Message
	case errors.As(err, &migrate):
		e.Code, e.Description = http.StatusBadRequest, migrate.Message
	default:
		for _, c := range []struct {
			sentinel error
			code     int
		}{{bot.ErrorBadRequest, 400}, {bot.ErrorUnauthorized, 401}, {bot.ErrorForbidden, 403}, {bot.ErrorNotFound, 404}, {bot.ErrorConflict, 409}} {
			if errors.Is(err, c.sentinel) {
				e.Code = c.code
				// The library formats these as "<sentinel>, <description>".
				e.Description = strings.TrimPrefix(err.Error(), c.sentinel.Error()+", ")
			}
		}
	}
	e.Description = t.redact(e.Description)
	e.msg = t.redact(fmt.Sprintf("telegram %s: %v", method, err))
	return e
}

// redact removes the token, in any encoding a URL or message may hold it, from s.
func (t *Telegram) redact(s string) string {
	return Redact(s, t.token)
}

// Redact replaces every occurrence of token in s (raw, path- or query-escaped, and its secret
// part after the colon) with "<redacted>".
func Redact(s, token string) string {
	if token == "" {
		return s
	}
	forms := []string{token, url.PathEscape(token), url.QueryEscape(token)}
	if i := strings.IndexByte(token, ':'); i >= 0 && len(token)-i-1 >= 8 {
		forms = append(forms, token[i+1:])
	}
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, "<redacted>")
	}
	return s
}
