package svm

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// rowTeam lets idle goroutines help solvers compute long kernel rows (and other row-wise
// work). A row is cut into chunks that the solver and the helpers claim through an atomic
// counter, so a solver never waits for a helper that is slow to wake: it computes the
// unclaimed chunks itself and waits only for chunks already being computed. Several
// solvers may share a team; a row posted later simply takes the helpers over. Helpers spin
// briefly between rows, then park. Every entry is computed the same way whoever computes
// it, so results do not depend on the helpers.
type rowTeam struct {
	cur      atomic.Pointer[rowTask]
	quit     atomic.Bool
	sleeping []atomic.Bool
	wake     []chan struct{}
}

// rowTask is one row to compute; its fields are immutable once published.
type rowTask struct {
	fn          func(lo, hi int)
	start, end  int
	chunk       int
	nChunks     int64
	next, ended atomic.Int64
}

// rowChunk is the number of kernel entries per claimed chunk (about 25 µs of work).
const rowChunk = 2048

// helperSpin is how long an idle helper polls for a new row before parking (a few SMO
// iterations).
const helperSpin = 50 * time.Microsecond

// newRowTeam makes a team with room for the given number of helpers (see help).
func newRowTeam(helpers int) *rowTeam {
	t := &rowTeam{sleeping: make([]atomic.Bool, helpers), wake: make([]chan struct{}, helpers)}
	for h := range t.wake {
		t.wake[h] = make(chan struct{}, 1)
	}
	return t
}

// stop makes every help call return.
func (t *rowTeam) stop() {
	t.quit.Store(true)
	for h := range t.wake {
		select {
		case t.wake[h] <- struct{}{}:
		default:
		}
	}
}

// help computes chunks of posted rows until stop; slot (0 ≤ slot < helpers) is the
// caller's own.
func (t *rowTeam) help(slot int) {
	var last *rowTask
	idleSince := time.Now()
	for spins := 0; !t.quit.Load(); spins++ {
		if p := t.cur.Load(); p != last {
			last = p
			p.work()
			idleSince, spins = time.Now(), 0
			continue
		}
		if spins%64 != 0 || time.Since(idleSince) < helperSpin {
			continue
		}
		t.sleeping[slot].Store(true)
		if t.cur.Load() == last && !t.quit.Load() {
			<-t.wake[slot]
		}
		t.sleeping[slot].Store(false)
		idleSince = time.Now()
	}
}

// work computes chunks of p until none is left unclaimed.
func (p *rowTask) work() {
	for {
		c := p.next.Add(1) - 1
		if c >= p.nChunks {
			return
		}
		lo := p.start + int(c)*p.chunk
		p.fn(lo, min(lo+p.chunk, p.end))
		p.ended.Add(1)
	}
}

// run computes fn over [start, end) in chunks of the given size with whichever helpers are
// free; it returns when all of it is done. A nil team runs fn on the whole range.
func (t *rowTeam) run(start, end, chunk int, fn func(lo, hi int)) {
	if t == nil {
		fn(start, end)
		return
	}
	n := end - start
	p := &rowTask{fn: fn, start: start, end: end, chunk: chunk, nChunks: int64((n + chunk - 1) / chunk)}
	t.cur.Store(p)
	for h := range t.sleeping {
		if t.sleeping[h].Load() {
			select {
			case t.wake[h] <- struct{}{}:
			default:
			}
		}
	}
	p.work()
	for spins := 0; p.ended.Load() < p.nChunks; spins++ {
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
}

// svcQ is libsvm's SVC_Q: Q[i][j] = y_i·y_j·exp(−γ‖x_i − x_j‖²), rows served from kcache.
// Its rows, labels and diagonal follow the solver's index swaps.
type svcQ struct {
	d     int
	x     []float64 // l×d row-major, permuted by swap
	xsq   []float64 // ‖x_i‖²
	y     []float64 // ±1
	qd    []float64 // Q[i][i]
	gamma float64
	cache *kcache
	team  *rowTeam // nil: rows computed by the caller alone

	pending [][2]int // swaps not yet applied to cached rows (disjoint, i < j)
}

// newSVCQ wraps the rows x (taken over and permuted) with a cache of cacheBytes.
func newSVCQ(x []float64, d int, y []int8, gamma, cacheBytes float64, team *rowTeam) *svcQ {
	l := len(y)
	q := &svcQ{d: d, x: x, xsq: make([]float64, l), y: make([]float64, l), qd: make([]float64, l),
		gamma: gamma, cache: newKCache(l, cacheBytes), team: team}
	for i := range l {
		xi := x[i*d : i*d+d]
		q.xsq[i] = dot(xi, xi)
		q.y[i] = float64(y[i])
		q.qd[i] = 1 // exp(0)
	}
	return q
}

// row returns Q[i][0:length] (a cached float32 slice, possibly longer).
func (q *svcQ) row(i, length int) []float32 {
	data, start := q.cache.get(i, length)
	if start < length {
		q.fill(i, data, start, length)
	}
	return data
}

func (q *svcQ) fill(i int, data []float32, start, end int) {
	if q.team == nil || end-start < 2*rowChunk {
		q.fillRange(i, data, start, end)
		return
	}
	q.team.run(start, end, rowChunk, func(lo, hi int) { q.fillRange(i, data, lo, hi) })
}

func (q *svcQ) fillRange(i int, data []float32, start, end int) {
	d := q.d
	xi := q.x[i*d : i*d+d]
	xsqi, yi, g := q.xsq[i], q.y[i], q.gamma
	xsq, y := q.xsq[:end], q.y[:end]
	data = data[:end]
	for j := start; j < end; j++ {
		k := expKernel(-g * (xsqi + xsq[j] - 2*dot(xi, q.x[j*d:j*d+d])))
		data[j] = float32(yi * y[j] * k)
	}
}

// swap exchanges indices i and j. Entries inside cached rows are exchanged by flush, which
// must run before the next row access; the solver only swaps inside doShrinking.
func (q *svcQ) swap(i, j int) {
	if i > j {
		i, j = j, i
	}
	q.cache.swapOwner(i, j)
	q.pending = append(q.pending, [2]int{i, j})
	d := q.d
	xi, xj := q.x[i*d:i*d+d], q.x[j*d:j*d+d]
	for k := range xi {
		xi[k], xj[k] = xj[k], xi[k]
	}
	q.xsq[i], q.xsq[j] = q.xsq[j], q.xsq[i]
	q.y[i], q.y[j] = q.y[j], q.y[i]
	q.qd[i], q.qd[j] = q.qd[j], q.qd[i]
}

// flush applies the pending swaps to the cached rows.
func (q *svcQ) flush() {
	q.cache.logSwaps(q.pending)
	q.pending = q.pending[:0]
}

// dot is the inner product with four accumulators (a fixed order: deterministic).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDist is ‖a − b‖² with four accumulators.
func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		d0, d1, d2, d3 := a[k]-b[k], a[k+1]-b[k+1], a[k+2]-b[k+2], a[k+3]-b[k+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; k < len(a); k++ {
		d0 := a[k] - b[k]
		s0 += d0 * d0
	}
	return (s0 + s1) + (s2 + s3)
}

// expKernel is e^x for kernel arguments (x ≤ 0 up to rounding), accurate to about 1e-13
// relative, so that its float32 rounding almost always equals that of math.Exp; it returns
// 0 below −110, where e^x is below the smallest float32. It is faster than math.Exp.
func expKernel(x float64) float64 {
	const (
		log2e = 1.44269504088896338700e+00
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		round = 6755399441055744.0 // 1.5·2⁵²: adding it rounds to an integer
	)
	if x < -110 || x != x {
		if x != x {
			return x
		}
		return 0
	}
	if x > 700 {
		return math.Exp(x)
	}
	k := (x*log2e + round) - round
	r := (x - k*ln2Hi) - k*ln2Lo // |r| ≤ ln2/2
	// Taylor polynomial of degree 11 in Estrin's scheme (short dependency chains).
	r2 := r * r
	r4 := r2 * r2
	r8 := r4 * r4
	p := ((1 + r) + r2*(1.0/2+r*(1.0/6))) +
		r4*((1.0/24+r*(1.0/120))+r2*(1.0/720+r*(1.0/5040))) +
		r8*((1.0/40320+r*(1.0/362880))+r2*(1.0/3628800+r*(1.0/39916800)))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}
