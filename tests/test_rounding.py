"""Tests of emse.rounding: rounding to low precision, its box, and boxed descent-ascent."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from emse.baselines import descent_ascent
from emse.logistic import SoftmaxRegression
from emse.losses import per_example_loss
from emse.rounding import descent_ascent_in_box, quantize, rounding_box

finite_weights = arrays(np.float64, st.integers(1, 30),
                        elements=st.floats(-10, 10, allow_nan=False, allow_subnormal=False))


# --- quantize and rounding_box ---------------------------------------------------------------


def test_quantize_known_answer():
    """Step M/(2^(b-1)-1), round to nearest."""
    assert_allclose(quantize([3.0, -1.2, 0.4, 1.6], bits=3), [3.0, -1.0, 0.0, 2.0])
    assert_allclose(quantize(np.zeros(3), bits=4), np.zeros(3))


@settings(max_examples=60, deadline=None)
@given(theta=finite_weights, bits=st.integers(2, 12))
def test_quantize_properties(theta, bits):
    """Idempotent, keeps the largest magnitude, error at most half a step, few levels."""
    q = quantize(theta, bits)
    assert_allclose(quantize(q, bits), q, atol=1e-12)
    largest = np.max(np.abs(theta))
    assert np.isclose(np.max(np.abs(q)), largest)
    step = largest / (2 ** (bits - 1) - 1) if largest > 0 else 1.0
    assert np.all(np.abs(q - theta) <= step / 2 + 1e-12)
    assert np.unique(q).size <= 2**bits - 1


def test_quantize_keeps_shape_and_input():
    """A matrix stays a matrix; the input is not modified."""
    theta = np.arange(6.0).reshape(2, 3) - 2.5
    before = theta.copy()
    assert quantize(theta, 4).shape == (2, 3)
    assert_array_equal(theta, before)


@pytest.mark.parametrize("bits", [1, 33, 0])
def test_quantize_rejects_bad_bits(bits):
    """bits must lie in 2..32."""
    with pytest.raises(ValueError, match=re.escape(f"bits must be an integer from 2 to 32; got "
                                                   f"{bits}")):
        quantize([1.0], bits)


@pytest.mark.parametrize("bits", [2.5, True, "4"])
def test_quantize_rejects_non_integer_bits(bits):
    """bits must be an integer."""
    with pytest.raises(TypeError, match="bits must be an integer"):
        quantize([1.0], bits)


def test_quantize_rejects_nan_and_empty():
    """NaN and empty weights are refused."""
    with pytest.raises(ValueError, match="finite"):
        quantize([1.0, np.nan], 4)
    with pytest.raises(ValueError, match="at least one weight"):
        quantize([], 4)


@settings(max_examples=60, deadline=None)
@given(theta=finite_weights, bits=st.integers(2, 10), seed=st.integers(0, 2**16))
def test_rounding_box_maps_back(theta, bits, seed):
    """Every point of the box rounds to the rounded reference."""
    if np.max(np.abs(theta)) == 0:
        return
    low, high = rounding_box(theta, bits)
    assert np.all(low <= theta) and np.all(theta <= high)
    rng = np.random.default_rng(seed)
    for point in (low, high, rng.uniform(low, high)):
        assert_array_equal(quantize(point, bits), quantize(theta, bits))


def test_rounding_box_is_tight():
    """Just beyond a cell edge the rounding changes."""
    theta = np.array([3.0, 0.2, -1.1])
    low, high = rounding_box(theta, bits=3)  # step 1: cells (-0.5, 0.5) and (-1.5, -0.5)
    assert_allclose(low[1:], [-0.5, -1.5], atol=1e-8)
    assert_allclose(high[1:], [0.5, -0.5], atol=1e-8)
    assert low[0] == high[0] == 3.0
    beyond = theta.copy()
    beyond[1] = 0.5 + 1e-6
    assert not np.array_equal(quantize(beyond, 3), quantize(theta, 3))


def test_rounding_box_rejects_zero_weights():
    """All-zero weights have no rounding scale."""
    with pytest.raises(ValueError, match="non-zero weight"):
        rounding_box(np.zeros(4), 4)


# --- descent_ascent_in_box ---------------------------------------------------------------


def test_boxed_descent_ascent_without_active_box_equals_descent_ascent(model, split):
    """With a box that never binds, the iterates are those of baselines.descent_ascent."""
    wide = np.full(model.coef_.shape, 1e6)
    kwargs = {"mu": 0.1, "learning_rate": 1e-3, "max_iter": 20}
    boxed = descent_ascent_in_box(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                                  split.y_unwanted, low=-wide, high=wide, **kwargs)
    free = descent_ascent(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                          split.y_unwanted, **kwargs)
    assert_allclose(boxed.model.coef_, free.model.coef_, rtol=1e-12, atol=1e-12)
    assert_allclose(boxed.history, free.history, rtol=1e-12)
    assert boxed.history.shape == (21,)
    assert (boxed.objective, boxed.method, boxed.converged) == ("graddiff", "projected-gd", True)


def test_boxed_descent_ascent_stays_in_the_box_and_rounds_back(blobs):
    """With the rounding box, the unlearned classifier rounds to the rounded original."""
    X, y = blobs
    clf = SoftmaxRegression(alpha=0.1).fit(X, y)
    low, high = rounding_box(clf.coef_, bits=4)
    result = descent_ascent_in_box(clf, X[10:], y[10:], X[:10], y[:10], low=low, high=high,
                                   mu=1.0, learning_rate=0.5, max_iter=30)
    coef = result.model.coef_
    assert np.all(coef >= low) and np.all(coef <= high)
    assert not np.array_equal(coef, clf.coef_)
    assert_array_equal(quantize(coef, 4), quantize(clf.coef_, 4))
    assert result.method == "projected-gd"


def test_boxed_descent_ascent_rejects_a_model_outside_the_box(model, split):
    """The start must lie in the box."""
    coef = model.coef_
    with pytest.raises(ValueError, match="inside the box"):
        descent_ascent_in_box(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                              split.y_unwanted, low=coef + 1, high=coef + 2, mu=0.1,
                              learning_rate=0.1)


def test_boxed_descent_ascent_rejects_bad_boxes(model, split):
    """Wrong shape and crossed bounds are refused."""
    data = (split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted)
    with pytest.raises(ValueError, match="low must have the shape"):
        descent_ascent_in_box(model, *data, low=np.zeros(2), high=np.zeros(2), mu=0.1,
                              learning_rate=0.1)
    coef = model.coef_
    with pytest.raises(ValueError, match="low must not exceed high"):
        descent_ascent_in_box(model, *data, low=coef + 1, high=coef - 1, mu=0.1,
                              learning_rate=0.1)


def test_boxed_descent_ascent_rejects_zero_step(model, split):
    """A zero learning rate is refused."""
    coef = model.coef_
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        descent_ascent_in_box(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                              split.y_unwanted, low=coef - 1, high=coef + 1, mu=0.1,
                              learning_rate=0.0)


def test_boxed_descent_ascent_default_step_is_descent_ascents(model, split):
    """learning_rate=None is 1/(L_w + mu L_u), the step descent_ascent takes by default."""
    data = (split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted)
    wide = np.full(model.coef_.shape, 1e6)
    bounds = model.loss_curvature_bound(split.X_wanted), model.loss_curvature_bound(
        split.X_unwanted)
    boxed = descent_ascent_in_box(model, *data, low=-wide, high=wide, mu=0.2, max_iter=5)
    explicit = descent_ascent(model, *data, mu=0.2, max_iter=5,
                              learning_rate=1 / (bounds[0] + 0.2 * bounds[1]))
    assert_allclose(boxed.model.coef_, explicit.model.coef_, rtol=1e-10)


@pytest.mark.parametrize("network", ["neural_regressor", "neural_classifier"])
def test_boxed_descent_ascent_on_a_network_stays_in_the_rounding_box(request, split, blobs,
                                                                      network):
    """A network's unlearning confined to its rounding box: inside, changed, rounds back."""
    network = request.getfixturevalue(network)
    X, y = (split.X_train, split.y_train) if network.sizes_[-1] == 1 else blobs
    theta = network.flat_coef()
    low, high = rounding_box(theta, bits=6)
    result = descent_ascent_in_box(network, X[30:], y[30:], X[:30], y[:30], low=low,
                                   high=high, mu=1.0, learning_rate=0.5, max_iter=20)
    unlearned = result.model.flat_coef()
    assert np.all(unlearned >= low) and np.all(unlearned <= high)
    assert not np.array_equal(unlearned, theta)
    assert_array_equal(quantize(unlearned, 6), quantize(theta, 6))
    before = np.mean(per_example_loss(network, X[:30], y[:30]))
    assert result.history[-1] < result.history[0]
    assert np.mean(per_example_loss(result.model, X[:30], y[:30])) > before
    with pytest.raises(ValueError, match="learning_rate must be given"):
        descent_ascent_in_box(network, X[30:], y[30:], X[:30], y[:30], low=low, high=high,
                              mu=1.0)
