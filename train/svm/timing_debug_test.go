package svm

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkDebugJobs(b *testing.B) {
	cols, y := synthetic(benchRows, 16, 1)
	if os.Getenv("BTC") != "" {
		cols, y = btcHourly(b)
	}
	n, d := len(y), len(cols)
	x := make([]float64, n*d)
	lab := make([]int8, n)
	for i := range y {
		lab[i] = -1
		if y[i] == 1 {
			lab[i] = 1
		}
	}
	for j, c := range cols {
		for i, v := range c {
			x[i*d+j] = v
		}
	}
	gamma := 1 / (float64(d) * variance(x))
	sx := append([]float64(nil), x...)
	sy := append([]int8(nil), lab...)
	t, c := time.Now(), cpuTime()
	sol := solveCSVC(problem{x: sx, d: d, y: sy, gamma: gamma, cp: 1, cn: 1, eps: 1e-3, shrinking: true, maxIter: -1, cacheBytes: 1024 << 20, team: dbgTeam()})
	b.Logf("n=%d iter=%d obj=%.9f rho=%.9f wall=%v cpu=%v", len(sy), sol.iter, sol.obj, sol.rho, time.Since(t), cpuTime()-c)
}

func dbgTeam() *rowTeam {
	if os.Getenv("POOL") == "" {
		return nil
	}
	t := newRowTeam(1)
	go t.help(0)
	return t
}
