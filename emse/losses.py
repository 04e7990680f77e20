r"""Per-example losses of a fitted model, and mean losses with their parameter gradients.

Gradient-based unlearning (:mod:`emse.baselines`) and the checks of forgetting
(:mod:`emse.verify`) need the same two things from a model:

* the loss of each example, for membership inference and the forget-quality test: the squared
  residual :math:`(y - f(x))^2` of a regressor, the cross-entropy :math:`-\log \pi_y(x)` of a
  classifier;
* for models with one parameter vector, the mean loss over a set of examples as a function of
  the parameters, with its gradient: :math:`\frac1n\sum_i (y_i - \phi_i^\top\theta)^2` for
  :class:`emse.PolynomialRegressor`, the mean cross-entropy for
  :class:`emse.logistic.SoftmaxRegression`. Neither includes the ridge penalty.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ._validation import check_features, check_fitted_model, check_targets
from .logistic import SoftmaxRegression, _loss_and_grad, class_indices
from .models import PolynomialRegressor

__all__ = ["get_parameters", "mean_loss_and_grad", "per_example_loss"]

#: Probabilities are clipped to [PROB_FLOOR, 1] before a logarithm is taken.
PROB_FLOOR = 1e-15


def _check_data(model, X, y):
    X = check_features(X, "X", n_features=getattr(model, "n_features_in_", None))
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of samples; got {X.shape[0]} and "
                         f"{y.shape[0] if y.ndim else 'a scalar'}.")
    return X, y


def per_example_loss(model, X, y) -> np.ndarray:
    r"""The loss of ``model`` on each example.

    Parameters
    ----------
    model : fitted estimator
        A classifier with ``predict_proba`` (loss :math:`-\log\pi_y`, computed from the logits
        for :class:`emse.logistic.SoftmaxRegression`, otherwise from clipped
        probabilities) or a regressor with ``predict`` (loss :math:`(y - f(x))^2`).
    X : array-like of shape (n, n_features)
        Inputs.
    y : array-like of shape (n,)
        Targets or class labels.

    Returns
    -------
    loss : ndarray of shape (n,)
        Non-negative, finite.

    Examples
    --------
    >>> import numpy as np
    >>> from emse import PolynomialRegressor
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> model = PolynomialRegressor(degree=0).fit(X, [0.0, 0.0, 3.0])
    >>> np.round(per_example_loss(model, X, [0.0, 0.0, 3.0]), 12).tolist()
    [1.0, 1.0, 4.0]
    """
    X, y = _check_data(model, X, y)
    if hasattr(model, "predict_proba"):
        index = class_indices(model.classes_, y)
        rows = np.arange(y.size)
        if isinstance(model, SoftmaxRegression):
            logits = model.logits(X)
            return logsumexp(logits, axis=1) - logits[rows, index]
        proba = model.predict_proba(X)
        return -np.log(np.clip(proba[rows, index], PROB_FLOOR, 1.0))
    if not hasattr(model, "predict"):
        raise TypeError(f"model must have predict or predict_proba; got {type(model).__name__}.")
    y = check_targets(y, "y")
    return (y - model.predict(X)) ** 2


def get_parameters(model) -> np.ndarray:
    """The flat parameter vector of a model with one (``coef_.ravel()``), as a new array."""
    if not isinstance(model, (PolynomialRegressor, SoftmaxRegression)):
        raise TypeError(f"model must be a PolynomialRegressor or a SoftmaxRegression, whose "
                        f"predictions depend on one parameter vector; got "
                        f"{type(model).__name__}.")
    check_fitted_model(model)
    return np.array(model.coef_, dtype=np.float64).ravel()


def mean_loss_and_grad(model, theta, X, y):
    r"""Mean loss over ``(X, y)`` at parameters ``theta`` in ``model``'s basis, and its gradient.

    For :class:`emse.PolynomialRegressor`, with :math:`r = y - \Phi\theta`,

    .. math::

        L(\theta) = \frac{1}{n}\lVert r\rVert^2, \qquad
        \nabla L = -\frac{2}{n}\Phi^\top r ;

    for :class:`emse.logistic.SoftmaxRegression`, the mean cross-entropy and its gradient
    (:func:`emse.logistic.softmax_loss_and_grad` divided by :math:`n`). No penalty is included.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        Supplies the basis (design matrix); its own parameters are not used.
    theta : array-like of shape (n_parameters,)
        Flat parameters, as :func:`get_parameters` returns them.
    X : array-like of shape (n, n_features)
        Inputs, at least one.
    y : array-like of shape (n,)
        Targets or class labels.

    Returns
    -------
    value : float
    grad : ndarray of shape (n_parameters,)
    """
    size = get_parameters(model).size
    X, y = _check_data(model, X, y)
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one sample; got none.")
    theta = check_targets(theta, "theta")
    if theta.size != size:
        raise ValueError(f"theta must have {size} entries, as model's parameters; "
                         f"got {theta.size}.")
    return _mean_loss_and_grad(model, theta, model.design_matrix(X), y)


def _mean_loss_and_grad(model, theta, Phi, y):
    """Unchecked mean loss and gradient on a precomputed design matrix."""
    n = Phi.shape[0]
    if isinstance(model, SoftmaxRegression):
        value, grad = _loss_and_grad(theta, Phi, class_indices(model.classes_, y),
                                     model.classes_.size, 0.0)
        return value / n, grad / n
    residual = np.asarray(y, dtype=np.float64) - Phi @ theta
    return float(residual @ residual / n), -2.0 / n * (Phi.T @ residual)
