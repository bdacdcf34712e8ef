package download_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

func importOpts(dir string) download.ImportOptions {
	return download.ImportOptions{DataFolder: dir, Symbol: "BTCUSDT", Interval: "1m"}
}

// The real 2023 year: 525,520 rows, the 2023-03-24 halt kept as an 80-minute gap.
func TestImportYear2023(t *testing.T) {
	src := sharedtest.Path(t, "BTCUSDT-1m-2023.csv.gz")
	if testing.Short() {
		t.Skip("the full-year import is single-threaded and slow under -race; it runs without -short")
	}
	dir := t.TempDir()
	res, err := download.ImportArchives(context.Background(), importOpts(dir), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 525_520 || res.Added != 525_520 || res.Replaced != 0 || res.Sources != 1 {
		t.Fatalf("result %+v", res)
	}
	// Stream the dump and the file side by side: byte for byte after the ts conversion.
	fz, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer fz.Close()
	zr, err := gzip.NewReader(fz)
	if err != nil {
		t.Fatal(err)
	}
	ff, err := os.Open(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer ff.Close()
	dumpSc, fileSc := bufio.NewScanner(zr), bufio.NewScanner(ff)
	if !fileSc.Scan() || fileSc.Text() != download.Header {
		t.Fatal("header")
	}
	n, gapSeen := 0, false
	var prevMs int64
	for dumpSc.Scan() {
		if !fileSc.Scan() {
			t.Fatalf("file ends after %d rows", n)
		}
		got := fileLineToDump(t, fileSc.Text())
		if got != dumpSc.Text() {
			t.Fatalf("row %d:\n got %s\nwant %s", n, got, dumpSc.Text())
		}
		ms, _ := strconv.ParseInt(got[:13], 10, 64)
		if n > 0 && ms-prevMs != 60_000 {
			if gapSeen || ms-prevMs != 81*60_000 || !strings.HasPrefix(fileSc.Text(), "2023-03-24 14:00:00") {
				t.Fatalf("unexpected step %d ms before %s", ms-prevMs, fileSc.Text()[:25])
			}
			gapSeen = true
		}
		prevMs = ms
		n++
	}
	if fileSc.Scan() || n != 525_520 || !gapSeen {
		t.Fatalf("%d rows compared, gap seen %v, extra file rows %v", n, gapSeen, fileSc.Text())
	}
	if err := dumpSc.Err(); err != nil {
		t.Fatal(err)
	}
}

func dumpLines(rows []exchange.Kline) []string {
	out := make([]string, len(rows))
	for i, k := range rows {
		out[i] = dumpLine(k)
	}
	return out
}

func writeZip(t *testing.T, path string, members map[string][]string, order []string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(strings.Join(members[name], "\n") + "\n"))
	}
	zw.Create("README.txt") // non-csv members are ignored
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

const dumpHeader = download.DumpHeader

func TestImportZipMergesWithExisting(t *testing.T) {
	rows := dump(t)[:200]
	dir := t.TempDir()
	path := download.Path(dir, "BTCUSDT")
	os.MkdirAll(filepath.Dir(path), 0o755)
	stored := append([]exchange.Kline(nil), rows[100:200]...)
	stored[20].Fields[exchange.FieldClose] = "1.00000000" // row 120 differs from the archive
	if err := download.WriteFile(path, stored); err != nil {
		t.Fatal(err)
	}
	zpath := filepath.Join(t.TempDir(), "BTCUSDT-1m-2022-01.zip")
	writeZip(t, zpath, map[string][]string{
		"b.csv": append([]string{dumpHeader}, dumpLines(rows[50:130])...), // header, overlaps a.csv and the file
		"a.csv": dumpLines(rows[0:60]),
	}, []string{"b.csv", "a.csv"})
	res, err := download.ImportArchives(context.Background(), importOpts(dir), []string{zpath})
	if err != nil {
		t.Fatal(err)
	}
	assertDumpRows(t, path, rows) // the imported row 120 won
	if res.Rows != 200 || res.Added != 100 || res.Replaced != 1 || res.Unchanged != 29 || res.Sources != 2 {
		t.Errorf("result %+v", res)
	}

	// Between archives the later one wins; a plain .csv works too.
	later := filepath.Join(t.TempDir(), "fix.csv")
	fixed := rows[10]
	fixed.Fields[exchange.FieldVolume] = "99.00000000"
	os.WriteFile(later, []byte(dumpLine(fixed)+"\n"), 0o644)
	if _, err := download.ImportArchives(context.Background(), importOpts(dir), []string{zpath, later}); err != nil {
		t.Fatal(err)
	}
	want := append([]exchange.Kline(nil), rows...)
	want[10] = fixed
	assertDumpRows(t, path, want)
	if _, err := download.ImportArchives(context.Background(), importOpts(dir), []string{later, zpath}); err != nil {
		t.Fatal(err)
	}
	assertDumpRows(t, path, rows)
}

func TestImportMicroseconds(t *testing.T) {
	rows := dump(t)[:500]
	var lines []string
	for _, k := range rows {
		f := k.Fields
		ct, _ := strconv.ParseInt(f[exchange.FieldCloseTime], 10, 64)
		f[exchange.FieldCloseTime] = strconv.FormatInt(ct*1000+999, 10) // …59999 ms -> …59999999 µs
		lines = append(lines, strconv.FormatInt(k.OpenTime*1000, 10)+","+strings.Join(f[:], ","))
	}
	src := filepath.Join(t.TempDir(), "BTCUSDT-1m-2025-01.csv.gz")
	writeGz(t, src, append([]string{dumpHeader}, lines...))
	dir := t.TempDir()
	if _, err := download.ImportArchives(context.Background(), importOpts(dir), []string{src}); err != nil {
		t.Fatal(err)
	}
	assertDumpRows(t, download.Path(dir, "BTCUSDT"), rows)
}

func TestImportBadArchiveLeavesFileUnchanged(t *testing.T) {
	rows := dump(t)[:300]
	dir := t.TempDir()
	path := download.Path(dir, "BTCUSDT")
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := download.WriteFile(path, rows[200:300]); err != nil {
		t.Fatal(err)
	}
	before := readBytes(t, path)
	tmp := t.TempDir()
	lines := dumpLines(rows[:250])

	garbled := append([]string(nil), lines...)
	garbled[36] = strings.Replace(garbled[36], ",", ",4x", 3) // line 37
	gz := filepath.Join(tmp, "garbled.csv.gz")
	writeGz(t, gz, garbled)

	unsorted := append([]string(nil), lines...)
	unsorted[10], unsorted[11] = unsorted[11], unsorted[10]
	unsortedPath := filepath.Join(tmp, "unsorted.csv")
	os.WriteFile(unsortedPath, []byte(strings.Join(unsorted, "\n")+"\n"), 0o644)

	short := append([]string(nil), lines...)
	short[99] = short[99][:strings.LastIndex(short[99], ",")]
	zpath := filepath.Join(tmp, "short.zip")
	writeZip(t, zpath, map[string][]string{"m.csv": short}, []string{"m.csv"})

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(strings.Join(lines, "\n")))
	zw.Close()
	cut := filepath.Join(tmp, "cut.csv.gz")
	os.WriteFile(cut, buf.Bytes()[:buf.Len()/2], 0o644)

	nocsv := filepath.Join(tmp, "nocsv.zip")
	writeZip(t, nocsv, nil, nil)

	cases := []struct {
		file string
		err  error
		path string
		line int
	}{
		{gz, download.ErrMalformed, gz, 37},
		{unsortedPath, download.ErrUnsorted, unsortedPath, 12},
		{zpath, download.ErrMalformed, zpath + ":m.csv", 100},
		{cut, nil, cut, -1},
		{nocsv, download.ErrUnsupportedArchive, nocsv, 0},
		{filepath.Join(tmp, "x.parquet"), download.ErrUnsupportedArchive, filepath.Join(tmp, "x.parquet"), 0},
	}
	for _, c := range cases {
		_, err := download.ImportArchives(context.Background(), importOpts(dir), []string{c.file})
		if err == nil {
			t.Errorf("%s: accepted", c.file)
			continue
		}
		t.Log(err)
		if c.err != nil && !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.file, err, c.err)
		}
		var fe *download.FileError
		if !errors.As(err, &fe) || fe.Path != c.path || (c.line >= 0 && fe.Line != c.line) {
			t.Errorf("%s: error %v, want a FileError at %s line %d", c.file, err, c.path, c.line)
		}
		if !bytes.Equal(readBytes(t, path), before) {
			t.Fatalf("%s: klines.csv changed", c.file)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
	// Bars of another size are refused when an interval is given.
	o := importOpts(dir)
	o.Interval = "5min"
	if _, err := download.ImportArchives(context.Background(), o, []string{unsortedPath}); !errors.Is(err, download.ErrIntervalMismatch) && !errors.Is(err, download.ErrUnsorted) {
		t.Errorf("interval: %v", err)
	}
	ok := filepath.Join(tmp, "ok.csv")
	os.WriteFile(ok, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	if _, err := download.ImportArchives(context.Background(), o, []string{ok}); !errors.Is(err, download.ErrIntervalMismatch) {
		t.Errorf("1m rows imported as 5m: %v", err)
	}
	if !bytes.Equal(readBytes(t, path), before) {
		t.Fatal("klines.csv changed")
	}
}

func TestImportMaxRows(t *testing.T) {
	rows := dump(t)[:300]
	src := filepath.Join(t.TempDir(), "a.csv")
	os.WriteFile(src, []byte(strings.Join(dumpLines(rows), "\n")+"\n"), 0o644)
	dir := t.TempDir()
	o := importOpts(dir)
	o.MaxRows = 50
	res, err := download.ImportArchives(context.Background(), o, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	assertDumpRows(t, download.Path(dir, "BTCUSDT"), rows[250:])
	if res.Rows != 50 || res.Trimmed != 250 {
		t.Errorf("result %+v", res)
	}
}
