r"""The two Ethical MSE objectives, their derivatives, and the critical weight μ*.

With residuals :math:`r = y - \Phi\theta` on the wanted (:math:`w`) and unwanted (:math:`u`)
training points:

* weighted form (chapter 2, equation ``emse-mu``), for :math:`\mu \ge 0`,

  .. math::

      \mathrm{EMSE}_\mu(\theta) = \frac{1}{n_w}\sum_{i\in w} r_i^2
                                 - \mu\,\frac{1}{n_u}\sum_{j\in u} r_j^2 ;

* likelihood form (chapter 2, equation ``emse-sigma``), for :math:`\sigma > 1/\sqrt{2\pi}`,

  .. math::

      \mathrm{EMSE}_\sigma(\theta) = \sum_{i\in w} r_i^2
          - 2\sigma^2\lambda \sum_{j\in u} \log\bigl(1 - \varphi_\sigma(r_j)\bigr),
      \qquad
      \varphi_\sigma(r) = \frac{e^{-r^2/(2\sigma^2)}}{\sigma\sqrt{2\pi}} .

``emse_mu`` and ``emse_sigma`` take residuals and return the value. The ``*_value_and_grad``
functions take parameters and design matrices and return ``(value, gradient)`` in the form
``scipy.optimize.minimize(..., jac=True)`` expects; ``emse_mu_hessian`` is the constant Hessian of
the quadratic form.

Curvature bounds, which give the gradient methods a step :math:`1/L` that cannot overshoot, live
here too: :func:`sigma_curvature_bound` for the unwanted term of EMSE_σ, and
:func:`resolve_learning_rate` for the mean losses of any model of the protocol
(:mod:`emse.protocol`).
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy import linalg

from ._validation import (
    check_features,
    check_fitted_model,
    check_nonempty,
    check_nonnegative,
    check_positive,
    check_same_length,
    check_sigma,
    check_targets,
)

__all__ = [
    "critical_mu",
    "emse_mu",
    "emse_mu_hessian",
    "emse_mu_objective",
    "emse_mu_residual_grad",
    "emse_mu_value_and_grad",
    "emse_sigma",
    "emse_sigma_curvature_bound",
    "emse_sigma_objective",
    "emse_sigma_residual_grad",
    "emse_sigma_value_and_grad",
    "gaussian_density",
    "residual_objective",
    "resolve_learning_rate",
    "sigma_curvature_bound",
    "unwanted_sigma_loss",
]


def _residuals(r, name: str) -> np.ndarray:
    return check_nonempty(check_targets(r, name), name)


def _finite_values(r, name: str) -> np.ndarray:
    """Return ``r`` as a float array of any shape with finite entries, or raise naming it."""
    try:
        values = np.asarray(r, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be real numbers (a scalar or an array); got "
                        f"{type(r).__name__}.") from error
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must hold finite values; got NaN or infinity.")
    return values


def gaussian_density(r, sigma: float) -> np.ndarray:
    r"""The normal density :math:`\varphi_\sigma(r)` of mean zero and standard deviation σ.

    Parameters
    ----------
    r : float or array-like of any shape
        Residuals, finite.
    sigma : float
        Standard deviation, ``> 1/sqrt(2*pi)`` (so that the density stays below one).

    Returns
    -------
    density : ndarray of the shape of ``r``
    """
    return _density(_finite_values(r, "r"), check_sigma(sigma))


def _density(r: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-(r**2) / (2.0 * sigma**2)) / (sigma * np.sqrt(2.0 * np.pi))


def _unwanted_loss(r: np.ndarray, sigma: float, lam: float) -> np.ndarray:
    return -2.0 * sigma**2 * lam * np.log1p(-_density(r, sigma))


def unwanted_sigma_loss(r, sigma: float, lam: float = 1.0) -> np.ndarray:
    r"""Per-point unwanted term of EMSE_σ: :math:`-2\sigma^2\lambda\log(1-\varphi_\sigma(r))`.

    It is largest at :math:`r = 0`, where it equals
    :math:`-2\sigma^2\lambda\log(1 - 1/(\sigma\sqrt{2\pi}))`, and decays to zero as
    :math:`|r|\to\infty`: minimising it pushes a residual away from zero, and the push fades
    once the point is a few σ from the curve.

    Parameters
    ----------
    r : float or array-like of any shape
        Residuals of unwanted points, finite.
    sigma : float
        Scale, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight λ of the unwanted term, ``>= 0``.

    Returns
    -------
    loss : ndarray of the shape of ``r``
    """
    lam = check_nonnegative(lam, "lam")
    return _unwanted_loss(_finite_values(r, "r"), check_sigma(sigma), lam)


def emse_mu(r_wanted, r_unwanted, mu: float) -> float:
    r"""Value of the weighted objective :math:`\mathrm{EMSE}_\mu` from residuals.

    Parameters
    ----------
    r_wanted : array-like of shape (n_w,)
        Residuals :math:`y - f_\theta(x)` on the wanted data.
    r_unwanted : array-like of shape (n_u,)
        Residuals on the unwanted data.
    mu : float
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    value : float
        ``mean(r_wanted**2) - mu * mean(r_unwanted**2)``.

    Examples
    --------
    >>> emse_mu([1.0, -1.0], [2.0], mu=0.5)
    -1.0
    """
    r_w = _residuals(r_wanted, "r_wanted")
    r_u = _residuals(r_unwanted, "r_unwanted")
    mu = check_nonnegative(mu, "mu")
    return float(np.mean(r_w**2) - mu * np.mean(r_u**2))


def emse_sigma(r_wanted, r_unwanted, sigma: float, lam: float = 1.0) -> float:
    r"""Value of the likelihood objective :math:`\mathrm{EMSE}_\sigma` from residuals.

    Parameters
    ----------
    r_wanted : array-like of shape (n_w,)
        Residuals on the wanted data.
    r_unwanted : array-like of shape (n_u,)
        Residuals on the unwanted data.
    sigma : float
        Noise scale σ, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight λ of the unwanted term, ``>= 0``; ``1`` is the pure likelihood.

    Returns
    -------
    value : float
        ``sum(r_wanted**2) + sum(unwanted_sigma_loss(r_unwanted))``; never negative.
    """
    r_w = _residuals(r_wanted, "r_wanted")
    r_u = _residuals(r_unwanted, "r_unwanted")
    sigma = check_sigma(sigma)
    lam = check_nonnegative(lam, "lam")
    return float(np.sum(r_w**2) + np.sum(_unwanted_loss(r_u, sigma, lam)))


def emse_mu_residual_grad(r_wanted, r_unwanted, mu: float
                          ) -> tuple[float, np.ndarray, np.ndarray]:
    r"""EMSE_μ and its derivatives with respect to the residuals.

    For a model that is not linear in its parameters (a neural network, chapter 6), the
    gradient with respect to the parameters is the chain rule
    :math:`\nabla_\theta = -J_w^\top \partial_{r_w} - J_u^\top \partial_{r_u}`, with
    :math:`J` the Jacobian of the model's outputs; this function supplies the two
    :math:`\partial_r` factors,

    .. math::

        \frac{\partial\,\mathrm{EMSE}_\mu}{\partial r_i} = \frac{2 r_i}{n_w}, \qquad
        \frac{\partial\,\mathrm{EMSE}_\mu}{\partial r_j} = -\frac{2\mu\, r_j}{n_u} .

    Parameters
    ----------
    r_wanted : array-like of shape (n_w,)
        Residuals :math:`y - f_\theta(x)` on the wanted data.
    r_unwanted : array-like of shape (n_u,)
        Residuals on the unwanted data.
    mu : float
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    value : float
        As :func:`emse_mu`.
    grad_wanted : ndarray of shape (n_w,)
        Derivative with respect to each wanted residual.
    grad_unwanted : ndarray of shape (n_u,)
        Derivative with respect to each unwanted residual.
    """
    r_w = _residuals(r_wanted, "r_wanted")
    r_u = _residuals(r_unwanted, "r_unwanted")
    return _mu_residual_grad(r_w, r_u, check_nonnegative(mu, "mu"))


def _mu_residual_grad(r_w, r_u, mu):
    """EMSE_mu and its residual derivatives on checked arrays."""
    value = np.mean(r_w**2) - mu * np.mean(r_u**2)
    return float(value), 2.0 / r_w.size * r_w, -2.0 * mu / r_u.size * r_u


def emse_sigma_residual_grad(r_wanted, r_unwanted, sigma: float, lam: float = 1.0
                             ) -> tuple[float, np.ndarray, np.ndarray]:
    r"""EMSE_σ and its derivatives with respect to the residuals.

    .. math::

        \frac{\partial\,\mathrm{EMSE}_\sigma}{\partial r_i} = 2 r_i, \qquad
        \frac{\partial\,\mathrm{EMSE}_\sigma}{\partial r_j}
        = -2\lambda\,\frac{r_j\,\varphi_\sigma(r_j)}{1-\varphi_\sigma(r_j)} ,

    the factors of the chain rule for models that are not linear in their parameters (see
    :func:`emse_mu_residual_grad`).

    Parameters
    ----------
    r_wanted : array-like of shape (n_w,)
        Residuals on the wanted data.
    r_unwanted : array-like of shape (n_u,)
        Residuals on the unwanted data.
    sigma : float
        Noise scale σ, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight λ of the unwanted term, ``>= 0``.

    Returns
    -------
    value : float
        As :func:`emse_sigma`.
    grad_wanted : ndarray of shape (n_w,)
        Derivative with respect to each wanted residual.
    grad_unwanted : ndarray of shape (n_u,)
        Derivative with respect to each unwanted residual.
    """
    r_w = _residuals(r_wanted, "r_wanted")
    r_u = _residuals(r_unwanted, "r_unwanted")
    return _sigma_residual_grad(r_w, r_u, check_sigma(sigma), check_nonnegative(lam, "lam"))


def _sigma_residual_grad(r_w, r_u, sigma, lam):
    """EMSE_sigma and its residual derivatives on checked arrays."""
    density = _density(r_u, sigma)
    value = np.sum(r_w**2) + np.sum(_unwanted_loss(r_u, sigma, lam))
    return float(value), 2.0 * r_w, -2.0 * lam * r_u * density / (1.0 - density)


def _check_design(theta, Phi_wanted, y_wanted, Phi_unwanted, y_unwanted):
    Phi_w = check_features(Phi_wanted, "Phi_wanted")
    Phi_u = check_features(Phi_unwanted, "Phi_unwanted", n_features=Phi_w.shape[1])
    y_w, y_u = check_targets(y_wanted, "y_wanted"), check_targets(y_unwanted, "y_unwanted")
    check_same_length(Phi_w, y_w, "Phi_wanted", "y_wanted")
    check_same_length(Phi_u, y_u, "Phi_unwanted", "y_unwanted")
    if theta is None:
        return None, Phi_w, y_w, Phi_u, y_u
    theta = check_targets(theta, "theta")
    if theta.shape[0] != Phi_w.shape[1]:
        raise ValueError(f"theta must have {Phi_w.shape[1]} entries, one per column of "
                         f"Phi_wanted; got {theta.shape[0]}.")
    return theta, Phi_w, y_w, Phi_u, y_u


def emse_mu_value_and_grad(theta, Phi_wanted, y_wanted, Phi_unwanted, y_unwanted,
                           mu: float) -> tuple[float, np.ndarray]:
    r"""EMSE_μ and its gradient with respect to the parameters.

    .. math::

        \nabla_\theta \mathrm{EMSE}_\mu
        = -\frac{2}{n_w}\Phi_w^\top r_w + \frac{2\mu}{n_u}\Phi_u^\top r_u .

    Parameters
    ----------
    theta : array-like of shape (p,)
        Parameters.
    Phi_wanted, Phi_unwanted : array-like of shape (n_w, p), (n_u, p)
        Design matrices of the wanted and unwanted inputs.
    y_wanted, y_unwanted : array-like of shape (n_w,), (n_u,)
        Targets.
    mu : float
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    value : float
    grad : ndarray of shape (p,)
    """
    theta, Phi_w, y_w, Phi_u, y_u = _check_design(theta, Phi_wanted, y_wanted, Phi_unwanted,
                                                  y_unwanted)
    return _mu_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, check_nonnegative(mu, "mu"))


def _mu_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, mu):
    """EMSE_mu and its gradient on checked arrays (the optimisers' inner loop)."""
    r_w, r_u = y_w - Phi_w @ theta, y_u - Phi_u @ theta
    value = np.mean(r_w**2) - mu * np.mean(r_u**2)
    grad = -2.0 / r_w.size * (Phi_w.T @ r_w) + 2.0 * mu / r_u.size * (Phi_u.T @ r_u)
    return float(value), grad


def emse_mu_hessian(Phi_wanted, Phi_unwanted, mu: float) -> np.ndarray:
    r"""The constant Hessian :math:`2(A_w - \mu A_u)`, with :math:`A = \Phi^\top\Phi/n`.

    Parameters
    ----------
    Phi_wanted, Phi_unwanted : array-like of shape (n_w, p), (n_u, p)
        Design matrices.
    mu : float
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    hessian : ndarray of shape (p, p)
    """
    Phi_w = check_features(Phi_wanted, "Phi_wanted")
    Phi_u = check_features(Phi_unwanted, "Phi_unwanted", n_features=Phi_w.shape[1])
    mu = check_nonnegative(mu, "mu")
    return _mu_hessian(Phi_w, Phi_u, mu)


def _second_moments(Phi: np.ndarray) -> np.ndarray:
    """A = Phi^T Phi / n."""
    return Phi.T @ Phi / Phi.shape[0]


def _mu_hessian(Phi_w, Phi_u, mu):
    return 2.0 * (_second_moments(Phi_w) - mu * _second_moments(Phi_u))


def emse_sigma_value_and_grad(theta, Phi_wanted, y_wanted, Phi_unwanted, y_unwanted,
                              sigma: float, lam: float = 1.0) -> tuple[float, np.ndarray]:
    r"""EMSE_σ and its gradient with respect to the parameters.

    .. math::

        \nabla_\theta \mathrm{EMSE}_\sigma
        = -2\Phi_w^\top r_w
          + 2\lambda\,\Phi_u^\top\!
            \left(\frac{r_u\,\varphi_\sigma(r_u)}{1-\varphi_\sigma(r_u)}\right)

    (elementwise inside the bracket).

    Parameters
    ----------
    theta : array-like of shape (p,)
        Parameters.
    Phi_wanted, Phi_unwanted : array-like of shape (n_w, p), (n_u, p)
        Design matrices of the wanted and unwanted inputs.
    y_wanted, y_unwanted : array-like of shape (n_w,), (n_u,)
        Targets.
    sigma : float
        Noise scale, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    value : float
    grad : ndarray of shape (p,)
    """
    theta, Phi_w, y_w, Phi_u, y_u = _check_design(theta, Phi_wanted, y_wanted, Phi_unwanted,
                                                  y_unwanted)
    return _sigma_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, check_sigma(sigma),
                                 check_nonnegative(lam, "lam"))


def _sigma_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, sigma, lam):
    """EMSE_sigma and its gradient on checked arrays (the optimisers' inner loop)."""
    r_w, r_u = y_w - Phi_w @ theta, y_u - Phi_u @ theta
    density = _density(r_u, sigma)
    value = np.sum(r_w**2) - 2.0 * sigma**2 * lam * np.sum(np.log1p(-density))
    push = r_u * density / (1.0 - density)  # d/dr of the unwanted term is -2 lam * push
    grad = -2.0 * (Phi_w.T @ r_w) + 2.0 * lam * (Phi_u.T @ push)
    return float(value), grad


def critical_mu(model, X_wanted, X_unwanted) -> float:
    r"""The largest weight μ* for which EMSE_μ has a minimiser.

    .. math::

        \mu^* = \frac{1}{\lambda_{\max}(A_w^{-1}A_u)}, \qquad A = \Phi^\top\Phi / n ,

    computed from the symmetric-definite eigenproblem :math:`A_u v = \lambda A_w v`. For
    :math:`\mu < \mu^*` the Hessian :math:`2(A_w-\mu A_u)` is positive definite; at and beyond
    it, EMSE_μ is unbounded below. If :math:`A_w` is singular and :math:`A_u` reaches into its
    null space, μ* is 0.

    Parameters
    ----------
    model : PolynomialRegressor
        Supplies the basis through ``design_matrix``.
    X_wanted : array-like of shape (n_w, n_features)
        Wanted inputs.
    X_unwanted : array-like of shape (n_u, n_features)
        Unwanted inputs.

    Returns
    -------
    mu_star : float
        Positive, or ``0.0`` when the wanted data do not determine every parameter.
    """
    check_fitted_model(model)
    n_features = model.n_features_in_
    X_w = check_nonempty(check_features(X_wanted, "X_wanted", n_features=n_features),
                         "X_wanted")
    X_u = check_nonempty(check_features(X_unwanted, "X_unwanted", n_features=n_features),
                         "X_unwanted")
    A_w = _second_moments(model.design_matrix(X_w))
    A_u = _second_moments(model.design_matrix(X_u))
    # Restrict to the range of A_w; directions A_w cannot see make EMSE_mu unbounded at once.
    eigenvalues, eigenvectors = linalg.eigh(A_w)
    tolerance = eigenvalues.max() * A_w.shape[0] * np.finfo(float).eps
    seen = eigenvalues > tolerance
    null = eigenvectors[:, ~seen]
    if null.size and np.linalg.norm(A_u @ null) > tolerance * max(1.0, np.abs(A_u).max()):
        return 0.0
    basis = eigenvectors[:, seen]
    lam_max = linalg.eigh(basis.T @ A_u @ basis, basis.T @ A_w @ basis, eigvals_only=True)[-1]
    return float(1.0 / lam_max)


def sigma_curvature_bound(sigma: float, lam: float = 1.0) -> float:
    r"""Largest :math:`|g''(r)|` of the unwanted EMSE_σ term :math:`g(r)`.

    With :math:`q = \varphi_\sigma/(1-\varphi_\sigma)`,
    :math:`g''(r) = -2\lambda q\,(1 - r^2/(\sigma^2(1-\varphi_\sigma)))`, evaluated on a fine
    grid of :math:`r\in[0, 12\sigma]` (it vanishes beyond). Used to pick a gradient-descent step
    that cannot overshoot.

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
    density = _density(r, sigma)
    second = -2.0 * lam * density / (1 - density) * (1 - r**2 / (sigma**2 * (1 - density)))
    return float(np.max(np.abs(second)))


def emse_sigma_curvature_bound(Phi_wanted, Phi_unwanted, sigma: float,
                               lam: float = 1.0) -> float:
    r"""A bound :math:`L` on the curvature of EMSE_σ in θ, for the step :math:`1/L`.

    .. math::

        L = 2\lVert\Phi_w\rVert_2^2 + \max_r |g''(r)|\,\lVert\Phi_u\rVert_2^2 ,

    with :math:`g` the unwanted term (:func:`sigma_curvature_bound`): the Hessian is
    :math:`2\Phi_w^\top\Phi_w - \Phi_u^\top \mathrm{diag}(g''(r_u))\Phi_u`, whose norm is
    at most :math:`L`. Gradient descent with step :math:`1/L` cannot overshoot; it is the
    default step of :func:`emse.unlearn` with ``method="gd"``.

    Parameters
    ----------
    Phi_wanted, Phi_unwanted : array-like of shape (n_w, p), (n_u, p)
        Design rows of the wanted and unwanted data.
    sigma : float
        Scale, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    bound : float
    """
    Phi_w = check_features(Phi_wanted, "Phi_wanted")
    Phi_u = check_features(Phi_unwanted, "Phi_unwanted", n_features=Phi_w.shape[1])
    return float(2.0 * linalg.norm(Phi_w, 2) ** 2
                 + sigma_curvature_bound(sigma, lam) * linalg.norm(Phi_u, 2) ** 2)


def resolve_learning_rate(learning_rate, model, weighted_inputs) -> float:
    r"""A gradient method's step: ``learning_rate`` if given, else :math:`1/L`.

    :math:`L = \sum_k w_k L_k` bounds the curvature of :math:`\sum_k \pm w_k L(\theta; X_k)`,
    with :math:`L_k` the model's bound on the Hessian of its mean loss over :math:`X_k`
    (``loss_curvature_bound`` of the protocol). A step of :math:`1/L` cannot overshoot a
    descent on a convex part; on an ascent it is a step of known size.

    Parameters
    ----------
    learning_rate : float or None
        The caller's step, ``> 0``, or ``None`` for the default.
    model : emse.protocol.ParametricModel
        Supplies ``loss_curvature_bound(X)``; networks have none, and then ``learning_rate``
        must be given.
    weighted_inputs : sequence of (float, array-like)
        The weights :math:`w_k \ge 0` and inputs :math:`X_k` of the objective's mean losses.

    Returns
    -------
    learning_rate : float
    """
    if learning_rate is not None:
        return check_positive(learning_rate, "learning_rate")
    if not hasattr(model, "loss_curvature_bound"):
        raise ValueError(f"learning_rate must be given for a {type(model).__name__}: no bound "
                         f"on its loss's curvature is known, so there is no safe default step; "
                         f"got None.")
    return 1.0 / sum(weight * model.loss_curvature_bound(X) for weight, X in weighted_inputs)


def emse_mu_objective(Phi_wanted, y_wanted, Phi_unwanted, y_unwanted, mu: float):
    """Check the data once and return ``theta -> (EMSE_mu, gradient)``.

    The callable evaluates :func:`emse_mu_value_and_grad` without checking its arrays again: the
    form the optimisers of :func:`emse.unlearn` call in their loops.

    Parameters
    ----------
    Phi_wanted, Phi_unwanted : array-like of shape (n_w, p), (n_u, p)
        Design matrices.
    y_wanted, y_unwanted : array-like of shape (n_w,), (n_u,)
        Targets.
    mu : float
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    value_and_grad : callable
    """
    _, Phi_w, y_w, Phi_u, y_u = _check_design(None, Phi_wanted, y_wanted, Phi_unwanted,
                                              y_unwanted)
    return partial(_mu_value_and_grad, Phi_w=Phi_w, y_w=y_w, Phi_u=Phi_u, y_u=y_u,
                   mu=check_nonnegative(mu, "mu"))


def emse_sigma_objective(Phi_wanted, y_wanted, Phi_unwanted, y_unwanted, sigma: float,
                         lam: float = 1.0):
    """Check the data once and return ``theta -> (EMSE_sigma, gradient)``.

    Parameters
    ----------
    Phi_wanted, Phi_unwanted : array-like of shape (n_w, p), (n_u, p)
        Design matrices.
    y_wanted, y_unwanted : array-like of shape (n_w,), (n_u,)
        Targets.
    sigma : float
        Noise scale, ``> 1/sqrt(2*pi)``.
    lam : float, default=1.0
        Weight of the unwanted term, ``>= 0``.

    Returns
    -------
    value_and_grad : callable
    """
    _, Phi_w, y_w, Phi_u, y_u = _check_design(None, Phi_wanted, y_wanted, Phi_unwanted,
                                              y_unwanted)
    return partial(_sigma_value_and_grad, Phi_w=Phi_w, y_w=y_w, Phi_u=Phi_u, y_u=y_u,
                   sigma=check_sigma(sigma), lam=check_nonnegative(lam, "lam"))


def residual_objective(objective: str, *, sigma: float | None = None, mu: float | None = None,
                       lam: float = 1.0):
    """``(r_wanted, r_unwanted) -> (value, d/dr_wanted, d/dr_unwanted)`` of an EMSE form.

    The settings are checked once; the callable evaluates :func:`emse_mu_residual_grad` or
    :func:`emse_sigma_residual_grad` on residual arrays without checking them again, for the
    chain rule of models that are not linear in their parameters (:mod:`emse.neural_unlearn`).

    Parameters
    ----------
    objective : {"mu", "sigma"}
        Which form.
    sigma : float, default=None
        Scale of ``"sigma"``, ``> 1/sqrt(2*pi)``.
    mu : float, default=None
        Weight of ``"mu"``, ``>= 0``.
    lam : float, default=1.0
        Weight λ of the unwanted term of ``"sigma"``, ``>= 0``.

    Returns
    -------
    residual_value_and_grad : callable
    """
    if objective == "mu":
        return partial(_mu_residual_grad, mu=check_nonnegative(mu, "mu"))
    if objective == "sigma":
        return partial(_sigma_residual_grad, sigma=check_sigma(sigma),
                       lam=check_nonnegative(lam, "lam"))
    raise ValueError(f"objective must be one of ('mu', 'sigma'); got {objective!r}.")
