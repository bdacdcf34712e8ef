package train

import (
	"math"
)

// Scaler is scikit-learn's StandardScaler: (x - mean) / scale with the population standard
// deviation, a zero deviation treated as 1. It is fitted on the training rows and stored
// with the model.
type Scaler struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// FitScaler fits a scaler on column-major data (no NaN).
func FitScaler(cols [][]float64) *Scaler {
	s := &Scaler{Mean: make([]float64, len(cols)), Scale: make([]float64, len(cols))}
	for j, c := range cols {
		var sum float64
		for _, v := range c {
			sum += v
		}
		m := sum / float64(len(c))
		var ss float64
		for _, v := range c {
			d := v - m
			ss += d * d
		}
		sd := math.Sqrt(ss / float64(len(c)))
		if sd == 0 || math.IsNaN(sd) {
			sd = 1
		}
		s.Mean[j], s.Scale[j] = m, sd
	}
	return s
}

// TransformInPlace scales the columns in place.
func (s *Scaler) TransformInPlace(cols [][]float64) {
	for j, c := range cols {
		m, sc := s.Mean[j], s.Scale[j]
		for i, v := range c {
			c[i] = (v - m) / sc
		}
	}
}
