r"""Established unlearning methods to compare EMSE with.

Every method works through the model protocol of :mod:`emse.protocol`, so each runs on every
model of the package that offers what it needs.

* :func:`retrain` is exact unlearning by definition: the model the training algorithm gives on
  the wanted data alone (the *oracle*).
* :func:`remove_exact` reaches the same least-squares / ridge solution without the wanted data,
  by a Sherman-Morrison-Woodbury downdate of the stored normal equations.
* :func:`remove_newton` is the Newton (influence-function) removal step of Guo et al. (2020):
  exact for least squares, approximate for logistic regression; :func:`gradient_residual_norm`
  measures how far from optimal the result is on the wanted data.
* :func:`gradient_ascent` (NegGrad) ascends the loss of the unwanted set; :func:`descent_ascent`
  (NegGrad+ / GradDiff) descends the wanted loss while ascending the unwanted loss. With the
  squared loss and weight μ its objective is EMSE_μ. Both work on networks too.
* :func:`npo`: Negative Preference Optimization (Zhang et al. 2024), a bounded relative of
  NegGrad for classifiers: it lowers the probability of each unwanted label relative to the
  trained model, and each example's push fades once its probability has dropped; optionally with
  a retain term on the wanted data.
* :func:`fine_tune`: plain gradient descent on the mean loss of some data, the attack of the
  relearning checks.
* :class:`~emse.sisa.SISA` (defined in ``emse.sisa``) trains one model per disjoint shard and
  aggregates them; deleting a point retrains only the shard that held it (Bourtoule et al. 2021).

The literature calls the wanted data the *retain set* and the unwanted data the *forget set*.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, special
from sklearn.base import clone, is_classifier

from ._validation import (
    check_model_data,
    check_nonnegative,
    check_parametric_model,
    check_positive,
    check_positive_int,
)
from .objectives import resolve_learning_rate
from .optim import UnlearningResult, gradient_descent, result_of
from .sisa import SISA

__all__ = [
    "SISA",
    "descent_ascent",
    "descent_ascent_objective",
    "fine_tune",
    "gradient_ascent",
    "gradient_residual_norm",
    "npo",
    "npo_objective",
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
    """Refit ``model``'s estimator from scratch on the wanted data, in the same basis.

    The refit keeps what makes parameters comparable entry by entry with those of ``model``
    and of any unlearned model derived from it: the input domain of a polynomial
    (``domain=model.domain_``) and the classes of a classifier (``classes=model.classes_``, so
    that forgetting a whole class keeps the output layer); every other hyper-parameter,
    ``random_state`` included, is cloned.

    Parameters
    ----------
    model : fitted estimator
        The model trained on all data (not modified).
    X_wanted : array-like of shape (n_w, n_features)
        Wanted inputs.
    y_wanted : array-like of shape (n_w,)
        Their targets or labels.

    Returns
    -------
    oracle : estimator
        A new fitted model of the same class.
    """
    check_parametric_model(model)
    X_w, y_w = check_model_data(model, X_wanted, y_wanted, "X_wanted", "y_wanted")
    params = model.get_params()
    same = {name: getattr(model, f"{name}_") for name in ("domain", "classes")
            if name in params and hasattr(model, f"{name}_")}
    return clone(model).set_params(**same).fit(X_w, y_w)


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
    model : PolynomialRegressor
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
    if not hasattr(model, "moment_") or not hasattr(model, "design_matrix"):
        raise TypeError(f"model must be a least-squares fit with stored normal equations "
                        f"(gram_, moment_), such as emse.PolynomialRegressor; got "
                        f"{type(model).__name__}.")
    X_r, y_r = _check_removal(model, X_remove, y_remove)
    k = X_r.shape[0]
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
    return model.downdate(X_r, y_r, coef)


# --- Newton (influence-function) removal --------------------------------------------------


def _check_removal(model, X_remove, y_remove):
    """Validate a removal request against a fitted model that stores its training Hessian."""
    check_parametric_model(model)
    if not hasattr(model, "training_hessian") or not hasattr(model, "downdate"):
        raise TypeError(f"model must store the Hessian of its training objective "
                        f"(training_hessian, downdate), as emse.PolynomialRegressor and "
                        f"emse.logistic.SoftmaxRegression do; got {type(model).__name__}.")
    model.training_hessian()
    X_r, y_r = check_model_data(model, X_remove, y_remove, "X_remove", "y_remove")
    k = X_r.shape[0]
    if k >= model.n_samples_fit_:
        raise ValueError(f"X_remove must leave at least one training point; it has {k} of the "
                         f"model's {model.n_samples_fit_}.")
    return X_r, y_r


def remove_newton(model, X_remove, y_remove):
    r"""Remove training points by one Newton step on the retained objective (influence removal).

    With :math:`J_r` the training objective of the wanted (retained) data,
    :math:`\theta^\star` the trained parameters and :math:`\ell_i` the loss of removed point
    :math:`i`, the step of Guo et al. (2020) (the influence-function approximation of
    Koh and Liang (2017) applied to a whole batch) is

    .. math::

        \theta^- = \theta^\star + H_r^{-1}\sum_{i\in F}\nabla\ell_i(\theta^\star),
        \qquad H_r = \nabla^2 J_r(\theta^\star) = \nabla^2 J(\theta^\star)
                     - \sum_{i \in F}\nabla^2\ell_i(\theta^\star),

    because :math:`\nabla J_r(\theta^\star) = -\sum_{i\in F}\nabla\ell_i(\theta^\star)` when
    :math:`\theta^\star` minimises the full objective :math:`J`. The Hessian of :math:`J` is
    stored by the fit (``model.training_hessian()``), so no retained data are needed; the
    removed points' gradients and Hessians come from the model protocol (``k`` times the mean
    loss's). For least squares :math:`J_r` is quadratic and the step lands on its minimiser: the
    result equals retraining. For logistic regression it is a first-order approximation whose
    error :func:`gradient_residual_norm` measures. Guo et al. make the removal *certified* by
    training with a random linear term added to the objective, which hides a bounded residual;
    no such noise is used here, so the step is not certified.

    Parameters
    ----------
    model : PolynomialRegressor or SoftmaxRegression
        A model that stores its training Hessian (``training_hessian``, ``downdate`` and
        ``loss_hessian`` of the protocol); not modified.
    X_remove : array-like of shape (k, n_features)
        Inputs of training points to delete.
    y_remove : array-like of shape (k,)
        Their targets or labels.

    Returns
    -------
    model : PolynomialRegressor or SoftmaxRegression
        A new fitted model whose stored statistics (``gram_`` of a least-squares fit, exact;
        ``hessian_`` of a softmax fit, at the *old* parameters, as the batch step uses it)
        leave out the removed points, so that removals can be chained.
    """
    X_r, y_r = _check_removal(model, X_remove, y_remove)
    theta, k = model.flat_coef(), X_r.shape[0]
    hessian_r = model.training_hessian() - k * model.loss_hessian(theta, X_r, y_r)
    grad_removed = k * model.loss_value_and_grad(theta, X_r, y_r)[1]
    return model.downdate(X_r, y_r, theta + _solve_spd(hessian_r, grad_removed))


def _solve_spd(matrix, rhs):
    """Solve with a symmetric positive definite matrix, or explain why it is not."""
    try:
        factor = linalg.cho_factor(matrix, check_finite=False)
    except linalg.LinAlgError as error:
        raise ValueError("X_remove cannot be removed: without these points the retained "
                         "objective is not strictly convex (its Hessian is singular).") from error
    return linalg.cho_solve(factor, rhs, check_finite=False)


def gradient_residual_norm(model, X_wanted, y_wanted) -> float:
    r"""Norm of the gradient of the training objective on the wanted data, at the model.

    :math:`\lVert\nabla J_w(\theta)\rVert_2`, with :math:`J_w` the objective the model's
    ``fit`` minimises (``objective_value_and_grad`` of the protocol: loss and penalty), is zero
    exactly when :math:`\theta` is a stationary point of retraining, the oracle's solution for a
    convex objective; it is the quantity the certified-removal guarantee of Guo et al. (2020)
    bounds. Here it is computed from the wanted data, so it *measures* the error of an
    approximate removal rather than certifying it.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        The model to check; its penalty defines :math:`J_w`.
    X_wanted : array-like of shape (n_w, n_features)
        Wanted (retained) inputs.
    y_wanted : array-like of shape (n_w,)
        Their targets or labels.

    Returns
    -------
    norm : float
        Non-negative.
    """
    check_parametric_model(model)
    X_w, y_w = check_model_data(model, X_wanted, y_wanted, "X_wanted", "y_wanted")
    grad = model.objective_value_and_grad(model.flat_coef(), X_w, y_w)[1]
    return float(np.linalg.norm(grad))


# --- Gradient ascent, descent-ascent and fine-tuning ---------------------------------------


def _descend(model, value_and_grad, learning_rate, max_iter, objective, *, stacklevel=4):
    """Fixed-budget gradient descent from the model's parameters (the budget is the rule).

    Plain :func:`emse.optim.gradient_descent`, without :func:`emse.optim.minimize`'s floor on
    the objective: NegGrad's objective is unbounded below by design, and only iterates that stop
    being finite or grow without bound count as divergence.
    """
    max_iter = check_positive_int(max_iter, "max_iter")
    res = gradient_descent(value_and_grad, model.flat_coef(), learning_rate=learning_rate,
                           max_iter=max_iter, tol=0.0)
    return result_of(model, res, objective, "gd", budget_is_rule=True, stacklevel=stacklevel)


def gradient_ascent(model, X_unwanted, y_unwanted, *, learning_rate: float | None = None,
                    max_iter: int = 10) -> UnlearningResult:
    r"""NegGrad: take gradient steps that *increase* the mean loss of the unwanted set.

    Minimises :math:`-L_u(\theta)` by ``max_iter`` steps of gradient descent from the trained
    parameters, where :math:`L_u` is the mean loss of the model protocol (squared residual or
    cross-entropy). The objective is unbounded below (for the squared loss, and for separable
    data under the cross-entropy), so the number of steps is the method's stopping rule: it is a
    common baseline (Golatkar et al. 2020; Maini et al. 2024), not a minimiser.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        The trained model (any model of ``emse``, networks included); not modified.
    X_unwanted : array-like of shape (n_u, n_features)
        Inputs to forget.
    y_unwanted : array-like of shape (n_u,)
        Their targets or labels.
    learning_rate : float, default=None
        Step length, ``> 0``. ``None`` takes :math:`1/L` with :math:`L` the model's bound on the
        curvature of :math:`L_u` (``loss_curvature_bound``); a network has none and needs it.
    max_iter : int, default=10
        Number of steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds :math:`-L_u` at the start and after every step; ``objective`` is
        ``"neggrad"``; ``converged`` is false only if the ascent ran away (a
        ``ConvergenceWarning`` is then issued).
    """
    check_parametric_model(model)
    loss_u = model.loss_function(*check_model_data(model, X_unwanted, y_unwanted, "X_unwanted",
                                                   "y_unwanted"))
    step = resolve_learning_rate(learning_rate, model, [(1.0, X_unwanted)])

    def value_and_grad(theta):
        value, grad = loss_u(theta)
        return -value, -grad

    return _descend(model, value_and_grad, step, max_iter, "neggrad")


def descent_ascent(model, X_wanted, y_wanted, X_unwanted, y_unwanted, *, mu: float,
                   learning_rate: float | None = None, max_iter: int = 100) -> UnlearningResult:
    r"""NegGrad+ / GradDiff: descend the wanted loss while ascending the unwanted loss.

    Takes ``max_iter`` gradient steps on

    .. math::

        L_w(\theta) - \mu\, L_u(\theta),

    the mean losses of the wanted and unwanted sets. This is the descent-ascent family of
    Kurmanji et al. (2023) (NegGrad+, which weights the two terms by :math:`\beta` and
    :math:`1-\beta`: the same direction with :math:`\mu = (1-\beta)/\beta`) and of the GradDiff
    baseline of Maini et al. (2024). For a :class:`emse.PolynomialRegressor` the mean losses are
    mean squared residuals, so the objective is exactly EMSE_μ and the iterates are those of
    ``emse.unlearn(..., objective="mu", method="gd")`` with the same step.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        The trained model (networks included); not modified.
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Wanted data (the literature's retain set).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget (the forget set).
    mu : float
        Weight of the ascent term, ``>= 0``.
    learning_rate : float, default=None
        Step length, ``> 0``. ``None`` takes :math:`1/(L_w + \mu L_u)` from the model's
        curvature bounds of the two mean losses (not available for networks).
    max_iter : int, default=100
        Number of steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the objective at the start and after every step; ``objective`` is
        ``"graddiff"``.
    """
    value_and_grad = descent_ascent_objective(model, X_wanted, y_wanted, X_unwanted, y_unwanted,
                                              mu)
    step = resolve_learning_rate(learning_rate, model, [(1.0, X_wanted), (mu, X_unwanted)])
    return _descend(model, value_and_grad, step, max_iter, "graddiff")


def descent_ascent_objective(model, X_wanted, y_wanted, X_unwanted, y_unwanted, mu: float):
    r"""The descent-ascent objective :math:`L_w(\theta) - \mu L_u(\theta)` of ``model``.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        Supplies the mean loss (``loss_function``).
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Wanted data (at least one sample).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget (at least one sample).
    mu : float
        Weight of the ascent term, ``>= 0``.

    Returns
    -------
    value_and_grad : callable
        ``value_and_grad(theta) -> (value, grad)`` for flat parameters ``theta``.
    """
    check_parametric_model(model)
    mu = check_nonnegative(mu, "mu")
    loss_w = model.loss_function(*check_model_data(model, X_wanted, y_wanted, "X_wanted",
                                                   "y_wanted"))
    loss_u = model.loss_function(*check_model_data(model, X_unwanted, y_unwanted, "X_unwanted",
                                                   "y_unwanted"))

    def value_and_grad(theta):
        value_w, grad_w = loss_w(theta)
        value_u, grad_u = loss_u(theta)
        return value_w - mu * value_u, grad_w - mu * grad_u

    return value_and_grad


def npo(model, X_unwanted, y_unwanted, *, beta: float = 0.1, X_wanted=None, y_wanted=None,
        retain_weight: float = 1.0, learning_rate: float | None = None,
        max_iter: int = 100) -> UnlearningResult:
    r"""NPO: Negative Preference Optimization (Zhang et al. 2024), with an optional retain term.

    Takes ``max_iter`` gradient steps from the trained parameters :math:`\theta_{\mathrm{ref}}`
    on

    .. math::

        L_{\mathrm{NPO}}(\theta) = \frac{2}{\beta}\,\frac{1}{n_u}\sum_{i=1}^{n_u}
            \log\Bigl(1 + r_i(\theta)^\beta\Bigr) + \lambda_r\,L_w(\theta),
        \qquad r_i(\theta) = \frac{\pi_\theta(y_i\mid x_i)}
                                   {\pi_{\mathrm{ref}}(y_i\mid x_i)}
                             = e^{\ell_i^{\mathrm{ref}} - \ell_i(\theta)},

    over the unwanted examples :math:`(x_i, y_i)`, where the reference model is the trained one
    (its losses :math:`\ell_i^{\mathrm{ref}}` are computed once), :math:`\ell_i = -\log\pi_y`
    is the per-example loss of the model protocol and :math:`L_w` the mean loss of the wanted
    data, present only when they are given (the retain-term variant, weight
    :math:`\lambda_r` = ``retain_weight``). This is the preference loss of DPO with only a
    dispreferred answer: each term falls as the unwanted label's probability drops below the
    reference's, and is bounded below by zero, where the loss of gradient ascent is not. Its
    gradient,

    .. math::

        \nabla L_{\mathrm{NPO}} = -\frac{1}{n_u}\sum_i w_i\nabla\ell_i(\theta)
            + \lambda_r\nabla L_w, \qquad w_i = \frac{2 r_i^\beta}{1 + r_i^\beta} \in (0, 2),

    is that of NegGrad (:func:`gradient_ascent`) with each example reweighted: at the start
    every :math:`w_i = 1`, as :math:`\beta\to 0` every :math:`w_i\to 1` (NegGrad again), and an
    example whose probability has already fallen gets :math:`w_i \approx 2r_i^\beta \to 0`, so
    it stops pushing. This is why Zhang et al. find that NPO drifts towards collapse
    exponentially more slowly than gradient ascent. The number of steps is the stopping rule, as
    for NegGrad.

    Parameters
    ----------
    model : SoftmaxRegression, NeuralClassifier or CertifiedClassifier
        A trained classifier with ``per_example_loss_function`` (:mod:`emse.protocol`); it is
        also the reference model; not modified. For a
        :class:`~emse.certified.CertifiedClassifier` the loss is its one-vs-rest logistic loss,
        so :math:`\pi = e^{-\ell}` is a product of binary probabilities, not a softmax.
    X_unwanted : array-like of shape (n_u, n_features)
        Inputs to forget.
    y_unwanted : array-like of shape (n_u,)
        Their labels.
    beta : float, default=0.1
        The inverse temperature :math:`\beta` of NPO, ``> 0``.
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,), default=None
        Wanted data for the retain term; both or neither.
    retain_weight : float, default=1.0
        Weight :math:`\lambda_r` of the retain term, ``>= 0``; not used without wanted data.
    learning_rate : float, default=None
        Step length, ``> 0``. ``None`` takes :math:`1/L` with
        :math:`L = \max\bigl(2L_u,\ \tfrac{\beta}{2}G_u + \lambda_r L_w\bigr)`, a bound on the
        absolute eigenvalues of the objective's Hessian for models with convex per-example
        losses (see Notes); it needs ``loss_curvature_bound`` and ``loss_gradient_bound``, which
        the linear classifiers have. A network has neither and needs ``learning_rate``.
    max_iter : int, default=100
        Number of steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds :math:`L_{\mathrm{NPO}}` at the start (:math:`\frac{2}{\beta}\log 2`
        plus the retain term) and after every step; ``objective`` is ``"npo"``, ``method``
        ``"gd"``; ``converged`` is false only if the run diverged (a ``ConvergenceWarning`` is
        then issued).

    Raises
    ------
    ValueError, TypeError
        On invalid input, naming the argument; ``TypeError`` for a model that is not a
        classifier with per-example losses.

    Notes
    -----
    With :math:`w_i` as above, the Hessian of the objective is

    .. math::

        -\frac{1}{n_u}\sum_i w_i\nabla^2\ell_i
        + \frac{\beta}{n_u}\sum_i w_i\bigl(1 - \tfrac{w_i}{2}\bigr)
          \nabla\ell_i\nabla\ell_i^\top + \lambda_r\nabla^2 L_w .

    When every :math:`\ell_i` is convex (the linear classifiers), the first term lies between
    :math:`-2L_u I` and 0 because :math:`w_i < 2`, with :math:`L_u` the bound of
    ``loss_curvature_bound(X_unwanted)``; the second between 0 and :math:`\frac{\beta}{2}G_u I`
    because :math:`w(1 - w/2) \le 1/2`, with :math:`G_u` the bound of
    ``loss_gradient_bound(X_unwanted)`` on the gradients' second moment; the third between 0
    and :math:`\lambda_r L_w I`. The Hessian's eigenvalues therefore lie in
    :math:`[-2L_u,\ \frac{\beta}{2}G_u + \lambda_r L_w]`. The curvature of the cross-entropy
    alone does not bound the second term (a confidently wrong prediction has a large gradient
    and a vanishing Hessian), hence the second bound.
    """
    checked = _check_npo(model, X_unwanted, y_unwanted, beta, X_wanted, y_wanted, retain_weight)
    step = _npo_learning_rate(learning_rate, model, *checked)
    return _descend(model, _npo_function(model, *checked), step, max_iter, "npo")


def npo_objective(model, X_unwanted, y_unwanted, *, beta: float = 0.1, X_wanted=None,
                  y_wanted=None, retain_weight: float = 1.0):
    r"""NPO's objective :math:`L_{\mathrm{NPO}}(\theta)` (see :func:`npo`), reference ``model``.

    Parameters
    ----------
    model, X_unwanted, y_unwanted, beta, X_wanted, y_wanted, retain_weight
        As :func:`npo`.

    Returns
    -------
    value_and_grad : callable
        ``value_and_grad(theta) -> (value, grad)`` for flat parameters ``theta``; at
        ``model.flat_coef()`` the value is :math:`\frac{2}{\beta}\log 2` plus the retain term.
    """
    return _npo_function(model, *_check_npo(model, X_unwanted, y_unwanted, beta, X_wanted,
                                            y_wanted, retain_weight))


def _check_npo(model, X_unwanted, y_unwanted, beta, X_wanted, y_wanted, retain_weight):
    """Validate NPO's arguments: ``(beta, X_u, y_u, X_w, y_w, retain_weight)``, checked; the
    wanted data are ``None`` (and ``retain_weight`` 0) without a retain term."""
    check_parametric_model(model)
    if not is_classifier(model) or not hasattr(model, "per_example_loss_function"):
        raise TypeError(f"model must be a classifier with per-example losses "
                        f"(per_example_loss_function of emse.protocol), such as SoftmaxRegression "
                        f"or NeuralClassifier; got {type(model).__name__}.")
    beta = check_positive(beta, "beta")
    retain_weight = check_nonnegative(retain_weight, "retain_weight")
    if (X_wanted is None) != (y_wanted is None):
        missing, given = ("X_wanted", "y_wanted") if X_wanted is None else ("y_wanted",
                                                                            "X_wanted")
        raise ValueError(f"{missing} must be given with {given} (the retain term needs both); "
                         f"got None.")
    X_u, y_u = check_model_data(model, X_unwanted, y_unwanted, "X_unwanted", "y_unwanted")
    if X_wanted is None:
        return beta, X_u, y_u, None, None, 0.0
    X_w, y_w = check_model_data(model, X_wanted, y_wanted, "X_wanted", "y_wanted")
    return beta, X_u, y_u, X_w, y_w, retain_weight


def _npo_function(model, beta, X_u, y_u, X_w, y_w, retain_weight):
    """NPO's ``value_and_grad`` on checked data, the reference losses computed once."""
    losses_u = model.per_example_loss_function(X_u, y_u)
    reference = losses_u(model.flat_coef())[0]  # l_i^ref = -log pi_ref(y_i | x_i)
    loss_w = None if X_w is None else model.loss_function(X_w, y_w)

    def value_and_grad(theta):
        losses, vjp = losses_u(theta)
        s = beta * (reference - losses)  # beta log r_i
        value = 2.0 / beta * np.mean(np.logaddexp(0.0, s))  # (2/beta) mean log(1 + r_i^beta)
        grad = -vjp(2.0 * special.expit(s) / reference.size)  # w_i = 2 r^b / (1 + r^b)
        if loss_w is not None:
            value_w, grad_w = loss_w(theta)
            value, grad = value + retain_weight * value_w, grad + retain_weight * grad_w
        return float(value), grad

    return value_and_grad


def _npo_learning_rate(learning_rate, model, beta, X_u, y_u, X_w, y_w, retain_weight) -> float:
    """The step of :func:`npo`: ``learning_rate``, or 1/L from the bound of its Notes."""
    if learning_rate is not None:
        return check_positive(learning_rate, "learning_rate")
    if not (hasattr(model, "loss_curvature_bound") and hasattr(model, "loss_gradient_bound")):
        raise ValueError(f"learning_rate must be given for NPO on a {type(model).__name__}: no "
                         f"bound on its loss's curvature and gradients is known, so there is no "
                         f"safe default step; got None.")
    ascent = 2.0 * model.loss_curvature_bound(X_u)  # -(1/n) sum w_i H_i >= -2 L_u
    descent = 0.5 * beta * model.loss_gradient_bound(X_u)  # beta w (1 - w/2) <= beta / 2
    if X_w is not None:
        descent += retain_weight * model.loss_curvature_bound(X_w)
    return 1.0 / max(ascent, descent)


def fine_tune(model, X, y, *, learning_rate: float | None = None,
              max_iter: int = 100) -> UnlearningResult:
    r"""Fine-tune: ``max_iter`` steps of gradient descent on the mean loss of ``(X, y)``.

    The attack of the relearning checks (Lynch et al. 2024; Deeb and Roger 2024): a few steps
    on some data, after which one asks what came back.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        The model to fine-tune; not modified.
    X : array-like of shape (n, n_features)
        Inputs.
    y : array-like of shape (n,)
        Their targets or labels.
    learning_rate : float, default=None
        Step length, ``> 0``; ``None`` takes :math:`1/L` from the model's curvature bound
        (not available for networks).
    max_iter : int, default=100
        Number of steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the mean loss at the start and after every step; ``objective`` is
        ``"fine-tune"``.
    """
    check_parametric_model(model)
    loss = model.loss_function(*check_model_data(model, X, y, "X", "y"))
    step = resolve_learning_rate(learning_rate, model, [(1.0, X)])
    return _descend(model, loss, step, max_iter, "fine-tune")
