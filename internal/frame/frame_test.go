package frame

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseAndFormatTime(t *testing.T) {
	const ms = int64(1704067200000) // 2024-01-01 00:00:00 UTC
	for _, s := range []string{
		"2024-01-01 00:00:00+00:00", "2024-01-01T00:00:00Z", "2024-01-01 00:00:00",
		"2024-01-01T01:00:00+01:00", "2024-01-01", "1704067200000", "1704067200", "1704067200000000",
		"2024-01-01 00:00:00.000",
	} {
		got, err := ParseTime([]byte(s))
		if err != nil || got != ms {
			t.Errorf("ParseTime(%q) = %d, %v; want %d", s, got, err, ms)
		}
	}
	for _, s := range []string{"", "yesterday", "2024-13-01 00:00:00", "2024-02-30 00:00:00"} {
		if _, err := ParseTime([]byte(s)); err == nil {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
	if got := FormatTime(ms + 61000); got != "2024-01-01 00:01:01+00:00" {
		t.Errorf("FormatTime = %q", got)
	}
}

func TestAppendValue(t *testing.T) {
	cases := []struct {
		kind Kind
		v    float64
		prec int
		want string
	}{
		{Float, 46216.93, -1, "46216.93"},
		{Float, 5, -1, "5.0"},
		{Float, 1.0 / 3, 6, "0.333333"},
		{Float, -1e-7, 6, "-0.000000"},
		{Float, 0.0000005, 6, "0.000000"}, // the double nearest 5e-7 is 4.99999999999999977e-07: rounds down, as Python's "%.6f" does
		{Float, math.NaN(), 6, ""},
		{Float, math.Inf(1), 6, ""},
		{Int, 1640995259999, 6, "1640995259999"},
		{Int, 2.5, 6, "2.500000"},
		{Bool, 1, 6, "True"},
		{Bool, 0, 6, "False"},
	}
	for _, c := range cases {
		if got := string(AppendValue(nil, c.kind, c.v, c.prec)); got != c.want {
			t.Errorf("AppendValue(%v, %v, %d) = %q, want %q", c.kind, c.v, c.prec, got, c.want)
		}
	}
}

func sample() *Frame {
	f := New([]int64{1704067200000, 1704067260000, 1704067320000})
	f.Set("close", Float, []float64{1.5, math.NaN(), 2.25})
	f.Set("trades", Int, []float64{10, 20, 30})
	f.Set("high_20", Bool, []float64{1, 0, 1})
	return f
}

func TestCSVRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	if err := WriteFile(p, sample(), WriteOptions{Precision: 6}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	want := "timestamp,close,trades,high_20\n" +
		"2024-01-01 00:00:00+00:00,1.500000,10,True\n" +
		"2024-01-01 00:01:00+00:00,,20,False\n" +
		"2024-01-01 00:02:00+00:00,2.250000,30,True\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	g, err := ReadFile(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, sample(), g)
	// Column selection reads only what is asked, and optional columns may be absent.
	g, err = ReadFile(p, ReadOptions{Columns: []string{"trades"}, Optional: []string{"nope", "close"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.Names(), ","); got != "trades,close" {
		t.Fatalf("selected %s", got)
	}
	if _, err := ReadFile(p, ReadOptions{Columns: []string{"volume"}}); !errors.Is(err, ErrMissingColumn) {
		t.Fatalf("missing column: %v", err)
	}
}

func TestCSVTimePosition(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sample(), WriteOptions{Precision: 2, TimePos: 2}); err != nil {
		t.Fatal(err)
	}
	want := "close,trades,timestamp,high_20\n1.50,10,2024-01-01 00:00:00+00:00,True\n"
	if !strings.HasPrefix(buf.String(), want) {
		t.Fatalf("got %q", buf.String())
	}
	buf.Reset()
	WriteCSV(&buf, sample(), WriteOptions{Precision: 2, TimePos: 3})
	if !strings.HasPrefix(buf.String(), "close,trades,high_20,timestamp\n1.50,10,True,2024-01-01 00:00:00+00:00\n") {
		t.Fatalf("got %q", buf.String())
	}
	p := filepath.Join(t.TempDir(), "p.csv")
	WriteFile(p, sample(), WriteOptions{Precision: 6, TimePos: 1})
	g, err := ReadFile(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, sample(), g)
}

func assertSame(t *testing.T, a, b *Frame) {
	t.Helper()
	if a.Len() != b.Len() || strings.Join(a.Names(), ",") != strings.Join(b.Names(), ",") {
		t.Fatalf("shape differs: %v vs %v", a.Names(), b.Names())
	}
	for i := range a.Time {
		if a.Time[i] != b.Time[i] {
			t.Fatalf("time %d: %d vs %d", i, a.Time[i], b.Time[i])
		}
	}
	for _, c := range a.Columns() {
		d, _ := b.Col(c.Name)
		if b.Kind(c.Name) != c.Kind {
			t.Errorf("%s kind %v vs %v", c.Name, c.Kind, b.Kind(c.Name))
		}
		for i, v := range c.Data {
			if !(v == d[i] || math.IsNaN(v) && math.IsNaN(d[i])) {
				t.Errorf("%s[%d] %v vs %v", c.Name, i, v, d[i])
			}
		}
	}
}

func TestBadCSV(t *testing.T) {
	cases := []struct {
		name, text string
		want       error
		line       string
	}{
		{"empty", "", ErrEmpty, ""},
		{"garbled", "timestamp,close\n2024-01-01 00:00:00,1.0\n2024-01-01 00:01:00,1.x\n", ErrParse, "line 3"},
		{"truncated row", "timestamp,close,volume\n2024-01-01 00:00:00,1.0,2\n2024-01-01 00:01:00,1.0\n", ErrParse, "line 3"},
		{"bad time", "timestamp,close\nsoon,1.0\n", ErrParse, "line 2"},
		{"duplicate", "timestamp,close\n2024-01-01 00:00:00,1\n2024-01-01 00:00:00,2\n", ErrUnsorted, "line 3"},
		{"unsorted", "timestamp,close\n2024-01-01 00:01:00,1\n2024-01-01 00:00:00,2\n", ErrUnsorted, "line 3"},
		{"no time column", "time,close\n2024-01-01,1\n", ErrMissingColumn, ""},
		{"bool and number", "timestamp,x\n2024-01-01 00:00:00,True\n2024-01-01 00:01:00,2.5\n", ErrParse, ""},
		{"duplicate column", "timestamp,open,close,close\n2024-01-01 00:00:00,1,2,3\n", ErrHeader, `duplicate column "close"`},
		{"duplicate time column", "timestamp,close,timestamp\n2024-01-01 00:00:00,1,2024-01-01 00:00:00\n", ErrHeader, `"timestamp"`},
		{"unnamed column", "timestamp,,close\n2024-01-01 00:00:00,1,2\n", ErrHeader, "column 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.csv")
			os.WriteFile(p, []byte(c.text), 0o644)
			_, err := ReadFile(p, ReadOptions{})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.line) {
				t.Fatalf("error %q does not name the file and %q", err, c.line)
			}
		})
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	os.WriteFile(p, []byte("old"), 0o644)
	err := WriteAtomic(p, func(w io.Writer) error { w.Write([]byte("partial")); return errors.New("boom") })
	if err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, []byte("old")) {
		t.Fatalf("old file changed: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary file left behind: %v", ents)
	}
	if err := WriteFile(filepath.Join(dir, "x.feather"), sample(), WriteOptions{}); !errors.Is(err, ErrFormat) {
		t.Fatalf("feather: %v", err)
	}
}

func TestAppendCellMatchesFormatting(t *testing.T) {
	cells := []string{"46216.93", "46216.93000000", "1875978.44269790", "0.1", "5.0", "-0.5", "-0.0", "0.0000005",
		"123456789.123456", "1234567890.123456", "12345678901.5", "1e-7", "3.14159265358979", "-2.0000004", "7.", "-7.25"}
	for _, c := range cells {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil {
			t.Fatal(err)
		}
		for _, prec := range []int{6, 2} {
			want := strconv.FormatFloat(v, 'f', prec, 64)
			if got, err := appendCell(nil, []byte(c), prec); err != nil || string(got) != want {
				t.Errorf("appendCell(%q, %d) = %q, want %q", c, prec, got, want)
			}
		}
	}
	for _, c := range []string{"", "True", "False", "1640995259999", "-3"} {
		if got, err := appendCell(nil, []byte(c), 6); err != nil || string(got) != c {
			t.Errorf("appendCell(%q) = %q, %v", c, got, err)
		}
	}
	for _, c := range []string{"x1.5", "1.5.5", "--1.0", "abc"} {
		if _, err := appendCell(nil, []byte(c), 6); err == nil {
			t.Errorf("appendCell(%q) accepted garbage", c)
		}
	}
}

func TestJoinCSV(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.csv")
	os.WriteFile(src, []byte("timestamp,close,trades\n2024-01-01 00:00:00+00:00,1.5,10\n2024-01-01 00:01:00+00:00,,20\n2024-01-01 00:02:00+00:00,2.25,30\n"), 0o644)
	add := New([]int64{1704067260000, 1704067320000})
	add.Set("sig", Bool, []float64{0, 1})
	add.Set("close", Float, []float64{9, 8}) // replaces the source column
	var buf bytes.Buffer
	if err := JoinCSV(&buf, src, add, 1, []string{"timestamp", "trades", "close", "sig"}, WriteOptions{Precision: 6}); err != nil {
		t.Fatal(err)
	}
	want := "timestamp,trades,close,sig\n2024-01-01 00:01:00+00:00,20,9.000000,False\n2024-01-01 00:02:00+00:00,30,8.000000,True\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// Misaligned rows are an error, not a silent shift.
	if err := JoinCSV(&buf, src, add, 0, []string{"timestamp", "close"}, WriteOptions{Precision: 6}); !errors.Is(err, ErrParse) {
		t.Fatalf("misaligned: %v", err)
	}
}

func TestSummarizeCSV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.csv")
	os.WriteFile(p, []byte("timestamp,x\n2024-01-01 00:00:00+00:00,1\n\n2024-01-01 00:01:00+00:00,2\n2024-01-01 00:02:00+00:00,3"), 0o644)
	s, err := SummarizeCSV(p, "timestamp")
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 3 || s.First != 1704067200000 || s.Last != 1704067320000 || strings.Join(s.LastCells, ",") != "2024-01-01 00:02:00+00:00,3" || s.EndsWithNewline {
		t.Fatalf("%+v", s)
	}
	os.WriteFile(p, []byte("timestamp,x\n"), 0o644)
	if s, err := SummarizeCSV(p, "timestamp"); err != nil || s.Rows != 0 || len(s.Header) != 2 {
		t.Fatalf("header only: %+v %v", s, err)
	}
	os.WriteFile(p, nil, 0o644)
	if _, err := SummarizeCSV(p, "timestamp"); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
}
