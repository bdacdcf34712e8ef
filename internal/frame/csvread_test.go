package frame

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// genCSV writes rows with awkward text: CRLF and bare-LF endings, blank lines (also "\r"
// alone), a line far longer than the small blocks, quoted cells, integers, booleans, empty
// cells and a last line without a newline. It returns the text and the values it wrote:
// times, then per column the values (NaN for empty).
func genCSV(rows int) (string, []int64, [][]float64) {
	var b strings.Builder
	b.WriteString("timestamp,a,\"b\",flag,n,pad\r\n")
	t0 := int64(1_700_000_000_000)
	times := make([]int64, rows)
	vals := make([][]float64, 5)
	for r := range rows {
		ts := t0 + int64(r)*60_000
		times[r] = ts
		a := float64(r%977)*0.125 - 50
		var aText string
		if r%5 == 0 {
			aText = "\"" + strconv.FormatFloat(a, 'f', -1, 64) + "\""
		} else {
			aText = strconv.FormatFloat(a, 'f', 3, 64)
		}
		bv, bText := math.NaN(), ""
		if r%3 != 0 {
			bv = float64(r) / 7
			bText = strconv.FormatFloat(bv, 'g', -1, 64)
		}
		flag := r%2 == 0
		n := r*3 - 1000
		pad := "7"
		if r == rows*3/4 {
			pad = "7." + strings.Repeat("0", 3000) // longer than a block
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%d,%s", FormatTime(ts), aText, bText, map[bool]string{true: "True", false: "False"}[flag], n, pad)
		switch {
		case r == rows-1: // no newline at the end
		case r%7 == 0:
			b.WriteString("\r\n")
		case r%11 == 0:
			b.WriteString("\n\n\r\n") // blank lines
		default:
			b.WriteString("\n")
		}
		vals[0] = append(vals[0], a)
		vals[1] = append(vals[1], bv)
		vals[2] = append(vals[2], map[bool]float64{true: 1, false: 0}[flag])
		vals[3] = append(vals[3], float64(n))
		vals[4] = append(vals[4], 7)
	}
	return b.String(), times, vals
}

// readWith reads path with the given block size and worker count.
func readWith(t *testing.T, path string, block, workers int, opt ReadOptions) (*Frame, error) {
	t.Helper()
	oldB, oldW := csvBlockSize, csvWorkers
	csvBlockSize, csvWorkers = block, workers
	defer func() { csvBlockSize, csvWorkers = oldB, oldW }()
	return ReadCSV(path, opt)
}

// readConfigs are the block sizes and worker counts every parallel read is compared over;
// the first is the serial reference (one worker, the whole text in one block).
// Blocks of 1 and 7 bytes grow for every line longer than them.
var readConfigs = []struct{ block, workers int }{{1 << 22, 1}, {1, 1}, {1, 3}, {7, 2}, {64, 4}, {1000, 2}, {64 << 10, 2}}

// The frame read in parallel from blocks cut anywhere is the serial one, cell for cell,
// and holds the values written.
func TestParallelCSVReadMatchesSerial(t *testing.T) {
	rows := 3000
	if testing.Short() {
		rows = 800
	}
	text, times, vals := genCSV(rows)
	dir := t.TempDir()
	plain := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(plain, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	gzPath := filepath.Join(dir, "x.csv.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "b", "flag", "n", "pad"}
	kinds := []Kind{Float, Float, Bool, Int, Float}
	for _, path := range []string{plain, gzPath} {
		for _, opt := range []ReadOptions{{}, {Columns: []string{"n", "a"}, Optional: []string{"flag", "nope"}}} {
			var ref []byte
			for _, c := range readConfigs {
				name := fmt.Sprintf("%s/cols=%v/block=%d/workers=%d", filepath.Base(path), opt.Columns, c.block, c.workers)
				f, err := readWith(t, path, c.block, c.workers, opt)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if f.Len() != rows {
					t.Fatalf("%s: %d rows, want %d", name, f.Len(), rows)
				}
				for i, ts := range times {
					if f.Time[i] != ts {
						t.Fatalf("%s: time %d is %d, want %d", name, i, f.Time[i], ts)
					}
				}
				for k, n := range names {
					if !f.Has(n) {
						continue
					}
					if f.Kind(n) != kinds[k] {
						t.Fatalf("%s: %s is %v, want %v", name, n, f.Kind(n), kinds[k])
					}
					d, _ := f.Col(n)
					for i, v := range d {
						if !(v == vals[k][i] || math.IsNaN(v) && math.IsNaN(vals[k][i])) {
							t.Fatalf("%s: %s[%d] = %v, want %v", name, n, i, v, vals[k][i])
						}
					}
				}
				var buf bytes.Buffer
				if err := WriteCSV(&buf, f, WriteOptions{Precision: -1}); err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = buf.Bytes()
				} else if !bytes.Equal(buf.Bytes(), ref) {
					t.Fatalf("%s: the frame differs from the serial read", name)
				}
			}
		}
	}
}

// A bad row in the middle gives the serial error, naming the file and the row's line,
// however the text is cut into blocks.
func TestParallelCSVReadErrors(t *testing.T) {
	text, _, _ := genCSV(400)
	lines := strings.Split(text, "\n")
	// replace rewrites line no (1-based, counting the blank lines) with f(old line).
	replace := func(no int, f func(string) string) string {
		l := append([]string(nil), lines...)
		l[no-1] = f(l[no-1])
		return strings.Join(l, "\n")
	}
	rowLine := func(no int) int { // the first line at or after no holding a row
		for !strings.HasPrefix(lines[no-1], "20") {
			no++
		}
		return no
	}
	bad := rowLine(200)
	late := rowLine(300)
	cases := []struct {
		name string
		text string
		want error
		line int
		msg  string
	}{
		{"bad cell", replace(bad, func(s string) string { return setField(s, 3, "2.x") }), ErrParse, bad, `column "flag": malformed file: cannot parse "2.x"`},
		{"short row", replace(bad, func(s string) string { return s[:strings.LastIndexByte(s, ',')] }), ErrParse, bad, "5 fields, header has 6"},
		{"bad time", replace(bad, func(s string) string { return setField(s, 0, "later") }), ErrParse, bad, "bad timestamp"},
		{"unsorted", replace(bad, func(s string) string { return setField(s, 0, "2000-01-01 00:00:00") }), ErrUnsorted, bad, "unsorted timestamp"},
		{"duplicate and bad cell on one row", replace(bad, func(s string) string {
			prev := strings.Split(lines[bad-2], ",")[0]
			if prev == "" || prev == "\r" {
				t.Fatal("the line before the bad one is blank")
			}
			return setField(setField(s, 0, prev), 1, "zz")
		}), ErrUnsorted, bad, "duplicate timestamp"},
		{"short last line", text[:strings.LastIndexByte(text, ',')], ErrParse, len(lines), "5 fields"},
	}
	// The first of two errors is the one reported.
	two := replace(late, func(s string) string { return setField(s, 0, "2000-01-01 00:00:00") })
	l2 := strings.Split(two, "\n")
	l2[bad-1] = l2[bad-1][:strings.LastIndexByte(l2[bad-1], ',')]
	cases = append(cases, struct {
		name string
		text string
		want error
		line int
		msg  string
	}{"first of two", strings.Join(l2, "\n"), ErrParse, bad, "5 fields"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.csv")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			var ref string
			for _, c := range readConfigs {
				_, err := readWith(t, path, c.block, c.workers, ReadOptions{})
				if !errors.Is(err, tc.want) {
					t.Fatalf("block %d workers %d: got %v, want %v", c.block, c.workers, err, tc.want)
				}
				want := fmt.Sprintf("%s: line %d: ", path, tc.line)
				if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("block %d workers %d: error %q, want it to start %q and name %q", c.block, c.workers, err, want, tc.msg)
				}
				if ref == "" {
					ref = err.Error()
				} else if err.Error() != ref {
					t.Fatalf("block %d workers %d: error %q, serial %q", c.block, c.workers, err, ref)
				}
			}
		})
	}
}

// setField replaces field i of a CSV line.
func setField(line string, i int, v string) string {
	f := strings.Split(line, ",")
	f[i] = v
	return strings.Join(f, ",")
}

// A gzip file cut short fails with the reader's error, naming the file and the line it
// stopped in, after the rows before have been checked.
func TestParallelCSVReadTruncatedGzip(t *testing.T) {
	text, _, _ := genCSV(2000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	path := filepath.Join(t.TempDir(), "cut.csv.gz")
	if err := os.WriteFile(path, gz.Bytes()[:gz.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	var ref string
	for _, c := range readConfigs {
		_, err := readWith(t, path, c.block, c.workers, ReadOptions{})
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), path+": line ") {
			t.Fatalf("block %d workers %d: %v", c.block, c.workers, err)
		}
		if ref == "" {
			ref = err.Error()
		} else if err.Error() != ref {
			t.Fatalf("block %d workers %d: error %q, serial %q", c.block, c.workers, err, ref)
		}
	}
}

// withBlocks sets the block sizes and worker count for one call.
func withBlocks(block, rowBlock, workers int, fn func()) {
	oldB, oldR, oldW := csvBlockSize, csvRowBlock, csvWorkers
	csvBlockSize, csvRowBlock, csvWorkers = block, rowBlock, workers
	defer func() { csvBlockSize, csvRowBlock, csvWorkers = oldB, oldR, oldW }()
	fn()
}

// WriteCSV and JoinCSV format blocks of rows on every core; the text is the serial one,
// and holds the values (6 decimals) and times it should.
func TestParallelCSVWriteMatchesSerial(t *testing.T) {
	rows := 2000
	if testing.Short() {
		rows = 600
	}
	text, times, vals := genCSV(rows)
	src := filepath.Join(t.TempDir(), "src.csv")
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadCSV(src, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skip := rows / 4
	add := New(times[skip:])
	twice := make([]float64, add.Len())
	for i := range twice {
		twice[i] = vals[0][skip+i] * 2
	}
	if err := add.Set("a2", Float, twice); err != nil {
		t.Fatal(err)
	}
	header := []string{"a2", "timestamp", "b", "flag", "n"}
	opt := WriteOptions{Precision: 6, TimePos: 1}
	configs := []struct{ block, rowBlock, workers int }{{1 << 22, 1 << 30, 1}, {1, 1, 2}, {7, 3, 3}, {100, 64, 2}, {64 << 10, 512, 2}}
	var refWrite, refJoin []byte
	for _, c := range configs {
		var wb, jb bytes.Buffer
		var werr, jerr error
		withBlocks(c.block, c.rowBlock, c.workers, func() {
			werr = WriteCSV(&wb, f, opt)
			jerr = JoinCSV(&jb, src, add, skip, header, opt)
		})
		if werr != nil || jerr != nil {
			t.Fatalf("%+v: %v, %v", c, werr, jerr)
		}
		if refWrite == nil {
			refWrite, refJoin = wb.Bytes(), jb.Bytes()
			continue
		}
		if !bytes.Equal(wb.Bytes(), refWrite) {
			t.Fatalf("%+v: WriteCSV differs from the serial text", c)
		}
		if !bytes.Equal(jb.Bytes(), refJoin) {
			t.Fatalf("%+v: JoinCSV differs from the serial text", c)
		}
	}
	out := strings.Split(strings.TrimSuffix(string(refJoin), "\n"), "\n")
	if out[0] != strings.Join(header, ",") || len(out) != rows-skip+1 {
		t.Fatalf("join: header %q, %d lines, want %d", out[0], len(out), rows-skip+1)
	}
	for i, l := range out[1:] {
		r := skip + i
		want := []string{
			strconv.FormatFloat(vals[0][r]*2, 'f', 6, 64), FormatTime(times[r]), "",
			map[float64]string{1: "True", 0: "False"}[vals[2][r]], strconv.Itoa(int(vals[3][r])),
		}
		switch b := vals[1][r]; {
		case b == math.Trunc(b): // an integer cell is copied as it is
			want[2] = strconv.Itoa(int(b))
		case !math.IsNaN(b):
			want[2] = strconv.FormatFloat(b, 'f', 6, 64)
		}
		if l != strings.Join(want, ",") {
			t.Fatalf("join line %d: %q, want %q", i+2, l, strings.Join(want, ","))
		}
	}
	if w := strings.Split(string(refWrite), "\n"); len(w) != rows+2 || !strings.HasPrefix(w[1], "-50.000000,"+FormatTime(times[0])+",,True,-1000,") {
		t.Fatalf("write: %d lines, first row %q", len(w), w[1])
	}
}

// A bad source row fails at its line, the first of two bad rows, however the text is cut:
// a bad cell, and a row missing a field after the last one used.
func TestParallelJoinCSVErrors(t *testing.T) {
	text, times, _ := genCSV(500)
	lines := strings.Split(text, "\n")
	no := 300
	for !strings.HasPrefix(lines[no-1], "20") {
		no++
	}
	for _, tc := range []struct {
		name string
		edit func(string) string
		msg  string
	}{
		{"bad cell", func(s string) string { return setField(s, 4, "1.x") }, `column "n": `},
		{"short row", func(s string) string { return s[:strings.LastIndexByte(s, ',')] }, "5 fields, header has 6"},
	} {
		bad := append([]string(nil), lines...)
		bad[no-1] = tc.edit(bad[no-1])
		src := filepath.Join(t.TempDir(), "src.csv")
		if err := os.WriteFile(src, []byte(strings.Join(bad, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		add := New(slices.Clone(times[10:]))
		add.Time[450] = 0 // a later mismatch
		var ref string
		for _, c := range []struct{ block, workers int }{{1 << 22, 1}, {1, 2}, {64, 3}, {1000, 2}} {
			var err error
			withBlocks(c.block, csvRowBlock, c.workers, func() {
				err = JoinCSV(io.Discard, src, add, 10, []string{"timestamp", "n"}, WriteOptions{Precision: 6})
			})
			want := fmt.Sprintf("%s: line %d: ", src, no)
			if !errors.Is(err, ErrParse) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("%s %+v: %v, want it to start %q and name %q", tc.name, c, err, want, tc.msg)
			}
			if ref == "" {
				ref = err.Error()
			} else if err.Error() != ref {
				t.Fatalf("%s %+v: %q, serial %q", tc.name, c, err, ref)
			}
		}
	}
}

// The one-pass row scan gives every cell the value, sign of zero and kind that splitting
// the row and parsing each field gives, and accepts only rows that parse without error.
func TestScanRowMatchesParseFields(t *testing.T) {
	cells := []string{"", "0", "-0", "+5", "-0.0", "0.0", "1.", ".5", "-.5", ".", "-", "+", "1.2.3", " 1", "1 ",
		"000000000000001", "0000000000000001", "-00000000000001", "123456789012345", "1234567890123456",
		"12345678.9012345", "1234567.89012345", "1.2345678901234567", "99999999999999.9", "1e5", "1E-3",
		"True", "False", "true", "FALSE", "\"3.5\"", "\"\"", "nan", "inf", "16541.77000000", "-0.00012300",
		"1672531259999", "0x10", "1_000", "٣"}
	p := &csvPlan{nfields: 4, tIdx: 0, last: 3, slot: []int{-1, 0, -1, 1}, names: []string{"x", "y"}}
	for _, a := range cells {
		for _, c := range cells {
			for _, extra := range []string{"", ",9"} {
				row := []byte("2024-01-01 00:00:00," + a + ",skipped," + c + extra)
				fast, slow := &csvBlock{}, &csvBlock{}
				p.parse(fast) // sizes the columns
				p.parse(slow)
				ok := p.scanRow(fast, row)
				err := p.parseFields(slow, row)
				if !ok {
					continue // parseRow falls back to parseFields
				}
				if err != nil {
					t.Fatalf("%q: the scan accepts it, parseFields fails: %v", row, err)
				}
				if fast.times[0] != slow.times[0] || fast.flags[0] != slow.flags[0] || fast.flags[1] != slow.flags[1] {
					t.Fatalf("%q: scan %v %+v, parseFields %v %+v", row, fast.times, fast.flags, slow.times, slow.flags)
				}
				for s := range 2 {
					f, g := fast.cols[s][0], slow.cols[s][0]
					if math.Float64bits(f) != math.Float64bits(g) && !(math.IsNaN(f) && math.IsNaN(g)) {
						t.Fatalf("%q column %d: scan %v, parseFields %v", row, s, f, g)
					}
				}
			}
		}
	}
}
