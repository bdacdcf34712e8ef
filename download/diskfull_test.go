package download_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/tradectl/tradectl/download"
)

// fullDisk is klines.csv on a disk that has room for budget more bytes: a write past it
// stores what fits and fails with ENOSPC, as write(2) does.
type fullDisk struct {
	*os.File
	budget *int
}

func (f fullDisk) Write(b []byte) (int, error) {
	if len(b) <= *f.budget {
		*f.budget -= len(b)
		return f.File.Write(b)
	}
	n, _ := f.File.Write(b[:*f.budget])
	*f.budget = 0
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// TestDiskFullDuringAppend: when an appended page fails part-way (disk full), the file is cut
// back to its last complete row and holds exactly the rows the result reports; the next run
// (with room again) ends with the same file as an uninterrupted download.
func TestDiskFullDuringAppend(t *testing.T) {
	rows := dump(t)[:5001]
	f := newFake(t, rows, false, nowInBar(rows, 5000))
	full := expectedBytes(rows[:5000])
	for _, budget := range []int{0, 1, 150_000, 190_000} {
		dir := t.TempDir()
		o := f.options(dir)
		o.PageLimit = 1000
		left := budget
		o.OpenAppend = func(path string) (download.AppendFile, error) {
			fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			return fullDisk{fh, &left}, err
		}
		res, err := download.Run(context.Background(), o)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("budget %d: error %v, want ENOSPC", budget, err)
		}
		got := readBytes(t, res.Path)
		if n := bytes.Count(got, []byte("\n")) - 1; n != res.Rows || got[len(got)-1] != '\n' {
			t.Fatalf("budget %d: the result says %d rows, the file holds %d lines (ends with newline: %v)", budget, res.Rows, n, got[len(got)-1] == '\n')
		}
		if res.Rows%1000 != 0 || res.Rows == 0 || !bytes.HasPrefix(full, got) {
			t.Fatalf("budget %d: %d rows, not whole pages of the expected file", budget, res.Rows)
		}
		o.OpenAppend = nil
		run(t, o)
		if !bytes.Equal(readBytes(t, res.Path), full) {
			t.Fatalf("budget %d: the next run did not complete the file", budget)
		}
	}
}
