//go:build cdloracle

package features

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

// TestCDLOracle compares every candlestick pattern with TA-Lib C (talib-web, see
// scripts/cdl-oracle.mjs) on real BTCUSDT minutes, row by row. It needs node and a folder
// holding node_modules/talib-web@0.1.3, named by CDL_ORACLE_NODE_DIR:
//
//	CDL_ORACLE_NODE_DIR=/path go test -tags cdloracle -run TestCDLOracle -v ./features/
func TestCDLOracle(t *testing.T) {
	nodeDir := os.Getenv("CDL_ORACLE_NODE_DIR")
	if nodeDir == "" {
		t.Fatal("CDL_ORACLE_NODE_DIR is not set")
	}
	all := sharedtest.ReadKlines(t, "BTCUSDT-1m-2023.csv.gz", 0)
	halt := time.Date(2023, 3, 24, 12, 0, 0, 0, time.UTC).UnixMilli()
	hi := 0
	for hi < len(all) && all[hi].OpenTime < halt {
		hi++
	}
	slices := []struct {
		name   string
		lo, hi int
	}{
		{"first100k", 0, 100000},
		{"halt", hi - 20000, hi + 20000},
		{"mid2023", 300000, 400000}, // talib-web has 16 MB of memory: no whole year
	}
	script, _ := filepath.Abs("../scripts/cdl-oracle.mjs")
	for _, s := range slices {
		dir := t.TempDir()
		var b strings.Builder
		rows := all[s.lo:s.hi]
		o, h, l, c := make([]float64, len(rows)), make([]float64, len(rows)), make([]float64, len(rows)), make([]float64, len(rows))
		for i, k := range rows {
			fmt.Fprintf(&b, "%s,%s,%s,%s\n", k.Fields[0], k.Fields[1], k.Fields[2], k.Fields[3])
			o[i], h[i], l[i], c[i] = k.Float(t, 0), k.Float(t, 1), k.Float(t, 2), k.Float(t, 3)
		}
		in := filepath.Join(dir, "in.csv")
		if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("node", script, nodeDir, in, dir).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		lbs := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var name string
			var lb, p, m int
			fmt.Sscan(line, &name, &lb, &p, &m)
			lbs[name] = lb
		}
		t.Logf("slice %s: rows %d..%d (%d rows)", s.name, s.lo, s.hi, len(rows))
		t.Logf("%-20s %8s %8s %8s %8s %8s %10s", "pattern", "rows", "lookback", "+", "-", "other", "mismatch")
		for _, p := range cdlPatterns {
			raw, err := os.ReadFile(filepath.Join(dir, p.name+".i32"))
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			got := runPattern(p, o, h, l, c, p.pen)
			plus, minus, big, bad, first := 0, 0, 0, 0, -1
			for i := range got {
				want := float64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
				if got[i] != want {
					bad++
					if first < 0 {
						first = i
					}
				}
				switch {
				case want != 0 && want != 100 && want != -100:
					big++
				case want > 0:
					plus++
				case want < 0:
					minus++
				}
			}
			t.Logf("%-20s %8d %8d %8d %8d %8d %10d", p.name, len(rows), lbs[p.name], plus, minus, big, bad)
			if lbs[p.name] != p.lookback {
				t.Errorf("%s: lookback %d, TA-Lib %d", p.name, p.lookback, lbs[p.name])
			}
			if bad > 0 {
				t.Errorf("%s: %d rows differ from TA-Lib, first at row %d", p.name, bad, first)
			}
		}
	}
}
