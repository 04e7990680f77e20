"""Tests of emse.neural_unlearn.rmu (representation misdirection, Li et al. 2024), its objective,
target and layer reader, and of the hidden-layer backward pass of emse._mlp that they use.

The gradient is checked against finite differences for every hidden layer of a two-layer
network; the result against what RMU promises: the unwanted activations move to c u, the
wanted ones stay, and nothing after the chosen layer changes.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.exceptions import ConvergenceWarning

from emse import UnlearningResult
from emse._mlp import hidden_objective, unpack
from emse.logistic import SoftmaxRegression
from emse.neural import NeuralClassifier, NeuralRegressor
from emse.neural_unlearn import layer_activations, rmu, rmu_objective, rmu_target


@pytest.fixture(scope="module")
def deep(blobs):
    """A (6, 5) tanh classifier on blobs; class 0 is unwanted: ``(network, X_w, y_w, X_u,
    y_u)``."""
    X, y = (np.array(a) for a in blobs)
    network = NeuralClassifier(hidden_layer_sizes=(6, 5), max_iter=300).fit(X, y)
    unwanted = y == 0
    return network, X[~unwanted], y[~unwanted], X[unwanted], y[unwanted]


@pytest.fixture(scope="module")
def deep_regressor(split):
    """A (5, 4) relu regressor on the sine data: ``(network, X_w, y_w, X_u, y_u)``."""
    network = NeuralRegressor(hidden_layer_sizes=(5, 4), activation="relu",
                              max_iter=200).fit(split.X_train, split.y_train)
    return network, split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted


def _perturbed(network, seed=0, scale=0.2):
    theta = network.flat_coef()
    return theta + scale * np.random.default_rng(seed).standard_normal(theta.size)


def _front(network, layer):
    """Number of parameters of the layers 0, ..., layer (0-based hidden index)."""
    return sum(W.size + b.size for W, b in unpack(network.coef_, network.sizes_)[:layer + 1])


@pytest.mark.parametrize("layer", [0, 1, -1, -2])
def test_rmu_gradient_matches_finite_differences(deep, layer):
    """The hidden-layer backward pass gives the gradient of the RMU objective, and it is zero
    on the layers after ``layer``."""
    network, X_w, y_w, X_u, y_u = deep
    function = rmu_objective(network, X_w, y_w, X_u, y_u, layer=layer, steering=3.0, alpha=2.0)
    theta = _perturbed(network, seed=1)
    _, grad = function(theta)
    numeric = approx_fprime(theta, lambda t: function(t)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    assert np.all(grad[_front(network, layer % 2):] == 0.0)
    assert np.any(grad[:_front(network, layer % 2)] != 0.0)


@pytest.mark.parametrize("layer", [0, 1])
def test_rmu_gradient_of_a_relu_regressor_matches_finite_differences(deep_regressor, layer):
    """The same on a regressor with another activation."""
    network, X_w, y_w, X_u, y_u = deep_regressor
    function = rmu_objective(network, X_w, y_w, X_u, y_u, layer=layer, alpha=0.5)
    theta = _perturbed(network, seed=2)
    numeric = approx_fprime(theta, lambda t: function(t)[0], 1e-7)
    assert_allclose(function(theta)[1], numeric, rtol=1e-4, atol=1e-5)


def test_hidden_objective_is_a_loss_of_layer_activations(deep):
    """_mlp.hidden_objective evaluates the loss on the activations layer_activations reads."""
    network, _, _, X_u, _ = deep
    seen = []

    def loss(A):
        seen.append(A)
        return float(np.sum(A)), [np.ones_like(A)]

    value, _ = hidden_objective(network.flat_coef(), sizes=network.sizes_,
                                activation=network.activation, layer=0, inputs=[X_u], loss=loss)
    assert_allclose(seen[0], layer_activations(network, X_u, layer=0), rtol=0, atol=0)
    assert value == pytest.approx(np.sum(seen[0]))


def test_layer_activations_of_the_last_layer_are_the_hidden_features(deep):
    """layer=-1 is the last hidden layer, as NeuralClassifier.hidden_features reads it."""
    network, X_w, *_ = deep
    assert_allclose(layer_activations(network, X_w), network.hidden_features(X_w), rtol=0,
                    atol=0)
    assert layer_activations(network, X_w, layer=0).shape == (X_w.shape[0], 6)
    assert_allclose(layer_activations(network, X_w, layer=-2),
                    layer_activations(network, X_w, layer=0), rtol=0, atol=0)


def test_rmu_target_is_a_fixed_random_vector_of_norm_c(deep):
    """c u: norm steering, entries >= 0 (u uniform on [0, 1) then normalised), the same for the
    same seed and different for another."""
    network = deep[0]
    target = rmu_target(network, layer=0, steering=6.5, random_state=3)
    assert target.shape == (6,) and np.all(target >= 0)
    assert np.linalg.norm(target) == pytest.approx(6.5, rel=1e-12)
    assert_allclose(rmu_target(network, layer=0, steering=6.5, random_state=3), target)
    assert not np.allclose(rmu_target(network, layer=0, steering=6.5, random_state=4), target)
    u = np.random.default_rng(3).random(6)
    assert_allclose(target, 6.5 * u / np.linalg.norm(u), rtol=1e-12)
    assert rmu_target(network).shape == (5,)


def test_rmu_objective_value_by_hand(deep):
    """At the trained parameters the retain term is zero and the forget term is
    mean ||h(x_u) - c u||^2; elsewhere both terms are as written."""
    network, X_w, y_w, X_u, y_u = deep
    target = rmu_target(network, steering=2.0, random_state=7)
    function = rmu_objective(network, X_w, y_w, X_u, y_u, steering=2.0, alpha=3.0,
                             random_state=7)
    H_u = layer_activations(network, X_u)
    assert function(network.flat_coef())[0] == pytest.approx(
        np.mean(np.sum((H_u - target) ** 2, axis=1)), rel=1e-12)
    theta = _perturbed(network, seed=5)
    moved = network.with_coef(theta)
    expected = (np.mean(np.sum((layer_activations(moved, X_u) - target) ** 2, axis=1))
                + 3.0 * np.mean(np.sum((layer_activations(moved, X_w)
                                        - layer_activations(network, X_w)) ** 2, axis=1)))
    assert function(theta)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("layer", [0, -1])
def test_rmu_steers_the_unwanted_and_keeps_the_wanted(deep, layer):
    """After RMU the unwanted activations are much closer to c u, the wanted ones moved far
    less than the unwanted ones, and the layers after ``layer`` are unchanged."""
    network, X_w, y_w, X_u, y_u = deep
    result = rmu(network, X_w, y_w, X_u, y_u, layer=layer, steering=2.0, alpha=3.0,
                 learning_rate=0.05, max_iter=300)
    assert isinstance(result, UnlearningResult)
    assert (result.objective, result.method, result.converged) == ("rmu", "gd", True)
    assert result.history.size == 301 and result.history[-1] < 0.5 * result.history[0]
    target = rmu_target(network, layer=layer, steering=2.0)

    def distance(model, X, to):
        return np.mean(np.sum((layer_activations(model, X, layer=layer) - to) ** 2, axis=1))

    before, after = distance(network, X_u, target), distance(result.model, X_u, target)
    assert after < 0.4 * before
    kept = distance(result.model, X_w, layer_activations(network, X_w, layer=layer))
    moved = distance(result.model, X_u, layer_activations(network, X_u, layer=layer))
    assert kept < 0.1 * before and kept < 0.2 * moved
    front = _front(network, layer % 2)
    assert_allclose(result.model.coef_[front:], network.coef_[front:], rtol=0, atol=0)


def test_rmu_with_a_large_retain_weight_keeps_the_wanted_closer(deep):
    """A larger alpha holds the wanted activations closer to the frozen ones."""
    network, X_w, y_w, X_u, y_u = deep
    frozen = layer_activations(network, X_w)
    drift = []
    for alpha in (0.1, 10.0):
        model = rmu(network, X_w, y_w, X_u, y_u, steering=2.0, alpha=alpha,
                    learning_rate=0.01, max_iter=200).model
        drift.append(np.mean(np.sum((layer_activations(model, X_w) - frozen) ** 2, axis=1)))
    assert drift[1] < drift[0]


def test_rmu_divergence_is_reported_not_nan(deep_regressor):
    """A huge step runs away: a ConvergenceWarning at the caller's line, finite parameters."""
    network, X_w, y_w, X_u, y_u = deep_regressor
    with pytest.warns(ConvergenceWarning, match="rmu diverged") as record:
        result = rmu(network, X_w, y_w, X_u, y_u, learning_rate=1e12, max_iter=5)
    assert record[0].filename == __file__
    assert not result.converged
    assert np.all(np.isfinite(result.model.coef_)) and np.all(np.isfinite(result.history))


def test_rmu_leaves_its_inputs_unchanged(deep):
    """Neither the network nor the arrays change."""
    network, X_w, y_w, X_u, y_u = deep
    coef, arrays = network.coef_.copy(), [a.copy() for a in (X_w, y_w, X_u, y_u)]
    rmu(network, X_w, y_w, X_u, y_u, learning_rate=0.01, max_iter=3)
    assert_allclose(network.coef_, coef, rtol=0, atol=0)
    for before, after in zip(arrays, (X_w, y_w, X_u, y_u), strict=True):
        assert_allclose(after, before, rtol=0, atol=0)


def test_rmu_bad_input_is_refused_naming_the_argument(deep, blobs):
    """Every error names the argument at fault."""
    network, X_w, y_w, X_u, y_u = deep
    data = (X_w, y_w, X_u, y_u)
    with pytest.raises(TypeError, match="network must be a fitted NeuralRegressor or "
                                        "NeuralClassifier; got SoftmaxRegression"):
        rmu(SoftmaxRegression().fit(*blobs), *data, learning_rate=0.1)
    for layer in (2, -3, 0.5, True):
        with pytest.raises(ValueError, match=re.escape("layer must be an integer index of a "
                                                       "hidden layer, in [-2, 1]")):
            rmu(network, *data, layer=layer, learning_rate=0.1)
    with pytest.raises(ValueError, match="steering must be a finite number > 0"):
        rmu(network, *data, steering=0.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        rmu(network, *data, alpha=-1.0, learning_rate=0.1)
    with pytest.raises(TypeError, match="learning_rate must be a real number; got None"):
        rmu(network, *data, learning_rate=None)
    with pytest.raises(TypeError, match="learning_rate"):
        rmu(network, *data)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        rmu(network, *data, learning_rate=-0.1)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        rmu(network, *data, learning_rate=0.1, max_iter=0)
    with pytest.raises(TypeError, match="random_state must be None, an integer >= 0"):
        rmu(network, *data, learning_rate=0.1, random_state="seed")
    with pytest.raises(ValueError, match=re.escape("X_unwanted must have 2 feature(s)")):
        rmu(network, X_w, y_w, X_u[:, :1], y_u, learning_rate=0.1)
    with pytest.raises(ValueError, match="X_wanted and y_wanted must have the same number"):
        rmu(network, X_w, y_w[:-1], X_u, y_u, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"y_unwanted must hold only labels .* \[9\]"):
        rmu(network, X_w, y_w, X_u[:2], [0, 9], learning_rate=0.1)
    with pytest.raises(ValueError, match="theta must have shape"):
        rmu_objective(network, *data)(np.ones(3))
    with pytest.raises(ValueError, match=re.escape("X must have 2 feature(s)")):
        layer_activations(network, np.ones((3, 1)))
