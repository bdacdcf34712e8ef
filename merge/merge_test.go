package merge

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
)

const t0 = int64(1679660400000) // 2023-03-24 12:20:00 UTC

func src(times []int64, close, vol []float64) *frame.Frame {
	f := frame.New(times)
	f.Set("close", frame.Float, close)
	f.Set("volume", frame.Float, vol)
	return f
}

func mins(ks ...int) []int64 {
	out := make([]int64, len(ks))
	for i, k := range ks {
		out[i] = t0 + int64(k)*60000
	}
	return out
}

func TestMergeGapsAndZeroVolume(t *testing.T) {
	// Rows 0..9 with 4..6 missing and 1..3 flat zero-volume bars.
	f := src(mins(0, 1, 2, 3, 7, 8, 9), []float64{10, 11, 11, 11, 15, 16, 17}, []float64{5, 0, 0, 0, 2, 3, 4})
	out, rep, err := Merge([]Source{{Name: "BTCUSDT", Frame: f}}, Options{Freq: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 10 || rep.Rows != 10 {
		t.Fatalf("rows %d", out.Len())
	}
	c, _ := out.Col("close")
	for i, want := range []float64{10, 11, 11, 11, math.NaN(), math.NaN(), math.NaN(), 15, 16, 17} {
		if !(c[i] == want || math.IsNaN(want) && math.IsNaN(c[i])) {
			t.Errorf("close[%d] = %v, want %v", i, c[i], want)
		}
	}
	s := rep.Sources[0]
	if s.Missing != 3 || len(s.Gaps) != 1 || s.Gaps[0] != (Run{Start: t0 + 4*60000, End: t0 + 6*60000, Rows: 3}) {
		t.Errorf("gaps %+v", s.Gaps)
	}
	if len(s.ZeroVolume) != 1 || s.ZeroVolume[0].Rows != 3 {
		t.Errorf("zero volume %+v", s.ZeroVolume)
	}
	var buf bytes.Buffer
	rep.WriteText(&buf, 10)
	for _, want := range []string{"grid: 10 rows", "gap: 2023-03-24 12:24:00+00:00 .. 2023-03-24 12:26:00+00:00 (3 rows)", "zero volume: 2023-03-24 12:21:00+00:00"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestMergeInterpolate(t *testing.T) {
	f := src(mins(0, 3, 4), []float64{10, 13, 20}, []float64{1, 1, 1})
	g := src(mins(0, 1, 2, 3, 4, 5, 6), []float64{1, 2, 3, 4, 5, 6, 7}, []float64{1, 1, 1, 1, 1, 1, 1})
	out, _, err := Merge([]Source{{Name: "a", Frame: f}, {Name: "b", Frame: g, Prefix: "eth"}}, Options{Freq: time.Minute, Interpolate: true})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := out.Col("close")
	want := []float64{10, 11, 12, 13, 20, 20, 20} // linear inside, last value after the end
	for i := range want {
		if math.Abs(c[i]-want[i]) > 1e-12 {
			t.Fatalf("close = %v, want %v", c, want)
		}
	}
	if got := strings.Join(out.Names(), ","); got != "close,volume,eth_close,eth_volume" {
		t.Fatalf("columns %s", got)
	}
}

func TestMergeStaleSourceKeepsRowsAndWarns(t *testing.T) {
	fresh := src(mins(0, 1, 2, 3, 4), []float64{1, 2, 3, 4, 5}, []float64{1, 1, 1, 1, 1})
	stale := src(mins(0, 1), []float64{7, 8}, []float64{1, 1})
	out, rep, err := Merge([]Source{{Name: "BTCUSDT", Frame: fresh}, {Name: "ETHUSDT", Frame: stale, Prefix: "eth"}}, Options{Freq: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 5 {
		t.Fatalf("grid truncated to %d rows", out.Len())
	}
	var buf bytes.Buffer
	rep.WriteText(&buf, 5)
	if !strings.Contains(buf.String(), "source ETHUSDT is stale: it ends 3 rows") {
		t.Fatalf("no stale warning:\n%s", buf.String())
	}
}

func TestMergeErrors(t *testing.T) {
	a := src(mins(0, 1), []float64{1, 2}, []float64{1, 1})
	b := src(mins(0, 1), []float64{1, 2}, []float64{1, 1})
	if _, _, err := Merge([]Source{{Name: "a", Frame: a}, {Name: "b", Frame: b}}, Options{Freq: time.Minute}); !errors.Is(err, ErrCollision) {
		t.Fatalf("collision: %v", err)
	}
	inf := src(mins(0, 1), []float64{1, math.Inf(1)}, []float64{1, 1})
	if _, _, err := Merge([]Source{{Name: "a", Frame: inf}}, Options{Freq: time.Minute}); !errors.Is(err, ErrBadPrice) || !strings.Contains(err.Error(), "12:21:00") {
		t.Fatalf("inf price: %v", err)
	}
	nan := src(mins(0, 1), []float64{math.NaN(), 1}, []float64{1, 1})
	if _, _, err := Merge([]Source{{Name: "a", Frame: nan}}, Options{Freq: time.Minute}); !errors.Is(err, ErrBadPrice) {
		t.Fatalf("nan price: %v", err)
	}
	if _, _, err := Merge([]Source{{Name: "a", Frame: frame.New(nil)}}, Options{Freq: time.Minute}); !errors.Is(err, ErrNoData) {
		t.Fatalf("empty: %v", err)
	}
	off := src([]int64{t0, t0 + 90000}, []float64{1, 2}, []float64{1, 1})
	_, rep, err := Merge([]Source{{Name: "a", Frame: off}}, Options{Freq: time.Minute})
	if err != nil || rep.Sources[0].OffGrid != 1 {
		t.Fatalf("off grid: %v %+v", err, rep)
	}
}

func TestSpreadInPlace(t *testing.T) {
	for _, c := range []struct {
		src  []float64
		pos  []int32
		n    int
		want []float64
	}{
		{[]float64{1, 2, 3}, []int32{0, 1, 2}, 3, []float64{1, 2, 3}},
		{[]float64{1, 2, 3}, []int32{1, 3, 4}, 6, []float64{math.NaN(), 1, math.NaN(), 2, 3, math.NaN()}},
		{[]float64{1, 2}, []int32{0, 5}, 6, []float64{1, math.NaN(), math.NaN(), math.NaN(), math.NaN(), 2}},
	} {
		for _, extraCap := range []int{0, 10} {
			src := make([]float64, len(c.src), len(c.src)+extraCap)
			copy(src, c.src)
			got := spreadInPlace(src, c.pos, c.n)
			for i := range c.want {
				if !(got[i] == c.want[i] || math.IsNaN(got[i]) && math.IsNaN(c.want[i])) {
					t.Fatalf("spread(%v, %v, cap+%d) = %v, want %v", c.src, c.pos, extraCap, got, c.want)
				}
			}
		}
	}
}

// sameFloats compares with NaN equal to NaN.
func sameFloats(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if !(got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			return false
		}
	}
	return true
}

// TestOffGridRowsLandOnTheirRow: with rows off the grid (dropped), every other row of a
// source lands on the grid row of its own time, also when the grid starts before the source.
func TestOffGridRowsLandOnTheirRow(t *testing.T) {
	early := src(mins(0, 7), []float64{1, 2}, []float64{1, 1})
	// minutes 2, 2.5 (off the grid), 3, 6 (after a gap), 6.5 (off)
	times := []int64{t0 + 2*60000, t0 + 150000, t0 + 3*60000, t0 + 6*60000, t0 + 390000}
	late := src(times, []float64{20, 25, 30, 60, 65}, []float64{1, 1, 1, 1, 1})
	out, rep, err := Merge([]Source{{Name: "a", Frame: early}, {Name: "b", Frame: late, Prefix: "b"}}, Options{Freq: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sources[1].OffGrid != 2 {
		t.Fatalf("off-grid rows %d, want 2", rep.Sources[1].OffGrid)
	}
	nan := math.NaN()
	got, _ := out.Col("b_close")
	if want := []float64{nan, nan, 20, 30, nan, nan, 60, nan}; !sameFloats(got, want) {
		t.Fatalf("b_close = %v, want %v", got, want)
	}
}

// TestInterpolateKeepsLeadingNaN: pandas' interpolate() leaves leading NaN alone (it never
// back-fills), fills interior gaps linearly and trailing ones with the last value.
func TestInterpolateKeepsLeadingNaN(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct{ in, want []float64 }{
		{[]float64{nan, nan, 1, nan, 3, nan}, []float64{nan, nan, 1, 2, 3, 3}},
		{[]float64{nan, 4}, []float64{nan, 4}},
		{[]float64{nan, nan}, []float64{nan, nan}},
		{[]float64{2, nan, nan, 5}, []float64{2, 3, 4, 5}},
	} {
		x := append([]float64(nil), c.in...)
		Interpolate(x)
		if !sameFloats(x, c.want) {
			t.Errorf("Interpolate(%v) = %v, want %v", c.in, x, c.want)
		}
	}
	// Through Merge: a source starting after the grid keeps NaN before its first row.
	a := src(mins(0, 1, 2, 3), []float64{1, 2, 3, 4}, []float64{1, 1, 1, 1})
	b := src(mins(2, 3), []float64{30, 40}, []float64{1, 1})
	out, _, err := Merge([]Source{{Name: "a", Frame: a}, {Name: "b", Frame: b, Prefix: "b"}}, Options{Freq: time.Minute, Interpolate: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := out.Col("b_close"); !sameFloats(got, []float64{nan, nan, 30, 40}) {
		t.Fatalf("b_close = %v: leading rows were back-filled", got)
	}
}

// TestNoRowsNamesTheFile: "source has no rows" says which file.
func TestNoRowsNamesTheFile(t *testing.T) {
	_, _, err := Merge([]Source{{Name: "a", Path: "data/BTCUSDT/klines.csv", Frame: frame.New(nil)}}, Options{Freq: time.Minute})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "data/BTCUSDT/klines.csv") {
		t.Fatalf("%v", err)
	}
}
