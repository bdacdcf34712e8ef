package svm

// kcache is libsvm's Cache: an LRU cache of Q rows, each row i holding the first len
// entries of Q[i][·] as float32. Rows grow when a longer prefix is asked for; the least
// recently used rows are dropped when the budget (in float32 entries) is exhausted.
// Evicted buffers are kept for reuse so that a full cache does not churn the heap.
type kcache struct {
	l     int
	size  int // remaining budget, float32 entries (counted by buffer capacity)
	rows  []cacheRow
	spare [][]float32 // evicted buffers available for reuse
	log   [][2]int    // every index transposition so far (see logSwaps)
}

type cacheRow struct {
	prev, next int32 // LRU links; index l is the list head (sentinel)
	seen       int   // number of entries of kcache.log applied to data
	data       []float32
}

// newKCache makes a cache for l rows with a budget of bytes; at least three full rows fit
// (libsvm guarantees two; the third covers the copy when a row grows).
func newKCache(l int, bytes float64) *kcache {
	c := &kcache{l: l, rows: make([]cacheRow, l+1)}
	entries := bytes/4 - float64(l)*4 // minus the row headers, as libsvm
	if entries > 1<<50 {
		entries = 1 << 50
	}
	c.size = max(int(entries), 3*l)
	h := &c.rows[l]
	h.prev, h.next = int32(l), int32(l)
	return c
}

func (c *kcache) lruDelete(i int) {
	r := &c.rows[i]
	c.rows[r.prev].next = r.next
	c.rows[r.next].prev = r.prev
}

func (c *kcache) lruInsert(i int) {
	head := &c.rows[c.l]
	r := &c.rows[i]
	r.next = int32(c.l)
	r.prev = head.prev
	c.rows[r.prev].next = int32(i)
	head.prev = int32(i)
}

// evict drops row i's data and returns its buffer to the spare pool.
func (c *kcache) evict(i int) {
	r := &c.rows[i]
	c.lruDelete(i)
	c.spare = append(c.spare, r.data[:0])
	r.data = nil
}

// get returns row i with room for length entries and the index from which entries still
// have to be computed (length when the cached prefix already covers them). The returned
// slice stays valid until the next-but-one call of get (the budget always fits three full
// rows and the row just returned is the most recently used).
func (c *kcache) get(i, length int) ([]float32, int) {
	r := &c.rows[i]
	if len(r.data) > 0 {
		c.catchUp(i)
	}
	r.seen = len(c.log)
	have := len(r.data)
	if have > 0 {
		c.lruDelete(i)
	}
	if length <= have {
		c.lruInsert(i)
		return r.data, length
	}
	var nd []float32
	for nd == nil {
		if k := c.bestSpare(length); k >= 0 {
			nd = c.spare[k][:length]
			c.spare[k] = c.spare[len(c.spare)-1]
			c.spare = c.spare[:len(c.spare)-1]
			break
		}
		if c.size >= length {
			nd = make([]float32, length)
			c.size -= length
			break
		}
		if n := len(c.spare); n > 0 {
			c.size += cap(c.spare[n-1])
			c.spare = c.spare[:n-1]
			continue
		}
		old := int(c.rows[c.l].next)
		if old == c.l {
			// Unreachable with the 3-row minimum budget; stay correct regardless.
			nd = make([]float32, length)
			c.size -= length
			break
		}
		c.evict(old)
	}
	copy(nd, r.data)
	if cap(r.data) > 0 {
		c.spare = append(c.spare, r.data[:0])
	}
	for len(c.spare) > maxSpare {
		n := len(c.spare)
		c.size += cap(c.spare[n-1])
		c.spare = c.spare[:n-1]
	}
	r.data = nd
	c.lruInsert(i)
	return nd, have
}

// maxSpare bounds the pool of evicted buffers kept for reuse.
const maxSpare = 32

// bestSpare returns the index of the smallest spare buffer with capacity >= length, or -1.
func (c *kcache) bestSpare(length int) int {
	best := -1
	for k, s := range c.spare {
		if cap(s) >= length && (best < 0 || cap(s) < cap(c.spare[best])) {
			best = k
		}
	}
	return best
}

// swapOwner exchanges the rows cached for indices i and j (libsvm's Cache::swap_index, first
// half). The entries inside the rows are exchanged later, lazily (see logSwaps).
func (c *kcache) swapOwner(i, j int) {
	if i == j {
		return
	}
	ri, rj := &c.rows[i], &c.rows[j]
	if len(ri.data) > 0 {
		c.lruDelete(i)
	}
	if len(rj.data) > 0 {
		c.lruDelete(j)
	}
	ri.data, rj.data = rj.data, ri.data
	ri.seen, rj.seen = rj.seen, ri.seen
	if len(ri.data) > 0 {
		c.lruInsert(i)
	}
	if len(rj.data) > 0 {
		c.lruInsert(j)
	}
}

// logSwaps records transpositions (i < j) of the solver's indices. Cached rows are brought up
// to date lazily, when next read (see catchUp), so rows evicted in the meantime cost nothing.
func (c *kcache) logSwaps(pairs [][2]int) {
	c.log = append(c.log, pairs...)
	if len(c.log) > 4*c.l {
		// Bound the log: bring every cached row up to date and start afresh.
		for h := int(c.rows[c.l].next); h != c.l; {
			next := int(c.rows[h].next)
			c.catchUp(h)
			h = next
		}
		for k := range c.rows {
			c.rows[k].seen = 0
		}
		c.log = c.log[:0]
	}
}

// catchUp applies the logged transpositions row i has not seen, in order, as libsvm's
// Cache::swap_index does eagerly: a row covering both positions has them exchanged, a row
// covering i but not j is dropped.
func (c *kcache) catchUp(i int) {
	r := &c.rows[i]
	if r.seen == len(c.log) {
		return
	}
	d := r.data
	n := len(d)
	for _, pr := range c.log[r.seen:] {
		a, b := pr[0], pr[1]
		if n > b {
			d[a], d[b] = d[b], d[a]
		} else if n > a {
			c.lruDelete(i)
			c.spare = append(c.spare, d[:0])
			r.data = nil
			break
		}
	}
	r.seen = len(c.log)
}
