package gbdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Objective names after normalisation.
const (
	// ObjectiveBinary is LightGBM's "binary": log-loss on 0/1 labels, with is_unbalance and scale_pos_weight.
	ObjectiveBinary = "binary"
	// ObjectiveCrossEntropy is LightGBM's "cross_entropy" ("xentropy"): log-loss on labels in [0, 1].
	ObjectiveCrossEntropy = "cross_entropy"
	// ObjectiveRegression is LightGBM's "regression" ("l2"): squared error.
	ObjectiveRegression = "regression"
)

// Params holds the training parameters under LightGBM's names. The JSON form uses the canonical
// LightGBM keys, so a marshalled Params can be read back with ParseParams.
type Params struct {
	// Objective is ObjectiveBinary, ObjectiveCrossEntropy or ObjectiveRegression (LightGBM default: regression).
	Objective string `json:"objective"`
	// NumIterations is the number of boosting rounds (num_boost_round, n_estimators; default 100).
	NumIterations int `json:"num_iterations"`
	// LearningRate shrinks every leaf value (default 0.1).
	LearningRate float64 `json:"learning_rate"`
	// MaxDepth limits the depth of a tree; <= 0 means unlimited (default -1).
	MaxDepth int `json:"max_depth"`
	// NumLeaves is the maximum number of leaves per tree (default 31).
	NumLeaves int `json:"num_leaves"`
	// MinDataInLeaf is the minimum number of training rows in a leaf (default 20).
	MinDataInLeaf int `json:"min_data_in_leaf"`
	// MinSumHessianInLeaf is the minimum hessian sum in a leaf (default 1e-3).
	MinSumHessianInLeaf float64 `json:"min_sum_hessian_in_leaf"`
	// LambdaL1 is the L1 penalty on leaf values (default 0).
	LambdaL1 float64 `json:"lambda_l1"`
	// LambdaL2 is the L2 penalty on leaf values (default 0).
	LambdaL2 float64 `json:"lambda_l2"`
	// MinGainToSplit is the minimum gain a split must exceed (default 0).
	MinGainToSplit float64 `json:"min_gain_to_split"`
	// IsUnbalance up-weights the minority class of the binary objective (default false).
	IsUnbalance bool `json:"is_unbalance"`
	// ScalePosWeight multiplies the weight of positive rows in the binary objective (default 1).
	ScalePosWeight float64 `json:"scale_pos_weight"`
	// FeatureFraction is the share of features sampled for each tree (default 1).
	FeatureFraction float64 `json:"feature_fraction"`
	// BaggingFraction is the share of rows sampled every BaggingFreq rounds (default 1).
	BaggingFraction float64 `json:"bagging_fraction"`
	// BaggingFreq resamples the rows every this many rounds; 0 disables bagging (default 0).
	BaggingFreq int `json:"bagging_freq"`
	// Seed drives the binning sample, feature sampling and bagging (default 0).
	Seed int64 `json:"seed"`
	// MaxBin is the maximum number of value bins per feature, 2..255 (default 255).
	MaxBin int `json:"max_bin"`
	// NumThreads caps the goroutines used; <= 0 means GOMAXPROCS. It never changes the model,
	// so it is not serialised.
	NumThreads int `json:"-"`
	// OnRound, if set, is called before each boosting round with the rounds done and the
	// total, for progress display. It never changes the model and is not serialised.
	OnRound func(done, total int) `json:"-"`
}

// DefaultParams returns LightGBM's defaults for the supported parameters.
func DefaultParams() Params {
	return Params{
		Objective:           ObjectiveRegression,
		NumIterations:       100,
		LearningRate:        0.1,
		MaxDepth:            -1,
		NumLeaves:           31,
		MinDataInLeaf:       20,
		MinSumHessianInLeaf: 1e-3,
		ScalePosWeight:      1,
		FeatureFraction:     1,
		BaggingFraction:     1,
		MaxBin:              255,
	}
}

// canonical maps every accepted key (LightGBM names and their aliases) to its canonical name.
var canonical = map[string]string{}

func init() {
	groups := [][]string{
		{"objective", "objective_type", "app", "application", "loss"},
		{"boosting", "boosting_type", "boost"},
		{"num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees", "num_round", "num_rounds",
			"nrounds", "num_boost_round", "n_estimators", "max_iter"},
		{"learning_rate", "shrinkage_rate", "eta"},
		{"max_depth"},
		{"num_leaves", "num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"},
		{"min_data_in_leaf", "min_data_per_leaf", "min_data", "min_child_samples", "min_samples_leaf"},
		{"min_sum_hessian_in_leaf", "min_sum_hessian_per_leaf", "min_sum_hessian", "min_hessian", "min_child_weight"},
		{"lambda_l1", "reg_alpha", "l1_regularization"},
		{"lambda_l2", "reg_lambda", "lambda", "l2_regularization"},
		{"min_gain_to_split", "min_split_gain"},
		{"is_unbalance", "unbalance", "unbalanced_sets"},
		{"scale_pos_weight"},
		{"feature_fraction", "sub_feature", "colsample_bytree"},
		{"bagging_fraction", "sub_row", "subsample", "bagging"},
		{"bagging_freq", "subsample_freq"},
		{"seed", "random_seed", "random_state"},
		{"max_bin", "max_bins"},
		{"metric", "metrics", "metric_types"},
		{"verbose", "verbosity"},
		{"num_threads", "num_thread", "nthread", "nthreads", "n_jobs"},
	}
	for _, g := range groups {
		for _, k := range g {
			canonical[k] = g[0]
		}
	}
}

// ParseParams reads a LightGBM-style parameter object (the `train` dict of an ITB `gb` entry)
// over DefaultParams. Aliases are accepted; an unknown key, a key given twice through aliases,
// a value of the wrong type or an out-of-range value is an error wrapping ErrParam.
// Empty input or JSON null gives the defaults.
func ParseParams(raw json.RawMessage) (Params, error) {
	p := DefaultParams()
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return p, nil
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return p, fmt.Errorf("%w: parameters must be a JSON object: %v", ErrParam, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error messages
	seen := map[string]string{}
	for _, key := range keys {
		name, ok := canonical[key]
		if !ok {
			return p, fmt.Errorf("%w: unknown parameter %q", ErrParam, key)
		}
		if prev, dup := seen[name]; dup {
			return p, fmt.Errorf("%w: %q and %q set the same parameter %q", ErrParam, prev, key, name)
		}
		seen[name] = key
		if err := p.set(name, m[key]); err != nil {
			return p, fmt.Errorf("%w: parameter %q: %v", ErrParam, key, err)
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

func (p *Params) set(name string, v json.RawMessage) error {
	var err error
	switch name {
	case "objective":
		var s string
		if s, err = jsonString(v); err == nil {
			p.Objective, err = normaliseObjective(s)
		}
	case "boosting":
		var s string
		if s, err = jsonString(v); err == nil && s != "gbdt" && s != "gbrt" {
			err = fmt.Errorf("only \"gbdt\" is supported, got %q", s)
		}
	case "num_iterations":
		p.NumIterations, err = jsonInt(v)
	case "learning_rate":
		p.LearningRate, err = jsonFloat(v)
	case "max_depth":
		p.MaxDepth, err = jsonInt(v)
	case "num_leaves":
		p.NumLeaves, err = jsonInt(v)
	case "min_data_in_leaf":
		p.MinDataInLeaf, err = jsonInt(v)
	case "min_sum_hessian_in_leaf":
		p.MinSumHessianInLeaf, err = jsonFloat(v)
	case "lambda_l1":
		p.LambdaL1, err = jsonFloat(v)
	case "lambda_l2":
		p.LambdaL2, err = jsonFloat(v)
	case "min_gain_to_split":
		p.MinGainToSplit, err = jsonFloat(v)
	case "is_unbalance":
		p.IsUnbalance, err = jsonBool(v)
	case "scale_pos_weight":
		p.ScalePosWeight, err = jsonFloat(v)
	case "feature_fraction":
		p.FeatureFraction, err = jsonFloat(v)
	case "bagging_fraction":
		p.BaggingFraction, err = jsonFloat(v)
	case "bagging_freq":
		p.BaggingFreq, err = jsonInt(v)
	case "seed":
		var s int
		s, err = jsonInt(v)
		p.Seed = int64(s)
	case "max_bin":
		p.MaxBin, err = jsonInt(v)
	case "num_threads":
		p.NumThreads, err = jsonInt(v)
	case "metric", "verbose":
		// Accepted and ignored, as they only affect LightGBM's logging.
	}
	return err
}

func normaliseObjective(s string) (string, error) {
	switch strings.ToLower(s) {
	case "binary":
		return ObjectiveBinary, nil
	case "cross_entropy", "xentropy":
		return ObjectiveCrossEntropy, nil
	case "regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root", "root_mean_squared_error", "rmse":
		return ObjectiveRegression, nil
	}
	return "", fmt.Errorf("unsupported objective %q (want binary, cross_entropy/xentropy or regression/l2)", s)
}

func jsonString(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s", v)
	}
	return s, nil
}

// jsonFloat accepts a JSON number or a string holding one (LightGBM receives strings too).
func jsonFloat(v json.RawMessage) (float64, error) {
	var x any
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return 0, err
	}
	var s string
	switch t := x.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		return 0, fmt.Errorf("want a number, got %s", v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a finite number, got %s", v)
	}
	return f, nil
}

func jsonInt(v json.RawMessage) (int, error) {
	f, err := jsonFloat(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, fmt.Errorf("want an integer, got %s", v)
	}
	return int(f), nil
}

func jsonBool(v json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(v, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
	}
	if f, err := jsonFloat(v); err == nil && (f == 0 || f == 1) {
		return f == 1, nil
	}
	return false, fmt.Errorf("want a boolean, got %s", v)
}

// Validate checks the ranges LightGBM enforces (and max_bin <= 255, as bins are stored as bytes).
// Errors wrap ErrParam.
func (p Params) Validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: parameter %q: %s", ErrParam, key, fmt.Sprintf(format, args...))
	}
	if _, err := normaliseObjective(p.Objective); err != nil {
		return bad("objective", "%v", err)
	}
	finite := map[string]float64{
		"learning_rate": p.LearningRate, "min_sum_hessian_in_leaf": p.MinSumHessianInLeaf,
		"lambda_l1": p.LambdaL1, "lambda_l2": p.LambdaL2, "min_gain_to_split": p.MinGainToSplit,
		"scale_pos_weight": p.ScalePosWeight, "feature_fraction": p.FeatureFraction,
		"bagging_fraction": p.BaggingFraction,
	}
	for _, k := range []string{"learning_rate", "min_sum_hessian_in_leaf", "lambda_l1", "lambda_l2",
		"min_gain_to_split", "scale_pos_weight", "feature_fraction", "bagging_fraction"} {
		if v := finite[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			return bad(k, "must be finite, got %v", v)
		}
	}
	switch {
	case p.NumIterations < 0:
		return bad("num_iterations", "must be >= 0, got %d", p.NumIterations)
	case p.LearningRate <= 0:
		return bad("learning_rate", "must be > 0, got %v", p.LearningRate)
	case p.NumLeaves < 2 || p.NumLeaves > 131072:
		return bad("num_leaves", "must be in [2, 131072], got %d", p.NumLeaves)
	case p.MinDataInLeaf < 0:
		return bad("min_data_in_leaf", "must be >= 0, got %d", p.MinDataInLeaf)
	case p.MinSumHessianInLeaf < 0:
		return bad("min_sum_hessian_in_leaf", "must be >= 0, got %v", p.MinSumHessianInLeaf)
	case p.LambdaL1 < 0:
		return bad("lambda_l1", "must be >= 0, got %v", p.LambdaL1)
	case p.LambdaL2 < 0:
		return bad("lambda_l2", "must be >= 0, got %v", p.LambdaL2)
	case p.MinGainToSplit < 0:
		return bad("min_gain_to_split", "must be >= 0, got %v", p.MinGainToSplit)
	case p.ScalePosWeight <= 0:
		return bad("scale_pos_weight", "must be > 0, got %v", p.ScalePosWeight)
	case p.IsUnbalance && p.ScalePosWeight != 1:
		return bad("scale_pos_weight", "cannot be combined with is_unbalance")
	case p.FeatureFraction <= 0 || p.FeatureFraction > 1:
		return bad("feature_fraction", "must be in (0, 1], got %v", p.FeatureFraction)
	case p.BaggingFraction <= 0 || p.BaggingFraction > 1:
		return bad("bagging_fraction", "must be in (0, 1], got %v", p.BaggingFraction)
	case p.BaggingFreq < 0:
		return bad("bagging_freq", "must be >= 0, got %d", p.BaggingFreq)
	case p.MaxBin < 2 || p.MaxBin > 255:
		return bad("max_bin", "must be in [2, 255], got %d", p.MaxBin)
	}
	return nil
}
