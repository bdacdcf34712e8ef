package gbdt

import (
	"sync"
	"sync/atomic"
)

// groupWidth is the number of feature bins packed into one uint64 word.
const groupWidth = 8

// dataset is the binned training matrix. The byte bins of the usable features are packed
// eight to a uint64 word: groups[g][k] holds the bins of usable positions 8g..8g+7 at row
// position k, so each group is one column of words. The rows are kept partitioned by leaf
// while a tree grows (the per-row state moves with them), which makes every histogram pass a
// sequential scan and lets a partition move eight features per word.
type dataset struct {
	n       int
	mappers []binMapper // per original feature
	usable  []int       // original feature index of every usable position
	nb      []int       // value bins per usable position; the missing bin is nb
	groups  [][]uint64
}

// rowState is what moves with a row when positions are partitioned.
type rowState struct {
	g, h  float64 // gradient and hessian of the current round
	score float64 // raw score so far
	y     float64 // label
}

// lanes returns the number of features packed in group g.
func (ds *dataset) lanes(g int) int { return min(groupWidth, len(ds.usable)-g*groupWidth) }

// bin returns the bin of usable position pos at row position k.
func (ds *dataset) bin(pos, k int) uint8 {
	return uint8(ds.groups[pos/groupWidth][k] >> (8 * (pos % groupWidth)))
}

// buildDataset bins every column. A feature is usable when it has two value bins, or one value
// bin and some NaN (then "NaN or not" can split); constant and all-NaN features are dropped.
func buildDataset(cols [][]float64, maxBin int, r *rng, workers int) *dataset {
	n := len(cols[0])
	sample := sampleRows(n, r)
	nf := len(cols)
	mappers := make([]binMapper, nf)
	ok := make([]bool, nf)
	forEach(workers, nf, func() func(int) {
		buf := make([]float64, 0, min(n, binSampleCount))
		keys := make([]uint64, cap(buf))
		tmp := make([]uint64, cap(buf))
		return func(j int) {
			col := cols[j]
			buf = buf[:0]
			missing := false
			if sample == nil {
				for _, v := range col {
					if v == v {
						buf = append(buf, v)
					} else {
						missing = true
					}
				}
			} else {
				for _, i := range sample {
					if v := col[i]; v == v {
						buf = append(buf, v)
					}
				}
				for _, v := range col {
					if v != v {
						missing = true
						break
					}
				}
			}
			m := newBinMapper(buf, keys, tmp, maxBin)
			mappers[j] = m
			ok[j] = m.nb >= 2 || m.nb == 1 && missing
		}
	})
	ds := &dataset{n: n, mappers: mappers}
	for j := range nf {
		if ok[j] {
			ds.usable = append(ds.usable, j)
			ds.nb = append(ds.nb, mappers[j].nb)
		}
	}
	ds.groups = make([][]uint64, (len(ds.usable)+groupWidth-1)/groupWidth)
	forEach(workers, len(ds.groups), func() func(int) {
		return func(g int) {
			words := make([]uint64, n)
			for lane := range ds.lanes(g) {
				f := ds.usable[g*groupWidth+lane]
				m := &mappers[f]
				shift := 8 * lane
				for i, v := range cols[f] {
					words[i] |= uint64(m.binOf(v)) << shift
				}
			}
			ds.groups[g] = words
		}
	})
	return ds
}

// forEach runs the tasks 0..n-1 on up to workers goroutines, each with its own state made by
// setup. Tasks must write disjoint results, so the outcome does not depend on scheduling.
func forEach(workers, n int, setup func() func(int)) {
	var next atomic.Int64
	run := func() {
		task := setup()
		for {
			j := int(next.Add(1) - 1)
			if j >= n {
				return
			}
			task(j)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	if n > 0 {
		run() // the caller works too
	}
	wg.Wait()
}

// swapPairs exchanges s[a[t]] and s[b[t]] for every t.
func swapPairs[T any](s []T, a, b []int32) {
	b = b[:len(a)]
	for t, i := range a {
		j := b[t]
		s[i], s[j] = s[j], s[i]
	}
}

type histBin struct {
	g, h float64
	n    int64
}

// featHist is one feature's histogram; indexing it with a byte needs no bounds check.
type featHist [256]histBin

// The histogram kernels add each position's gradient pair to its bin in every lane of a group
// column: words and g are aligned (g[k] belongs to words[k]).

func histGroup8(h []featHist, words []uint64, g []rowState) {
	h = h[:8]
	h0, h1, h2, h3, h4, h5, h6, h7 := &h[0], &h[1], &h[2], &h[3], &h[4], &h[5], &h[6], &h[7]
	g = g[:len(words)]
	for k, w := range words {
		gp := g[k]
		e := &h0[uint8(w)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h1[uint8(w>>8)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h2[uint8(w>>16)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h3[uint8(w>>24)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h4[uint8(w>>32)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h5[uint8(w>>40)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h6[uint8(w>>48)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h7[uint8(w>>56)]
		e.g += gp.g
		e.h += gp.h
		e.n++
	}
}

func histGroup4(h []featHist, words []uint64, g []rowState) {
	h = h[:4]
	h0, h1, h2, h3 := &h[0], &h[1], &h[2], &h[3]
	g = g[:len(words)]
	for k, w := range words {
		gp := g[k]
		e := &h0[uint8(w)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h1[uint8(w>>8)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h2[uint8(w>>16)]
		e.g += gp.g
		e.h += gp.h
		e.n++
		e = &h3[uint8(w>>24)]
		e.g += gp.g
		e.h += gp.h
		e.n++
	}
}

func histLane(h *featHist, words []uint64, lane int, g []rowState) {
	shift := uint(8 * lane)
	g = g[:len(words)]
	for k, w := range words {
		e := &h[uint8(w>>shift)]
		e.g += g[k].g
		e.h += g[k].h
		e.n++
	}
}

// histGroup fills the histograms of the lanes of one group (h[0] is lane 0).
func histGroup(h []featHist, words []uint64, lanes int, g []rowState) {
	lane := 0
	switch {
	case lanes == 8:
		histGroup8(h, words, g)
		return
	case lanes >= 4:
		histGroup4(h, words, g)
		lane = 4
	}
	for ; lane < lanes; lane++ {
		histLane(&h[lane], words, lane, g)
	}
}
