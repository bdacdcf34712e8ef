//go:build cdloracle

package features

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	eth := sharedtest.ReadKlines(t, "ETHUSDT-1m-2022.csv.gz", 100000)
	all = append(all, eth...)
	slices = append(slices, struct {
		name   string
		lo, hi int
	}{"eth2022first100k", len(all) - len(eth), len(all)})
	// A synthetic tape on a 0.5 price grid with frequent gaps, marubozu and equal prices,
	// where the rare patterns (kicking, mat hold, abandoned baby, ...) occur.
	all = append(all, stressKlines(200000)...)
	slices = append(slices, struct {
		name   string
		lo, hi int
	}{"synthetic", len(all) - 200000, len(all)})
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

// stressKlines makes n candles on a 0.5 grid: gaps, zero shadows and equal prices are common.
func stressKlines(n int) []sharedtest.Kline {
	r := rand.New(rand.NewSource(8))
	pick := func(v ...float64) float64 { return v[r.Intn(len(v))] }
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	out := make([]sharedtest.Kline, n)
	c := 1000.0
	for i := range out {
		o := c + pick(0, 0, 0.5, -0.5, 3, -3, 8, -8)
		c = o + pick(0, 0.5, -0.5, 1, -1, 2, -2, 5, -5, 12, -12)
		if c < 100 {
			c = 1000
		}
		h := max(o, c) + pick(0, 0, 0.5, 1, 3, 8)
		l := min(o, c) - pick(0, 0, 0.5, 1, 3, 8)
		out[i].Fields = [11]string{f(o), f(h), f(l), f(c)}
	}
	// Templates of mat hold and counterattack, jittered, every 40 candles.
	mathold := [][4]float64{{0, 21, -1, 20}, {24, 25, 21, 22}, {21, 22, 18, 19}, {18, 19, 16, 16.5}, {19, 31, 18, 30}}
	counter := [][4]float64{{0, 1, -21, -20}, {-40, -19, -41, -20}}
	for i := 40; i+5 < n; i += 40 {
		tpl := mathold
		if i%80 == 0 {
			tpl = counter
		}
		base, _ := strconv.ParseFloat(out[i-1].Fields[3], 64)
		for k, v := range tpl {
			var row [4]float64
			for j := range row {
				row[j] = base + v[j] + pick(0, 0, 0.5, -0.5)
			}
			row[1] = max(row[0], row[1], row[2], row[3])
			row[2] = min(row[0], row[1], row[2], row[3])
			out[i+k].Fields = [11]string{f(row[0]), f(row[1]), f(row[2]), f(row[3])}
		}
	}
	return out
}
