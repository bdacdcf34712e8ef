package features

import (
	"encoding/json"
	"testing"
)

func TestRegisteredGenerators(t *testing.T) {
	names := map[string]bool{}
	for _, n := range Default.Names() {
		names[n] = true
	}
	for _, want := range []string{"talib", "itbstats", "itblib", ExampleGeneratorName, "my_feature_example"} {
		if !names[want] {
			t.Errorf("%q is not registered in Default (have %v)", want, Default.Names())
		}
	}
}

func TestExampleGenerator(t *testing.T) {
	f := frameOf(map[string][]float64{"close": nans(1, nan, 3)})
	tests := []struct {
		name, cfg, out string
		want           []float64
	}{
		// ITB's shipped sample config entry, unchanged.
		{ExampleGeneratorName, referenceConfig1m[3].cfg, "close_add", nans(3, nan, 5)},
		{"my_feature_example", `{"columns":["close"],"function":"mul","parameter":-2}`, "close_mul", nans(-2, nan, -6)},
		{"my_feature_example", `{"columns":"close","function":"add"}`, "close_add", nans(1, nan, 3)},
		{"my_feature_example", `{"columns":"close","function":"add","parameter":0.5,"names":["x"]}`, "x", nans(1.5, nan, 3.5)},
	}
	for _, tt := range tests {
		g := mustBuild(t, tt.name, tt.cfg)
		if g.Window() != 0 || g.Lookback() != 0 || len(g.Inputs()) != 1 || g.Inputs()[0] != "close" {
			t.Fatalf("%s: Window %d Lookback %d Inputs %v", tt.cfg, g.Window(), g.Lookback(), g.Inputs())
		}
		out := generate(t, g, f)
		assertSeries(t, tt.out, out[tt.out], tt.want, 0)
	}
	g := mustBuild(t, "my_feature_example", `{"columns":"close","function":"mul","parameter":3}`)
	rf := randomKlines(51, 50)
	checkNoLookAhead(t, g, rf, []int{10, 30}, 2)
	checkLookback(t, g, rf, []int{0, 25, 49})
}

func TestExampleConfigErrors(t *testing.T) {
	tests := []struct{ cfg, word string }{
		{`{"columns":"close","function":"sub"}`, `"sub"`},
		{`{"columns":"close"}`, "function"},
		{`{"function":"add"}`, "columns"},
		{`{"columns":"close","function":"add","parameter":"2"}`, "parameter"},
		{`{"columns":"close","function":"add","names":["a","b"]}`, "names"},
		{`{"columns":"close","function":"add","windows":[2]}`, `"windows"`},
	}
	for _, tt := range tests {
		_, err := Default.Build(ExampleGeneratorName, json.RawMessage(tt.cfg))
		wantConfigError(t, err, tt.word)
	}
}
