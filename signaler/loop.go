package signaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/tradectl/tradectl/check"
	"github.com/tradectl/tradectl/features"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/pipeline"
	"github.com/tradectl/tradectl/signaler/scores"
	"github.com/tradectl/tradectl/train"
)

// ErrWindowShort is returned at start when the window (predict_length + features_horizon)
// leaves fewer rows of history than a feature needs to equal its batch value.
var ErrWindowShort = errors.New("window too short for the features")

// ErrConfig is wrapped by errors in the config the loop cannot serve.
var ErrConfig = errors.New("signal service config")

// ErrFetch is wrapped by errors of the exchange requests (unreachable, timeouts, HTTP
// errors): Run retries a cold start that failed with it at the next interval.
var ErrFetch = errors.New("fetch klines")

// MaxWindowExtra is the number of rows ITB keeps above the minimum window
// (max_window_length = predict_length + features_horizon + 15).
const MaxWindowExtra = 15

// Options configure a Loop.
type Options struct {
	Config *config.Config
	Feeder Feeder
	// Clock tells the time and waits for the ticks (clock.System when nil).
	Clock clock.Clock
	// Output receives every tick's result (the notifier side); nil discards.
	Output Output
	// Trader receives every tick's signals; nil discards.
	Trader Trader
	Logger *slog.Logger
	// Settle is the delay after an interval boundary before a tick (ITB: 1 s for minutes,
	// 20 s for hours, 60 s for days); 0 takes that default, a negative value none.
	Settle time.Duration
	// PageLimit is the most bars one request asks for (default exchange.SpotMaxLimit).
	PageLimit int
	// ModelFolder holds the model set (default Config.ModelPath()).
	ModelFolder string
	// Until, if set, ends Run after the tick at or after this time (replays end with the file).
	Until time.Time
	// Observer, if set, is told of ticks, bars, fetch errors and model reloads (the health
	// and metrics registry, ops.Registry).
	Observer Observer
	// Resume, if set, tells the open time of the last bar the outputs processed before this
	// start (from the state database). The cold start then hands the window's rows after it
	// to the outputs, so a restart drops no bar that the window still holds; without it (or
	// when nothing was processed yet) only the last row is handed on.
	Resume func(ctx context.Context) (last time.Time, ok bool, err error)
}

// Observer is told what the loop does; ops.Registry implements it.
type Observer interface {
	TickStarted() time.Time
	TickDone(start time.Time, err error)
	BarClosed(open time.Time)
	FetchError(err error)
	ModelReloaded()
}

// Loop is the online service's tick loop.
type Loop struct {
	opt      Options
	cfg      *config.Config
	log      *slog.Logger
	step     time.Duration
	minRows  int
	prefix   string
	features []gen.Step
	signals  []gen.Step
	models   *Models
	window   *Window
	score    *scores.Config // the first score_notification_model output, if any
	started  bool
	// inputs are the kline columns (without prefix) the features read.
	inputs []string
	// cache holds the scores of the last tick (time and one column per model) and the model
	// generation they came from: rows before the first re-fetched bar keep their scores.
	cache *frame.Frame
	gen   int
}

// New builds the loop: it resolves the config's generators and loads the model set. Nothing is
// fetched before Start.
func New(opt Options) (*Loop, error) {
	c := opt.Config
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.PageLimit <= 0 {
		opt.PageLimit = exchange.SpotMaxLimit
	}
	if opt.ModelFolder == "" {
		opt.ModelFolder = c.ModelPath()
	}
	l := &Loop{opt: opt, cfg: c, log: opt.Logger, step: c.FreqDuration()}
	if opt.Settle == 0 {
		l.opt.Settle = SettleDelay(l.step)
	}
	if l.step <= 0 {
		return nil, fmt.Errorf("%s: %w: key \"freq\" %q", c.Path, ErrConfig, c.Freq)
	}
	if c.PredictLength <= 0 {
		return nil, fmt.Errorf("%s: %w: key \"predict_length\" must be positive for the signal service", c.Path, ErrConfig)
	}
	if len(c.DataSources) > 1 {
		return nil, fmt.Errorf("%s: %w: key \"data_sources\": the signal service serves one source, the config has %d", c.Path, ErrConfig, len(c.DataSources))
	}
	if len(c.DataSources) == 1 {
		l.prefix = c.DataSources[0].ColumnPrefix
	}
	l.minRows = c.PredictLength + c.FeaturesHorizon
	l.window = NewWindow(l.step, l.minRows+MaxWindowExtra)
	// The same chains and shape checks as the batch commands (features_horizon covers every
	// feature window; label_horizon every label horizon).
	g, err := pipeline.Build(c)
	if err != nil {
		return nil, err
	}
	l.features = g.Features
	if l.signals, err = pipeline.Signals(c); err != nil {
		return nil, err
	}
	for _, in := range gen.Inputs(l.features) {
		l.inputs = append(l.inputs, strings.TrimPrefix(in, l.prefix+"_"))
	}
	for i, o := range c.OutputSets {
		if o.Generator == scores.Generator && l.score == nil {
			if l.score, err = scores.ParseConfig(o.Config, fmt.Sprintf("output_sets[%d].config", i)); err != nil {
				return nil, fmt.Errorf("%s: %w", c.Path, err)
			}
		}
	}
	sets, err := train.ResolveSets(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	if l.models, err = LoadModelSet(sets, opt.ModelFolder); err != nil {
		return nil, err
	}
	return l, nil
}

// SettleDelay is ITB's delay after a boundary (freq_to_CronTrigger, §7.1).
func SettleDelay(step time.Duration) time.Duration {
	switch {
	case step >= 24*time.Hour:
		return time.Minute
	case step >= time.Hour:
		return 20 * time.Second
	}
	return time.Second
}

// Window is the loop's window of bars (for tests and health reports).
func (l *Loop) Window() *Window { return l.window }

// Models is the loop's model set.
func (l *Loop) Models() *Models { return l.models }

// Result is what one tick hands to the Output and the Trader.
type Result struct {
	// Now is the clock's time at the tick.
	Now time.Time
	// Rows are the tick's new rows (open time after the previous last bar) with every column:
	// the klines, the features, the scores and the signals.
	Rows *frame.Frame
	// Gaps are bars missing before or inside the new rows.
	Gaps []Gap
	// Overwritten counts stored bars the response replaced (the overlap).
	Overwritten int
	// ModelGeneration is the model set the scores come from (1 = loaded at start).
	ModelGeneration int
	// BandNo and Band are the last row's score band per the first score_notification_model
	// output (0 and nil without one, or without a score).
	BandNo int
	Band   *scores.Band
	// Stale is set when the last closed bar is older than two intervals: its signals are not
	// handed to the trader.
	Stale bool
}

// Last returns the index of the last row of r.Rows (-1 when there are none).
func (r *Result) Last() int {
	if r.Rows == nil {
		return -1
	}
	return r.Rows.Len() - 1
}

// Start fills the window with the last predict_length + features_horizon closed bars, refuses
// a window shorter than the features' warm-up (check.Warmup) and computes the window. The
// result holds every row of the window; Start hands it to no output (Run and Once do) but warms
// the outputs that are Warmers with it.
func (l *Loop) Start(ctx context.Context) (*Result, error) {
	now := l.opt.Clock.Now()
	cur := l.intervalStart(now)
	since := cur.Add(-time.Duration(l.minRows) * l.step)
	ks, err := fetchClosed(ctx, l.opt.Feeder, since, cur, l.step, l.opt.PageLimit)
	if err != nil {
		l.observeFetch(err)
		return nil, fmt.Errorf("cold start: %w", err)
	}
	res, err := l.window.Append(ks)
	if err != nil {
		l.observeFetch(err)
		return nil, fmt.Errorf("cold start: %w", err)
	}
	switch {
	case l.window.Len() == 0:
		return nil, fmt.Errorf("cold start: %w: no closed bar from %s on", ErrFetch, since.Format(time.DateTime))
	case l.window.Len() < l.minRows: // missing bars (an exchange halt) are empty grid rows
		l.log.Warn("cold start: fewer bars than the window", "bars", l.window.Len(), "window", l.minRows, "gaps", len(res.Gaps))
	}
	if err := l.checkWarmup(); err != nil {
		return nil, err
	}
	out, err := l.compute(ctx, now, l.window.Len(), res)
	if err != nil {
		return nil, fmt.Errorf("cold start: %w", err)
	}
	if w, ok := l.opt.Output.(Warmer); ok {
		if err := w.Warm(ctx, out); err != nil {
			return nil, fmt.Errorf("cold start: %w", err)
		}
	}
	l.started = true
	if last, ok := l.window.Last(); ok {
		out.Stale = last.Before(cur.Add(-2 * l.step))
		if l.opt.Observer != nil {
			l.opt.Observer.BarClosed(last)
		}
	}
	l.log.Info("cold start", "bars", l.window.Len(), "last", lastString(l.window), "models", l.models.Generation)
	return out, nil
}

// catchup hands the rows of a cold start's result to the outputs: those after the bar that
// Options.Resume reports as the last processed, else (nothing processed yet) the last row if
// last is set, none otherwise. Bars after the last processed one that are older than the
// window are reported (they cannot be scored now).
func (l *Loop) catchup(ctx context.Context, r *Result, last bool) (*Result, error) {
	from := r.Last()
	if !last {
		from = r.Rows.Len()
	}
	if l.opt.Resume != nil && r.Last() >= 0 {
		last, ok, err := l.opt.Resume(ctx)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		if ok {
			from = r.Rows.Len()
			for from > 0 && r.Rows.Time[from-1] > last.UnixMilli() {
				from--
			}
			if last.UnixMilli() > r.Rows.Time[r.Last()] { // a replay run again over the same state
				l.log.Warn("the state database has processed bars up to a later time: outputs skip the bars before it",
					"last_processed", last.Format(time.DateTime))
			}
			if lost := (r.Rows.Time[0] - last.UnixMilli()) / l.step.Milliseconds(); lost > 1 {
				l.log.Warn("bars since the last processed one are older than the window: no outputs for them",
					"last_processed", last.Format(time.DateTime), "bars", lost-1)
			}
			if from < r.Last() {
				l.log.Info("catching up", "from", frame.FormatTime(r.Rows.Time[from]), "bars", r.Rows.Len()-from)
			}
		}
	}
	c := *r
	c.Rows = r.Rows.Slice(from, r.Rows.Len())
	return &c, l.publish(ctx, &c)
}

// observeFetch tells the observer of a failed request or a bad response.
func (l *Loop) observeFetch(err error) {
	if l.opt.Observer != nil {
		l.opt.Observer.FetchError(err)
	}
}

// checkWarmup measures the features' warm-up on the window (check.Warmup over the last
// min(20, predict_length) rows) and refuses a column needing more history than the
// features_horizon rows the window keeps before the predict_length rows it scores.
func (l *Loop) checkWarmup() error {
	if len(l.features) == 0 {
		return nil
	}
	f, err := l.window.Frame(l.prefix, l.cfg.MergeInterpolate)
	if err != nil {
		return err
	}
	in, err := f.Select(gen.Inputs(l.features)...)
	if err != nil {
		return fmt.Errorf("%s: feature inputs: %w", l.cfg.Path, err)
	}
	ws, err := check.Warmup(in, l.features, check.WarmupOptions{Rows: min(20, l.cfg.PredictLength), Horizon: l.cfg.FeaturesHorizon})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	var short []string
	for _, w := range ws {
		if w.Covered {
			continue
		}
		needs := fmt.Sprintf("%d rows", w.History)
		if !w.Stable {
			needs = fmt.Sprintf("more than %d rows", w.MaxHistory-1)
		}
		short = append(short, fmt.Sprintf("column %s needs %s of history", w.Column, needs))
	}
	if len(short) > 0 {
		return fmt.Errorf("%s: %w: the window of %d rows (predict_length %d + features_horizon %d) keeps %d rows of history before the rows it scores, but %s (raise features_horizon; see 'tradectl check warmup')",
			l.cfg.Path, ErrWindowShort, l.minRows, l.cfg.PredictLength, l.cfg.FeaturesHorizon, l.cfg.FeaturesHorizon, strings.Join(short, "; "))
	}
	return nil
}

// intervalStart is the open time of the interval holding t (aligned to the Unix epoch), minus
// nothing: the bar opened then is still open at t.
func (l *Loop) intervalStart(t time.Time) time.Time {
	ms, step := t.UnixMilli(), l.step.Milliseconds()
	return time.UnixMilli(ms - ((ms%step)+step)%step).UTC()
}

// Tick fetches the bars missed since the last one plus append_overlap_records, appends the
// closed ones, picks up a new model set, recomputes the window with the batch code and hands
// the new rows to the Output and the Trader. An error leaves the window as it was.
func (l *Loop) Tick(ctx context.Context) (*Result, error) {
	if !l.started {
		return nil, errors.New("tick before start")
	}
	now := l.opt.Clock.Now()
	cur := l.intervalStart(now)
	last, _ := l.window.Last()
	since := last.Add(-time.Duration(l.cfg.AppendOverlapRecords) * l.step)
	ks, err := fetchClosed(ctx, l.opt.Feeder, since, cur, l.step, l.opt.PageLimit)
	if err != nil {
		l.observeFetch(err)
		return nil, fmt.Errorf("tick %s: %w", now.Format(time.DateTime), err)
	}
	app, err := l.window.Append(ks)
	if err != nil {
		l.observeFetch(err)
		return nil, fmt.Errorf("tick %s: %w", now.Format(time.DateTime), err)
	}
	newLast, _ := l.window.Last()
	if l.opt.Observer != nil {
		l.opt.Observer.BarClosed(newLast)
	}
	if want := cur.Add(-l.step); newLast.Before(want) {
		l.log.Warn("the last closed bars are not served yet", "last", newLast.Format(time.DateTime), "missing", int(want.Sub(newLast)/l.step))
	}
	for _, g := range app.Gaps {
		l.log.Warn("missing bars", "gap", g.String())
	}
	if ok, err := l.models.Refresh(); err != nil {
		l.log.Warn("models", "error", err)
	} else if ok {
		l.log.Info("model set reloaded", "generation", l.models.Generation)
		if l.opt.Observer != nil {
			l.opt.Observer.ModelReloaded()
		}
	}
	res, err := l.compute(ctx, now, app.New, app)
	if err != nil {
		return nil, fmt.Errorf("tick %s: %w", now.Format(time.DateTime), err)
	}
	res.Stale = newLast.Before(cur.Add(-2 * l.step))
	if err := l.publish(ctx, res); err != nil {
		return res, fmt.Errorf("tick %s: %w", now.Format(time.DateTime), err)
	}
	return res, nil
}

// compute runs merge, features, scores and signals over the window and keeps the last n rows
// (at most the rows after the previous last bar) in the result.
func (l *Loop) compute(_ context.Context, now time.Time, n int, app AppendResult) (*Result, error) {
	f, err := l.window.Frame(l.prefix, l.cfg.MergeInterpolate, l.inputs...)
	if err != nil {
		return nil, err
	}
	if _, err := features.Apply(f, l.features); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	if err := l.scoreRows(f, app.From); err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	if _, err := gen.Apply(f, l.signals); err != nil {
		return nil, fmt.Errorf("signals: %w", err)
	}
	if n > 0 {
		// Rows by time: a gap adds empty grid rows that count as new as well.
		lastOld := f.Time[f.Len()-1] - int64(n)*l.step.Milliseconds()
		i := f.Len()
		for i > 0 && f.Time[i-1] > lastOld {
			i--
		}
		f = f.Slice(i, f.Len())
	} else {
		f = f.Slice(f.Len(), f.Len())
	}
	res := &Result{Now: now, Rows: f, Gaps: app.Gaps, Overwritten: app.Overwritten, ModelGeneration: l.models.Generation}
	l.band(res)
	return res, nil
}

// scoreRows adds the model scores to the window frame f: rows from the first re-fetched bar
// (from, ms) on are scored with train.Score, earlier rows keep the scores the previous tick gave
// them (computed when each row was new, with the whole window of history behind it). A new
// model set rescores every row.
func (l *Loop) scoreRows(f *frame.Frame, from int64) error {
	models := l.models.Files()
	start := 0
	if l.cache != nil && l.gen == l.models.Generation {
		start = f.Len()
		for start > 0 && f.Time[start-1] >= from {
			start--
		}
		// Rows before start need a cached score; the cache ends at the last row of the
		// previous tick, so a row it lacks (only at a model change) is rescored too.
		if start > 0 && (f.Time[0] < l.cache.Time[0] || f.Time[start-1] > l.cache.Time[l.cache.Len()-1]) {
			start = 0
		}
	}
	part := f.Slice(start, f.Len())
	names, err := train.Score(part, models)
	if err != nil {
		return err
	}
	cache := frame.New(f.Time)
	off := 0
	if start > 0 {
		off = int((f.Time[0] - l.cache.Time[0]) / l.step.Milliseconds())
	}
	for _, name := range names {
		col := make([]float64, f.Len())
		got, _ := part.Col(name)
		copy(col[start:], got)
		if start > 0 {
			old, err := l.cache.Col(name)
			if err != nil {
				return err
			}
			copy(col[:start], old[off:off+start])
		}
		if err := f.Set(name, frame.Float, col); err != nil {
			return err
		}
		if err := cache.Set(name, frame.Float, col); err != nil {
			return err
		}
	}
	l.cache, l.gen = cache, l.models.Generation
	return nil
}

// Compute runs the batch steps over a frame of merged klines: features.Apply, train.Score with
// models over every row, then the signal generators. A tick does the same except that it
// scores only the re-fetched rows (Loop.scoreRows); tests use Compute as the batch reference.
func Compute(f *frame.Frame, feats []gen.Step, models []*train.File, sigs []gen.Step) error {
	if _, err := features.Apply(f, feats); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	if _, err := train.Score(f, models); err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	if _, err := gen.Apply(f, sigs); err != nil {
		return fmt.Errorf("signals: %w", err)
	}
	return nil
}

// band sets the last row's score band.
func (l *Loop) band(r *Result) {
	i := r.Last()
	if l.score == nil || i < 0 || len(l.score.ScoreColumnNames) == 0 {
		return
	}
	col, err := r.Rows.Col(l.score.ScoreColumnNames[0])
	if err != nil || math.IsNaN(col[i]) {
		return
	}
	r.BandNo, r.Band = l.score.FindBand(col[i])
}

// publish hands a result with new rows to the Output and, unless stale, to the Trader.
func (l *Loop) publish(ctx context.Context, r *Result) error {
	if r.Last() < 0 {
		return nil
	}
	var errs []error
	if l.opt.Output != nil {
		if err := l.opt.Output.Publish(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("output: %w", err))
		}
	}
	if l.opt.Trader != nil {
		if r.Stale {
			l.log.Warn("stale data: signals not handed to the trader", "last", frame.FormatTime(r.Rows.Time[r.Last()]))
		} else if err := l.opt.Trader.Signals(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("trader: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Once is ITB's cron mode: a cold start, then the rows since the last processed bar (the last
// row when there is no state) handed to the outputs. Run hands on the rows since the last
// processed bar too, but none when there is no state: the first tick is its first output.
func (l *Loop) Once(ctx context.Context) (*Result, error) {
	r, err := l.Start(ctx)
	if err != nil {
		return nil, err
	}
	return l.catchup(ctx, r, true)
}

// NextTick is the time of the first tick after t: the next interval boundary plus Settle.
func (l *Loop) NextTick(t time.Time) time.Time {
	settle := max(l.opt.Settle, 0)
	return l.intervalStart(t.Add(-settle)).Add(l.step + settle)
}

// Run starts the loop and ticks at every interval boundary plus Settle until ctx ends (a
// normal stop: the current tick is finished and Run returns nil) or Until has passed. A cold
// start that cannot reach the exchange (ErrFetch) is retried at the next interval; a failed
// tick is logged and the next one catches up.
func (l *Loop) Run(ctx context.Context) error {
	for !l.started {
		t := l.observeStart()
		r, err := l.Start(ctx)
		if err == nil {
			_, err = l.catchup(context.WithoutCancel(ctx), r, false)
			l.observeDone(t, err)
			if err != nil {
				l.log.Error("cold start outputs failed", "error", err)
			}
			break
		}
		l.observeDone(t, err)
		if !errors.Is(err, ErrFetch) {
			return err
		}
		l.log.Error("cold start failed: retrying at the next interval", "error", err)
		if !l.sleepUntilNext(ctx) {
			return nil
		}
	}
	for {
		if !l.sleepUntilNext(ctx) {
			return nil
		}
		// The tick runs to its end even if ctx is cancelled meanwhile.
		t := l.observeStart()
		r, err := l.Tick(context.WithoutCancel(ctx))
		l.observeDone(t, err)
		switch {
		case err != nil:
			l.log.Error("tick failed", "error", err)
		case r.Last() >= 0:
			l.log.Debug("tick", "rows", r.Rows.Len(), "last", frame.FormatTime(r.Rows.Time[r.Last()]))
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// sleepUntilNext waits for the next tick; false when ctx ended or Until has passed.
func (l *Loop) sleepUntilNext(ctx context.Context) bool {
	now := l.opt.Clock.Now()
	next := l.NextTick(now)
	if !l.opt.Until.IsZero() && next.After(l.opt.Until) {
		return false
	}
	return clock.SleepContext(ctx, l.opt.Clock, next.Sub(now)) == nil
}

func (l *Loop) observeStart() time.Time {
	if l.opt.Observer == nil {
		return time.Time{}
	}
	return l.opt.Observer.TickStarted()
}

func (l *Loop) observeDone(start time.Time, err error) {
	if l.opt.Observer != nil {
		l.opt.Observer.TickDone(start, err)
	}
}

func lastString(w *Window) string {
	t, ok := w.Last()
	if !ok {
		return ""
	}
	return t.Format(time.DateTime)
}
