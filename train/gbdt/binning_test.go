package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func mapperOf(vals []float64, maxBin int) binMapper {
	v := append([]float64(nil), vals...)
	return newBinMapper(v, make([]uint64, len(v)), make([]uint64, len(v)), maxBin)
}

func TestBinsFewDistinctValues(t *testing.T) {
	m := mapperOf([]float64{3, 1, 2, 2, 3, 10, 1}, 255)
	if m.nb != 4 {
		t.Fatalf("%d bins for 4 distinct values", m.nb)
	}
	for i, want := range []float64{1.5, 2.5, 6.5} {
		if m.upper(i) != want {
			t.Errorf("bound %d = %v, want %v", i, m.upper(i), want)
		}
	}
	if m.upper(3) != math.MaxFloat64 {
		t.Errorf("last bin bound %v, want MaxFloat64", m.upper(3))
	}
	for _, c := range []struct {
		x   float64
		bin uint8
	}{{-5, 0}, {1, 0}, {1.5, 0}, {1.6, 1}, {2.5, 1}, {3, 2}, {6.5, 2}, {7, 3}, {math.Inf(1), 3},
		{math.Inf(-1), 0}, {math.NaN(), 4}} {
		if got := m.binOf(c.x); got != c.bin {
			t.Errorf("binOf(%v) = %d, want %d", c.x, got, c.bin)
		}
	}
}

func TestBinsAreQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	n := 100000
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = math.Exp(3 * r.NormFloat64()) // very skewed
	}
	for _, maxBin := range []int{2, 16, 255} {
		m := mapperOf(vals, maxBin)
		if m.nb != maxBin {
			t.Fatalf("max_bin %d: %d bins", maxBin, m.nb)
		}
		counts := make([]int, m.nb)
		for _, v := range vals {
			counts[m.binOf(v)]++
		}
		want := float64(n) / float64(maxBin)
		for b, c := range counts {
			if math.Abs(float64(c)-want) > 0.05*want+1 {
				t.Errorf("max_bin %d: bin %d holds %d values, want about %.0f", maxBin, b, c, want)
			}
		}
	}
	// a value repeated in half the rows keeps its own bin and does not eat the others
	for i := 0; i < n/2; i++ {
		vals[i] = 1
	}
	m := mapperOf(vals, 32)
	if m.nb < 20 {
		t.Errorf("only %d bins with a heavy atom", m.nb)
	}
	inBin := 0
	for _, v := range vals {
		if m.binOf(v) == m.binOf(1) {
			inBin++
		}
	}
	if inBin != n/2 {
		t.Errorf("the bin of the atom at 1 holds %d values, want only the %d ones", inBin, n/2)
	}
}

func TestRadixSort(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{0, 1, 5, 255, 256, 1000, 70000} {
		vals := make([]float64, n)
		for i := range vals {
			switch i % 7 {
			case 0:
				vals[i] = r.NormFloat64() * 1e-300
			case 1:
				vals[i] = math.Copysign(0, -1)
			case 2:
				vals[i] = float64(r.IntN(5) - 2)
			case 3:
				vals[i] = -math.MaxFloat64
			default:
				vals[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
			}
		}
		want := append([]float64(nil), vals...)
		slices.Sort(want)
		radixSort(vals, make([]uint64, n), make([]uint64, n))
		for i := range vals {
			if vals[i] != want[i] {
				t.Fatalf("n=%d: position %d is %v, want %v", n, i, vals[i], want[i])
			}
		}
	}
}
