package gbdt

import (
	"fmt"
	"math"
	"runtime"
)

// Model is a trained ensemble. It is self-contained and JSON-serialisable; prediction needs no
// bin boundaries because every split stores its raw threshold.
type Model struct {
	// Objective is the normalised objective the model was trained with.
	Objective string `json:"objective"`
	// NumFeatures is the number of feature columns prediction expects.
	NumFeatures int `json:"num_features"`
	// InitScore is the raw score every prediction starts from (boost_from_average).
	InitScore float64 `json:"init_score"`
	// Params are the training parameters (for the record; prediction does not use them).
	Params Params `json:"params"`
	// Trees are added to InitScore to give the raw score.
	Trees []Tree `json:"trees"`
}

// Tree is one regression tree stored as parallel arrays over its internal nodes, in the order
// they were split (node 0 is the root). A child index c >= 0 is an internal node; c < 0 is the
// leaf ^c (that is -c-1). A row goes left when its value is <= Threshold, or, when the value
// is NaN, when DefaultLeft is set. +Inf is treated as math.MaxFloat64 and -Inf as -math.MaxFloat64.
type Tree struct {
	// SplitFeature is the feature index tested at each internal node.
	SplitFeature []int32 `json:"split_feature"`
	// Threshold is the raw split value at each internal node.
	Threshold []float64 `json:"threshold"`
	// DefaultLeft says where NaN goes at each internal node.
	DefaultLeft []bool `json:"default_left"`
	// LeftChild is the left child of each internal node.
	LeftChild []int32 `json:"left_child"`
	// RightChild is the right child of each internal node.
	RightChild []int32 `json:"right_child"`
	// LeafValue is each leaf's contribution to the raw score, learning rate applied.
	LeafValue []float64 `json:"leaf_value"`
	// LeafCount is the number of training rows (of the bag) that fell in each leaf.
	LeafCount []int32 `json:"leaf_count"`
}

// Validate checks the model's structure so that prediction cannot fail or loop on a corrupt
// or hand-edited model. Errors wrap ErrModel.
func (m *Model) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil model", ErrModel)
	}
	if o, err := normaliseObjective(m.Objective); err != nil || o != m.Objective {
		return fmt.Errorf("%w: objective %q", ErrModel, m.Objective)
	}
	if m.NumFeatures < 1 {
		return fmt.Errorf("%w: num_features %d", ErrModel, m.NumFeatures)
	}
	if math.IsNaN(m.InitScore) || math.IsInf(m.InitScore, 0) {
		return fmt.Errorf("%w: init_score %v", ErrModel, m.InitScore)
	}
	for k := range m.Trees {
		if err := m.Trees[k].validate(m.NumFeatures); err != nil {
			return fmt.Errorf("%w: tree %d: %v", ErrModel, k, err)
		}
	}
	return nil
}

func (t *Tree) validate(nf int) error {
	ni := len(t.SplitFeature)
	if len(t.Threshold) != ni || len(t.DefaultLeft) != ni || len(t.LeftChild) != ni || len(t.RightChild) != ni {
		return fmt.Errorf("node arrays differ in length")
	}
	if len(t.LeafValue) != ni+1 || len(t.LeafCount) != ni+1 {
		return fmt.Errorf("%d internal nodes need %d leaves, have %d values and %d counts",
			ni, ni+1, len(t.LeafValue), len(t.LeafCount))
	}
	for _, v := range t.LeafValue {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("leaf value %v", v)
		}
	}
	seenNode := make([]bool, ni)
	seenLeaf := make([]bool, ni+1)
	for k := 0; k < ni; k++ {
		if f := t.SplitFeature[k]; f < 0 || int(f) >= nf {
			return fmt.Errorf("node %d splits on feature %d of %d", k, f, nf)
		}
		if math.IsNaN(t.Threshold[k]) {
			return fmt.Errorf("node %d has a NaN threshold", k)
		}
		for _, c := range []int32{t.LeftChild[k], t.RightChild[k]} {
			if c >= 0 {
				// children come after their parent, so walking down always terminates
				if int(c) <= k || int(c) >= ni || seenNode[c] {
					return fmt.Errorf("node %d has a bad child %d", k, c)
				}
				seenNode[c] = true
			} else {
				leaf := int(^c)
				if leaf > ni || seenLeaf[leaf] {
					return fmt.Errorf("node %d has a bad leaf %d", k, leaf)
				}
				seenLeaf[leaf] = true
			}
		}
	}
	return nil
}

// leaf returns the leaf row i of cols falls into.
func (t *Tree) leaf(cols [][]float64, i int) int {
	if len(t.SplitFeature) == 0 {
		return 0
	}
	node := int32(0)
	for node >= 0 {
		x := cols[t.SplitFeature[node]][i]
		var goLeft bool
		if x != x {
			goLeft = t.DefaultLeft[node]
		} else {
			goLeft = clampInf(x) <= t.Threshold[node]
		}
		if goLeft {
			node = t.LeftChild[node]
		} else {
			node = t.RightChild[node]
		}
	}
	return int(^node)
}

// PredictRaw writes the raw scores (log-odds for the classification objectives) of the rows of
// cols into out; len(out) is the number of rows and every column must have that length.
func (m *Model) PredictRaw(cols [][]float64, out []float64) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if len(cols) != m.NumFeatures {
		return fmt.Errorf("%w: model has %d features, got %d columns", ErrShape, m.NumFeatures, len(cols))
	}
	for j, c := range cols {
		if len(c) != len(out) {
			return fmt.Errorf("%w: feature %d has %d rows, output has %d", ErrShape, j, len(c), len(out))
		}
	}
	const block = 512
	nBlocks := (len(out) + block - 1) / block
	parallelRange(runtime.GOMAXPROCS(0), nBlocks, 4, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			rows := out[b*block : min((b+1)*block, len(out))]
			base := b * block
			for i := range rows {
				rows[i] = m.InitScore
			}
			for k := range m.Trees {
				t := &m.Trees[k]
				for i := range rows {
					rows[i] += t.LeafValue[t.leaf(cols, base+i)]
				}
			}
		}
	})
	return nil
}

// Predict writes what LightGBM's predict returns: probabilities for the classification
// objectives, raw values for regression.
func (m *Model) Predict(cols [][]float64, out []float64) error {
	if err := m.PredictRaw(cols, out); err != nil {
		return err
	}
	if m.Objective != ObjectiveRegression {
		for i, v := range out {
			out[i] = sigmoid(v)
		}
	}
	return nil
}

// PredictProba writes the probability of the positive class; it fails with ErrModel for a
// regression model.
func (m *Model) PredictProba(cols [][]float64, out []float64) error {
	if m != nil && m.Objective == ObjectiveRegression {
		return fmt.Errorf("%w: a regression model has no probabilities", ErrModel)
	}
	return m.Predict(cols, out)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
