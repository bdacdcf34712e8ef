//go:build unix

package download

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/exchange"
)

type noSource struct{}

func (noSource) Klines(context.Context, string, string, time.Time, int) ([]exchange.Kline, error) {
	return nil, errors.New("must not be called")
}

func TestSecondWriterIsRefused(t *testing.T) {
	dir := t.TempDir()
	sym := filepath.Join(dir, "BTCUSDT")
	if err := os.MkdirAll(sym, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockDir(sym)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Options{DataFolder: dir, Symbol: "BTCUSDT", Interval: "1m", Source: noSource{}})
	if !errors.Is(err, ErrLocked) {
		t.Errorf("download: %v, want ErrLocked", err)
	}
	_, err = ImportArchives(context.Background(), ImportOptions{DataFolder: dir, Symbol: "BTCUSDT"}, []string{"/nonexistent.csv"})
	if err == nil {
		t.Error("import accepted")
	}
	unlock()
	if u2, err := lockDir(sym); err != nil {
		t.Errorf("relock: %v", err)
	} else {
		u2()
	}
}
