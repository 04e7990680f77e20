r"""A small multilayer perceptron in numpy: explicit forward and backward passes (chapter 6).

The network maps an input :math:`x` through hidden layers
:math:`a_k = h(a_{k-1} W_k + b_k)` (with :math:`a_0 = x` and an activation :math:`h`) to a linear
output :math:`z = a_{L-1} W_L + b_L`. A regression head reads :math:`f_\theta(x) = z`; a
classification head reads class probabilities :math:`\mathrm{softmax}(z)`. All weights and biases
live in one flat vector :math:`\theta` (layer by layer, ``W`` row-major then ``b``), so scipy's
L-BFGS and :func:`emse.optim.gradient_descent` optimise it directly.

The backward pass computes the vector-Jacobian product :math:`J^\top\delta` of the outputs: the
gradient of any loss of the outputs follows from the loss's derivative ``delta`` with respect to
the outputs. EMSE needs nothing else (see :mod:`emse.neural_unlearn`). The passes themselves and
the parameter layout live in the private module ``emse/_mlp.py``; this module holds the
scikit-learn estimators built on them, which follow the package's model protocol
(:mod:`emse.protocol`), so that every unlearning method of :mod:`emse.baselines` runs on them.
"""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._mlp import (
    backward,
    forward,
    initial_parameters,
    outputs_objective,
    unpack,
    weight_mask,
)
from ._validation import check_model_data, check_parameters, encode_labels
from .losses import cross_entropy_and_grad
from .optim import minimize
from .protocol import ProtocolMixin, _check_weights

__all__ = ["ACTIVATIONS", "NeuralClassifier", "NeuralRegressor", "from_sklearn"]

#: Hidden-layer activations, named as in ``sklearn.neural_network``.
ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


class _Network(ProtocolMixin, BaseEstimator):
    """Shared machinery of the regression and the classification network."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"lbfgs", "gd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden_layer_sizes=(20,), activation="tanh", *, alpha=1e-4,
                 solver="lbfgs", learning_rate=0.1, max_iter=1000, tol=1e-6, random_state=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _hidden(self) -> tuple[int, ...]:
        sizes = np.atleast_1d(self.hidden_layer_sizes)
        if sizes.ndim != 1 or sizes.size == 0 or not np.all(sizes >= 1) or not np.issubdtype(
                sizes.dtype, np.integer):
            raise ValueError(f"hidden_layer_sizes must be an integer >= 1 or a sequence of "
                             f"them; got {self.hidden_layer_sizes!r}.")
        return tuple(int(s) for s in sizes)

    def _fit_parameters(self, X, targets, n_outputs):
        self.sizes_ = (X.shape[1], *self._hidden(), n_outputs)
        self.init_coef_ = initial_parameters(self.sizes_, self.activation, self.random_state)
        res = minimize(lambda theta: self._objective(theta, X, targets), self.init_coef_,
                       method=self.solver, max_iter=self.max_iter, tol=self.tol, ftol=None,
                       learning_rate=float(self.learning_rate) if self.solver == "gd" else None)
        if res.status == 2:
            warnings.warn(f"Training diverged ({res.message}); lower learning_rate.",
                          ConvergenceWarning, stacklevel=3)
        self.coef_, self.loss_curve_, self.n_iter_ = res.x, res.history, int(res.nit)
        self.converged_ = bool(res.success)
        return self

    def _objective(self, theta, X, targets):
        """The training objective on checked data: scaled mean loss plus the weight penalty."""
        value, grad = self._mean_loss(theta, X, targets)
        value, grad = self._fit_scale * value, self._fit_scale * grad
        mask, n = weight_mask(self.sizes_), X.shape[0]
        value += 0.5 * self.alpha / n * np.sum(theta[mask] ** 2)
        return float(value), grad + self.alpha / n * np.where(mask, theta, 0.0)

    def _checked(self, X, y):
        """Validate data against the fitted network: inputs, and targets or label indices."""
        check_is_fitted(self, "coef_")
        X, y = check_model_data(self, X, y, "X", "y")
        return X, self._targets(y, "y")

    def _check_theta(self, theta) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return check_parameters(theta, self.coef_.size)

    def flat_coef(self) -> np.ndarray:
        """The flat parameter vector θ (a copy of ``coef_``)."""
        check_is_fitted(self, "coef_")
        return np.array(self.coef_, dtype=np.float64, copy=True)

    def loss_function(self, X, y):
        """``theta -> (mean loss over (X, y), gradient)``, with the data checked once.

        The mean loss is that of :func:`emse.losses.per_example_loss` (squared residual or
        cross-entropy), without the weight penalty.
        """
        X, targets = self._checked(X, y)

        def value_and_grad(theta):
            return self._mean_loss(self._check_theta(theta), X, targets)

        return value_and_grad

    def per_example_loss_function(self, X, y):
        r"""``theta -> (losses, vjp)``: the loss of each example of ``(X, y)`` (squared residual
        or cross-entropy), shape (n,), and ``vjp(weights)``
        :math:`= \sum_i w_i\nabla\ell_i(\theta)`, one backward pass with the outputs'
        derivatives scaled by the weights; the data checked once."""
        X, targets = self._checked(X, y)

        def losses_and_vjp(theta):
            layers = unpack(np.array(self._check_theta(theta), copy=True), self.sizes_)
            activations, z = forward(layers, X, self.activation)
            losses, delta = self._per_example(z, targets)

            def vjp(weights):
                weighted = _check_weights(weights, losses.size)[:, None] * delta
                return backward(layers, activations, weighted, self.activation)

            return losses, vjp

        return losses_and_vjp


    def objective_value_and_grad(self, theta, X, y):
        """The training objective of ``fit`` on ``(X, y)`` at ``theta`` and its gradient."""
        X, targets = self._checked(X, y)
        return self._objective(self._check_theta(theta), X, targets)

    def _outputs(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return forward(unpack(self.coef_, self.sizes_), X, self.activation)[1]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, one per layer, as scikit-learn's MLPs name them (copies)."""
        check_is_fitted(self, "coef_")
        return [W.copy() for W, _ in unpack(self.coef_, self.sizes_)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, one per layer (copies)."""
        check_is_fitted(self, "coef_")
        return [b.copy() for _, b in unpack(self.coef_, self.sizes_)]

    def hidden_features(self, X) -> np.ndarray:
        """The last hidden layer's activations :math:`a_{L-1}(x)`, shape (n, sizes_[-2])."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return forward(unpack(self.coef_, self.sizes_), X, self.activation)[0][-1]

    def with_coef(self, coef):
        """A fitted copy with the flat parameter vector ``coef``; ``self`` is unchanged."""
        check_is_fitted(self, "coef_")
        network = copy.deepcopy(self)
        network.coef_ = np.array(check_parameters(coef, self.coef_.size, "coef"), copy=True)
        return network


class NeuralRegressor(RegressorMixin, _Network):
    r"""A multilayer perceptron for regression, trained on the squared error.

    Fits :math:`\theta` minimising
    :math:`\frac{1}{2n}\sum_i (y_i - f_\theta(x_i))^2 + \frac{\alpha}{2n}\sum_k\lVert W_k\rVert^2`,
    the loss of ``sklearn.neural_network.MLPRegressor``, from a Glorot-uniform start drawn from
    ``random_state`` (so a refit on other data with the same seed starts from the same weights).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(20,)
        Units of each hidden layer, each ``>= 1``.
    activation : {"tanh", "relu", "logistic", "identity"}, default="tanh"
        Hidden-layer activation.
    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), ``>= 0``.
    solver : {"lbfgs", "gd"}, default="lbfgs"
        scipy's L-BFGS-B on the flat parameters, or plain gradient descent
        (:func:`emse.optim.gradient_descent`).
    learning_rate : float, default=0.1
        Step of ``solver="gd"``, ``> 0``.
    max_iter : int, default=1000
        Largest number of iterations, ``>= 1``.
    tol : float, default=1e-6
        Stop when the gradient's largest entry is at most ``tol``.
    random_state : int or None, default=0
        Seed of the initial weights (``numpy.random.default_rng``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_parameters,)
        The flat parameter vector θ.
    init_coef_ : ndarray of shape (n_parameters,)
        The starting point of the fit.
    sizes_ : tuple of int
        Units per layer, input and output included.
    coefs_, intercepts_ : list of ndarray
        Weights and biases per layer, as in scikit-learn.
    loss_curve_ : ndarray of shape (``n_iter_ + 1``,)
        Training loss at the start and after every iteration.
    n_iter_ : int
    converged_ : bool
        Whether the stopping rule was met (no warning is raised when it was not).
    n_features_in_ : int
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network to ``X`` of shape (n, n_features) and ``y`` of shape (n,)."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        return self._fit_parameters(X, np.asarray(y, dtype=np.float64), 1)

    def predict(self, X) -> np.ndarray:
        """Predictions :math:`f_\\theta(x)`, shape (n_samples,)."""
        return self._outputs(X)[:, 0]

    _fit_scale = 0.5  # fit minimises half the mean squared error, as MLPRegressor does

    def _targets(self, y, name):
        return y

    @staticmethod
    def _per_example(z, y):
        """Squared residuals and their derivatives by the outputs, shape (n,) and (n, 1)."""
        r = y - z[:, 0]
        return r**2, (-2.0 * r)[:, None]

    def _mean_loss(self, theta, X, y):
        """Mean squared residual and its gradient on checked data."""
        n = y.size

        def loss(z):
            r = y - z[:, 0]
            return np.mean(r**2), [(-2.0 * r / n)[:, None]]

        return outputs_objective(theta, sizes=self.sizes_, activation=self.activation,
                                 inputs=[X], loss=loss)


class NeuralClassifier(ClassifierMixin, _Network):
    r"""A multilayer perceptron for classification, trained on the cross-entropy.

    Softmax outputs over the classes, and the loss
    :math:`-\frac{1}{n}\sum_i \log p_\theta(y_i\mid x_i)
    + \frac{\alpha}{2n}\sum_k\lVert W_k\rVert^2`.
    Parameters as :class:`NeuralRegressor`, plus ``classes``.

    Parameters
    ----------
    classes : array-like of shape (n_classes,), default=None
        All labels the network can predict; ``None`` takes those of ``y``. Fixing it lets a
        network retrained without one class keep the same output layer (and initialisation).
    """

    _parameter_constraints: ClassVar[dict] = {**_Network._parameter_constraints,
                                              "classes": ["array-like", None]}

    def __init__(self, hidden_layer_sizes=(20,), activation="tanh", *, alpha=1e-4,
                 solver="lbfgs", learning_rate=0.1, max_iter=1000, tol=1e-6, random_state=0,
                 classes=None):
        super().__init__(hidden_layer_sizes, activation, alpha=alpha, solver=solver,
                         learning_rate=learning_rate, max_iter=max_iter, tol=tol,
                         random_state=random_state)
        self.classes = classes

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network to ``X`` of shape (n, n_features) and labels ``y`` of shape (n,)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y if self.classes is None else np.asarray(self.classes))
        if self.classes_.size < 2:
            raise ValueError(f"classes must hold at least 2 labels; got "
                             f"{self.classes_.size} class(es), {self.classes_.tolist()}.")
        return self._fit_parameters(X, self._targets(y, "y"), self.classes_.size)

    _fit_scale = 1.0

    def _targets(self, y, name):
        return encode_labels(self.classes_, y, name)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        return special.softmax(self._outputs(X), axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithms of the class probabilities, computed stably from the logits."""
        return special.log_softmax(self._outputs(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each input, shape (n_samples,)."""
        check_is_fitted(self, "coef_")
        return self.classes_[np.argmax(self._outputs(X), axis=1)]

    @staticmethod
    def _per_example(z, y_index):
        """Cross-entropies and their derivatives by the logits, shape (n,) and (n, K)."""
        return cross_entropy_and_grad(z, y_index)

    def _mean_loss(self, theta, X, y_index):
        """Mean cross-entropy and its gradient on checked data (labels as indices)."""
        n = y_index.size

        def loss(z):
            losses, delta = cross_entropy_and_grad(z, y_index)
            return np.mean(losses), [delta / n]

        return outputs_objective(theta, sizes=self.sizes_, activation=self.activation,
                                 inputs=[X], loss=loss)




def from_sklearn(estimator):
    """A fitted :class:`NeuralRegressor` or :class:`NeuralClassifier` with the weights of a
    fitted ``sklearn.neural_network`` MLP (same predictions).

    A binary scikit-learn classifier has one logistic output unit :math:`z`; it becomes the two
    softmax outputs :math:`(0, z)`, which give the same probabilities.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if not isinstance(estimator, (MLPRegressor, MLPClassifier)):
        raise TypeError(f"estimator must be a fitted sklearn MLPRegressor or MLPClassifier; "
                        f"got {type(estimator).__name__}.")
    check_is_fitted(estimator, "coefs_")
    coefs, intercepts = list(estimator.coefs_), list(estimator.intercepts_)
    params = {"hidden_layer_sizes": estimator.hidden_layer_sizes,
              "activation": estimator.activation, "alpha": estimator.alpha}
    if isinstance(estimator, MLPRegressor):
        if coefs[-1].shape[1] != 1:
            raise ValueError("estimator must have a single output; got "
                             f"{coefs[-1].shape[1]}.")
        network = NeuralRegressor(**params)
    else:
        if estimator.out_activation_ not in ("softmax", "logistic") or (
                estimator.out_activation_ == "logistic" and len(estimator.classes_) != 2):
            raise ValueError("estimator must be a single-label classifier; got a multilabel "
                             "one.")
        if estimator.out_activation_ == "logistic":
            coefs[-1] = np.column_stack([np.zeros(coefs[-1].shape[0]), coefs[-1]])
            intercepts[-1] = np.r_[0.0, intercepts[-1]]
        network = NeuralClassifier(**params)
        network.classes_ = np.array(estimator.classes_)
    network.n_features_in_ = estimator.n_features_in_
    network.sizes_ = (coefs[0].shape[0], *(W.shape[1] for W in coefs))
    network.coef_ = np.concatenate([np.r_[W.ravel(), b]
                                    for W, b in zip(coefs, intercepts, strict=True)])
    network.init_coef_ = network.coef_.copy()
    network.loss_curve_, network.n_iter_, network.converged_ = np.array([]), 0, True
    return network

