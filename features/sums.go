package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/tradectl/tradectl/internal/frame"
)

// sumsBlock is the number of input rows per checksum: a changed row costs at most this many
// extra rows of recomputation.
const sumsBlock = 1024

// sumsVersion changes whenever the sidecar's meaning changes; another version means a full run.
const sumsVersion = 1

// sidecar describes the input rows an output was computed from: per block of input rows, a
// checksum of the time and of every input column's values. It is stored beside the output
// (SidecarPath) and lets an incremental run find the first input row that changed since.
// It names values, not bytes, so it does not depend on the files' formats.
type sidecar struct {
	Version int `json:"version"`
	// Columns are the input columns checksummed, in order (the time column first).
	Columns []string `json:"columns"`
	// First is the time of the first input row the output holds; Rows the number of input
	// rows (= output rows) from there.
	First int64 `json:"first"`
	Rows  int   `json:"rows"`
	Block int   `json:"block"`
	// Sums holds one checksum per block of Block rows from First (the last may be shorter).
	Sums []uint64 `json:"sums"`
	// OutSize is the size of the output file written with this sidecar: another size means
	// the output was replaced or edited since.
	OutSize int64 `json:"out_size"`
}

// SidecarPath is where the input checksums of an output file are kept.
func SidecarPath(out string) string { return out + ".sums.json" }

// canonicalNaN makes every NaN (missing value) checksum alike whatever its payload.
var canonicalNaN = math.Float64bits(math.NaN())

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix folds one 64-bit word into an FNV-style hash. (h^w)*p is a bijection of h for a
// fixed w, so changing any one word always changes the result.
func mix(h, w uint64) uint64 { return (h ^ w) * fnvPrime }

// rowSums returns a checksum per input row over its time and every column of f, in order.
func rowSums(f *frame.Frame) []uint64 {
	out := make([]uint64, f.Len())
	for i, t := range f.Time {
		out[i] = mix(fnvOffset, uint64(t))
	}
	for _, c := range f.Columns() {
		for i, v := range c.Data {
			b := math.Float64bits(v)
			if v != v {
				b = canonicalNaN
			}
			out[i] = mix(out[i], b)
		}
	}
	return out
}

// blockSum folds the row checksums [lo, hi) into one.
func blockSum(rows []uint64, lo, hi int) uint64 {
	h := uint64(fnvOffset)
	for _, r := range rows[lo:hi] {
		h = mix(h, r)
	}
	return mix(h, uint64(hi-lo))
}

// newSidecar describes input rows [a, n) of an input whose row checksums are rows.
func newSidecar(columns []string, times []int64, rows []uint64, a, n int) *sidecar {
	s := &sidecar{Version: sumsVersion, Columns: columns, First: times[a], Rows: n - a, Block: sumsBlock}
	for lo := a; lo < n; lo += sumsBlock {
		s.Sums = append(s.Sums, blockSum(rows, lo, min(lo+sumsBlock, n)))
	}
	return s
}

// firstChange returns the first input row that differs from the rows s describes, given the
// input's row checksums and the row a of s.First; a+s.Rows when none does. The result is the
// start of the first differing block (or a shorter input's end).
func (s *sidecar) firstChange(rows []uint64, a int) int {
	for j, sum := range s.Sums {
		lo := a + j*s.Block
		hi := min(lo+s.Block, a+s.Rows)
		if hi > len(rows) || blockSum(rows, lo, hi) != sum {
			return lo
		}
	}
	return a + s.Rows
}

var errBadSidecar = errors.New("input checksums unreadable")

// readSidecar loads the sidecar of out; any problem (missing, corrupt, another version or
// block size, inconsistent) is an error, which means a full recompute.
func readSidecar(out string) (*sidecar, error) {
	b, err := os.ReadFile(SidecarPath(out))
	if err != nil {
		return nil, err
	}
	var s sidecar
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadSidecar, err)
	}
	if s.Version != sumsVersion || s.Block <= 0 || s.Rows <= 0 || len(s.Sums) != (s.Rows+s.Block-1)/s.Block {
		return nil, fmt.Errorf("%w: version %d, %d rows in %d blocks of %d", errBadSidecar, s.Version, s.Rows, len(s.Sums), s.Block)
	}
	return &s, nil
}

// matches checks the sidecar against the current output file and input columns.
func (s *sidecar) matches(out string, columns []string) error {
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	if st.Size() != s.OutSize {
		return fmt.Errorf("%s changed since its input checksums were written (%d bytes, %d recorded)", out, st.Size(), s.OutSize)
	}
	if !slices.Equal(s.Columns, columns) {
		return errors.New("the input columns changed")
	}
	return nil
}

// writeSidecar records s for out, whose file has just been written.
func writeSidecar(out string, s *sidecar) error {
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	s.OutSize = st.Size()
	return frame.WriteAtomic(SidecarPath(out), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(s)
	})
}

// removeSidecar deletes out's sidecar before out is rewritten, so a crash between the two
// writes leaves no sidecar (a full recompute next time) rather than a stale one.
func removeSidecar(out string) error {
	if err := os.Remove(SidecarPath(out)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
