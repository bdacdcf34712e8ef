package rolling

import (
	"context"
	"runtime"
	"sync"

	"github.com/tradectl/tradectl/internal/frame"
)

// Executor runs fold tasks and delivers their results, in any order, on the channel, which
// it closes when every task is done or ctx is cancelled. The local Pool runs them in this
// process; a distributed work queue can implement it by shipping tasks (plain JSON) to
// workers that hold the same input and call RunTask.
type Executor interface {
	Run(ctx context.Context, tasks []Task) (<-chan Result, error)
}

// Pool is the local Executor: Jobs goroutines (default: the number of cores) run RunTask on
// Data.
type Pool struct {
	Data *frame.Frame
	Jobs int
}

// Run starts the workers. Tasks are taken in order; once ctx is cancelled no new task starts.
func (p *Pool) Run(ctx context.Context, tasks []Task) (<-chan Result, error) {
	jobs := p.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	jobs = max(1, min(jobs, len(tasks)))
	queue := make(chan Task)
	out := make(chan Result, len(tasks))
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range queue {
				out <- RunTask(p.Data, t)
			}
		}()
	}
	go func() {
		defer func() {
			close(queue)
			wg.Wait()
			close(out)
		}()
		for _, t := range tasks {
			select {
			case queue <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
