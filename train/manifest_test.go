package train

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
)

// TestPredictRefusesAMixedModelSet: a training run that stops after its first model leaves
// the folder without a manifest, and a model file that is not the one the last complete run
// wrote is refused, naming the file; a complete run loads.
func TestPredictRefusesAMixedModelSet(t *testing.T) {
	gb := config.Algorithm{Name: "gb", Algo: "gb", Train: json.RawMessage(`{"num_boost_round": 10, "max_depth": 2}`)}
	s := set(lc, gb)
	dir := t.TempDir()
	if _, err := Fit(matrix(800, 1), Options{Sets: []Set{s}, ModelFolder: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModels([]Set{s}, dir); err != nil {
		t.Fatalf("complete set: %v", err)
	}
	gbOrig, _ := os.ReadFile(ModelPath(dir, "lab_gb"))

	// A run whose second model fails writes nothing (models are fitted in memory first): the
	// previous complete set stays usable.
	broken := config.Algorithm{Name: "gb", Algo: "gb", Train: json.RawMessage(`{"num_boost_round": -3}`)}
	if _, err := Fit(matrix(800, 2), Options{Sets: []Set{set(lc, broken)}, ModelFolder: dir}); err == nil {
		t.Fatal("the broken run succeeded")
	}
	if _, err := LoadModels([]Set{s}, dir); err != nil {
		t.Fatalf("after a failed run the previous set must still load: %v", err)
	}

	// A run killed while saving, after its first model file: Fit's save sequence cut short.
	files, _, err := FitModels(matrix(800, 2), Options{Sets: []Set{s}})
	if err != nil {
		t.Fatal(err)
	}
	if err := BeginModelSet(dir); err != nil {
		t.Fatal(err)
	}
	if err := files[0].Save(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(ModelPath(dir, "lab_gb")); string(b) != string(gbOrig) {
		t.Fatal("test setup: lab_gb was rewritten")
	}
	_, err = LoadModels([]Set{s}, dir)
	if !errors.Is(err, ErrModelSet) || !strings.Contains(err.Error(), ManifestName) {
		t.Fatalf("after an unfinished run: %v, want ErrModelSet naming the missing manifest", err)
	}

	// A complete run, then one model file replaced by another run's file.
	other := t.TempDir()
	if _, err := Fit(matrix(800, 3), Options{Sets: []Set{s}, ModelFolder: other}); err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(matrix(800, 1), Options{Sets: []Set{s}, ModelFolder: dir}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(ModelPath(other, "lab_lc"))
	os.WriteFile(ModelPath(dir, "lab_lc"), b, 0o644)
	_, err = LoadModels([]Set{s}, dir)
	if !errors.Is(err, ErrModelSet) || !strings.Contains(err.Error(), ModelPath(dir, "lab_lc")) {
		t.Fatalf("mixed set: %v, want ErrModelSet naming lab_lc.json", err)
	}

	// A model the last run did not train.
	if _, err := Fit(matrix(800, 1), Options{Sets: []Set{set(lc)}, ModelFolder: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModels([]Set{s}, dir); !errors.Is(err, ErrModelSet) || !strings.Contains(err.Error(), "lab_gb is not part of the last training run") {
		t.Fatalf("model outside the set: %v", err)
	}
}
