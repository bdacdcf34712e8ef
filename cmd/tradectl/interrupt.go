package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/tradectl/tradectl/internal/frame"
)

// ErrInterrupted is wrapped by the error of a command stopped by an interrupt; Run turns it
// into exit code 130.
var ErrInterrupted = errors.New("interrupted")

// ExitInterrupted is the exit code of a command stopped by SIGINT or SIGTERM.
const ExitInterrupted = 130

// RunProcess runs the command line as the process does: the context is cancelled only when
// sigs delivers an interrupt, never by the end of the command, so a command that succeeds
// always returns 0. On an interrupt a command that does not stop cleanly (Deps.Graceful
// unset) ends at once through exit(130), removing half-written temporary files; a graceful
// one finishes its current unit of work and a second interrupt ends it through exit(130).
func RunProcess(args []string, d Deps, sigs <-chan os.Signal, exit func(int)) int {
	d = d.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Add(1)
	go func() {
		defer watcher.Done()
		select {
		case <-done:
			return
		case <-sigs:
		}
		cancel()
		if !d.Graceful.Load() {
			// Steps that do not watch ctx stop here; their outputs are written atomically.
			frame.RemovePendingTemp()
			fmt.Fprintln(d.Err, "tradectl: interrupted")
			exit(ExitInterrupted)
			return
		}
		fmt.Fprintln(d.Err, "tradectl: interrupted: stopping after the current page (interrupt again to quit now)")
		select {
		case <-done:
		case <-sigs:
			frame.RemovePendingTemp()
			fmt.Fprintln(d.Err, "tradectl: interrupted again: quitting now")
			exit(ExitInterrupted)
		}
	}()
	code := Run(ctx, args, d)
	close(done)
	watcher.Wait() // the watcher has returned or is inside exit: nothing races the caller's exit
	return code
}

// exitCode maps a command's error to the process exit code: 130 when it was interrupted.
func exitCode(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrInterrupted), errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return ExitInterrupted
	}
	return 1
}
