package gbdt

import (
	"fmt"
	"math"
)

// splitInfo is the best split found for a leaf.
type splitInfo struct {
	valid       bool
	gain        float64 // improvement over the unsplit leaf
	pos         int     // usable feature position
	bin         int     // rows with a value bin <= bin go left
	defaultLeft bool    // where the missing bin goes
	lg, lh      float64 // left sums
	lc          int     // left count
}

type leafState struct {
	begin, count int
	g, h         float64
	depth        int
	hist         []featHist // by usable position; nil when the leaf will not be split
	best         splitInfo
	parent       int // internal node holding this leaf, -1 for the root
	isLeft       bool
}

// buildTree is a tree under construction: internal nodes in creation order, children < 0 are ^leaf.
type buildTree struct {
	pos         []int
	bin         []uint8
	defaultLeft []bool
	left, right []int32
	leaves      []leafState
}

type learner struct {
	ds      *dataset
	p       Params
	workers int
	grad    []gradPair
	ordered []gradPair // gradients gathered in position order for the leaf being histogrammed
	dec     []uint8    // per-position split decisions (1 = left)
	tmpRows []int32
	tmpWord [][]uint64 // partition scratch, one per worker
	pool    [][]featHist
	used    []int // usable positions sampled for the current tree
	groups  []int // groups holding at least one used position
	minData int
	tree    buildTree
}

func newLearner(ds *dataset, p Params, workers int) *learner {
	l := &learner{
		ds:      ds,
		p:       p,
		workers: workers,
		ordered: make([]gradPair, ds.n),
		dec:     make([]uint8, ds.n),
		tmpRows: make([]int32, ds.n),
		tmpWord: make([][]uint64, workers),
		minData: max(p.MinDataInLeaf, 1),
	}
	for w := range l.tmpWord {
		l.tmpWord[w] = make([]uint64, ds.n)
	}
	return l
}

func (l *learner) getHist() []featHist {
	if k := len(l.pool); k > 0 {
		h := l.pool[k-1]
		l.pool = l.pool[:k-1]
		return h
	}
	// one extra group's worth of room so histGroup can always take 8 lanes
	return make([]featHist, len(l.ds.groups)*groupWidth)
}

func (l *learner) putHist(h []featHist) {
	if h != nil {
		l.pool = append(l.pool, h)
	}
}

// splittable reports whether a leaf may still be split once the tree has nLeaves leaves.
func (l *learner) splittable(lf *leafState, nLeaves int) bool {
	return nLeaves < l.p.NumLeaves &&
		(l.p.MaxDepth <= 0 || lf.depth < l.p.MaxDepth) &&
		lf.count >= 2*l.minData &&
		lf.h >= 2*l.p.MinSumHessianInLeaf
}

// setUsed records the usable positions sampled for the next tree.
func (l *learner) setUsed(used []int) {
	l.used = used
	l.groups = l.groups[:0]
	for _, pos := range used {
		g := pos / groupWidth
		if len(l.groups) == 0 || l.groups[len(l.groups)-1] != g {
			l.groups = append(l.groups, g)
		}
	}
}

// moveToFront stably reorders all row positions so that the rows with inBag set come first.
func (l *learner) moveToFront(inBag []bool) {
	rows := l.ds.rows
	dec := l.dec[:len(rows)]
	for k, r := range rows {
		dec[k] = uint8(b2i(inBag[r]))
	}
	l.partitionAll(0, len(rows))
}

// partitionAll applies l.dec to the positions begin..begin+count of the row map and every group.
func (l *learner) partitionAll(begin, count int) {
	end := begin + count
	dec := l.dec[:count]
	partitionRows(l.ds.rows[begin:end], l.tmpRows, dec)
	groups := l.ds.groups
	parallelRange(l.workers, len(groups), max(1, (1<<16)/max(count, 1)), func(w, lo, hi int) {
		for _, words := range groups[lo:hi] {
			partitionWords(words[begin:end], l.tmpWord[w], dec)
		}
	})
}

// grow builds one tree on the row positions 0..nRoot-1 using the usable positions in used
// (sorted). It returns nil when the root cannot be split.
func (l *learner) grow(grad []gradPair, nRoot int, used []int) (*buildTree, error) {
	l.grad = grad
	l.setUsed(used)
	t := &l.tree
	for _, lf := range t.leaves {
		l.putHist(lf.hist)
	}
	*t = buildTree{pos: t.pos[:0], bin: t.bin[:0], defaultLeft: t.defaultLeft[:0], left: t.left[:0], right: t.right[:0], leaves: t.leaves[:0]}
	root := leafState{begin: 0, count: nRoot, parent: -1}
	l.gather(0, nRoot)
	for _, gp := range l.ordered[:nRoot] {
		root.g += gp.g
		root.h += gp.h
	}
	if !l.splittable(&root, 1) {
		return nil, nil
	}
	root.hist = l.getHist()
	l.buildHist(root.hist, 0, nRoot)
	root.best = l.findBest(&root)
	t.leaves = append(t.leaves, root)
	for len(t.leaves) < l.p.NumLeaves {
		bi := -1
		for i := range t.leaves {
			b := &t.leaves[i].best
			if b.valid && (bi < 0 || b.gain > t.leaves[bi].best.gain) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		if err := l.split(bi); err != nil {
			return nil, err
		}
	}
	if len(t.leaves) < 2 {
		return nil, nil
	}
	return t, nil
}

// split applies the best split of leaf li: the left child keeps index li, the right child is appended.
func (l *learner) split(li int) error {
	t := &l.tree
	lf := t.leaves[li]
	s := lf.best
	node := int32(len(t.pos))
	newLeaf := len(t.leaves)
	t.pos = append(t.pos, s.pos)
	t.bin = append(t.bin, uint8(s.bin))
	t.defaultLeft = append(t.defaultLeft, s.defaultLeft)
	t.left = append(t.left, ^int32(li))
	t.right = append(t.right, ^int32(newLeaf))
	if lf.parent >= 0 {
		if lf.isLeft {
			t.left[lf.parent] = node
		} else {
			t.right[lf.parent] = node
		}
	}
	nl := l.partition(lf.begin, lf.count, s.pos, uint8(s.bin), s.defaultLeft)
	if nl != s.lc {
		return fmt.Errorf("gbdt: internal error: split sends %d rows left, histogram said %d", nl, s.lc)
	}
	left := leafState{begin: lf.begin, count: nl, g: s.lg, h: s.lh, depth: lf.depth + 1, parent: int(node), isLeft: true}
	right := leafState{begin: lf.begin + nl, count: lf.count - nl, g: lf.g - s.lg, h: lf.h - s.lh, depth: lf.depth + 1, parent: int(node)}
	t.leaves[li] = left
	t.leaves = append(t.leaves, right)
	nLeaves := len(t.leaves)
	L, R := &t.leaves[li], &t.leaves[newLeaf]
	canL, canR := l.splittable(L, nLeaves), l.splittable(R, nLeaves)
	if !canL && !canR {
		l.putHist(lf.hist)
		return nil
	}
	small, large := L, R
	if R.count < L.count {
		small, large = R, L
	}
	small.hist = l.getHist()
	l.gather(small.begin, small.count)
	l.buildHist(small.hist, small.begin, small.count)
	large.hist = lf.hist
	l.subtract(large.hist, small.hist)
	for _, c := range []struct {
		lf  *leafState
		can bool
	}{{L, canL}, {R, canR}} {
		if c.can {
			c.lf.best = l.findBest(c.lf)
		} else {
			l.putHist(c.lf.hist)
			c.lf.hist = nil
		}
	}
	return nil
}

// partition stably reorders the positions begin..begin+count so that the rows going left come
// first, and returns their number. Rows go left when their bin of usable position pos is <= thr,
// or, in the missing bin, when defaultLeft is set.
func (l *learner) partition(begin, count, pos int, thr uint8, defaultLeft bool) int {
	words := l.ds.groups[pos/groupWidth][begin : begin+count]
	shift := uint(8 * (pos % groupWidth))
	miss := uint8(l.ds.nb[pos])
	dl := uint8(b2i(defaultLeft))
	dec := l.dec[:len(words)]
	nl := 0
	for k, w := range words {
		b := uint8(w >> shift)
		d := uint8(b2i(b <= thr)) | uint8(b2i(b == miss))&dl
		dec[k] = d
		nl += int(d)
	}
	l.partitionAll(begin, count)
	return nl
}

// gather copies the gradients of the positions begin..begin+count into l.ordered[:count].
func (l *learner) gather(begin, count int) {
	rows := l.ds.rows[begin : begin+count]
	ordered := l.ordered[:count]
	grad := l.grad
	parallelRange(l.workers, count, 1<<15, func(_, lo, hi int) {
		for k, r := range rows[lo:hi] {
			ordered[lo+k] = grad[r]
		}
	})
}

// buildHist fills hist for the groups in use from the positions begin..begin+count, whose
// gradients gather has put in l.ordered. Every group is scanned by one goroutine in position
// order, so the sums do not depend on the number of goroutines.
func (l *learner) buildHist(hist []featHist, begin, count int) {
	ordered := l.ordered[:count]
	groups := l.groups
	parallelRange(l.workers, len(groups), max(1, (1<<16)/max(count, 1)), func(_, lo, hi int) {
		for _, g := range groups[lo:hi] {
			lanes := l.ds.lanes(g)
			h := hist[g*groupWidth : g*groupWidth+groupWidth]
			for lane := range lanes {
				clear(h[lane][:l.ds.nb[g*groupWidth+lane]+1])
			}
			histGroup(h, l.ds.groups[g][begin:begin+count], lanes, ordered)
		}
	})
}

// subtract turns parent into parent - small for the used features.
func (l *learner) subtract(parent, small []featHist) {
	for _, pos := range l.used {
		p, s := &parent[pos], &small[pos]
		for b := 0; b <= l.ds.nb[pos]; b++ {
			p[b].g -= s[b].g
			p[b].h -= s[b].h
			p[b].n -= s[b].n
		}
	}
}

func thresholdL1(g, l1 float64) float64 {
	if g > l1 {
		return g - l1
	}
	if g < -l1 {
		return g + l1
	}
	return 0
}

// leafGain is the loss reduction of giving a leaf its optimal value: ThresholdL1(G)² / (H + λ2).
func leafGain(g, h, l1, l2 float64) float64 {
	d := h + l2
	if d <= 0 {
		return 0
	}
	t := thresholdL1(g, l1)
	return t * t / d
}

// leafOutput is the optimal (unshrunk) leaf value -ThresholdL1(G) / (H + λ2).
func leafOutput(g, h, l1, l2 float64) float64 {
	d := h + l2
	if d <= 0 {
		return 0
	}
	return -thresholdL1(g, l1) / d
}

// better orders candidate splits: higher gain, then lower feature position (deterministic ties).
func better(a, b splitInfo) bool {
	if !b.valid {
		return a.valid
	}
	return a.valid && (a.gain > b.gain || a.gain == b.gain && a.pos < b.pos)
}

// findBest scans the histograms of the used features for the leaf's best split.
func (l *learner) findBest(lf *leafState) splitInfo {
	used := l.used
	parentGain := leafGain(lf.g, lf.h, l.p.LambdaL1, l.p.LambdaL2)
	var best splitInfo
	if len(used)*lf.count < 1<<17 || l.workers == 1 {
		for _, pos := range used {
			if s := l.scanFeature(lf, pos, parentGain); better(s, best) {
				best = s
			}
		}
		return best
	}
	w := min(l.workers, len(used))
	results := make([]splitInfo, w)
	parallelRange(w, len(used), 1, func(k, lo, hi int) {
		var b splitInfo
		for _, pos := range used[lo:hi] {
			if s := l.scanFeature(lf, pos, parentGain); better(s, b) {
				b = s
			}
		}
		results[k] = b
	})
	for _, r := range results {
		if better(r, best) {
			best = r
		}
	}
	return best
}

// scanFeature finds the best threshold of one feature. Every threshold is tried with the missing
// bin on the right and, when the leaf has missing values, on the left; "missing vs the rest" is
// tried too. Without missing values the default direction is the side with more rows.
func (l *learner) scanFeature(lf *leafState, pos int, parentGain float64) splitInfo {
	fh := &lf.hist[pos]
	nb := l.ds.nb[pos]
	l1, l2 := l.p.LambdaL1, l.p.LambdaL2
	minData, minHess := l.minData, l.p.MinSumHessianInLeaf
	G, H, C := lf.g, lf.h, int64(lf.count)
	miss := fh[nb]
	hasMiss := miss.n > 0
	best := splitInfo{pos: pos}
	bestRaw := math.Inf(-1)
	try := func(lg, lh float64, lc int64, bin int, defaultLeft bool) {
		rc := C - lc
		if lc < int64(minData) || rc < int64(minData) {
			return
		}
		rh := H - lh
		if lh < minHess || rh < minHess {
			return
		}
		gain := leafGain(lg, lh, l1, l2) + leafGain(G-lg, rh, l1, l2)
		if gain > bestRaw {
			bestRaw = gain
			best.bin, best.defaultLeft = bin, defaultLeft
			best.lg, best.lh, best.lc = lg, lh, int(lc)
		}
	}
	var lg, lh float64
	var lc int64
	for t := 0; t < nb-1; t++ {
		e := &fh[t]
		lg += e.g
		lh += e.h
		lc += e.n
		if lc == 0 {
			continue
		}
		if C-lc < int64(minData) {
			break // the right side only shrinks from here on
		}
		try(lg, lh, lc, t, false)
		if hasMiss {
			try(lg+miss.g, lh+miss.h, lc+miss.n, t, true)
		}
	}
	if hasMiss {
		try(G-miss.g, H-miss.h, C-miss.n, nb-1, false)
	}
	gain := bestRaw - parentGain
	if !(gain > l.p.MinGainToSplit) || !(gain > 0) {
		return splitInfo{}
	}
	best.valid = true
	best.gain = gain
	if !hasMiss {
		best.defaultLeft = best.lc >= lf.count-best.lc
	}
	return best
}

// finish turns the grown tree into a Tree with shrunk leaf values and adds it to score:
// the rows of the tree's positions through their leaf, the positions nRoot..n-1 (out of bag)
// by walking the binned tree.
func (l *learner) finish(bt *buildTree, score []float64, nRoot int) Tree {
	lr := l.p.LearningRate
	nLeaves := len(bt.leaves)
	t := Tree{
		SplitFeature: make([]int32, len(bt.pos)),
		Threshold:    make([]float64, len(bt.pos)),
		DefaultLeft:  append([]bool(nil), bt.defaultLeft...),
		LeftChild:    append([]int32(nil), bt.left...),
		RightChild:   append([]int32(nil), bt.right...),
		LeafValue:    make([]float64, nLeaves),
		LeafCount:    make([]int32, nLeaves),
	}
	for k, pos := range bt.pos {
		f := l.ds.usable[pos]
		t.SplitFeature[k] = int32(f)
		t.Threshold[k] = l.ds.mappers[f].upper(int(bt.bin[k]))
	}
	rows := l.ds.rows
	for li := range bt.leaves {
		lf := &bt.leaves[li]
		v := lr * leafOutput(lf.g, lf.h, l.p.LambdaL1, l.p.LambdaL2)
		t.LeafValue[li] = v
		t.LeafCount[li] = int32(lf.count)
		for _, r := range rows[lf.begin : lf.begin+lf.count] {
			score[r] += v
		}
	}
	for k := nRoot; k < l.ds.n; k++ {
		node := int32(0)
		for node >= 0 {
			pos := bt.pos[node]
			b := l.ds.bin(pos, k)
			goLeft := b <= bt.bin[node]
			if int(b) == l.ds.nb[pos] {
				goLeft = bt.defaultLeft[node]
			}
			if goLeft {
				node = bt.left[node]
			} else {
				node = bt.right[node]
			}
		}
		score[rows[k]] += t.LeafValue[^node]
	}
	return t
}
