r"""Polynomial regression in a scaled Legendre basis, as a scikit-learn estimator.

The model is linear in its parameters,

.. math::

    f_\theta(x) = \sum_{j=0}^{p-1} \theta_j \, \phi_j(x) = \Phi(x)\,\theta,

where each basis function :math:`\phi_j` is a product of Legendre polynomials of the inputs after
each input has been mapped linearly from its training range onto :math:`[-1, 1]` (the idea of
``numpy.polynomial``: fit in a well-conditioned window, keep the map). The span is the same as that
of the monomials of total degree at most ``degree``, so the fitted predictions equal those of
``PolynomialFeatures`` + ``LinearRegression``; only the conditioning differs.
"""

from __future__ import annotations

import copy
from itertools import combinations_with_replacement
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from numpy.polynomial import Legendre, Polynomial
from numpy.polynomial.legendre import legvander
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import check_model_data, check_nonempty, check_parameters
from .protocol import ProtocolMixin

__all__ = ["PolynomialRegressor", "graded_powers"]


def graded_powers(n_features: int, degree: int) -> np.ndarray:
    """Exponent vectors of all monomials of total degree at most ``degree``.

    The order is that of ``sklearn.preprocessing.PolynomialFeatures``: by total degree, then
    lexicographically.

    Parameters
    ----------
    n_features : int
        Number of input variables, ``>= 1``.
    degree : int
        Largest total degree, ``>= 0``.

    Returns
    -------
    powers : ndarray of shape (n_output_features, n_features)
        Row ``j`` holds the degree of each variable in basis function ``j``.

    Examples
    --------
    >>> graded_powers(2, 2).tolist()
    [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    """
    rows = [
        np.bincount(np.asarray(combo, dtype=int), minlength=n_features)
        for total in range(degree + 1)
        for combo in combinations_with_replacement(range(n_features), total)
    ]
    return np.array(rows, dtype=int).reshape(-1, n_features)


class PolynomialRegressor(ProtocolMixin, RegressorMixin, BaseEstimator):
    r"""Least-squares polynomial regression, stable up to high degree.

    Fits :math:`\theta` minimising
    :math:`\lVert y - \Phi\theta\rVert^2 + \alpha \lVert D\theta\rVert^2`, where the columns of
    :math:`\Phi` are Legendre products of the scaled inputs (see the module docstring) and
    :math:`D` removes the constant column from the penalty.

    Parameters
    ----------
    degree : int, default=3
        Largest total degree of the polynomial, ``>= 0``.
    alpha : float, default=0.0
        Ridge penalty on the non-constant Legendre coefficients, ``>= 0``. The penalty depends on
        the basis, so it is not the same as ridge on raw monomials.
    domain : array-like of shape (2,) or (n_features, 2), default=None
        Range of each input mapped onto ``[-1, 1]``. ``None`` takes it from the training data.
        Fixing it makes parameters of fits on different subsets comparable (same basis).

    Attributes
    ----------
    coef_ : ndarray of shape (n_output_features,)
        Coefficients in the scaled Legendre basis; ``coef_[0]`` multiplies the constant.
    domain_ : ndarray of shape (n_features, 2)
        Range of each input that was mapped onto ``[-1, 1]``.
    powers_ : ndarray of shape (n_output_features, n_features)
        Degree of each input in each basis function (see :func:`graded_powers`).
    gram_ : ndarray of shape (n_output_features, n_output_features) or None
        :math:`\Phi^\top\Phi + \alpha D^\top D` of the training data: the sufficient statistic that
        lets :func:`emse.baselines.remove_exact` delete points without the retained data.
        ``None`` when the coefficients were set by :meth:`with_coef` rather than by a fit.
    moment_ : ndarray of shape (n_output_features,) or None
        :math:`\Phi^\top y` of the training data (``None`` as for ``gram_``).
    n_samples_fit_ : int
        Number of training samples behind ``gram_``.
    n_features_in_ : int
        Number of input features seen in :meth:`fit`.

    See Also
    --------
    emse.baselines.retrain : refit on a subset in the same basis (the exact-unlearning oracle).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
    >>> model = PolynomialRegressor(degree=2).fit(X, 1 + X[:, 0] ** 2)
    >>> float(np.round(model.predict([[0.5]])[0], 6))
    1.25
    """

    _parameter_constraints: ClassVar[dict] = {
        "degree": [Interval(Integral, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "domain": ["array-like", None],
    }

    def __init__(self, degree=3, alpha=0.0, domain=None):
        self.degree = degree
        self.alpha = alpha
        self.domain = domain

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the coefficients by least squares.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : PolynomialRegressor
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        self.domain_ = self._resolve_domain(X)
        self.powers_ = graded_powers(X.shape[1], self.degree)
        Phi = self.design_matrix(X)
        penalty = self._penalty_matrix()
        # Ridge as an augmented least-squares problem: [Phi; sqrt(alpha) D] theta ~ [y; 0].
        A = np.vstack([Phi, np.sqrt(self.alpha) * penalty]) if self.alpha > 0 else Phi
        b = np.concatenate([y, np.zeros(penalty.shape[0])]) if self.alpha > 0 else y
        self.coef_ = linalg.lstsq(A, b, lapack_driver="gelsd", check_finite=False)[0]
        self.gram_ = Phi.T @ Phi + self.alpha * (penalty.T @ penalty)
        self.moment_ = Phi.T @ y
        self.n_samples_fit_ = X.shape[0]
        return self

    def predict(self, X) -> np.ndarray:
        """Predict with the fitted polynomial.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.design_matrix(X) @ self.coef_

    def design_matrix(self, X) -> np.ndarray:
        r"""Evaluate the basis: the matrix :math:`\Phi` with :math:`f_\theta = \Phi\theta`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        Phi : ndarray of shape (n_samples, n_output_features)
        """
        check_is_fitted(self, "domain_")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.domain_.shape[0]:
            raise ValueError(
                f"X must have shape (n_samples, {self.domain_.shape[0]}); got {X.shape}."
            )
        centre = self.domain_.mean(axis=1)
        half_width = np.diff(self.domain_, axis=1)[:, 0] / 2.0
        scaled = (X - centre) / half_width
        # legendre[:, f, d] = P_d(scaled input f)
        legendre = np.stack([legvander(scaled[:, f], self.degree) for f in range(X.shape[1])],
                            axis=1)
        Phi = np.ones((X.shape[0], self.powers_.shape[0]))
        for j, power in enumerate(self.powers_):
            for f in np.flatnonzero(power):
                Phi[:, j] *= legendre[:, f, power[f]]
        return Phi

    # --- the model protocol (emse.protocol) ------------------------------------------------

    def flat_coef(self) -> np.ndarray:
        """The coefficients as a new 1-D array."""
        check_is_fitted(self, "coef_")
        return np.array(self.coef_, dtype=np.float64, copy=True)

    def _theta(self, theta) -> np.ndarray:
        return check_parameters(theta, self.coef_.shape)

    def loss_function(self, X, y):
        r"""``theta -> (L, grad L)`` for the mean squared residual over ``(X, y)``.

        With :math:`r = y - \Phi\theta`, :math:`L = \lVert r\rVert^2/n` and
        :math:`\nabla L = -\tfrac{2}{n}\Phi^\top r` (no penalty). The data are checked and the
        design matrix is computed once.
        """
        check_is_fitted(self, "coef_")
        X, y = check_model_data(self, X, y, "X", "y")
        Phi, n = self.design_matrix(X), X.shape[0]

        def value_and_grad(theta):
            residual = y - Phi @ self._theta(theta)
            return float(residual @ residual / n), -2.0 / n * (Phi.T @ residual)

        return value_and_grad


    def objective_value_and_grad(self, theta, X, y):
        r"""The training objective :math:`\lVert y - \Phi\theta\rVert^2 + \alpha\lVert
        D\theta\rVert^2` of :meth:`fit` on ``(X, y)`` at ``theta``, and its gradient."""
        check_is_fitted(self, "coef_")
        X, y = check_model_data(self, X, y, "X", "y")
        theta, Phi, D = self._theta(theta), self.design_matrix(X), self._penalty_matrix()
        residual, penalised = y - Phi @ theta, D @ theta
        value = residual @ residual + self.alpha * penalised @ penalised
        return float(value), -2.0 * (Phi.T @ residual) + 2.0 * self.alpha * (D.T @ penalised)

    def loss_hessian(self, theta, X, y) -> np.ndarray:
        r"""The constant Hessian :math:`\tfrac{2}{n}\Phi^\top\Phi` of the mean squared
        residual over ``(X, y)``."""
        check_is_fitted(self, "coef_")
        X, y = check_model_data(self, X, y, "X", "y")
        self._theta(theta)
        Phi = self.design_matrix(X)
        return 2.0 * (Phi.T @ Phi) / X.shape[0]

    def loss_curvature_bound(self, X) -> float:
        r"""The largest eigenvalue :math:`2\lambda_{\max}(\Phi^\top\Phi)/n` of the mean
        squared residual's Hessian over ``X`` (exact: the loss is quadratic)."""
        check_is_fitted(self, "coef_")
        Phi = check_nonempty(self.design_matrix(X), "X")
        return 2.0 * float(np.linalg.norm(Phi, 2) ** 2) / Phi.shape[0]

    def training_hessian(self) -> np.ndarray:
        """The Hessian ``2 * gram_`` of the training objective, stored by :meth:`fit`."""
        check_is_fitted(self, "coef_")
        if getattr(self, "gram_", None) is None:
            raise ValueError("model must be a least-squares fit carrying gram_ and moment_; its "
                             "coefficients were set by with_coef, so there is nothing to "
                             "downdate.")
        return 2.0 * self.gram_

    def downdate(self, X_remove, y_remove, coef) -> PolynomialRegressor:
        r"""A copy with coefficients ``coef`` whose stored statistics leave out some points.

        ``gram_`` loses :math:`\Phi_r^\top\Phi_r`, ``moment_`` loses :math:`\Phi_r^\top y_r`
        and ``n_samples_fit_`` drops by :math:`k`, so that removals can be chained.

        Parameters
        ----------
        X_remove : array-like of shape (k, n_features)
            Training inputs to leave out.
        y_remove : array-like of shape (k,)
            Their targets.
        coef : array-like of shape (n_output_features,)
            Coefficients of the copy.

        Returns
        -------
        model : PolynomialRegressor
        """
        self.training_hessian()
        X_r, y_r = check_model_data(self, X_remove, y_remove, "X_remove", "y_remove")
        Phi_r = self.design_matrix(X_r)
        new = self.with_coef(coef)
        new.gram_ = self.gram_ - Phi_r.T @ Phi_r
        new.moment_ = self.moment_ - Phi_r.T @ y_r
        new.n_samples_fit_ = self.n_samples_fit_ - X_r.shape[0]
        return new

    def with_coef(self, coef) -> PolynomialRegressor:
        """Return a copy of this fitted model with other coefficients.

        The copy keeps the basis (``domain_``, ``powers_``); its ``gram_`` and ``moment_`` are
        ``None`` because its coefficients no longer come from a least-squares fit.

        Parameters
        ----------
        coef : array-like of shape (n_output_features,)
            New coefficients in this model's basis.

        Returns
        -------
        model : PolynomialRegressor
            A new fitted estimator; ``self`` is unchanged.
        """
        check_is_fitted(self, "coef_")
        coef = np.array(coef, dtype=np.float64, copy=True)
        if coef.shape != self.coef_.shape:
            raise ValueError(f"coef must have shape {self.coef_.shape}; got {coef.shape}.")
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef must contain only finite values; got NaN or infinity.")
        model = copy.deepcopy(self)
        model.coef_ = coef
        model.gram_ = None
        model.moment_ = None
        return model

    def to_polynomial(self) -> Polynomial:
        """The fitted univariate polynomial in the raw monomial basis (for display only).

        Returns
        -------
        polynomial : numpy.polynomial.Polynomial
            ``polynomial(x)`` equals ``predict([[x]])``. Raw monomial coefficients are badly
            conditioned at high degree, which is why the model does not fit in that basis.
        """
        check_is_fitted(self, "coef_")
        if self.n_features_in_ != 1:
            raise ValueError(
                f"to_polynomial needs a model of one feature; this one has {self.n_features_in_}."
            )
        legendre = Legendre(self.coef_, domain=self.domain_[0])
        return legendre.convert(kind=Polynomial)

    def _resolve_domain(self, X: np.ndarray) -> np.ndarray:
        """The input range mapped onto [-1, 1], from ``domain`` or from the data."""
        n_features = X.shape[1]
        if self.domain is None:
            low, high = X.min(axis=0), X.max(axis=0)
            # A constant input is centred on its value with unit half-width.
            flat = high <= low
            low, high = np.where(flat, low - 1.0, low), np.where(flat, high + 1.0, high)
            return np.column_stack([low, high])
        domain = np.array(self.domain, dtype=np.float64, copy=True)
        if domain.shape == (2,):
            domain = np.tile(domain, (n_features, 1))
        if domain.shape != (n_features, 2):
            raise ValueError(
                f"domain must have shape (2,) or ({n_features}, 2); got {domain.shape}."
            )
        if not np.all(np.isfinite(domain)) or np.any(domain[:, 1] <= domain[:, 0]):
            raise ValueError(
                f"domain must hold finite (low, high) pairs with low < high; "
                f"got {domain.tolist()}."
            )
        return domain

    def _penalty_matrix(self) -> np.ndarray:
        """D: the identity without the row of the constant basis function."""
        return np.eye(self.powers_.shape[0])[1:]
