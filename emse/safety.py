r"""Constructions behind the safety-limit demonstrations of chapter 7.

Each function builds one object that a demonstration of the chapter needs and that no other
module provides:

* :func:`forge_retained_labels`: a dataset *without* some training points whose least-squares
  fit is exactly the model trained *with* them (weights cannot prove that a point is gone);
* :func:`sgd_trajectory`, :func:`replay_sgd` and :func:`forge_sgd_trajectory`: a mini-batch SGD
  training log, its replay by an auditor, and a forged log whose mini-batches are drawn only from
  the retained data but whose updates follow the real ones (the forging of Thudi et al. 2022);
* :func:`add_trigger`, :func:`make_backdoor` and :func:`trigger_success_rate`: a backdoor
  planted by poisoned training examples, the "hazardous behaviour" that unlearning should remove;
* :func:`mean_difference_projection`: removal of a concept from a shared representation by
  projecting out the difference of its class means.

Rounding of weights to low precision, the other tampering of that chapter, is in
:mod:`emse.rounding`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (
    check_features,
    check_fitted_model,
    check_model_data,
    check_nonempty,
    check_parametric_model,
    check_positive,
    check_positive_int,
    check_regression_data,
    check_same_length,
)

__all__ = [
    "SGDTrajectory",
    "add_trigger",
    "forge_retained_labels",
    "forge_sgd_trajectory",
    "make_backdoor",
    "mean_difference_projection",
    "replay_sgd",
    "sgd_trajectory",
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


# --- forging a training log: mini-batch SGD with genuine retained data ----------------------


@dataclass(frozen=True)
class SGDTrajectory:
    r"""A log of mini-batch SGD: the iterates and the mini-batch of every step.

    Step :math:`t` took the mini-batch :math:`B_t` (rows of the data the log refers to) and moved
    :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t; B_t)`, with :math:`L` the model's
    mean loss (:mod:`emse.protocol`) and :math:`\eta` the learning rate.

    Attributes
    ----------
    weights : ndarray of shape (n_steps + 1, n_params)
        The iterates :math:`\theta_0, \dots, \theta_T`, flat as ``model.flat_coef()``.
    batches : ndarray of int, shape (n_steps, b)
        Row indices of each step's mini-batch of ``b`` points.
    learning_rate : float
        The step size :math:`\eta`.
    """

    weights: np.ndarray
    batches: np.ndarray
    learning_rate: float

    @property
    def final(self) -> np.ndarray:
        """The last iterate :math:`\theta_T` (a view of ``weights``)."""
        return self.weights[-1]

    @property
    def n_steps(self) -> int:
        """The number of steps :math:`T`."""
        return int(self.batches.shape[0])


def _sgd_inputs(model, X, y, learning_rate):
    check_parametric_model(model)
    X, y = check_model_data(model, X, y, "X", "y")
    return X, y, check_positive(learning_rate, "learning_rate")


def _check_batches(batches, n: int, name: str = "batches") -> np.ndarray:
    batches = np.asarray(batches)
    if (batches.ndim != 2 or batches.size == 0
            or not np.issubdtype(batches.dtype, np.integer)):
        raise ValueError(f"{name} must be a non-empty 2-D integer array of shape (n_steps, "
                         f"batch_size); got {batches!r}.")
    if batches.min() < 0 or batches.max() >= n:
        raise ValueError(f"{name} must index rows 0 to {n - 1} of the data; got values from "
                         f"{batches.min()} to {batches.max()}.")
    return batches


def _start(model, theta0) -> np.ndarray:
    size = model.flat_coef().size
    if theta0 is None:
        return np.zeros(size)
    theta0 = np.array(theta0, dtype=np.float64).ravel()
    if theta0.shape != (size,) or not np.all(np.isfinite(theta0)):
        raise ValueError(f"theta0 must be {size} finite numbers (the model's flat parameters); "
                         f"got shape {theta0.shape}.")
    return theta0


def _random_batches(rng, n: int, batch_size: int, n_batches: int) -> np.ndarray:
    # n_batches independent mini-batches, each batch_size distinct rows drawn uniformly from n
    keys = rng.random((n_batches, n))
    if batch_size == n:
        return np.argsort(keys, axis=1)
    return np.argpartition(keys, batch_size, axis=1)[:, :batch_size]


def replay_sgd(model, X, y, batches, *, learning_rate, theta0=None) -> np.ndarray:
    r"""The iterates of mini-batch SGD that takes the given mini-batches in turn.

    What an auditor who holds the data and a training log does to check it:
    :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t; B_t)` from :math:`\theta_0`.

    Parameters
    ----------
    model : fitted model of the protocol (:mod:`emse.protocol`)
        Supplies the loss; its own parameters are not used and not modified.
    X : array-like of shape (n, n_features)
        The data the batch indices refer to.
    y : array-like of shape (n,)
        Their targets or labels.
    batches : array-like of int, shape (n_steps, b)
        Row indices of each step's mini-batch of ``b`` points.
    learning_rate : float
        Step size :math:`\eta > 0`.
    theta0 : array-like, default=None
        Starting parameters (flat); ``None`` starts from zero.

    Returns
    -------
    weights : ndarray of shape (n_steps + 1, n_params)
        :math:`\theta_0, \dots, \theta_T`.

    Examples
    --------
    >>> import numpy as np
    >>> from emse import PolynomialRegressor
    >>> X = np.linspace(-1, 1, 8).reshape(-1, 1)
    >>> model = PolynomialRegressor(degree=1).fit(X, 2 * X[:, 0])
    >>> weights = replay_sgd(model, X, 2 * X[:, 0], [[0, 7], [1, 6]], learning_rate=0.5)
    >>> weights.shape
    (3, 2)
    """
    X, y, learning_rate = _sgd_inputs(model, X, y, learning_rate)
    batches = _check_batches(batches, X.shape[0])
    theta = _start(model, theta0)
    weights = [theta]
    for batch in batches:
        theta = theta - learning_rate * model.loss_function(X[batch], y[batch])(theta)[1]
        weights.append(theta)
    return np.array(weights)


def sgd_trajectory(model, X, y, *, batch_size: int, learning_rate, n_steps: int, rng,
                   theta0=None) -> SGDTrajectory:
    r"""Train by mini-batch SGD and keep the log: every iterate and every mini-batch.

    Each step draws ``batch_size`` distinct rows uniformly at random (independently of the other
    steps) and takes one gradient step on their mean loss, as :func:`replay_sgd` does.

    Parameters
    ----------
    model : fitted model of the protocol (:mod:`emse.protocol`)
        Supplies the loss; its own parameters are not used and not modified.
    X : array-like of shape (n, n_features)
        Training inputs.
    y : array-like of shape (n,)
        Their targets or labels.
    batch_size : int
        Rows per mini-batch, from 1 to ``n``.
    learning_rate : float
        Step size :math:`\eta > 0`.
    n_steps : int
        Number of steps, ``>= 1``.
    rng : numpy.random.Generator or int or None
        Source of the batch order (``numpy.random.default_rng(rng)``).
    theta0 : array-like, default=None
        Starting parameters (flat); ``None`` starts from zero.

    Returns
    -------
    trajectory : SGDTrajectory
        With ``batches`` indexing the rows of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from emse import PolynomialRegressor
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
    >>> model = PolynomialRegressor(degree=1).fit(X, 2 * X[:, 0])
    >>> log = sgd_trajectory(model, X, 2 * X[:, 0], batch_size=5, learning_rate=0.5,
    ...                      n_steps=200, rng=0)
    >>> bool(np.allclose(log.final, model.coef_, atol=1e-6))
    True
    """
    X, y, learning_rate = _sgd_inputs(model, X, y, learning_rate)
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > X.shape[0]:
        raise ValueError(f"batch_size must be at most the number of rows, {X.shape[0]}; got "
                         f"{batch_size}.")
    n_steps = check_positive_int(n_steps, "n_steps")
    batches = _random_batches(np.random.default_rng(rng), X.shape[0], batch_size, n_steps)
    weights = replay_sgd(model, X, y, batches, learning_rate=learning_rate, theta0=theta0)
    return SGDTrajectory(weights, batches, learning_rate)


def forge_sgd_trajectory(model, X_retained, y_retained, trajectory: SGDTrajectory, *,
                         n_candidates: int, rng) -> SGDTrajectory:
    r"""A training log with mini-batches of retained points only, whose updates follow a real one.

    ``trajectory`` was trained on the retained points and some removed points together. At every
    step :math:`t`, from the forged iterate :math:`\theta'_t` (:math:`\theta'_0 = \theta_0`),
    we draw ``n_candidates`` mini-batches of the same size uniformly from the retained data and
    keep the one whose update lands nearest the real next iterate,

    .. math::

        B'_t = \arg\min_{B \in \mathcal C_t}
        \bigl\lVert \theta'_t - \eta\nabla L(\theta'_t; B) - \theta_{t+1} \bigr\rVert ,
        \qquad \theta'_{t+1} = \theta'_t - \eta\nabla L(\theta'_t; B'_t) .

    While :math:`\theta'_t = \theta_t` this is the criterion of Thudi et al. (2022): the retained
    mini-batch whose gradient at the current iterate is nearest the real mini-batch's gradient.
    Once the two paths differ, it also pulls the forged iterate back toward the real one, so that
    the per-step mismatches do not accumulate.

    The forged log is genuine in the sense an auditor can check: every mini-batch consists of
    real retained points, and replaying it (:func:`replay_sgd` on the retained data from
    :math:`\theta_0`) gives exactly the returned ``weights``. The mini-batches are, however,
    *chosen*, not drawn at random.

    The gradient of a mini-batch is computed as the mean of the retained points' individual
    gradients, one ``model.loss_function`` per retained point built once, so the cost per step
    grows with the number of retained points, not with ``n_candidates``. This assumes, as for
    every model of ``emse``, that the mean loss of a batch is the mean of its points' losses.

    Parameters
    ----------
    model : fitted model of the protocol (:mod:`emse.protocol`)
        The model class the log was trained with; its parameters are not used.
    X_retained : array-like of shape (n_r, n_features)
        The retained inputs, at least the log's batch size.
    y_retained : array-like of shape (n_r,)
        Their true targets or labels (forging does not change them).
    trajectory : SGDTrajectory
        The real log, from :func:`sgd_trajectory`.
    n_candidates : int
        Candidate mini-batches per step, ``>= 1``; with 1, the forged log is an honest SGD run on
        the retained data that ignores the real log.
    rng : numpy.random.Generator or int or None
        Source of the candidates.

    Returns
    -------
    forged : SGDTrajectory
        ``batches`` index the rows of ``X_retained``; ``weights`` are the forged iterates
        :math:`\theta'_0, \dots, \theta'_T`, ``forged.final`` the forged final parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from emse import PolynomialRegressor
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> y = X[:, 0] ** 2 + 0.1 * np.cos(7 * X[:, 0])
    >>> model = PolynomialRegressor(degree=2).fit(X, y)
    >>> real = sgd_trajectory(model, X, y, batch_size=4, learning_rate=0.2, n_steps=100, rng=0)
    >>> forged = forge_sgd_trajectory(model, X[1:], y[1:], real, n_candidates=200, rng=1)
    >>> bool(np.allclose(replay_sgd(model, X[1:], y[1:], forged.batches, learning_rate=0.2),
    ...                  forged.weights))
    True
    """
    check_parametric_model(model)
    X_r, y_r = check_model_data(model, X_retained, y_retained, "X_retained", "y_retained")
    if not isinstance(trajectory, SGDTrajectory):
        raise TypeError(f"trajectory must be an SGDTrajectory (from sgd_trajectory); got "
                        f"{type(trajectory).__name__}.")
    n_candidates = check_positive_int(n_candidates, "n_candidates")
    batch_size = trajectory.batches.shape[1]
    n_r = X_r.shape[0]
    if batch_size > n_r:
        raise ValueError(f"X_retained must hold at least the log's batch size, {batch_size} "
                         f"rows; got {n_r}.")
    rng = np.random.default_rng(rng)
    eta = float(trajectory.learning_rate)
    real = np.asarray(trajectory.weights, dtype=np.float64)
    losses = [model.loss_function(X_r[i:i + 1], y_r[i:i + 1]) for i in range(n_r)]
    theta = real[0].copy()
    weights, batches = [theta], []
    for t in range(trajectory.n_steps):
        gradients = np.array([loss(theta)[1] for loss in losses])  # one row per retained point
        candidates = _random_batches(rng, n_r, batch_size, n_candidates)
        landing = theta - eta * gradients[candidates].mean(axis=1)  # (n_candidates, n_params)
        best = int(np.argmin(np.sum((landing - real[t + 1]) ** 2, axis=1)))
        theta = landing[best]
        weights.append(theta)
        batches.append(candidates[best])
    return SGDTrajectory(np.array(weights), np.array(batches), eta)


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
