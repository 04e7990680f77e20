"""Unlearning by minimising an Ethical MSE objective, starting from the trained model."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import linalg, optimize
from sklearn.exceptions import ConvergenceWarning

from ._threads import one_blas_thread
from ._validation import (
    check_fitted_model,
    check_nonnegative,
    check_positive_int,
    check_regression_data,
    check_sigma,
)
from .objectives import (
    _mu_hessian,
    _mu_value_and_grad,
    _sigma_value_and_grad,
    critical_mu,
)
from .optim import gradient_descent

__all__ = ["UnboundedObjectiveError", "UnlearningResult", "sigma_curvature_bound", "unlearn"]

OBJECTIVES = ("mu", "sigma")
METHODS = ("lbfgs", "newton", "gd")


class UnboundedObjectiveError(ValueError):
    """EMSE_μ has no minimiser: the weight ``mu`` is at or above the critical value μ*.

    Attributes
    ----------
    mu : float
        The weight that was asked for.
    mu_star : float
        The critical weight :math:`\\mu^* = 1/\\lambda_{\\max}(A_w^{-1}A_u)`.
    """

    def __init__(self, mu: float, mu_star: float):
        self.mu, self.mu_star = mu, mu_star
        super().__init__(
            f"mu must be below the critical value mu* = {mu_star:.6g} for this model and data; "
            f"got mu = {mu:.6g}. At mu >= mu* the Hessian 2(A_w - mu A_u) is not positive "
            f"definite and EMSE_mu is unbounded below (see emse.critical_mu)."
        )


@dataclass(frozen=True)
class UnlearningResult:
    """What :func:`unlearn` returns.

    Attributes
    ----------
    model : fitted estimator
        A new model with the unlearned parameters; the input model is untouched.
    history : ndarray of shape (n_iter + 1,)
        Objective value at the start and after every iteration.
    n_iter : int
        Number of iterations taken (1 for the closed form).
    converged : bool
        Whether the stopping rule was met (always true for the closed form).
    message : str
        Why the optimiser stopped.
    objective : str
        ``"mu"`` or ``"sigma"``.
    method : str
        ``"lbfgs"``, ``"newton"`` or ``"gd"``.
    """

    model: object
    history: np.ndarray
    n_iter: int
    converged: bool
    message: str
    objective: str
    method: str


def sigma_curvature_bound(sigma: float, lam: float = 1.0) -> float:
    r"""Largest :math:`|g''(r)|` of the unwanted EMSE_σ term :math:`g(r)`.

    With :math:`q = \varphi_\sigma/(1-\varphi_\sigma)`,
    :math:`g''(r) = -2\lambda q\,(1 - r^2/(\sigma^2(1-\varphi_\sigma)))`, evaluated on a fine grid
    of :math:`r\in[0, 12\sigma]` (it vanishes beyond). Used to pick a gradient-descent step that
    cannot overshoot.

    Parameters
    ----------
    sigma : float
        Scale, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    bound : float
    """
    sigma, lam = check_sigma(sigma), check_nonnegative(lam, "lam")
    r = np.linspace(0.0, 12.0 * sigma, 4001)
    density = np.exp(-(r**2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    second = -2.0 * lam * density / (1 - density) * (1 - r**2 / (sigma**2 * (1 - density)))
    return float(np.max(np.abs(second)))


@one_blas_thread
def unlearn(
    model,
    X_wanted,
    y_wanted,
    X_unwanted,
    y_unwanted,
    *,
    objective: str = "sigma",
    sigma: float = 1.0,
    mu: float | None = None,
    lam: float = 1.0,
    method: str = "lbfgs",
    max_iter: int = 1000,
    tol: float = 1e-6,
    learning_rate: float | None = None,
) -> UnlearningResult:
    r"""Move a trained model's parameters to a minimiser of an EMSE objective.

    Starts from ``model.coef_`` (the model trained on all data) and minimises
    :math:`\mathrm{EMSE}_\sigma` or :math:`\mathrm{EMSE}_\mu` over the parameters, with the basis
    of ``model`` held fixed.

    Parameters
    ----------
    model : fitted PolynomialRegressor
        The trained model; it is not modified.
    X_wanted : array-like of shape (n_w, n_features)
        Inputs whose fit is kept.
    y_wanted : array-like of shape (n_w,)
        Their targets.
    X_unwanted : array-like of shape (n_u, n_features)
        Inputs to forget.
    y_unwanted : array-like of shape (n_u,)
        Their targets.
    objective : {"sigma", "mu"}, default="sigma"
        The likelihood form EMSE_σ or the weighted form EMSE_μ.
    sigma : float, default=1.0
        Scale of EMSE_σ, ``> 1/sqrt(2*pi)``. Ignored for ``objective="mu"``.
    mu : float, default=None
        Weight of EMSE_μ, ``0 <= mu < mu*``; required for ``objective="mu"`` and not allowed
        otherwise.
    lam : float, default=1.0
        Weight λ of the unwanted term of EMSE_σ, ``>= 0``.
    method : {"lbfgs", "newton", "gd"}, default="lbfgs"
        scipy's L-BFGS-B; the closed-form minimiser (EMSE_μ only); or plain gradient descent.
    max_iter : int, default=1000
        Largest number of iterations.
    tol : float, default=1e-6
        Stop when the gradient's largest entry is at most ``tol``.
    learning_rate : float, default=None
        Step of ``method="gd"``; ``None`` takes ``1/L`` for a bound ``L`` on the Hessian's
        largest eigenvalue, a step that cannot diverge. Not used by the other methods.

    Returns
    -------
    result : UnlearningResult

    Raises
    ------
    UnboundedObjectiveError
        If ``objective="mu"`` and ``mu >= mu*``; the message states μ*.
    ValueError, TypeError
        On invalid input, naming the argument.

    Warns
    -----
    sklearn.exceptions.ConvergenceWarning
        If gradient descent diverges (the last finite iterate is returned, ``converged=False``).
    """
    check_fitted_model(model)
    n_features = model.n_features_in_
    X_w, y_w = check_regression_data(X_wanted, y_wanted, "X_wanted", "y_wanted",
                                     n_features=n_features)
    X_u, y_u = check_regression_data(X_unwanted, y_unwanted, "X_unwanted", "y_unwanted",
                                     n_features=n_features)
    for X, name in ((X_w, "X_wanted"), (X_u, "X_unwanted")):
        if X.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one sample; got none.")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}; got {objective!r}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonnegative(tol, "tol")
    if learning_rate is not None and method != "gd":
        raise ValueError(f"learning_rate applies only to method='gd'; got method={method!r}.")

    Phi_w, Phi_u = model.design_matrix(X_w), model.design_matrix(X_u)
    theta0 = np.array(model.coef_, dtype=np.float64, copy=True)

    if objective == "mu":
        if mu is None:
            raise ValueError("mu must be given when objective='mu'; got None.")
        mu = check_nonnegative(mu, "mu")
        mu_star = critical_mu(model, X_w, X_u)
        if mu >= mu_star:
            raise UnboundedObjectiveError(mu, mu_star)
        fun = partial(_mu_value_and_grad, Phi_w=Phi_w, y_w=y_w, Phi_u=Phi_u, y_u=y_u, mu=mu)
        hessian = _mu_hessian(Phi_w, Phi_u, mu)
        curvature = float(linalg.eigvalsh(hessian)[-1])
    else:
        if mu is not None:
            raise ValueError(f"mu applies only to objective='mu'; got mu={mu!r} with "
                             f"objective='sigma'.")
        if method == "newton":
            raise ValueError("method='newton' needs objective='mu': EMSE_sigma is not quadratic "
                             "and has no closed-form minimiser. Use method='lbfgs'.")
        sigma, lam = check_sigma(sigma), check_nonnegative(lam, "lam")
        fun = partial(_sigma_value_and_grad, Phi_w=Phi_w, y_w=y_w, Phi_u=Phi_u, y_u=y_u,
                      sigma=sigma, lam=lam)
        curvature = (2.0 * linalg.norm(Phi_w, 2) ** 2
                     + sigma_curvature_bound(sigma, lam) * linalg.norm(Phi_u, 2) ** 2)

    if method == "newton":
        # Closed form: 2(A_w - mu A_u) theta = 2(Phi_w^T y_w / n_w - mu Phi_u^T y_u / n_u).
        rhs = 2.0 * (Phi_w.T @ y_w / y_w.size - mu * Phi_u.T @ y_u / y_u.size)
        theta = linalg.solve(hessian, rhs, assume_a="pos")
        history = np.array([fun(theta0)[0], fun(theta)[0]])
        return UnlearningResult(model.with_coef(theta), history, 1, True,
                                "Closed-form minimiser of the quadratic EMSE_mu.", objective,
                                method)

    if method == "gd":
        if learning_rate is None:
            learning_rate = 1.0 / curvature
        elif isinstance(learning_rate, bool) or not np.isscalar(learning_rate):
            raise TypeError(f"learning_rate must be a real number; got {learning_rate!r}.")
        elif not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a finite number > 0; got {learning_rate!r}.")
        res = gradient_descent(fun, theta0, learning_rate=float(learning_rate),
                               max_iter=max_iter, tol=tol)
        if res.status == 2:
            warnings.warn(f"Gradient descent diverged after {res.nit} steps with learning_rate="
                          f"{learning_rate:.3g}; returning the last finite iterate.",
                          ConvergenceWarning, stacklevel=3)
        return UnlearningResult(model.with_coef(res.x), res.history, int(res.nit),
                                bool(res.success), res.message, objective, method)

    history = [fun(theta0)[0]]
    res = optimize.minimize(
        fun, theta0, jac=True, method="L-BFGS-B",
        callback=lambda intermediate_result: history.append(float(intermediate_result.fun)),
        options={"maxiter": max_iter, "gtol": tol, "ftol": 10 * np.finfo(float).eps},
    )
    converged = bool(res.success) or bool(np.max(np.abs(res.jac)) <= tol)
    return UnlearningResult(model.with_coef(res.x), np.asarray(history), int(res.nit), converged,
                            str(res.message), objective, method)
