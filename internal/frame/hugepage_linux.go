package frame

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the 2 MiB-aligned part of s with transparent huge pages
// (MADV_HUGEPAGE; the machine's THP mode is usually "madvise", and the Go runtime no longer
// asks). A large column is then faulted in with a few huge pages instead of thousands of
// 4 KiB faults, which cost a read step more CPU than the decoding. Call it before s is first
// written. It changes no value; any failure only leaves the default.
func adviseHuge(s []float64) {
	if cap(s)*8 < 2*hugePage {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	p := uintptr(base)
	a := (p + hugePage - 1) &^ (hugePage - 1)
	b := (p + uintptr(cap(s))*8) &^ (hugePage - 1)
	if b <= a {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, a-p)), b-a), 14) // MADV_HUGEPAGE
}

// makeHuge returns a zeroed slice of n values; a large one starts on a huge-page boundary, so
// all of it but the last partial huge page is backed by huge pages. The skipped head (under
// 2 MiB) is never touched: it costs address space and heap accounting, not memory.
func makeHuge(n int) []float64 {
	if n*8 < 2*hugePage {
		return make([]float64, n)
	}
	buf := make([]float64, n+hugePage/8)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	off := int((hugePage-p%hugePage)%hugePage) / 8
	out := buf[off : off+n : off+n]
	adviseHuge(out)
	return out
}
