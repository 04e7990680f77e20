"""Tests of emse.losses: the cross-entropy and the per-example loss of any fitted model."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.metrics import log_loss

from emse import PolynomialRegressor
from emse.logistic import SoftmaxRegression
from emse.losses import cross_entropy_and_grad, per_example_loss
from emse.sisa import SISA


def test_cross_entropy_equals_sklearn_log_loss():
    """Each row's loss is log_loss of the softmax probabilities of its logits."""
    rng = np.random.default_rng(0)
    logits = 2.0 * rng.standard_normal((12, 4))
    y_index = rng.integers(0, 4, 12)
    loss, _ = cross_entropy_and_grad(logits, y_index)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = [log_loss([y_index[i]], proba[i:i + 1], labels=range(4)) for i in range(12)]
    assert_allclose(loss, expected, rtol=1e-10)


def test_cross_entropy_derivative_matches_finite_differences():
    """delta[i] is the gradient of loss[i] by logits[i]."""
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((5, 3))
    y_index = np.array([0, 2, 1, 1, 0])
    _, delta = cross_entropy_and_grad(logits, y_index)
    for i in range(5):
        numeric = approx_fprime(
            logits[i], lambda z, i=i: cross_entropy_and_grad(z[None, :], y_index[i:i + 1])[0][0],
            1e-7)
        assert_allclose(delta[i], numeric, rtol=1e-5, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(logits=arrays(np.float64, (6, 3), elements=st.floats(-1e4, 1e4)),
       labels=arrays(np.int64, 6, elements=st.integers(0, 2)))
def test_cross_entropy_is_stable_for_extreme_logits(logits, labels):
    """Finite and non-negative losses, derivatives in [-1, 1] summing to zero, at any scale."""
    loss, delta = cross_entropy_and_grad(logits, labels)
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    assert np.all(np.abs(delta) <= 1 + 1e-12)
    assert_allclose(delta.sum(axis=1), 0.0, atol=1e-12)


def test_cross_entropy_does_not_modify_the_logits():
    """The logits come back untouched."""
    logits = np.array([[1.0, -1.0], [0.5, 0.5]])
    copy = logits.copy()
    cross_entropy_and_grad(logits, np.array([0, 1]))
    assert_allclose(logits, copy, rtol=0, atol=0)


def test_regression_loss_is_squared_residual(model, split):
    """per_example_loss of a regressor is (y - prediction)^2."""
    X, y = split.X_test, split.y_test
    assert_allclose(per_example_loss(model, X, y), (y - model.predict(X)) ** 2)


def test_classification_loss_is_cross_entropy(blobs):
    """per_example_loss of a classifier equals sklearn's log_loss example by example."""
    X, y = blobs
    model = SoftmaxRegression(alpha=0.5).fit(X, y)
    proba = model.predict_proba(X)
    expected = [log_loss([y[i]], proba[i:i + 1], labels=[0, 1, 2]) for i in range(len(y))]
    assert_allclose(per_example_loss(model, X, y), expected, rtol=1e-9)


def test_classification_loss_of_a_network_and_of_string_labels(blobs, neural_classifier):
    """A network's loss comes from predict_log_proba; labels of any type are looked up."""
    X, y = blobs
    proba = neural_classifier.predict_proba(X)
    assert_allclose(per_example_loss(neural_classifier, X, y),
                    -np.log(proba[np.arange(y.size), y]), rtol=1e-8)
    names = np.array(["a", "b", "c"])[y]
    model = SoftmaxRegression().fit(X, names)
    assert_allclose(per_example_loss(model, X, names),
                    -np.log(model.predict_proba(X)[np.arange(y.size), y]), rtol=1e-9)


def test_classification_loss_without_log_proba_clips_probabilities(blobs):
    """A model with predict_proba only (SISA): -log of its probabilities, clipped at 1e-15."""
    X, y = blobs
    ensemble = SISA(SoftmaxRegression(alpha=0.5), n_shards=3).fit(X, y)
    assert not hasattr(ensemble, "predict_log_proba")
    proba = ensemble.predict_proba(X)
    assert_allclose(per_example_loss(ensemble, X, y), -np.log(proba[np.arange(len(y)), y]),
                    rtol=1e-9)
    overconfident = SoftmaxRegression(alpha=0.5).fit(X, y)
    far = overconfident.with_coef(1e3 * overconfident.flat_coef())
    wrong = (y + 1) % 3
    loss = per_example_loss(far, X, wrong)
    assert np.all(np.isfinite(loss)) and np.max(loss) > 100  # log_proba: no clipping needed


def test_bad_input_raises(model, split, blobs):
    """Errors name the argument."""
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        per_example_loss(model, split.X_test, split.y_test[:-1])
    with pytest.raises(TypeError, match="predict"):
        per_example_loss(object(), split.X_test, split.y_test)
    with pytest.raises(ValueError, match="X must have 1 feature"):
        per_example_loss(model, np.ones((2, 2)), np.ones(2))
    X, y = blobs
    classifier = SoftmaxRegression().fit(X, y)
    with pytest.raises(ValueError, match="unknown labels"):
        per_example_loss(classifier, X[:2], [0, 7])
    with pytest.raises(ValueError, match="X must have 1 feature"):
        per_example_loss(SISA(PolynomialRegressor(degree=1), n_shards=2).fit(
            split.X_train, split.y_train), X, y)
