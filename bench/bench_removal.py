"""Speed of each removal method against retraining with scikit-learn, as ratios, in one run.

For n = 10^4, 10^5, 10^6 training points and k = 1, 10, 100 removed points of a degree-5
polynomial regression, each method removes the last k points of a model fitted on all n. The
reference is what a practitioner would do without any of them: refit scikit-learn's
PolynomialFeatures + LinearRegression on the n - k retained points. Every entry printed is

    (time of the scikit-learn refit) / (time of the method),

so a number above 1 means the method is that many times faster than retraining. Methods:

* remove_exact: downdate of the stored normal equations (emse.baselines), exact: the
  Sherman-Morrison-Woodbury k x k system for k <= p, the p x p downdated system for k > p;
* Newton: one Newton step on the retained objective (emse.baselines.remove_newton), exact here;
* NegGrad: 10 gradient-ascent steps on the k points (touches only the forget set);
* GradDiff: 10 descent-ascent steps (touches all n retained points every step);
* SISA: deletion from a 10-shard SISA ensemble, retraining only the shards that held the points;
* retrain: emse.baselines.retrain, our own refit of the same model.

Each time is the best of a few repeats (timeit.repeat), with one BLAS thread so that runs on a
shared machine are comparable. Run with `make bench`; it takes well under two minutes.
"""

from __future__ import annotations

import time
import timeit

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from threadpoolctl import threadpool_limits

from emse import PolynomialRegressor
from emse.baselines import (
    descent_ascent,
    gradient_ascent,
    remove_exact,
    remove_newton,
    retrain,
)
from emse.sisa import SISA

DEGREE, SHARDS, STEPS = 5, 10, 10
NS, KS = (10_000, 100_000, 1_000_000), (1, 10, 100)
METHODS = ("remove_exact", "Newton", "NegGrad", "GradDiff", "SISA", "retrain")


def sklearn_refit(X, y):
    """The reference: scikit-learn's polynomial least squares, refitted from scratch."""
    return make_pipeline(PolynomialFeatures(DEGREE), LinearRegression()).fit(X, y)


def removal_plans(model, sisa, X_w, y_w, X_u, y_u) -> dict:
    """One zero-argument callable per method, removing (X_u, y_u) and keeping (X_w, y_w)."""
    n, k, step = len(y_w) + len(y_u), len(y_u), 1e-3
    return {
        "remove_exact": lambda: remove_exact(model, X_u, y_u),
        "Newton": lambda: remove_newton(model, X_u, y_u),
        "NegGrad": lambda: gradient_ascent(model, X_u, y_u, learning_rate=step, max_iter=STEPS),
        "GradDiff": lambda: descent_ascent(model, X_w, y_w, X_u, y_u, mu=0.1,
                                           learning_rate=step, max_iter=STEPS),
        "SISA": lambda: sisa.delete(np.arange(n - k, n)),
        "retrain": lambda: retrain(model, X_w, y_w),
    }


def ratios_for(n: int, X: np.ndarray, y: np.ndarray) -> dict:
    """Speed-up of every method over the scikit-learn refit, for each k, at one n."""
    repeats = 7 if n < 1_000_000 else 3
    Xn, yn = X[:n], y[:n]
    model = PolynomialRegressor(degree=DEGREE).fit(Xn, yn)
    sisa = SISA(PolynomialRegressor(degree=DEGREE), n_shards=SHARDS).fit(Xn, yn)
    out = {}
    for k in KS:
        X_w, y_w, X_u, y_u = Xn[:-k], yn[:-k], Xn[-k:], yn[-k:]
        reference = min(timeit.repeat(lambda: sklearn_refit(X_w, y_w),  # noqa: B023
                                      number=1, repeat=repeats))
        for name, plan in removal_plans(model, sisa, X_w, y_w, X_u, y_u).items():
            out[name, k] = reference / min(timeit.repeat(plan, number=1, repeat=repeats))
        gap = np.max(np.abs(remove_newton(model, X_u, y_u).predict(Xn[:1000])
                            - sklearn_refit(X_w, y_w).predict(Xn[:1000])))
        out["gap", k] = gap
    return out


def main() -> None:
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(max(NS), 1))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(max(NS))
    with threadpool_limits(limits=1):
        results = {n: ratios_for(n, X, y) for n in NS}
    print(f"Removal of k points from a degree-{DEGREE} polynomial fit on n points: speed-up over "
          f"refitting scikit-learn's PolynomialFeatures + LinearRegression on the n - k "
          f"retained points (higher is faster; below 1 is slower than retraining).")
    header = f"{'n':>9} {'k':>4} " + "".join(f"{name:>14}" for name in METHODS)
    print(header)
    print("-" * len(header))
    for n in NS:
        for k in KS:
            cells = "".join(f"{results[n][name, k]:>14.3g}" for name in METHODS)
            print(f"{n:>9,} {k:>4} {cells}")
    worst_gap = max(results[n]["gap", k] for n in NS for k in KS)
    print(f"Largest prediction gap, Newton removal against the scikit-learn refit: "
          f"{worst_gap:.1e} (both are exact).")
    print(f"NegGrad and GradDiff: {STEPS} steps each; SISA: {SHARDS} shards. "
          f"Total run time {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
