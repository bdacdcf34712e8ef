package config

import (
	"path/filepath"
	"testing"
)

// ITB's sample rolling_predict section loads as written: a date data_start, null data_end
// and prediction_start (to be derived), and ITB's unused multiprocessing keys.
func TestRollingPredictOfTheSampleConfig(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "testdata", "configs", "config-sample-1min.jsonc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Rolling()
	if err != nil {
		t.Fatal(err)
	}
	want := RollingPredict{DataStart: Bound{Time: "2020-02-01 00:00:00"}, PredictionSize: 10080, PredictionSteps: 4, MaxWorkers: 8}
	if r != want || r.DataEnd.IsSet() || r.PredictionStart.IsSet() || !r.DataStart.IsSet() {
		t.Fatalf("rolling_predict = %+v, want %+v", r, want)
	}
	var none Config
	if r, err := none.Rolling(); err != nil || r != (RollingPredict{}) {
		t.Fatalf("a config without rolling_predict: %+v, %v", r, err)
	}
}
