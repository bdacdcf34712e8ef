package gbdt

import (
	"fmt"
	"math"
	"runtime"
)

// Model is a trained ensemble. It is self-contained and JSON-serialisable; prediction needs no
// bin boundaries because every split stores its raw threshold. Prediction only reads the model,
// so one model may serve several goroutines.
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
	// LeafCount is the number of training rows (of the bag) that fell in each leaf; it is
	// informational and may be empty in a hand-written model.
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
	if len(t.LeafValue) != ni+1 {
		return fmt.Errorf("%d internal nodes need %d leaf values, have %d", ni, ni+1, len(t.LeafValue))
	}
	if len(t.LeafCount) != 0 && len(t.LeafCount) != ni+1 {
		return fmt.Errorf("%d leaf counts for %d leaves", len(t.LeafCount), ni+1)
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
	f := compile(m)
	ns := max(len(f.features), 1)
	// rows per block: the block's copy of the features should stay in the L1/L2 cache
	block := max(16, min(maxBlock, 6400/ns))
	nBlocks := (len(out) + block - 1) / block
	parallelRange(runtime.GOMAXPROCS(0), nBlocks, 8, func(_, lo, hi int) {
		buf := make([]float64, block*ns)
		var node [maxBlock]int32
		for b := lo; b < hi; b++ {
			base := b * block
			rows := out[base:min(base+block, len(out))]
			// copy the block's used features row-major; +Inf becomes MaxFloat64 as in training
			for s, j := range f.features {
				for i, x := range cols[j][base : base+len(rows)] {
					buf[i*ns+s] = min(x, math.MaxFloat64)
				}
			}
			for i := range rows {
				rows[i] = m.InitScore
			}
			for k, root := range f.roots {
				// every row takes depth steps; leaves step to themselves
				for i := range rows {
					node[i] = root
				}
				for range f.depth[k] {
					for i := range rows {
						nd := &f.nodes[node[i]]
						v := buf[i*ns+int(nd.slot)]
						// branch-free: the direction is unpredictable
						node[i] = nd.child[b2i(v <= nd.thr)|b2i(v != v)&nd.missLeft]
					}
				}
				for i := range rows {
					rows[i] += f.nodes[node[i]].value
				}
			}
		}
	})
	return nil
}

const maxBlock = 256

// compiled is a model flattened for prediction: all trees' nodes and leaves in one array, a
// leaf being a node whose children are itself, so that every row of a tree takes the same
// number of branch-free steps. Features are renumbered to the slots of those the model uses.
type compiled struct {
	features []int // slot -> feature
	nodes    []predNode
	roots    []int32 // per tree
	depth    []int   // per tree: the longest root-to-leaf path
}

type predNode struct {
	thr      float64
	value    float64  // leaf value (leaves only)
	child    [2]int32 // right, left
	slot     int32
	missLeft int // 1 when NaN goes left
}

// compile flattens a validated model.
func compile(m *Model) *compiled {
	c := &compiled{}
	slot := make([]int32, m.NumFeatures)
	for _, t := range m.Trees {
		for _, f := range t.SplitFeature {
			slot[f] = 1
		}
	}
	for f, used := range slot {
		if used != 0 {
			slot[f] = int32(len(c.features))
			c.features = append(c.features, f)
		}
	}
	for k := range m.Trees {
		t := &m.Trees[k]
		ni := int32(len(t.SplitFeature))
		off := int32(len(c.nodes))
		c.roots = append(c.roots, off) // the root, or the only leaf
		abs := func(ch int32) int32 {
			if ch >= 0 {
				return off + ch
			}
			return off + ni + ^ch // leaves follow the internal nodes
		}
		for i, f := range t.SplitFeature {
			c.nodes = append(c.nodes, predNode{thr: t.Threshold[i], slot: slot[f], missLeft: b2i(t.DefaultLeft[i]),
				child: [2]int32{abs(t.RightChild[i]), abs(t.LeftChild[i])}})
		}
		for leaf, v := range t.LeafValue {
			self := off + ni + int32(leaf)
			c.nodes = append(c.nodes, predNode{value: v, child: [2]int32{self, self}})
		}
		// children come after their parents, so one backward pass gives the heights
		height := make([]int, ni)
		for i := ni - 1; i >= 0; i-- {
			for _, ch := range []int32{t.LeftChild[i], t.RightChild[i]} {
				if ch >= 0 {
					height[i] = max(height[i], height[ch])
				}
			}
			height[i]++
		}
		d := 0
		if ni > 0 {
			d = height[0]
		}
		c.depth = append(c.depth, d)
	}
	return c
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
