#!/usr/bin/env python3
"""Out-of-sample reference for tradectl's `lc` and `gb`: scikit-learn's LogisticRegression on the same
matrix files tradectl trains and predicts on (ITB's 1min sample config: 13 features, labels
high_20/low_20, StandardScaler, penalty l2, C=1, solver sag, max_iter 100).

usage: sklearn_oos.py TRAIN_MATRIX.csv TEST_MATRIX.csv

Train rows: all but the last label_horizon (120) rows, rows with an empty feature dropped.
Test rows: every row with all features present. Prints the AUC per label for solver sag (ITB's)
and lbfgs, and for HistGradientBoostingClassifier (300 rounds, depth 4, learning rate 0.1, 31
leaves: the reference for tradectl's gb with the same settings), in and out of sample.
Needs numpy and scikit-learn (Debian: python3-sklearn); no pandas. Takes a few minutes.
"""
import csv
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

FEATURES = ["close_SMA_1", "close_SMA_5", "close_SMA_10", "close_SMA_15", "close_SMA_60",
            "close_LINEARREG_SLOPE_5", "close_LINEARREG_SLOPE_10", "close_LINEARREG_SLOPE_15", "close_LINEARREG_SLOPE_60",
            "close_STDDEV_5", "close_STDDEV_10", "close_STDDEV_15", "close_STDDEV_60"]
LABELS = ["high_20", "low_20"]
LABEL_HORIZON = 120


def load(path):
    with open(path, newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd)
        idx = [header.index(c) for c in FEATURES + LABELS]
        rows = []
        for r in rd:
            vals = []
            for i in idx:
                v = r[i]
                vals.append(1.0 if v == "True" else 0.0 if v == "False" else float(v) if v != "" else np.nan)
            rows.append(vals)
    a = np.array(rows, dtype=float)
    return a[:, :len(FEATURES)], a[:, len(FEATURES):]


def main():
    xtr, ytr = load(sys.argv[1])
    xte, yte = load(sys.argv[2])
    xtr, ytr = xtr[:-LABEL_HORIZON], ytr[:-LABEL_HORIZON]
    ok = ~np.isnan(xtr).any(axis=1)
    xtr, ytr = xtr[ok], ytr[ok]
    ok = ~np.isnan(xte).any(axis=1)
    xte, yte = xte[ok], yte[ok]
    sc = StandardScaler().fit(xtr)
    for j, label in enumerate(LABELS):
        for solver in ["sag", "lbfgs"]:
            m = LogisticRegression(penalty="l2", C=1.0, class_weight=None, solver=solver, max_iter=100)
            m.fit(sc.transform(xtr), ytr[:, j])
            p = m.predict_proba(sc.transform(xte))[:, 1]
            print(f"{label} {solver} train_rows={len(xtr)} test_rows={len(xte)} auc={roc_auc_score(yte[:, j], p):.6f}")
        hgb = HistGradientBoostingClassifier(max_iter=300, max_depth=4, learning_rate=0.1, max_leaf_nodes=31,
                                             early_stopping=False, random_state=1).fit(xtr, ytr[:, j])
        ins = roc_auc_score(ytr[:, j], hgb.predict_proba(xtr)[:, 1])
        oos = roc_auc_score(yte[:, j], hgb.predict_proba(xte)[:, 1])
        print(f"{label} hgb in_sample_auc={ins:.6f} auc={oos:.6f}")


if __name__ == "__main__":
    main()
