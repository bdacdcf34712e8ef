package frame

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// CSVSummary describes a CSV table file without loading it: its header, row count, first
// and last timestamps and the cells of its last row.
type CSVSummary struct {
	Header      []string
	Rows        int
	First, Last int64
	LastCells   []string
	// Size is the file size in bytes; EndsWithNewline tells whether the last line is complete.
	Size            int64
	EndsWithNewline bool
}

// SummarizeCSV reads a CSV table's header, counts its rows and parses its first and last timestamps.
func SummarizeCSV(path string, timeColumn string) (CSVSummary, error) {
	var s CSVSummary
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	s.Size = int64(len(b))
	if len(b) == 0 {
		return s, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	s.EndsWithNewline = b[len(b)-1] == '\n'
	body := bytes.TrimRight(b, "\r\n")
	nl := bytes.IndexByte(body, '\n')
	if nl < 0 {
		s.Header = strings.Split(strings.TrimRight(string(body), "\r"), ",")
		return s, nil
	}
	s.Header = strings.Split(strings.TrimRight(string(body[:nl]), "\r"), ",")
	tIdx := -1
	for i, h := range s.Header {
		if h == timeColumn {
			tIdx = i
		}
	}
	if tIdx < 0 {
		return s, fmt.Errorf("%s: %w %q (time column)", path, ErrMissingColumn, timeColumn)
	}
	rest := body[nl+1:]
	s.Rows = bytes.Count(rest, []byte{'\n'}) + 1
	firstLine := rest
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		firstLine = rest[:i]
	}
	lastLine := rest[bytes.LastIndexByte(rest, '\n')+1:]
	first := strings.Split(strings.TrimRight(string(firstLine), "\r"), ",")
	s.LastCells = strings.Split(strings.TrimRight(string(lastLine), "\r"), ",")
	if len(first) != len(s.Header) || len(s.LastCells) != len(s.Header) {
		return s, fmt.Errorf("%s: %w: first or last row does not match the header's %d fields", path, ErrParse, len(s.Header))
	}
	if s.First, err = ParseTime([]byte(first[tIdx])); err != nil {
		return s, fmt.Errorf("%s: line 2: %w: %v", path, ErrParse, err)
	}
	if s.Last, err = ParseTime([]byte(s.LastCells[tIdx])); err != nil {
		return s, fmt.Errorf("%s: line %d: %w: %v", path, s.Rows+1, ErrParse, err)
	}
	return s, nil
}

// AppendCSVRows appends rows [from, Len) of f to an existing CSV file whose header lists
// the same columns. The rows are written with one write call; if it fails the file is
// truncated back to its old size, so what was there is never lost.
func AppendCSVRows(path string, f *Frame, from int, prec int) error {
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	size, err := fh.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	var buf []byte
	if size > 0 {
		last := make([]byte, 1)
		if _, err := fh.ReadAt(last, size-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			buf = append(buf, '\n')
		}
	}
	for i := from; i < f.Len(); i++ {
		buf = AppendRow(buf, f, i, prec)
	}
	if _, err := fh.Write(buf); err != nil {
		fh.Truncate(size)
		return fmt.Errorf("%s: append: %w", path, err)
	}
	return fh.Sync()
}
