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
}

type cacheRow struct {
	prev, next int32 // LRU links; index l is the list head (sentinel)
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
// half). The entries inside the rows are exchanged later, for a whole batch, by permute.
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
	if len(ri.data) > 0 {
		c.lruInsert(i)
	}
	if len(rj.data) > 0 {
		c.lruInsert(j)
	}
}

// permute applies the disjoint transpositions pairs (each with i < j) to the entries of
// every cached row, as libsvm's Cache::swap_index does one swap at a time: a row covering
// both positions has them exchanged, a row covering i but not j is dropped. Because the
// transpositions are disjoint, the batch equals libsvm's sequence; applying it row by row
// keeps each row hot in the CPU cache.
func (c *kcache) permute(pairs [][2]int) {
	if len(pairs) == 0 {
		return
	}
	for h := int(c.rows[c.l].next); h != c.l; {
		next := int(c.rows[h].next)
		d := c.rows[h].data
		n := len(d)
		for _, pr := range pairs {
			i, j := pr[0], pr[1]
			if n > j {
				d[i], d[j] = d[j], d[i]
			} else if n > i {
				c.evict(h)
				break
			}
		}
		h = next
	}
}
