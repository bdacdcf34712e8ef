package features

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
)

// BenchmarkTalibAllFunctions computes every function of the table at one window (timeperiod 14
// for the functions that take one, TA-Lib's defaults otherwise) over a year of real BTCUSDT
// minutes (2023, 525,600 rows), configured as a user would: one talib generator per input
// signature, each running its calls in parallel. Issue 8's target: all of them in under 10 s
// on 2 cores.
func BenchmarkTalibAllFunctions(b *testing.B) {
	s := loadOracleSlice(b, "2023", time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), 525600)
	f := frame.New(s.time)
	for name, x := range s.series {
		if err := f.Set(name, frame.Float, x); err != nil {
			b.Fatal(err)
		}
	}
	groups := map[string][]string{} // config prefix -> functions
	for _, name := range TalibFunctions() {
		spec, _ := lookupTalib(name)
		var pairs []string
		for _, a := range spec.inputs {
			pairs = append(pairs, fmt.Sprintf("%q:%q", a, oracleSeries(name, a)))
		}
		key := `{"columns":{` + strings.Join(pairs, ",") + "}"
		if spec.hasPeriod {
			key += `,"windows":[14]`
		}
		groups[key] = append(groups[key], name)
	}
	var gens []Generator
	outputs := 0
	for key, fns := range groups {
		list, _ := json.Marshal(fns)
		g, err := NewTalib(json.RawMessage(key + `,"functions":` + string(list) + "}"))
		if err != nil {
			b.Fatal(err)
		}
		gens = append(gens, g)
		outputs += len(g.Outputs())
	}
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		for _, g := range gens {
			if _, err := g.Generate(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	// On a loaded machine the wall time says little; the CPU time of the process (both cores)
	// bounds what an idle 2-core machine needs.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(TalibFunctions())), "functions")
	b.ReportMetric(float64(outputs), "columns")
}

// cpuSeconds is the user+system CPU time of this process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
