package gbdt

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// rankAUC is the ROC AUC by the Mann-Whitney rank formula with tied scores sharing their mean rank.
func rankAUC(t *testing.T, score, y []float64) float64 {
	t.Helper()
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSumPos, nPos, nNeg float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] > 0 {
				rankSumPos += mean
			}
		}
		i = j
	}
	for _, v := range y {
		if v > 0 {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		t.Fatal("rankAUC needs both classes")
	}
	return (rankSumPos - nPos*(nPos+1)/2) / (nPos * nNeg)
}

// refLeaf walks a tree for one row with its own reading of the documented routing rule.
func refLeaf(t Tree, row func(f int) float64) (leaf, depth int) {
	if len(t.SplitFeature) == 0 {
		return 0, 0
	}
	node := 0
	for {
		x := row(int(t.SplitFeature[node]))
		var next int32
		switch {
		case math.IsNaN(x) && t.DefaultLeft[node]:
			next = t.LeftChild[node]
		case math.IsNaN(x):
			next = t.RightChild[node]
		case x <= t.Threshold[node] || math.IsInf(x, 1) && t.Threshold[node] == math.MaxFloat64:
			next = t.LeftChild[node]
		default:
			next = t.RightChild[node]
		}
		depth++
		if next < 0 {
			return int(-next - 1), depth
		}
		node = int(next)
	}
}

func colRow(cols [][]float64, i int) func(int) float64 {
	return func(f int) float64 { return cols[f][i] }
}

// randCols makes n rows of nf uniform(-1, 1) features.
func randCols(r *rand.Rand, n, nf int) [][]float64 {
	cols := make([][]float64, nf)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := range cols[j] {
			cols[j][i] = 2*r.Float64() - 1
		}
	}
	return cols
}

func binaryParams(rounds int) Params {
	p := DefaultParams()
	p.Objective = ObjectiveBinary
	p.NumIterations = rounds
	return p
}

func mustFit(t *testing.T, cols [][]float64, y []float64, p Params) *Model {
	t.Helper()
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	return m
}

func mustPredict(t *testing.T, m *Model, cols [][]float64) []float64 {
	t.Helper()
	out := make([]float64, len(cols[0]))
	if err := m.Predict(cols, out); err != nil {
		t.Fatalf("Predict: %v", err)
	}
	return out
}

// refStump is an exact greedy search (every midpoint of distinct values, no missing values)
// for the best single split of the first LightGBM round, written independently of the trainer.
type refStump struct {
	feature          int
	threshold        float64
	leftVal, rightVl float64
	init             float64
}

func referenceStump(cols [][]float64, y []float64, wPos float64, l1, l2, lr float64, minData int) refStump {
	n := len(y)
	pos := 0.0
	for _, v := range y {
		pos += v
	}
	pavg := pos / float64(n)
	init := math.Log(pavg / (1 - pavg))
	g := make([]float64, n)
	h := make([]float64, n)
	for i, v := range y {
		w := 1.0
		if v == 1 {
			w = wPos
		}
		g[i] = (pavg - v) * w
		h[i] = pavg * (1 - pavg) * w
	}
	soft := func(s float64) float64 { return math.Copysign(math.Max(math.Abs(s)-l1, 0), s) }
	score := func(G, H float64) float64 { return soft(G) * soft(G) / (H + l2) }
	best := refStump{feature: -1}
	bestGain := 0.0
	for f, col := range cols {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return col[idx[a]] < col[idx[b]] })
		var GT, HT float64
		for i := range g {
			GT += g[i]
			HT += h[i]
		}
		var GL, HL float64
		for k := 0; k < n-1; k++ {
			GL += g[idx[k]]
			HL += h[idx[k]]
			a, b := col[idx[k]], col[idx[k+1]]
			if a == b || k+1 < minData || n-k-1 < minData {
				continue
			}
			gain := score(GL, HL) + score(GT-GL, HT-HL) - score(GT, HT)
			if gain > bestGain+1e-12 {
				bestGain = gain
				best = refStump{feature: f, threshold: (a + b) / 2,
					leftVal: -lr * soft(GL) / (HL + l2), rightVl: -lr * soft(GT-GL) / (HT - HL + l2), init: init}
			}
		}
	}
	return best
}
