package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// refClass and refReg are scikit-learn reference cases (see sklearn_ref_test.go).
type refClass struct {
	name string
	y, s []float64
	want [5]float64 // auc, ap, f1, precision, recall
	line string
}

type refReg struct {
	name string
	y, h []float64
	want [8]float64 // mae, mape, r2, auc, ap, f1, precision, recall
	line string
}

func approx(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b))
}

func TestClassifySklearn(t *testing.T) {
	for _, rc := range refClassify {
		c, err := Classify(rc.y, rc.s)
		if err != nil {
			t.Fatalf("%s: %v", rc.name, err)
		}
		got := [5]float64{c.AUC, c.AP, c.F1, c.Precision, c.Recall}
		for k := range got {
			if !approx(got[k], rc.want[k]) {
				t.Errorf("%s: score %d = %.17g, sklearn %.17g", rc.name, k, got[k], rc.want[k])
			}
		}
		// sklearn 1.2 returns -0.0 as the AP of an all-negative y; tradectl writes 0.0.
		want := strings.Replace(rc.line, "'ap': -0.0", "'ap': 0.0", 1)
		if l := c.Line(rc.name); l != want {
			t.Errorf("line\n got %s\nwant %s", l, want)
		}
		if c.N != len(rc.y) || c.TP+c.FP+c.TN+c.FN != c.N || c.Dropped != 0 {
			t.Errorf("%s: counts %+v", rc.name, c)
		}
	}
}

func TestRegressSklearn(t *testing.T) {
	for _, rc := range refRegress {
		r, err := Regress(rc.y, rc.h)
		if err != nil {
			t.Fatalf("%s: %v", rc.name, err)
		}
		s := r.Sign
		got := [8]float64{r.MAE, r.MAPE, r.R2, s.AUC, s.AP, s.F1, s.Precision, s.Recall}
		for k := range got {
			if !approx(got[k], rc.want[k]) {
				t.Errorf("%s: score %d = %.17g, sklearn %.17g", rc.name, k, got[k], rc.want[k])
			}
		}
		if l := r.Line(rc.name); l != rc.line {
			t.Errorf("line\n got %s\nwant %s", l, rc.line)
		}
	}
}

func TestPyRepr(t *testing.T) {
	for _, c := range refRepr {
		if got := PyRepr(PyRound(c.x, 3)); got != c.want {
			t.Errorf("repr(round(%v, 3)) = %s, Python %s", c.x, got, c.want)
		}
	}
	for _, c := range refReprRaw {
		if got := PyRepr(c.x); got != c.want {
			t.Errorf("repr(%v) = %s, Python %s", c.x, got, c.want)
		}
	}
	for x, want := range map[float64]string{math.NaN(): "nan", math.Inf(1): "inf", math.Inf(-1): "-inf", math.Copysign(0, -1): "-0.0"} {
		if got := PyRepr(x); got != want {
			t.Errorf("repr(%v) = %s, want %s", x, got, want)
		}
	}
	if got := PyRound(math.NaN(), 3); !math.IsNaN(got) {
		t.Errorf("round(nan) = %v", got)
	}
}

// TestLineFormat checks the predictions.txt line of ITB's spec (§4.6) from unrounded values.
func TestLineFormat(t *testing.T) {
	c := Classification{AUC: 0.71249, AP: 0.10450001, F1: 0, Precision: 0.0004, Recall: 0.99951}
	want := "high_20_lc: {'auc': 0.712, 'ap': 0.105, 'f1': 0.0, 'precision': 0.0, 'recall': 1.0}"
	if got := c.Line("high_20_lc"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestHandComputed works sklearn's documented example by hand. Scores 0.8(+) 0.4(−) 0.35(+)
// 0.1(−): of the 4 positive/negative pairs, 3 are ordered correctly, so AUC = 3/4. Walking the
// thresholds down, recall steps to 1/2 at precision 1 (0.8) and to 1 at precision 2/3 (0.35):
// AP = 1/2·1 + 1/2·2/3 = 5/6. Only 0.8 exceeds 0.5: TP 1, FN 1, FP 0, TN 2.
func TestHandComputed(t *testing.T) {
	c, err := Classify([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})
	if err != nil {
		t.Fatal(err)
	}
	want := Classification{AUC: 0.75, AP: 5.0 / 6, F1: 2.0 / 3, Precision: 1, Recall: 0.5, TP: 1, FN: 1, TN: 2, N: 4}
	if !approx(c.AP, want.AP) {
		t.Errorf("AP = %v, want 5/6", c.AP)
	}
	c.AP = want.AP
	if c != want {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	// Ties: a + and the − share 0.5, another + is at 0.9. Of the 2 pairs, (0.9+, 0.5−) counts 1 and
	// the tied (0.5+, 0.5−) counts 1/2: AUC = 1.5/2 = 0.75. AP groups the tie into one threshold:
	// recall 1/2 at precision 1, then recall 1 at precision 2/3, so 5/6 (an order that put the
	// tied + first would give 1).
	c, err = Classify([]float64{1, 1, 0}, []float64{0.9, 0.5, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if c.AUC != 0.75 || !approx(c.AP, 5.0/6) {
		t.Errorf("tied: AUC %v AP %v", c.AUC, c.AP)
	}
	// ŷ = 0.5 is not > 0.5: one positive predicted.
	if c.TP != 1 || c.FN != 1 || c.TN != 1 || c.FP != 0 {
		t.Errorf("tied: confusion %+v", c)
	}
}

// bruteAUC counts ordered positive/negative pairs, ties as one half: O(n²).
func bruteAUC(y, s []float64) float64 {
	var num, pairs float64
	for i := range y {
		if y[i] != 1 {
			continue
		}
		for j := range y {
			if y[j] != 0 {
				continue
			}
			pairs++
			switch {
			case s[i] > s[j]:
				num++
			case s[i] == s[j]:
				num += 0.5
			}
		}
	}
	return num / pairs
}

// bruteAP evaluates precision and recall at every distinct threshold "score >= t" by a full
// scan, and sums (R_k − R_{k−1})·P_k from the highest threshold down.
func bruteAP(y, s []float64) float64 {
	th := slices.Clone(s)
	sort.Sort(sort.Reverse(sort.Float64Slice(th)))
	th = slices.Compact(th)
	var npos float64
	for _, v := range y {
		npos += v
	}
	ap, prevR := 0.0, 0.0
	for _, t := range th {
		var tp, fp float64
		for i := range y {
			if s[i] >= t {
				tp += y[i]
				fp += 1 - y[i]
			}
		}
		r := tp / npos
		ap += (r - prevR) * tp / (tp + fp)
		prevR = r
	}
	return ap
}

func randomScores(seed uint64, n int, posRate float64, decimals int) (y, s []float64) {
	r := rand.New(rand.NewPCG(seed, 2))
	y, s = make([]float64, n), make([]float64, n)
	scale := math.Pow(10, float64(decimals))
	for i := range n {
		if r.Float64() < posRate {
			y[i] = 1
		}
		v := 0.6*r.Float64() + 0.25*y[i]
		if decimals > 0 {
			v = math.Round(v*scale) / scale
		}
		s[i] = v
	}
	return y, s
}

func TestAgainstBruteForce(t *testing.T) {
	for _, tc := range []struct {
		seed     uint64
		n        int
		posRate  float64
		decimals int
	}{
		{1, 2000, 0.3, 2},  // heavy ties
		{2, 2000, 0.05, 0}, // continuous, imbalanced
		{3, 1500, 0.5, 1},  // very heavy ties
		{4, 50, 0.2, 0},
	} {
		y, s := randomScores(tc.seed, tc.n, tc.posRate, tc.decimals)
		c, err := Classify(y, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteAUC(y, s); !approx(c.AUC, want) {
			t.Errorf("seed %d: AUC %.17g, brute force %.17g", tc.seed, c.AUC, want)
		}
		if want := bruteAP(y, s); math.Abs(c.AP-want) > 1e-12 {
			t.Errorf("seed %d: AP %.17g, brute force %.17g", tc.seed, c.AP, want)
		}
		// Row order must not matter (ties are grouped, the AUC sum is exact).
		perm := rand.New(rand.NewPCG(tc.seed, 9)).Perm(len(y))
		y2, s2 := make([]float64, len(y)), make([]float64, len(y))
		for i, p := range perm {
			y2[i], s2[i] = y[p], s[p]
		}
		c2, err := Classify(y2, s2)
		if err != nil || c2.AUC != c.AUC || math.Abs(c2.AP-c.AP) > 1e-15 || c2.TP != c.TP {
			t.Errorf("seed %d: shuffled rows give %+v, want %+v (%v)", tc.seed, c2, c, err)
		}
	}
}

func TestNaNRowsDropped(t *testing.T) {
	nan := math.NaN()
	y := []float64{0, nan, 0, 1, 1, 0}
	s := []float64{0.1, 0.9, 0.4, 0.35, 0.8, nan}
	c, err := Classify(y, s)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Classify([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})
	want.Dropped = 2
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	r, err := Regress([]float64{1, nan, -1, 2}, []float64{0.5, 1, nan, 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 2 || r.Dropped != 2 || !approx(r.MAE, 0.75) || !approx(r.MAPE, 0.5) {
		t.Errorf("regression with NaN rows: %+v", r)
	}
}

func TestOneClass(t *testing.T) {
	c, err := Classify([]float64{1, 1, 1}, []float64{0.2, 0.7, 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if !c.OneClass || c.AUC != 0 || c.AP != 1 || c.TP != 2 || c.FN != 1 {
		t.Errorf("all positive: %+v", c)
	}
	c, err = Classify([]float64{0, 0}, []float64{0.2, 0.7})
	if err != nil {
		t.Fatal(err)
	}
	if !c.OneClass || c.AUC != 0 || c.AP != 0 || c.FP != 1 || c.F1 != 0 || c.Precision != 0 || c.Recall != 0 {
		t.Errorf("all negative: %+v", c)
	}
	c, _ = Classify([]float64{0, 1}, []float64{0.2, 0.7})
	if c.OneClass {
		t.Errorf("two classes flagged as one: %+v", c)
	}
}

func TestBadInput(t *testing.T) {
	nan := math.NaN()
	for name, err := range map[string]error{
		"length":    second(Classify([]float64{0, 1}, []float64{0.5})),
		"label 2":   second(Classify([]float64{0, 2}, []float64{0.5, 0.5})),
		"label 0.5": second(Classify([]float64{0, 0.5}, []float64{0.5, 0.5})),
		"inf score": second(Classify([]float64{0, 1}, []float64{0.5, math.Inf(1)})),
		"reg len":   second(Regress([]float64{0, 1}, []float64{0.5})),
		"reg inf":   second(Regress([]float64{0, math.Inf(-1)}, []float64{0.5, 1})),
	} {
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, err := range map[string]error{
		"all NaN":     second(Classify([]float64{nan, 1}, []float64{0.5, nan})),
		"empty":       second(Classify(nil, nil)),
		"reg all NaN": second(Regress([]float64{nan}, []float64{1})),
	} {
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestJSON(t *testing.T) {
	c, _ := Classify([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"auc":0.75,"ap":0.8333333333333333,"f1":0.6666666666666666,"precision":1,"recall":0.5,"tp":1,"fp":0,"tn":2,"fn":1,"n":4,"dropped":0,"one_class":false}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	r, err := Regress([]float64{1}, []float64{0.5})
	if err != nil || !math.IsNaN(r.R2) {
		t.Fatalf("one row: R2 %v, %v", r.R2, err)
	}
	b, err = json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"r2":null`) || !strings.Contains(string(b), `"mae":0.5`) {
		t.Fatalf("regression JSON %s, %v", b, err)
	}
	var back Regression
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(back.R2) || back.MAE != 0.5 || back.Sign != r.Sign {
		t.Errorf("round trip %+v, %v", back, err)
	}
	if l := r.Line("x"); !strings.Contains(l, "'r2': nan") {
		t.Errorf("line %s", l)
	}
}

// BenchmarkClassify500k scores 500,000 rows (AUC, AP, F1 and the confusion matrix; one sort),
// with scores rounded to 6 decimals as ITB writes predictions.csv.
func BenchmarkClassify500k(b *testing.B) {
	y, s := randomScores(7, 500_000, 0.1, 6)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Classify(y, s); err != nil {
			b.Fatal(err)
		}
	}
}
