package svm

import (
	"math"
	"sync"
)

// cpuPool hands out CPU tokens: each running solver holds one, and a solver computing a long
// kernel row borrows idle ones to split the row. The split never changes a value (every
// entry is computed independently), so results do not depend on the number of tokens.
type cpuPool struct{ tokens chan struct{} }

func newCPUPool(n int) *cpuPool {
	p := &cpuPool{tokens: make(chan struct{}, n)}
	for range n {
		p.tokens <- struct{}{}
	}
	return p
}

func (p *cpuPool) acquire() { <-p.tokens }
func (p *cpuPool) release() { p.tokens <- struct{}{} }

func (p *cpuPool) tryAcquire() bool {
	select {
	case <-p.tokens:
		return true
	default:
		return false
	}
}

// minSplit is the shortest row segment worth splitting across goroutines.
const minSplit = 2048

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
	pool  *cpuPool // nil: no row splitting

	pending [][2]int // swaps not yet applied to cached rows (disjoint, i < j)
}

func newSVCQ(x []float64, d int, y []int8, gamma, cacheBytes float64, pool *cpuPool) *svcQ {
	l := len(y)
	q := &svcQ{d: d, x: x, xsq: make([]float64, l), y: make([]float64, l), qd: make([]float64, l),
		gamma: gamma, cache: newKCache(l, cacheBytes), pool: pool}
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
	if q.pool == nil || end-start < 2*minSplit {
		q.fillRange(i, data, start, end)
		return
	}
	var wg sync.WaitGroup
	parts := 1
	maxParts := (end - start) / minSplit
	for parts < maxParts && q.pool.tryAcquire() {
		parts++
	}
	if parts == 1 {
		q.fillRange(i, data, start, end)
		return
	}
	chunk := (end - start + parts - 1) / parts
	for t := 1; t < parts; t++ {
		s := start + t*chunk
		e := min(s+chunk, end)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer q.pool.release()
			if s < e {
				q.fillRange(i, data, s, e)
			}
		}()
	}
	q.fillRange(i, data, start, min(start+chunk, end))
	wg.Wait()
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
	q.cache.permute(q.pending)
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
