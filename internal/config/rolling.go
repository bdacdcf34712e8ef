package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Bound is a rolling_predict position: a row number or a timestamp string. ITB treats null,
// 0 and "" alike as "not set".
type Bound struct {
	// Row is the row number when Time is "".
	Row int
	// Time is the timestamp text (parsed by the step that resolves it).
	Time string
}

// IsSet reports whether the bound was given (not null, 0 or "").
func (b Bound) IsSet() bool { return b.Time != "" || b.Row != 0 }

// String shows the bound as it was written.
func (b Bound) String() string {
	if b.Time != "" {
		return fmt.Sprintf("%q", b.Time)
	}
	return fmt.Sprint(b.Row)
}

// UnmarshalJSON accepts null, a non-negative whole number or a string.
func (b *Bound) UnmarshalJSON(raw []byte) error {
	*b = Bound{}
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil
	}
	if len(raw) > 0 && raw[0] == '"' {
		return json.Unmarshal(raw, &b.Time)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return fmt.Errorf("want a row number (0 or more), a timestamp string or null, got %s", raw)
	}
	b.Row = int(f)
	return nil
}

// RollingPredict is the rolling_predict section (itb-behaviour.md §5): walk-forward
// predictions over the rows [data_start, data_end) in prediction_steps folds of
// prediction_size rows starting at prediction_start. Any one of the three may be left out
// (null or 0) and is derived from the others.
type RollingPredict struct {
	// DataStart keeps rows from this row number or timestamp (inclusive).
	DataStart Bound `json:"data_start"`
	// DataEnd drops the last DataEnd.Row rows, or keeps rows before this timestamp.
	DataEnd Bound `json:"data_end"`
	// PredictionStart is the first predicted row (a row number within the kept rows, or a timestamp).
	PredictionStart Bound `json:"prediction_start"`
	PredictionSize  int   `json:"prediction_size"`
	PredictionSteps int   `json:"prediction_steps"`
	// UseMultiprocessing and MaxWorkers are ITB's; tradectl uses --jobs instead.
	UseMultiprocessing bool `json:"use_multiprocessing"`
	MaxWorkers         int  `json:"max_workers"`
}

// nullInt reads null as 0 so that ITB's "prediction_size": null means "derive it".
type nullInt int

func (n *nullInt) UnmarshalJSON(raw []byte) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		*n = 0
		return nil
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil || v < 0 {
		return fmt.Errorf("want a whole number of rows (0 or more) or null, got %s", raw)
	}
	*n = nullInt(v)
	return nil
}

// Rolling decodes the rolling_predict section; a missing section gives the zero value (every
// field unset). Errors name the key.
func (c *Config) Rolling() (RollingPredict, error) {
	var r RollingPredict
	if len(bytes.TrimSpace(c.RollingPredict)) == 0 || string(bytes.TrimSpace(c.RollingPredict)) == "null" {
		return r, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(c.RollingPredict, &fields); err != nil {
		return r, fmt.Errorf("%w: key \"rolling_predict\": want an object: %v", ErrConfig, err)
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		raw := fields[key]
		var err error
		switch key {
		case "data_start":
			err = json.Unmarshal(raw, &r.DataStart)
		case "data_end":
			err = json.Unmarshal(raw, &r.DataEnd)
		case "prediction_start":
			err = json.Unmarshal(raw, &r.PredictionStart)
		case "prediction_size", "prediction_steps", "max_workers":
			var n nullInt
			err = json.Unmarshal(raw, &n)
			switch key {
			case "prediction_size":
				r.PredictionSize = int(n)
			case "prediction_steps":
				r.PredictionSteps = int(n)
			default:
				r.MaxWorkers = int(n)
			}
		case "use_multiprocessing":
			err = json.Unmarshal(raw, &r.UseMultiprocessing)
		default:
			err = fmt.Errorf("unknown key (known: data_start, data_end, prediction_start, prediction_size, prediction_steps, use_multiprocessing, max_workers)")
		}
		if err != nil {
			return RollingPredict{}, fmt.Errorf("%w: key \"rolling_predict.%s\": %v", ErrConfig, key, err)
		}
	}
	return r, nil
}
