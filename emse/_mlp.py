r"""The arithmetic of a multilayer perceptron on a flat parameter vector (private to emse).

:mod:`emse.neural` (the estimators) and :mod:`emse.neural_unlearn` (EMSE for networks) share it:

* the forward pass :math:`a_k = h(a_{k-1} W_k + b_k)`, :math:`z = a_{L-1} W_L + b_L` and the
  backward pass, the vector-Jacobian product :math:`J^\top\delta` of the outputs, so that any
  loss of the outputs gets its parameter gradient from its derivative ``delta`` by the outputs;
* the layout of the flat vector (layer by layer, ``W`` row-major then ``b``), Glorot-uniform
  initialisation and the mask of the weights that a penalty applies to;
* the same passes stopped at a hidden layer, for a loss of a hidden layer's activations
  (representation misdirection, :func:`emse.neural_unlearn.rmu`);

The module is private to the package; its names carry no underscore so that the two modules
that share it can import them. The minimiser is :func:`emse.optim.minimize`.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy import special

from ._blas import crossprod, matmul

#: Nothing here is public: the estimators of :mod:`emse.neural` are the interface.
__all__: list[str] = []


def activate(Z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "logistic":
        return special.expit(Z)
    if activation == "relu":
        return np.maximum(Z, 0.0)
    return Z


def slope(A: np.ndarray, activation: str) -> np.ndarray:
    """Derivative of the activation, written through its output A = h(Z)."""
    if activation == "tanh":
        return 1.0 - A**2
    if activation == "logistic":
        return A * (1.0 - A)
    if activation == "relu":
        return (A > 0).astype(np.float64)
    return np.ones_like(A)


def unpack(theta: np.ndarray, sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Views (W_k, b_k) into the flat parameter vector, layer by layer."""
    layers, start = [], 0
    for fan_in, fan_out in pairwise(sizes):
        W = theta[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        layers.append((W, theta[start:start + fan_out]))
        start += fan_out
    return layers


def forward(layers, X: np.ndarray, activation: str):
    """Forward pass: the activations a_0 = X, ..., a_{L-1} and the linear output z."""
    activations = [X]
    for W, b in layers[:-1]:
        activations.append(activate(matmul(activations[-1], W) + b, activation))
    W, b = layers[-1]
    return activations, matmul(activations[-1], W) + b


def backward(layers, activations, delta: np.ndarray, activation: str) -> np.ndarray:
    """Backward pass: the gradient of sum(delta * z) with respect to the flat parameters."""
    grads = []
    for k in range(len(layers) - 1, -1, -1):
        # layers[k] = (W_l, c_l) with l = k + 1 in the book's notation; delta is Delta_l
        grads.append(delta.sum(axis=0))                  # d/dc_l = 1^T Delta_l
        grads.append(crossprod(activations[k], delta).ravel())  # d/dW_l = a_{l-1}^T Delta_l
        if k > 0:  # Delta_{l-1} = (Delta_l W_l^T) * psi'(pre-activation of layer l-1)
            delta = matmul(delta, layers[k][0].T) * slope(activations[k], activation)
    return np.concatenate(grads[::-1])


def initial_parameters(sizes, activation: str, random_state) -> np.ndarray:
    """Glorot-uniform weights and biases, as scikit-learn's MLPs draw them."""
    rng = np.random.default_rng(random_state)
    factor = 2.0 if activation == "logistic" else 6.0
    parts = []
    for fan_in, fan_out in pairwise(sizes):
        bound = np.sqrt(factor / (fan_in + fan_out))
        parts.append(rng.uniform(-bound, bound, fan_in * fan_out))
        parts.append(rng.uniform(-bound, bound, fan_out))
    return np.concatenate(parts)


def weight_mask(sizes) -> np.ndarray:
    """True at the entries of the flat vector that are weights (not biases)."""
    return np.concatenate([np.r_[np.ones(i * o, bool), np.zeros(o, bool)]
                           for i, o in pairwise(sizes)])


def outputs_objective(theta, *, sizes, activation, inputs, loss):
    """(value, grad) of ``loss(*outputs)`` over several input sets, by one backward pass each."""
    layers = unpack(theta, sizes)
    passes = [forward(layers, X, activation) for X in inputs]
    value, deltas = loss(*(z for _, z in passes))
    grad = sum(backward(layers, acts, delta, activation)
               for (acts, _), delta in zip(passes, deltas, strict=True))
    return value, grad


def hidden_forward(layers, X: np.ndarray, activation: str, layer: int):
    """Forward pass up to hidden layer ``layer`` (0-based): the activations a_0 = X, ...,
    a_{layer+1}, the last of which is that hidden layer's output."""
    activations = [X]
    for W, b in layers[:layer + 1]:
        activations.append(activate(matmul(activations[-1], W) + b, activation))
    return activations


def hidden_objective(theta, *, sizes, activation, layer, inputs, loss):
    """(value, grad) of ``loss(*hidden activations)`` at hidden layer ``layer`` (0-based).

    ``loss(A_1, ..., A_m)`` takes the activations of that layer on each input set and returns
    ``(value, [dvalue/dA_1, ...])``. The gradient is that of the flat vector: backward passes
    through layers ``0, ..., layer`` only, and zero on the later layers, which do not change
    the hidden activations.
    """
    layers = unpack(theta, sizes)[:layer + 1]
    passes = [hidden_forward(layers, X, activation, layer) for X in inputs]
    value, deltas = loss(*(acts[-1] for acts in passes))
    grad = np.zeros(theta.size)
    front = sum(W.size + b.size for W, b in layers)  # the parameters of layers 0..layer
    for acts, delta in zip(passes, deltas, strict=True):
        # through the activation: d/d(pre-activation) = d/dA * h'(A)
        grad[:front] += backward(layers, acts[:-1], delta * slope(acts[-1], activation),
                                 activation)
    return value, grad
