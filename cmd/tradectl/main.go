// Command tradectl turns exchange market data into machine-learning trading signals:
// download -> merge -> features -> labels -> train -> predict, one fast static binary.
package main

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// The batch steps hold large pointer-free float columns: a collection costs little, so
	// keep the heap close to the live data (peak memory is a requirement). GOGC overrides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(RunProcess(os.Args[1:], DefaultDeps(), sigs, os.Exit))
}
