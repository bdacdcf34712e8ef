package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

// Deps are what commands need from the outside world; tests pass fakes.
type Deps struct {
	In       io.Reader
	Out, Err io.Writer
	Clock    clock.Clock
	HTTP     *http.Client
	// IsTerminal tells whether Err is a terminal (progress bars are drawn only then).
	IsTerminal bool
	// Graceful is set by commands that stop cleanly when the context is cancelled; main
	// exits at once on an interrupt otherwise.
	Graceful *atomic.Bool
}

// DefaultDeps wires the real process streams, clock and an HTTP client with timeouts.
func DefaultDeps() Deps {
	return Deps{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Clock:      clock.System{},
		HTTP:       &http.Client{Timeout: 30 * time.Second},
		IsTerminal: isTerminal(os.Stderr),
		Graceful:   new(atomic.Bool),
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (d Deps) withDefaults() Deps {
	if d.Graceful == nil {
		d.Graceful = new(atomic.Bool)
	}
	return d
}

// Run executes the command line and returns the exit code: 0 on success, 130 when the
// command was interrupted (ctx cancelled), 1 otherwise; errors are printed as one line.
func Run(ctx context.Context, args []string, d Deps) int {
	d = d.withDefaults()
	root, a := newRoot(d)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if perr := a.stopProfile(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintln(d.Err, "tradectl: "+oneLine(err.Error()))
	}
	return exitCode(ctx, err)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// globalOpts are the persistent flags.
type globalOpts struct {
	configPath string
	dataFolder string
	logLevel   string
	logFormat  string
	noProgress bool
	cpuProfile string
}

// app carries the dependencies and global flags to every command.
type app struct {
	deps Deps
	opts globalOpts
	log  *slog.Logger
	// profile is the open --cpuprofile file, closed by stopProfile.
	profile *os.File
}

// startProfile starts the CPU profile --cpuprofile asks for.
func (a *app) startProfile() error {
	if a.opts.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(a.opts.cpuProfile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	a.profile = f
	return nil
}

// stopProfile writes and closes the CPU profile, if one was started.
func (a *app) stopProfile() error {
	if a.profile == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := a.profile.Close()
	a.profile = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}

// NewRootCmd builds the command tree; nothing is global, so tests can run it in parallel.
func NewRootCmd(d Deps) *cobra.Command {
	root, _ := newRoot(d)
	return root
}

func newRoot(d Deps) (*cobra.Command, *app) {
	a := &app{deps: d}
	root := &cobra.Command{
		Use:   "tradectl",
		Short: "Turn exchange market data into ML trading signals",
		Long: `tradectl runs the intelligent-trading-bot pipeline as one binary. Each step reads the
files the previous one wrote in <data_folder>/<symbol>/:

  download   Binance klines              -> <symbol>/klines.csv
  merge      sources on one UTC grid     -> data.csv        (+ gap report)
  features   feature_sets                -> features.csv
  labels     label_sets                  -> matrix.csv
  train      label x algorithm models    -> MODELS/
  predict    scores from the models      -> predictions.csv (+ predictions.txt metrics)
  rolling    walk-forward scores: models -> predictions.csv (out of sample; + metrics per fold)
             retrained before every fold
  signals    signal_sets on the scores   -> signals.csv     (trade_score, buy/sell columns)
  simulate   threshold grid backtest     -> signal_models.txt/.json (+ --report DIR: report.json,
             after fees                     trades.csv, price/equity/heatmap PNGs)
  check lookahead | check warmup         prove the config's generators read no future rows and
                                         settle within features_horizon

A backtest is: download, merge, features, labels, rolling, signals, simulate --report DIR.
Every step takes the same ITB-compatible JSONC config (-c). Try 'tradectl demo' for an
offline run of all of them on a generated market.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if a.log, err = newLogger(d.Err, a.opts.logLevel, a.opts.logFormat); err != nil {
				return err
			}
			return a.startProfile()
		},
	}
	root.SetIn(d.In)
	root.SetOut(d.Out)
	root.SetErr(d.Err)
	pf := root.PersistentFlags()
	pf.StringVarP(&a.opts.configPath, "config", "c", "", "config file (ITB's JSONC format)")
	pf.StringVar(&a.opts.dataFolder, "data-folder", "", "override the config's data_folder")
	pf.StringVar(&a.opts.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&a.opts.logFormat, "log-format", "text", "log format: text or json")
	pf.BoolVar(&a.opts.noProgress, "no-progress", false, "never draw progress bars")
	pf.StringVar(&a.opts.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the command to FILE (go tool pprof)")
	_ = pf.MarkHidden("cpuprofile")
	root.AddCommand(
		newVersionCmd(a),
		newDownloadCmd(a),
		newMergeCmd(a),
		newFeaturesCmd(a),
		newLabelsCmd(a),
		newTrainCmd(a),
		newPredictCmd(a),
		newRollingCmd(a),
		newSignalsCmd(a),
		newSimulateCmd(a),
		newSignalCmd(a),
		newCheckCmd(a),
		newDemoCmd(a),
	)
	return root, a
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the tradectl version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.deps.Out, "tradectl %s\n", Version)
			return nil
		},
	}
}

// errNoConfig is returned by commands that need a config when -c is missing.
var errNoConfig = errors.New("no config: pass -c/--config FILE (run 'tradectl demo' to see one in action)")

// loadConfig reads -c, applies --data-folder and checks the data folder exists.
func (a *app) loadConfig() (*config.Config, error) {
	if a.opts.configPath == "" {
		return nil, errNoConfig
	}
	c, err := config.Load(a.opts.configPath, func(msg string, args ...any) { a.log.Warn(msg, args...) })
	if err != nil {
		return nil, err
	}
	if a.opts.dataFolder != "" {
		c.DataFolder = a.opts.dataFolder
	}
	if err := c.CheckDataFolder(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	return c, nil
}

// relPath shortens a path for messages.
func relPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}

// needInput checks that a step's input file exists; otherwise it names the step (or steps,
// any of which writes it) to run first.
func needInput(path string, producers ...string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		run := make([]string, len(producers))
		for i, p := range producers {
			run[i] = "'tradectl " + p + "'"
		}
		return fmt.Errorf("%s does not exist: run %s first", relPath(path), strings.Join(run, " or "))
	}
	return nil
}
