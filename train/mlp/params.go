// Package mlp trains the multilayer perceptron behind ITB's `nn` algorithm: a Keras-like
// Sequential network of Dense hidden layers and one output unit, either a sigmoid output with
// binary cross-entropy (classification) or a linear output with mean squared error
// (regression), trained with Adam on shuffled mini-batches and stopped early on the training
// loss. Training is deterministic for a given seed, whatever GOMAXPROCS is.
package mlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrParam is wrapped by every invalid-parameter error (unknown key, bad type or value).
var ErrParam = errors.New("mlp: invalid parameter")

// Activation names accepted for the hidden layers.
const (
	Sigmoid = "sigmoid"
	ReLU    = "relu"
	Tanh    = "tanh"
)

// EarlyStopping mirrors Keras' EarlyStopping(monitor="loss"): training stops once the epoch's
// training loss has not fallen below the best loss so far by more than MinDelta for Patience
// consecutive epochs.
type EarlyStopping struct {
	// Enabled turns early stopping on.
	Enabled bool `json:"enabled"`
	// MinDelta is the smallest loss decrease that counts as an improvement.
	MinDelta float64 `json:"min_delta"`
	// Patience is the number of epochs without improvement tolerated before stopping.
	Patience int `json:"patience"`
}

// Params configures Fit. Build it with DefaultParams or ParseParams.
type Params struct {
	// Layers are the hidden layer sizes; empty means [max(1, nFeatures/4)] (ITB's default).
	Layers []int `json:"layers"`
	// Activation of the hidden layers: Sigmoid (ITB), ReLU or Tanh.
	Activation string `json:"activation"`
	// Regression selects a linear output with MSE instead of a sigmoid output with BCE.
	Regression bool `json:"is_regression"`
	// LearningRate is Adam's step size.
	LearningRate float64 `json:"learning_rate"`
	// Epochs is the maximum number of passes over the data.
	Epochs int `json:"n_epochs"`
	// BatchSize is the mini-batch size; the last partial batch of an epoch is used too.
	BatchSize int `json:"bs"`
	// EarlyStopping stops training when the loss stops improving.
	EarlyStopping EarlyStopping `json:"es"`
	// Seed drives the weight initialisation and the per-epoch shuffles.
	Seed int64 `json:"seed"`

	// IsScale, Length and EveryNthRow are ITB `params` keys that the caller applies before
	// Fit (standard scaling, keep the last Length rows, keep every n-th row); Fit ignores them.
	// Zero Length and EveryNthRow (0 or 1) mean "all rows".
	IsScale     bool `json:"is_scale"`
	Length      int  `json:"length"`
	EveryNthRow int  `json:"every_nth_row"`

	// OnEpoch, if set, is called after every epoch with the epoch number (from 1) and the
	// epoch's mean training loss. It runs on the goroutine that called Fit.
	OnEpoch func(epoch int, loss float64) `json:"-"`
}

// DefaultParams returns ITB's defaults: sigmoid hidden layers of the default size, Adam with
// learning rate 0.001, 50 epochs, batch size 1024, early stopping (min_delta 1e-5, patience
// 5), seed 0, scaling on.
func DefaultParams() Params {
	return Params{
		Activation:    Sigmoid,
		LearningRate:  0.001,
		Epochs:        50,
		BatchSize:     1024,
		EarlyStopping: EarlyStopping{Enabled: true, MinDelta: 1e-5, Patience: 5},
		IsScale:       true,
	}
}

// ParseParams reads an ITB `nn` algorithm entry: params holds the keys of its "params" object
// (layers, activation, is_regression, is_scale, length, every_nth_row) and train the keys of
// its "train" object (learning_rate, n_epochs, bs, es, seed). Either may be empty or JSON
// null. "layers" is a list of sizes or a single size; an empty list or null means the default.
// "es" is false (off), true (defaults) or an object with min_delta, patience and monitor
// (which must be "loss"). Missing keys keep DefaultParams' values. Errors wrap ErrParam and
// name the key.
func ParseParams(params, train json.RawMessage) (Params, error) {
	p := DefaultParams()

	pm, err := object("params", params)
	if err != nil {
		return Params{}, err
	}
	for _, k := range sortedKeys(pm) {
		v := pm[k]
		switch k {
		case "layers":
			p.Layers, err = parseLayers(v)
		case "activation":
			var s string
			if err = strictString(v, &s); err == nil {
				if !validActivation(s) {
					err = fmt.Errorf("unknown activation %q (want sigmoid, relu or tanh)", s)
				}
				p.Activation = s
			}
		case "is_regression":
			p.Regression, err = parseBool(v)
		case "is_scale":
			p.IsScale, err = parseBool(v)
		case "length":
			p.Length, err = parseInt(v, 0)
		case "every_nth_row":
			p.EveryNthRow, err = parseInt(v, 0)
		default:
			err = errUnknown
		}
		if err != nil {
			return Params{}, keyErr("params", k, err)
		}
	}

	tm, err := object("train", train)
	if err != nil {
		return Params{}, err
	}
	for _, k := range sortedKeys(tm) {
		v := tm[k]
		switch k {
		case "learning_rate":
			p.LearningRate, err = parsePositive(v)
		case "n_epochs":
			p.Epochs, err = parseInt(v, 1)
		case "bs":
			p.BatchSize, err = parseInt(v, 1)
		case "es":
			p.EarlyStopping, err = parseES(v, p.EarlyStopping)
		case "seed":
			var s int
			s, err = parseInt(v, math.MinInt)
			p.Seed = int64(s)
		default:
			err = errUnknown
		}
		if err != nil {
			return Params{}, keyErr("train", k, err)
		}
	}
	return p, nil
}

// validate checks the values Fit depends on.
func (p *Params) validate() error {
	for i, h := range p.Layers {
		if h < 1 {
			return fmt.Errorf("%w: layers[%d] = %d, want >= 1", ErrParam, i, h)
		}
	}
	if !validActivation(p.Activation) {
		return fmt.Errorf("%w: activation %q (want sigmoid, relu or tanh)", ErrParam, p.Activation)
	}
	if !(p.LearningRate > 0) || math.IsInf(p.LearningRate, 0) {
		return fmt.Errorf("%w: learning_rate = %v, want a finite value > 0", ErrParam, p.LearningRate)
	}
	if p.Epochs < 1 {
		return fmt.Errorf("%w: n_epochs = %d, want >= 1", ErrParam, p.Epochs)
	}
	if p.BatchSize < 1 {
		return fmt.Errorf("%w: bs = %d, want >= 1", ErrParam, p.BatchSize)
	}
	es := p.EarlyStopping
	if es.Enabled && (!(es.MinDelta >= 0) || math.IsInf(es.MinDelta, 0) || es.Patience < 0) {
		return fmt.Errorf("%w: es min_delta = %v, patience = %d, want min_delta >= 0 and patience >= 0",
			ErrParam, es.MinDelta, es.Patience)
	}
	return nil
}

func validActivation(s string) bool { return s == Sigmoid || s == ReLU || s == Tanh }

var errUnknown = errors.New("unknown key")

func keyErr(obj, key string, err error) error {
	return fmt.Errorf("%w: %s.%s: %v", ErrParam, obj, key, err)
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func object(name string, raw json.RawMessage) (map[string]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: want a JSON object: %v", ErrParam, name, err)
	}
	return m, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func strictString(raw json.RawMessage, s *string) error {
	if err := json.Unmarshal(raw, s); err != nil {
		return fmt.Errorf("want a string, got %s", bytes.TrimSpace(raw))
	}
	return nil
}

func parseBool(raw json.RawMessage) (bool, error) {
	var b bool
	if isNull(raw) || json.Unmarshal(raw, &b) != nil {
		return false, fmt.Errorf("want true or false, got %s", bytes.TrimSpace(raw))
	}
	return b, nil
}

// parseInt accepts a JSON number with an integral value >= lo (so 50 and 50.0 both work).
func parseInt(raw json.RawMessage, lo int) (int, error) {
	var f float64
	if isNull(raw) || json.Unmarshal(raw, &f) != nil {
		return 0, fmt.Errorf("want an integer, got %s", bytes.TrimSpace(raw))
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("want an integer, got %s", bytes.TrimSpace(raw))
	}
	if int(f) < lo {
		return 0, fmt.Errorf("got %d, want >= %d", int(f), lo)
	}
	return int(f), nil
}

func parsePositive(raw json.RawMessage) (float64, error) {
	var f float64
	if isNull(raw) || json.Unmarshal(raw, &f) != nil {
		return 0, fmt.Errorf("want a number, got %s", bytes.TrimSpace(raw))
	}
	if !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("got %v, want a finite number > 0", f)
	}
	return f, nil
}

func parseLayers(raw json.RawMessage) ([]int, error) {
	if isNull(raw) {
		return nil, nil
	}
	t := bytes.TrimSpace(raw)
	if t[0] != '[' {
		h, err := parseInt(t, 1)
		if err != nil {
			return nil, err
		}
		return []int{h}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(t, &items); err != nil {
		return nil, fmt.Errorf("want a list of layer sizes, got %s", t)
	}
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]int, len(items))
	for i, it := range items {
		h, err := parseInt(it, 1)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %v", i, err)
		}
		out[i] = h
	}
	return out, nil
}

func parseES(raw json.RawMessage, def EarlyStopping) (EarlyStopping, error) {
	if isNull(raw) {
		return def, nil
	}
	t := bytes.TrimSpace(raw)
	if t[0] != '{' {
		b, err := parseBool(t)
		if err != nil {
			return def, fmt.Errorf("want true, false or an object: %v", err)
		}
		def.Enabled = b
		return def, nil
	}
	m, err := object("es", t)
	if err != nil {
		return def, err
	}
	es := def
	es.Enabled = true
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "min_delta":
			var f float64
			if isNull(v) || json.Unmarshal(v, &f) != nil || !(f >= 0) || math.IsInf(f, 0) {
				return def, fmt.Errorf("min_delta: want a finite number >= 0, got %s", bytes.TrimSpace(v))
			}
			es.MinDelta = f
		case "patience":
			if es.Patience, err = parseInt(v, 0); err != nil {
				return def, fmt.Errorf("patience: %v", err)
			}
		case "monitor":
			var s string
			if err := strictString(v, &s); err != nil || s != "loss" {
				return def, fmt.Errorf(`monitor: only "loss" is supported, got %s`, bytes.TrimSpace(v))
			}
		default:
			return def, fmt.Errorf("%s: %w", k, errUnknown)
		}
	}
	return es, nil
}
