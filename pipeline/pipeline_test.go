package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
)

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(src), "cfg.jsonc", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const sets = `"data_folder": "/data", "symbol": "BTCUSDT",
  "feature_sets": [{"generator": "talib", "config": {"columns": ["close"], "functions": ["SMA"], "windows": [5, 30]}}],
  "label_sets": [{"generator": "highlow2", "config": {"columns": ["close", "high", "low"], "function": "high", "thresholds": [2.0], "tolerance": 0.2, "horizon": 20, "names": ["high_20"]}}]`

// Build checks the shape parameters that tie the generators to the config and names the key.
func TestBuildChecksShapes(t *testing.T) {
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"ok", `"features_horizon": 30, "label_horizon": 20`, ""},
		{"features_horizon", `"features_horizon": 29, "label_horizon": 20`, `key "features_horizon" (29) is smaller than the window 30`},
		{"label_horizon", `"features_horizon": 30, "label_horizon": 19`, `key "label_horizon" (19) is smaller than the horizon 20`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Build(parse(t, "{"+sets+", "+tc.extra+"}"))
			if tc.want == "" {
				if err != nil || len(g.Features) != 1 || len(g.Labels) != 1 {
					t.Fatalf("Build = %+v, %v", g, err)
				}
				return
			}
			if !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cfg.jsonc: ") {
				t.Fatalf("error %v, want ErrConfig naming the file and %q", err, tc.want)
			}
		})
	}
}

// Two sets creating one column, or an unknown generator, are errors naming the file.
func TestBuildRejectsCollisionsAndUnknownGenerators(t *testing.T) {
	twice := `{"data_folder": "/data", "features_horizon": 30,
	  "feature_sets": [{"generator": "talib", "config": {"columns": ["close"], "functions": ["SMA"], "windows": [5]}},
	                   {"generator": "talib", "config": {"columns": ["close"], "functions": ["SMA"], "windows": [5]}}]}`
	if _, err := Build(parse(t, twice)); err == nil || !strings.Contains(err.Error(), "is also created by") {
		t.Fatalf("collision: %v", err)
	}
	unknown := `{"data_folder": "/data", "signal_sets": [{"generator": "no_such_rule", "config": {}}]}`
	if _, err := Signals(parse(t, unknown)); err == nil || !strings.Contains(err.Error(), "no_such_rule") || !strings.HasPrefix(err.Error(), "cfg.jsonc: ") {
		t.Fatalf("unknown signal generator: %v", err)
	}
	if s, err := Signals(parse(t, `{"data_folder": "/data"}`)); err != nil || len(s) != 0 {
		t.Fatalf("no signal_sets: %v %v", s, err)
	}
}

// The stages read and write the config's files in pipeline order.
func TestStages(t *testing.T) {
	c := parse(t, "{"+sets+`, "features_horizon": 30, "label_horizon": 20, "feature_file_name": "f.parquet"}`)
	g, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	f, err := g.Stage(c, "features")
	if err != nil || f.In != c.File("data.csv") || f.Out != c.File("f.parquet") || f.Producer != "merge" || !f.Incremental || len(f.Steps) != 1 {
		t.Fatalf("features stage %+v, %v", f, err)
	}
	l, err := g.Stage(c, "labels")
	if err != nil || l.In != c.File("f.parquet") || l.Out != c.File("matrix.csv") || l.Producer != "features" || l.Incremental || len(l.Steps) != 1 {
		t.Fatalf("labels stage %+v, %v", l, err)
	}
	if _, err := g.Stage(c, "train"); err == nil {
		t.Fatal("unknown stage accepted")
	}
}
