r"""Established unlearning methods to compare EMSE with.

* :func:`retrain` is exact unlearning by definition: the model the training algorithm gives on
  the retained data alone (the *oracle*).
* :func:`remove_exact` reaches the same least-squares / ridge solution without the retained data,
  by a Sherman-Morrison-Woodbury downdate of the stored normal equations.
* :func:`remove_newton` is the Newton (influence-function) removal step of Guo et al. (2020):
  exact for least squares, approximate for logistic regression; :func:`gradient_residual_norm`
  measures how far from optimal the result is on the retained data.
* :func:`gradient_ascent` (NegGrad) ascends the loss of the forget set; :func:`descent_ascent`
  (NegGrad+ / GradDiff) descends the retained loss while ascending the forget loss. With the
  squared loss and weight μ its objective is EMSE_μ.
* :class:`SISA` (defined in ``emse.sisa``) trains one model per disjoint shard and aggregates
  them; deleting a point retrains only the shard that held it (Bourtoule et al. 2021).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from ._validation import (
    check_fitted_model,
    check_nonnegative,
    check_positive_int,
    check_regression_data,
)
from .logistic import SoftmaxRegression, _hessian, _loss_and_grad, class_indices
from .losses import _check_data, _mean_loss_and_grad, get_parameters
from .models import PolynomialRegressor
from .optim import gradient_descent
from .sisa import SISA
from .unlearn import UnlearningResult

__all__ = [
    "SISA",
    "descent_ascent",
    "descent_ascent_objective",
    "gradient_ascent",
    "gradient_residual_norm",
    "remove_exact",
    "remove_newton",
    "retrain",
]

#: remove_exact refuses a removal when the smallest eigenvalue of I - H is at most this.
_SINGULAR = 1e-10


def _undetermined() -> ValueError:
    return ValueError("X_remove cannot be removed: without these points the retained data no "
                      "longer determine every parameter (G' is singular).")


def retrain(model, X_wanted, y_wanted):
    """Refit ``model``'s estimator from scratch on the retained data, in the same basis.

    The input domain of ``model`` is kept (``domain=model.domain_``), so the parameters of the
    retrained model are comparable entry by entry with those of ``model`` and of any unlearned
    model derived from it.

    Parameters
    ----------
    model : fitted PolynomialRegressor
        The model trained on all data (not modified).
    X_wanted : array-like of shape (n_w, n_features)
        Retained inputs.
    y_wanted : array-like of shape (n_w,)
        Retained targets.

    Returns
    -------
    oracle : PolynomialRegressor
        A new fitted model.
    """
    check_fitted_model(model)
    X_w, y_w = check_regression_data(X_wanted, y_wanted, "X_wanted", "y_wanted",
                                     n_features=model.n_features_in_)
    if X_w.shape[0] == 0:
        raise ValueError("X_wanted must hold at least one sample; got none.")
    return clone(model).set_params(domain=model.domain_).fit(X_w, y_w)


def remove_exact(model, X_remove, y_remove):
    r"""Delete training points from a least-squares / ridge fit without the retained data.

    With :math:`G = \Phi^\top\Phi + \alpha D^\top D` and :math:`b = \Phi^\top y` stored by the fit,
    removing the rows :math:`(\Phi_r, y_r)` gives :math:`G' = G - \Phi_r^\top\Phi_r` and
    :math:`b' = b - \Phi_r^\top y_r`. By the Sherman-Morrison-Woodbury identity the new solution
    is

    .. math::

        \theta' = \theta - G^{-1}\Phi_r^\top (I - \Phi_r G^{-1}\Phi_r^\top)^{-1}
                  (y_r - \Phi_r\theta),

    which solves a :math:`k\times k` system. When more points are removed than there are
    parameters (:math:`k > p`), the same downdate is solved in its :math:`p\times p` form,
    :math:`G'\theta' = b'`, by a Cholesky factorisation of :math:`G'`. Either way the cost is
    :math:`O(p^3 + k p^2 + \min(k, p)^3)` for :math:`k` removed points and :math:`p`
    parameters, independent of the number of retained points.

    Parameters
    ----------
    model : fitted PolynomialRegressor
        A model fitted by least squares (it must carry ``gram_`` and ``moment_``); not modified.
    X_remove : array-like of shape (k, n_features)
        Inputs of training points to delete. They must be points the model was trained on;
        this cannot be checked without the training data.
    y_remove : array-like of shape (k,)
        Their targets.

    Returns
    -------
    model : PolynomialRegressor
        A new fitted model equal (to rounding) to retraining without the removed points, with
        updated ``gram_``, ``moment_`` and ``n_samples_fit_`` so that removals can be chained.

    Raises
    ------
    ValueError
        If the removal leaves :math:`G'` singular, so that the retained data no longer determine
        every parameter: the smallest eigenvalue of :math:`I - \Phi_r G^{-1}\Phi_r^\top` (the
        identity minus the removed points' hat matrix, eigenvalues in :math:`[0, 1]`) is at most
        ``1e-10``. For one removed point this is a leverage of 1. Also on invalid input, naming
        the argument.
    """
    check_fitted_model(model)
    if getattr(model, "gram_", None) is None:
        raise ValueError("model must be a least-squares fit carrying gram_ and moment_; its "
                         "coefficients were set by with_coef, so there is nothing to downdate.")
    X_r, y_r = check_regression_data(X_remove, y_remove, "X_remove", "y_remove",
                                     n_features=model.n_features_in_)
    k = X_r.shape[0]
    if k == 0:
        raise ValueError("X_remove must hold at least one sample; got none.")
    if k >= model.n_samples_fit_:
        raise ValueError(f"X_remove must leave at least one training point; it has {k} of the "
                         f"model's {model.n_samples_fit_}.")
    Phi_r = model.design_matrix(X_r)
    gram = model.gram_ - Phi_r.T @ Phi_r  # G'
    moment = model.moment_ - Phi_r.T @ y_r  # b'
    try:
        gram_factor = linalg.cho_factor(model.gram_, check_finite=False)
    except linalg.LinAlgError as error:
        raise ValueError("model's training data do not determine every parameter (gram_ is "
                         "singular), so its fit is not unique and cannot be downdated."
                         ) from error
    # Refuse when the smallest eigenvalue of I - H, H = Phi_r G^{-1} Phi_r^T (eigenvalues in
    # [0, 1]), is at most _SINGULAR: then G' is singular and the retained data no longer
    # determine theta (k = 1: a point of leverage 1). Below 1, the eigenvalues of I - H (k x k)
    # and of G^{-1} G' (p x p) coincide, so each branch tests the smaller matrix.
    if k > Phi_r.shape[1]:
        smallest = linalg.eigh(gram, model.gram_, eigvals_only=True, subset_by_index=[0, 0],
                               check_finite=False)[0]
        if smallest <= _SINGULAR:
            raise _undetermined()
        try:
            coef = linalg.cho_solve(linalg.cho_factor(gram, check_finite=False), moment,
                                    check_finite=False)
        except linalg.LinAlgError as error:
            raise _undetermined() from error
    else:
        G_inv_Phi_rT = linalg.cho_solve(gram_factor, Phi_r.T, check_finite=False)
        capacitance = np.eye(k) - Phi_r @ G_inv_Phi_rT  # C = I - Phi_r G^{-1} Phi_r^T
        if linalg.eigvalsh(capacitance)[0] <= _SINGULAR:
            raise _undetermined()
        correction = linalg.solve(capacitance, y_r - Phi_r @ model.coef_, check_finite=False)
        coef = model.coef_ - G_inv_Phi_rT @ correction
    new = model.with_coef(coef)
    new.gram_ = gram
    new.moment_ = moment
    new.n_samples_fit_ = model.n_samples_fit_ - k
    return new


# --- Newton (influence-function) removal --------------------------------------------------


def _check_removal(model, X_remove, y_remove):
    """Validate a removal request against a model fitted by least squares or softmax."""
    if not isinstance(model, (PolynomialRegressor, SoftmaxRegression)):
        raise TypeError(f"model must be a PolynomialRegressor or a SoftmaxRegression; got "
                        f"{type(model).__name__}.")
    check_fitted_model(model)
    X_r, y_r = _check_data(model, X_remove, y_remove)
    k = X_r.shape[0]
    if k == 0:
        raise ValueError("X_remove must hold at least one sample; got none.")
    if k >= model.n_samples_fit_:
        raise ValueError(f"X_remove must leave at least one training point; it has {k} of the "
                         f"model's {model.n_samples_fit_}.")
    return X_r, y_r


def remove_newton(model, X_remove, y_remove):
    r"""Remove training points by one Newton step on the retained objective (influence removal).

    With :math:`J_r` the training objective of the retained data, :math:`\theta^\star` the
    trained parameters and :math:`\ell_i` the loss of removed point :math:`i`, the step of
    Guo et al. (2020) (the influence-function approximation of
    Koh and Liang (2017) applied to a whole batch) is

    .. math::

        \theta^- = \theta^\star + H_r^{-1}\sum_{i\in F}\nabla\ell_i(\theta^\star),
        \qquad H_r = \nabla^2 J_r(\theta^\star) = \nabla^2 J(\theta^\star)
                     - \sum_{i \in F}\nabla^2\ell_i(\theta^\star),

    because :math:`\nabla J_r(\theta^\star) = -\sum_{i\in F}\nabla\ell_i(\theta^\star)` when
    :math:`\theta^\star` minimises the full objective :math:`J`. The Hessian of :math:`J` is
    stored by the fit (``gram_`` of a least-squares fit, ``hessian_`` of a softmax fit), so no
    retained data are needed. For least squares :math:`J_r` is quadratic and the step lands on
    its minimiser: the result equals retraining. For logistic regression it is a first-order
    approximation whose error :func:`gradient_residual_norm` measures. Guo et al. make the
    removal *certified* by training with a random linear term added to the objective, which
    hides a bounded residual; no such noise is used here, so the step is not certified.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        Fitted by least squares (carrying ``gram_``) or by :class:`SoftmaxRegression` (carrying
        ``hessian_``); not modified.
    X_remove : array-like of shape (k, n_features)
        Inputs of training points to delete.
    y_remove : array-like of shape (k,)
        Their targets or labels.

    Returns
    -------
    model : PolynomialRegressor or SoftmaxRegression
        A new fitted model. Its ``gram_`` (least squares, exact) or ``hessian_`` (softmax, the
        retained Hessian at the *old* parameters, as the batch step uses it) is updated so that
        removals can be chained.
    """
    X_r, y_r = _check_removal(model, X_remove, y_remove)
    Phi_r = model.design_matrix(X_r)
    theta = get_parameters(model)
    if isinstance(model, PolynomialRegressor):
        if getattr(model, "gram_", None) is None:
            raise ValueError("model must be a least-squares fit carrying gram_; its "
                             "coefficients were set by with_coef.")
        y_r = y_r.astype(np.float64)
        # J = ||y - Phi theta||^2 + alpha ||D theta||^2: H = 2 gram_, grad l_i = -2 phi_i r_i,
        # so the step is theta - (gram_ - Phi_r^T Phi_r)^{-1} Phi_r^T r_r.
        gram_r = model.gram_ - Phi_r.T @ Phi_r
        step = _solve_spd(gram_r, -(Phi_r.T @ (y_r - Phi_r @ theta)))
        new = model.with_coef(theta + step)
        new.gram_, new.moment_ = gram_r, model.moment_ - Phi_r.T @ y_r
    else:
        if getattr(model, "hessian_", None) is None:
            raise ValueError("model must be a SoftmaxRegression fit carrying hessian_; its "
                             "coefficients were set by with_coef.")
        n_classes = model.classes_.size
        y_index = class_indices(model.classes_, y_r)
        hessian_r = model.hessian_ - _hessian(theta, Phi_r, n_classes, 0.0)
        grad_removed = _loss_and_grad(theta, Phi_r, y_index, n_classes, 0.0)[1]
        new = model.with_coef(theta + _solve_spd(hessian_r, grad_removed))
        new.hessian_ = hessian_r
    new.n_samples_fit_ = model.n_samples_fit_ - X_r.shape[0]
    return new


def _solve_spd(matrix, rhs):
    """Solve with a symmetric positive definite matrix, or explain why it is not."""
    try:
        factor = linalg.cho_factor(matrix, check_finite=False)
    except linalg.LinAlgError as error:
        raise ValueError("X_remove cannot be removed: without these points the retained "
                         "objective is not strictly convex (its Hessian is singular).") from error
    return linalg.cho_solve(factor, rhs, check_finite=False)


def gradient_residual_norm(model, X_retain, y_retain) -> float:
    r"""Norm of the gradient of the training objective on the retained data, at the model.

    :math:`\lVert\nabla J_r(\theta)\rVert_2` is zero exactly when :math:`\theta` is the
    retrained (oracle) solution, and it is the quantity the certified-removal guarantee of
    Guo et al. (2020) bounds. Here it is computed from the retained data, so it
    *measures* the error of an approximate removal rather than certifying it.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        The model to check; its penalty ``alpha`` defines :math:`J_r`.
    X_retain : array-like of shape (n_r, n_features)
        Retained inputs.
    y_retain : array-like of shape (n_r,)
        Their targets or labels.

    Returns
    -------
    norm : float
        Non-negative.
    """
    theta = get_parameters(model)
    X, y = _check_data(model, X_retain, y_retain)
    if X.shape[0] == 0:
        raise ValueError("X_retain must hold at least one sample; got none.")
    Phi = model.design_matrix(X)
    if isinstance(model, SoftmaxRegression):
        grad = _loss_and_grad(theta, Phi, class_indices(model.classes_, y),
                              model.classes_.size, float(model.alpha))[1]
    else:
        penalty = model._penalty_matrix()
        residual = y.astype(np.float64) - Phi @ theta
        grad = -2.0 * Phi.T @ residual + 2.0 * model.alpha * penalty.T @ (penalty @ theta)
    return float(np.linalg.norm(grad))


# --- Gradient ascent and descent-ascent ----------------------------------------------------


def _gradient_unlearning(model, value_and_grad, learning_rate, n_steps, objective):
    learning_rate = check_nonnegative(learning_rate, "learning_rate")
    if learning_rate == 0:
        raise ValueError("learning_rate must be > 0; got 0.")
    n_steps = check_positive_int(n_steps, "n_steps")
    res = gradient_descent(value_and_grad, get_parameters(model), learning_rate=learning_rate,
                           max_iter=n_steps, tol=0.0)
    if res.status == 2:
        warnings.warn(f"{objective} diverged after {res.nit} steps with learning_rate="
                      f"{learning_rate:.3g}; returning the last finite iterate.",
                      ConvergenceWarning, stacklevel=3)
    return UnlearningResult(model.with_coef(res.x), res.history, int(res.nit), res.status != 2,
                            res.message, objective, "gd")


def gradient_ascent(model, X_forget, y_forget, *, learning_rate: float,
                    n_steps: int = 10) -> UnlearningResult:
    r"""NegGrad: take gradient steps that *increase* the mean loss of the forget set.

    Minimises :math:`-L_F(\theta)` by ``n_steps`` steps of gradient descent from the trained
    parameters, where :math:`L_F` is the mean loss of ``emse.losses.mean_loss_and_grad``.
    The objective is unbounded below (for the squared loss, and for separable data under the
    cross-entropy), so the number of steps is the method's stopping rule: it is a common
    baseline (Golatkar et al. 2020; Maini et al. 2024), not a minimiser.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        The trained model; not modified.
    X_forget : array-like of shape (n_f, n_features)
        Inputs to forget.
    y_forget : array-like of shape (n_f,)
        Their targets or labels.
    learning_rate : float
        Step length, ``> 0``.
    n_steps : int, default=10
        Number of steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds :math:`-L_F` after every step; ``converged`` is false only if the
        ascent ran away (a ``ConvergenceWarning`` is then issued).
    """
    get_parameters(model)
    X_f, y_f = _check_data(model, X_forget, y_forget)
    if X_f.shape[0] == 0:
        raise ValueError("X_forget must hold at least one sample; got none.")
    Phi_f = model.design_matrix(X_f)

    def value_and_grad(theta):
        value, grad = _mean_loss_and_grad(model, theta, Phi_f, y_f)
        return -value, -grad

    return _gradient_unlearning(model, value_and_grad, learning_rate, n_steps, "neggrad")


def descent_ascent(model, X_retain, y_retain, X_forget, y_forget, *, mu: float,
                   learning_rate: float, n_steps: int = 100) -> UnlearningResult:
    r"""NegGrad+ / GradDiff: descend the retained loss while ascending the forget loss.

    Takes ``n_steps`` gradient steps on

    .. math::

        L_R(\theta) - \mu\, L_F(\theta),

    the mean losses of the retained and forget sets. This is the descent-ascent family of
    Kurmanji et al. (2023) (NegGrad+, which weights the two terms by :math:`\beta` and
    :math:`1-\beta`: the same direction with :math:`\mu = (1-\beta)/\beta`) and of the GradDiff
    baseline of Maini et al. (2024). For a :class:`emse.PolynomialRegressor` the mean
    losses are mean squared residuals, so the objective is exactly EMSE_μ and the iterates are
    those of ``emse.unlearn(..., objective="mu", method="gd")`` with the same step.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        The trained model; not modified.
    X_retain, y_retain : array-like of shape (n_r, n_features), (n_r,)
        Retained data.
    X_forget, y_forget : array-like of shape (n_f, n_features), (n_f,)
        Data to forget.
    mu : float
        Weight of the ascent term, ``>= 0``; ``mu=0`` is fine-tuning on the retained data.
    learning_rate : float
        Step length, ``> 0``.
    n_steps : int, default=100
        Number of steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the objective after every step.
    """
    get_parameters(model)
    value_and_grad = descent_ascent_objective(model, X_retain, y_retain, X_forget, y_forget, mu)
    return _gradient_unlearning(model, value_and_grad, learning_rate, n_steps, "graddiff")


def descent_ascent_objective(model, X_retain, y_retain, X_forget, y_forget, mu: float):
    r"""The descent-ascent objective :math:`L_R(\theta) - \mu L_F(\theta)` of ``model``.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        Supplies the design matrix and the per-example loss.
    X_retain, y_retain : array-like of shape (n_r, n_features), (n_r,)
        Retained data (at least one sample).
    X_forget, y_forget : array-like of shape (n_f, n_features), (n_f,)
        Data to forget (at least one sample).
    mu : float
        Weight of the ascent term, ``>= 0``.

    Returns
    -------
    value_and_grad : callable
        ``value_and_grad(theta) -> (value, grad)`` for flattened parameters ``theta``.
    """
    mu = check_nonnegative(mu, "mu")
    X_r, y_r = _check_data(model, X_retain, y_retain)
    X_f, y_f = _check_data(model, X_forget, y_forget)
    for X, name in ((X_r, "X_retain"), (X_f, "X_forget")):
        if X.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one sample; got none.")
    Phi_r, Phi_f = model.design_matrix(X_r), model.design_matrix(X_f)

    def value_and_grad(theta):
        value_r, grad_r = _mean_loss_and_grad(model, theta, Phi_r, y_r)
        value_f, grad_f = _mean_loss_and_grad(model, theta, Phi_f, y_f)
        return value_r - mu * value_f, grad_r - mu * grad_f

    return value_and_grad
