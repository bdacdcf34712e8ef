package frame

import (
	"bytes"
	"io"
)

// csvRowBlock is the number of rows WriteCSV formats per block; the blocks are formatted
// on every core and written in order, so the text is what one serial pass writes.
var csvRowBlock = 512

// rowBlock is a range of rows and, once formatted, their text.
type rowBlock struct {
	lo, hi int
	buf    []byte
}

// WriteCSV writes the header and all rows of f to w.
func WriteCSV(w io.Writer, f *Frame, opt WriteOptions) error {
	tcol := opt.timeColumn()
	var buf []byte
	tp := min(max(opt.TimePos, 0), len(f.cols))
	for k := 0; k <= len(f.cols); k++ {
		if k > 0 {
			buf = append(buf, ',')
		}
		switch {
		case k == tp:
			buf = append(buf, tcol...)
		case k < tp:
			buf = append(buf, f.cols[k].Name...)
		default:
			buf = append(buf, f.cols[k-1].Name...)
		}
	}
	buf = append(buf, '\n')
	if _, err := w.Write(buf); err != nil {
		return err
	}
	free := make(chan []byte, 2*csvWorkerCount()+3)
	return runOrdered(
		func(emit func(*rowBlock) bool) error {
			for lo := 0; lo < f.Len(); lo += csvRowBlock {
				b := &rowBlock{lo: lo, hi: min(lo+csvRowBlock, f.Len())}
				select {
				case b.buf = <-free:
				default:
				}
				if !emit(b) {
					break
				}
			}
			return nil
		},
		func(b *rowBlock) {
			b.buf = b.buf[:0]
			for i := b.lo; i < b.hi; i++ {
				b.buf = appendRowAt(b.buf, f, i, opt.Precision, tp)
			}
		},
		func(b *rowBlock) error {
			if _, err := w.Write(b.buf); err != nil {
				return err
			}
			select {
			case free <- b.buf:
			default:
			}
			return nil
		})
}

// nextLine returns the first line of text without its line end ("\r" before the "\n" and
// any other trailing "\r" trimmed, as the CSV reader does) and the text after it.
func nextLine(text []byte) (line, rest []byte) {
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		line, rest = text[:i], text[i+1:]
	} else {
		line = text
	}
	return bytes.TrimRight(line, "\r"), rest
}

// countRows returns the number of lines in text and how many of them are not blank.
func countRows(text []byte) (lines, rows int) {
	for len(text) > 0 {
		var line []byte
		line, text = nextLine(text)
		lines++
		if len(line) > 0 {
			rows++
		}
	}
	return lines, rows
}
