package svm

import "math/bits"

// splitMix64 is a tiny, fully specified generator (Steele, Lea & Flood 2014), so that the CV
// folds do not depend on any library's stream.
type splitMix64 struct{ state uint64 }

func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, n) (Lemire's multiply-and-reject method).
func (r *splitMix64) below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

// shuffle returns a permutation of 0..n-1 drawn as libsvm's probability CV does (a forward
// Fisher–Yates pass), from a generator seeded with seed.
func shuffle(n int, seed int64) []int {
	r := splitMix64{state: uint64(seed)}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := range n {
		j := i + int(r.below(uint64(n-i)))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}
