package frame

import "testing"

// The columns of one block never share memory: filling one to its capacity and appending
// past it must leave its neighbour untouched.
func TestColumnBlockColumnsAreIndependent(t *testing.T) {
	for _, rows := range []int{1, 1000, 1 << 19} {
		cols := columnBlock(3, rows)
		for i, c := range cols {
			if len(c) != 0 || cap(c) != rows {
				t.Fatalf("rows %d: column %d has len %d cap %d", rows, i, len(c), cap(c))
			}
		}
		for i := range cols {
			for j := range rows {
				cols[i] = append(cols[i], float64(i*rows+j))
			}
		}
		cols[0] = append(cols[0], -1) // past its capacity: must not write into column 1
		if cols[1][0] != float64(rows) {
			t.Fatalf("rows %d: appending to column 0 overwrote column 1: %v", rows, cols[1][0])
		}
		for i := range cols {
			if got := cols[i][rows-1]; got != float64(i*rows+rows-1) {
				t.Fatalf("rows %d: column %d ends with %v", rows, i, got)
			}
		}
	}
}

// MakeFloats returns zeroed slices of the asked length whatever their size or alignment.
func TestMakeFloats(t *testing.T) {
	for _, n := range []int{0, 1, 4095, 1 << 19, 3<<18 + 7} {
		s := MakeFloats(n)
		if len(s) != n {
			t.Fatalf("len %d, want %d", len(s), n)
		}
		for i, v := range s {
			if v != 0 {
				t.Fatalf("n %d: value %d is %v", n, i, v)
			}
		}
	}
	if n := NaNs(1 << 19); n[0] == n[0] || n[len(n)-1] == n[len(n)-1] {
		t.Fatal("NaNs is not all NaN")
	}
}
