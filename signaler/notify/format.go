// Package notify sends the service's notifications: a small Notifier interface, its Telegram
// implementation (github.com/go-telegram/bot, with timeouts and the token redacted from every
// error), and rich text rendered for Telegram's parse modes.
//
// Messages are built as Rich text (spans, some bold) and rendered for the parse mode they are
// sent with. tradectl sends HTML: only <, > and & need escaping there, so ITB's texts, full of
// + - . ( ) characters, go through unchanged. ITB itself sends legacy Markdown with raw `*…*`
// and no escaping (a `_` in a symbol breaks it); Rich.Legacy reproduces ITB's exact text for
// comparisons, and MarkdownV2 is supported with its escaping for users who want it.
package notify

import "strings"

// ParseMode is Telegram's parse_mode parameter.
type ParseMode string

// Parse modes.
const (
	PlainText  ParseMode = ""
	HTML       ParseMode = "HTML"
	MarkdownV2 ParseMode = "MarkdownV2"
)

// DefaultParseMode is the mode tradectl sends messages in.
const DefaultParseMode = HTML

// Span is a run of text, bold or not.
type Span struct {
	Text string
	Bold bool
}

// Rich is a message as spans of text.
type Rich []Span

// Plain is an unformatted message.
func Plain(s string) Rich { return Rich{{Text: s}} }

// Bold is a message in bold.
func Bold(s string) Rich { return Rich{{Text: s, Bold: true}} }

// Text is what the user sees: the spans' text, concatenated.
func (r Rich) Text() string {
	var b strings.Builder
	for _, s := range r {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Format renders r for mode, escaping every character the mode reserves.
func (r Rich) Format(mode ParseMode) string {
	var b strings.Builder
	for _, s := range r {
		switch mode {
		case HTML:
			if s.Bold {
				b.WriteString("<b>" + EscapeHTML(s.Text) + "</b>")
			} else {
				b.WriteString(EscapeHTML(s.Text))
			}
		case MarkdownV2:
			if s.Bold {
				b.WriteString("*" + EscapeMarkdownV2(s.Text) + "*")
			} else {
				b.WriteString(EscapeMarkdownV2(s.Text))
			}
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// Legacy renders r as ITB does for parse_mode=markdown: bold spans wrapped in `*`, nothing
// escaped. It is for comparing with ITB's texts, not for sending.
func (r Rich) Legacy() string {
	var b strings.Builder
	for _, s := range r {
		if s.Bold {
			b.WriteString("*" + s.Text + "*")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeHTML escapes the characters Telegram's HTML mode reserves outside tags: & < >.
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }

// markdownV2Reserved is every character MarkdownV2 requires to be escaped outside entities,
// plus the backslash itself.
const markdownV2Reserved = "\\_*[]()~`>#+-=|{}.!"

// EscapeMarkdownV2 puts a backslash before every character MarkdownV2 reserves.
func EscapeMarkdownV2(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(markdownV2Reserved, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
