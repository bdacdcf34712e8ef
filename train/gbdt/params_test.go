package gbdt

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseParamsDefaults(t *testing.T) {
	for _, raw := range []string{``, `null`, `{}`, ` { } `} {
		p, err := ParseParams(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		// LightGBM's documented defaults
		want := Params{Objective: "regression", NumIterations: 100, LearningRate: 0.1, MaxDepth: -1,
			NumLeaves: 31, MinDataInLeaf: 20, MinSumHessianInLeaf: 1e-3, ScalePosWeight: 1,
			FeatureFraction: 1, BaggingFraction: 1, MaxBin: 255}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("%q: %+v, want %+v", raw, p, want)
		}
	}
}

func TestParseParamsITBConfigs(t *testing.T) {
	// ITB's legacy gb defaults, and the v0.6 forced extras, as they appear in a config
	p, err := ParseParams(json.RawMessage(`{
		"objective": "cross_entropy", "max_depth": 1, "learning_rate": 0.01, "num_boost_round": 1500,
		"lambda_l1": 1.0, "lambda_l2": 1.0, "num_leaves": 32, "min_data_in_leaf": 123,
		"is_unbalance": true, "boosting_type": "gbdt", "metric": "cross_entropy", "verbose": -1,
		"n_jobs": -1}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultParams()
	want.Objective = ObjectiveCrossEntropy
	want.MaxDepth = 1
	want.LearningRate = 0.01
	want.NumIterations = 1500
	want.LambdaL1, want.LambdaL2 = 1, 1
	want.NumLeaves = 32
	want.MinDataInLeaf = 123
	want.IsUnbalance = true
	want.NumThreads = -1
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

func TestParseParamsAliasesAndValues(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		check func(Params) bool
	}{
		{`{"objective":"xentropy"}`, func(p Params) bool { return p.Objective == ObjectiveCrossEntropy }},
		{`{"objective":"binary"}`, func(p Params) bool { return p.Objective == ObjectiveBinary }},
		{`{"objective":"l2"}`, func(p Params) bool { return p.Objective == ObjectiveRegression }},
		{`{"n_estimators":7}`, func(p Params) bool { return p.NumIterations == 7 }},
		{`{"num_iterations":8}`, func(p Params) bool { return p.NumIterations == 8 }},
		{`{"num_boost_round":9.0}`, func(p Params) bool { return p.NumIterations == 9 }},
		{`{"eta":"0.25"}`, func(p Params) bool { return p.LearningRate == 0.25 }},
		{`{"reg_alpha":0.5,"reg_lambda":2}`, func(p Params) bool { return p.LambdaL1 == 0.5 && p.LambdaL2 == 2 }},
		{`{"min_child_samples":3,"min_child_weight":0.5}`, func(p Params) bool {
			return p.MinDataInLeaf == 3 && p.MinSumHessianInLeaf == 0.5
		}},
		{`{"colsample_bytree":0.5,"subsample":0.8,"subsample_freq":2}`, func(p Params) bool {
			return p.FeatureFraction == 0.5 && p.BaggingFraction == 0.8 && p.BaggingFreq == 2
		}},
		{`{"random_state":42,"max_bin":63}`, func(p Params) bool { return p.Seed == 42 && p.MaxBin == 63 }},
		{`{"is_unbalance":"true"}`, func(p Params) bool { return p.IsUnbalance }},
		{`{"is_unbalance":1}`, func(p Params) bool { return p.IsUnbalance }},
		{`{"scale_pos_weight":3,"min_split_gain":0.1}`, func(p Params) bool {
			return p.ScalePosWeight == 3 && p.MinGainToSplit == 0.1
		}},
		{`{"metric":["auc","binary_logloss"],"verbosity":1,"num_threads":2}`, func(p Params) bool { return p.NumThreads == 2 }},
	} {
		p, err := ParseParams(json.RawMessage(tc.raw))
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if !tc.check(p) {
			t.Errorf("%s: got %+v", tc.raw, p)
		}
	}
}

func TestParseParamsErrors(t *testing.T) {
	for _, tc := range []struct{ raw, mention string }{
		{`{"nonsense":1}`, `"nonsense"`},
		{`[1,2]`, "JSON object"},
		{`{"objective":"multiclass"}`, "multiclass"},
		{`{"objective":3}`, `"objective"`},
		{`{"boosting_type":"dart"}`, "dart"},
		{`{"num_leaves":1}`, "num_leaves"},
		{`{"num_leaves":2.5}`, "num_leaves"},
		{`{"learning_rate":0}`, "learning_rate"},
		{`{"learning_rate":"fast"}`, "learning_rate"},
		{`{"max_bin":256}`, "max_bin"},
		{`{"feature_fraction":0}`, "feature_fraction"},
		{`{"bagging_fraction":1.5}`, "bagging_fraction"},
		{`{"lambda_l2":-1}`, "lambda_l2"},
		{`{"min_data_in_leaf":-1}`, "min_data_in_leaf"},
		{`{"is_unbalance":true,"scale_pos_weight":2}`, "is_unbalance"},
		{`{"is_unbalance":"maybe"}`, "is_unbalance"},
		{`{"num_boost_round":10,"n_estimators":20}`, "num_iterations"},
		{`{"num_iterations":-1}`, "num_iterations"},
	} {
		_, err := ParseParams(json.RawMessage(tc.raw))
		if !errors.Is(err, ErrParam) {
			t.Errorf("%s: error %v, want ErrParam", tc.raw, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: error %q should mention %s", tc.raw, err, tc.mention)
		}
	}
}
