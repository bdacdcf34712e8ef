package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/merge"
	"github.com/tradectl/tradectl/pipeline"
)

// sourcePath is where a data source's file lives: <data_folder>/<folder>/<file or folder>[.csv].
func sourcePath(c *config.Config, s config.DataSource) string {
	name := s.File
	if name == "" {
		name = s.Folder
	}
	if filepath.Ext(name) == "" {
		name += ".csv"
	}
	return filepath.Join(c.DataFolder, s.Folder, name)
}

func dataSources(c *config.Config) []config.DataSource {
	if len(c.DataSources) > 0 {
		return c.DataSources
	}
	return []config.DataSource{{Folder: c.Symbol, File: "klines"}}
}

func newMergeCmd(a *app) *cobra.Command {
	var maxList int
	cmd := &cobra.Command{
		Use:   "merge",
		Short: "Put the data sources on one regular UTC grid (data.csv) and report gaps",
		Long: `merge reads every data_sources entry (<data_folder>/<folder>/<file>.csv, default
<symbol>/klines.csv), renames columns with column_prefix, and joins them on one regular UTC
grid at freq from the earliest first row to the latest last row. Missing bars become empty
cells (or are interpolated with merge_interpolate: true). It prints a gap report: missing
rows per source, runs of zero-volume bars (exchange halts) and sources that end early.
Output: <data_folder>/<symbol>/<merge_file_name> (default data.csv), unrounded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runMerge(cmd, c, maxList)
		},
	}
	cmd.Flags().IntVar(&maxList, "max-gaps", 10, "list at most this many gaps per source")
	return cmd
}

func (a *app) runMerge(cmd *cobra.Command, c *config.Config, maxList int) error {
	start := time.Now()
	var sources []merge.Source
	for _, s := range dataSources(c) {
		p := sourcePath(c, s)
		if err := needInput(p, "download"); err != nil {
			return fmt.Errorf("merge: data source %q: %w", s.Folder, err)
		}
		t0 := time.Now()
		f, err := frame.ReadFile(p, frame.ReadOptions{TimeColumn: c.TimeColumn})
		if err != nil {
			return fmt.Errorf("merge: data source %q: %w", s.Folder, err)
		}
		a.log.Debug("read data source", "file", relPath(p), "rows", f.Len(), "columns", strings.Join(f.Names(), ","), "seconds", time.Since(t0).Seconds())
		if w := c.WindowSize(); w > 0 && f.Len() > w {
			a.warnWindow(c, "merge", relPath(p), f.Len()-w)
		}
		tail := f.Tail(c.WindowSize())
		sources = append(sources, merge.Source{Name: s.Folder, Path: p, Frame: tail, Prefix: s.ColumnPrefix,
			Klines: filepath.Base(p) == "klines.csv", Skipped: f.Len() - tail.Len()})
	}
	out, rep, err := merge.Merge(sources, merge.Options{Freq: c.FreqDuration(), Interpolate: c.MergeInterpolate})
	if err != nil {
		return err
	}
	sources = nil
	path := c.File(c.MergeFileName)
	if err := frame.WriteFile(path, out, frame.WriteOptions{TimeColumn: c.TimeColumn, Precision: -1}); err != nil {
		return err
	}
	rep.WriteText(a.deps.Out, maxList)
	for _, s := range rep.Sources {
		if s.FreqMismatch(rep.Freq) {
			a.log.Warn("likely freq mismatch: the source's rows are spaced by a multiple of freq", "source", s.Name, "spacing", s.Spacing, "freq", rep.Freq)
		}
		if s.StaleRows > 0 {
			a.log.Warn("stale data source: its columns are empty at the end of the grid", "source", s.Name, "rows", s.StaleRows, "last", frame.FormatTime(s.Last))
		}
	}
	fmt.Fprintf(a.deps.Out, "merge: wrote %s: %d rows x %d columns in %s\n", relPath(path), out.Len(), len(out.Names())+1, since(start))
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }

func newFeaturesCmd(a *app) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "features",
		Short: "Compute feature_sets over data.csv into features.csv",
		Long: `features applies every feature_sets entry (talib, itbstats, itblib, ...) in order to
<merge_file_name> and writes <feature_file_name> (default features.csv, "%.6f"), keeping
NaN warm-up rows. The feature list is appended to features.txt.

It is incremental by default: when features.csv already holds the same columns for a run of
the input rows, only the new rows are computed (with the look-back they need) and appended;
the result equals a full recompute. --full forces a full recompute of the row window.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			g, err := pipeline.Build(c)
			if err != nil {
				return err
			}
			return a.runStage(c, g, "features", full)
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "recompute every row instead of appending new rows")
	return cmd
}

func newLabelsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "labels",
		Short: "Compute label_sets over features.csv into matrix.csv",
		Long: `labels applies every label_sets entry (highlow2, highlow, topbot2) to <feature_file_name>
and writes <matrix_file_name> (default matrix.csv; labels as True/False). Labels look at
future rows: the last label_horizon rows of the file are False and are cut by train.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			g, err := pipeline.Build(c)
			if err != nil {
				return err
			}
			return a.runStage(c, g, "labels", true)
		},
	}
}

// runStage runs the "features" (data -> features, incremental unless full) or "labels"
// (features -> matrix, always full) stage and prints what it wrote.
func (a *app) runStage(c *config.Config, g *pipeline.Generators, name string, full bool) error {
	st, err := g.Stage(c, name)
	if err != nil {
		return err
	}
	if err := needInput(st.In, st.Producer); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	start := time.Now()
	res, err := st.Run(c, full, a.log)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.deps.Out, "%s: %s %s: %d rows (%d computed), %d new columns [%s] in %s\n",
		name, res.Mode, relPath(st.Out), res.Rows, res.NewRows, len(res.Created), strings.Join(res.Created, " "), since(start))
	return nil
}

// warnWindow says that ITB's row window left out older rows (see pipeline.WarnWindow).
func (a *app) warnWindow(c *config.Config, step, file string, dropped int) {
	pipeline.WarnWindow(a.log, c, step, file, dropped)
}
