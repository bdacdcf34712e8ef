package logreg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Penalty values accepted in Params.Penalty.
const (
	PenaltyL2   = "l2"
	PenaltyNone = "none"
)

// Params are the scikit-learn LogisticRegression arguments that change the fitted model.
// The zero value is not valid; start from DefaultParams or ParseParams.
type Params struct {
	// Penalty is PenaltyL2 or PenaltyNone (sklearn's None or the legacy string "none").
	Penalty string `json:"penalty"`
	// C is the inverse regularisation strength (> 0); ignored when Penalty is PenaltyNone.
	C float64 `json:"C"`
	// ClassWeight is "" (all rows weigh 1) or "balanced" (row weight n/(2·n_class)).
	ClassWeight string `json:"class_weight"`
	// Solver is the sklearn solver named in the config. It is recorded only:
	// tradectl always minimises the same objective with L-BFGS.
	Solver string `json:"solver"`
	// MaxIter is the maximum number of L-BFGS iterations (>= 0).
	MaxIter int `json:"max_iter"`
	// Tol stops the fit when max|∂f/∂θ| of the objective divided by C falls below it (>= 0).
	Tol float64 `json:"tol"`
	// FitIntercept adds an unpenalised intercept.
	FitIntercept bool `json:"fit_intercept"`
}

// DefaultParams returns scikit-learn's defaults: l2, C=1, no class weights, lbfgs, max_iter 100,
// tol 1e-4, with intercept.
func DefaultParams() Params {
	return Params{Penalty: PenaltyL2, C: 1, Solver: "lbfgs", MaxIter: 100, Tol: 1e-4, FitIntercept: true}
}

// solvers lists the sklearn solver names accepted in "solver".
var solvers = map[string]bool{
	"lbfgs": true, "liblinear": true, "newton-cg": true, "newton-cholesky": true, "sag": true, "saga": true,
}

// Validate checks that p describes a model Fit can train.
func (p Params) Validate() error {
	switch p.Penalty {
	case PenaltyL2, PenaltyNone:
	case "l1", "elasticnet":
		return fmt.Errorf("logreg: penalty %q: %w", p.Penalty, ErrUnsupported)
	default:
		return fmt.Errorf("logreg: penalty %q: want \"l2\", \"none\" or null: %w", p.Penalty, ErrInvalidParam)
	}
	if !(p.C > 0) || math.IsInf(p.C, 0) {
		return fmt.Errorf("logreg: C = %v: want a finite number > 0: %w", p.C, ErrInvalidParam)
	}
	switch p.ClassWeight {
	case "", "balanced":
	default:
		return fmt.Errorf("logreg: class_weight %q: want null or \"balanced\": %w", p.ClassWeight, ErrInvalidParam)
	}
	if !solvers[p.Solver] {
		return fmt.Errorf("logreg: solver %q: %w", p.Solver, ErrInvalidParam)
	}
	if p.Solver == "liblinear" && p.Penalty == PenaltyNone {
		return fmt.Errorf("logreg: solver liblinear does not support penalty none (as in sklearn): %w", ErrInvalidParam)
	}
	if p.MaxIter < 0 {
		return fmt.Errorf("logreg: max_iter = %d: want >= 0: %w", p.MaxIter, ErrInvalidParam)
	}
	if !(p.Tol >= 0) || math.IsInf(p.Tol, 0) {
		return fmt.Errorf("logreg: tol = %v: want a finite number >= 0: %w", p.Tol, ErrInvalidParam)
	}
	return nil
}

// ParseParams reads an ITB algorithm "train" dict (the keyword arguments of sklearn's
// LogisticRegression). Missing keys take sklearn's defaults; an empty or null message gives
// DefaultParams. n_jobs, verbose, random_state and warm_start are accepted and ignored;
// intercept_scaling is accepted and ignored (it only matters for liblinear, see the package doc);
// dual must be false, multi_class "auto" or "ovr", l1_ratio null or 0. Any other key is an
// error naming it (ErrUnknownParam).
func ParseParams(raw json.RawMessage) (Params, error) {
	p := DefaultParams()
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return p, fmt.Errorf("logreg: train parameters are not a JSON object: %v: %w", err, ErrInvalidParam)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(m[k])
		isNull := bytes.Equal(v, []byte("null"))
		var err error
		switch k {
		case "penalty":
			if isNull {
				p.Penalty = PenaltyNone
			} else {
				p.Penalty, err = jsonString(v)
			}
		case "C":
			p.C, err = jsonFloat(v)
		case "class_weight":
			if isNull {
				p.ClassWeight = ""
			} else if v[0] == '{' {
				err = fmt.Errorf("a class weight dict: %w", ErrUnsupported)
			} else {
				p.ClassWeight, err = jsonString(v)
			}
		case "solver":
			p.Solver, err = jsonString(v)
		case "max_iter":
			p.MaxIter, err = jsonInt(v)
		case "tol":
			p.Tol, err = jsonFloat(v)
		case "fit_intercept":
			p.FitIntercept, err = jsonBool(v)
		case "n_jobs", "verbose", "random_state", "warm_start":
			// Accepted and ignored: they do not change the fitted model
			// (every Fit starts from zero, as a fresh sklearn estimator does).
		case "intercept_scaling":
			_, err = jsonFloat(v)
		case "dual":
			var dual bool
			if dual, err = jsonBool(v); err == nil && dual {
				err = fmt.Errorf("dual=true: %w", ErrUnsupported)
			}
		case "multi_class":
			var mc string
			if mc, err = jsonString(v); err == nil && mc != "auto" && mc != "ovr" {
				err = fmt.Errorf("%q: %w", mc, ErrUnsupported)
			}
		case "l1_ratio":
			if !isNull {
				var r float64
				if r, err = jsonFloat(v); err == nil && r != 0 {
					err = fmt.Errorf("%v (an l1 component): %w", r, ErrUnsupported)
				}
			}
		default:
			return p, fmt.Errorf("logreg: unknown train parameter %q: %w", k, ErrUnknownParam)
		}
		if err != nil {
			return p, fmt.Errorf("logreg: train parameter %q: %w", k, err)
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

func jsonString(v []byte) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s: %w", v, ErrInvalidParam)
	}
	return s, nil
}

func jsonBool(v []byte) (bool, error) {
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, fmt.Errorf("want true or false, got %s: %w", v, ErrInvalidParam)
	}
	return b, nil
}

func jsonFloat(v []byte) (float64, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, fmt.Errorf("want a number, got %s: %w", v, ErrInvalidParam)
	}
	return f, nil
}

// jsonInt accepts only integer literals, as sklearn's parameter validation rejects 100.0 for max_iter.
func jsonInt(v []byte) (int, error) {
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil || v[0] == '"' {
		return 0, fmt.Errorf("want an integer, got %s: %w", v, ErrInvalidParam)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %s: %w", v, ErrInvalidParam)
	}
	return i, nil
}
