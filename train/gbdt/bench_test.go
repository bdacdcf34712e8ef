package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthData makes n rows of nf standard-normal features and a nonlinear, noisy 0/1 label.
func synthData(n, nf int, seed uint64) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	cols := make([][]float64, nf)
	for j := range cols {
		c := make([]float64, n)
		for i := range c {
			c[i] = r.NormFloat64()
		}
		cols[j] = c
	}
	y := make([]float64, n)
	at := func(j, i int) float64 { return cols[j%nf][i] }
	for i := range y {
		z := at(0, i)*at(1, i) + math.Sin(2*at(2, i)) + at(3, i)*at(3, i) - 1 +
			0.5*at(4, i)*at(5, i) + 0.3*at(6, i) + 0.5*r.NormFloat64()
		if z > 0 {
			y[i] = 1
		}
	}
	return cols, y
}

func benchFit(b *testing.B, n, nf int, p Params) {
	cols, y := synthData(n, nf, 42)
	b.ResetTimer()
	for b.Loop() {
		m, err := Fit(cols, y, p)
		if err != nil {
			b.Fatal(err)
		}
		if len(m.Trees) != p.NumIterations {
			b.Fatalf("%d trees, want %d", len(m.Trees), p.NumIterations)
		}
	}
}

func benchParams(rounds, depth, leaves int) Params {
	p := DefaultParams()
	p.Objective = ObjectiveBinary
	p.NumIterations = rounds
	p.MaxDepth = depth
	p.NumLeaves = leaves
	return p
}

// BenchmarkFit500kx100Depth6Leaves63: 500,000 × 100, 100 rounds, max_depth 6, num_leaves 63.
func BenchmarkFit500kx100Depth6Leaves63(b *testing.B) {
	benchFit(b, 500000, 100, benchParams(100, 6, 63))
}

// BenchmarkFit500kx100Depth6Leaves31: as above with LightGBM's default num_leaves 31.
func BenchmarkFit500kx100Depth6Leaves31(b *testing.B) {
	benchFit(b, 500000, 100, benchParams(100, 6, 31))
}

// BenchmarkFit525kx13Depth4Rounds300: 525,000 × 13, 300 rounds, max_depth 4.
func BenchmarkFit525kx13Depth4Rounds300(b *testing.B) {
	benchFit(b, 525000, 13, benchParams(300, 4, 31))
}

// BenchmarkFitITBLegacy525kx13: ITB's legacy gb defaults (cross_entropy, max_depth 1,
// learning_rate 0.01, 1500 rounds, lambda_l1 = lambda_l2 = 1) on 525,000 × 13.
func BenchmarkFitITBLegacy525kx13(b *testing.B) {
	p := benchParams(1500, 1, 31)
	p.Objective = ObjectiveCrossEntropy
	p.LearningRate = 0.01
	p.LambdaL1, p.LambdaL2 = 1, 1
	benchFit(b, 525000, 13, p)
}

// BenchmarkPredict500kx100: raw scores of 500,000 × 100 rows through 100 depth-6 trees.
func BenchmarkPredict500kx100(b *testing.B) {
	cols, y := synthData(500000, 100, 42)
	m, err := Fit(cols, y, benchParams(100, 6, 63))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, len(y))
	b.ResetTimer()
	for b.Loop() {
		if err := m.PredictRaw(cols, out); err != nil {
			b.Fatal(err)
		}
	}
}
