package download_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/download"
)

const (
	dump1 = "1640995200000,46216.93,46271.08,46208.37,46250.00,40.57,1640995259999,1875978.44,796,27.26,1260270.37,0"
	dump2 = "1640995260000,46250.00,46271.08,46200.00,46230.00,12.00,1640995319999,555000.00,400,6.00,277000.00,0"
)

// TestBadHeadersNameTheColumn: a duplicated, unknown, missing or misplaced column in the
// header of klines.csv or of a dump file is refused with the file and the column named
// (a header with "close" twice once put volumes into close).
func TestBadHeadersNameTheColumn(t *testing.T) {
	cases := []struct{ name, header, want string }{
		{"close twice", "close,volume,", `duplicate column "close"`},
		{"unknown", "close,volume,", `unknown column "vol"`},
		{"missing", "close,volume,", `missing column "volume"`},
		{"swapped", "high,low,", `column 3 is "low", want "high"`},
	}
	edit := map[string]string{"close twice": "close,close,", "unknown": "close,vol,", "missing": "close,", "swapped": "low,high,"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			// klines.csv
			h := strings.Replace(download.Header, c.header, edit[c.name], 1)
			p := filepath.Join(dir, "klines.csv")
			os.WriteFile(p, []byte(h+"\n"+row1+"\n"), 0o644)
			_, err := download.ReadFile(p)
			if !errors.Is(err, download.ErrBadHeader) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("klines.csv: %v, want %s naming the file", err, c.want)
			}
			// a dump file with a header line
			dh := strings.Replace(download.DumpHeader, c.header, edit[c.name], 1)
			a := filepath.Join(dir, "BTCUSDT-1m-2022-01.csv")
			os.WriteFile(a, []byte(dh+"\n"+dump1+"\n"+dump2+"\n"), 0o644)
			_, err = download.ImportArchives(context.Background(), importOpts(dir), []string{a})
			var fe *download.FileError
			if !errors.Is(err, download.ErrBadHeader) || !strings.Contains(err.Error(), c.want) || !errors.As(err, &fe) || fe.Path != a || fe.Line != 1 {
				t.Errorf("dump: %v, want %s at %s line 1", err, c.want, a)
			}
			if _, err := os.Stat(download.Path(dir, "BTCUSDT")); err == nil {
				t.Error("dump with a bad header was imported")
			}
		})
	}
	// The real header is accepted.
	dir := t.TempDir()
	a := filepath.Join(dir, "BTCUSDT-1m-2022-01.csv")
	os.WriteFile(a, []byte(download.DumpHeader+"\n"+dump1+"\n"+dump2+"\n"), 0o644)
	if res, err := download.ImportArchives(context.Background(), importOpts(dir), []string{a}); err != nil || res.Rows != 2 {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestImportRefusesImpossibleBars: negative volume, high below low and open or close outside
// the bar's range are refused with the file and line; the file is not created.
func TestImportRefusesImpossibleBars(t *testing.T) {
	// dump2 fields: open 46250.00, high 46271.08, low 46200.00, close 46230.00, volume 12.00
	cases := []struct{ name, from, to, want string }{
		{"negative volume", ",12.00,", ",-12.00,", "volume is -12"},
		{"high below low", ",46271.08,46200.00,", ",46100.00,46200.00,", "high 46100 is below low 46200"},
		{"close above high", ",46230.00,12.00,", ",46300.00,12.00,", "close 46300 is outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := strings.Replace(dump2, c.from, c.to, 1)
			if bad == dump2 {
				t.Fatal("edit did not apply")
			}
			a := filepath.Join(dir, "BTCUSDT-1m-2022-01.csv")
			os.WriteFile(a, []byte(dump1+"\n"+bad+"\n"), 0o644)
			_, err := download.ImportArchives(context.Background(), importOpts(dir), []string{a})
			var fe *download.FileError
			if !errors.Is(err, download.ErrMalformed) || !strings.Contains(err.Error(), c.want) || !errors.As(err, &fe) || fe.Path != a || fe.Line != 2 {
				t.Fatalf("%v, want %q at %s line 2", err, c.want, a)
			}
			if _, err := os.Stat(download.Path(dir, "BTCUSDT")); err == nil {
				t.Error("an impossible bar was imported")
			}
		})
	}
}
