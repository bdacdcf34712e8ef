package svm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrUnknownParam is wrapped when the train object has a key this package does not know.
	ErrUnknownParam = errors.New("svm: unknown parameter")
	// ErrUnsupportedKernel is wrapped when kernel is anything but "rbf".
	ErrUnsupportedKernel = errors.New("svm: unsupported kernel")
	// ErrBadParam is wrapped when a known parameter has an invalid type or value.
	ErrBadParam = errors.New("svm: invalid parameter")
	// ErrBadInput is wrapped for unusable training or prediction data (shape mismatch,
	// NaN or Inf in training data, labels other than 0/1, no rows or no features).
	ErrBadInput = errors.New("svm: invalid input")
	// ErrOneClass is wrapped when the training labels contain a single class.
	ErrOneClass = errors.New("svm: training labels contain only one class")
	// ErrBadModel is wrapped when a (deserialised) model is internally inconsistent.
	ErrBadModel = errors.New("svm: inconsistent model")
)

// GammaMode says how the RBF width is chosen.
type GammaMode string

// The gamma modes, as sklearn names them; GammaValue uses Params.GammaValue.
const (
	GammaScale GammaMode = "scale" // 1/(n_features·Var(X)) over all values of X (1 when Var is 0)
	GammaAuto  GammaMode = "auto"  // 1/n_features
	GammaValue GammaMode = "value" // Params.GammaValue
)

// DefaultCacheSizeMB is the default kernel-cache budget of one Fit call, in MB: the final
// fit has all of it, concurrent CV folds split it. The cache holds float32 rows of Q. Peak
// RSS is about twice the budget (garbage of the final fit's cache while the folds start).
// On ITB's 26,280×16 case 512 MB is as fast as 1 GB; 200 MB (sklearn's default) is 1.5×
// slower.
const DefaultCacheSizeMB = 512

// Params are the training parameters: the sklearn SVC keys that matter for a binary RBF
// C-SVC with probability estimates. Start from DefaultParams (the zero value is invalid).
type Params struct {
	C          float64   // penalty, > 0 (default 1)
	Gamma      GammaMode // scale (default), auto or value
	GammaValue float64   // used when Gamma is GammaValue, > 0
	Tol        float64   // stopping tolerance of the SMO solver, > 0 (default 1e-3)
	// ClassWeight scales C per class: C·ClassWeight[k] for class k. Nil means 1 for both;
	// Balanced overrides it with n/(2·count_k) as sklearn.
	ClassWeight []float64
	Balanced    bool    // class_weight "balanced"
	MaxIter     int     // SMO iteration limit; -1 = no user limit (libsvm's own cap max(1e7, 100·n) still applies)
	Shrinking   bool    // libsvm shrinking heuristic (default true)
	CacheSizeMB float64 // kernel cache budget for the whole Fit, MB (default DefaultCacheSizeMB)
	Seed        int64   // random_state: seeds the shuffle of the 5 Platt CV folds (null → 0)

	coldCV bool // tests: solve the CV folds from α = 0 instead of seeding them
}

// DefaultParams returns sklearn SVC's defaults (C=1, gamma "scale", tol 1e-3, shrinking,
// no class weights, no iteration limit) with DefaultCacheSizeMB and seed 0.
func DefaultParams() Params {
	return Params{
		C:           1,
		Gamma:       GammaScale,
		Tol:         1e-3,
		MaxIter:     -1,
		Shrinking:   true,
		CacheSizeMB: DefaultCacheSizeMB,
	}
}

// ParseParams reads an ITB "train" object for algo svc, starting from DefaultParams.
// Known keys: C, gamma, tol, class_weight, max_iter, shrinking, cache_size, random_state,
// kernel (only "rbf"), and the ignored probability, verbose, degree, coef0,
// decision_function_shape and break_ties (without effect for a binary RBF model).
// Empty input or JSON null gives the defaults. An unknown key wraps ErrUnknownParam,
// kernel other than rbf wraps ErrUnsupportedKernel, a bad value wraps ErrBadParam.
func ParseParams(raw json.RawMessage) (Params, error) {
	p := DefaultParams()
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return p, fmt.Errorf("%w: train parameters must be a JSON object: %v", ErrBadParam, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(m[k])
		var err error
		switch k {
		case "C":
			p.C, err = positive(k, v)
		case "tol":
			p.Tol, err = positive(k, v)
		case "cache_size":
			p.CacheSizeMB, err = positive(k, v)
		case "gamma":
			err = parseGamma(&p, v)
		case "kernel":
			var s string
			if e := json.Unmarshal(v, &s); e != nil {
				return p, fmt.Errorf("%w: kernel must be a string, got %s", ErrBadParam, v)
			}
			if s != "rbf" {
				return p, fmt.Errorf("%w: %q (only \"rbf\" is implemented)", ErrUnsupportedKernel, s)
			}
		case "class_weight":
			err = parseClassWeight(&p, v)
		case "max_iter":
			var it int64
			it, err = integer(k, v)
			if err == nil && it != -1 && it < 1 {
				err = fmt.Errorf("%w: max_iter must be -1 or >= 1, got %d", ErrBadParam, it)
			}
			if err == nil && it > math.MaxInt32 {
				it = math.MaxInt32
			}
			p.MaxIter = int(it)
		case "shrinking":
			p.Shrinking, err = boolean(k, v)
		case "random_state":
			if bytes.Equal(v, []byte("null")) {
				p.Seed = 0
			} else {
				p.Seed, err = integer(k, v)
			}
		case "probability", "verbose", "break_ties":
			_, err = boolean(k, v)
		case "degree":
			_, err = integer(k, v)
		case "coef0":
			_, err = number(k, v)
		case "decision_function_shape":
			var s string
			if e := json.Unmarshal(v, &s); e != nil || (s != "ovr" && s != "ovo") {
				err = fmt.Errorf("%w: decision_function_shape must be \"ovr\" or \"ovo\", got %s", ErrBadParam, v)
			}
		default:
			return p, fmt.Errorf("%w: %q", ErrUnknownParam, k)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func number(key string, v json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || bytes.Equal(v, []byte("null")) {
		return 0, fmt.Errorf("%w: %s must be a number, got %s", ErrBadParam, key, v)
	}
	return f, nil
}

func positive(key string, v json.RawMessage) (float64, error) {
	f, err := number(key, v)
	if err != nil {
		return 0, err
	}
	if !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %s must be a finite number > 0, got %s", ErrBadParam, key, v)
	}
	return f, nil
}

func integer(key string, v json.RawMessage) (int64, error) {
	f, err := number(key, v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%w: %s must be an integer, got %s", ErrBadParam, key, v)
	}
	return int64(f), nil
}

func boolean(key string, v json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(v, &b); err == nil && !bytes.Equal(v, []byte("null")) {
		return b, nil
	}
	// sklearn accepts verbose as an int; treat 0/1 like booleans.
	if f, err := number(key, v); err == nil && (f == 0 || f == 1) {
		return f == 1, nil
	}
	return false, fmt.Errorf("%w: %s must be a boolean, got %s", ErrBadParam, key, v)
}

func parseGamma(p *Params, v json.RawMessage) error {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		switch s {
		case "scale":
			p.Gamma = GammaScale
		case "auto":
			p.Gamma = GammaAuto
		default:
			return fmt.Errorf("%w: gamma must be \"scale\", \"auto\" or a number > 0, got %q", ErrBadParam, s)
		}
		return nil
	}
	g, err := positive("gamma", v)
	if err != nil {
		return err
	}
	p.Gamma, p.GammaValue = GammaValue, g
	return nil
}

func parseClassWeight(p *Params, v json.RawMessage) error {
	p.ClassWeight, p.Balanced = nil, false
	if bytes.Equal(v, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if s != "balanced" {
			return fmt.Errorf("%w: class_weight must be null, \"balanced\" or {\"0\":w,\"1\":w}, got %q", ErrBadParam, s)
		}
		p.Balanced = true
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return fmt.Errorf("%w: class_weight must be null, \"balanced\" or {\"0\":w,\"1\":w}, got %s", ErrBadParam, v)
	}
	w := []float64{1, 1}
	for k, raw := range m {
		c, err := strconv.Atoi(k)
		if err != nil || (c != 0 && c != 1) {
			return fmt.Errorf("%w: class_weight key %q is not a class (0 or 1)", ErrBadParam, k)
		}
		if w[c], err = positive("class_weight["+k+"]", raw); err != nil {
			return err
		}
	}
	p.ClassWeight = w
	return nil
}

// validate checks a Params value built by hand or by ParseParams.
func (p Params) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadParam}, a...)...)
	}
	finitePos := func(f float64) bool { return f > 0 && !math.IsInf(f, 0) }
	switch {
	case !finitePos(p.C):
		return bad("C must be a finite number > 0, got %v", p.C)
	case !finitePos(p.Tol):
		return bad("tol must be a finite number > 0, got %v", p.Tol)
	case !finitePos(p.CacheSizeMB):
		return bad("cache_size must be a finite number > 0, got %v", p.CacheSizeMB)
	case p.MaxIter != -1 && p.MaxIter < 1:
		return bad("max_iter must be -1 or >= 1, got %d", p.MaxIter)
	}
	switch p.Gamma {
	case GammaScale, GammaAuto:
	case GammaValue:
		if !finitePos(p.GammaValue) {
			return bad("gamma must be a finite number > 0, got %v", p.GammaValue)
		}
	default:
		return bad("gamma mode %q", p.Gamma)
	}
	if p.ClassWeight != nil {
		if len(p.ClassWeight) != 2 {
			return bad("class_weight needs 2 entries, got %d", len(p.ClassWeight))
		}
		for k, w := range p.ClassWeight {
			if !finitePos(w) {
				return bad("class_weight[%d] must be a finite number > 0, got %v", k, w)
			}
		}
	}
	return nil
}
