package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tradectl/tradectl/internal/frame"
)

// Model file format. One JSON file per label x algorithm, <model_folder>/<label>_<name>.json:
//
//	{
//	  "format": "tradectl-model", "version": 1, "tradectl_version": "0.1.0",
//	  "name": "high_20_lc", "label": "high_20",
//	  "algorithm": {"name": "lc", "algo": "lc", "params": {...}, "train": {...}},
//	  "features": ["close_SMA_1", ...],          // names and order the model expects
//	  "scaler": {"mean": [...], "scale": [...]}, // or null
//	  "training": {"first": "...", "last": "...", "rows": 525000, "positives": 9210},
//	  "checksum": "sha256 of the model object's bytes",
//	  "model": {...}                             // the algorithm's own fields
//	}
//
// The file holds nothing time-dependent (no training duration or date), so training the same
// data with the same config and seed writes the same bytes. Writes are atomic.
const (
	// FormatName identifies model files.
	FormatName = "tradectl-model"
	// FormatVersion is the current model file version; readers reject newer versions.
	FormatVersion = 1
)

// Sentinel errors of the model store.
var (
	// ErrModelNotFound is returned when a model file does not exist.
	ErrModelNotFound = errors.New("model not found")
	// ErrCorrupt is returned for a model file that cannot be decoded or fails its checksum.
	ErrCorrupt = errors.New("corrupt model file")
	// ErrFeatureMismatch is returned when a model was trained on other features than configured.
	ErrFeatureMismatch = errors.New("model features differ from the config")
)

// AlgorithmSpec is the algorithms entry a model was trained with.
type AlgorithmSpec struct {
	Name   string          `json:"name"`
	Algo   string          `json:"algo"`
	Params json.RawMessage `json:"params,omitempty"`
	Train  json.RawMessage `json:"train,omitempty"`
}

// Training describes the rows a model was fitted on.
type Training struct {
	First     string `json:"first"`
	Last      string `json:"last"`
	Rows      int    `json:"rows"`
	Positives int    `json:"positives"`
}

// File is a stored model.
type File struct {
	Format          string        `json:"format"`
	Version         int           `json:"version"`
	TradectlVersion string        `json:"tradectl_version"`
	Name            string        `json:"name"`
	Label           string        `json:"label"`
	Algorithm       AlgorithmSpec `json:"algorithm"`
	// Regression is set for models of numeric labels (is_regression): they predict values.
	Regression bool            `json:"regression,omitempty"`
	Features   []string        `json:"features"`
	Scaler     *Scaler         `json:"scaler"`
	Training   Training        `json:"training"`
	Checksum   string          `json:"checksum"`
	Model      json.RawMessage `json:"model"`

	model Model
}

// ModelName is ITB's score column and model name: <label>_<algorithm name>.
func ModelName(label, algoName string) string { return label + "_" + algoName }

// SplitModelName splits a score column at its last '_' into label and algorithm name.
func SplitModelName(name string) (label, algo string, ok bool) {
	i := strings.LastIndexByte(name, '_')
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// ModelPath is the file of a model in a folder.
func ModelPath(folder, name string) string { return filepath.Join(folder, name+".json") }

// predictBlock is the number of rows Predict scales and scores at a time, so its scratch
// memory stays small whatever the number of rows.
const predictBlock = 1 << 13

// Predict scales the columns (if the model has a scaler) and writes P(label) (a value for a
// regression model) into out; rows with any NaN input get NaN. Rows are scored in blocks
// (every row's score depends on that row alone).
func (f *File) Predict(cols [][]float64, out []float64) error {
	if len(cols) != len(f.Features) {
		return fmt.Errorf("model %s: %d feature columns given, it expects %d", f.Name, len(cols), len(f.Features))
	}
	sub := make([][]float64, len(cols))
	for j := range sub {
		sub[j] = make([]float64, 0, min(len(out), predictBlock))
	}
	keep := make([]int, 0, min(len(out), predictBlock))
	p := make([]float64, 0, min(len(out), predictBlock))
	for lo := 0; lo < len(out); lo += predictBlock {
		hi := min(lo+predictBlock, len(out))
		keep = keep[:0]
		for i := lo; i < hi; i++ {
			ok := true
			for _, c := range cols {
				if v := c[i]; v != v {
					ok = false
					break
				}
			}
			if ok {
				keep = append(keep, i)
			}
			out[i] = nanValue
		}
		if len(keep) == 0 {
			continue
		}
		for j, c := range cols {
			s := sub[j][:len(keep)]
			for k, i := range keep {
				s[k] = c[i]
			}
			sub[j] = s
		}
		if f.Scaler != nil {
			if len(f.Scaler.Mean) != len(sub) {
				return fmt.Errorf("model %s: scaler: %d columns, fitted on %d", f.Name, len(sub), len(f.Scaler.Mean))
			}
			f.Scaler.TransformInPlace(sub)
		}
		p = p[:len(keep)]
		if err := f.model.PredictProba(sub, p); err != nil {
			return fmt.Errorf("model %s: %w", f.Name, err)
		}
		for k, i := range keep {
			out[i] = p[k]
		}
	}
	return nil
}

// Save writes the model file atomically.
func (f *File) Save(folder string) error {
	raw, err := json.Marshal(f.model)
	if err != nil {
		return fmt.Errorf("model %s: %w", f.Name, err)
	}
	f.Format, f.Version, f.Model = FormatName, FormatVersion, raw
	f.Checksum = checksum(raw)
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("model %s: %w", f.Name, err)
	}
	return frame.WriteAtomic(ModelPath(folder, f.Name), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// checksum is the sha256 of a model object's compact JSON. The file stores the object
// indented, so readers compact it before comparing.
func checksum(compactJSON []byte) string {
	sum := sha256.Sum256(compactJSON)
	return hex.EncodeToString(sum[:])
}

// Load reads and verifies a model file.
func Load(folder, name string) (*File, error) {
	path := ModelPath(folder, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (train it first)", ErrModelNotFound, path)
	}
	if err != nil {
		return nil, err
	}
	return decodeModel(path, bytes.NewReader(b))
}

// decodeModel decodes and verifies the model file read from path.
func decodeModel(path string, r io.Reader) (*File, error) {
	var f File
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if f.Format != FormatName {
		return nil, fmt.Errorf("%w: %s: not a tradectl model (format %q)", ErrCorrupt, path, f.Format)
	}
	if f.Version > FormatVersion || f.Version < 1 {
		return nil, fmt.Errorf("%w: %s: model format version %d, this tradectl reads up to %d", ErrCorrupt, path, f.Version, FormatVersion)
	}
	var compactModel bytes.Buffer
	if err := json.Compact(&compactModel, f.Model); err != nil || checksum(compactModel.Bytes()) != f.Checksum {
		return nil, fmt.Errorf("%w: %s: checksum mismatch (the model was modified or damaged)", ErrCorrupt, path)
	}
	a, err := lookupAlgorithm(f.Algorithm.Algo)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	m, err := a.decode(f.Model)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: model: %v", ErrCorrupt, path, err)
	}
	if f.Regression {
		if m, err = asRegressor(m); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
		}
	}
	if f.Scaler != nil && (len(f.Scaler.Mean) != len(f.Features) || len(f.Scaler.Scale) != len(f.Features)) {
		return nil, fmt.Errorf("%w: %s: scaler has %d columns for %d features", ErrCorrupt, path, len(f.Scaler.Mean), len(f.Features))
	}
	f.model = m
	return &f, nil
}

// CheckFeatures returns ErrFeatureMismatch naming the differing columns when the model's
// features are not exactly want, in order.
func (f *File) CheckFeatures(want []string) error {
	if slices.Equal(f.Features, want) {
		return nil
	}
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(f.Features, w) {
			missing = append(missing, w)
		}
	}
	for _, h := range f.Features {
		if !slices.Contains(want, h) {
			extra = append(extra, h)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "configured but not in the model: "+strings.Join(missing, ","))
	}
	if len(extra) > 0 {
		parts = append(parts, "in the model but not configured: "+strings.Join(extra, ","))
	}
	if len(parts) == 0 {
		parts = append(parts, "same columns in a different order")
	}
	return fmt.Errorf("%w: model %s: %s (retrain it)", ErrFeatureMismatch, f.Name, strings.Join(parts, "; "))
}
