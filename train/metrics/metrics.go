// Package metrics computes the scores ITB appends to predictions.txt (ITB common/utils.py:
// compute_scores and compute_scores_regression) with scikit-learn's definitions, and formats
// them the way ITB prints them.
//
// Classify: ROC AUC with tied scores averaged (sklearn roc_auc_score), average precision as
// sklearn's step sum Σ (Rₙ − Rₙ₋₁)·Pₙ over descending distinct thresholds (average_precision_score,
// not interpolated), and F1, precision and recall of the class ŷ > 0.5. Regress: MAE, MAPE and R²,
// plus the same classification scores on the signs of y and ŷ. Both sort once: O(n log n).
package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Sentinel errors; returned errors wrap them.
var (
	// ErrInvalidInput reports mismatched lengths, labels other than 0/1, or infinite values.
	ErrInvalidInput = errors.New("metrics: invalid input")
	// ErrEmpty reports that no row is left once rows with a NaN are dropped.
	ErrEmpty = errors.New("metrics: no rows without NaN")
)

// Classification holds ITB's classification scores of one score column against its label.
// The values are unrounded; Line rounds them to 3 decimals as ITB does.
type Classification struct {
	// AUC is the area under the ROC curve (0 when OneClass, as ITB writes it).
	AUC float64 `json:"auc"`
	// AP is sklearn's average precision. With one class it is what sklearn returns without an
	// error: 1 when every row is positive, 0 when none is.
	AP float64 `json:"ap"`
	// F1 is the F1 score of ŷ > 0.5 (0 when undefined, as sklearn's zero_division default).
	F1 float64 `json:"f1"`
	// Precision is TP/(TP+FP), 0 when nothing is predicted positive.
	Precision float64 `json:"precision"`
	// Recall is TP/(TP+FN), 0 when there are no positives.
	Recall float64 `json:"recall"`
	// TP, FP, TN and FN form the confusion matrix of ŷ > 0.5 against y.
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
	// N is the number of rows scored; Dropped counts rows skipped because y or ŷ was NaN.
	N       int `json:"n"`
	Dropped int `json:"dropped"`
	// OneClass is set when y holds a single class: sklearn then raises for AUC (ITB writes 0.0)
	// and warns for AP, so callers should warn that AUC and AP are meaningless.
	OneClass bool `json:"one_class"`
}

// Classify scores the predictions score against the 0/1 labels y. As ITB does, rows where either
// value is NaN are dropped first. Labels other than 0/1 and infinite scores are errors.
func Classify(y, score []float64) (Classification, error) {
	var c Classification
	if len(y) != len(score) {
		return c, fmt.Errorf("metrics: %d labels, %d scores: %w", len(y), len(score), ErrInvalidInput)
	}
	npos := 0
	for _, yi := range y {
		if yi == 1 {
			npos++
		}
	}
	pos, neg := make([]float64, 0, npos), make([]float64, 0, len(y)-npos)
	for i, yi := range y {
		s := score[i]
		if math.IsNaN(yi) || math.IsNaN(s) {
			c.Dropped++
			continue
		}
		if math.IsInf(s, 0) {
			return c, fmt.Errorf("metrics: score[%d] = %v: %w", i, s, ErrInvalidInput)
		}
		hit := s > 0.5
		switch yi {
		case 1:
			pos = append(pos, s)
			if hit {
				c.TP++
			} else {
				c.FN++
			}
		case 0:
			neg = append(neg, s)
			if hit {
				c.FP++
			} else {
				c.TN++
			}
		default:
			return c, fmt.Errorf("metrics: y[%d] = %v: labels must be 0 or 1: %w", i, yi, ErrInvalidInput)
		}
	}
	c.N = len(pos) + len(neg)
	if c.N == 0 {
		return c, fmt.Errorf("metrics: %d rows, all with NaN: %w", len(y), ErrEmpty)
	}
	c.Precision = ratio(c.TP, c.TP+c.FP)
	c.Recall = ratio(c.TP, c.TP+c.FN)
	c.F1 = ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
	if len(pos) == 0 || len(neg) == 0 {
		// sklearn: roc_auc_score raises (ITB writes 0.0); average_precision_score does not raise:
		// with only positives every precision is 1, so AP = 1; with only negatives recall is
		// set to 1 at every threshold, so AP = 0 (sklearn 1.2 prints it as -0.0).
		c.OneClass = true
		if len(neg) == 0 {
			c.AP = 1
		}
		return c, nil
	}
	c.AUC, c.AP = rankScores(pos, neg)
	return c, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// rankScores returns ROC AUC and average precision from the scores of the positive and the
// negative rows (both non-empty). It walks the distinct thresholds from the highest down; each
// threshold is one point of the ROC and precision-recall curves, with its tied rows grouped.
func rankScores(pos, neg []float64) (auc, ap float64) {
	slices.Sort(pos)
	slices.Sort(neg)
	np, nn := int64(len(pos)), int64(len(neg))
	i, j := len(pos)-1, len(neg)-1
	var tp, fp int64
	var area2 int64 // twice the ROC area in units of 1/(np·nn); integer, hence exact
	for i >= 0 || j >= 0 {
		var t float64
		switch {
		case i < 0:
			t = neg[j]
		case j < 0:
			t = pos[i]
		default:
			t = max(pos[i], neg[j])
		}
		tp0, fp0 := tp, fp
		for i >= 0 && pos[i] == t {
			tp++
			i--
		}
		for j >= 0 && neg[j] == t {
			fp++
			j--
		}
		area2 += (fp - fp0) * (tp + tp0)
		if tp > tp0 {
			ap += float64(tp-tp0) / float64(np) * (float64(tp) / float64(tp+fp))
		}
	}
	return float64(area2) / (2 * float64(np) * float64(nn)), ap
}

// Regression holds ITB's regression scores: MAE, MAPE and R², then the classification scores of
// the sign classes y > 0 and ŷ > 0 (ITB maps them to ±1; the scores are the same).
type Regression struct {
	// MAE is the mean absolute error.
	MAE float64 `json:"mae"`
	// MAPE is sklearn's mean absolute percentage error: mean |y−ŷ| / max(|y|, ε), ε = 2⁻⁵² (a
	// fraction, not per cent; huge when some y is 0).
	MAPE float64 `json:"mape"`
	// R2 is the coefficient of determination; 1 for a perfect fit of constant y, 0 for an
	// imperfect one (sklearn's force_finite), NaN with fewer than 2 rows (JSON null).
	R2 float64 `json:"r2"`
	// Sign scores ŷ > 0 as a predictor of y > 0.
	Sign Classification `json:"sign"`
	// N is the number of rows scored; Dropped counts rows skipped because y or ŷ was NaN.
	N       int `json:"n"`
	Dropped int `json:"dropped"`
}

// Regress scores the real-valued predictions yhat against y, dropping rows where either is NaN.
// Infinite values are errors.
func Regress(y, yhat []float64) (Regression, error) {
	var r Regression
	if len(y) != len(yhat) {
		return r, fmt.Errorf("metrics: %d targets, %d predictions: %w", len(y), len(yhat), ErrInvalidInput)
	}
	var yc, hc []float64
	var sumAbs, sumPct, sumY float64
	for i, yi := range y {
		h := yhat[i]
		if math.IsNaN(yi) || math.IsNaN(h) {
			r.Dropped++
			continue
		}
		if math.IsInf(yi, 0) || math.IsInf(h, 0) {
			return r, fmt.Errorf("metrics: row %d: y = %v, ŷ = %v: %w", i, yi, h, ErrInvalidInput)
		}
		e := math.Abs(yi - h)
		sumAbs += e
		sumPct += e / max(math.Abs(yi), epsilon)
		sumY += yi
		yc = append(yc, b2f(yi > 0))
		hc = append(hc, b2f(h > 0))
	}
	r.N = len(yc)
	if r.N == 0 {
		return r, fmt.Errorf("metrics: %d rows, all with NaN: %w", len(y), ErrEmpty)
	}
	n := float64(r.N)
	r.MAE, r.MAPE = sumAbs/n, sumPct/n
	r.R2 = math.NaN()
	if r.N >= 2 {
		mean := sumY / n
		var ssRes, ssTot float64
		for i, yi := range y {
			h := yhat[i]
			if math.IsNaN(yi) || math.IsNaN(h) {
				continue
			}
			ssRes += (yi - h) * (yi - h)
			ssTot += (yi - mean) * (yi - mean)
		}
		switch {
		case ssTot != 0:
			r.R2 = 1 - ssRes/ssTot
		case ssRes == 0:
			r.R2 = 1
		default:
			r.R2 = 0
		}
	}
	// ŷ classes are 0/1, so ŷ > 0.5 is ŷ > 0, and AUC/AP of a 0/1 score equal those of ±1.
	var err error
	r.Sign, err = Classify(yc, hc)
	return r, err
}

// epsilon is numpy's float64 machine epsilon, which sklearn's MAPE uses as the smallest |y|.
const epsilon = 0x1p-52

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Line formats c as ITB writes it to predictions.txt, without the newline:
//
//	high_20_lc: {'auc': 0.712, 'ap': 0.105, 'f1': 0.0, 'precision': 0.0, 'recall': 0.0}
func (c Classification) Line(name string) string {
	return name + ": " + pyDict([]string{"auc", "ap", "f1", "precision", "recall"},
		[]float64{c.AUC, c.AP, c.F1, c.Precision, c.Recall})
}

// Line formats r as ITB writes it to predictions.txt, without the newline:
//
//	name: {'mae': 0.1, 'mape': 0.5, 'r2': 0.3, 'auc': 0.6, 'ap': 0.6, 'f1': 0.5, 'precision': 0.5, 'recall': 0.5}
func (r Regression) Line(name string) string {
	s := r.Sign
	return name + ": " + pyDict([]string{"mae", "mape", "r2", "auc", "ap", "f1", "precision", "recall"},
		[]float64{r.MAE, r.MAPE, r.R2, s.AUC, s.AP, s.F1, s.Precision, s.Recall})
}

// pyDict prints {'k': round(v, 3), ...} as Python's dict repr does.
func pyDict(keys []string, vals []float64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + k + "': " + PyRepr(PyRound(vals[i], 3)))
	}
	b.WriteByte('}')
	return b.String()
}
