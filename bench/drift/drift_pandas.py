#!/usr/bin/python3
"""The drift bench's pandas + scipy side: the same drift job as bench/drift/job.ts, written the
way a data scientist would with pandas, numpy and scipy (Debian's python3-pandas,
python3-scipy), on the same files.

    drift_pandas.py <reference.csv> <capture dir> <from> <to> <out.json> <features>

- reference: pandas.read_csv; numeric columns (those pandas reads as numbers) and categorical
  ones (the rest); the prediction column profiled like a numeric feature;
- window: every *.jsonl under the capture folder (sorted), each read with
  pandas.read_json(lines=True); the CSV-encoded inputs (captureData.endpointInput.data) of the
  rows whose eventMetadata.inferenceTime lies in [from, to) joined and parsed with
  pandas.read_csv (the C parser; categorical columns as strings), the output score with
  pandas.to_numeric; one DataFrame per file, then pandas.concat;
- numeric: interior edges np.quantile(reference, [0.1 .. 0.9]); bins by
  np.searchsorted(edges, x, side='right') and np.bincount; PSI with empty shares replaced by 1e-4;
  scipy.spatial.distance.jensenshannon (natural log and base 2); scipy.stats.ks_2samp and
  scipy.stats.wasserstein_distance on ALL the non-missing values of both sides (the TypeScript
  does too up to its ksExactMax, 100,000 by default, and uses quantile sketches with a stated
  bound on the KS statistic above), the
  distance divided by np.std of the reference; missing share; out-of-range share;
- categorical: value_counts on both sides, columns = reference categories (sorted) + unseen ones;
  PSI, JS, scipy.stats.chi2_contingency(correction=False).
The figures go to out.json so that run.ts can compare them with the TypeScript report.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

EPSILON = 1e-4
PREDICTION = "prediction"


def psi(reference_counts, current_counts):
    r = reference_counts / reference_counts.sum()
    c = current_counts / current_counts.sum()
    r = np.where(r == 0, EPSILON, r)
    c = np.where(c == 0, EPSILON, c)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_figures(reference, current):
    ref = reference.dropna().to_numpy(dtype=float)
    cur = current.dropna().to_numpy(dtype=float)
    edges = np.quantile(ref, np.arange(1, 10) / 10)
    rc = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10)
    cc = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10)
    ks = stats.ks_2samp(ref, cur)
    std = np.std(ref)
    return {
        "kind": "numeric",
        "psi": psi(rc, cc),
        "jsDistance": float(jensenshannon(rc, cc)),
        "jsDistanceBase2": float(jensenshannon(rc, cc, base=2)),
        "ksStatistic": float(ks.statistic),
        "ksPValue": float(ks.pvalue),
        "wassersteinNorm": float(stats.wasserstein_distance(ref, cur) / std) if std > 0 else None,
        "missingShare": float(current.isna().mean()),
        "outOfRangeShare": float(((cur < ref.min()) | (cur > ref.max())).mean()),
    }


def categorical_figures(reference, current):
    rv = reference.dropna().value_counts()
    cv = current.dropna().value_counts()
    seen = sorted(rv.index)
    unseen = sorted(set(cv.index) - set(rv.index))
    columns = seen + unseen
    rc = rv.reindex(columns, fill_value=0).to_numpy(dtype=float)
    cc = cv.reindex(columns, fill_value=0).to_numpy(dtype=float)
    chi2, p, dof, _ = stats.chi2_contingency(np.array([rc, cc]), correction=False)
    return {
        "kind": "categorical",
        "psi": psi(rc, cc),
        "jsDistance": float(jensenshannon(rc, cc)),
        "jsDistanceBase2": float(jensenshannon(rc, cc, base=2)),
        "chiSquare": float(chi2),
        "chiSquarePValue": float(p),
        "missingShare": float(current.isna().mean()),
        "unseenCategories": unseen,
    }


def read_window(capture_dir, start, end, features, categorical):
    paths = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(capture_dir)
        for name in names
        if name.endswith(".jsonl")
    )
    frames = []
    nbytes = 0
    for path in paths:
        nbytes += os.path.getsize(path)
        events = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
        capture = events["captureData"]
        times = pd.to_datetime(events["eventMetadata"].str["inferenceTime"], utc=True)
        keep = ((times >= start) & (times < end)).to_numpy()
        inputs = capture.str["endpointInput"].str["data"][keep]
        outputs = capture.str["endpointOutput"].str["data"][keep]
        frame = pd.read_csv(
            io_text("\n".join(inputs)),
            header=None,
            names=features,
            dtype={name: str for name in categorical},
        )
        frame[PREDICTION] = pd.to_numeric(outputs.to_numpy())
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), len(paths), nbytes


def io_text(text):
    import io

    return io.StringIO(text)


def main():
    reference_path, capture_dir, start, end, out_path, feature_list = sys.argv[1:7]
    features = feature_list.split(",")
    started = time.perf_counter()
    reference = pd.read_csv(reference_path)
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(reference[c])]
    categorical = [c for c in features if c not in numeric]
    window, files, nbytes = read_window(
        capture_dir, pd.Timestamp(start), pd.Timestamp(end), features, categorical
    )
    read_seconds = time.perf_counter() - started
    figures = {}
    for name in features + [PREDICTION]:
        if name in categorical:
            figures[name] = categorical_figures(reference[name], window[name])
        else:
            figures[name] = numeric_figures(reference[name], window[name])
    total = time.perf_counter() - started
    with open(out_path, "w") as out:
        json.dump(
            {
                "rows": int(len(window)),
                "files": files,
                "bytes": nbytes,
                "readSeconds": read_seconds,
                "totalSeconds": total,
                "pandas": pd.__version__,
                "numpy": np.__version__,
                "scipy": __import__("scipy").__version__,
                "features": figures,
            },
            out,
        )


if __name__ == "__main__":
    main()
