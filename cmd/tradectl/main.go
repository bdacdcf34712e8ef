// Command tradectl turns exchange market data into machine-learning trading signals:
// download -> merge -> features -> labels -> train -> predict, one fast static binary.
package main

import (
	"context"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], DefaultDeps())
	stop()
	os.Exit(code)
}
