package mlp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchData returns n rows of d standard-normal features (column-major) and a noisy
// non-linear 0/1 label.
func benchData(n, d int) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(7, 7))
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := range cols[j] {
			cols[j][i] = rng.NormFloat64()
		}
	}
	y := make([]float64, n)
	for i := range y {
		s := cols[0][i]*cols[1%d][i] + math.Sin(cols[2%d][i]) + 0.5*rng.NormFloat64()
		if s > 0 {
			y[i] = 1
		}
	}
	return cols, y
}

func benchEpoch(b *testing.B, layers []int) {
	cols, y := benchData(500_000, 13)
	p := DefaultParams()
	p.Layers = layers
	p.Epochs = 1
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(cols, y, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEpoch500kx13 times Fit for one epoch over 500,000 rows x 13 features with ITB's
// default network (hidden [13/4 = 3], sigmoid, batch 1024), including input validation and
// the row-major copy.
func BenchmarkEpoch500kx13(b *testing.B) { benchEpoch(b, nil) }

// BenchmarkEpoch500kx13_32x16 is BenchmarkEpoch500kx13 with hidden layers [32, 16].
func BenchmarkEpoch500kx13_32x16(b *testing.B) { benchEpoch(b, []int{32, 16}) }
