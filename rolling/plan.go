// Package rolling makes honest out-of-sample scores: walk-forward predictions (ITB's
// predict_rolling, itb-behaviour.md §5). The rows are cut into folds; each fold's models are
// trained only on rows whose labels end before the fold starts (a purge gap of
// label_horizon + 1 rows) and score the fold's rows. Folds are independent tasks run by an
// Executor and cached on disk by the hash of everything they depend on, so an interrupted
// run resumes and a finished one recomputes nothing.
package rolling

import (
	"errors"
	"fmt"
	"sort"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
)

// ErrNotEnoughRows is returned when the data cannot hold the requested folds.
var ErrNotEnoughRows = errors.New("not enough rows")

// Plan is a resolved rolling_predict section, in rows of the input frame.
type Plan struct {
	// First and End bound the rows data_start and data_end keep: [First, End).
	First, End int
	// Start is the first predicted row; Steps folds of Size rows follow it.
	Start, Size, Steps int
	// Derived names the parameter computed from the others ("" when all three were given).
	Derived string
}

// Rows is the number of predicted rows (Size x Steps).
func (p Plan) Rows() int { return p.Size * p.Steps }

// Resolve applies data_start/data_end to the row times and derives the missing one of
// prediction_start, prediction_size and prediction_steps as ITB does (§5 step 3).
func Resolve(r config.RollingPredict, times []int64) (Plan, error) {
	p := Plan{First: 0, End: len(times)}
	if r.DataStart.IsSet() {
		i, err := position(r.DataStart, times, "data_start")
		if err != nil {
			return p, err
		}
		p.First = min(i, len(times))
	}
	if r.DataEnd.IsSet() {
		if r.DataEnd.Time != "" {
			i, err := position(r.DataEnd, times, "data_end")
			if err != nil {
				return p, err
			}
			p.End = i
		} else {
			p.End = max(0, len(times)-r.DataEnd.Row)
		}
	}
	n := p.End - p.First
	if n <= 0 {
		return p, fmt.Errorf("%w: rolling_predict: no rows between data_start %s and data_end %s (the matrix has %d rows)", ErrNotEnoughRows, r.DataStart, r.DataEnd, len(times))
	}
	start := 0 // relative to First; 0 means "not set", as in ITB
	if r.PredictionStart.IsSet() {
		if r.PredictionStart.Time != "" {
			i, err := position(r.PredictionStart, times[p.First:p.End], "prediction_start")
			if err != nil {
				return p, err
			}
			if i >= n {
				return p, fmt.Errorf("%w: key \"rolling_predict.prediction_start\": %s is after the last row %s", config.ErrConfig, r.PredictionStart, frame.FormatTime(times[p.End-1]))
			}
			start = i
		} else {
			start = r.PredictionStart.Row
		}
	}
	size, steps := r.PredictionSize, r.PredictionSteps
	unset := 0
	for _, v := range []int{start, size, steps} {
		if v == 0 {
			unset++
		}
	}
	if unset > 1 {
		return p, fmt.Errorf("%w: key \"rolling_predict\": only one of prediction_start, prediction_size and prediction_steps may be empty (null or 0)", config.ErrConfig)
	}
	switch {
	case start == 0:
		start, p.Derived = n-size*steps, "prediction_start"
		if start <= 0 {
			return p, fmt.Errorf("%w: rolling_predict: %d steps x %d rows need %d rows and the training rows before them; the data has %d rows", ErrNotEnoughRows, steps, size, size*steps, n)
		}
	case size == 0:
		size, p.Derived = (n-start)/steps, "prediction_size"
		if size == 0 {
			return p, fmt.Errorf("%w: rolling_predict: %d steps need at least %d rows from prediction_start (row %d); the data has %d", ErrNotEnoughRows, steps, steps, start, max(0, n-start))
		}
	case steps == 0:
		steps, p.Derived = (n-start)/size, "prediction_steps"
		if steps == 0 {
			return p, fmt.Errorf("%w: rolling_predict: one step of %d rows needs %d rows from prediction_start (row %d); the data has %d", ErrNotEnoughRows, size, size, start, max(0, n-start))
		}
	}
	if n-start < size*steps {
		return p, fmt.Errorf("%w: rolling_predict: %d steps x %d rows need %d rows from prediction_start (row %d); the data has %d", ErrNotEnoughRows, steps, size, size*steps, start, max(0, n-start))
	}
	p.Start, p.Size, p.Steps = p.First+start, size, steps
	return p, nil
}

// position is the first row at or after a bound's time, or its row number.
func position(b config.Bound, times []int64, key string) (int, error) {
	if b.Time == "" {
		return b.Row, nil
	}
	t, err := frame.ParseTime([]byte(b.Time))
	if err != nil {
		return 0, fmt.Errorf("%w: key \"rolling_predict.%s\": %v", config.ErrConfig, key, err)
	}
	return sort.Search(len(times), func(i int) bool { return times[i] >= t }), nil
}

// Fold is one walk-forward step, in rows of the input frame: train on [TrainStart, TrainEnd),
// predict [PredictStart, PredictEnd).
type Fold struct {
	Index        int `json:"fold"`
	TrainStart   int `json:"train_start"`
	TrainEnd     int `json:"train_end"`
	PredictStart int `json:"predict_start"`
	PredictEnd   int `json:"predict_end"`
}

// Folds lays out the plan's steps. Training ends label_horizon + 1 rows before the fold
// (so no training label looks into the predicted rows) and starts at data_start, or
// trainLength rows earlier (a sliding window) when trainLength > 0.
func (p Plan) Folds(labelHorizon, trainLength int) ([]Fold, error) {
	out := make([]Fold, p.Steps)
	for k := range out {
		ps := p.Start + k*p.Size
		f := Fold{Index: k, PredictStart: ps, PredictEnd: ps + p.Size, TrainEnd: ps - labelHorizon - 1, TrainStart: p.First}
		if trainLength > 0 {
			f.TrainStart = max(p.First, f.TrainEnd-trainLength)
		}
		if f.TrainEnd <= f.TrainStart {
			return nil, fmt.Errorf("%w: rolling_predict: fold %d has no training rows: prediction_start (row %d of the kept rows) must leave more than label_horizon + 1 = %d rows before it", ErrNotEnoughRows, k+1, p.Start-p.First, labelHorizon+1)
		}
		out[k] = f
	}
	return out, nil
}
