"""Unlearning by minimising an Ethical MSE objective, starting from the trained model.

:func:`unlearn` minimises EMSE_σ or EMSE_μ over the parameters of a model that is linear in them
(:class:`emse.PolynomialRegressor`); :func:`emse.neural_unlearn.unlearn_network` does the same for
networks. Both check their options with :func:`check_unlearning_options`.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ._validation import (
    check_choice,
    check_fitted_model,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_regression_data,
    check_sigma,
)
from .objectives import (
    critical_mu,
    emse_mu_hessian,
    emse_mu_objective,
    emse_sigma_curvature_bound,
    emse_sigma_objective,
)
from .optim import UnlearningResult, minimize, result_of  # UnlearningResult: re-exported

__all__ = ["UnboundedObjectiveError", "check_unlearning_options", "unlearn"]

OBJECTIVES = ("mu", "sigma")
METHODS = ("lbfgs", "newton", "gd")


def check_unlearning_options(objective, *, sigma, mu, lam, method, learning_rate,
                             objectives=OBJECTIVES, methods=METHODS):
    """Check the options shared by :func:`unlearn` and ``unlearn_network``.

    ``mu`` is required by ``objective="mu"`` and refused otherwise; ``sigma`` must exceed
    ``1/sqrt(2*pi)`` for ``objective="sigma"``; ``learning_rate`` (``> 0`` or ``None``)
    applies only to ``method="gd"``.

    Returns
    -------
    sigma, mu, lam, learning_rate : the checked values (``None`` where unused).
    """
    check_choice(objective, "objective", objectives)
    check_choice(method, "method", methods)
    if objective == "mu":
        if mu is None:
            raise ValueError("mu must be given when objective='mu'; got None.")
        mu = check_nonnegative(mu, "mu")
    elif mu is not None:
        raise ValueError(f"mu applies only to objective='mu'; got mu={mu!r} with "
                         f"objective={objective!r}.")
    sigma = check_sigma(sigma) if objective == "sigma" else None
    lam = check_nonnegative(lam, "lam")
    if learning_rate is not None:
        if method != "gd":
            raise ValueError(f"learning_rate applies only to method='gd'; got "
                             f"method={method!r}.")
        learning_rate = check_positive(learning_rate, "learning_rate")
    return sigma, mu, lam, learning_rate


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
    model : PolynomialRegressor
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
        If ``objective="mu"`` and ``0 < mu`` with ``mu >= mu*``; the message states μ*. At
        ``mu = 0`` EMSE_μ is the mean squared error on the wanted data, which always has a
        minimiser (the least-norm one when the wanted data do not determine every parameter).
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
    check_nonempty(X_w, "X_wanted")
    check_nonempty(X_u, "X_unwanted")
    sigma, mu, lam, learning_rate = check_unlearning_options(
        objective, sigma=sigma, mu=mu, lam=lam, method=method, learning_rate=learning_rate)
    if method == "newton" and objective != "mu":
        raise ValueError("method='newton' needs objective='mu': EMSE_sigma is not quadratic "
                         "and has no closed-form minimiser. Use method='lbfgs'.")
    Phi_w, Phi_u = model.design_matrix(X_w), model.design_matrix(X_u)
    theta0 = model.flat_coef()

    if objective == "mu":
        mu_star = critical_mu(model, X_w, X_u)
        if mu > 0 and mu >= mu_star:  # at mu = 0 EMSE_mu is the wanted MSE, bounded below
            raise UnboundedObjectiveError(mu, mu_star)
        fun = emse_mu_objective(Phi_w, y_w, Phi_u, y_u, mu)
        hessian = emse_mu_hessian(Phi_w, Phi_u, mu)
        curvature = float(linalg.eigvalsh(hessian)[-1])
    else:
        fun = emse_sigma_objective(Phi_w, y_w, Phi_u, y_u, sigma, lam)
        curvature = emse_sigma_curvature_bound(Phi_w, Phi_u, sigma, lam)

    if method == "newton":
        # Closed form: 2(A_w - mu A_u) theta = 2(Phi_w^T y_w / n_w - mu Phi_u^T y_u / n_u).
        rhs = 2.0 * (Phi_w.T @ y_w / y_w.size - mu * Phi_u.T @ y_u / y_u.size)
        if mu_star > 0:
            theta = linalg.solve(hessian, rhs, assume_a="pos")
        else:  # mu = 0 and the wanted data do not determine every parameter: least norm
            theta = linalg.lstsq(Phi_w, y_w)[0]
        history = np.array([fun(theta0)[0], fun(theta)[0]])
        return UnlearningResult(model.with_coef(theta), history, 1, True,
                                "Closed-form minimiser of the quadratic EMSE_mu.", objective,
                                method)
    if method == "gd" and learning_rate is None:
        learning_rate = 1.0 / curvature
    res = minimize(fun, theta0, method=method, max_iter=max_iter, tol=tol,
                   learning_rate=learning_rate)
    return result_of(model, res, objective, method)
