#!/usr/bin/python3
"""Golden figures for Steward's drift statistics, computed with numpy and scipy.

Run with Debian's packages (apt-get install python3-scipy python3-numpy):

    /usr/bin/python3 scripts/drift-golden.py

It writes test/fixtures/drift/*.json: for each generated dataset the reference and current
columns (values rounded BEFORE any figure is computed, so the TypeScript tests read exactly the
numbers scipy saw; null is a missing value) and the expected figures per column, plus
special.json with grids of scipy's distribution functions. The figures are defined as in
functions/domain/drift (see report.ts):

- numeric: 9 interior edges = np.quantile(reference, [0.1 .. 0.9]) (default 'linear'); bins by
  np.searchsorted(edges, x, side='right') (closed on the left, open at both ends); PSI over the
  bin shares with every zero share replaced by 1e-4; Jensen-Shannon distance
  scipy.spatial.distance.jensenshannon over the bin counts, natural log and base 2;
  scipy.stats.ks_2samp (method 'auto') and scipy.stats.wasserstein_distance on every
  non-missing value (the TypeScript is exact up to its ksExactMax and within its stated bound on
  quantile sketches beyond; the "sketch" dataset checks that regime), the Wasserstein distance
  divided by np.std (ddof 0) of the FULL reference; np.mean and np.std of the current values;
  missing share over rows; out-of-range share (outside the reference's [min, max]) over
  non-missing values;
- categorical: columns = reference categories (sorted) + unseen categories of the window
  (sorted); PSI and JS over those counts; scipy.stats.chi2_contingency(table, correction=False)
  on the 2 x K table; unseen categories most frequent first.
"""
import json
import math
import pathlib
from collections import Counter

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats import _stats_py
from scipy.stats._stats_pythran import _compute_outer_prob_inside_method

EPSILON = 1e-4
KS_EXACT_MAX = 100_000
SEED = 0x5EED
OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "drift"


# --- figures ---

def psi(ref_counts, cur_counts):
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    r = r / r.sum()
    c = c / c.sum()
    r = np.where(r == 0, EPSILON, r)
    c = np.where(c == 0, EPSILON, c)
    return float(np.sum((c - r) * np.log(c / r)))


def category_key(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def numeric_figures(name, reference, current):
    ref = np.array([v for v in reference if v is not None], dtype=np.float64)
    cur = np.array([v for v in current if v is not None], dtype=np.float64)
    edges = np.quantile(ref, np.arange(1, 10) / 10)
    ref_bins = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10)
    cur_bins = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10)
    ks = stats.ks_2samp(ref, cur, method="auto")
    std = float(np.std(ref))
    figures = {
        "edges": edges.tolist(),
        "referenceBinCounts": ref_bins.tolist(),
        "currentBinCounts": cur_bins.tolist(),
        "referenceMin": float(ref.min()),
        "referenceMax": float(ref.max()),
        "referenceStd": std,
        "psi": psi(ref_bins, cur_bins),
        "jsDistance": float(jensenshannon(ref_bins, cur_bins)),
        "jsDistanceBase2": float(jensenshannon(ref_bins, cur_bins, base=2)),
        "ksStatistic": float(ks.statistic),
        "ksPValue": float(ks.pvalue),
        "missingShare": (len(current) - len(cur)) / len(current),
        "outOfRangeShare": float(np.mean((cur < ref.min()) | (cur > ref.max()))),
        "currentMean": float(np.mean(cur)),
        "currentStd": float(np.std(cur)),
        "referenceCount": int(len(ref)),
        "currentCount": int(len(cur)),
    }
    if std > 0:
        figures["wassersteinNorm"] = float(stats.wasserstein_distance(ref, cur)) / std
    return figures


def categorical_figures(reference, current):
    ref = Counter(category_key(v) for v in reference if v is not None)
    cur = Counter(category_key(v) for v in current if v is not None)
    columns = sorted(ref) + sorted(k for k in cur if k not in ref)
    ref_counts = [ref.get(k, 0) for k in columns]
    cur_counts = [cur.get(k, 0) for k in columns]
    chi2, p, dof, _ = stats.chi2_contingency(np.array([ref_counts, cur_counts]), correction=False)
    unseen = sorted(((k, n) for k, n in cur.items() if k not in ref), key=lambda kv: (-kv[1], kv[0]))
    n_cur = sum(cur.values())
    return {
        "categories": columns,
        "referenceCounts": ref_counts,
        "currentCounts": cur_counts,
        "psi": psi(ref_counts, cur_counts),
        "jsDistance": float(jensenshannon(ref_counts, cur_counts)),
        "jsDistanceBase2": float(jensenshannon(ref_counts, cur_counts, base=2)),
        "chiSquare": float(chi2),
        "chiSquarePValue": float(p),
        "chiSquareDof": int(dof),
        "missingShare": (len(current) - n_cur) / len(current),
        "unseenCategories": [k for k, _ in unseen],
        "unseenShare": sum(n for _, n in unseen) / n_cur,
    }


# --- datasets ---

def rounded(values, decimals=6, missing=None, rng=None):
    """Round before anything is computed; replace a share of the values by None (missing)."""
    out = [float(v) for v in np.round(np.asarray(values, dtype=np.float64), decimals)]
    if missing and rng is not None:
        for i in np.flatnonzero(rng.random(len(out)) < missing):
            out[int(i)] = None
    return out


def with_missing(values, share, rng):
    out = list(values)
    for i in np.flatnonzero(rng.random(len(out)) < share):
        out[int(i)] = None
    return out


def datasets():
    rng = np.random.default_rng(20240611)
    yield {
        "name": "normal-shift",
        "description": "normal features shifted and widened, missing values, a numeric prediction",
        "prediction": "score",
        "reference": {
            "x1": rounded(rng.normal(0, 1, 2000), missing=0.03, rng=rng),
            "x2": rounded(rng.normal(10, 3, 2000)),
            "score": rounded(1 / (1 + np.exp(-rng.normal(0, 1.5, 2000)))),
        },
        "current": {
            "x1": rounded(rng.normal(0.3, 1.2, 1500), missing=0.05, rng=rng),
            "x2": rounded(rng.normal(10, 3, 1500)),
            "score": rounded(1 / (1 + np.exp(-rng.normal(0.4, 1.5, 1500)))),
        },
    }
    yield {
        "name": "equal-sizes",
        "description": "equal sample sizes (KS exact p by the square method) and a categorical column",
        "reference": {
            "x": rounded(rng.normal(5, 2, 1000)),
            "colour": list(rng.choice(["red", "green", "blue"], 1000, p=[0.5, 0.3, 0.2]).tolist()),
        },
        "current": {
            "x": rounded(rng.normal(5.15, 2, 1000)),
            "colour": list(rng.choice(["red", "green", "blue"], 1000, p=[0.45, 0.35, 0.2]).tolist()),
        },
    }
    yield {
        "name": "heavy-tails",
        "description": "Student t and log-normal columns; values beyond the reference range",
        "reference": {
            "t": rounded(rng.standard_t(2, 3000)),
            "amount": rounded(rng.lognormal(3, 1, 3000), decimals=2),
        },
        "current": {
            "t": rounded(rng.standard_t(1.2, 2500) * 1.1),
            "amount": rounded(rng.lognormal(3.2, 1.3, 2500), decimals=2),
        },
    }
    yield {
        "name": "ties",
        "description": "integer counts and a 0/1 column: many ties, repeated bin edges, empty bins",
        "reference": {
            "visits": [float(v) for v in rng.poisson(3, 1200)],
            "flag": [float(v) for v in (rng.random(1200) < 0.2)],
            "level": [float(v) for v in rng.integers(1, 4, 1200)],
        },
        "current": {
            "visits": [float(v) for v in rng.poisson(3.5, 800)],
            "flag": [float(v) for v in (rng.random(800) < 0.3)],
            "level": [float(v) for v in rng.integers(1, 4, 800)],
        },
    }
    yield {
        "name": "categorical-unseen",
        "description": "categories unseen in the reference, missing values, booleans, one-category and declared columns",
        "kinds": {"zip": "categorical"},
        "reference": {
            "plan": with_missing(rng.choice(list("abcde"), 2500, p=[0.4, 0.25, 0.15, 0.12, 0.08]).tolist(), 0.02, rng),
            "active": [bool(v) for v in rng.random(2500) < 0.7],
            "country": ["nl"] * 2500,
            "zip": rng.choice(["01234", "02139", "10115", "75001"], 2500).tolist(),
        },
        "current": {
            "plan": with_missing(
                rng.choice(list("abcdefg"), 2000, p=[0.35, 0.25, 0.15, 0.1, 0.05, 0.07, 0.03]).tolist(), 0.04, rng
            ),
            "active": [bool(v) for v in rng.random(2000) < 0.6],
            "country": ["nl"] * 2000,
            "zip": rng.choice(["01234", "02139", "10115", "75001", "99999"], 2000).tolist(),
        },
    }
    yield {
        "name": "tiny",
        "description": "a handful of rows; a constant reference column (standard deviation 0)",
        "reference": {
            "x": rounded(rng.normal(0, 1, 7)),
            "constant": [1.0] * 7,
            "kind": ["a", "b", "a", "c", "a", "b", "a"],
        },
        "current": {
            "x": rounded(rng.normal(1, 1, 5)),
            "constant": [0.5, 1.0, 1.0, 2.0, None],
            "kind": ["a", "d", None, "a", "c"],
        },
    }
    yield {
        "name": "tiny-one",
        "description": "two reference rows against one current row",
        "reference": {"x": [0.25, 1.75]},
        "current": {"x": [1.5]},
    }
    yield {
        "name": "coprime",
        "description": "sizes 4999 and 3001 (KS exact p by the lattice path recursion, large lcm)",
        "reference": {"x": rounded(rng.gamma(2.0, 1.5, 4999))},
        "current": {"x": rounded(rng.gamma(2.1, 1.5, 3001))},
    }
    yield {
        "name": "near-cap",
        "description": "10,000 against 9,973 rows: the largest exact KS without sampling",
        "reference": {"x": rounded(rng.normal(0, 1, 10_000), decimals=5)},
        "current": {"x": rounded(rng.normal(0.03, 1, 9_973), decimals=5)},
    }
    yield {
        "name": "large",
        "description": "more than 10,000 rows: KS exact on every value, its p-value asymptotic as scipy's 'auto' picks",
        "reference": {
            "x": rounded(rng.normal(0, 1, 20_000), decimals=4),
            "u": rounded(rng.uniform(0, 1, 20_000), decimals=4),
            "segment": rng.choice(["s1", "s2", "s3", "s4", "s5", "s6"], 20_000).tolist(),
        },
        "current": {
            "x": rounded(rng.normal(0.05, 1, 15_000), decimals=4),
            "u": rounded(rng.uniform(0, 1, 15_000), decimals=4),
            "segment": rng.choice(["s1", "s2", "s3", "s4", "s5", "s6", "s7"], 15_000,
                                  p=[0.16, 0.16, 0.16, 0.16, 0.16, 0.16, 0.04]).tolist(),
        },
    }
    yield {
        "name": "sketch",
        "description": "ksExactMax 10,000: KS on quantile sketches (80,000 current values compact at three levels), within the stated bound of scipy on every value",
        "ksExactMax": 10_000,
        "reference": {"x": rounded(rng.normal(0, 1, 60_000), decimals=4)},
        "current": {"x": rounded(rng.normal(0.04, 1.05, 80_000), decimals=4)},
    }


def infer_kind(values):
    present = [v for v in values if v is not None]
    if all(isinstance(v, float) for v in present):
        return "numeric"
    return "categorical"


def build(dataset):
    kinds = dataset.get("kinds", {})
    columns = []
    for name, reference in dataset["reference"].items():
        current = dataset["current"][name]
        kind = kinds.get(name) or infer_kind(reference)
        expected = numeric_figures(name, reference, current) if kind == "numeric" else categorical_figures(reference, current)
        columns.append({"name": name, "kind": kind, "expected": expected})
    return {
        "name": dataset["name"],
        "description": dataset["description"],
        "generator": {
            "script": "scripts/drift-golden.py",
            "python": ".".join(map(str, __import__("sys").version_info[:3])),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "seed": SEED,
        "ksExactMax": dataset.get("ksExactMax", KS_EXACT_MAX),
        "psiEpsilon": EPSILON,
        "declaredKinds": kinds,
        "prediction": dataset.get("prediction"),
        "columns": columns,
        "reference": dataset["reference"],
        "current": dataset["current"],
    }


def special():
    kstwo = []
    for n in [1, 2, 3, 5, 10, 20, 50, 100, 140, 141, 200, 1000, 5000, 20_000, 100_000, 100_001, 400_000, 1_500_000]:
        xs = {0.3 / n, 0.6 / n, 0.9 / n, 1 - 1.5 / n, 1 - 0.5 / n, 0.5, 0.55, 0.7, 0.95}
        xs |= {math.sqrt(c / n) for c in [0.05, 0.1, 0.3, 0.6, 0.75, 0.76, 0.9, 1.5, 2.1, 2.3, 3, 3.9, 4.1,
                                          6, 8, 12, 17, 19, 30, 50, 120, 300, 369, 371]}
        for x in sorted(xs):
            if 0 < x < 1:
                kstwo.append([n, x, float(stats.kstwo.sf(x, n))])
    smirnov = []
    for n in [2, 5, 10, 50, 100, 1000, 1012, 1013, 10_000, 200_000]:
        for c in [0.5, 1, 1.5, 2, 3, 5]:
            x = c / math.sqrt(n)
            if 0 < x < 1:
                smirnov.append([n, x, float(scipy.special.smirnov(n, x))])
    chi2 = []
    for k in [1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 30, 99, 100, 101, 1000, 9999, 100_000, 1_000_000]:
        for m in [0.001, 0.05, 0.3, 0.7, 0.9, 0.99, 1, 1.01, 1.1, 1.5, 2, 3, 5, 10, 40]:
            x = k * m
            chi2.append([k, x, float(stats.chi2.sf(x, k))])
        for add in [0.5, 3, 10, 30]:
            chi2.append([k, k + add * math.sqrt(2 * k), float(stats.chi2.sf(k + add * math.sqrt(2 * k), k))])
    square = []
    for n in [1, 2, 7, 50, 333, 1000, 10_000]:
        for h in sorted({1, 2, max(1, n // 20), max(1, n // 7), max(1, n // 3), n // 2 or 1, n}):
            if 1 <= h <= n:
                square.append([n, h, float(_stats_py._compute_prob_outside_square(n, h))])
    inside = []
    for m, n in [(3, 2), (7, 5), (10, 4), (100, 37), (250, 100), (1000, 999), (4999, 3001), (10_000, 9973), (10_000, 17)]:
        g = math.gcd(m, n)
        lcm = (m // g) * n
        for frac in [0.01, 0.03, 0.05, 0.1, 0.2, 0.5, 0.9]:
            h = max(1, round(frac * lcm))
            inside.append([m, n, g, h, float(_compute_outer_prob_inside_method(m, n, g, h))])
    return {
        "generator": {"script": "scripts/drift-golden.py", "numpy": np.__version__, "scipy": scipy.__version__},
        "kstwoSf": kstwo,
        "smirnov": smirnov,
        "chi2Sf": chi2,
        "probOutsideSquare": square,
        "outerProbInsideMethod": inside,
    }


def write(name, payload):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(payload, allow_nan=False, separators=(",", ":")) + "\n")
    print(f"{path.relative_to(OUT.parent.parent.parent)}: {path.stat().st_size:,} bytes")


def main():
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
    for dataset in datasets():
        write(dataset["name"], build(dataset))
    write("special", special())


if __name__ == "__main__":
    main()
