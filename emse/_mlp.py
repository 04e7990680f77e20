r"""The arithmetic of a multilayer perceptron on a flat parameter vector (private to emse).

:mod:`emse.neural` (the estimators) and :mod:`emse.neural_unlearn` (EMSE for networks) share it:

* the forward pass :math:`a_k = h(a_{k-1} W_k + b_k)`, :math:`z = a_{L-1} W_L + b_L` and the
  backward pass, the vector-Jacobian product :math:`J^\top\delta` of the outputs, so that any
  loss of the outputs gets its parameter gradient from its derivative ``delta`` by the outputs;
* the layout of the flat vector (layer by layer, ``W`` row-major then ``b``), Glorot-uniform
  initialisation and the mask of the weights that a penalty applies to;
* a minimiser (L-BFGS-B or plain gradient descent) that stops, and says so, when the iterates or
  the objective run away, and never returns a non-finite iterate.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy import optimize, special

from ._threads import one_blas_thread
from .optim import DIVERGENCE_FACTOR, gradient_descent

#: Nothing here is public: the estimators of :mod:`emse.neural` are the interface.
__all__: list[str] = []


def _activate(Z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "logistic":
        return special.expit(Z)
    if activation == "relu":
        return np.maximum(Z, 0.0)
    return Z


def _slope(A: np.ndarray, activation: str) -> np.ndarray:
    """Derivative of the activation, written through its output A = h(Z)."""
    if activation == "tanh":
        return 1.0 - A**2
    if activation == "logistic":
        return A * (1.0 - A)
    if activation == "relu":
        return (A > 0).astype(np.float64)
    return np.ones_like(A)


def _unpack(theta: np.ndarray, sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Views (W_k, b_k) into the flat parameter vector, layer by layer."""
    layers, start = [], 0
    for fan_in, fan_out in pairwise(sizes):
        W = theta[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        layers.append((W, theta[start:start + fan_out]))
        start += fan_out
    return layers


def _forward(layers, X: np.ndarray, activation: str):
    """Forward pass: the activations a_0 = X, ..., a_{L-1} and the linear output z."""
    activations = [X]
    for W, b in layers[:-1]:
        activations.append(_activate(activations[-1] @ W + b, activation))
    W, b = layers[-1]
    return activations, activations[-1] @ W + b


def _backward(layers, activations, delta: np.ndarray, activation: str) -> np.ndarray:
    """Backward pass: the gradient of sum(delta * z) with respect to the flat parameters."""
    grads = []
    for k in range(len(layers) - 1, -1, -1):
        grads.append(delta.sum(axis=0))                  # d/db_k
        grads.append((activations[k].T @ delta).ravel())  # d/dW_k
        if k > 0:
            delta = (delta @ layers[k][0].T) * _slope(activations[k], activation)
    return np.concatenate(grads[::-1])


def _initial_parameters(sizes, activation: str, random_state) -> np.ndarray:
    """Glorot-uniform weights and biases, as scikit-learn's MLPs draw them."""
    rng = np.random.default_rng(random_state)
    factor = 2.0 if activation == "logistic" else 6.0
    parts = []
    for fan_in, fan_out in pairwise(sizes):
        bound = np.sqrt(factor / (fan_in + fan_out))
        parts.append(rng.uniform(-bound, bound, fan_in * fan_out))
        parts.append(rng.uniform(-bound, bound, fan_out))
    return np.concatenate(parts)


def _weight_mask(sizes) -> np.ndarray:
    """True at the entries of the flat vector that are weights (not biases)."""
    return np.concatenate([np.r_[np.ones(i * o, bool), np.zeros(o, bool)]
                           for i, o in pairwise(sizes)])


def _outputs_objective(theta, *, sizes, activation, inputs, loss):
    """(value, grad) of ``loss(*outputs)`` over several input sets, by one backward pass each."""
    layers = _unpack(theta, sizes)
    passes = [_forward(layers, X, activation) for X in inputs]
    value, deltas = loss(*(z for _, z in passes))
    grad = sum(_backward(layers, acts, delta, activation)
               for (acts, _), delta in zip(passes, deltas, strict=True))
    return value, grad


class _Diverged(Exception):
    """Raised inside an objective when the iterates run away."""


@one_blas_thread
def _minimise(fun, theta0, *, method, max_iter, tol, learning_rate):
    """Minimise ``fun`` by L-BFGS-B or gradient descent; never returns a non-finite iterate.

    Returns ``(theta, history, n_iter, converged, message, diverged)``. BLAS runs on one thread
    (see ``emse/_threads.py``).
    """
    f0 = fun(theta0)[0]
    bound = DIVERGENCE_FACTOR * (1.0 + np.linalg.norm(theta0))
    floor = -DIVERGENCE_FACTOR * (1.0 + abs(f0))

    def guarded(theta):
        with np.errstate(over="ignore", invalid="ignore"):
            value, grad = fun(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))) or value < floor or (
                np.linalg.norm(theta) > bound):
            raise _Diverged
        return value, grad

    if method == "gd":
        def stepped(theta):
            try:
                return guarded(theta)
            except _Diverged:
                return np.nan, np.full_like(theta, np.nan)
        res = gradient_descent(stepped, theta0, learning_rate=learning_rate, max_iter=max_iter,
                               tol=tol)
        return (res.x, res.history, int(res.nit), bool(res.success), res.message,
                res.status == 2)
    history, last = [f0], [np.array(theta0, copy=True)]

    def callback(intermediate_result):
        history.append(float(intermediate_result.fun))
        last[0] = np.array(intermediate_result.x, copy=True)

    try:
        res = optimize.minimize(guarded, theta0, jac=True, method="L-BFGS-B", callback=callback,
                                options={"maxiter": max_iter, "gtol": tol})
    except _Diverged:
        return (last[0], np.asarray(history), len(history) - 1, False,
                "Diverged: the objective or the parameters ran away; the last accepted iterate "
                "is returned (the objective may be unbounded below).", True)
    converged = bool(res.success) or bool(np.max(np.abs(res.jac)) <= tol)
    return res.x, np.asarray(history), int(res.nit), converged, str(res.message), False
