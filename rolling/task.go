package rolling

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"slices"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train"
)

// CacheVersion changes whenever a fold's results would change for the same inputs (a
// different training or scoring rule); it is part of every fold hash, with the model format
// version, so results of an older tradectl are never reused.
const CacheVersion = 1

// Task is one fold as a worker needs it: the rows to train on and to score, and the train
// sets. It is plain data (JSON), so a distributed executor can ship it to another machine
// holding the same input rows; Hash identifies its result.
type Task struct {
	Fold
	// Hash covers the fold's training rows, its predicted rows' features and times, the sets,
	// the model format and CacheVersion.
	Hash string      `json:"hash"`
	Sets []train.Set `json:"sets"`
}

// Result is a finished (or failed) task: one score column per model for the fold's rows.
type Result struct {
	Fold int
	Hash string
	// Names and Scores are the score columns (<label>_<algo>) in train.Untrained order.
	Names  []string
	Scores [][]float64
	// Reports describe the models trained (none for a result read from the cache).
	Reports []train.Report
	Err     error
}

// RunTask trains the task's models on data rows [TrainStart, TrainEnd) and scores rows
// [PredictStart, PredictEnd). It only reads data (whose ±Inf must already be NaN), so tasks
// can run concurrently on the same frame.
func RunTask(data *frame.Frame, t Task) Result {
	res := Result{Fold: t.Index, Hash: t.Hash}
	files, reports, err := train.FitModels(data.Slice(t.TrainStart, t.TrainEnd), train.Options{Sets: t.Sets, NoInSample: true})
	if err != nil {
		res.Err = fmt.Errorf("fold %d: %w", t.Index+1, err)
		return res
	}
	pred, err := data.Slice(t.PredictStart, t.PredictEnd).Select(featureColumns(t.Sets)...)
	if err != nil {
		res.Err = fmt.Errorf("fold %d: %w", t.Index+1, err)
		return res
	}
	names, err := train.Score(pred, files)
	if err != nil {
		res.Err = fmt.Errorf("fold %d: %w", t.Index+1, err)
		return res
	}
	for _, n := range names {
		c, _ := pred.Col(n)
		res.Scores = append(res.Scores, c)
	}
	res.Names, res.Reports = names, reports
	return res
}

// featureColumns lists every set's features once, in order.
func featureColumns(sets []train.Set) []string {
	var out []string
	for _, s := range sets {
		for _, n := range s.Features {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// foldHash is the hex sha256 of everything a fold's scores depend on: the sets (features,
// labels, algorithm entries in canonical JSON), the model format and cache versions, the
// training rows' times, features and labels, and the predicted rows' times and features.
// Row positions are not hashed: the same rows elsewhere in the file give the same hash, and
// the labels of predicted rows (which only the metrics read) do not count.
func foldHash(data *frame.Frame, sets []train.Set, f Fold) (string, error) {
	h := sha256.New()
	head, err := json.Marshal(struct {
		Kind     string      `json:"kind"`
		Versions [2]int      `json:"versions"`
		Sets     []train.Set `json:"sets"`
	}{Kind: "tradectl-rolling-fold", Versions: [2]int{CacheVersion, train.FormatVersion}, Sets: canonicalSets(sets)})
	if err != nil {
		return "", err
	}
	h.Write(head)
	w := hashWriter{h: h}
	if err := w.rows(data, train.Columns(sets), f.TrainStart, f.TrainEnd); err != nil {
		return "", err
	}
	if err := w.rows(data, featureColumns(sets), f.PredictStart, f.PredictEnd); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// canonicalSets rewrites the algorithm entries' JSON with sorted keys and no spaces, so
// reformatting a config does not invalidate the cache.
func canonicalSets(sets []train.Set) []train.Set {
	out := make([]train.Set, len(sets))
	for i, s := range sets {
		out[i] = train.Set{Features: s.Features, Labels: s.Labels, Algorithms: make([]config.Algorithm, len(s.Algorithms))}
		for j, a := range s.Algorithms {
			a.Params, a.Train = canonicalJSON(a.Params), canonicalJSON(a.Train)
			out[i].Algorithms[j] = a
		}
	}
	return out
}

func canonicalJSON(raw json.RawMessage) json.RawMessage {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v == nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// hashWriter feeds column values to a hash as little-endian bits (every NaN the same).
type hashWriter struct {
	h   hash.Hash
	buf []byte
}

func (w *hashWriter) rows(data *frame.Frame, cols []string, i, j int) error {
	w.buf = binary.LittleEndian.AppendUint64(w.buf[:0], uint64(j-i))
	for _, t := range data.Time[i:j] {
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(t))
		w.flush(false)
	}
	for _, n := range cols {
		c, err := data.Col(n)
		if err != nil {
			return err
		}
		w.buf = append(w.buf, n...)
		w.buf = append(w.buf, 0)
		for _, v := range c[i:j] {
			b := math.Float64bits(v)
			if v != v {
				b = 0x7ff8000000000001
			}
			w.buf = binary.LittleEndian.AppendUint64(w.buf, b)
			w.flush(false)
		}
	}
	w.flush(true)
	return nil
}

func (w *hashWriter) flush(force bool) {
	if len(w.buf) >= 1<<15 || force {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}
