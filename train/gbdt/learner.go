package gbdt

import (
	"fmt"
	"math"
	"sort"
	"sync/atomic"
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
	begin, count int  // the leaf's row positions (for a lazy leaf: its parent's)
	rows         int  // number of rows in the leaf
	lazy         bool // not partitioned: its rows are those of its segment that its parent's test sends its way
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
	state   []rowState // per row position
	rows    []int32    // original row per position; tracked only for tests (nil otherwise)
	dec     []uint8    // per-position split decisions (1 = left)
	swapBuf [][]int32  // per-goroutine scratch of reorder
	pool    [][]featHist
	partial [][]featHist // per-chunk histograms of row-parallel builds
	used    []int        // usable positions sampled for the current tree
	groups  []int        // groups holding at least one used position
	minData int
	tree    buildTree
}

func newLearner(ds *dataset, p Params, workers int, state []rowState) *learner {
	l := &learner{
		ds:      ds,
		p:       p,
		workers: workers,
		state:   state,
		dec:     make([]uint8, ds.n),
		swapBuf: make([][]int32, workers),
		minData: max(p.MinDataInLeaf, 1),
	}
	for w := range l.swapBuf {
		l.swapBuf[w] = make([]int32, 2*reorderBlock)
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
		lf.rows >= 2*l.minData &&
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

// moveToFront reorders all row positions so that those with inBag set come first.
func (l *learner) moveToFront(inBag []bool) int {
	return l.reorder(0, l.ds.n, func(dec []uint8, lo, hi int) int {
		ones := 0
		for k, in := range inBag[lo:hi] {
			d := b2i(in)
			dec[lo+k] = uint8(d)
			ones += d
		}
		return ones
	})
}

// reorderBlock is the number of positions per block of reorder.
const reorderBlock = 1 << 12

// reorder moves the positions begin..begin+count of every group, of the row state (and of the
// row map) so that those marked 1 come first, and returns their number nl. fill marks the
// positions lo..hi-1 (relative to begin) in dec and returns how many it marked 1.
//
// Only misplaced positions move: the k-th position marked 0 before nl swaps with the k-th one
// marked 1 from nl on. The work is cut into blocks of positions, so the result does not depend
// on the number of goroutines.
func (l *learner) reorder(begin, count int, fill func(dec []uint8, lo, hi int) int) int {
	dec := l.dec[:count]
	nBlocks := (count + reorderBlock - 1) / reorderBlock
	ones := make([]int, nBlocks)
	parallelRange(l.workers, nBlocks, 8, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			ones[c] = fill(dec, c*reorderBlock, min((c+1)*reorderBlock, count))
		}
	})
	nl := 0
	for _, o := range ones {
		nl += o
	}
	// zl[c]: zeros before nl in blocks < c; or[c]: ones from nl on in blocks < c
	zl := make([]int, nBlocks+1)
	or := make([]int, nBlocks+1)
	for c := range nBlocks {
		lo, hi := c*reorderBlock, min((c+1)*reorderBlock, count)
		z, o := 0, 0
		switch {
		case hi <= nl:
			z = hi - lo - ones[c]
		case lo >= nl:
			o = ones[c]
		default:
			for _, d := range dec[lo:nl] {
				z += 1 - int(d)
			}
			for _, d := range dec[nl:hi] {
				o += int(d)
			}
		}
		zl[c+1], or[c+1] = zl[c]+z, or[c]+o
	}
	groups := l.ds.groups
	// one task per block holding misplaced zeros
	var slot atomic.Int32
	forEach(l.workers, nBlocks, func() func(int) {
		buf := l.swapBuf[slot.Add(1)-1] // scratch: which goroutine gets which does not matter
		a, b := buf[:reorderBlock], buf[reorderBlock:]
		return func(c int) {
			m := zl[c+1] - zl[c]
			if m == 0 {
				return
			}
			a, b := a[:m], b[:m]
			collect(dec, c*reorderBlock, 0, a)
			// the right-hand partners start at the zl[c]-th one from nl on
			r := sort.SearchInts(or, zl[c]+1) - 1 // last block with or[r] <= zl[c]
			j := max(r*reorderBlock, nl)
			for skip := zl[c] - or[r]; ; j++ {
				if dec[j] == 1 {
					if skip == 0 {
						break
					}
					skip--
				}
			}
			collect(dec, j, 1, b)
			for i := range a {
				a[i] += int32(begin)
				b[i] += int32(begin)
			}
			for _, words := range groups {
				swapPairs(words, a, b)
			}
			swapPairs(l.state, a, b)
			if l.rows != nil {
				swapPairs(l.rows, a, b)
			}
		}
	})
	return nl
}

// collect writes to out the positions, from i on, of the next len(out) entries of dec equal to
// want. Branch-free apart from the loop: the marks are unpredictable.
func collect(dec []uint8, i int, want uint8, out []int32) {
	for n := 0; n < len(out); i++ {
		out[n] = int32(i)
		n += b2i(dec[i] == want)
	}
}

// grow builds one tree on the row positions 0..nRoot-1 using the usable positions in used
// (sorted) and the gradients in l.state. It returns nil when the root cannot be split.
func (l *learner) grow(nRoot int, used []int) (*buildTree, error) {
	l.setUsed(used)
	t := &l.tree
	for _, lf := range t.leaves {
		l.putHist(lf.hist)
	}
	*t = buildTree{pos: t.pos[:0], bin: t.bin[:0], defaultLeft: t.defaultLeft[:0], left: t.left[:0], right: t.right[:0], leaves: t.leaves[:0]}
	root := leafState{begin: 0, count: nRoot, rows: nRoot, parent: -1}
	root.hist = l.getHist()
	l.buildHist(root.hist, 0, nRoot)
	// the root sums, from the histogram of one feature (every row is in one of its bins)
	first := used[0]
	for _, e := range root.hist[first][:l.ds.nb[first]+1] {
		root.g += e.g
		root.h += e.h
	}
	if !l.splittable(&root, 1) {
		l.putHist(root.hist)
		return nil, nil
	}
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
	left := leafState{begin: lf.begin, count: s.lc, rows: s.lc, g: s.lg, h: s.lh, depth: lf.depth + 1, parent: int(node), isLeft: true}
	right := leafState{begin: lf.begin + s.lc, count: lf.rows - s.lc, rows: lf.rows - s.lc, g: lf.g - s.lg, h: lf.h - s.lh, depth: lf.depth + 1, parent: int(node)}
	nLeaves := len(t.leaves) + 1
	canL, canR := l.splittable(&left, nLeaves), l.splittable(&right, nLeaves)
	if !canL && !canR {
		// Neither child is split again: skip the partition, finish will apply the test.
		left.begin, left.count, left.lazy = lf.begin, lf.count, true
		right.begin, right.count, right.lazy = lf.begin, lf.count, true
		t.leaves[li] = left
		t.leaves = append(t.leaves, right)
		l.putHist(lf.hist)
		return nil
	}
	if nl := l.partition(lf.begin, lf.count, s.pos, uint8(s.bin), s.defaultLeft); nl != s.lc {
		return fmt.Errorf("gbdt: internal error: split sends %d rows left, histogram said %d", nl, s.lc)
	}
	t.leaves[li] = left
	t.leaves = append(t.leaves, right)
	L, R := &t.leaves[li], &t.leaves[newLeaf]
	small, large := L, R
	if R.count < L.count {
		small, large = R, L
	}
	small.hist = l.getHist()
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

// partition reorders the positions begin..begin+count so that the rows going left come first,
// and returns their number. Rows go left when their bin of usable position pos is <= thr, or,
// in the missing bin, when defaultLeft is set.
func (l *learner) partition(begin, count, pos int, thr uint8, defaultLeft bool) int {
	words := l.ds.groups[pos/groupWidth][begin : begin+count]
	shift := uint(8 * (pos % groupWidth))
	miss := uint8(l.ds.nb[pos])
	dl := uint8(b2i(defaultLeft))
	return l.reorder(begin, count, func(dec []uint8, lo, hi int) int {
		nl := 0
		for k, w := range words[lo:hi] {
			b := uint8(w >> shift)
			d := uint8(b2i(b <= thr)) | uint8(b2i(b == miss))&dl
			dec[lo+k] = d
			nl += int(d)
		}
		return nl
	})
}

// Row-parallel histograms: with few feature groups, a large leaf is cut into chunks of at
// least chunkRows rows (at most maxChunks), each histogrammed separately and then added up in
// chunk order. The cut depends only on the leaf size, never on the number of goroutines.
const (
	chunkRows    = 1 << 16
	maxChunks    = 8
	manyGroups   = 8 // from this many groups on, groups alone give enough parallel work
	minGroupRows = 1 << 16
)

// buildHist fills hist for the groups in use from the positions begin..begin+count. Every sum
// is taken in an order fixed by the data, so it does not depend on the number of goroutines.
func (l *learner) buildHist(hist []featHist, begin, count int) {
	ordered := l.state[begin : begin+count]
	groups := l.groups
	chunks := min(count/chunkRows, maxChunks)
	if len(groups) >= manyGroups || chunks < 2 {
		// one goroutine per group
		parallelRange(l.workers, len(groups), max(1, minGroupRows/max(count, 1)), func(_, lo, hi int) {
			for _, g := range groups[lo:hi] {
				l.histOfGroup(hist, g, begin, ordered)
			}
		})
		return
	}
	for len(l.partial) < chunks-1 {
		l.partial = append(l.partial, make([]featHist, len(l.ds.groups)*groupWidth))
	}
	forEach(l.workers, chunks, func() func(int) {
		return func(c int) {
			lo, hi := c*count/chunks, (c+1)*count/chunks
			h := hist
			if c > 0 {
				h = l.partial[c-1]
			}
			for _, g := range groups {
				l.histOfGroup(h, g, begin+lo, ordered[lo:hi])
			}
		}
	})
	for _, g := range groups {
		for lane := range l.ds.lanes(g) {
			pos := g*groupWidth + lane
			dst := hist[pos][:l.ds.nb[pos]+1]
			for _, part := range l.partial[:chunks-1] {
				src := part[pos][:len(dst)]
				for b := range dst {
					dst[b].g += src[b].g
					dst[b].h += src[b].h
					dst[b].n += src[b].n
				}
			}
		}
	}
}

// histOfGroup fills the histograms of group g's lanes from the positions begin..begin+len(rows).
func (l *learner) histOfGroup(hist []featHist, g, begin int, rows []rowState) {
	lanes := l.ds.lanes(g)
	h := hist[g*groupWidth : g*groupWidth+groupWidth]
	for lane := range lanes {
		clear(h[lane][:l.ds.nb[g*groupWidth+lane]+1])
	}
	histGroup(h, l.ds.groups[g][begin:begin+len(rows)], lanes, rows)
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
	G, H, C := lf.g, lf.h, int64(lf.rows)
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
		best.defaultLeft = best.lc >= lf.rows-best.lc
	}
	return best
}

// finish turns the grown tree into a Tree with shrunk leaf values and adds it to the scores:
// the positions of the tree through their leaf, the positions nRoot..n-1 (out of bag) by
// walking the binned tree.
func (l *learner) finish(bt *buildTree, nRoot int) Tree {
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
	for li := range bt.leaves {
		lf := &bt.leaves[li]
		t.LeafValue[li] = lr * leafOutput(lf.g, lf.h, l.p.LambdaL1, l.p.LambdaL2)
		t.LeafCount[li] = int32(lf.rows)
	}
	// Every position belongs to one leaf, or to one lazy pair, so the updates are disjoint.
	state := l.state
	forEach(l.workers, nLeaves, func() func(int) {
		return func(li int) {
			lf := &bt.leaves[li]
			if !lf.lazy {
				v := t.LeafValue[li]
				for k := range state[lf.begin : lf.begin+lf.count] {
					state[lf.begin+k].score += v
				}
				return
			}
			if !lf.isLeft {
				return // the pair is handled with its left leaf
			}
			// a lazy pair: apply its node's test to the shared segment
			node := lf.parent
			pos, thr, miss := bt.pos[node], bt.bin[node], uint8(l.ds.nb[bt.pos[node]])
			words := l.ds.groups[pos/groupWidth][lf.begin : lf.begin+lf.count]
			shift := uint(8 * (pos % groupWidth))
			vals := [2]float64{t.LeafValue[^bt.right[node]], t.LeafValue[^bt.left[node]]}
			dl := b2i(bt.defaultLeft[node])
			seg := state[lf.begin : lf.begin+lf.count]
			for k, w := range words {
				b := uint8(w >> shift)
				seg[k].score += vals[b2i(b <= thr)|b2i(b == miss)&dl]
			}
		}
	})
	parallelRange(l.workers, l.ds.n-nRoot, 1<<14, func(_, lo, hi int) {
		for k := nRoot + lo; k < nRoot+hi; k++ {
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
			state[k].score += t.LeafValue[^node]
		}
	})
	return t
}
