package faketelegram

import (
	"fmt"
	"strconv"
	"strings"
)

// Visible parses text as Telegram does for parse_mode (case-insensitive: "", "HTML",
// "MarkdownV2" or the legacy "Markdown") and returns what a user would see, or the error
// Telegram reports after "can't parse entities: ". It is written from the Bot API's
// "Formatting options" rules, independently of the project's escaping code, so tests of that
// code have something to fail against.
func Visible(text, parseMode string) (string, error) {
	switch strings.ToLower(parseMode) {
	case "":
		return text, nil
	case "html":
		return visibleHTML(text)
	case "markdownv2":
		return visibleMarkdownV2(text)
	case "markdown":
		return visibleMarkdown(text)
	}
	return "", fmt.Errorf("unsupported parse_mode %q", parseMode)
}

var htmlTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true}

func visibleHTML(text string) (string, error) {
	var out strings.Builder
	var open []string
	for i := 0; i < len(text); {
		switch c := text[i]; c {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			if strings.HasPrefix(tag, "/") {
				name := strings.TrimSpace(tag[1:])
				if len(open) == 0 || open[len(open)-1] != name {
					return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, last(open), name)
				}
				open = open[:len(open)-1]
			} else {
				name := strings.ToLower(strings.Fields(tag + " ")[0])
				if !htmlTags[name] {
					return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				open = append(open, name)
			}
			i += end + 1
		case '>':
			return "", fmt.Errorf("Unexpected end tag at byte offset %d", i)
		case '&':
			semi := strings.IndexByte(text[i:], ';')
			if semi < 0 {
				return "", fmt.Errorf("Unsupported HTML entity at byte offset %d", i)
			}
			r, ok := htmlEntity(text[i+1 : i+semi])
			if !ok {
				return "", fmt.Errorf("Unsupported HTML entity \"%s\" at byte offset %d", text[i:i+semi+1], i)
			}
			out.WriteString(r)
			i += semi + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", last(open))
	}
	return out.String(), nil
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func htmlEntity(name string) (string, bool) {
	switch name {
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "amp":
		return "&", true
	case "quot":
		return `"`, true
	}
	if strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X") {
		n, err := strconv.ParseInt(name[2:], 16, 32)
		return string(rune(n)), err == nil
	}
	if strings.HasPrefix(name, "#") {
		n, err := strconv.ParseInt(name[1:], 10, 32)
		return string(rune(n)), err == nil
	}
	return "", false
}

// markdownV2Reserved are the characters MarkdownV2 requires to be escaped outside entities.
const markdownV2Reserved = "_*[]()~`>#+-=|{}.!"

var entityNames = map[string]string{"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler", "[": "TextUrl"}

func visibleMarkdownV2(text string) (string, error) {
	var out strings.Builder
	type entity struct {
		mark string
		at   int
	}
	var open []entity
	top := func() string {
		if len(open) == 0 {
			return ""
		}
		return open[len(open)-1].mark
	}
	toggle := func(mark string, at int) {
		if top() == mark {
			open = open[:len(open)-1]
		} else {
			open = append(open, entity{mark, at})
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\\':
			if i+1 >= len(text) || text[i+1] > 126 {
				return "", fmt.Errorf("Character '\\' is reserved and must be escaped with the preceding '\\'")
			}
			out.WriteByte(text[i+1])
			i += 2
		case c == '_' && strings.HasPrefix(text[i:], "__"):
			toggle("__", i)
			i += 2
		case c == '|' && strings.HasPrefix(text[i:], "||"):
			toggle("||", i)
			i += 2
		case c == '*' || c == '_' || c == '~':
			toggle(string(c), i)
			i++
		case c == '`':
			j := i + 1
			for ; j < len(text) && text[j] != '`'; j++ {
				if text[j] == '\\' && j+1 < len(text) {
					j++
				}
				out.WriteByte(text[j])
			}
			if j >= len(text) {
				return "", fmt.Errorf("Can't find end of Code entity at byte offset %d", i)
			}
			i = j + 1
		case c == '[':
			open = append(open, entity{"[", i})
			i++
		case c == ']' && top() == "[":
			open = open[:len(open)-1]
			if !strings.HasPrefix(text[i+1:], "(") {
				return "", fmt.Errorf("Can't find end of TextUrl entity at byte offset %d", i)
			}
			end := strings.IndexByte(text[i+1:], ')')
			if end < 0 {
				return "", fmt.Errorf("Can't find end of a URL at byte offset %d", i+1)
			}
			i += end + 2
		case c == '>' && (i == 0 || text[i-1] == '\n'):
			i++ // blockquote
		case strings.IndexByte(markdownV2Reserved, c) >= 0:
			return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(open) > 0 {
		e := open[len(open)-1]
		return "", fmt.Errorf("Can't find end of %s entity at byte offset %d", entityNames[e.mark], e.at)
	}
	return out.String(), nil
}

// visibleMarkdown follows the legacy Markdown mode ITB uses: *bold*, _italic_, `code` and
// [text](url); a backslash escapes those marks; everything else is literal.
func visibleMarkdown(text string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(text); {
		c := text[i]
		switch c {
		case '\\':
			if i+1 < len(text) && strings.IndexByte("_*`[", text[i+1]) >= 0 {
				out.WriteByte(text[i+1])
				i += 2
				continue
			}
			out.WriteByte(c)
			i++
		case '*', '_', '`':
			end := strings.IndexByte(text[i+1:], c)
			if end < 0 {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(text[i+1 : i+1+end])
			i += end + 2
		case '[':
			close := strings.Index(text[i:], "](")
			end := strings.IndexByte(text[i:], ')')
			if close < 0 || end < close {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(text[i+1 : i+close])
			i += end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), nil
}
