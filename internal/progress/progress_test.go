package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBar(t *testing.T) {
	var nilBar *Bar
	nilBar.Set(1, "x") // a disabled bar is a no-op
	nilBar.SetTotal(3)
	nilBar.Finish()
	if b := New(&syncBuf{}, false, "x", 10); b != nil {
		t.Fatal("disabled bar is not nil")
	}
	out := &syncBuf{}
	b := New(out, true, "train high_20_gb", 300)
	b.Set(150, "")
	b.Finish()
	b.Finish() // idempotent
	s := out.String()
	if !strings.Contains(s, "train high_20_gb [===============               ] 150/300") {
		t.Fatalf("bar not drawn at half: %q", s)
	}
	if !strings.HasSuffix(s, "\r\033[K") {
		t.Fatalf("bar not cleared at the end: %q", s)
	}
}
