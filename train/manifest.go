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

	"github.com/tradectl/tradectl/internal/frame"
)

// ManifestName is the file naming the model files of the last complete training run. Model
// names always contain '_' (<label>_<algorithm>), so it cannot collide with a model file.
const ManifestName = "MANIFEST.json"

// manifestFormat identifies manifest files.
const manifestFormat = "tradectl-model-set"

// ErrModelSet is returned when the model folder does not hold the complete set of one
// training run: no manifest (a run was interrupted or never finished) or a model file that
// is not the one the last run wrote.
var ErrModelSet = errors.New("incomplete or mixed model set")

// Manifest names the model files of one training run with their checksums. Training removes
// it first and writes it last, so it exists only for a complete set.
type Manifest struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Models  []ManifestEntry `json:"models"`
}

// ManifestEntry is one model file of the set.
type ManifestEntry struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// BeginModelSet starts a training run in folder: it removes the manifest, so until
// WriteManifest the folder's models count as an incomplete set.
func BeginModelSet(folder string) error {
	if err := os.Remove(filepath.Join(folder, ManifestName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// WriteManifest ends a training run: it records the named model files with their checksums
// (atomically, after every model file was written).
func WriteManifest(folder string, names []string) error {
	m := Manifest{Format: manifestFormat, Version: 1}
	for _, n := range names {
		b, err := os.ReadFile(ModelPath(folder, n))
		if err != nil {
			return err
		}
		m.Models = append(m.Models, ManifestEntry{Name: n, File: filepath.Base(ModelPath(folder, n)), SHA256: fileSum(b)})
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return frame.WriteAtomic(filepath.Join(folder, ManifestName), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

func fileSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ReadManifest reads folder's manifest; a missing or unreadable one is ErrModelSet.
func ReadManifest(folder string) (*Manifest, error) {
	path := filepath.Join(folder, ManifestName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s: the last training run did not finish (run 'tradectl train')", ErrModelSet, folder, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format != manifestFormat {
		return nil, fmt.Errorf("%w: %s: not a model set manifest (run 'tradectl train')", ErrModelSet, path)
	}
	return &m, nil
}

// loadFromSet loads a model that must be the manifest's file of that name, byte for byte.
func (m *Manifest) loadFromSet(folder, name string) (*File, error) {
	path := ModelPath(folder, name)
	for _, e := range m.Models {
		if e.Name != name {
			continue
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s of the last training run is missing (run 'tradectl train')", ErrModelSet, path)
		}
		if err != nil {
			return nil, err
		}
		if fileSum(b) != e.SHA256 {
			if _, err := decodeModel(path, bytes.NewReader(b)); err != nil {
				return nil, err // damaged: ErrCorrupt says so
			}
			return nil, fmt.Errorf("%w: %s is not the file the last training run wrote (a later run stopped part-way, or it was replaced): run 'tradectl train'", ErrModelSet, path)
		}
		return decodeModel(path, bytes.NewReader(b))
	}
	return nil, fmt.Errorf("%w: model %s is not part of the last training run (%s; run 'tradectl train')", ErrModelSet, name, filepath.Join(folder, ManifestName))
}

// writeManifest ends a training run that wrote the reported models.
func writeManifest(folder string, reports []Report) error {
	names := make([]string, len(reports))
	for i, r := range reports {
		names[i] = r.Name
	}
	return WriteManifest(folder, names)
}

// firstMissing returns the first model of the sets whose file does not exist.
func firstMissing(sets []Set, folder string) (string, bool) {
	for _, s := range sets {
		for _, label := range s.Labels {
			for _, a := range s.Algorithms {
				name := ModelName(label, a.Name)
				if _, err := os.Stat(ModelPath(folder, name)); errors.Is(err, os.ErrNotExist) {
					return name, true
				}
			}
		}
	}
	return "", false
}
