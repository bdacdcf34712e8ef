package signaler

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange"
)

// TestReadReplayFile: a klines.csv and a Binance dump (gzipped, no header, microsecond times as
// in newer dumps) of the same bars read back as the same klines.
func TestReadReplayFile(t *testing.T) {
	bars := realBars(t, 300)
	dir := t.TempDir()
	csv := filepath.Join(dir, "klines.csv")
	if err := download.WriteFile(csv, bars); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, "BTCUSDT-1m-2024-01-01.csv.gz")
	f, err := os.Create(dump)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	for _, k := range bars {
		fields := k.Fields
		ct, _ := strconv.ParseInt(fields[5], 10, 64)
		fields[5] = strconv.FormatInt(ct*1000+999, 10)
		fmt.Fprintf(zw, "%d,%s\n", k.OpenTime*1000, strings.Join(fields[:], ","))
	}
	zw.Close()
	f.Close()
	for _, p := range []string{csv, dump} {
		got, err := ReadReplayFile(p, "BTCUSDT", "1min")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, bars) {
			t.Fatalf("%s: read %d bars, not the %d written", filepath.Base(p), len(got), len(bars))
		}
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("1704067200000,1,2,0.5,1,1,1704067259999,1,1,1,1,0\n1704067200000,1,2,0.5,1,1,1704067259999,1,1,1,1,0\n"), 0o644)
	if _, err := ReadReplayFile(bad, "BTCUSDT", "1min"); err == nil || !strings.Contains(err.Error(), "bad.csv") {
		t.Fatalf("a dump with a repeated bar: %v, want an error naming the file", err)
	}
}

// TestTickReportsGaps: bars missing from the source are reported as a gap by the tick that
// sees the bar after them, the grid gets empty rows for them (as merge does), and the result
// holds only the new bar.
func TestTickReportsGaps(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	all := realBars(t, 1200)
	saveModels(t, c.ModelPath(), fitModels(t, c, all[:700]))
	replay := append(append([]exchange.Kline(nil), all[700-460:700+10]...), all[700+13:700+20]...)
	rec := &recorder{}
	l, _ := newReplay(t, c, replay, rec)
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var gaps []Gap
	for _, r := range rec.results {
		gaps = append(gaps, r.Gaps...)
		if r.Rows.Len() != 1 {
			t.Fatalf("result with %d rows, want the new bar only", r.Rows.Len())
		}
	}
	want := []Gap{{From: time.UnixMilli(all[710].OpenTime).UTC(), Rows: 3}}
	if !reflect.DeepEqual(gaps, want) {
		t.Fatalf("gaps %v, want %v", gaps, want)
	}
	// 10 bars, then 3 ticks that see no new bar (the source has none), then 7 bars.
	if len(rec.results) != 17 {
		t.Fatalf("%d results with new rows, want 17", len(rec.results))
	}
}
