package gbdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// xorData: label = sign(x1)·sign(x2) > 0, 2% of labels flipped (the best possible AUC is
// then 0.98), plus three noise features.
func xorData(r *rand.Rand, n int) ([][]float64, []float64) {
	cols := randCols(r, n, 5)
	y := make([]float64, n)
	for i := range y {
		if cols[0][i]*cols[1][i] > 0 {
			y[i] = 1
		}
		if r.Float64() < 0.02 {
			y[i] = 1 - y[i]
		}
	}
	return cols, y
}

// linearAUC fits a logistic regression by plain gradient descent and returns its held-out AUC.
func linearAUC(t *testing.T, cols [][]float64, y []float64, test [][]float64, ty []float64) float64 {
	w := make([]float64, len(cols)+1)
	for it := 0; it < 300; it++ {
		grad := make([]float64, len(w))
		for i := range y {
			z := w[len(cols)]
			for j := range cols {
				z += w[j] * cols[j][i]
			}
			d := 1/(1+math.Exp(-z)) - y[i]
			for j := range cols {
				grad[j] += d * cols[j][i]
			}
			grad[len(cols)] += d
		}
		for j := range w {
			w[j] -= 0.5 * grad[j] / float64(len(y))
		}
	}
	s := make([]float64, len(ty))
	for i := range s {
		s[i] = w[len(cols)]
		for j := range test {
			s[i] += w[j] * test[j][i]
		}
	}
	return rankAUC(t, s, ty)
}

func TestXORHeldOutAUC(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cols, y := xorData(r, 4000)
	tcols, ty := xorData(r, 2000)
	if auc := linearAUC(t, cols, y, tcols, ty); auc > 0.6 {
		t.Fatalf("the data should defeat a linear model, its AUC is %.3f", auc)
	}
	p := binaryParams(100)
	p.NumLeaves = 15
	m := mustFit(t, cols, y, p)
	auc := rankAUC(t, mustPredict(t, m, tcols), ty)
	t.Logf("gb held-out AUC %.4f", auc)
	if auc <= 0.95 {
		t.Fatalf("held-out AUC %.4f, want > 0.95", auc)
	}
}

// TestStumpHandComputed checks one split against numbers worked out by hand.
// x = 1..9, y = 0 0 0 0 1 0 1 1 1: p̄ = 4/9, init = log(4/5); every row has h = p̄(1-p̄) = 20/81,
// g = 4/9 (y=0) or -5/9 (y=1). With λ1 = 0.1, λ2 = 1 the best cut is after x = 4
// (gain 2.6759 against 2.3991 after x = 6): left G = 16/9, H = 80/81; right G = -16/9, H = 100/81.
func TestStumpHandComputed(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := []float64{0, 0, 0, 0, 1, 0, 1, 1, 1}
	p := binaryParams(1)
	p.NumLeaves = 2
	p.MinDataInLeaf = 1
	p.MinSumHessianInLeaf = 0
	p.LambdaL1 = 0.1
	p.LambdaL2 = 1
	p.LearningRate = 0.5
	m := mustFit(t, [][]float64{x}, y, p)
	if len(m.Trees) != 1 || len(m.Trees[0].SplitFeature) != 1 {
		t.Fatalf("want one stump, got %+v", m.Trees)
	}
	tr := m.Trees[0]
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %.15g, want %.15g", name, got, want)
		}
	}
	near("init score", m.InitScore, math.Log(4.0/5.0))
	near("threshold", tr.Threshold[0], 4.5)
	near("left leaf", tr.LeafValue[^tr.LeftChild[0]], -0.5*(16.0/9-0.1)/(80.0/81+1))
	near("right leaf", tr.LeafValue[^tr.RightChild[0]], -0.5*(-16.0/9+0.1)/(100.0/81+1))
	if c := tr.LeafCount[^tr.LeftChild[0]]; c != 4 {
		t.Errorf("left leaf count %d, want 4", c)
	}
	raw := make([]float64, 2)
	if err := m.PredictRaw([][]float64{{4.5, 4.5000001}}, raw); err != nil {
		t.Fatal(err)
	}
	near("raw(4.5)", raw[0], math.Log(0.8)-0.5*(16.0/9-0.1)/(80.0/81+1))
	near("raw(4.5+)", raw[1], math.Log(0.8)-0.5*(-16.0/9+0.1)/(100.0/81+1))
}

// TestStumpMatchesExactSearch compares first-round stumps with an exact greedy search, with
// and without positive-class weights (is_unbalance, scale_pos_weight).
func TestStumpMatchesExactSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 200 // fewer distinct values than max_bin: the bins are exact
	cols := randCols(r, n, 4)
	y := make([]float64, n)
	pos := 0
	for i := range y {
		if cols[2][i]+0.3*cols[1][i]+0.4*r.NormFloat64() > 0.4 {
			y[i] = 1
			pos++
		}
	}
	for _, tc := range []struct {
		name      string
		unbalance bool
		spw, wPos float64
	}{
		{"plain", false, 1, 1},
		{"is_unbalance", true, 1, float64(n-pos) / float64(pos)},
		{"scale_pos_weight", false, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := binaryParams(1)
			p.NumLeaves = 2
			p.MinDataInLeaf = 10
			p.MinSumHessianInLeaf = 0
			p.LambdaL1 = 0.05
			p.LambdaL2 = 2
			p.LearningRate = 0.3
			p.IsUnbalance = tc.unbalance
			p.ScalePosWeight = tc.spw
			m := mustFit(t, cols, y, p)
			ref := referenceStump(cols, y, tc.wPos, p.LambdaL1, p.LambdaL2, p.LearningRate, p.MinDataInLeaf)
			tr := m.Trees[0]
			if int(tr.SplitFeature[0]) != ref.feature || math.Abs(tr.Threshold[0]-ref.threshold) > 1e-12 {
				t.Fatalf("split feature %d at %v, want %d at %v", tr.SplitFeature[0], tr.Threshold[0], ref.feature, ref.threshold)
			}
			for _, c := range []struct {
				got, want float64
			}{{m.InitScore, ref.init}, {tr.LeafValue[^tr.LeftChild[0]], ref.leftVal}, {tr.LeafValue[^tr.RightChild[0]], ref.rightVl}} {
				if math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("got %.12g, want %.12g", c.got, c.want)
				}
			}
		})
	}
}

// TestMissingValuesCarrySignal: NaN rows behave like one side of the split, or are a class of
// their own; the learned default direction must follow them, at training and at prediction.
func TestMissingValuesCarrySignal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 3000
	make1 := func(nanLabel float64) ([][]float64, []float64) {
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = 2*r.Float64() - 1
			if x[i] > 0 {
				y[i] = 1
			}
			if i%4 == 0 {
				x[i] = math.NaN()
				y[i] = nanLabel
			}
		}
		return [][]float64{x}, y
	}
	for _, tc := range []struct {
		name        string
		nanLabel    float64
		defaultLeft bool
	}{{"NaN like low values", 0, true}, {"NaN like high values", 1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			cols, y := make1(tc.nanLabel)
			p := binaryParams(1)
			p.NumLeaves = 2
			m := mustFit(t, cols, y, p)
			tr := m.Trees[0]
			if math.Abs(tr.Threshold[0]) > 0.05 {
				t.Errorf("threshold %v, want about 0", tr.Threshold[0])
			}
			if tr.DefaultLeft[0] != tc.defaultLeft {
				t.Errorf("default left = %v, want %v", tr.DefaultLeft[0], tc.defaultLeft)
			}
			// the NaN rows are in the leaf they were sent to
			wantLeft := 0
			for i := range y {
				if cols[0][i] <= tr.Threshold[0] || math.IsNaN(cols[0][i]) && tc.defaultLeft {
					wantLeft++
				}
			}
			if got := int(tr.LeafCount[^tr.LeftChild[0]]); got != wantLeft {
				t.Errorf("left leaf holds %d rows, want %d", got, wantLeft)
			}
			out := mustPredict(t, m, [][]float64{{math.NaN(), -0.5, 0.5}})
			same := out[1]
			if !tc.defaultLeft {
				same = out[2]
			}
			if out[0] != same || out[1] == out[2] {
				t.Errorf("predictions NaN, -0.5, 0.5 = %v: NaN should match the %v side", out, tc.defaultLeft)
			}
		})
	}
	t.Run("NaN is its own class", func(t *testing.T) {
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64()
			if r.Float64() < 0.1 {
				y[i] = 1
			}
			if i%5 == 0 {
				x[i] = math.NaN()
				y[i] = 1
				if r.Float64() < 0.1 {
					y[i] = 0
				}
			}
		}
		p := binaryParams(20)
		p.NumLeaves = 4
		m := mustFit(t, [][]float64{x}, y, p)
		root := m.Trees[0]
		if root.Threshold[0] != math.MaxFloat64 || root.DefaultLeft[0] {
			t.Errorf("root split %v default left %v, want NaN-vs-rest (threshold MaxFloat64, NaN right)",
				root.Threshold[0], root.DefaultLeft[0])
		}
		out := mustPredict(t, m, [][]float64{{math.NaN(), -1, 0, 1, math.Inf(1), math.Inf(-1)}})
		if out[0] < 0.8 {
			t.Errorf("P(y|NaN) = %.3f, want about 0.9", out[0])
		}
		for i, v := range out[1:] {
			if v > 0.2 {
				t.Errorf("P(y|x) = %.3f for non-NaN input %d, want about 0.1", v, i)
			}
		}
	})
}

func TestDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cols, y := xorData(r, 3000)
	for i := 0; i < len(y); i += 17 {
		cols[2][i] = math.NaN()
	}
	p := binaryParams(15)
	p.FeatureFraction = 0.6
	p.BaggingFraction = 0.7
	p.BaggingFreq = 2
	p.Seed = 11
	encode := func(p Params, procs int) []byte {
		t.Helper()
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		b, err := json.Marshal(mustFit(t, cols, y, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := encode(p, 2)
	if b := encode(p, 2); !bytes.Equal(a, b) {
		t.Fatal("two fits with the same seed differ")
	}
	if b := encode(p, 1); !bytes.Equal(a, b) {
		t.Fatal("GOMAXPROCS 1 and 2 give different models")
	}
	p1 := p
	p1.NumThreads = 1
	if b := encode(p1, 2); !bytes.Equal(a, b) {
		t.Fatal("num_threads 1 changes the model")
	}
	p2 := p
	p2.Seed = 12
	if b := encode(p2, 2); bytes.Equal(a, b) {
		t.Fatal("a different seed with feature/bagging fractions < 1 gives the same model")
	}
	// a large data set (binning uses a sample, histograms run on several goroutines)
	big, by := synthData(250000, 12, 9)
	pb := binaryParams(3)
	pb.FeatureFraction = 0.8
	fit := func(procs int) []byte {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		b, err := json.Marshal(mustFit(t, big, by, pb))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(fit(1), fit(2)) {
		t.Fatal("GOMAXPROCS 1 and 2 give different models on 250k rows")
	}
	// many feature groups: histograms are split by feature instead of by rows
	big, by = synthData(70000, 70, 10)
	if !bytes.Equal(fit(1), fit(2)) {
		t.Fatal("GOMAXPROCS 1 and 2 give different models on 70 features")
	}
}

func TestTreeConstraints(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n := 5000
	cols := randCols(r, n, 6)
	y := make([]float64, n)
	for i := range y {
		if math.Sin(3*cols[0][i])+cols[1][i]*cols[2][i]+0.3*r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	for _, tc := range []struct {
		leaves, depth, minData int
	}{{7, -1, 50}, {31, 3, 20}, {12, 6, 200}, {2, 1, 1}} {
		p := binaryParams(10)
		p.NumLeaves, p.MaxDepth, p.MinDataInLeaf = tc.leaves, tc.depth, tc.minData
		m := mustFit(t, cols, y, p)
		maxLeaves := tc.leaves
		if tc.depth > 0 {
			maxLeaves = min(maxLeaves, 1<<tc.depth)
		}
		sawFull := false
		for k, tr := range m.Trees {
			nl := len(tr.LeafValue)
			if nl > maxLeaves {
				t.Errorf("%+v tree %d: %d leaves, limit %d", tc, k, nl, maxLeaves)
			}
			sawFull = sawFull || nl == maxLeaves
			counts := make([]int, nl)
			for i := 0; i < n; i++ {
				leaf, depth := refLeaf(tr, colRow(cols, i))
				counts[leaf]++
				if tc.depth > 0 && depth > tc.depth {
					t.Fatalf("%+v tree %d: row %d at depth %d", tc, k, i, depth)
				}
			}
			for leaf, c := range counts {
				if c < tc.minData {
					t.Errorf("%+v tree %d: leaf %d holds %d rows, min_data_in_leaf %d", tc, k, leaf, c, tc.minData)
				}
				if c != int(tr.LeafCount[leaf]) {
					t.Errorf("%+v tree %d: leaf %d holds %d rows, leaf_count says %d", tc, k, leaf, c, tr.LeafCount[leaf])
				}
			}
		}
		if !sawFull {
			t.Errorf("%+v: no tree reached its leaf limit %d; the test is not exercising it", tc, maxLeaves)
		}
	}
}

func TestBaggingAndFeatureFraction(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 2000
	cols := randCols(r, n, 10)
	y := make([]float64, n)
	for i := range y {
		s := 0.0
		for j := range cols {
			s += cols[j][i]
		}
		if s+0.5*r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	p := binaryParams(20)
	p.FeatureFraction = 0.3
	p.BaggingFraction = 0.5
	p.BaggingFreq = 1
	p.MinDataInLeaf = 5
	m := mustFit(t, cols, y, p)
	for k, tr := range m.Trees {
		feats := map[int32]bool{}
		for _, f := range tr.SplitFeature {
			feats[f] = true
		}
		if len(feats) > 3 {
			t.Errorf("tree %d splits on %d features, feature_fraction allows 3", k, len(feats))
		}
		total := 0
		for _, c := range tr.LeafCount {
			total += int(c)
		}
		if total != n/2 {
			t.Errorf("tree %d was grown on %d rows, want the bag of %d", k, total, n/2)
		}
	}
	auc := rankAUC(t, mustPredict(t, m, cols), y)
	if auc < 0.8 {
		t.Errorf("training AUC %.3f with sampling, want > 0.8", auc)
	}
}

func TestRegression(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	n := 3000
	cols := randCols(r, n, 3)
	y := make([]float64, n)
	mean := 0.0
	for i := range y {
		y[i] = 3*cols[0][i]*cols[0][i] + cols[1][i] + 0.1*r.NormFloat64() + 5
		mean += y[i] / float64(n)
	}
	p := DefaultParams() // LightGBM's default objective is regression
	m := mustFit(t, cols, y, p)
	if m.Objective != ObjectiveRegression || math.Abs(m.InitScore-mean) > 1e-9 {
		t.Fatalf("objective %q init %v, want regression starting at the mean %v", m.Objective, m.InitScore, mean)
	}
	pred := mustPredict(t, m, cols)
	var sse, sst float64
	for i := range y {
		sse += (y[i] - pred[i]) * (y[i] - pred[i])
		sst += (y[i] - mean) * (y[i] - mean)
	}
	if r2 := 1 - sse/sst; r2 < 0.95 {
		t.Errorf("R² %.3f, want > 0.95", r2)
	}
	if err := m.PredictProba(cols, pred); !errors.Is(err, ErrModel) {
		t.Errorf("PredictProba on a regression model: %v, want ErrModel", err)
	}
}

func TestCrossEntropyAndProbabilities(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	cols, y := xorData(r, 2000)
	p := binaryParams(30)
	p.Objective = ObjectiveCrossEntropy
	m := mustFit(t, cols, y, p)
	prob := mustPredict(t, m, cols)
	raw := make([]float64, len(y))
	if err := m.PredictRaw(cols, raw); err != nil {
		t.Fatal(err)
	}
	proba := make([]float64, len(y))
	if err := m.PredictProba(cols, proba); err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		if math.Abs(prob[i]-1/(1+math.Exp(-raw[i]))) > 1e-15 || prob[i] != proba[i] {
			t.Fatalf("row %d: Predict %v, PredictProba %v, sigmoid(raw) %v", i, prob[i], proba[i], 1/(1+math.Exp(-raw[i])))
		}
	}
	if auc := rankAUC(t, prob, y); auc < 0.9 {
		t.Errorf("training AUC %.3f", auc)
	}
	// soft labels are allowed for cross_entropy
	soft := append([]float64(nil), y...)
	soft[0], soft[1] = 0.3, 0.7
	if _, err := Fit(cols, soft, p); err != nil {
		t.Errorf("cross_entropy with labels in [0,1]: %v", err)
	}
}

func TestModelJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	cols, y := xorData(r, 1500)
	cols[3][5] = math.NaN()
	p := binaryParams(10)
	m := mustFit(t, cols, y, p)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Params, p) { // OnRound is nil on both sides
		t.Errorf("params after round trip %+v, want %+v", back.Params, p)
	}
	want, got := mustPredict(t, m, cols), mustPredict(t, &back, cols)
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("row %d: %v after round trip, %v before", i, got[i], want[i])
		}
	}
	// the stored params parse back with ParseParams
	pb, _ := json.Marshal(p)
	if q, err := ParseParams(pb); err != nil || !reflect.DeepEqual(q, p) {
		t.Errorf("ParseParams(Marshal(p)) = %+v, %v", q, err)
	}
}

func TestBadInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	cols, y := xorData(r, 500)
	p := binaryParams(5)
	check := func(name string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", name, err, want)
		}
	}
	ones := make([]float64, len(y))
	for i := range ones {
		ones[i] = 1
	}
	_, err := Fit(cols, ones, p)
	check("one class", err, ErrOneClass)
	pc := p
	pc.Objective = ObjectiveCrossEntropy
	_, err = Fit(cols, make([]float64, len(y)), pc)
	check("one class (cross_entropy)", err, ErrOneClass)
	_, err = Fit(cols, y[:len(y)-1], p)
	check("labels shorter", err, ErrShape)
	short := append([][]float64(nil), cols...)
	short[2] = short[2][:10]
	_, err = Fit(short, y, p)
	check("ragged columns", err, ErrShape)
	_, err = Fit(nil, y, p)
	check("no columns", err, ErrShape)
	_, err = Fit([][]float64{{}}, nil, p)
	check("no rows", err, ErrShape)
	bad := append([]float64(nil), y...)
	bad[3] = 2
	_, err = Fit(cols, bad, p)
	check("label 2 for binary", err, ErrLabel)
	bad[3] = math.NaN()
	_, err = Fit(cols, bad, p)
	check("NaN label", err, ErrLabel)
	pz := p
	pz.NumLeaves = 1
	_, err = Fit(cols, y, pz)
	check("num_leaves 1", err, ErrParam)

	_, err = ParseParams(json.RawMessage(`{"objective":"binary","num_leafs":31}`))
	check("unknown parameter", err, ErrParam)
	if err == nil || !strings.Contains(err.Error(), `"num_leafs"`) {
		t.Errorf("unknown parameter error %q should name the key", err)
	}

	m := mustFit(t, cols, y, p)
	out := make([]float64, len(y))
	check("predict with a missing column", m.Predict(cols[:4], out), ErrShape)
	check("predict with a short output", m.Predict(cols, out[:3]), ErrShape)
	broken := *m
	broken.Trees = append([]Tree(nil), m.Trees...)
	tr := broken.Trees[0]
	tr.LeftChild = append([]int32(nil), tr.LeftChild...)
	tr.LeftChild[0] = 0 // a cycle
	broken.Trees[0] = tr
	check("cyclic tree", broken.Predict(cols, out), ErrModel)
	var nilModel *Model
	check("nil model", nilModel.Predict(cols, out), ErrModel)
}

func TestDegenerateFeatures(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	n := 1000
	x := randCols(r, n, 1)[0]
	allNaN := make([]float64, n)
	constant := make([]float64, n)
	for i := range allNaN {
		allNaN[i] = math.NaN()
		constant[i] = 7
	}
	y := make([]float64, n)
	pos := 0.0
	for i := range y {
		if x[i]+0.3*r.NormFloat64() > 0 {
			y[i] = 1
			pos++
		}
	}
	p := binaryParams(10)
	m := mustFit(t, [][]float64{allNaN, x, constant}, y, p)
	if len(m.Trees) == 0 {
		t.Fatal("no trees, yet feature 1 is informative")
	}
	for k, tr := range m.Trees {
		for _, f := range tr.SplitFeature {
			if f != 1 {
				t.Fatalf("tree %d splits on feature %d, which is all-NaN or constant", k, f)
			}
		}
	}
	// only useless features: no tree, and the prediction is the base rate
	m = mustFit(t, [][]float64{allNaN, constant}, y, p)
	if len(m.Trees) != 0 {
		t.Fatalf("%d trees from all-NaN and constant features", len(m.Trees))
	}
	out := mustPredict(t, m, [][]float64{allNaN, constant})
	if math.Abs(out[0]-pos/float64(n)) > 1e-12 {
		t.Errorf("prediction %v, want the positive rate %v", out[0], pos/float64(n))
	}
	// a constant feature with some NaN can still split on "NaN or not"
	half := append([]float64(nil), constant...)
	for i := range half {
		if y[i] == 1 {
			half[i] = math.NaN()
		}
	}
	m = mustFit(t, [][]float64{half}, y, p)
	if len(m.Trees) == 0 || m.Trees[0].Threshold[0] != math.MaxFloat64 {
		t.Fatalf("constant-or-NaN feature: want a NaN-vs-rest split, got %+v", m.Trees)
	}
	// a huge gain threshold or L1 penalty stops every split
	for _, q := range []Params{{MinGainToSplit: 1e9}, {LambdaL1: 1e9}} {
		pp := p
		pp.MinGainToSplit, pp.LambdaL1 = q.MinGainToSplit, q.LambdaL1
		if m := mustFit(t, [][]float64{x}, y, pp); len(m.Trees) != 0 {
			t.Errorf("%+v: %d trees, want none", q, len(m.Trees))
		}
	}
}

func TestInfinitiesAndManyDistinctValues(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	n := 20000
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = r.ExpFloat64() * 1e3
		if i%50 == 0 {
			x[i] = math.Inf(1)
		}
		if i%70 == 0 {
			x[i] = math.Inf(-1)
		}
		if x[i] > 700 {
			y[i] = 1
		}
	}
	p := binaryParams(20)
	p.MaxBin = 63
	m := mustFit(t, [][]float64{x}, y, p)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("model with infinite inputs must stay JSON-encodable: %v", err)
	}
	_ = b
	pred := mustPredict(t, m, [][]float64{x})
	if auc := rankAUC(t, pred, y); auc < 0.99 {
		t.Errorf("AUC %.4f on a threshold rule with infinities", auc)
	}
	// every training row is routed as during training: the predicted leaf matches leaf counts
	for k, tr := range m.Trees[:3] {
		counts := make([]int, len(tr.LeafValue))
		for i := range x {
			leaf, _ := refLeaf(tr, func(int) float64 { return x[i] })
			counts[leaf]++
		}
		for leaf := range counts {
			if counts[leaf] != int(tr.LeafCount[leaf]) {
				t.Errorf("tree %d leaf %d: %d rows routed, %d at training", k, leaf, counts[leaf], tr.LeafCount[leaf])
			}
		}
	}
}

// TestTrainingScoresMatchPrediction checks the trainer's own bookkeeping: the raw score it
// accumulated for every training row (through leaf segments, lazily applied last splits and
// out-of-bag updates on bins) must equal, bit for bit, what the saved model predicts from the
// raw values and thresholds.
func TestTrainingScoresMatchPrediction(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	n := 4000
	cols := randCols(r, n, 9)
	y := make([]float64, n)
	for i := range y {
		if cols[0][i]*cols[1][i]+0.5*cols[2][i]+0.2*r.NormFloat64() > 0 {
			y[i] = 1
		}
		if i%9 == 0 {
			cols[1][i] = math.NaN()
		}
		if i%31 == 0 {
			cols[2][i] = math.Inf(1 - 2*(i%2))
		}
		cols[8][i] = float64(i % 3) // few distinct values
	}
	for _, tc := range []struct {
		name string
		set  func(*Params)
	}{
		{"depth-limited", func(p *Params) { p.MaxDepth = 3 }},
		{"leaf-limited", func(p *Params) { p.NumLeaves = 5 }},
		{"bagging", func(p *Params) { p.BaggingFraction, p.BaggingFreq, p.FeatureFraction = 0.6, 3, 0.7 }},
		{"regression", func(p *Params) { p.Objective = ObjectiveRegression; p.MaxDepth = 4 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := binaryParams(12)
			p.MinDataInLeaf = 10
			tc.set(&p)
			checkTrainedScores(t, cols, y, p)
		})
	}
	// more rows than the binning sample: most values were never seen when the bins were made
	t.Run("sampled bins", func(t *testing.T) {
		big, by := synthData(230000, 5, 3)
		p := binaryParams(3)
		p.BaggingFraction, p.BaggingFreq = 0.5, 1
		checkTrainedScores(t, big, by, p)
	})
}

func checkTrainedScores(t *testing.T, cols [][]float64, y []float64, p Params) {
	t.Helper()
	n := len(y)
	var trained []float64
	m, err := fit(cols, y, p, func(rows []int32, state []rowState) {
		raw := make([]float64, n)
		seen := make([]bool, n)
		for k, row := range rows {
			if seen[row] {
				t.Fatalf("row %d at two positions", row)
			}
			seen[row] = true
			raw[row] = state[k].score
			if state[k].y != y[row] {
				t.Fatalf("position %d carries the label of another row", k)
			}
		}
		trained = raw
	})
	if err != nil {
		t.Fatal(err)
	}
	if trained == nil {
		t.Fatal("hook not called")
	}
	if len(m.Trees) != p.NumIterations {
		t.Fatalf("%d trees", len(m.Trees))
	}
	pred := make([]float64, n)
	if err := m.PredictRaw(cols, pred); err != nil {
		t.Fatal(err)
	}
	for i := range pred {
		if pred[i] != trained[i] {
			t.Fatalf("row %d: trained score %v, predicted %v", i, trained[i], pred[i])
		}
	}
}

// TestLeafMinimaAtTheBoundary: the best cut isolates the 5 rows x < 5 (the only positives).
// min_data_in_leaf 5 allows it; 6 forbids it. The same with min_sum_hessian_in_leaf: every row
// has hessian 0.05·0.95 = 0.0475, so 5 rows hold 0.2375.
func TestLeafMinimaAtTheBoundary(t *testing.T) {
	n := 100
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
		if i < 5 {
			y[i] = 1
		}
	}
	for _, tc := range []struct {
		minData   int
		minHess   float64
		wantThres float64
	}{{5, 0, 4.5}, {6, 0, 5.5}, {1, 0.2375 - 1e-9, 4.5}, {1, 0.2375 + 1e-9, 5.5}} {
		p := binaryParams(1)
		p.NumLeaves = 2
		p.MinDataInLeaf = tc.minData
		p.MinSumHessianInLeaf = tc.minHess
		m := mustFit(t, [][]float64{x}, y, p)
		if got := m.Trees[0].Threshold[0]; got != tc.wantThres {
			t.Errorf("min_data %d, min_hessian %v: threshold %v, want %v", tc.minData, tc.minHess, got, tc.wantThres)
		}
	}
}

// TestHandWrittenModel reads a model written by hand and checks the documented routing:
// <= threshold goes left, NaN follows default_left, +Inf counts as MaxFloat64.
func TestHandWrittenModel(t *testing.T) {
	src := `{"objective":"binary","num_features":2,"init_score":0.5,"trees":[
		{"split_feature":[1,0],"threshold":[2,1.7976931348623157e308],"default_left":[true,false],
		 "left_child":[-1,-2],"right_child":[1,-3],"leaf_value":[-1,0.25,3]},
		{"split_feature":[],"threshold":[],"default_left":[],"left_child":[],"right_child":[],"leaf_value":[0.125]}]}`
	var m Model
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	nan, inf := math.NaN(), math.Inf(1)
	cols := [][]float64{{5, 5, 5, nan, inf, -inf}, {1, nan, 3, 3, inf, 2}}
	want := []float64{-0.375, -0.375, 0.875, 3.625, 0.875, -0.375}
	raw := make([]float64, len(want))
	if err := m.PredictRaw(cols, raw); err != nil {
		t.Fatal(err)
	}
	prob := mustPredict(t, &m, cols)
	for i := range want {
		if raw[i] != want[i] || math.Abs(prob[i]-1/(1+math.Exp(-want[i]))) > 1e-15 {
			t.Errorf("row %d: raw %v prob %v, want raw %v", i, raw[i], prob[i], want[i])
		}
	}
	m.Trees[0].LeftChild[1] = -1 // leaf 0 reached twice, leaf 1 never
	if err := m.PredictRaw(cols, raw); !errors.Is(err, ErrModel) {
		t.Errorf("a leaf used twice: %v, want ErrModel", err)
	}
}
