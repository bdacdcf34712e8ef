package rolling

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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
	now := time.Now()
	_ = os.Chtimes(p, now, now) // a used fold is young again (see Prune)
	return scores, true, nil
}

// MaxAge is how long a cache file no run has used is kept (see Prune).
const MaxAge = 30 * 24 * time.Hour

// Prune deletes the cache files that are not among keep (the folds of the current run) and
// were last used (written or read) more than maxAge before now, so the folder does not grow
// with every config and data change. It returns the files deleted; a file it cannot delete
// is left for the next run.
func (c Cache) Prune(keep map[string]bool, maxAge time.Duration, now time.Time) (int, error) {
	if c.Dir == "" {
		return 0, nil
	}
	ents, err := os.ReadDir(c.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		hash, ok := strings.CutSuffix(name, frame.ParquetExt)
		if !ok || e.IsDir() || keep[hash] {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) <= maxAge {
			continue
		}
		if os.Remove(filepath.Join(c.Dir, name)) == nil {
			n++
		}
	}
	return n, nil
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
