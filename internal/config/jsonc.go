package config

// copyString appends the JSON string literal starting at src[i] (a '"') to out and returns
// the index just after its closing quote (or len(src) when it is unterminated).
func copyString(src []byte, i int, out []byte) (int, []byte) {
	out = append(out, src[i])
	for i++; i < len(src); i++ {
		out = append(out, src[i])
		switch src[i] {
		case '\\':
			if i+1 < len(src) {
				i++
				out = append(out, src[i])
			}
		case '"':
			return i + 1, out
		}
	}
	return i, out
}

// StripComments removes // line comments and /* */ block comments from JSONC text. Unlike
// ITB's regex it knows about strings, so a URL such as "https://api.binance.com" survives.
// Newlines are kept so that JSON error positions still point at the right line.
func StripComments(src []byte) []byte {
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"':
			i, out = copyString(src, i, out)
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			for i += 2; i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/'); i++ {
				if src[i] == '\n' {
					out = append(out, '\n')
				}
			}
			i += 2 // the closing "*/"
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

// stripTrailingCommas removes commas directly before } or ] (outside strings), which
// hand-edited JSONC files often carry.
func stripTrailingCommas(src []byte) []byte {
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); {
		c := src[i]
		if c == '"' {
			i, out = copyString(src, i, out)
			continue
		}
		i++
		if c == ',' {
			j := i
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
				j++
			}
			if j < len(src) && (src[j] == '}' || src[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// trailingContent returns the offset of the first non-space byte after the top-level value
// that ends at off, or -1 when only white space follows. encoding/json's Decoder.More does
// not see a stray '}' or ']', so the rest of the text is checked here.
func trailingContent(src []byte, off int64) int64 {
	for i := off; i < int64(len(src)); i++ {
		switch src[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}
