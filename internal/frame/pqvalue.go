package frame

import (
	"math"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// parquet-go takes a column's rows only as []parquet.Value, built value by value with
// Int64Value(x).Level(...), a call per value that costs more than encoding it. A column's
// values differ only in their 64-bit payload, so the fast path copies one template value
// (kind, levels, column) and stores the payload in place. That relies on the payload's
// offset inside parquet.Value, which valueLayoutOK checks against the library's own
// constructors once; when the check fails (another library version), the exported
// constructors are used.

// valuePayloadOffset is the offset of parquet.Value's 64-bit payload (after its pointer).
const valuePayloadOffset = unsafe.Sizeof(uintptr(0))

var fastValues = valueLayoutOK()

// valueLayoutOK reports whether setPayload builds the same values as the library.
func valueLayoutOK() bool {
	if unsafe.Sizeof(parquet.Value{}) < valuePayloadOffset+8 {
		return false
	}
	for _, ci := range []int{0, 1, 300} {
		for _, x := range []float64{0, 1, -2.5, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1)} {
			v := parquet.DoubleValue(0).Level(0, 1, ci)
			setPayload(&v, math.Float64bits(x))
			if v != parquet.DoubleValue(x).Level(0, 1, ci) || v.Double() != x && x == x {
				return false
			}
		}
		for _, x := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1700000000000000000} {
			v := parquet.Int64Value(0).Level(0, 1, ci)
			setPayload(&v, uint64(x))
			if v != parquet.Int64Value(x).Level(0, 1, ci) || v.Int64() != x {
				return false
			}
		}
		for _, b := range []bool{false, true} {
			v := parquet.BooleanValue(false).Level(0, 1, ci)
			if b {
				setPayload(&v, 1)
			}
			if v != parquet.BooleanValue(b).Level(0, 1, ci) || v.Boolean() != b {
				return false
			}
		}
	}
	return true
}

// setPayload stores the 64-bit payload of v (the bits of a DOUBLE, an INT64, 0/1 of a BOOLEAN).
func setPayload(v *parquet.Value, bits uint64) {
	*(*uint64)(unsafe.Add(unsafe.Pointer(v), valuePayloadOffset)) = bits
}

// fillTimes sets vals to the times (ms) as nanosecond INT64 values of column ci.
func fillTimes(vals []parquet.Value, times []int64, ci int) {
	if !fastValues {
		for i, t := range times {
			vals[i] = parquet.Int64Value(t*1e6).Level(0, 0, ci)
		}
		return
	}
	tmpl := parquet.Int64Value(0).Level(0, 0, ci)
	for i, t := range times {
		p := &vals[i]
		*p = tmpl
		setPayload(p, uint64(t*1e6))
	}
}

// fillBools sets vals to the optional BOOLEAN values of column ci (NaN: null, 0: false).
func fillBools(vals []parquet.Value, data []float64, ci int) {
	null := parquet.NullValue().Level(0, 0, ci)
	tmpl := parquet.BooleanValue(false).Level(0, 1, ci)
	for i, v := range data {
		switch {
		case math.IsNaN(v):
			vals[i] = null
		case !fastValues:
			vals[i] = parquet.BooleanValue(v != 0).Level(0, 1, ci)
		default:
			p := &vals[i]
			*p = tmpl
			if v != 0 {
				setPayload(p, 1)
			}
		}
	}
}

// fillInts sets vals to the optional INT64 values of column ci (NaN and ±Inf: null).
func fillInts(vals []parquet.Value, data []float64, ci int) {
	null := parquet.NullValue().Level(0, 0, ci)
	tmpl := parquet.Int64Value(0).Level(0, 1, ci)
	for i, v := range data {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			vals[i] = null
		case !fastValues:
			vals[i] = parquet.Int64Value(int64(v)).Level(0, 1, ci)
		default:
			p := &vals[i]
			*p = tmpl
			setPayload(p, uint64(int64(v)))
		}
	}
}

// fillDoubles sets vals to the optional DOUBLE values of column ci, rounded to prec decimals
// (NaN and ±Inf: null).
func fillDoubles(vals []parquet.Value, data []float64, ci, prec int) {
	null := parquet.NullValue().Level(0, 0, ci)
	tmpl := parquet.DoubleValue(0).Level(0, 1, ci)
	for i, v := range data {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			vals[i] = null
		case !fastValues:
			vals[i] = parquet.DoubleValue(RoundDecimals(v, prec)).Level(0, 1, ci)
		default:
			p := &vals[i]
			*p = tmpl
			setPayload(p, math.Float64bits(RoundDecimals(v, prec)))
		}
	}
}
