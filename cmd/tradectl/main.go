// Command tradectl turns exchange market data into machine-learning trading signals:
// download -> merge -> features -> labels -> train -> predict, one fast static binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], DefaultDeps())
	stop()
	os.Exit(code)
}
