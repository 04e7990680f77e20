r"""Rounding weights to low precision, and unlearning that rounding undoes (chapter 7).

Models are often stored and run at a lower precision than they were trained at. This module
holds the pieces of the chapter's tampering demonstration that concern rounding:

* :func:`quantize`: symmetric absmax rounding of an array of weights to a ``bits``-bit grid;
* :func:`rounding_box`: the set of weights that rounding maps exactly onto the rounded
  reference model;
* :func:`descent_ascent_in_box`: descent-ascent unlearning confined to such a set, so that its
  effect is undone exactly by rounding.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ._validation import check_parametric_model, check_positive_int
from .baselines import descent_ascent_objective
from .objectives import resolve_learning_rate
from .optim import UnlearningResult, gradient_descent, result_of

__all__ = ["descent_ascent_in_box", "quantize", "rounding_box"]


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


def descent_ascent_in_box(model, X_wanted, y_wanted, X_unwanted, y_unwanted, *, low, high,
                          mu: float, learning_rate: float | None = None,
                          max_iter: int = 100) -> UnlearningResult:
    r"""Descent-ascent unlearning with every parameter kept inside a box.

    Projected gradient descent on :math:`L_w(\theta) - \mu L_u(\theta)`, the objective of
    :func:`emse.baselines.descent_ascent`: after each step the parameters are clipped to
    ``[low, high]``. With the box of :func:`rounding_box`, every weight change stays inside its
    rounding cell, so rounding maps the result exactly back onto the rounded trained model,
    however much it has unlearned: a model built to be in the situation where rounding undoes
    unlearning completely. (Zhang et al. (2025) report that 4-bit quantisation restores much of
    what utility-constrained unlearning removed from language models; whether their models are
    in this situation is not something this construction shows.)

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        The trained model (networks included); not modified. Its parameters must lie inside
        the box.
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Wanted data (the retain set).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget (the forget set).
    low, high : array-like of the shape of ``model.coef_`` (or flat)
        Bounds of every parameter, ``low <= high``.
    mu : float
        Weight of the ascent term, ``>= 0``.
    learning_rate : float, default=None
        Step length, ``> 0``; ``None`` takes :math:`1/(L_w + \mu L_u)` from the model's
        curvature bounds, as :func:`emse.baselines.descent_ascent` does.
    max_iter : int, default=100
        Number of projected steps, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the objective at the start and after every step; ``objective`` is
        ``"graddiff"`` and ``method`` is ``"projected-gd"``.
    """
    check_parametric_model(model)
    theta = model.flat_coef()
    low = _check_weights(low, "low")
    high = _check_weights(high, "high")
    shapes = (np.shape(model.coef_), theta.shape)
    for bound, name in ((low, "low"), (high, "high")):
        if bound.shape not in shapes:
            raise ValueError(f"{name} must have the shape {shapes[0]} of model.coef_; got "
                             f"{bound.shape}.")
    low, high = low.ravel(), high.ravel()
    if np.any(low > high):
        raise ValueError("low must not exceed high anywhere; got low > high.")
    if np.any(theta < low) or np.any(theta > high):
        raise ValueError("model's parameters must lie inside the box [low, high]; they do not.")
    value_and_grad = descent_ascent_objective(model, X_wanted, y_wanted, X_unwanted, y_unwanted,
                                              mu)
    step = resolve_learning_rate(learning_rate, model, [(1.0, X_wanted), (mu, X_unwanted)])
    res = gradient_descent(value_and_grad, theta, learning_rate=step,
                           max_iter=check_positive_int(max_iter, "max_iter"), tol=0.0,
                           bounds=(low, high))
    return result_of(model, res, "graddiff", "projected-gd", budget_is_rule=True)
