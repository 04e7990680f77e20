"""Speed of exact removal and of fitting, as ratios against scikit-learn, in one run.

* remove_exact of 10 points from a degree-5 fit on n = 10^6, against refitting
  PolynomialFeatures + LinearRegression on the retained points;
* PolynomialRegressor.fit against the same scikit-learn pipeline on all n points.

Each time is the best of a few repeats (time.perf_counter). Run with `make bench`.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from emse import PolynomialRegressor
from emse.baselines import remove_exact

N, DEGREE, K, REPEATS = 1_000_000, 5, 10, 3


def best_time(function, repeats: int = REPEATS) -> float:
    """Smallest wall-clock time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(N, 1))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(N)
    model = PolynomialRegressor(degree=DEGREE).fit(X, y)
    X_keep, y_keep = X[K:], y[K:]

    def sklearn_fit(Xs, ys):
        return make_pipeline(PolynomialFeatures(DEGREE), LinearRegression()).fit(Xs, ys)

    t_remove = best_time(lambda: remove_exact(model, X[:K], y[:K]))
    t_refit = best_time(lambda: sklearn_fit(X_keep, y_keep))
    t_ours = best_time(lambda: PolynomialRegressor(degree=DEGREE).fit(X, y))
    t_sklearn = best_time(lambda: sklearn_fit(X, y))

    removed = remove_exact(model, X[:K], y[:K])
    refit = sklearn_fit(X_keep, y_keep)
    gap = np.max(np.abs(removed.predict(X[:1000]) - refit.predict(X[:1000])))

    print(f"n = {N:,}, degree = {DEGREE}, removing k = {K} points; best of {REPEATS} runs")
    print(f"{'operation':<52}{'seconds':>10}")
    print(f"{'emse remove_exact (k points)':<52}{t_remove:>10.6f}")
    print(f"{'sklearn PolynomialFeatures+LinearRegression refit':<52}{t_refit:>10.6f}")
    print(f"{'emse PolynomialRegressor.fit':<52}{t_ours:>10.6f}")
    print(f"{'sklearn PolynomialFeatures+LinearRegression fit':<52}{t_sklearn:>10.6f}")
    print(f"ratio refit / remove_exact: {t_refit / t_remove:,.0f}x "
          f"(max prediction gap {gap:.1e})")
    print(f"ratio PolynomialRegressor.fit / sklearn fit: {t_ours / t_sklearn:.2f}")


if __name__ == "__main__":
    main()
