package download_test

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

// peakHeap samples the live heap while fn runs and reports the peak in MB.
func peakHeap(b *testing.B, fn func()) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkImportYear2023 imports the real 525,520-row 2023 dump into an empty folder.
func BenchmarkImportYear2023(b *testing.B) {
	src := sharedtest.Path(b, "BTCUSDT-1m-2023.csv.gz")
	b.ReportAllocs()
	peakHeap(b, func() {
		for i := 0; i < b.N; i++ {
			dir := b.TempDir()
			res, err := download.ImportArchives(context.Background(), importOpts(dir), []string{src})
			if err != nil || res.Rows != 525_520 {
				b.Fatal(res, err)
			}
		}
	})
	b.ReportMetric(525_520*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDownload60Days downloads 86,400 real rows from the fake over REST (87 pages).
func BenchmarkDownload60Days(b *testing.B) {
	rows := dump(b)
	f := newFake(b, rows, false, nowInBar(rows, days60))
	b.ReportAllocs()
	peakHeap(b, func() {
		for i := 0; i < b.N; i++ {
			dir := b.TempDir()
			res, err := download.Run(context.Background(), f.options(dir))
			if err != nil || res.Rows != days60 {
				b.Fatal(res, err)
			}
		}
	})
	b.ReportMetric(days60*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
