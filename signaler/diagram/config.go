package diagram

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tradectl/tradectl/internal/config"
)

// rawConfig is a diagram_notification_model entry's config as ITB writes it.
type rawConfig struct {
	NotificationFreq string          `json:"notification_freq"`
	ScoreColumnNames json.RawMessage `json:"score_column_names"`
	ScoreThresholds  []float64       `json:"score_thresholds"`
	ResamplingFreq   string          `json:"resampling_freq"`
	NRows            int             `json:"nrows"`
	Description      string          `json:"description"`
}

// ParseConfig reads a diagram_notification_model output's config (key names it in errors,
// e.g. "output_sets[1].config") for a service running at freq on symbol. notification_freq
// defaults to "1D"; score_column_names (a string or a list: the first is drawn),
// resampling_freq and nrows are required; the title's description (ITB: the config's
// description) defaults to "score, resampling_freq × nrows". ITB's diagram_notification flag is not read, as in
// ITB.
func ParseConfig(raw json.RawMessage, key string, freq time.Duration, symbol string) (Config, error) {
	var rc rawConfig
	if err := json.Unmarshal(raw, &rc); err != nil {
		return Config{}, fmt.Errorf("%w: key %q: %v", ErrSeries, key, err)
	}
	c := Config{Name: key, Freq: freq, NRows: rc.NRows, Chart: Chart{Symbol: symbol, Thresholds: rc.ScoreThresholds}}
	var err error
	if rc.NotificationFreq == "" {
		rc.NotificationFreq = "1D"
	}
	if c.NotificationFreq, err = config.ParseFreq(rc.NotificationFreq); err != nil {
		return Config{}, fmt.Errorf("%w: key %q: %v", ErrSeries, key+".notification_freq", err)
	}
	if c.ResamplingFreq, err = config.ParseFreq(rc.ResamplingFreq); err != nil {
		return Config{}, fmt.Errorf("%w: key %q: %v", ErrSeries, key+".resampling_freq", err)
	}
	var one string
	var many []string
	switch {
	case json.Unmarshal(rc.ScoreColumnNames, &one) == nil && one != "":
		c.Score = one
	case json.Unmarshal(rc.ScoreColumnNames, &many) == nil && len(many) > 0 && many[0] != "":
		c.Score = many[0]
	default:
		return Config{}, fmt.Errorf("%w: key %q: give a score column name", ErrSeries, key+".score_column_names")
	}
	if rc.NRows <= 0 {
		return Config{}, fmt.Errorf("%w: key %q: must be a positive number of rows", ErrSeries, key+".nrows")
	}
	c.Chart.Description = rc.Description
	if c.Chart.Description == "" {
		c.Chart.Description = fmt.Sprintf("%s, %s × %d", c.Score, rc.ResamplingFreq, rc.NRows)
	}
	return c, c.Check()
}
