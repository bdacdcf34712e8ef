package rolling

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/tradectl/tradectl/internal/frame"
)

// Cache keeps finished folds on disk, one file per fold named by its hash:
// <Dir>/<hash>.parquet, the fold's times and score columns as exact float64 values (so a
// resumed run writes the same bytes). Files are written atomically; a
// file that is missing, unreadable or does not match its fold is simply recomputed.
type Cache struct {
	Dir string
}

func (c Cache) path(hash string) string { return filepath.Join(c.Dir, hash+frame.ParquetExt) }

// Load returns the cached score columns of a task, or ok=false. times are the fold's row times.
func (c Cache) Load(t Task, times []int64, names []string) (scores [][]float64, ok bool, err error) {
	if c.Dir == "" {
		return nil, false, nil
	}
	p := c.path(t.Hash)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	f, err := frame.ReadFile(p, frame.ReadOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", errStale, err)
	}
	if !slices.Equal(f.Time, times) {
		return nil, false, fmt.Errorf("%w: %s holds other rows", errStale, p)
	}
	for _, n := range names {
		col, err := f.Col(n)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %s: %v", errStale, p, err)
		}
		scores = append(scores, col)
	}
	return scores, true, nil
}

// errStale marks a cache file that exists but cannot be used (it is recomputed).
var errStale = errors.New("unusable cache file")

// Store writes a finished fold.
func (c Cache) Store(r Result, times []int64) error {
	if c.Dir == "" {
		return nil
	}
	f := frame.New(times)
	for i, n := range r.Names {
		if err := f.Set(n, frame.Float, r.Scores[i]); err != nil {
			return err
		}
	}
	return frame.WriteFile(c.path(r.Hash), f, frame.WriteOptions{Precision: -1})
}
