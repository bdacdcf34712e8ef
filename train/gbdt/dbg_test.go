package gbdt

import (
	"testing"
	"time"
)

func TestDbgTiming(t *testing.T) {
	cols, y := synthData(500000, 100, 42)
	p := benchParams(20, 6, 63)
	t0 := time.Now()
	ds := buildDataset(cols, 255, newRNG(1), 2)
	t.Logf("binning %v usable %d", time.Since(t0), len(ds.usable))
	t0 = time.Now()
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit 20 trees %v, ", time.Since(t0))
	_ = m
}
