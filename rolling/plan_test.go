package rolling

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
)

// minutes returns n row times one minute apart from 2024-01-01 00:00 UTC.
func minutes(n int) []int64 {
	t := make([]int64, n)
	for i := range t {
		t[i] = 1704067200000 + int64(i)*60000
	}
	return t
}

func rollingConfig(t *testing.T, text string) config.RollingPredict {
	t.Helper()
	c := config.Default()
	c.RollingPredict = json.RawMessage(text)
	r, err := c.Rolling()
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return r
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name string
		cfg  string
		rows int
		want Plan
		err  error
		msg  string // in the error
	}{
		{"start derived from the end (ITB sample)", `{"data_start": "2020-02-01 00:00:00", "data_end": null, "prediction_start": null, "prediction_size": 100, "prediction_steps": 4}`, 1000,
			Plan{First: 0, End: 1000, Start: 600, Size: 100, Steps: 4, Derived: "prediction_start"}, nil, ""},
		{"start 0 is empty as in ITB", `{"prediction_start": 0, "prediction_size": 100, "prediction_steps": 4}`, 1000,
			Plan{End: 1000, Start: 600, Size: 100, Steps: 4, Derived: "prediction_start"}, nil, ""},
		{"size derived, remainder unused", `{"prediction_start": 500, "prediction_steps": 3}`, 1000,
			Plan{End: 1000, Start: 500, Size: 166, Steps: 3, Derived: "prediction_size"}, nil, ""},
		{"steps derived", `{"prediction_start": 500, "prediction_size": 120}`, 1000,
			Plan{End: 1000, Start: 500, Size: 120, Steps: 4, Derived: "prediction_steps"}, nil, ""},
		{"all given", `{"prediction_start": 500, "prediction_size": 100, "prediction_steps": 2}`, 1000,
			Plan{End: 1000, Start: 500, Size: 100, Steps: 2}, nil, ""},
		{"start as a date", `{"prediction_start": "2024-01-01 10:00:00", "prediction_size": 60, "prediction_steps": 2}`, 1000,
			Plan{End: 1000, Start: 600, Size: 60, Steps: 2}, nil, ""},
		{"start as a date between rows takes the next row", `{"prediction_start": "2024-01-01T09:59:30Z", "prediction_size": 60, "prediction_steps": 2}`, 1000,
			Plan{End: 1000, Start: 600, Size: 60, Steps: 2}, nil, ""},
		{"data_start int, start relative to it", `{"data_start": 100, "prediction_start": 500, "prediction_size": 100, "prediction_steps": 4}`, 1000,
			Plan{First: 100, End: 1000, Start: 600, Size: 100, Steps: 4}, nil, ""},
		{"data_end int drops the last rows", `{"data_end": 100, "prediction_size": 100, "prediction_steps": 4}`, 1000,
			Plan{End: 900, Start: 500, Size: 100, Steps: 4, Derived: "prediction_start"}, nil, ""},
		{"data_start and data_end as dates", `{"data_start": "2024-01-01 01:40", "data_end": "2024-01-01 15:00:00+00:00", "prediction_size": 100, "prediction_steps": 4}`, 1000,
			Plan{First: 100, End: 900, Start: 500, Size: 100, Steps: 4, Derived: "prediction_start"}, nil, ""},
		{"date start relative to data_start", `{"data_start": 100, "prediction_start": "2024-01-01 10:00:00", "prediction_steps": 2}`, 1000,
			Plan{First: 100, End: 1000, Start: 600, Size: 200, Steps: 2, Derived: "prediction_size"}, nil, ""},

		{"too few rows, start given", `{"prediction_start": 500, "prediction_size": 100, "prediction_steps": 6}`, 1000,
			Plan{}, ErrNotEnoughRows, "6 steps x 100 rows need 600 rows from prediction_start (row 500); the data has 500"},
		{"too few rows, start derived", `{"prediction_size": 10080, "prediction_steps": 4}`, 1000,
			Plan{}, ErrNotEnoughRows, "need 40320 rows"},
		{"steps derived to zero", `{"prediction_start": 950, "prediction_size": 100}`, 1000,
			Plan{}, ErrNotEnoughRows, "one step of 100 rows needs 100 rows from prediction_start (row 950); the data has 50"},
		{"size derived to zero", `{"prediction_start": 998, "prediction_steps": 4}`, 1000,
			Plan{}, ErrNotEnoughRows, "4 steps need at least 4 rows"},
		{"two empty", `{"prediction_start": null, "prediction_size": 100}`, 1000,
			Plan{}, config.ErrConfig, "only one of prediction_start, prediction_size and prediction_steps may be empty"},
		{"start after the data", `{"prediction_start": "2025-01-01", "prediction_size": 10}`, 1000,
			Plan{}, config.ErrConfig, "after the last row"},
		{"bad date", `{"prediction_start": "soon", "prediction_size": 10}`, 1000,
			Plan{}, config.ErrConfig, `rolling_predict.prediction_start": bad timestamp "soon"`},
		{"nothing left", `{"data_start": 600, "data_end": 500, "prediction_size": 10, "prediction_steps": 1}`, 1000,
			Plan{}, ErrNotEnoughRows, "no rows between data_start 600 and data_end 500"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Resolve(rollingConfig(t, c.cfg), minutes(c.rows))
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("error %v, want %v containing %q", err, c.err, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("plan %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRollingConfigErrors(t *testing.T) {
	for _, c := range []struct{ cfg, msg string }{
		{`{"prediction_size": -5}`, `"rolling_predict.prediction_size": want a whole number`},
		{`{"prediction_steps": "four"}`, `"rolling_predict.prediction_steps"`},
		{`{"data_start": 1.5}`, `"rolling_predict.data_start": want a row number`},
		{`{"data_end": true}`, `"rolling_predict.data_end"`},
		{`{"predicton_size": 5}`, `"rolling_predict.predicton_size": unknown key`},
		{`[1]`, `"rolling_predict": want an object`},
	} {
		cf := config.Default()
		cf.RollingPredict = json.RawMessage(c.cfg)
		if _, err := cf.Rolling(); !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.cfg, err, c.msg)
		}
	}
}

func TestFolds(t *testing.T) {
	p := Plan{First: 100, End: 1000, Start: 600, Size: 100, Steps: 4}
	// Expanding window from data_start, gap of label_horizon + 1 = 11 rows.
	got, err := p.Folds(10, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Fold{{0, 100, 589, 600, 700}, {1, 100, 689, 700, 800}, {2, 100, 789, 800, 900}, {3, 100, 889, 900, 1000}}
	if len(got) != len(want) {
		t.Fatalf("folds %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("expanding fold %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Sliding window of 300 rows, clipped at data_start.
	got, _ = p.Folds(10, 300)
	want = []Fold{{0, 289, 589, 600, 700}, {1, 389, 689, 700, 800}, {2, 489, 789, 800, 900}, {3, 589, 889, 900, 1000}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sliding fold %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	got, _ = p.Folds(10, 1000)
	if got[0].TrainStart != 100 {
		t.Fatalf("a window longer than the data starts at data_start: %+v", got[0])
	}
	// The first fold needs a training row before the gap.
	if _, err := (Plan{First: 100, End: 1000, Start: 111, Size: 100, Steps: 2}).Folds(10, 0); !errors.Is(err, ErrNotEnoughRows) || !strings.Contains(err.Error(), "fold 1 has no training rows") {
		t.Fatalf("error %v", err)
	}
}
