"""Speed of the softmax regression fit, as ratios against plain L-BFGS and scikit-learn.

On the digits (1,300 images, 64 pixels, 10 classes, alpha = 1):

* the minimisation inside SoftmaxRegression.fit (L-BFGS in centred and scaled coordinates,
  emse/_lbfgs.py) against the same objective minimised by scipy's L-BFGS-B in the original
  coordinates from zero, with the same stopping rule (the reference the preconditioning
  replaced);
* the whole SoftmaxRegression.fit (which also validates the data and stores the Hessian) against
  scikit-learn's LogisticRegression (lbfgs, C = 1/alpha, the intercept as a penalised column).

Each time is the best of a few repeats (time.perf_counter). Run with `make bench`.
"""

from __future__ import annotations

import numpy as np
from bench_core import best_time  # bench/ is the script's folder, on the import path
from scipy import optimize
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from emse._lbfgs import minimize_preconditioned
from emse.logistic import SoftmaxRegression, _loss_and_grad

N, ALPHA = 1300, 1.0


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X, y = X[:N] / 16.0, y[:N]
    model = SoftmaxRegression(alpha=ALPHA)
    Phi = np.hstack([np.ones((N, 1)), X])

    def plain():
        return optimize.minimize(
            _loss_and_grad, np.zeros(Phi.shape[1] * 10), args=(Phi, y, 10, ALPHA), jac=True,
            method="L-BFGS-B", options={"maxiter": 1000, "gtol": model.tol * (1 + N),
                                        "ftol": 10 * np.finfo(float).eps})

    def preconditioned():
        return minimize_preconditioned(
            lambda theta: _loss_and_grad(theta, Phi, y, 10, ALPHA), 10, Phi, curvature=0.1,
            alpha=ALPHA, max_iter=1000, gtol=model.tol * (1 + N))

    def sklearn_fit():
        return LogisticRegression(C=1 / ALPHA, fit_intercept=False, max_iter=1000,
                                  tol=1e-8).fit(Phi, y)

    t_pre, t_plain = best_time(preconditioned), best_time(plain)
    t_fit, t_sklearn = best_time(lambda: model.fit(X, y)), best_time(sklearn_fit)
    (theta, n_iter), reference = preconditioned(), plain()
    gap = np.max(np.abs(theta - reference.x))
    print(f"digits, n = {N:,}, alpha = {ALPHA}; best of three runs")
    print(f"{'operation':<52}{'seconds':>10}{'iterations':>12}")
    print(f"{'L-BFGS, centred and scaled (emse)':<52}{t_pre:>10.4f}{n_iter:>12}")
    print(f"{'L-BFGS-B, original coordinates (scipy)':<52}{t_plain:>10.4f}{reference.nit:>12}")
    print(f"{'emse SoftmaxRegression.fit (with the Hessian)':<52}{t_fit:>10.4f}")
    print(f"{'sklearn LogisticRegression (lbfgs)':<52}{t_sklearn:>10.4f}"
          f"{int(sklearn_fit().n_iter_[0]):>12}")
    print(f"ratio original / preconditioned L-BFGS: {t_plain / t_pre:.2f} "
          f"(largest parameter gap {gap:.1e}); sklearn / emse fit: {t_sklearn / t_fit:.2f}")


if __name__ == "__main__":
    main()
