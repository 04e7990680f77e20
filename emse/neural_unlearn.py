r"""EMSE unlearning for the networks of :mod:`emse.neural` (chapter 6).

A network is not linear in its parameters, so the chain rule replaces the design matrix: with
:math:`r = y - f_\theta(x)`,
:math:`\nabla_\theta\,\mathrm{EMSE} = -J_w^\top \partial_{r_w}\mathrm{EMSE}
- J_u^\top \partial_{r_u}\mathrm{EMSE}`, where :math:`J` is the Jacobian of the outputs. The
residual derivatives come from :func:`emse.objectives.emse_sigma_residual_grad` and
:func:`emse.objectives.emse_mu_residual_grad`; the products :math:`J^\top\delta` are backward
passes. Classifiers get the cross-entropy analogue of EMSE.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy import special
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._mlp import outputs_objective
from ._validation import check_model_data, encode_labels
from .losses import cross_entropy_and_grad
from .objectives import residual_objective
from .optim import UnlearningResult, minimize, result_of
from .unlearn import check_unlearning_options

__all__ = ["unlearn_network", "unlearning_objective"]


def _cross_entropy(z, t):
    """Summed -log p(t|x) and its derivative by the logits, p - onehot(t)."""
    losses, delta = cross_entropy_and_grad(z, t)
    return float(np.sum(losses)), delta


def _likelihood_forget(z_w, t_w, z_u, t_u, lam):
    """-sum_w log p(y|x) - lam sum_u log(1 - p(y|x)), and its derivatives by the logits."""
    value_w, delta_w = _cross_entropy(z_w, t_w)
    others = z_u.copy()
    others[np.arange(t_u.size), t_u] = -np.inf
    log_rest = special.logsumexp(others, axis=1)  # log of sum over k != y of e^{z_k}
    log_total = special.logsumexp(z_u, axis=1)
    value_u = -lam * np.sum(log_rest - log_total)  # log(1 - p_y) = log_rest - log_total
    delta_u = lam * (np.exp(z_u - log_total[:, None]) - np.exp(others - log_rest[:, None]))
    return float(value_w + value_u), [delta_w, delta_u]


def _weighted_cross_entropy(z_w, t_w, z_u, t_u, mu):
    """mean CE on wanted - mu mean CE on unwanted (descent-ascent), and its derivatives."""
    value_w, delta_w = _cross_entropy(z_w, t_w)
    value_u, delta_u = _cross_entropy(z_u, t_u)
    value = value_w / t_w.size - mu * value_u / t_u.size
    return float(value), [delta_w / t_w.size, -mu * delta_u / t_u.size]


def _residual_loss(core, y_w, y_u):
    """Lift a residual-level EMSE (value, d/dr_w, d/dr_u) to the network's outputs z."""
    def loss(z_w, z_u):
        value, g_w, g_u = core(y_w - z_w[:, 0], y_u - z_u[:, 0])
        return value, [-g_w[:, None], -g_u[:, None]]  # r = y - z, so d/dz = -d/dr
    return loss


def _check_unlearning(network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective, sigma,
                      mu, lam, method="lbfgs", learning_rate=None):
    if not hasattr(network, "sizes_") and not hasattr(network, "hidden_layer_sizes"):
        raise TypeError(f"network must be a fitted NeuralRegressor or NeuralClassifier; got "
                        f"{type(network).__name__}.")
    check_is_fitted(network, "coef_")
    classifier = is_classifier(network)
    parts = []
    for X, y, x_name, y_name in ((X_wanted, y_wanted, "X_wanted", "y_wanted"),
                                 (X_unwanted, y_unwanted, "X_unwanted", "y_unwanted")):
        X, y = check_model_data(network, X, y, x_name, y_name)
        parts += [X, encode_labels(network.classes_, y, y_name) if classifier else y]
    allowed = ("likelihood", "mu") if classifier else ("sigma", "mu")
    objective = allowed[0] if objective is None else objective
    if objective not in allowed:
        raise ValueError(f"objective must be one of {allowed} for a {type(network).__name__}; "
                         f"got {objective!r}.")
    sigma, mu, lam, learning_rate = check_unlearning_options(
        objective, sigma=sigma, mu=mu, lam=lam, method=method, learning_rate=learning_rate,
        objectives=allowed, methods=("lbfgs", "gd"))
    return parts, objective, sigma, mu, lam, learning_rate


def unlearning_objective(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *,
                         objective: str | None = None, sigma: float = 1.0,
                         mu: float | None = None, lam: float = 1.0):
    r"""The EMSE objective of a network as a function of its flat parameters.

    Regression (:class:`~emse.neural.NeuralRegressor`): ``"sigma"`` is
    :math:`\mathrm{EMSE}_\sigma`, ``"mu"`` is :math:`\mathrm{EMSE}_\mu` (chapter 2), with
    :math:`r = y - f_\theta(x)`. Classification (:class:`~emse.neural.NeuralClassifier`):
    ``"likelihood"`` is the cross-entropy analogue of EMSE_σ,
    :math:`-\sum_w \log p_\theta(y\mid x) - \lambda\sum_u \log(1 - p_\theta(y\mid x))`, bounded
    below by zero; ``"mu"`` is :math:`\overline{\mathrm{CE}}_w - \mu\,\overline{\mathrm{CE}}_u`
    (means), the descent-ascent form, unbounded below.

    Parameters
    ----------
    network : NeuralRegressor or NeuralClassifier
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Data to keep (targets, or labels from ``network.classes_``).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget.
    objective : {"sigma", "mu"} or {"likelihood", "mu"}, default=None
        ``None`` means ``"sigma"`` for a regressor and ``"likelihood"`` for a classifier.
    sigma : float, default=1.0
        Scale of EMSE_σ, ``> 1/sqrt(2*pi)``; used by ``"sigma"`` only.
    mu : float, default=None
        Weight of the ``"mu"`` forms, ``>= 0``; required for them and refused otherwise.
    lam : float, default=1.0
        Weight λ of the unwanted term of ``"sigma"`` and ``"likelihood"``, ``>= 0``.

    Returns
    -------
    value_and_grad : callable
        ``value_and_grad(theta) -> (value, grad)`` for ``theta`` of shape
        ``network.coef_.shape``.
    """
    checked = _check_unlearning(network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective,
                                sigma, mu, lam)
    return _objective(network, *checked[:-1])


def _objective(network, parts, objective, sigma, mu, lam):
    X_w, y_w, X_u, y_u = parts
    if not is_classifier(network):
        loss = _residual_loss(residual_objective(objective, sigma=sigma, mu=mu, lam=lam), y_w,
                              y_u)
    elif objective == "mu":
        loss = partial(_labelled, _weighted_cross_entropy, y_w, y_u, mu)
    else:
        loss = partial(_labelled, _likelihood_forget, y_w, y_u, lam)
    return partial(outputs_objective, sizes=network.sizes_, activation=network.activation,
                   inputs=[X_w, X_u], loss=loss)


def _labelled(core, t_w, t_u, weight, z_w, z_u):
    return core(z_w, t_w, z_u, t_u, weight)


def unlearn_network(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *,
                    objective: str | None = None, sigma: float = 1.0, mu: float | None = None,
                    lam: float = 1.0, method: str = "lbfgs", max_iter: int = 1000,
                    tol: float = 1e-6, learning_rate: float | None = None) -> UnlearningResult:
    r"""Move a trained network's parameters to a (local) minimiser of an EMSE objective.

    The sibling of :func:`emse.unlearn` for networks: it starts from ``network.coef_`` and
    minimises :func:`unlearning_objective` over all parameters. The objective is not convex, so
    the result is a local minimiser that depends on the start. For the ``"mu"`` forms there is
    no critical weight to check in advance (the bound of :func:`emse.critical_mu` belongs to a
    fixed design matrix, and a network moves its features): a run that diverges is reported
    (``converged=False`` and a ``ConvergenceWarning``, with the last finite iterate), never
    returned as NaN.

    Parameters
    ----------
    network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective, sigma, mu, lam
        As :func:`unlearning_objective`; ``network`` is not modified.
    method : {"lbfgs", "gd"}, default="lbfgs"
        scipy's L-BFGS-B, or plain gradient descent.
    max_iter : int, default=1000
        Largest number of iterations, ``>= 1``.
    tol : float, default=1e-6
        Stop when the gradient's largest entry is at most ``tol``.
    learning_rate : float, default=None
        Step of ``method="gd"`` (required there: no safe step is known for a network); not
        used by ``"lbfgs"``.

    Returns
    -------
    result : emse.UnlearningResult
        ``model`` is a new fitted network.

    Raises
    ------
    ValueError, TypeError
        On invalid input, naming the argument.
    """
    parts, objective, sigma, mu, lam, learning_rate = _check_unlearning(
        network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective, sigma, mu, lam, method,
        learning_rate)
    if method == "gd" and learning_rate is None:
        raise ValueError("learning_rate must be given for method='gd' on a network; got None.")
    fun = _objective(network, parts, objective, sigma, mu, lam)
    res = minimize(fun, network.flat_coef(), method=method, max_iter=max_iter, tol=tol,
                   learning_rate=learning_rate, ftol=None)
    return result_of(network, res, objective, method)
