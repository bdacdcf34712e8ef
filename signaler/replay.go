package signaler

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
)

// ReplayFeeder serves recorded bars as an exchange would at its clock's time: the bars that
// opened by then (the still-open one included, as Binance serves it).
type ReplayFeeder struct {
	Bars  []exchange.Kline // strictly increasing open times
	Clock clock.Clock
	// Step is the bar length; a bar is open until its open time + Step.
	Step time.Duration
}

// Klines implements Feeder.
func (r *ReplayFeeder) Klines(_ context.Context, since time.Time, limit int) ([]exchange.Kline, error) {
	now := r.Clock.Now().UnixMilli()
	i := sort.Search(len(r.Bars), func(i int) bool { return r.Bars[i].OpenTime >= since.UnixMilli() })
	j := i
	for j < len(r.Bars) && r.Bars[j].OpenTime <= now && (limit <= 0 || j-i < limit) {
		j++
	}
	return r.Bars[i:j:j], nil
}

// Start is the clock time of a replay's cold start: right after the history bars (the first
// `history` bars of the file) have closed, plus settle.
func (r *ReplayFeeder) Start(history int, settle time.Duration) (time.Time, error) {
	if len(r.Bars) <= history {
		return time.Time{}, fmt.Errorf("replay: %d bars, need more than the %d of cold-start history (predict_length + features_horizon)", len(r.Bars), history)
	}
	return time.UnixMilli(r.Bars[history-1].OpenTime).UTC().Add(r.Step + settle), nil
}

// End is the clock time of the tick that sees the file's last bar closed.
func (r *ReplayFeeder) End(settle time.Duration) time.Time {
	return time.UnixMilli(r.Bars[len(r.Bars)-1].OpenTime).UTC().Add(r.Step + settle)
}

// ReadReplayFile reads recorded klines: a klines.csv as download writes it (download.ReadFile),
// or Binance dump files (.csv, .csv.gz, .zip; imported with download.ImportArchives into a
// temporary folder, which validates them the same way). interval (Binance interval or pandas
// freq) rejects a file of another bar size for dumps.
func ReadReplayFile(path, symbol, interval string) ([]exchange.Kline, error) {
	if isKlinesCSV(path) {
		return download.ReadFile(path)
	}
	dir, err := os.MkdirTemp("", "tradectl-replay-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	res, err := download.ImportArchives(context.Background(), download.ImportOptions{
		DataFolder: dir, Symbol: symbol, Interval: interval, Force: true,
	}, []string{path})
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	return download.ReadFile(res.Path)
}

// isKlinesCSV reports whether path starts with download's klines.csv header.
func isKlinesCSV(path string) bool {
	if strings.HasSuffix(path, ".gz") || strings.HasSuffix(path, ".zip") {
		return false
	}
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return false // the import reports it
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	return strings.TrimSpace(line) == download.Header
}
