package frame

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

// klinesYear writes one real year of BTCUSDT 1m bars as the download step's klines.csv
// (ISO time, the 11 dump fields as Binance writes them) into a temporary folder.
func klinesYear(b *testing.B) (string, int) {
	b.Helper()
	ks := sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0)
	path := filepath.Join(b.TempDir(), "klines.csv")
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(fh)
	w.WriteString("timestamp,open,high,low,close,volume,close_time,quote_av,trades,tb_base_av,tb_quote_av,ignore\n")
	for _, k := range ks {
		w.WriteString(FormatTime(k.OpenTime))
		w.WriteString(",")
		w.WriteString(strings.Join(k.Fields[:], ","))
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		b.Fatal(err)
	}
	return path, len(ks)
}

// BenchmarkCSVYear reads a real year of klines.csv (525,520 rows, 11 columns) as merge does,
// serially and on every core, writes it back (shortest form, as merge writes data.csv) and
// joins two computed columns onto it with 6 decimals (as predict and features write).
func BenchmarkCSVYear(b *testing.B) {
	path, rows := klinesYear(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		workers int
	}{{"read/serial", 1}, {"read/parallel", 0}} {
		b.Run(c.name, func(b *testing.B) {
			old := csvWorkers
			csvWorkers = c.workers
			defer func() { csvWorkers = old }()
			b.SetBytes(st.Size())
			for b.Loop() {
				f, err := ReadCSV(path, ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if f.Len() != rows {
					b.Fatalf("%d rows", f.Len())
				}
			}
		})
	}
	f, err := ReadCSV(path, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if err := WriteCSV(io.Discard, f, WriteOptions{Precision: -1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	add := New(f.Time)
	for _, n := range []string{"close", "volume"} {
		d, _ := f.Col(n)
		add.Set(n+"_score", Float, d)
	}
	header := []string{"close_score", "volume_score", "timestamp", "open", "high", "low", "close", "volume", "close_time"}
	b.Run("join", func(b *testing.B) {
		for b.Loop() {
			if err := JoinCSV(io.Discard, path, add, 0, header, WriteOptions{Precision: 6, TimePos: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
