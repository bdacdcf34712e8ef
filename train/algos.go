package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/train/gbdt"
	"github.com/tradectl/tradectl/train/logreg"
	"github.com/tradectl/tradectl/train/mlp"
	"github.com/tradectl/tradectl/train/svm"
)

// ErrUnknownAlgorithm is returned for an algo other than lc, gb, nn, svc.
var ErrUnknownAlgorithm = errors.New("unknown algorithm")

// ErrParams is wrapped by errors about an algorithm's params or train options.
var ErrParams = errors.New("invalid algorithm parameters")

// Model is a trained binary classifier: P(label) for each row of column-major data without NaN.
type Model interface {
	PredictProba(cols [][]float64, out []float64) error
}

// algorithm adapts one algorithm package.
type algorithm struct {
	// scaleByDefault is ITB's default is_scale (false for gb, true otherwise).
	scaleByDefault bool
	// fit must not modify cols: one scaled copy serves every label of a set.
	fit    func(cols [][]float64, y []float64, p Params, train json.RawMessage, progress func(done, total int)) (Model, error)
	decode func(raw json.RawMessage) (Model, error)
}

var algorithms = map[string]algorithm{
	"lc": {
		scaleByDefault: true,
		fit: func(cols [][]float64, y []float64, _ Params, train json.RawMessage, _ func(int, int)) (Model, error) {
			p, err := logreg.ParseParams(train)
			if err != nil {
				return nil, err
			}
			return logreg.Fit(cols, y, p)
		},
		decode: func(raw json.RawMessage) (Model, error) { return decodeAs[logreg.Model](raw) },
	},
	"gb": {
		scaleByDefault: false,
		fit: func(cols [][]float64, y []float64, ip Params, train json.RawMessage, progress func(int, int)) (Model, error) {
			p, err := gbdt.ParseParams(train)
			if err != nil {
				return nil, err
			}
			p.OnRound = progress
			// ITB's gb is a classifier unless is_regression: without an objective, use binary
			// log-loss rather than LightGBM's default (regression).
			if !hasAnyKey(train, "objective", "objective_type", "app", "application", "loss") {
				p.Objective = gbdt.ObjectiveBinary
				if ip.IsRegression {
					p.Objective = gbdt.ObjectiveRegression
				}
			}
			if ip.IsRegression != (p.Objective == gbdt.ObjectiveRegression) {
				return nil, fmt.Errorf("objective %q does not match is_regression %v", p.Objective, ip.IsRegression)
			}
			m, err := gbdt.Fit(cols, y, p)
			if err != nil || !ip.IsRegression {
				return m, err
			}
			return regressor{m}, nil
		},
		decode: func(raw json.RawMessage) (Model, error) { return decodeAs[gbdt.Model](raw) },
	},
	"nn": {
		scaleByDefault: true,
		fit: func(cols [][]float64, y []float64, p Params, train json.RawMessage, progress func(int, int)) (Model, error) {
			mp, err := mlp.ParseParams(p.Raw, train)
			if err != nil {
				return nil, err
			}
			if progress != nil {
				mp.OnEpoch = func(epoch int, _ float64) { progress(epoch, mp.Epochs) }
			}
			m, err := mlp.Fit(cols, y, mp)
			if err != nil || !mp.Regression {
				return m, err
			}
			return regressor{m}, nil
		},
		decode: func(raw json.RawMessage) (Model, error) { return decodeAs[mlp.Model](raw) },
	},
	"svc": {
		scaleByDefault: true,
		fit: func(cols [][]float64, y []float64, _ Params, train json.RawMessage, _ func(int, int)) (Model, error) {
			p, err := svm.ParseParams(train)
			if err != nil {
				return nil, err
			}
			return svm.Fit(cols, y, p)
		},
		decode: func(raw json.RawMessage) (Model, error) { return decodeAs[svm.Model](raw) },
	},
}

// valuePredictor is a model that predicts values (regression) rather than probabilities.
type valuePredictor interface {
	Predict(cols [][]float64, out []float64) error
}

// regressor adapts a regression model to Model: its "probability" is the predicted value.
type regressor struct{ m valuePredictor }

func (r regressor) PredictProba(cols [][]float64, out []float64) error { return r.m.Predict(cols, out) }

func (r regressor) MarshalJSON() ([]byte, error) { return json.Marshal(r.m) }

// asRegressor wraps a decoded model for value prediction, if it can predict values.
func asRegressor(m Model) (Model, error) {
	vp, ok := m.(valuePredictor)
	if !ok {
		return nil, fmt.Errorf("this algorithm has no regression model")
	}
	return regressor{vp}, nil
}

func decodeAs[T any, PT interface {
	*T
	Model
}](raw json.RawMessage) (Model, error) {
	var m T
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return PT(&m), nil
}

// Algorithms lists the supported algo names.
func Algorithms() []string {
	out := make([]string, 0, len(algorithms))
	for k := range algorithms {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lookupAlgorithm(algo string) (algorithm, error) {
	a, ok := algorithms[algo]
	if !ok {
		return algorithm{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownAlgorithm, algo, Algorithms())
	}
	return a, nil
}

// algorithmParams looks up an algorithms entry's algorithm and parses its params with that
// algorithm's scaling default.
func algorithmParams(a config.Algorithm) (algorithm, Params, error) {
	alg, err := lookupAlgorithm(a.Algo)
	if err != nil {
		return algorithm{}, Params{}, err
	}
	p, err := parseParams(a.Params, a.Algo, alg.scaleByDefault)
	return alg, p, err
}

// hasAnyKey reports whether the JSON object raw has one of the keys.
func hasAnyKey(raw json.RawMessage, keys ...string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}
