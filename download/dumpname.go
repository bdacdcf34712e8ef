package download

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tradectl/tradectl/internal/exchange"
)

// ErrArchiveMismatch: a dump file's name states another symbol or interval than the import's.
var ErrArchiveMismatch = errors.New("archive is for another symbol or interval")

// dumpName parses Binance's dump file naming, SYMBOL-INTERVAL-YYYY[-MM[-DD]].ext
// (BTCUSDT-1m-2023-01.zip); ok is false for a name that does not follow it.
func dumpName(path string) (symbol, interval string, ok bool) {
	stem, _, _ := strings.Cut(filepath.Base(path), ".")
	parts := strings.Split(stem, "-")
	if len(parts) < 3 || parts[0] == "" || len(parts[2]) != 4 {
		return "", "", false
	}
	for _, c := range parts[0] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "", "", false
		}
	}
	for _, c := range parts[2] {
		if c < '0' || c > '9' {
			return "", "", false
		}
	}
	iv := parts[1]
	if iv == "1mo" { // Binance's dump name for the monthly interval
		iv = "1M"
	}
	if !exchange.IsBinanceInterval(iv) {
		return "", "", false
	}
	return parts[0], iv, true
}

// checkDumpNames refuses a file whose Binance dump name states another symbol or interval
// than o asks for (unless o.Force): importing ETHUSDT bars into BTCUSDT's klines.csv would
// silently corrupt it. Names that do not follow Binance's pattern are not checked.
func checkDumpNames(files []string, o ImportOptions) error {
	if o.Force {
		return nil
	}
	want := ""
	if o.Interval != "" {
		iv, err := exchange.BinanceInterval(o.Interval)
		if err != nil {
			return err
		}
		want = iv
	}
	for _, f := range files {
		sym, iv, ok := dumpName(f)
		if !ok {
			continue
		}
		if sym != o.Symbol {
			return &FileError{f, 0, fmt.Errorf("%w: the file name says symbol %s, the config %s (--force imports it anyway)", ErrArchiveMismatch, sym, o.Symbol)}
		}
		if want != "" && iv != want {
			return &FileError{f, 0, fmt.Errorf("%w: the file name says interval %s, the config %s (--force imports it anyway)", ErrArchiveMismatch, iv, want)}
		}
	}
	return nil
}
