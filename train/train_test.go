package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
)

// matrix builds a frame with features a, b (label depends on a) and a label column.
func matrix(n int, seed uint64) *frame.Frame {
	rng := rand.New(rand.NewPCG(seed, 1))
	times := make([]int64, n)
	a, b, y := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range times {
		times[i] = int64(i) * 60000
		a[i] = rng.NormFloat64()
		b[i] = rng.NormFloat64() * 10
		if a[i]+0.5*rng.NormFloat64() > 0.3 {
			y[i] = 1
		}
	}
	f := frame.New(times)
	f.Set("a", frame.Float, a)
	f.Set("b", frame.Float, b)
	f.Set("lab", frame.Bool, y)
	return f
}

func set(algos ...config.Algorithm) Set {
	return Set{Features: []string{"a", "b"}, Labels: []string{"lab"}, Algorithms: algos}
}

var lc = config.Algorithm{Name: "lc", Algo: "lc", Params: json.RawMessage(`{"is_scale": true}`), Train: json.RawMessage(`{"C": 1.0}`)}

func TestFitSaveLoadPredict(t *testing.T) {
	dir := t.TempDir()
	m := matrix(2000, 1)
	reps, err := Fit(m, Options{Sets: []Set{set(lc)}, LabelHorizon: 10, ModelFolder: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || reps[0].Name != "lab_lc" || reps[0].Rows != 1990 || reps[0].InSample < 0.8 || reps[0].Metric != "AUC" {
		t.Fatalf("report %+v", reps)
	}
	f, err := Load(dir, "lab_lc")
	if err != nil {
		t.Fatal(err)
	}
	if f.Training.Rows != 1990 || f.Training.Last != frame.FormatTime(1989*60000) || f.Scaler == nil || f.Version != FormatVersion {
		t.Fatalf("model file: %+v", f)
	}
	// NaN inputs give NaN scores; others are probabilities.
	a, _ := m.Col("a")
	a[5] = math.NaN()
	if _, err := Score(m, []*File{f}); err != nil {
		t.Fatal(err)
	}
	s, _ := m.Col("lab_lc")
	if !math.IsNaN(s[5]) || math.IsNaN(s[6]) || s[6] <= 0 || s[6] >= 1 {
		t.Fatalf("scores %v %v", s[5], s[6])
	}
}

func TestSameInputSameModelBytes(t *testing.T) {
	gb := config.Algorithm{Name: "gb", Algo: "gb", Train: json.RawMessage(`{"num_boost_round": 20, "feature_fraction": 0.5, "bagging_fraction": 0.5, "bagging_freq": 1, "seed": 3}`)}
	var files [2][]byte
	for i := range files {
		dir := t.TempDir()
		if _, err := Fit(matrix(3000, 2), Options{Sets: []Set{set(lc, gb)}, ModelFolder: dir}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"lab_lc", "lab_gb"} {
			b, _ := os.ReadFile(ModelPath(dir, n))
			files[i] = append(files[i], b...)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("training twice on the same data wrote different model files")
	}
}

func TestBadTrainingData(t *testing.T) {
	cases := []struct {
		name string
		edit func(f *frame.Frame)
		want error
		msg  string
	}{
		{"one class", func(f *frame.Frame) {
			y, _ := f.Col("lab")
			for i := range y {
				y[i] = 0
			}
		}, ErrOneClass, `"lab" is false in all`},
		{"all-NaN feature", func(f *frame.Frame) {
			b, _ := f.Col("b")
			for i := range b {
				b[i] = math.NaN()
			}
		}, ErrNoRows, `"b" is empty`},
		{"not binary", func(f *frame.Frame) {
			y, _ := f.Col("lab")
			y[3] = 2
		}, ErrNotBinary, `"lab" holds 2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := matrix(500, 3)
			c.edit(m)
			dir := t.TempDir()
			_, err := Fit(m, Options{Sets: []Set{set(lc)}, ModelFolder: dir})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "lab_lc") {
				t.Fatalf("got %v, want %v mentioning %q", err, c.want, c.msg)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Fatalf("a failed fit wrote %v", ents)
			}
		})
	}
	// A constant feature is fine: the scaler treats its zero deviation as 1.
	m := matrix(500, 3)
	b, _ := m.Col("b")
	for i := range b {
		b[i] = 7
	}
	dir := t.TempDir()
	if _, err := Fit(m, Options{Sets: []Set{set(lc)}, ModelFolder: dir}); err != nil {
		t.Fatalf("constant feature: %v", err)
	}
	f, _ := Load(dir, "lab_lc")
	if f.Scaler.Mean[1] != 7 || f.Scaler.Scale[1] != 1 {
		t.Fatalf("scaler for a constant column: %+v", f.Scaler)
	}
}

func TestModelFileChecks(t *testing.T) {
	dir := t.TempDir()
	if _, err := Fit(matrix(500, 4), Options{Sets: []Set{set(lc)}, ModelFolder: dir}); err != nil {
		t.Fatal(err)
	}
	f, err := Load(dir, "lab_lc")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CheckFeatures([]string{"a", "c"}); !errors.Is(err, ErrFeatureMismatch) ||
		!strings.Contains(err.Error(), "configured but not in the model: c") || !strings.Contains(err.Error(), "in the model but not configured: b") {
		t.Fatalf("mismatch: %v", err)
	}
	if err := f.CheckFeatures([]string{"b", "a"}); !errors.Is(err, ErrFeatureMismatch) || !strings.Contains(err.Error(), "different order") {
		t.Fatalf("order: %v", err)
	}
	if _, err := Load(dir, "nope"); !errors.Is(err, ErrModelNotFound) {
		t.Fatalf("missing: %v", err)
	}
	p := ModelPath(dir, "lab_lc")
	orig, _ := os.ReadFile(p)
	for name, mutate := range map[string]func([]byte) []byte{
		"truncated":      func(b []byte) []byte { return b[:len(b)/2] },
		"number changed": func(b []byte) []byte { return bytes.Replace(b, []byte(`"intercept": `), []byte(`"intercept": 9`), 1) },
		"newer version":  func(b []byte) []byte { return bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 99`), 1) },
		"not a model":    func([]byte) []byte { return []byte(`{"hello": 1}`) },
	} {
		os.WriteFile(p, mutate(orig), 0o644)
		if _, err := Load(dir, "lab_lc"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestResolveSets(t *testing.T) {
	c := config.Default()
	c.TrainFeatures = []string{"a", "b"}
	c.Labels = []string{"lab"}
	c.Algorithms = []config.Algorithm{lc, {Name: "gb", Algo: "gb"}}
	// No entries: the globals.
	s, err := ResolveSets(&c)
	if err != nil || len(s) != 1 || len(s[0].Algorithms) != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	// An entry's config (ITB's code) or top level (ITB's docs), algorithms by name or inline.
	c.TrainFeatureSets = []json.RawMessage{
		json.RawMessage(`{"generator": "train_features", "config": {"columns": ["b"], "functions": ["gb"]}}`),
		json.RawMessage(`{"labels": ["lab"], "algorithms": [{"name": "nn", "algo": "nn", "params": {"layers": [4]}}]}`),
	}
	s, err = ResolveSets(&c)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].Features[0] != "b" || s[0].Algorithms[0].Name != "gb" || s[1].Algorithms[0].Algo != "nn" || s[1].Features[1] != "b" {
		t.Fatalf("%+v", s)
	}
	for _, bad := range []struct{ entry, want string }{
		{`{"config": {"functions": ["rf"]}}`, `algorithm "rf" is not in algorithms`},
		{`{"config": {"functions": [{"name": "x", "algo": "xgb"}]}}`, `unknown algorithm "xgb"`},
		{`{"config": {"functions": [{"name": "x", "algo": "lc", "params": {"lenght": 5}}]}}`, `"lenght"`},
	} {
		c.TrainFeatureSets = []json.RawMessage{json.RawMessage(bad.entry)}
		if _, err := ResolveSets(&c); !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v", bad.entry, err)
		}
	}
}

func TestSplitModelName(t *testing.T) {
	for in, want := range map[string][2]string{"high_20_lc": {"high_20", "lc"}, "a_b": {"a", "b"}} {
		l, a, ok := SplitModelName(in)
		if !ok || l != want[0] || a != want[1] {
			t.Errorf("%s -> %s %s %v", in, l, a, ok)
		}
	}
	for _, in := range []string{"nounderscore", "_x", "x_"} {
		if _, _, ok := SplitModelName(in); ok {
			t.Errorf("%s accepted", in)
		}
	}
}

func TestRegressionModels(t *testing.T) {
	m := matrix(3000, 5)
	a, _ := m.Col("a")
	b, _ := m.Col("b")
	target := make([]float64, m.Len())
	for i := range target {
		target[i] = 2*a[i] + 0.1*b[i] + math.Sin(float64(i))*0.1 // numeric label, mostly explained by a and b
	}
	m.Set("move", frame.Float, target)
	dir := t.TempDir()
	algos := []config.Algorithm{
		{Name: "gb", Algo: "gb", Params: json.RawMessage(`{"is_regression": true}`), Train: json.RawMessage(`{"num_boost_round": 100}`)},
		{Name: "nn", Algo: "nn", Params: json.RawMessage(`{"is_regression": true, "layers": [8]}`), Train: json.RawMessage(`{"n_epochs": 60, "bs": 64, "learning_rate": 0.01, "seed": 1}`)},
	}
	s := Set{Features: []string{"a", "b"}, Labels: []string{"move"}, Algorithms: algos}
	reps, err := Fit(m, Options{Sets: []Set{s}, ModelFolder: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Metric != "R2" || r.InSample < 0.9 {
			t.Errorf("%s: in-sample %s %.3f", r.Name, r.Metric, r.InSample)
		}
	}
	models, err := LoadModels([]Set{s}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Score(m, models); err != nil {
		t.Fatal(err)
	}
	res, order, err := ScoreMetrics(m, models, nil)
	if err != nil || len(order) != 2 {
		t.Fatalf("%v %v", order, err)
	}
	for _, name := range order {
		line := res[name].Line(name)
		if res[name].Regression == nil || res[name].Regression.R2 < 0.9 || !strings.HasPrefix(line, name+": {'mae': ") {
			t.Errorf("%s: %s", name, line)
		}
	}
	// lc and svc have no regression model: a clear error before anything is trained.
	c := config.Default()
	c.TrainFeatures, c.Labels = []string{"a"}, []string{"move"}
	c.Algorithms = []config.Algorithm{{Name: "lc", Algo: "lc", Params: json.RawMessage(`{"is_regression": true}`)}}
	if _, err := ResolveSets(&c); !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), "is_regression") {
		t.Fatalf("lc regression: %v", err)
	}
}

func TestEveryAlgorithmRoundTripsThroughTheStore(t *testing.T) {
	algos := []config.Algorithm{
		lc,
		{Name: "gb", Algo: "gb", Train: json.RawMessage(`{"num_boost_round": 30, "max_depth": 3}`)},
		{Name: "nn", Algo: "nn", Params: json.RawMessage(`{"layers": [4]}`), Train: json.RawMessage(`{"n_epochs": 40, "bs": 64, "learning_rate": 0.01, "seed": 2}`)},
		{Name: "svc", Algo: "svc", Train: json.RawMessage(`{"C": 1.0, "random_state": 1}`)},
	}
	m := matrix(600, 6)
	dir := t.TempDir()
	s := Set{Features: []string{"a", "b"}, Labels: []string{"lab"}, Algorithms: algos}
	reps, err := Fit(m, Options{Sets: []Set{s}, ModelFolder: dir})
	if err != nil {
		t.Fatal(err)
	}
	models, err := LoadModels([]Set{s}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Score(m, models); err != nil {
		t.Fatal(err)
	}
	y, _ := m.Col("lab")
	for i, mod := range models {
		p, _ := m.Col(mod.Name)
		// The loaded model's in-sample AUC is the one measured on the in-memory model at training.
		auc := pairAUC(y, p)
		if math.Abs(auc-reps[i].InSample) > 1e-9 || auc < 0.75 {
			t.Errorf("%s: AUC after reload %.6f, at training %.6f", mod.Name, auc, reps[i].InSample)
		}
	}
}

// pairAUC is the rank AUC by counting pairs (ties count one half).
func pairAUC(y, p []float64) float64 {
	var num, den float64
	for i := range y {
		for j := range y {
			if y[i] == 1 && y[j] == 0 {
				den++
				switch {
				case p[i] > p[j]:
					num++
				case p[i] == p[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

// FitModels is Fit without the files: it writes nothing, and its in-memory models score
// exactly like the saved and reloaded ones; Untrained describes the same models.
func TestFitModelsInMemory(t *testing.T) {
	gb := config.Algorithm{Name: "gb", Algo: "gb", Train: json.RawMessage(`{"num_boost_round": 10}`)}
	sets := []Set{set(lc, gb)}
	dir := t.TempDir()
	m := matrix(1500, 4)
	files, reps, err := FitModels(m, Options{Sets: sets, LabelHorizon: 5, ModelFolder: dir})
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("FitModels wrote %v", ents)
	}
	if len(files) != 2 || len(reps) != 2 || files[0].Name != "lab_lc" || files[1].Name != "lab_gb" || files[0].Training.Rows != 1495 {
		t.Fatalf("files %+v reports %+v", files, reps)
	}
	if _, err := Fit(m, Options{Sets: sets, LabelHorizon: 5, ModelFolder: dir}); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModels(sets, dir)
	if err != nil {
		t.Fatal(err)
	}
	mem, disk := matrix(300, 9), matrix(300, 9)
	if _, err := Score(mem, files); err != nil {
		t.Fatal(err)
	}
	if _, err := Score(disk, loaded); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"lab_lc", "lab_gb"} {
		a, _ := mem.Col(n)
		b, _ := disk.Col(n)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s row %d: in memory %v, saved %v", n, i, a[i], b[i])
			}
		}
	}
	specs, err := Untrained(sets)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range specs {
		if s.Name != files[i].Name || s.Label != files[i].Label || s.Regression != files[i].Regression || !slices.Equal(s.Features, files[i].Features) {
			t.Fatalf("Untrained[%d] = %+v, FitModels gave %+v", i, s, files[i])
		}
	}
}

// Every label of a set trains on one shared (scaled) copy of the features: no algorithm may
// change it. Two identical labels must give identical models, whichever is fitted first.
func TestLabelsShareTheFeatureCopy(t *testing.T) {
	algos := []config.Algorithm{
		lc,
		{Name: "gb", Algo: "gb", Train: json.RawMessage(`{"num_boost_round": 5}`)},
		{Name: "nn", Algo: "nn", Train: json.RawMessage(`{"n_epochs": 2, "bs": 64, "seed": 1}`)},
		{Name: "svc", Algo: "svc", Params: json.RawMessage(`{"is_scale": true}`), Train: json.RawMessage(`{"random_state": 1}`)},
	}
	m := matrix(400, 5)
	y, _ := m.Col("lab")
	m.Set("copy", frame.Bool, slices.Clone(y))
	s := Set{Features: []string{"a", "b"}, Labels: []string{"lab", "copy"}, Algorithms: algos}
	files, _, err := FitModels(m, Options{Sets: []Set{s}})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 8 || files[0].Name != "lab_lc" || files[1].Name != "lab_gb" || files[4].Name != "copy_lc" {
		t.Fatalf("order: %v", files)
	}
	for j := range algos {
		a, _ := json.Marshal(files[j].model)
		b, _ := json.Marshal(files[4+j].model)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s and %s differ: fitting %s changed the shared features", files[j].Name, files[4+j].Name, files[j].Name)
		}
	}
}

// Predict scores in blocks of rows: across block boundaries, a row's score is the one it gets
// alone, and NaN inputs give NaN.
func TestPredictBlocksMatchSingleRows(t *testing.T) {
	m := matrix(600, 6)
	dir := t.TempDir()
	s := Set{Features: []string{"a", "b"}, Labels: []string{"lab"}, Algorithms: []config.Algorithm{lc}}
	if _, err := Fit(m, Options{Sets: []Set{s}, ModelFolder: dir}); err != nil {
		t.Fatal(err)
	}
	models, err := LoadModels([]Set{s}, dir)
	if err != nil {
		t.Fatal(err)
	}
	a0, _ := m.Col("a")
	b0, _ := m.Col("b")
	n := predictBlock*2 + 123
	a, b := make([]float64, n), make([]float64, n)
	for i := range n {
		a[i], b[i] = a0[i%len(a0)], b0[(i/7)%len(b0)]
		if i%1001 == 5 {
			b[i] = math.NaN()
		}
	}
	out := make([]float64, n)
	if err := models[0].Predict([][]float64{a, b}, out); err != nil {
		t.Fatal(err)
	}
	one := make([]float64, 1)
	for i := 0; i < n; i += 97 {
		if err := models[0].Predict([][]float64{a[i : i+1], b[i : i+1]}, one); err != nil {
			t.Fatal(err)
		}
		if !(out[i] == one[0] || math.IsNaN(out[i]) && math.IsNaN(one[0])) || math.IsNaN(out[i]) != (i%1001 == 5) {
			t.Fatalf("row %d: %v in a block, %v alone", i, out[i], one[0])
		}
	}
}

func TestGather(t *testing.T) {
	c := []float64{10, 11, 12, 13, 14, 15}
	for _, tc := range []struct {
		idx  []int
		want []float64
	}{
		{[]int{1, 2, 3}, []float64{11, 12, 13}}, // contiguous: one block copy
		{[]int{0, 2, 5}, []float64{10, 12, 15}},
		{[]int{4}, []float64{14}},
		{nil, []float64{}},
	} {
		got := gather(c, tc.idx)
		if !slices.Equal(got, tc.want) {
			t.Errorf("gather(%v) = %v, want %v", tc.idx, got, tc.want)
		}
		if len(got) > 0 {
			got[0] = -1 // a copy: c is untouched
		}
	}
	if c[1] != 11 || c[0] != 10 || c[4] != 14 {
		t.Fatalf("gather changed its input: %v", c)
	}
}
