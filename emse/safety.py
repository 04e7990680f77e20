r"""Constructions behind the safety-limit demonstrations of chapter 7.

Each function builds one object that a demonstration of the chapter needs and that no other
module provides:

* :func:`forge_retained_labels`: a dataset *without* some training points whose least-squares
  fit is exactly the model trained *with* them (weights cannot prove that a point is gone);
* :func:`add_trigger`, :func:`make_backdoor` and :func:`trigger_success_rate`: a backdoor
  planted by poisoned training examples, the "hazardous behaviour" that unlearning should remove;
* :func:`mean_difference_projection`: removal of a concept from a shared representation by
  projecting out the difference of its class means.

Rounding of weights to low precision, the other tampering of that chapter, is in
:mod:`emse.rounding`.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_features,
    check_fitted_model,
    check_nonempty,
    check_positive_int,
    check_regression_data,
    check_same_length,
)

__all__ = [
    "add_trigger",
    "forge_retained_labels",
    "make_backdoor",
    "mean_difference_projection",
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
    model : PolynomialRegressor
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
    check_nonempty(X_d, "X_removed")
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
    check_same_length(X, y, "X", "y")
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D of shape (n_samples,); got shape {y.shape}.")
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
    check_same_length(X, y, "X", "y")
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D of shape (n_samples,); got shape {y.shape}.")
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
