r"""Certified removal (Guo et al. 2020): objective perturbation, Newton deletion, a budget.

:class:`CertifiedClassifier` is L2-regularised one-vs-rest logistic regression trained on a
*perturbed* objective. For each class :math:`k` it fits a binary classifier
:math:`w_k \in \mathbb{R}^p` with labels :math:`s_{ik} = +1` if :math:`y_i = k` and :math:`-1`
otherwise, minimising

.. math::

    J_k(w) = \sum_{i=1}^n \ell(s_{ik}\, w^\top x_i) + \frac{\alpha}{2}\lVert w\rVert^2
             + b_k^\top w, \qquad \ell(z) = \log(1 + e^{-z}),
    \qquad b_k \sim \mathcal N(0, \sigma^2 I_p),

with one random vector :math:`b_k` drawn per class at training time. Deleting training points
takes the Newton step of :func:`emse.baselines.remove_newton` on the retained objective. The step
is not exact, and the gradient residual :math:`\lVert\nabla J_k(w^-_k; D')\rVert` it leaves is
what the noise hides: Guo et al. (2020, Theorem 3) show that if that residual is at most
:math:`\varepsilon'` and :math:`\sigma = c\,\varepsilon'/\varepsilon` with
:math:`c = \sqrt{2\log(1.5/\delta)}`, the model after removal is :math:`(\varepsilon,
\delta)`-indistinguishable from one trained on the retained data alone: *certified removal*.

The residual is not computed from the retained data (that would defeat the purpose); it is bounded
by the data-dependent bound of Guo et al. (2020, Corollary 1),

.. math::

    \lVert\nabla J_k(w^-_k; D')\rVert_2 \le \gamma\, \lVert X'\rVert_2\,
    \lVert H_k^{-1}\Delta_k\rVert_2\, \lVert X' H_k^{-1}\Delta_k\rVert_2 ,

with :math:`H_k^{-1}\Delta_k = w^-_k - w^\star_k` the Newton step, :math:`X'` the retained inputs
and :math:`\gamma = 1/4` a Lipschitz constant of :math:`\ell''` (we use the norm of the inputs
at the last training for :math:`\lVert X'\rVert_2`, which it bounds). The bounds of successive
deletions add up; when the sum would exceed the budget :math:`\varepsilon'` the model retrains from
scratch on the retained data with fresh noise, and the budget starts again.

Assumptions, as in Guo et al.: the loss is convex and :math:`\ell''` is :math:`\gamma`-Lipschitz
(true for the logistic loss), and every input has :math:`\lVert x\rVert_2 \le 1`. The model
divides its inputs by ``norm_bound``, which must bound every input norm; it should be a property of
the input space (8 for 64 pixels in :math:`[0, 1]`), not of the training data, or deleting the
point that sets it would change the scale. The constants bound the loss *gradient* through
:math:`\lVert x\rVert \le 1`, not the raw input norm. With :math:`K` classes each binary model
gets :math:`(\varepsilon/K, \delta/K)` and the classifier is
:math:`(\varepsilon, \delta)`-certified by basic composition (the :math:`K` noise vectors are
independent). Guo et al. scale the penalty with :math:`n` (:math:`\lambda n/2\,\lVert
w\rVert^2`); this class keeps :math:`\alpha` fixed, as :class:`emse.logistic.SoftmaxRegression`
does, which changes neither the step nor the bound. There is no intercept: append a constant
feature (and count it in ``norm_bound``) if one is needed.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy import linalg, optimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._blas import crossprod, matmul
from ._validation import check_indices, check_model_data, check_parameters, encode_labels
from .baselines import _solve_spd
from .protocol import ProtocolMixin, _check_weights

__all__ = ["CertifiedClassifier", "noise_scale_factor"]

#: Lipschitz constant of the logistic loss's second derivative used by Guo et al. (2020).
GAMMA = 0.25


def noise_scale_factor(delta: float) -> float:
    r"""The factor :math:`c = \sqrt{2\log(1.5/\delta)}` of Guo et al.'s Gaussian mechanism.

    Noise of standard deviation :math:`\sigma = c\,\varepsilon'/\varepsilon` hides a gradient
    residual of norm at most :math:`\varepsilon'` with :math:`(\varepsilon, \delta)`.

    Parameters
    ----------
    delta : float
        Strictly between 0 and 1.5.

    Returns
    -------
    c : float

    Examples
    --------
    >>> round(noise_scale_factor(1e-4), 3)
    4.385
    """
    if isinstance(delta, bool) or not isinstance(delta, Real) or not 0 < delta < 1.5:
        raise ValueError(f"delta must be a number strictly between 0 and 1.5; got {delta!r}.")
    return float(np.sqrt(2.0 * np.log(1.5 / delta)))


class CertifiedClassifier(ProtocolMixin, ClassifierMixin, BaseEstimator):
    r"""One-vs-rest logistic regression with certified removal of training points.

    See the module docstring for the objective, the guarantee and its assumptions.

    Parameters
    ----------
    alpha : float, default=1.0
        L2 penalty, ``> 0`` (it makes every :math:`J_k` strongly convex).
    epsilon : float, default=1.0
        The guarantee's :math:`\varepsilon`, ``> 0``.
    delta : float, default=1e-4
        The guarantee's :math:`\delta`, strictly between 0 and 1.
    sigma : float, default=1.0
        Standard deviation of the objective perturbation, ``>= 0``; ``0`` trains without noise
        and certifies nothing.
    budget : "auto" or float, default="auto"
        The residual budget :math:`\varepsilon'` of each binary model. ``"auto"`` is
        :math:`\sigma\,(\varepsilon/K)/c` with :math:`c` of :func:`noise_scale_factor` at
        :math:`\delta/K` (:math:`K = 1` for two classes), the largest residual the noise hides;
        a number overrides it (``inf`` never retrains, and then no guarantee holds).
    norm_bound : float, default=None
        A bound on the norm of every input; inputs are divided by it so that
        :math:`\lVert x\rVert \le 1`. ``None`` takes the largest training norm (a data-dependent
        scale, for experiments only: the guarantee assumes a fixed bound).
    max_iter : int, default=1000
        Largest number of L-BFGS iterations of a fit.
    tol : float, default=1e-10
        L-BFGS stops when the gradient's largest entry is at most ``tol`` times ``1 + n``.
    random_state : int or None, default=0
        Seed of the noise; every retraining draws fresh noise from it.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, M)
        The weights :math:`w_k` as columns (on inputs divided by ``scale_``), one per binary
        model: :math:`M = K` for :math:`K \ge 3` classes, and :math:`M = 1` for two classes,
        which need one binary model (class 1 against class 0).
    classes_ : ndarray of shape (K,)
    noise_ : ndarray of shape (n_features, K)
        The perturbation :math:`b_k` of the current training, as columns.
    hessian_ : ndarray of shape (K, n_features, n_features)
        The Hessian of each :math:`J_k` at the current parameters (retained objective after a
        deletion).
    scale_ : float
        The divisor of the inputs.
    budget_ : float
        The residual budget :math:`\varepsilon'` of each binary model.
    residual_bound_ : ndarray of shape (K,)
        The gradient-residual bound accumulated since the last training, per class (it starts
        at the residual the L-BFGS fit itself leaves).
    n_trainings_ : int
        Trainings from scratch so far (1 after :meth:`fit`, more after deletions that exceeded
        the budget).
    n_deleted_ : int
        Points deleted since :meth:`fit`.
    X_, y_ : ndarray
        The training data still held (the model keeps it, to retrain when the budget runs out).
    n_iter_ : int
        L-BFGS iterations of the last training.
    data_norm_ : float
        The spectral norm of the (scaled) inputs at the last training, which bounds that of
        the retained inputs after any deletion.
    n_samples_fit_, n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-0.5, 0.5, size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model = CertifiedClassifier(alpha=0.1, sigma=0.1, norm_bound=1.0).fit(X, y)
    >>> smaller = model.delete([0, 1])
    >>> smaller.n_samples_fit_, bool(smaller.budget_left_ >= 0)
    (58, True)
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "sigma": [Interval(Real, 0, None, closed="left")],
        "budget": [StrOptions({"auto"}), Interval(Real, 0, None, closed="both")],
        "norm_bound": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, alpha=1.0, *, epsilon=1.0, delta=1e-4, sigma=1.0, budget="auto",
                 norm_bound=None, max_iter=1000, tol=1e-10, random_state=0):
        self.alpha = alpha
        self.epsilon = epsilon
        self.delta = delta
        self.sigma = sigma
        self.budget = budget
        self.norm_bound = norm_bound
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # --- training --------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the perturbed one-vs-rest objective from scratch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, each of norm at most ``norm_bound``.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : CertifiedClassifier
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise ValueError(f"y must hold at least 2 classes; got {self.classes_.size} "
                             f"class(es), {self.classes_.tolist()}.")
        norms = np.linalg.norm(X, axis=1)
        largest = float(norms.max())
        if self.norm_bound is None:
            self.scale_ = largest if largest > 0 else 1.0
        else:
            if largest > self.norm_bound * (1 + 1e-12):
                raise ValueError(f"X must have every row's norm at most norm_bound = "
                                 f"{self.norm_bound}; got a row of norm {largest:.6g}.")
            self.scale_ = float(self.norm_bound)
        self.X_, self.y_ = X.copy(), y.copy()
        self.n_trainings_, self.n_deleted_ = 0, 0
        return self._train()

    def _train(self):
        """Fit on ``X_, y_`` with fresh noise; reset the residual account."""
        X, n_classes = self.X_ / self.scale_, self._n_models()
        signs = self._signs(self.y_)
        rng = np.random.default_rng(None if self.random_state is None
                                    else (self.random_state, self.n_trainings_))
        self.noise_ = self.sigma * rng.standard_normal((X.shape[1], n_classes))
        res = optimize.minimize(
            self._objective, np.zeros(X.shape[1] * n_classes), args=(X, signs), jac=True,
            method="L-BFGS-B", options={"maxiter": self.max_iter,
                                        "gtol": self.tol * (1 + X.shape[0]),
                                        "ftol": 10 * np.finfo(float).eps})
        theta, self.n_iter_ = res.x, int(res.nit)
        self.coef_ = theta.reshape(n_classes, -1).T
        self.hessian_ = self._class_hessians(theta, X)
        self.n_samples_fit_ = X.shape[0]
        self.data_norm_ = float(np.linalg.norm(X, 2))
        self.n_trainings_ += 1
        residual = self._objective(theta, X, signs)[1].reshape(n_classes, -1)
        self.residual_bound_ = np.linalg.norm(residual, axis=1)
        self.budget_ = self._budget()
        return self

    def _budget(self) -> float:
        return self._budget_from_noise() if self.budget == "auto" else float(self.budget)

    def _n_models(self) -> int:
        """Binary models: one for two classes (class 1 against class 0), else one per class."""
        return 1 if self.classes_.size == 2 else self.classes_.size

    def _signs(self, y) -> np.ndarray:
        """The one-vs-rest labels s_ik in {-1, +1}, of shape (n, number of binary models)."""
        index = encode_labels(self.classes_, y, "y")
        if self._n_models() == 1:
            return np.where(index == 1, 1.0, -1.0)[:, None]
        signs = -np.ones((index.size, self.classes_.size))
        signs[np.arange(index.size), index] = 1.0
        return signs

    def _objective(self, theta, X, signs, *, perturbed=True, penalised=True):
        """Sum over classes of J_k (loss, penalty and noise as asked) and its gradient."""
        W = theta.reshape(self._n_models(), -1).T  # (p, K)
        margins = signs * matmul(X, W)
        value = -np.sum(log_expit(margins))
        grad = -crossprod(X, signs * expit(-margins))  # d/dz log(1 + e^{-z}) = -sigmoid(-z)
        if penalised:
            value += 0.5 * self.alpha * np.sum(W**2)
            grad = grad + self.alpha * W
        if perturbed:
            value += np.sum(self.noise_ * W)
            grad = grad + self.noise_
        return float(value), grad.T.ravel()

    def _class_hessians(self, theta, X, *, penalised=True) -> np.ndarray:
        """H_k = sum_i l''(z_ik) x_i x_i^T (+ alpha I), of shape (K, p, p)."""
        Z = matmul(X, theta.reshape(self._n_models(), -1).T)
        curvature = expit(Z) * expit(-Z)  # l'' is the same for both signs
        hessians = np.stack([crossprod(X, curvature[:, k, None] * X)
                             for k in range(curvature.shape[1])])
        if penalised:
            hessians += self.alpha * np.eye(X.shape[1])
        return hessians

    # --- prediction ------------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """The scores :math:`w_k^\\top x` (inputs divided by ``scale_``), shape (n, K); for two
        classes the one score of class 1 against class 0, shape (n,)."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = (X / self.scale_) @ self.coef_
        return scores[:, 0] if self._n_models() == 1 else scores

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities: :math:`\\sigma(w^\\top x)` for class 1 of two, otherwise the
        one-vs-rest :math:`\\sigma(w_k^\\top x)` normalised to sum to one."""
        proba = expit(self.decision_function(X))
        if proba.ndim == 1:
            return np.column_stack([1.0 - proba, proba])
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The class with the largest score."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    # --- the guarantee -----------------------------------------------------------------------

    @property
    def guarantee_(self) -> tuple[float, float] | None:
        """``(epsilon, delta)`` while the budget holds and noise was used; ``None`` otherwise."""
        check_is_fitted(self, "coef_")
        if self.sigma == 0 or not np.isfinite(self.budget_) or self.budget_left_ < 0:
            return None
        if self.budget != "auto" and self.budget_ > self._budget_from_noise():
            return None
        return float(self.epsilon), float(self.delta)

    def _budget_from_noise(self) -> float:
        n_classes = self._n_models()
        return float(self.sigma * (self.epsilon / n_classes)
                     / noise_scale_factor(self.delta / n_classes))

    @property
    def budget_left_(self) -> float:
        """The smallest remaining residual budget over the classes, ``budget_ - bound``."""
        check_is_fitted(self, "coef_")
        return float(self.budget_ - np.max(self.residual_bound_))

    # --- deletion ----------------------------------------------------------------------------

    def delete(self, indices) -> CertifiedClassifier:
        """Delete training points by index: a Newton step, or a retraining if over budget.

        Parameters
        ----------
        indices : array-like of int
            Distinct positions of the points in the current training data ``X_``.

        Returns
        -------
        model : CertifiedClassifier
            A new fitted model; ``self`` is unchanged. Its ``residual_bound_`` holds the
            accumulated bound; if the Newton step would have exceeded the budget, it is instead
            a fresh training on the retained data (``n_trainings_`` one higher).
        """
        check_is_fitted(self, "coef_")
        n = self.y_.size
        indices = check_indices(indices, n)
        keep = np.ones(n, dtype=bool)
        keep[indices] = False
        if np.unique(self.y_[keep]).size < self.classes_.size:
            raise ValueError("indices must leave at least one point of every class.")
        new = self._newton_removal(self.X_[indices], self.y_[indices])
        new.X_, new.y_ = self.X_[keep], self.y_[keep]
        new.n_deleted_ = self.n_deleted_ + indices.size
        step = (new.flat_coef() - self.flat_coef()).reshape(self._n_models(), -1)
        X_kept = new.X_ / self.scale_
        # ||X'||_2 <= ||X||_2 of the data at the last training: deleting rows cannot raise it
        bound = GAMMA * self.data_norm_ * np.linalg.norm(step, axis=1) * np.linalg.norm(
            X_kept @ step.T, axis=0)
        new.residual_bound_ = self.residual_bound_ + bound
        if np.max(new.residual_bound_) > new.budget_:
            new.hessian_ = None
            return new._train()
        return new

    def _newton_removal(self, X_remove, y_remove) -> CertifiedClassifier:
        """:func:`emse.baselines.remove_newton`, one binary model at a time.

        The Hessian is block diagonal (the binary models share no parameter), so the step
        solves K systems of size p instead of one of size p K: the same step, K^2 times cheaper.
        """
        self.training_hessian()
        X_r, signs = self._data(X_remove, y_remove)
        theta = self.flat_coef()
        # the removed points' summed loss gradient, without penalty or noise, class by class
        grad = self._objective(theta, X_r, signs, perturbed=False, penalised=False)[1]
        hessians = self.hessian_ - self._class_hessians(theta, X_r, penalised=False)
        step = np.concatenate([_solve_spd(hessian, g) for hessian, g in
                               zip(hessians, grad.reshape(self._n_models(), -1), strict=True)])
        return self.downdate(X_remove, y_remove, theta + step)

    # --- the model protocol (emse.protocol) ------------------------------------------------

    def flat_coef(self) -> np.ndarray:
        """The parameters class by class, ``coef_.T.ravel()``, as a new array."""
        check_is_fitted(self, "coef_")
        return np.array(self.coef_.T, dtype=np.float64).ravel()

    def with_coef(self, coef) -> CertifiedClassifier:
        """A fitted copy with other parameters (flat, class by class, or of ``coef_``'s shape).

        The copy keeps the training data, the noise and the residual account; its ``hessian_``
        is ``None``.
        """
        check_is_fitted(self, "coef_")
        coef = np.array(coef, dtype=np.float64, copy=True)
        if coef.shape == (self.coef_.size,):
            coef = coef.reshape(self._n_models(), -1).T
        if coef.shape != self.coef_.shape:
            raise ValueError(f"coef must have shape {self.coef_.shape} or ({self.coef_.size},); "
                             f"got {coef.shape}.")
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef must contain only finite values; got NaN or infinity.")
        model = copy.copy(self)
        model.coef_ = coef
        model.hessian_ = None
        return model

    def _data(self, X, y):
        check_is_fitted(self, "coef_")
        X, y = check_model_data(self, X, y, "X", "y")
        return X / self.scale_, self._signs(y)

    def _theta(self, theta) -> np.ndarray:
        return check_parameters(theta, self.coef_.size)

    def loss_function(self, X, y):
        """``theta -> (mean over examples of the summed one-vs-rest logistic losses, grad)``.

        This model's loss is the one-vs-rest logistic loss it is trained on, not the
        cross-entropy of its normalised probabilities.
        """
        X, signs = self._data(X, y)
        n = X.shape[0]

        def value_and_grad(theta):
            value, grad = self._objective(self._theta(theta), X, signs, perturbed=False,
                                          penalised=False)
            return value / n, grad / n

        return value_and_grad


    def objective_value_and_grad(self, theta, X, y):
        """The perturbed training objective :math:`\\sum_k J_k` on ``(X, y)`` and its gradient."""
        X, signs = self._data(X, y)
        return self._objective(self._theta(theta), X, signs)

    def loss_hessian(self, theta, X, y) -> np.ndarray:
        """The Hessian of the mean loss (block diagonal, one block per class)."""
        X, _ = self._data(X, y)
        return linalg.block_diag(*self._class_hessians(self._theta(theta), X,
                                                       penalised=False)) / X.shape[0]

    def loss_curvature_bound(self, X) -> float:
        r"""A bound on the mean loss's Hessian: :math:`\lambda_{\max}(X^\top X/n)/4`."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False) / self.scale_
        return 0.25 * float(np.linalg.norm(X, 2) ** 2) / X.shape[0]

    def per_example_loss_function(self, X, y):
        r"""``theta -> (losses, vjp)``: each example's summed one-vs-rest logistic loss
        :math:`\ell_i = \sum_k \log(1 + e^{-s_{ik} w_k^\top x_i})`, shape (n,), and
        ``vjp(weights)`` :math:`= \sum_i w_i\nabla\ell_i(\theta)`; the data checked once."""
        X, signs = self._data(X, y)

        def losses_and_vjp(theta):
            W = self._theta(theta).reshape(self._n_models(), -1).T  # (p, K)
            margins = signs * (X @ W)
            losses = -np.sum(log_expit(margins), axis=1)
            delta = -signs * expit(-margins)  # d l_i / d(w_k^T x_i), each in (-1, 1)

            def vjp(weights):
                return (X.T @ (_check_weights(weights, losses.size)[:, None] * delta)).T.ravel()

            return losses, vjp

        return losses_and_vjp

    def loss_gradient_bound(self, X) -> float:
        r"""A bound on :math:`\lambda_{\max}(\frac1n\sum_i\nabla\ell_i\nabla\ell_i^\top)` over
        ``X`` for every θ: :math:`K\,\lambda_{\max}(X^\top X/n)` for :math:`K` binary models,
        because :math:`\nabla\ell_i = c_i\otimes x_i` with every :math:`|c_{ik}| < 1`."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False) / self.scale_
        return self._n_models() * float(np.linalg.norm(X, 2) ** 2) / X.shape[0]

    def training_hessian(self) -> np.ndarray:
        """The Hessian of the training objective at ``coef_`` (block diagonal)."""
        check_is_fitted(self, "coef_")
        if getattr(self, "hessian_", None) is None:
            raise ValueError("model must carry hessian_; its coefficients were set by "
                             "with_coef.")
        return linalg.block_diag(*self.hessian_)

    def downdate(self, X_remove, y_remove, coef) -> CertifiedClassifier:
        """A copy with parameters ``coef`` whose stored Hessian leaves out some points.

        The Hessian of the retained objective is taken at the *current* parameters, as the
        Newton step uses it; ``n_samples_fit_`` drops by the number of points.
        """
        self.training_hessian()
        X_r, _ = self._data(X_remove, y_remove)
        new = self.with_coef(coef)
        new.hessian_ = self.hessian_ - self._class_hessians(self.flat_coef(), X_r, penalised=False)
        new.n_samples_fit_ = self.n_samples_fit_ - X_r.shape[0]
        return new
