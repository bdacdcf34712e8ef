package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/progress"
)

func newDownloadCmd(a *app) *cobra.Command {
	var (
		archive bool
		force   bool
		futures bool
		start   string
	)
	cmd := &cobra.Command{
		Use:   "download [--archive FILE...]",
		Short: "Download Binance klines into <data_folder>/<symbol>/klines.csv",
		Long: `download fetches klines at freq for every data_sources folder (default: symbol) from
Binance spot or, with binance_market "futures" or --futures, USDⓈ-M futures, into
<data_folder>/<folder>/klines.csv (ITB's 12 columns; the exchange's numbers kept verbatim).

It is incremental: an existing file is continued from its 5th-from-last row, whose overlap is
overwritten; the still-open bar is never stored. Pages are written as they arrive, so an
interrupted download keeps what it fetched and the next run continues. Rate limits
(X-MBX-USED-WEIGHT-1M, 429/418 with Retry-After) and transient errors are handled with
bounded retries. binance_base_url / binance_futures_base_url point it at another host.

--archive imports Binance's public dump files instead (data.binance.vision monthly or daily
.zip, or .csv/.csv.gz in the same format), merging them into klines.csv of the symbol:
  tradectl download -c config.jsonc --archive BTCUSDT-1m-2023-*.zip
A dump file named for another symbol or interval (ETHUSDT-1m-..., BTCUSDT-5m-...) is
refused unless --force is given; rows not spaced by whole multiples of freq are refused.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a.deps.Graceful.Store(true) // pages are durable: an interrupt finishes the current one
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			if archive {
				if len(args) == 0 {
					return fmt.Errorf("download --archive: name the archive files")
				}
				return a.runImport(cmd, c, args, force)
			}
			if len(args) > 0 {
				return fmt.Errorf("download: unexpected arguments %v (did you mean --archive?)", args)
			}
			var from time.Time
			if start != "" {
				ms, err := frame.ParseTime([]byte(start))
				if err != nil {
					return fmt.Errorf("download --start: %w", err)
				}
				from = time.UnixMilli(ms).UTC()
			}
			return a.runDownload(cmd, c, futures || c.BinanceMarket == "futures", from)
		},
	}
	cmd.Flags().BoolVar(&archive, "archive", false, "import the named Binance dump files instead of calling the API")
	cmd.Flags().BoolVar(&force, "force", false, "with --archive: import dump files whose name states another symbol or interval")
	cmd.Flags().BoolVar(&futures, "futures", false, "USDⓈ-M futures instead of spot (same as binance_market: futures)")
	cmd.Flags().StringVar(&start, "start", "", "first bar for a new file (default 2017-01-01)")
	return cmd
}

func (a *app) runDownload(cmd *cobra.Command, c *config.Config, futures bool, start time.Time) error {
	src, err := exchange.NewBinance(exchange.BinanceConfig{
		Futures: futures, BaseURL: c.BinanceBaseURL, FuturesBaseURL: c.BinanceFuturesBaseURL,
		APIKey: c.APIKey.Reveal(), APISecret: c.APISecret.Reveal(),
		Transport: exchange.TransportConfig{Base: a.deps.HTTP.Transport, Clock: a.deps.Clock, Logger: a.log},
	})
	if err != nil {
		return err
	}
	for _, s := range dataSources(c) {
		bar := progress.New(a.deps.Err, a.deps.IsTerminal && !a.opts.noProgress, "download "+s.Folder, 0)
		res, err := download.Run(cmd.Context(), download.Options{
			DataFolder: c.DataFolder, Symbol: s.Folder, Interval: c.Freq, Futures: futures,
			MaxRows: c.DownloadMaxRows, Start: start, Source: src, Clock: a.deps.Clock, Logger: a.log,
			Progress: func(p download.Progress) {
				bar.Set(p.Rows, "rows, up to "+p.Last.Format("2006-01-02 15:04"))
			},
		})
		bar.Finish()
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("download %s: %w: the file keeps %d rows, all complete; run again to continue", s.Folder, ErrInterrupted, res.Rows)
		}
		if err != nil {
			return fmt.Errorf("download %s: %w (the file keeps %d rows; run again to continue)", s.Folder, err, res.Rows)
		}
		fmt.Fprintf(a.deps.Out, "download %s: %s: %d rows (%d added, %d replaced), %s .. %s\n", s.Folder, relPath(res.Path),
			res.Rows, res.Added, res.Replaced, res.First.Format(time.DateTime), res.Last.Format(time.DateTime))
	}
	return nil
}

func (a *app) runImport(cmd *cobra.Command, c *config.Config, files []string, force bool) error {
	res, err := download.ImportArchives(cmd.Context(), download.ImportOptions{
		DataFolder: c.DataFolder, Symbol: c.Symbol, Interval: c.Freq, MaxRows: c.DownloadMaxRows, Force: force, Logger: a.log,
	}, files)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("download --archive: %w: %s is unchanged", ErrInterrupted, relPath(res.Path))
	}
	if err != nil {
		return fmt.Errorf("download --archive: %w", err)
	}
	fmt.Fprintf(a.deps.Out, "download --archive: %s: %d rows (%d added, %d replaced, %d unchanged) from %d files\n",
		relPath(res.Path), res.Rows, res.Added, res.Replaced, res.Unchanged, len(files))
	return nil
}
