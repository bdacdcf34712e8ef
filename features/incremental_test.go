package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/synth"
)

// incrementalSteps are feature sets with bounded look-backs (SMA, STDDEV, LINEARREG_SLOPE)
// and, when unbounded, one that depends on every earlier row (EMA).
func incrementalSteps(t *testing.T, unbounded bool) []Step {
	t.Helper()
	sets := []string{
		`{"generator": "talib", "config": {"columns": ["close"], "functions": ["SMA"], "windows": [3, 20]}}`,
		`{"generator": "talib", "config": {"columns": ["close"], "functions": ["STDDEV", "LINEARREG_SLOPE"], "windows": [7]}}`,
		`{"generator": "talib", "config": {"columns": ["volume"], "functions": ["SMA"], "windows": [5]}}`,
	}
	if unbounded {
		sets = append(sets, `{"generator": "talib", "config": {"columns": ["close"], "functions": ["EMA"], "windows": [10]}}`)
	}
	var gs []config.GeneratorSet
	for _, s := range sets {
		var g config.GeneratorSet
		if err := json.Unmarshal([]byte(s), &g); err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	steps, err := Build("feature_sets", gs, Default)
	if err != nil {
		t.Fatal(err)
	}
	if lb := Lookback(steps); (lb < 0) != unbounded {
		t.Fatalf("look-back %d, unbounded %v", lb, unbounded)
	}
	return steps
}

// table is an editable copy of a frame: row times and every column's values.
type table struct {
	names []string
	kinds []frame.Kind
	time  []int64
	cols  [][]float64
}

func tableOf(f *frame.Frame) *table {
	t := &table{time: slices.Clone(f.Time)}
	for _, c := range f.Columns() {
		t.names, t.kinds, t.cols = append(t.names, c.Name), append(t.kinds, c.Kind), append(t.cols, slices.Clone(c.Data))
	}
	return t
}

func (t *table) write(tb testing.TB, path string) {
	tb.Helper()
	f := frame.New(slices.Clone(t.time))
	for j, n := range t.names {
		f.Set(n, t.kinds[j], slices.Clone(t.cols[j]))
	}
	if err := frame.WriteFile(path, f, frame.WriteOptions{Precision: -1}); err != nil {
		tb.Fatal(err)
	}
}

// edit applies one random change: a value (in a column the generators read or not), an
// inserted row, a deleted row or appended rows. It returns a description.
func (t *table) edit(r *rand.Rand) string {
	n := len(t.time)
	switch r.IntN(4) {
	case 0:
		i, j := r.IntN(n), r.IntN(len(t.cols))
		if t.kinds[j] == frame.Float {
			t.cols[j][i] = math.Round(t.cols[j][i]*1.01*1e4+1) / 1e4
		} else {
			t.cols[j][i]++
		}
		return fmt.Sprintf("value %s[%d]", t.names[j], i)
	case 1:
		i := r.IntN(n - 1)
		if t.time[i+1]-t.time[i] < 2 {
			return "no room to insert"
		}
		at := i + 1
		t.time = slices.Insert(t.time, at, (t.time[i]+t.time[i+1])/2)
		for j := range t.cols {
			t.cols[j] = slices.Insert(t.cols[j], at, t.cols[j][i])
		}
		return fmt.Sprintf("insert at %d", at)
	case 2:
		i := r.IntN(n)
		t.time = slices.Delete(t.time, i, i+1)
		for j := range t.cols {
			t.cols[j] = slices.Delete(t.cols[j], i, i+1)
		}
		return fmt.Sprintf("delete %d", i)
	default:
		k := 1 + r.IntN(300)
		for range k {
			last := len(t.time) - 1
			t.time = append(t.time, t.time[last]+60_000)
			for j := range t.cols {
				v := t.cols[j][last]
				if t.kinds[j] == frame.Float {
					v = math.Round(v*(1+0.002*(r.Float64()-0.5))*1e4) / 1e4
				}
				t.cols[j] = append(t.cols[j], v)
			}
		}
		return fmt.Sprintf("append %d", k)
	}
}

// TestIncrementalEqualsFullUnderRandomEdits is the property behind incremental features: after
// any edit of the input (values in read and unread columns, inserted, deleted or appended
// rows) an incremental run writes exactly the bytes a full run writes.
func TestIncrementalEqualsFullUnderRandomEdits(t *testing.T) {
	rounds := 16
	if testing.Short() {
		rounds = 6
	}
	for _, unbounded := range []bool{false, true} {
		t.Run(fmt.Sprintf("unbounded=%v", unbounded), func(t *testing.T) {
			steps := incrementalSteps(t, unbounded)
			dir := t.TempDir()
			in, out, ref := filepath.Join(dir, "data.csv"), filepath.Join(dir, "features.csv"), filepath.Join(dir, "full.csv")
			// Rows with small gaps, so rows can be inserted between them.
			base := synth.Klines(synth.Options{Seed: 7, Start: 1_700_000_000_000, Rows: 2500})
			tab := tableOf(base)
			tab.write(t, in)
			opt := FileOptions{In: in, Out: out, Incremental: true, Precision: 6, Steps: steps}
			if _, err := RunFile(opt); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(11, uint64(len(steps))))
			modes := map[string]int{}
			for round := range rounds {
				var what []string
				for range 1 + r.IntN(3) {
					what = append(what, tab.edit(r))
				}
				tab.write(t, in)
				res, err := RunFile(opt)
				if err != nil {
					t.Fatal(err)
				}
				modes[res.Mode]++
				if _, err := RunFile(FileOptions{In: in, Out: ref, Precision: 6, Steps: steps}); err != nil {
					t.Fatal(err)
				}
				got, _ := os.ReadFile(out)
				want, _ := os.ReadFile(ref)
				if !bytes.Equal(got, want) {
					t.Fatalf("round %d after %v (%s, %d computed): incremental output differs from a full run at byte %d",
						round, what, res.Mode, res.NewRows, firstDiff(got, want))
				}
			}
			t.Logf("modes over %d rounds: %v", rounds, modes)
			if modes["incremental"] < rounds/2 {
				t.Fatalf("only %d of %d rounds were incremental: %v", modes["incremental"], rounds, modes)
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestIncrementalSidecarProblemsMeanFullRun: a missing or corrupt checksum file, or an output
// edited since it was written, makes the next run a full one (never a wrong incremental one).
func TestIncrementalSidecarProblemsMeanFullRun(t *testing.T) {
	steps := incrementalSteps(t, false)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "data.csv"), filepath.Join(dir, "features.csv")
	tab := tableOf(synth.Klines(synth.Options{Seed: 3, Start: 1_700_000_000_000, Rows: 1500}))
	tab.write(t, in)
	opt := FileOptions{In: in, Out: out, Incremental: true, Precision: 6, Steps: steps}
	cases := []struct {
		name  string
		spoil func()
	}{
		{"missing", func() { os.Remove(SidecarPath(out)) }},
		{"corrupt", func() { os.WriteFile(SidecarPath(out), []byte(`{"version": 1, "rows": 3`), 0o644) }},
		{"wrong block count", func() {
			b, _ := os.ReadFile(SidecarPath(out))
			os.WriteFile(SidecarPath(out), bytes.Replace(b, []byte(`"sums":[`), []byte(`"sums":[1,`), 1), 0o644)
		}},
		{"output edited", func() {
			b, _ := os.ReadFile(out)
			os.WriteFile(out, append(b, b[bytes.LastIndexByte(b[:len(b)-1], '\n')+1:]...), 0o644)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := RunFile(FileOptions{In: in, Out: out, Incremental: true, Full: true, Precision: 6, Steps: steps}); err != nil {
				t.Fatal(err)
			}
			if res, err := RunFile(opt); err != nil || res.Mode != "up to date" {
				t.Fatalf("unchanged input: %+v %v", res, err)
			}
			c.spoil()
			res, err := RunFile(opt)
			if err != nil || res.Mode != "full" {
				t.Fatalf("%+v %v, want a full run", res, err)
			}
			if res, err := RunFile(opt); err != nil || res.Mode != "up to date" {
				t.Fatalf("after the full run: %+v %v", res, err)
			}
		})
	}
}

// TestStaleTempRemovedByNextRun: a temporary file left by a killed run (SIGKILL before the
// rename) is removed by the next run of the step, even one that only appends or finds the
// output up to date.
func TestStaleTempRemovedByNextRun(t *testing.T) {
	steps := incrementalSteps(t, false)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "data.csv"), filepath.Join(dir, "features.csv")
	tableOf(synth.Klines(synth.Options{Seed: 3, Start: 1_700_000_000_000, Rows: 300})).write(t, in)
	opt := FileOptions{In: in, Out: out, Incremental: true, Precision: 6, Steps: steps}
	if _, err := RunFile(opt); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".features.csv.tmp-killed")
	os.WriteFile(stale, make([]byte, 1000), 0o600)
	if res, err := RunFile(opt); err != nil || res.Mode != "up to date" {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("the stale temporary file is still there")
	}
}
