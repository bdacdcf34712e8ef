// Package progress draws a one-line progress bar on a terminal (stderr). When the output is
// not a terminal (CI logs, pipes) it draws nothing; commands log their results instead.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Bar is a redrawn status line; all methods are safe on a nil or disabled bar.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	done    int
	total   int
	note    string
	start   time.Time
	last    time.Time
	stop    chan struct{}
	stopped bool
}

// New returns a bar writing to w, or a disabled bar when enabled is false. total <= 0 draws
// a counter instead of a bar. While it runs it redraws twice a second so elapsed time moves.
func New(w io.Writer, enabled bool, label string, total int) *Bar {
	if !enabled {
		return nil
	}
	b := &Bar{w: w, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.mu.Lock()
				b.draw()
				b.mu.Unlock()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Set updates the position and an optional note (e.g. the item being worked on).
func (b *Bar) Set(done int, note string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.note = done, note
	if time.Since(b.last) > 100*time.Millisecond {
		b.draw()
	}
}

// SetTotal changes the total (0 draws a counter).
func (b *Bar) SetTotal(total int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.total = total
	b.mu.Unlock()
}

// Finish clears the line and stops redrawing.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.stopped = true
	close(b.stop)
	fmt.Fprint(b.w, "\r\033[K")
}

func (b *Bar) draw() {
	if b.stopped {
		return
	}
	b.last = time.Now()
	el := time.Since(b.start).Round(time.Second)
	var line string
	if b.total > 0 {
		const width = 30
		fill := min(width, b.done*width/b.total)
		line = fmt.Sprintf("%s [%s%s] %d/%d %s %s", b.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), b.done, b.total, el, b.note)
	} else {
		line = fmt.Sprintf("%s %d %s %s", b.label, b.done, el, b.note)
	}
	fmt.Fprint(b.w, "\r\033[K"+line)
}
