package backtest

import "math"

// MeanDistance is a simple score from prices alone: scale × (x / mean of the last w values − 1),
// NaN for the first w−1 rows. Benchmarks and the demo use it as a stand-in for a model's score.
func MeanDistance(x []float64, w int, scale float64) []float64 {
	out := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		sum += v
		if i >= w {
			sum -= x[i-w]
		}
		if i < w-1 {
			out[i] = math.NaN()
			continue
		}
		out[i] = scale * (v/(sum/float64(w)) - 1)
	}
	return out
}
