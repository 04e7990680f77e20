r"""Per-example losses: the squared residual of a regressor, the cross-entropy of a classifier.

Every model of ``emse`` is trained on one of two per-example losses, and every check of
forgetting (:mod:`emse.verify`, :mod:`emse.membership`) reads one of them:

* the squared residual :math:`(y - f(x))^2` of a regressor;
* the cross-entropy :math:`-\log \pi_y(x) = \log\sum_k e^{z_k} - z_y` of a classifier with
  logits :math:`z` and class probabilities :math:`\pi = \mathrm{softmax}(z)`.

:func:`cross_entropy_and_grad` is the one implementation of the cross-entropy and its derivative
by the logits, :math:`\pi - \mathrm{onehot}(y)`, that the softmax regression, the networks and
their unlearning objectives share. :func:`per_example_loss` evaluates the loss of any fitted
model on data, through its public prediction methods.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier

from ._validation import check_model_data, encode_labels

__all__ = ["cross_entropy_and_grad", "per_example_loss"]

#: Probabilities are clipped to [PROB_FLOOR, 1] before a logarithm is taken.
PROB_FLOOR = 1e-15


def cross_entropy_and_grad(logits, y_index) -> tuple[np.ndarray, np.ndarray]:
    r"""Cross-entropy of each example and its derivative by the logits.

    .. math::

        \ell_i = \log\sum_k e^{z_{ik}} - z_{i y_i}, \qquad
        \frac{\partial \ell_i}{\partial z_{ik}} = \pi_{ik} - [k = y_i] .

    Parameters
    ----------
    logits : ndarray of shape (n, K)
        Logits :math:`z` (finite).
    y_index : ndarray of int, shape (n,)
        Class index of each example, in ``[0, K)``.

    Returns
    -------
    loss : ndarray of shape (n,)
        Non-negative per-example losses.
    delta : ndarray of shape (n, K)
        :math:`\Pi - Y`, the derivative of ``loss[i]`` by ``logits[i]``.

    Examples
    --------
    >>> loss, delta = cross_entropy_and_grad(np.zeros((1, 2)), np.array([0]))
    >>> round(float(loss[0]), 6), delta.tolist()
    (0.693147, [[-0.5, 0.5]])
    """
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=1, keepdims=True)  # stable: the largest logit is 0
    delta = np.exp(shifted)
    total = delta.sum(axis=1)
    rows = np.arange(shifted.shape[0])
    loss = np.log(total) - shifted[rows, y_index]
    delta /= total[:, None]
    delta[rows, y_index] -= 1.0
    return loss, delta


def per_example_loss(model, X, y) -> np.ndarray:
    r"""The loss of a fitted model on each example.

    Parameters
    ----------
    model : fitted estimator
        A classifier (loss :math:`-\log\pi_y`, from ``predict_log_proba`` when the model has
        it, otherwise from probabilities clipped to :math:`[10^{-15}, 1]`) or a regressor with
        ``predict`` (loss :math:`(y - f(x))^2`).
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
    if not hasattr(model, "predict"):
        raise TypeError(f"model must be a fitted estimator with predict; got "
                        f"{type(model).__name__}.")
    X, y = check_model_data(model, X, y, "X", "y", nonempty=False)
    if is_classifier(model):
        index = encode_labels(model.classes_, y, "y")
        rows = np.arange(y.size)
        if hasattr(model, "predict_log_proba"):
            return -model.predict_log_proba(X)[rows, index]
        return -np.log(np.clip(model.predict_proba(X)[rows, index], PROB_FLOOR, 1.0))
    return (y - model.predict(X)) ** 2
