r"""L2-regularised softmax (multinomial logistic) regression with its gradient and Hessian.

The classifier of chapter 5, written out in numpy so that every quantity an unlearning method
needs (the objective, its gradient, its Hessian, per-example gradients) is available. With the
design row :math:`\phi(x) = (1, x)` and parameters :math:`\Theta \in \mathbb{R}^{p\times K}`
(:math:`p` = number of features + 1, :math:`K` classes), the logits are :math:`z = \phi(x)^\top
\Theta`, the class probabilities :math:`\pi = \mathrm{softmax}(z)`, and the fit minimises

.. math::

    J(\Theta) = \sum_{i=1}^n \ell_i(\Theta) + \frac{\alpha}{2}\lVert\Theta\rVert_F^2,
    \qquad \ell_i(\Theta) = \log\sum_k e^{z_{ik}} - z_{i y_i},

the sum form used by :class:`emse.PolynomialRegressor` (the penalty does not scale with
:math:`n`). The intercept row is penalised too, as in Guo et al. (2020): this makes
:math:`J` strictly convex, so its Hessian

.. math::

    \nabla^2 J = \sum_i \bigl(\mathrm{diag}(\pi_i) - \pi_i\pi_i^\top\bigr)
                 \otimes \phi_i\phi_i^\top + \alpha I

is positive definite. Parameters are flattened row-major, ``theta = coef_.ravel()``, so entry
``a * K + k`` is the weight of feature ``a`` for class ``k``. For :math:`K \ge 3` the objective is
the one ``sklearn.linear_model.LogisticRegression(C=1/alpha, fit_intercept=False)`` minimises on
``[1, X]``; for :math:`K = 2` the symmetric parametrisation halves the penalty on the one weight
vector scikit-learn fits, and the match is ``C=2/alpha``. The tests use both as independent
checks.
"""

from __future__ import annotations

import copy
from functools import partial
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._blas import crossprod, matmul
from ._lbfgs import minimize_preconditioned
from ._validation import (
    check_features,
    check_model_data,
    check_nonempty,
    check_nonnegative,
    check_parameters,
    encode_labels,
)
from .losses import cross_entropy_and_grad
from .protocol import ProtocolMixin, _check_weights

__all__ = [
    "SoftmaxRegression",
    "softmax_hessian",
    "softmax_loss_and_grad",
    "softmax_per_example_loss",
]


def _check_problem(theta, Phi, y_index, n_classes):
    Phi = check_features(Phi, "Phi")
    y_index = np.asarray(y_index)
    if y_index.ndim != 1 or y_index.shape[0] != Phi.shape[0]:
        raise ValueError(f"y_index must be 1-D with one entry per row of Phi ({Phi.shape[0]}); "
                         f"got shape {y_index.shape}.")
    if isinstance(n_classes, bool) or not isinstance(n_classes, Integral) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
    if y_index.size and (not np.issubdtype(y_index.dtype, np.integer)
                         or y_index.min() < 0 or y_index.max() >= n_classes):
        raise ValueError(f"y_index must hold integers in [0, {n_classes - 1}]; got values "
                         f"{np.unique(y_index)[:5].tolist()}...")
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (Phi.shape[1] * n_classes,):
        raise ValueError(f"theta must have shape ({Phi.shape[1] * n_classes},) = (p * K,); "
                         f"got {theta.shape}.")
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta must contain only finite values; got NaN or infinity.")
    return theta, Phi, y_index


def softmax_per_example_loss(theta, Phi, y_index, n_classes: int) -> np.ndarray:
    r"""Cross-entropy :math:`\ell_i = \log\sum_k e^{z_{ik}} - z_{iy_i}` of each example.

    Parameters
    ----------
    theta : array-like of shape (p * K,)
        Flattened parameters (``coef_.ravel()``).
    Phi : array-like of shape (n, p)
        Design rows :math:`\phi(x_i)`.
    y_index : array-like of int, shape (n,)
        Class index of each example, in ``[0, K)``.
    n_classes : int
        Number of classes K, ``>= 2``.

    Returns
    -------
    loss : ndarray of shape (n,)
        Non-negative losses.
    """
    theta, Phi, y_index = _check_problem(theta, Phi, y_index, n_classes)
    return cross_entropy_and_grad(matmul(Phi, theta.reshape(Phi.shape[1], n_classes)), y_index)[0]


def softmax_loss_and_grad(theta, Phi, y_index, n_classes: int, alpha: float = 0.0):
    r"""The objective :math:`J = \sum_i \ell_i + \frac{\alpha}{2}\lVert\theta\rVert^2`, gradient.

    .. math::

        \nabla J = \mathrm{vec}\bigl(\Phi^\top (\Pi - Y)\bigr) + \alpha\theta,

    with :math:`\Pi` the matrix of predicted probabilities and :math:`Y` the one-hot labels.

    Parameters
    ----------
    theta : array-like of shape (p * K,)
        Flattened parameters.
    Phi : array-like of shape (n, p)
        Design rows.
    y_index : array-like of int, shape (n,)
        Class indices in ``[0, K)``.
    n_classes : int
        Number of classes K, ``>= 2``.
    alpha : float, default=0.0
        L2 penalty, ``>= 0``. With ``alpha=0`` this is the summed cross-entropy alone.

    Returns
    -------
    value : float
    grad : ndarray of shape (p * K,)
    """
    theta, Phi, y_index = _check_problem(theta, Phi, y_index, n_classes)
    return _loss_and_grad(theta, Phi, y_index, n_classes, check_nonnegative(alpha, "alpha"))


def _loss_and_grad(theta, Phi, y_index, n_classes, alpha):
    """Unchecked objective and gradient (the optimiser's inner loop)."""
    losses, delta = cross_entropy_and_grad(matmul(Phi, theta.reshape(Phi.shape[1], n_classes)),
                                           y_index)
    value = np.sum(losses) + 0.5 * alpha * theta @ theta
    grad = crossprod(Phi, delta).ravel() + alpha * theta  # delta = Pi - Y
    return float(value), grad


def softmax_hessian(theta, Phi, n_classes: int, alpha: float = 0.0) -> np.ndarray:
    r"""The Hessian of :math:`J`, of shape (p K, p K).

    Row-major flattening makes entry ``(a K + k, b K + l)`` equal to
    :math:`\sum_i \phi_{ia}\phi_{ib}(\delta_{kl}\pi_{ik} - \pi_{ik}\pi_{il}) + \alpha\delta`.
    It does not depend on the labels.

    Parameters
    ----------
    theta : array-like of shape (p * K,)
        Flattened parameters.
    Phi : array-like of shape (n, p)
        Design rows.
    n_classes : int
        Number of classes K, ``>= 2``.
    alpha : float, default=0.0
        L2 penalty, ``>= 0``.

    Returns
    -------
    hessian : ndarray of shape (p * K, p * K)
        Symmetric; positive definite when ``alpha > 0``.
    """
    Phi = check_features(Phi, "Phi")
    theta, Phi, _ = _check_problem(theta, Phi, np.zeros(Phi.shape[0], dtype=int), n_classes)
    return _hessian(theta, Phi, n_classes, check_nonnegative(alpha, "alpha"))


def _hessian(theta, Phi, n_classes, alpha):
    n, p = Phi.shape
    probs = softmax(matmul(Phi, theta.reshape(p, n_classes)), axis=1)
    # - sum_i (pi_i kron phi_i)(pi_i kron phi_i)^T, with rows V_i[a K + k] = phi_ia pi_ik
    V = (Phi[:, :, None] * probs[:, None, :]).reshape(n, p * n_classes)
    hessian = -crossprod(V)
    blocks = hessian.reshape(p, n_classes, p, n_classes)  # a view: writes go to hessian
    for k in range(n_classes):  # + sum_i pi_ik phi_i phi_i^T on the (k, k) blocks
        blocks[:, k, :, k] += crossprod(Phi, probs[:, k, None] * Phi)
    hessian[np.diag_indices_from(hessian)] += alpha
    return hessian


class SoftmaxRegression(ProtocolMixin, ClassifierMixin, BaseEstimator):
    r"""L2-regularised multinomial logistic regression fitted by L-BFGS.

    Minimises :math:`\sum_i \ell_i(\Theta) + \frac{\alpha}{2}\lVert\Theta\rVert_F^2` (see the
    module docstring) and stores the Hessian at the minimiser, which Newton (influence) removal
    needs, as :class:`emse.PolynomialRegressor` stores ``gram_``.

    Parameters
    ----------
    alpha : float, default=1.0
        L2 penalty on every parameter including the intercept, ``> 0``. Equivalent to
        scikit-learn's ``C = 1/alpha`` (``C = 2/alpha`` for two classes) on ``[1, X]`` without
        a separate intercept.
    classes : array-like of shape (K,), default=None
        Class labels; ``None`` takes the labels present in ``y``. Fixing them keeps the
        parameter shape when a refit sees fewer classes (forgetting a whole class).
    max_iter : int, default=1000
        Largest number of L-BFGS iterations.
    tol : float, default=1e-8
        Stop when the gradient's largest entry is at most ``tol`` times ``1 + n``.
    store_hessian : bool, default=True
        Whether :meth:`fit` stores the Hessian, which Newton removal needs. Computing it costs
        :math:`O(n p^2 K^2)`, as much as the fit itself on the digits; a model that will only be
        retrained or predicted with can skip it (as scikit-learn's ``store_covariance``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features + 1, K)
        Row 0 is the intercept, row ``a + 1`` the weights of feature ``a``.
    classes_ : ndarray of shape (K,)
        Class labels.
    hessian_ : ndarray of shape ((n_features + 1) K, (n_features + 1) K) or None
        Hessian of the training objective at ``coef_``; ``None`` after :meth:`with_coef`, or
        when ``store_hessian`` is False.
    n_samples_fit_ : int
        Number of training samples.
    n_iter_ : int
        L-BFGS iterations taken.
    n_features_in_ : int
        Number of input features.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = SoftmaxRegression(alpha=0.1).fit(X, [0, 0, 1, 1])
    >>> model.predict([[0.2], [2.8]]).tolist()
    [0, 1]
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "classes": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "store_hessian": ["boolean"],
    }

    def __init__(self, alpha=1.0, *, classes=None, max_iter=1000, tol=1e-8, store_hessian=True):
        self.alpha = alpha
        self.classes = classes
        self.max_iter = max_iter
        self.tol = tol
        self.store_hessian = store_hessian

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the parameters by L-BFGS, starting from zero.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : SoftmaxRegression
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y) if self.classes is None else np.unique(self.classes)
        if self.classes_.size < 2:
            raise ValueError(f"y must hold at least 2 classes; got 1 class, "
                             f"{self.classes_.tolist()}.")
        y_index = encode_labels(self.classes_, y, "y")
        Phi = self.design_matrix(X)
        n_classes = self.classes_.size
        alpha = float(self.alpha)
        # the Hessian at zero is (Phi^T Phi / K + alpha I) on the class contrasts
        theta, self.n_iter_ = minimize_preconditioned(
            partial(_loss_and_grad, Phi=Phi, y_index=y_index, n_classes=n_classes, alpha=alpha),
            n_classes, Phi, curvature=1.0 / n_classes, alpha=alpha,
            max_iter=self.max_iter, gtol=self.tol * (1 + X.shape[0]))
        self.coef_ = theta.reshape(Phi.shape[1], n_classes)
        self.hessian_ = _hessian(theta, Phi, n_classes, alpha) if self.store_hessian else None
        self.n_samples_fit_ = X.shape[0]
        return self

    def design_matrix(self, X) -> np.ndarray:
        r"""The design rows :math:`\phi(x) = (1, x)`, of shape (n_samples, n_features + 1)."""
        check_is_fitted(self, "n_features_in_")
        X = check_features(X, "X", n_features=self.n_features_in_)
        return np.hstack([np.ones((X.shape[0], 1)), X])

    def logits(self, X) -> np.ndarray:
        r"""Logits :math:`z = \phi(x)^\top\Theta`, of shape (n_samples, K), for every K >= 2."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.design_matrix(X) @ self.coef_

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the logits), of shape (n_samples, K)."""
        return softmax(self.logits(X), axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithms of the class probabilities, computed stably."""
        logits = self.logits(X)
        return logits - logsumexp(logits, axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each input."""
        check_is_fitted(self, "coef_")
        return self.classes_[np.argmax(self.logits(X), axis=1)]

    # --- the model protocol (emse.protocol) ------------------------------------------------

    def flat_coef(self) -> np.ndarray:
        """The parameters flattened row-major, ``coef_.ravel()``, as a new array."""
        check_is_fitted(self, "coef_")
        return np.array(self.coef_, dtype=np.float64).ravel()

    def _problem(self, X, y):
        check_is_fitted(self, "coef_")
        X, y = check_model_data(self, X, y, "X", "y")
        return self.design_matrix(X), encode_labels(self.classes_, y, "y")

    def _theta(self, theta) -> np.ndarray:
        return check_parameters(theta, self.coef_.size)

    def loss_function(self, X, y):
        """``theta -> (mean cross-entropy over (X, y), gradient)``, the data checked once."""
        Phi, y_index = self._problem(X, y)
        n, n_classes = y_index.size, self.classes_.size

        def value_and_grad(theta):
            value, grad = _loss_and_grad(self._theta(theta), Phi, y_index, n_classes, 0.0)
            return value / n, grad / n

        return value_and_grad


    def objective_value_and_grad(self, theta, X, y):
        r"""The training objective :math:`J = \sum_i\ell_i + \frac{\alpha}{2}\lVert\theta\rVert^2`
        on ``(X, y)`` at ``theta``, and its gradient."""
        Phi, y_index = self._problem(X, y)
        return _loss_and_grad(self._theta(theta), Phi, y_index, self.classes_.size,
                              float(self.alpha))

    def loss_hessian(self, theta, X, y) -> np.ndarray:
        """The Hessian of the mean cross-entropy over ``(X, y)`` at ``theta`` (no penalty)."""
        Phi, _ = self._problem(X, y)
        return _hessian(self._theta(theta), Phi, self.classes_.size, 0.0) / Phi.shape[0]

    def loss_curvature_bound(self, X) -> float:
        r"""A bound on the mean cross-entropy's Hessian over ``X`` for every θ:
        :math:`\lambda_{\max}(\Phi^\top\Phi/n)/2`, because every
        :math:`\mathrm{diag}(\pi) - \pi\pi^\top` has eigenvalues at most :math:`1/2`."""
        check_is_fitted(self, "coef_")
        Phi = check_nonempty(self.design_matrix(X), "X")
        return 0.5 * float(np.linalg.norm(Phi, 2) ** 2) / Phi.shape[0]

    def per_example_loss_function(self, X, y):
        r"""``theta -> (losses, vjp)``: the cross-entropy of each example of ``(X, y)``, shape
        (n,), and ``vjp(weights)`` :math:`= \sum_i w_i\nabla\ell_i(\theta)
        = \mathrm{vec}\bigl(\Phi^\top \mathrm{diag}(w)(\Pi - Y)\bigr)`; the data checked once."""
        Phi, y_index = self._problem(X, y)
        n_classes = self.classes_.size

        def losses_and_vjp(theta):
            theta = self._theta(theta)
            losses, delta = cross_entropy_and_grad(
                matmul(Phi, theta.reshape(Phi.shape[1], n_classes)), y_index)  # delta = Pi - Y

            def vjp(weights):
                weighted = _check_weights(weights, losses.size)[:, None] * delta
                return crossprod(Phi, weighted).ravel()

            return losses, vjp

        return losses_and_vjp

    def loss_gradient_bound(self, X) -> float:
        r"""A bound on :math:`\lambda_{\max}\bigl(\frac1n\sum_i\nabla\ell_i\nabla\ell_i^\top\bigr)`
        over ``X`` for every θ: :math:`2\lambda_{\max}(\Phi^\top\Phi/n)`, because
        :math:`\nabla\ell_i = \phi_i\otimes(\pi_i - e_{y_i})` and
        :math:`\lVert\pi - e_y\rVert^2 = (1-\pi_y)^2 + \sum_{k\ne y}\pi_k^2 \le 2`."""
        check_is_fitted(self, "coef_")
        Phi = check_nonempty(self.design_matrix(X), "X")
        return 2.0 * float(np.linalg.norm(Phi, 2) ** 2) / Phi.shape[0]

    def training_hessian(self) -> np.ndarray:
        """The Hessian of the training objective at ``coef_``, stored by :meth:`fit`."""
        check_is_fitted(self, "coef_")
        if getattr(self, "hessian_", None) is None:
            raise ValueError("model must be a SoftmaxRegression fit carrying hessian_; its "
                             "coefficients were set by with_coef, or it was fitted with "
                             "store_hessian=False.")
        return self.hessian_

    def downdate(self, X_remove, y_remove, coef) -> SoftmaxRegression:
        """A copy with parameters ``coef`` whose stored Hessian leaves out some training points.

        The new ``hessian_`` is that of the retained objective at the *current* parameters
        (as a batch Newton step uses it), and ``n_samples_fit_`` drops by their number.

        Parameters
        ----------
        X_remove : array-like of shape (k, n_features)
            Training inputs to leave out (already checked by the caller).
        y_remove : array-like of shape (k,)
            Their labels.
        coef : array-like of shape ((n_features + 1) K,)
            Parameters of the copy.

        Returns
        -------
        model : SoftmaxRegression
        """
        hessian = self.training_hessian()
        Phi_r, _ = self._problem(X_remove, y_remove)
        new = self.with_coef(coef)
        new.hessian_ = hessian - _hessian(self.flat_coef(), Phi_r, self.classes_.size, 0.0)
        new.n_samples_fit_ = self.n_samples_fit_ - Phi_r.shape[0]
        return new

    def with_coef(self, coef) -> SoftmaxRegression:
        """A copy of this fitted model with other parameters (``hessian_`` set to ``None``).

        Parameters
        ----------
        coef : array-like of shape (n_features + 1, K) or ((n_features + 1) K,)
            New parameters; a flat vector is reshaped row-major.

        Returns
        -------
        model : SoftmaxRegression
            A new fitted estimator; ``self`` is unchanged.
        """
        check_is_fitted(self, "coef_")
        coef = np.array(coef, dtype=np.float64, copy=True)
        if coef.shape == (self.coef_.size,):
            coef = coef.reshape(self.coef_.shape)
        if coef.shape != self.coef_.shape:
            raise ValueError(f"coef must have shape {self.coef_.shape} or ({self.coef_.size},); "
                             f"got {coef.shape}.")
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef must contain only finite values; got NaN or infinity.")
        model = copy.deepcopy(self)
        model.coef_ = coef
        model.hessian_ = None
        return model
