package mlp

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseParamsDefaults(t *testing.T) {
	for _, in := range [][2]string{{"", ""}, {"null", "null"}, {"{}", "{}"}} {
		p, err := ParseParams(json.RawMessage(in[0]), json.RawMessage(in[1]))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		// ITB's documented defaults (itb-behaviour.md 4.4).
		if p.Layers != nil || p.Activation != "sigmoid" || p.Regression || p.LearningRate != 0.001 ||
			p.Epochs != 50 || p.BatchSize != 1024 || !p.IsScale || p.Seed != 0 ||
			p.EarlyStopping != (EarlyStopping{Enabled: true, MinDelta: 1e-5, Patience: 5}) {
			t.Errorf("%q: defaults = %+v", in, p)
		}
	}
}

func TestParseParamsAllKeys(t *testing.T) {
	params := `{"layers": [32, 16.0], "activation": "relu", "is_regression": true, "is_scale": false,
		"length": 100000, "every_nth_row": 2}`
	train := `{"learning_rate": 0.01, "n_epochs": 7, "bs": 64, "seed": -3,
		"es": {"monitor": "loss", "min_delta": 0.001, "patience": 2}}`
	p, err := ParseParams(json.RawMessage(params), json.RawMessage(train))
	if err != nil {
		t.Fatal(err)
	}
	want := Params{
		Layers: []int{32, 16}, Activation: "relu", Regression: true, IsScale: false,
		Length: 100000, EveryNthRow: 2, LearningRate: 0.01, Epochs: 7, BatchSize: 64, Seed: -3,
		EarlyStopping: EarlyStopping{Enabled: true, MinDelta: 0.001, Patience: 2},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
}

func TestParseParamsVariants(t *testing.T) {
	cases := []struct {
		params, train string
		check         func(Params) bool
	}{
		{`{"layers": 5}`, ``, func(p Params) bool { return reflect.DeepEqual(p.Layers, []int{5}) }},
		{`{"layers": []}`, ``, func(p Params) bool { return p.Layers == nil }},
		{`{"layers": null}`, ``, func(p Params) bool { return p.Layers == nil }},
		{``, `{"es": false}`, func(p Params) bool { return !p.EarlyStopping.Enabled }},
		{``, `{"es": true}`, func(p Params) bool {
			return p.EarlyStopping == EarlyStopping{Enabled: true, MinDelta: 1e-5, Patience: 5}
		}},
		{``, `{"es": {"patience": 9}}`, func(p Params) bool {
			return p.EarlyStopping == EarlyStopping{Enabled: true, MinDelta: 1e-5, Patience: 9}
		}},
		{``, `{"seed": 4}`, func(p Params) bool { return p.Seed == 4 }},
		{``, `{"n_epochs": 3.0}`, func(p Params) bool { return p.Epochs == 3 }},
	}
	for _, c := range cases {
		p, err := ParseParams(json.RawMessage(c.params), json.RawMessage(c.train))
		if err != nil {
			t.Errorf("%s %s: %v", c.params, c.train, err)
			continue
		}
		if !c.check(p) {
			t.Errorf("%s %s: got %+v", c.params, c.train, p)
		}
	}
}

func TestParseParamsErrors(t *testing.T) {
	cases := []struct {
		params, train string
		mention       string // the error must name this
	}{
		{`{"layer": [3]}`, ``, "params.layer"},
		{``, `{"epochs": 3}`, "train.epochs"},
		{``, `{"es": {"restore_best_weights": true}}`, "restore_best_weights"},
		{``, `{"es": {"monitor": "val_loss"}}`, "monitor"},
		{``, `{"es": "yes"}`, "train.es"},
		{`{"layers": [0]}`, ``, "params.layers"},
		{`{"layers": [4, -1]}`, ``, "params.layers"},
		{`{"layers": 0}`, ``, "params.layers"},
		{`{"layers": [2.5]}`, ``, "params.layers"},
		{`{"layers": "8"}`, ``, "params.layers"},
		{`{"activation": "softmax"}`, ``, "params.activation"},
		{`{"activation": 1}`, ``, "params.activation"},
		{`{"is_regression": 1}`, ``, "params.is_regression"},
		{`{"length": -5}`, ``, "params.length"},
		{``, `{"learning_rate": 0}`, "train.learning_rate"},
		{``, `{"learning_rate": "fast"}`, "train.learning_rate"},
		{``, `{"n_epochs": 0}`, "train.n_epochs"},
		{``, `{"bs": 1.5}`, "train.bs"},
		{``, `{"es": {"patience": -1}}`, "patience"},
		{``, `{"es": {"min_delta": -0.1}}`, "min_delta"},
		{`{"seed": 1}`, ``, "params.seed"},
		{``, `{"seed": 0.5}`, "train.seed"},
		{`[1, 2]`, ``, "params"},
		{``, `3`, "train"},
	}
	for _, c := range cases {
		_, err := ParseParams(json.RawMessage(c.params), json.RawMessage(c.train))
		if !errors.Is(err, ErrParam) {
			t.Errorf("%s %s: err = %v, want ErrParam", c.params, c.train, err)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s %s: error %q does not mention %q", c.params, c.train, err, c.mention)
		}
	}
}
