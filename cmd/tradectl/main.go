// Command tradectl turns exchange market data into machine-learning trading signals:
// download -> merge -> features -> labels -> train -> predict, one fast static binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tradectl/tradectl/internal/frame"
)

func main() {
	// The batch steps hold large pointer-free float columns: a collection costs little, so
	// keep the heap close to the live data (peak memory is a requirement). GOGC overrides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	d := DefaultDeps()
	go func() {
		<-ctx.Done()
		stop() // a second interrupt kills the process at once
		if !d.Graceful.Load() {
			// Steps that do not watch ctx stop here; their outputs are written atomically.
			frame.RemovePendingTemp()
			fmt.Fprintln(os.Stderr, "tradectl: interrupted")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "tradectl: interrupted: stopping after the current page (interrupt again to quit now)")
	}()
	code := Run(ctx, os.Args[1:], d)
	stop()
	os.Exit(code)
}
