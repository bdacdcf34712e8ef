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
