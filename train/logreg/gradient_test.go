package logreg

import (
	"math"
	"testing"
)

// TestGradientCountsEveryRow checks the objective's gradient against a hand computation on
// data whose rows cancel in pairs except the last one, for row counts that leave an odd
// number of rows in the last block (the two-accumulator loop must not drop that row). At
// θ = 0, σ = 1/2, so ∂/∂β_j = Σ_i (1/2 − y_i)·x_ij: the cancelling rows add 0 and the last
// row (x = 100·(j+1), y = 0) adds 50·(j+1); the intercept's entry is 1/2.
func TestGradientCountsEveryRow(t *testing.T) {
	for _, n := range []int{1, 3, 5, blockRows + 1, blockRows + 7, 2*blockRows + 3} {
		for _, d := range []int{1, 2, 3} {
			cols := make([][]float64, d)
			y := make([]float64, n)
			for j := range cols {
				cols[j] = make([]float64, n)
				for i := range n - 1 {
					cols[j][i] = float64(j + 1)
					y[i] = float64(i % 2)
				}
				cols[j][n-1] = 100 * float64(j+1)
			}
			y[n-1] = 0
			if n == 1 { // Fit needs both classes: one more row of class 1 with x = 0 adds nothing
				for j := range cols {
					cols[j] = append(cols[j], 0)
				}
				y = append(y, 1)
			}
			p := DefaultParams()
			p.MaxIter = 0 // stay at θ = 0
			p.Penalty = PenaltyNone
			m, err := Fit(cols, y, p)
			if err != nil {
				t.Fatal(err)
			}
			// GradNorm is max_j |∂f/∂θ_j| of the unscaled objective.
			want := 50 * float64(d)
			if math.Abs(m.GradNorm-want) > 1e-9*want {
				t.Errorf("n=%d d=%d: gradient max norm %v, want %v", n, d, m.GradNorm, want)
			}
			// The loss at θ = 0 is (rows)·log 2 whatever the data.
			if rows := float64(len(y)); math.Abs(m.Objective-rows*math.Ln2) > 1e-9*rows {
				t.Errorf("n=%d d=%d: objective %v, want %v", n, d, m.Objective, rows*math.Ln2)
			}
		}
	}
}
