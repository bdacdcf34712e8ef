package frame

import (
	"bufio"
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

// SummarizeCSV reads a CSV table's header, counts its rows and parses its first and last
// timestamps, streaming the file in blocks (memory does not grow with the file).
func SummarizeCSV(path string, timeColumn string) (CSVSummary, error) {
	var s CSVSummary
	fh, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return s, err
	}
	s.Size = st.Size()
	if s.Size == 0 {
		return s, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	// Count lines and remember the first two and the last one.
	br := bufio.NewReaderSize(fh, 1<<20)
	var head [][]byte
	var last []byte
	lines := 0
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull { // a very long line: collect it whole
			long := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			s.EndsWithNewline = line[len(line)-1] == '\n'
			trimmed := bytes.TrimRight(line, "\r\n")
			if len(trimmed) > 0 {
				lines++
				if len(head) < 2 {
					head = append(head, append([]byte(nil), trimmed...))
				}
				last = append(last[:0], trimmed...)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", path, err)
		}
	}
	if lines == 0 {
		return s, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	s.Header = strings.Split(string(head[0]), ",")
	if lines == 1 {
		return s, nil
	}
	tIdx := -1
	for i, h := range s.Header {
		if h == timeColumn {
			tIdx = i
		}
	}
	if tIdx < 0 {
		return s, fmt.Errorf("%s: %w %q (time column)", path, ErrMissingColumn, timeColumn)
	}
	s.Rows = lines - 1
	first := strings.Split(string(head[1]), ",")
	s.LastCells = strings.Split(string(last), ",")
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

// AppendCSVText appends complete CSV lines to an existing file with one write call (adding a
// missing final newline first); if the write fails the file is truncated back to its old
// size, so what was there is never lost.
func AppendCSVText(path string, text []byte) error {
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
	buf = append(buf, text...)
	if _, err := fh.Write(buf); err != nil {
		fh.Truncate(size)
		return fmt.Errorf("%s: append: %w", path, err)
	}
	return fh.Sync()
}
