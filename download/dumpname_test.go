package download_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/download"
)

// dumpRows returns n dump lines of 1m bars from 2022-01-01, every step minutes, shifted by
// offset ms.
func dumpRows(n, step int, offset int64) []string {
	out := make([]string, n)
	for i := range out {
		ms := int64(1640995200000) + int64(i*step)*60_000 + offset
		out[i] = fmt.Sprintf("%d,100.0,101.0,99.0,100.5,3.0,%d,300.0,12,1.0,100.0,0", ms, ms+59_999)
	}
	return out
}

// TestImportRefusesAnotherSymbolOrInterval: a dump file whose name states another symbol or
// interval is refused (naming the file) unless Force is set; names outside Binance's pattern
// are not judged.
func TestImportRefusesAnotherSymbolOrInterval(t *testing.T) {
	lines := []byte(strings.Join(dumpRows(5, 1, 0), "\n") + "\n")
	cases := []struct {
		file string
		want string // "" = accepted
	}{
		{"ETHUSDT-1m-2023-01.csv", "symbol ETHUSDT"},
		{"ETHUSDT-1m-2023-01-05.csv.gz", "symbol ETHUSDT"},
		{"BTCUSDT-5m-2023-01.csv", "interval 5m"},
		{"BTCUSDT-1mo-2023-01.csv", "interval 1M"},
		{"BTCUSDT-1m-2023-01.csv", ""},
		{"BTCUSDT-1m-2023.csv", ""},
		{"my-export.csv", ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, c.file)
			if strings.HasSuffix(c.file, ".gz") {
				writeGz(t, p, dumpRows(5, 1, 0))
			} else {
				os.WriteFile(p, lines, 0o644)
			}
			_, err := download.ImportArchives(context.Background(), importOpts(dir), []string{p})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, download.ErrArchiveMismatch) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v, want ErrArchiveMismatch naming %s and %q", err, p, c.want)
			}
			if _, err := os.Stat(download.Path(dir, "BTCUSDT")); err == nil {
				t.Fatal("klines.csv written despite the mismatch")
			}
			o := importOpts(dir)
			o.Force = true
			if res, err := download.ImportArchives(context.Background(), o, []string{p}); err != nil || res.Rows != 5 {
				t.Fatalf("--force: %+v %v", res, err)
			}
		})
	}
}

// TestImportRefusesRowsOffTheFreq: rows spaced by anything but whole multiples of the
// interval, or off its grid, are refused; whole-bar gaps are fine.
func TestImportRefusesRowsOffTheFreq(t *testing.T) {
	cases := []struct {
		name string
		rows []string
		ok   bool
	}{
		{"every minute", dumpRows(10, 1, 0), true},
		{"gaps of whole bars", dumpRows(10, 3, 0), true},
		{"90 s apart", func() []string {
			r := dumpRows(10, 1, 0)
			return append(r[:1:1], dumpRows(10, 1, 30_000)[1:]...)
		}(), false},
		{"off the minute grid", dumpRows(10, 1, 30_000), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "rows.csv")
			os.WriteFile(p, []byte(strings.Join(c.rows, "\n")+"\n"), 0o644)
			_, err := download.ImportArchives(context.Background(), importOpts(dir), []string{p})
			if c.ok != (err == nil) || (err != nil && !errors.Is(err, download.ErrIntervalMismatch)) {
				t.Fatalf("error %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// TestImportWarnsOnSeveralCSVInAZip: a zip holding several csv files imports them all and says so.
func TestImportWarnsOnSeveralCSVInAZip(t *testing.T) {
	dir := t.TempDir()
	z := filepath.Join(dir, "BTCUSDT-1m-2022-01.zip")
	rows := dumpRows(10, 1, 0)
	writeZip(t, z, map[string][]string{"a.csv": rows[:5], "b.csv": rows[5:]}, []string{"a.csv", "b.csv"})
	var logs strings.Builder
	o := importOpts(dir)
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	res, err := download.ImportArchives(context.Background(), o, []string{z})
	if err != nil || res.Rows != 10 {
		t.Fatalf("%+v %v", res, err)
	}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "level=WARN") && strings.Contains(sc.Text(), "several csv") && strings.Contains(sc.Text(), z) && strings.Contains(sc.Text(), "csv_files=2") {
			return
		}
	}
	t.Fatalf("no warning naming the zip and its 2 csv files:\n%s", logs.String())
}
