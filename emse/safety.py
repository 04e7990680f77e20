r"""Constructions behind the safety-limit demonstrations of chapter 7.

Each function builds one object that a demonstration of the chapter needs and that no other
module provides:

* :func:`forge_retained_labels`: a dataset *without* some training points whose least-squares
  fit is exactly the model trained *with* them (weights cannot prove that a point is gone);
* :func:`quantize`, :func:`rounding_box` and :func:`descent_ascent_in_box`: rounding of weights to
  a low-precision grid, the set of weights that rounding maps back onto a reference model, and
  descent-ascent unlearning confined to that set (unlearning that rounding undoes exactly);
* :func:`add_trigger`, :func:`make_backdoor` and :func:`trigger_success_rate`: a backdoor
  planted by poisoned training examples, the "hazardous behaviour" that unlearning should remove;
* :func:`mean_difference_projection`: removal of a concept from a shared representation by
  projecting out the difference of its class means.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ._validation import (
    check_features,
    check_fitted_model,
    check_nonnegative,
    check_positive_int,
    check_regression_data,
)
from .losses import _check_data, _mean_loss_and_grad, get_parameters
from .unlearn import UnlearningResult

__all__ = [
    "add_trigger",
    "descent_ascent_in_box",
    "forge_retained_labels",
    "make_backdoor",
    "mean_difference_projection",
    "quantize",
    "rounding_box",
    "trigger_success_rate",
]


# --- forging: the same weights from a dataset without the point ----------------------------


def forge_retained_labels(model, X_retained, y_retained, X_removed, y_removed) -> np.ndarray:
    r"""Labels for the retained inputs alone whose least-squares fit equals ``model``.

    ``model`` was fitted by (ridge) least squares on the retained and the removed points
    together, so its parameters :math:`\theta` satisfy the normal equations
    :math:`G\theta = \Phi_R^\top y_R + \Phi_D^\top y_D`. Dropping the removed rows leaves the
    gradient :math:`c = \Phi_D^\top r_D`, with :math:`r_D = y_D - \Phi_D\theta`, unbalanced. The
    smallest label change :math:`\delta` with :math:`\Phi_R^\top\delta = c` balances it:

    .. math::

        \delta = \Phi_R(\Phi_R^\top\Phi_R)^{-1}\Phi_D^\top r_D, \qquad
        \tilde y_R = y_R + \delta ,

    and the fit of the same estimator on :math:`(X_R, \tilde y_R)` is :math:`\theta` again, for
    any ridge penalty (the penalty term of the normal equations does not change). This is the
    construction behind the argument of Thudi et al. (2022) that the same model can be obtained
    from different datasets.

    Parameters
    ----------
    model : fitted PolynomialRegressor
        Fitted by least squares (any ``alpha``) on the retained and removed points together;
        this precondition cannot be checked without the training data. Not modified.
    X_retained : array-like of shape (n_r, n_features)
        Inputs that stay. Their design matrix must have full column rank.
    y_retained : array-like of shape (n_r,)
        Their true labels.
    X_removed : array-like of shape (n_d, n_features)
        Inputs of the points to remove, at least one.
    y_removed : array-like of shape (n_d,)
        Their labels.

    Returns
    -------
    y_forged : ndarray of shape (n_r,)
        New labels for ``X_retained``: the dataset ``(X_retained, y_forged)`` contains none of
        the removed points and gives ``model.coef_`` when fitted in ``model``'s basis.

    Examples
    --------
    >>> import numpy as np
    >>> from emse import PolynomialRegressor
    >>> from emse.baselines import retrain
    >>> X = np.linspace(-1, 1, 12).reshape(-1, 1)
    >>> y = X[:, 0] ** 2 + np.linspace(0, 0.1, 12)
    >>> model = PolynomialRegressor(degree=2).fit(X, y)
    >>> y_forged = forge_retained_labels(model, X[1:], y[1:], X[:1], y[:1])
    >>> bool(np.allclose(retrain(model, X[1:], y_forged).coef_, model.coef_))
    True
    """
    check_fitted_model(model)
    if np.ndim(model.coef_) != 1:
        raise TypeError(f"model must be a least-squares regressor with one coefficient vector, "
                        f"such as emse.PolynomialRegressor; got coef_ of shape "
                        f"{np.shape(model.coef_)}.")
    n_features = model.n_features_in_
    X_r, y_r = check_regression_data(X_retained, y_retained, "X_retained", "y_retained",
                                     n_features=n_features)
    X_d, y_d = check_regression_data(X_removed, y_removed, "X_removed", "y_removed",
                                     n_features=n_features)
    if X_d.shape[0] == 0:
        raise ValueError("X_removed must hold at least one sample; got none.")
    Phi_r, Phi_d = model.design_matrix(X_r), model.design_matrix(X_d)
    n_params = Phi_r.shape[1]
    if np.linalg.matrix_rank(Phi_r) < n_params:
        raise ValueError(f"X_retained must determine all {n_params} parameters (its design "
                         f"matrix must have full column rank); got rank "
                         f"{np.linalg.matrix_rank(Phi_r)} from {X_r.shape[0]} points.")
    unbalanced = Phi_d.T @ (y_d - Phi_d @ model.coef_)  # c = Phi_D^T r_D
    # Minimum-norm solution of the underdetermined system Phi_R^T delta = c.
    delta = np.linalg.lstsq(Phi_r.T, unbalanced, rcond=None)[0]
    return y_r + delta


# --- rounding weights ------------------------------------------------------------------------


def _check_bits(bits) -> int:
    if isinstance(bits, bool) or not isinstance(bits, Integral):
        raise TypeError(f"bits must be an integer; got {bits!r}.")
    if not 2 <= bits <= 32:
        raise ValueError(f"bits must be an integer from 2 to 32; got {bits!r}.")
    return int(bits)


def _check_weights(theta, name: str) -> np.ndarray:
    theta = np.array(theta, dtype=np.float64, copy=True)
    if theta.size == 0:
        raise ValueError(f"{name} must hold at least one weight; got none.")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} must contain only finite values; got NaN or infinity.")
    return theta


def _step(theta: np.ndarray, bits: int) -> float:
    """Grid step of symmetric absmax rounding; 1 for all-zero weights (nothing to round)."""
    largest = float(np.max(np.abs(theta)))
    return largest / (2 ** (bits - 1) - 1) if largest > 0 else 1.0


def quantize(theta, bits: int) -> np.ndarray:
    r"""Round weights to a symmetric ``bits``-bit grid with one scale for the whole array.

    With :math:`M = \max_j|\theta_j|` and step :math:`s = M/(2^{b-1}-1)`, each weight becomes
    :math:`s\,\mathrm{round}(\theta_j/s)`, one of the :math:`2^b - 1` levels
    :math:`\{-M, \dots, -s, 0, s, \dots, M\}` (absmax, or "round-to-nearest", quantisation).

    Parameters
    ----------
    theta : array-like of any shape
        Finite weights, at least one.
    bits : int
        Precision, from 2 to 32.

    Returns
    -------
    theta_q : ndarray of the shape of ``theta``
        The rounded weights; ``quantize(quantize(theta, b), b)`` equals ``quantize(theta, b)``.

    Examples
    --------
    >>> quantize([3.0, -1.2, 0.4], bits=3).tolist()
    [3.0, -1.0, 0.0]
    """
    bits = _check_bits(bits)
    theta = _check_weights(theta, "theta")
    step = _step(theta, bits)
    return step * np.round(theta / step)


def rounding_box(theta_ref, bits: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The box of weights that :func:`quantize` maps exactly onto ``quantize(theta_ref, bits)``.

    Every weight may move inside its own rounding cell,
    :math:`s(k_j - \tfrac12) < \theta_j < s(k_j + \tfrac12)` with
    :math:`k_j = \mathrm{round}(\theta^{\mathrm{ref}}_j/s)`, and no further than the largest
    magnitude :math:`M`; the weights of magnitude :math:`M` are held fixed, so that the scale
    :math:`s` of the rounding does not change. The cells are shrunk inwards by a relative
    :math:`10^{-9}` so that rounding inside them is unambiguous in floating point.

    Parameters
    ----------
    theta_ref : array-like of any shape
        Reference weights (finite, not all zero).
    bits : int
        Precision, from 2 to 32.

    Returns
    -------
    low, high : ndarray of the shape of ``theta_ref``
        Bounds with ``low <= theta_ref <= high``; any ``theta`` between them has
        ``quantize(theta, bits) == quantize(theta_ref, bits)``.
    """
    bits = _check_bits(bits)
    theta = _check_weights(theta_ref, "theta_ref")
    largest = float(np.max(np.abs(theta)))
    if largest == 0:
        raise ValueError("theta_ref must hold at least one non-zero weight; got all zeros.")
    step = _step(theta, bits)
    level = np.round(theta / step)
    margin = 1e-9 * step
    low = np.maximum((level - 0.5) * step + margin, -largest)
    high = np.minimum((level + 0.5) * step - margin, largest)
    extreme = np.abs(theta) == largest
    low[extreme] = theta[extreme]
    high[extreme] = theta[extreme]
    return np.minimum(low, theta), np.maximum(high, theta)


def descent_ascent_in_box(model, X_retain, y_retain, X_forget, y_forget, *, low, high,
                          mu: float, learning_rate: float,
                          n_steps: int = 100) -> UnlearningResult:
    r"""Descent-ascent unlearning with every parameter kept inside a box.

    Projected gradient descent on :math:`L_R(\theta) - \mu L_F(\theta)`, the objective of
    :func:`emse.baselines.descent_ascent`: after each step the parameters are clipped to
    ``[low, high]``. With the box of :func:`rounding_box` this is the strongest unlearning one
    can do that low-precision rounding undoes exactly: a model whose weight changes stay below
    the rounding cells, as Zhang et al. (2025) find for utility-constrained unlearning of
    language models.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        The trained model; not modified. Its parameters must lie inside the box.
    X_retain, y_retain : array-like of shape (n_r, n_features), (n_r,)
        Retained data.
    X_forget, y_forget : array-like of shape (n_f, n_features), (n_f,)
        Data to forget.
    low, high : array-like of the shape of ``model.coef_``
        Bounds of every parameter, ``low <= high``.
    mu : float
        Weight of the ascent term, ``>= 0``.
    learning_rate : float
        Step length, ``> 0``.
    n_steps : int, default=100
        Number of projected steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the objective at the start and after every step; ``method`` is
        ``"projected-gd"``.
    """
    theta = get_parameters(model)
    shape = np.shape(model.coef_)
    low = _check_weights(low, "low")
    high = _check_weights(high, "high")
    for bound, name in ((low, "low"), (high, "high")):
        if bound.shape != shape:
            raise ValueError(f"{name} must have the shape {shape} of model.coef_; got "
                             f"{bound.shape}.")
    low, high = low.ravel(), high.ravel()
    if np.any(low > high):
        raise ValueError("low must not exceed high anywhere; got low > high.")
    if np.any(theta < low) or np.any(theta > high):
        raise ValueError("model's parameters must lie inside the box [low, high]; they do not.")
    mu = check_nonnegative(mu, "mu")
    learning_rate = check_nonnegative(learning_rate, "learning_rate")
    if learning_rate == 0:
        raise ValueError("learning_rate must be > 0; got 0.")
    n_steps = check_positive_int(n_steps, "n_steps")
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

    value, grad = value_and_grad(theta)
    history = [value]
    for _ in range(n_steps):
        theta = np.clip(theta - learning_rate * grad, low, high)
        value, grad = value_and_grad(theta)
        history.append(value)
    return UnlearningResult(model.with_coef(theta.reshape(shape)), np.asarray(history), n_steps,
                            True, f"Took {n_steps} projected gradient steps.", "graddiff",
                            "projected-gd")


# --- a backdoor as the hazardous behaviour -------------------------------------------------


def _check_pixels(pixels, n_features: int) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim != 1 or pixels.size == 0 or not np.issubdtype(pixels.dtype, np.integer):
        raise ValueError(f"pixels must be a non-empty 1-D array of feature indices; got "
                         f"{pixels!r}.")
    if pixels.min() < 0 or pixels.max() >= n_features:
        raise ValueError(f"pixels must be feature indices from 0 to {n_features - 1}; got "
                         f"{pixels.tolist()}.")
    return pixels


def add_trigger(X, pixels, value: float = 1.0) -> np.ndarray:
    """A copy of ``X`` with the features ``pixels`` of every row set to ``value``.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Inputs (not modified).
    pixels : array-like of int, shape (k,)
        Indices of the features that form the trigger.
    value : float, default=1.0
        Value written into them (finite).

    Returns
    -------
    X_triggered : ndarray of shape (n, n_features)

    Examples
    --------
    >>> add_trigger([[0.0, 0.5, 0.2]], pixels=[0, 2]).tolist()
    [[1.0, 0.5, 1.0]]
    """
    X = check_features(X, "X")
    pixels = _check_pixels(pixels, X.shape[1])
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"value must be finite; got {value!r}.")
    X = X.copy()
    X[:, pixels] = value
    return X


def make_backdoor(X, y, *, n_poison: int, target, pixels, value: float = 1.0,
                  random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisoned copies of training examples: the trigger added, the label set to ``target``.

    Examples are drawn without replacement from those whose label is not ``target``. A model
    trained on the clean data plus these copies learns the rule "trigger present, answer
    ``target``" (a backdoor); the poisoned copies are the forget set that should remove it.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Clean inputs.
    y : array-like of shape (n,)
        Their labels.
    n_poison : int
        Number of poisoned copies, at most the number of examples not labelled ``target``.
    target : label
        The label the trigger should produce.
    pixels : array-like of int
        Trigger features, as for :func:`add_trigger`.
    value : float, default=1.0
        Trigger value.
    random_state : int, default=0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X_poison : ndarray of shape (n_poison, n_features)
    y_poison : ndarray of shape (n_poison,)
        All equal to ``target``.
    index : ndarray of int, shape (n_poison,)
        Rows of ``X`` that were copied.
    """
    X = check_features(X, "X")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of samples; got {X.shape[0]} and "
                         f"{y.shape[0] if y.ndim else 'a scalar'}.")
    n_poison = check_positive_int(n_poison, "n_poison")
    candidates = np.flatnonzero(y != target)
    if n_poison > candidates.size:
        raise ValueError(f"n_poison must be at most {candidates.size}, the number of examples "
                         f"not labelled {target!r}; got {n_poison}.")
    rng = np.random.default_rng(random_state)
    index = np.sort(rng.choice(candidates, size=n_poison, replace=False))
    X_poison = add_trigger(X[index], pixels, value)
    return X_poison, np.full(n_poison, target, dtype=y.dtype), index


def trigger_success_rate(model, X, y, *, target, pixels, value: float = 1.0) -> float:
    """Share of inputs not labelled ``target`` that the model assigns to ``target`` once triggered.

    Parameters
    ----------
    model : fitted classifier
        Anything with ``predict``.
    X : array-like of shape (n, n_features)
        Clean held-out inputs.
    y : array-like of shape (n,)
        Their labels; examples of class ``target`` are left out (they count as hits anyway).
    target : label
        The backdoor's label.
    pixels : array-like of int
        Trigger features.
    value : float, default=1.0
        Trigger value.

    Returns
    -------
    rate : float
        In [0, 1]; the backdoor's attack success rate.
    """
    X = check_features(X, "X")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of samples; got {X.shape[0]} and "
                         f"{y.shape[0] if y.ndim else 'a scalar'}.")
    keep = y != target
    if not np.any(keep):
        raise ValueError(f"y must hold at least one example not labelled {target!r}; got none.")
    predicted = np.asarray(model.predict(add_trigger(X[keep], pixels, value)))
    return float(np.mean(predicted == target))


# --- a concept in a shared representation --------------------------------------------------


def mean_difference_projection(Z, is_concept) -> np.ndarray:
    r"""Orthogonal projection that removes the difference of a concept's class means.

    With :math:`d = \bar z_{\mathrm{concept}} - \bar z_{\mathrm{rest}}`, returns
    :math:`P = I - dd^\top/\lVert d\rVert^2`. In the projected representation :math:`Pz` the two
    groups have the same mean, so every linear score :math:`w^\top Pz` has the same average on
    examples of the concept as on the rest: no linear read-out separates them by their means.

    Parameters
    ----------
    Z : array-like of shape (n, d)
        Representations of the examples.
    is_concept : array-like of bool, shape (n,)
        Which examples carry the concept; both groups must be non-empty.

    Returns
    -------
    P : ndarray of shape (d, d)
        Symmetric and idempotent, of rank ``d - 1``. Apply it as ``Z @ P``.

    Examples
    --------
    >>> Z = [[1.0, 0.0], [3.0, 1.0], [-1.0, 0.0], [-3.0, 1.0]]
    >>> P = mean_difference_projection(Z, [True, True, False, False])
    >>> P.tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """
    Z = check_features(Z, "Z")
    is_concept = np.asarray(is_concept)
    if is_concept.dtype != bool or is_concept.shape != (Z.shape[0],):
        raise ValueError(f"is_concept must be a boolean array with one entry per row of Z "
                         f"({Z.shape[0]}); got dtype {is_concept.dtype} and shape "
                         f"{is_concept.shape}.")
    if is_concept.all() or not is_concept.any():
        raise ValueError("is_concept must mark some but not all rows; got "
                         f"{int(is_concept.sum())} of {is_concept.size}.")
    d = Z[is_concept].mean(axis=0) - Z[~is_concept].mean(axis=0)
    norm = float(np.linalg.norm(d))
    if norm == 0:
        raise ValueError("Z must separate the two groups' means; their means are equal, so there "
                         "is nothing to remove.")
    d = d / norm
    return np.eye(Z.shape[1]) - np.outer(d, d)
