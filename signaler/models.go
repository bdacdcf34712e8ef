package signaler

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tradectl/tradectl/train"
)

// Models is the model set the loop scores with: loaded at start with train.LoadModels (which
// refuses a mixed or half-written set) and reloaded when the folder's manifest changes. A set
// that fails to load is never used: the loop keeps the one it has.
type Models struct {
	sets     []train.Set
	folder   string
	files    []*train.File
	manifest []byte // the manifest the files were loaded under
	// Generation counts successful loads (1 after the first).
	Generation int
}

// LoadModelSet loads the complete model set of folder for sets.
func LoadModelSet(sets []train.Set, folder string) (*Models, error) {
	m := &Models{sets: sets, folder: folder}
	for try := 0; ; try++ {
		changed, err := m.load()
		if err != nil {
			return nil, err
		}
		if !changed || try == 2 {
			break
		}
	}
	return m, nil
}

// Files returns the loaded models in train.LoadModels order.
func (m *Models) Files() []*train.File { return m.files }

func (m *Models) readManifest() ([]byte, error) {
	return os.ReadFile(filepath.Join(m.folder, train.ManifestName))
}

// load reads the manifest, loads the set and reads the manifest again; changed reports that a
// training run replaced the manifest meanwhile (the loaded set is still consistent, since
// LoadModels checks every file against the manifest it read, but a newer one exists).
func (m *Models) load() (changed bool, err error) {
	before, _ := m.readManifest()
	files, err := train.LoadModels(m.sets, m.folder)
	if err != nil {
		return false, err
	}
	after, _ := m.readManifest()
	m.files, m.manifest = files, before
	m.Generation++
	return !bytes.Equal(before, after), nil
}

// ErrModelsNotReloaded wraps the reason a changed model folder was not loaded; the previous
// set stays in use.
var ErrModelsNotReloaded = errors.New("model set not reloaded, serving the previous one")

// Refresh reloads the set when the manifest differs from the one loaded. It returns true when
// a new set is in use. A missing manifest (a training run in progress) or a set that fails to
// load (mixed, damaged, features changed) keeps the current set and returns an error wrapping
// ErrModelsNotReloaded; the next Refresh tries again.
func (m *Models) Refresh() (bool, error) {
	cur, err := m.readManifest()
	if errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("%w: %s has no %s (a training run is writing the set)", ErrModelsNotReloaded, m.folder, train.ManifestName)
	}
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrModelsNotReloaded, err)
	}
	if bytes.Equal(cur, m.manifest) {
		return false, nil
	}
	old, oldMan, gen := m.files, m.manifest, m.Generation
	if _, err := m.load(); err != nil {
		m.files, m.manifest, m.Generation = old, oldMan, gen
		return false, fmt.Errorf("%w: %w", ErrModelsNotReloaded, err)
	}
	return true, nil
}
