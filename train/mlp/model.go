package mlp

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// ErrModel is wrapped when a (typically deserialised) model is malformed.
var ErrModel = errors.New("mlp: malformed model")

// ErrNotClassifier is returned by PredictProba for a regression model.
var ErrNotClassifier = errors.New("mlp: not a classification model")

// Model is a trained network. It serialises to JSON as is.
type Model struct {
	// NFeatures is the number of input features.
	NFeatures int `json:"n_features"`
	// Layers are the hidden layer sizes.
	Layers []int `json:"layers"`
	// Activation of the hidden layers.
	Activation string `json:"activation"`
	// Regression is true for a linear output trained with MSE, false for a sigmoid output.
	Regression bool `json:"is_regression"`
	// Weights[l][j][k] is the weight from input k to unit j of layer l; the last layer is
	// the single output unit.
	Weights [][][]float64 `json:"weights"`
	// Biases[l][j] is the bias of unit j of layer l.
	Biases [][]float64 `json:"biases"`
	// Epochs is the number of epochs run (fewer than requested after early stopping).
	Epochs int `json:"epochs"`
	// Loss is the last epoch's mean training loss (BCE or MSE, accumulated during the epoch).
	Loss float64 `json:"loss"`
	// LossHistory holds every epoch's mean training loss.
	LossHistory []float64 `json:"loss_history"`
}

func (m *Model) fromNet(nt *net, activation string) {
	m.NFeatures = nt.sizes[0]
	m.Layers = append([]int(nil), nt.sizes[1:len(nt.sizes)-1]...)
	m.Activation = activation
	m.Regression = nt.regression
	m.Weights = make([][][]float64, nt.nLayers())
	m.Biases = make([][]float64, nt.nLayers())
	for l := range m.Weights {
		in, out := nt.sizes[l], nt.sizes[l+1]
		w := nt.w(nt.theta, l)
		m.Weights[l] = make([][]float64, out)
		for j := range out {
			m.Weights[l][j] = append([]float64(nil), w[j*in:(j+1)*in]...)
		}
		m.Biases[l] = append([]float64(nil), nt.b(nt.theta, l)...)
	}
}

// Validate checks that the model's shapes are consistent and its weights finite.
func (m *Model) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil model", ErrModel)
	}
	if m.NFeatures < 1 {
		return fmt.Errorf("%w: n_features = %d", ErrModel, m.NFeatures)
	}
	if !validActivation(m.Activation) {
		return fmt.Errorf("%w: activation %q", ErrModel, m.Activation)
	}
	sizes := append(append([]int{m.NFeatures}, m.Layers...), 1)
	if len(m.Weights) != len(sizes)-1 || len(m.Biases) != len(sizes)-1 {
		return fmt.Errorf("%w: %d weight and %d bias layers for %d hidden layers",
			ErrModel, len(m.Weights), len(m.Biases), len(m.Layers))
	}
	for l := range m.Weights {
		in, out := sizes[l], sizes[l+1]
		if out < 1 {
			return fmt.Errorf("%w: layer %d has size %d", ErrModel, l, out)
		}
		if len(m.Weights[l]) != out || len(m.Biases[l]) != out {
			return fmt.Errorf("%w: layer %d: %d weight rows and %d biases, want %d",
				ErrModel, l, len(m.Weights[l]), len(m.Biases[l]), out)
		}
		for j, row := range m.Weights[l] {
			if len(row) != in {
				return fmt.Errorf("%w: layer %d unit %d has %d weights, want %d", ErrModel, l, j, len(row), in)
			}
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%w: layer %d unit %d has a non-finite weight", ErrModel, l, j)
				}
			}
		}
		for j, v := range m.Biases[l] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: layer %d unit %d has a non-finite bias", ErrModel, l, j)
			}
		}
	}
	return nil
}

func (m *Model) toNet() *net {
	sizes := append(append([]int{m.NFeatures}, m.Layers...), 1)
	nt := newNet(sizes, actOf(m.Activation), m.Regression)
	for l := range m.Weights {
		in := sizes[l]
		w := nt.w(nt.theta, l)
		for j, row := range m.Weights[l] {
			copy(w[j*in:(j+1)*in], row)
		}
		copy(nt.b(nt.theta, l), m.Biases[l])
	}
	return nt
}

// PredictProba writes the probability of class 1 for every row of cols (column-major, like
// Fit's input) into out. Rows with a NaN (or infinite) feature get NaN, as in ITB, where
// ±Inf becomes NaN before prediction. It fails for a
// regression model, a malformed model or mismatched lengths.
func (m *Model) PredictProba(cols [][]float64, out []float64) error {
	if m != nil && m.Regression {
		return ErrNotClassifier
	}
	return m.Predict(cols, out)
}

// Predict writes the network's output for every row of cols into out: the probability of
// class 1 for a classifier, the predicted value for a regressor. Rows with a NaN or infinite
// feature get NaN. It fails for a malformed model or mismatched lengths.
func (m *Model) Predict(cols [][]float64, out []float64) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if len(cols) != m.NFeatures {
		return fmt.Errorf("%w: %d feature columns, model has %d", ErrShape, len(cols), m.NFeatures)
	}
	n := len(out)
	for j, c := range cols {
		if len(c) != n {
			return fmt.Errorf("%w: column %d has %d rows, out has %d", ErrShape, j, len(c), n)
		}
	}
	nt := m.toNet()
	const rows = 1024
	nc := (n + rows - 1) / rows
	workers := min(runtime.GOMAXPROCS(0), nc)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			wk := nt.newWork(false)
			x := make([]float64, m.NFeatures)
			for c := g; c < nc; c += workers {
				for i := c * rows; i < min((c+1)*rows, n); i++ {
					nan := false
					for j, col := range cols {
						v := col[i]
						x[j] = v
						nan = nan || math.IsNaN(v) || math.IsInf(v, 0)
					}
					if nan {
						out[i] = math.NaN()
						continue
					}
					out[i] = nt.outputOf(nt.forward(x, wk))
				}
			}
		})
	}
	wg.Wait()
	return nil
}
