package frame

import (
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// The fast value path builds exactly the values the library's constructors build, for every
// column kind, with nulls, extremes and negative zero; and it is the path in use with the
// pinned parquet-go version.
func TestFillValuesMatchLibraryConstructors(t *testing.T) {
	if !fastValues {
		t.Fatal("the parquet.Value layout check fails: the fast path is off (parquet-go changed?)")
	}
	data := []float64{0, 1, -1, 2.123456789, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 1e300, -7, 123456789012}
	times := []int64{0, 1, -1, 1672531200000, 1719273600000}
	const ci, prec = 7, 4
	want := func(kind string, i int, v float64) parquet.Value {
		if kind != "time" && (math.IsNaN(v) || kind != "bool" && math.IsInf(v, 0)) {
			return parquet.NullValue().Level(0, 0, ci)
		}
		switch kind {
		case "time":
			return parquet.Int64Value(times[i]*1e6).Level(0, 0, ci)
		case "bool":
			return parquet.BooleanValue(v != 0).Level(0, 1, ci)
		case "int":
			return parquet.Int64Value(int64(v)).Level(0, 1, ci)
		}
		return parquet.DoubleValue(RoundDecimals(v, prec)).Level(0, 1, ci)
	}
	for _, fast := range []bool{true, false} {
		fastValues = fast
		for _, kind := range []string{"time", "bool", "int", "double"} {
			vals := make([]parquet.Value, len(data))
			n := len(data)
			switch kind {
			case "time":
				n = len(times)
				fillTimes(vals, times, ci)
			case "bool":
				fillBools(vals, data, ci)
			case "int":
				fillInts(vals, data, ci)
			default:
				fillDoubles(vals, data, ci, prec)
			}
			for i := range n {
				if w := want(kind, i, data[i]); vals[i] != w {
					t.Errorf("fast %v, %s value %d (%v): got %v, want %v", fast, kind, i, data[i], vals[i], w)
				}
			}
		}
	}
	fastValues = valueLayoutOK()
}
