package gbdt

import (
	"math"
)

// binSampleCount is the number of rows used to find bin boundaries (LightGBM's bin_construct_sample_cnt).
const binSampleCount = 200000

// binMapper maps one feature's raw values to bins 0..nb-1; NaN goes to the missing bin nb.
type binMapper struct {
	nb int // number of value bins; 0 when the feature has no non-NaN value
	// search holds the nb-1 upper bounds of bins 0..nb-2, padded with +Inf to 256 entries
	// so that binOf is a fixed 8-step branch-free search.
	search [256]float64
}

// clampInf maps ±Inf to ±MaxFloat64 so that every threshold is finite (and JSON-encodable).
func clampInf(x float64) float64 {
	if x > math.MaxFloat64 {
		return math.MaxFloat64
	}
	if x < -math.MaxFloat64 {
		return -math.MaxFloat64
	}
	return x
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// binOf returns the bin of x (the missing bin for NaN): the number of upper bounds below x.
func (m *binMapper) binOf(x float64) uint8 {
	if x != x {
		return uint8(m.nb)
	}
	x = clampInf(x)
	s := &m.search
	b := b2i(x > s[127]) << 7
	b += b2i(x > s[(b+63)&255]) << 6
	b += b2i(x > s[(b+31)&255]) << 5
	b += b2i(x > s[(b+15)&255]) << 4
	b += b2i(x > s[(b+7)&255]) << 3
	b += b2i(x > s[(b+3)&255]) << 2
	b += b2i(x > s[(b+1)&255]) << 1
	b += b2i(x > s[b&255])
	return uint8(b)
}

// upper returns the raw threshold of "bin <= t"; t == nb-1 means every value (only NaN goes right).
func (m *binMapper) upper(t int) float64 {
	if t >= m.nb-1 {
		return math.MaxFloat64
	}
	return m.search[t]
}

// newBinMapper finds at most maxBin quantile bins over the (unsorted, NaN-free) sample values.
// vals is sorted in place; keys and tmp are scratch space at least as long as vals.
func newBinMapper(vals []float64, keys, tmp []uint64, maxBin int) binMapper {
	var m binMapper
	for i := range m.search {
		m.search[i] = math.Inf(1)
	}
	if len(vals) == 0 {
		return m
	}
	for i, v := range vals {
		vals[i] = clampInf(v)
	}
	radixSort(vals, keys, tmp)
	// distinct values (written over vals, which stays ahead) and their counts (in tmp, free
	// once sorted)
	distinct := vals[:0]
	counts := tmp[:0]
	for i, v := range vals {
		if i > 0 && v == distinct[len(distinct)-1] {
			counts[len(counts)-1]++
			continue
		}
		distinct = append(distinct, v)
		counts = append(counts, 1)
	}
	var cuts []int // bin boundaries lie between distinct[c] and distinct[c+1]
	if len(distinct) <= maxBin {
		for c := 0; c < len(distinct)-1; c++ {
			cuts = append(cuts, c)
		}
	} else {
		rest, restBins, cur := len(vals), maxBin, 0
		for c := 0; c < len(distinct)-1 && restBins > 1; c++ {
			cur += int(counts[c])
			target := float64(rest) / float64(restBins)
			next := float64(cur + int(counts[c+1]))
			// cut when the bin is full, or when adding the next value would overshoot the
			// target by more than stopping here falls short of it (so a heavy value starts
			// a bin of its own)
			if float64(cur) >= target || next > target && target-float64(cur) < next-target {
				cuts = append(cuts, c)
				rest -= cur
				restBins--
				cur = 0
			}
		}
	}
	m.nb = len(cuts) + 1
	for j, c := range cuts {
		a, b := distinct[c], distinct[c+1]
		mid := a/2 + b/2
		if !(mid >= a && mid < b) {
			mid = a
		}
		m.search[j] = mid
	}
	return m
}

// sampleRows returns the sorted rows used for binning: all rows when n <= binSampleCount,
// otherwise binSampleCount rows drawn with r.
func sampleRows(n int, r *rng) []int32 {
	if n <= binSampleCount {
		return nil
	}
	return r.selectSorted(n, binSampleCount)
}

// radixSort sorts NaN-free vals ascending (-0 before +0) with an LSD radix sort on the
// order-preserving bit pattern; keys and tmp must be at least as long as vals.
func radixSort(vals []float64, keys, tmp []uint64) {
	n := len(vals)
	if n < 256 {
		insertionSort(vals)
		return
	}
	keys, tmp = keys[:n], tmp[:n]
	for i, v := range vals {
		k := math.Float64bits(v)
		if k>>63 != 0 {
			keys[i] = ^k
		} else {
			keys[i] = k | 1<<63
		}
	}
	const bits = 11
	const buckets = 1 << bits
	var count [buckets]int
	src, dst := keys, tmp
	for shift := uint(0); shift < 64; shift += bits {
		clear(count[:])
		for _, k := range src {
			count[k>>shift&(buckets-1)]++
		}
		if count[src[0]>>shift&(buckets-1)] == n {
			continue // every key shares this digit
		}
		sum := 0
		for d := range count {
			c := count[d]
			count[d] = sum
			sum += c
		}
		for _, k := range src {
			d := k >> shift & (buckets - 1)
			dst[count[d]] = k
			count[d]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		if k>>63 != 0 {
			vals[i] = math.Float64frombits(k &^ (1 << 63))
		} else {
			vals[i] = math.Float64frombits(^k)
		}
	}
}

func insertionSort(v []float64) {
	for i := 1; i < len(v); i++ {
		x := v[i]
		j := i
		for ; j > 0 && v[j-1] > x; j-- {
			v[j] = v[j-1]
		}
		v[j] = x
	}
}
