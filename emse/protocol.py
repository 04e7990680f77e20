r"""The model protocol: what every method of ``emse`` asks of a model.

Every model class of the package (:class:`emse.PolynomialRegressor`,
:class:`emse.logistic.SoftmaxRegression`, :class:`emse.neural.NeuralRegressor`,
:class:`emse.neural.NeuralClassifier`) offers the same small set of methods on its *flat*
parameter vector :math:`\theta`, so that every unlearning method and every check of forgetting
works on every model without asking which class it is. The mean loss is that of
:func:`emse.losses.per_example_loss`, the squared residual of a regressor and the cross-entropy of
a classifier, without any penalty:

.. math::

    L(\theta; X, y) = \frac{1}{n}\sum_{i=1}^n \ell\bigl(y_i, f_\theta(x_i)\bigr) .

Required (:class:`ParametricModel`):

``flat_coef()``
    the fitted parameters as a new 1-D array;
``with_coef(coef)``
    a fitted copy of the model with other parameters (the model itself unchanged);
``loss_function(X, y)``
    checks the data once and returns ``theta -> (L, grad L)``, the form
    ``scipy.optimize.minimize(jac=True)`` takes; the iterative methods call it in their loops;
``loss_value_and_grad(theta, X, y)``
    the same for one evaluation;
``objective_value_and_grad(theta, X, y)``
    the objective the model's ``fit`` minimises on ``(X, y)`` (loss and penalty, in the model's
    own normalisation), whose gradient at a fitted model is zero: what
    :func:`emse.baselines.gradient_residual_norm` measures.

Optional, where the model has them (:class:`CurvedModel`):

``loss_curvature_bound(X)``
    a bound :math:`L` on the largest eigenvalue of the Hessian of the mean loss over ``X``, for
    every :math:`\theta`; a step of :math:`1/L` is the default ``learning_rate`` of the gradient
    methods. Networks have no such bound and ask for an explicit ``learning_rate``;
``loss_hessian(theta, X, y)``
    the Hessian of the mean loss;
``training_hessian()`` and ``downdate(X_remove, y_remove, coef)``
    the Hessian of the training objective stored by the fit, and a copy whose stored statistics
    describe the training data without some points: what Newton removal
    (:func:`emse.baselines.remove_newton`) and exact removal need.

Optional, for the methods that read each example's loss (not part of :class:`CurvedModel`):

``per_example_loss_function(X, y)``
    checks the data once and returns ``theta -> (losses, vjp)``: the per-example losses
    :math:`\ell_i(\theta)`, shape (n,), and a function ``vjp(weights)`` that returns
    :math:`\sum_i w_i \nabla\ell_i(\theta)`, the vector-Jacobian product of the losses (one
    backward pass for a network). An objective that is a function of the per-example losses,
    such as NPO's (:func:`emse.baselines.npo`), gets its gradient from it. The softmax
    regression, the certified classifier and both networks have it;
``loss_gradient_bound(X)``
    a bound :math:`G` on the largest eigenvalue of the per-example gradients' second moment
    :math:`\frac{1}{n}\sum_i \nabla\ell_i\nabla\ell_i^\top` over ``X``, for every :math:`\theta`:
    with ``loss_curvature_bound``, what NPO's default step needs. The two linear classifiers
    have it.

The shape follows scikit-learn's private ``LinearModelLoss`` (a loss object with
``loss_gradient`` and ``gradient_hessian``), exposed here on the models themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["CurvedModel", "ParametricModel", "ProtocolMixin"]


@runtime_checkable
class ParametricModel(Protocol):
    """A fitted model whose predictions depend on one flat parameter vector."""

    def flat_coef(self) -> np.ndarray:
        """The parameters as a new 1-D array."""

    def with_coef(self, coef) -> ParametricModel:
        """A fitted copy with parameters ``coef`` (flat, or the shape of ``coef_``)."""

    def loss_function(self, X, y) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """``theta -> (mean loss over (X, y), its gradient)``, with the data checked once."""

    def loss_value_and_grad(self, theta, X, y) -> tuple[float, np.ndarray]:
        """The mean loss over ``(X, y)`` at ``theta`` and its gradient."""

    def objective_value_and_grad(self, theta, X, y) -> tuple[float, np.ndarray]:
        """The training objective of ``fit`` on ``(X, y)`` at ``theta`` and its gradient."""


@runtime_checkable
class CurvedModel(ParametricModel, Protocol):
    """A parametric model that also knows its loss's curvature (the linear models)."""

    def loss_curvature_bound(self, X) -> float:
        """An upper bound on the mean loss's Hessian eigenvalues over ``X``, for every θ."""

    def loss_hessian(self, theta, X, y) -> np.ndarray:
        """The Hessian of the mean loss over ``(X, y)`` at ``theta``."""


def _check_weights(weights, n: int) -> np.ndarray:
    """The ``weights`` of a ``vjp`` of ``per_example_loss_function``: finite, of shape (n,)."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), one per example; got "
                         f"{weights.shape}.")
    if not np.all(np.isfinite(weights)):
        raise ValueError("weights must contain only finite values; got NaN or infinity.")
    return weights


class ProtocolMixin:
    """The part of the protocol that every model writes the same way.

    A model class defines ``loss_function(X, y)`` and keeps its fitted parameters in ``coef_``;
    the mixin adds ``loss_value_and_grad`` (one evaluation of ``loss_function``).
    """

    def loss_value_and_grad(self, theta, X, y) -> tuple[float, np.ndarray]:
        """The mean loss over ``(X, y)`` at ``theta`` and its gradient (one evaluation of
        ``loss_function(X, y)``)."""
        return self.loss_function(X, y)(theta)
