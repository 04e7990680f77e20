"""Tests of emse.losses: per-example losses and mean-loss gradients of both model kinds."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.metrics import log_loss

from emse import PolynomialRegressor
from emse.logistic import SoftmaxRegression
from emse.losses import get_parameters, mean_loss_and_grad, per_example_loss
from emse.sisa import SISA


@pytest.fixture
def classification():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((90, 3))
    y = np.argmax(X @ rng.standard_normal((3, 3)) + 0.5 * rng.standard_normal((90, 3)), axis=1)
    return X, y


def test_regression_loss_is_squared_residual(model, split):
    """per_example_loss of a regressor is (y - prediction)^2."""
    X, y = split.X_test, split.y_test
    assert_allclose(per_example_loss(model, X, y), (y - model.predict(X)) ** 2)


def test_classification_loss_is_cross_entropy(classification):
    """per_example_loss of a classifier equals sklearn's log_loss example by example."""
    X, y = classification
    model = SoftmaxRegression(alpha=0.5).fit(X, y)
    proba = model.predict_proba(X)
    expected = [log_loss([y[i]], proba[i:i + 1], labels=[0, 1, 2]) for i in range(len(y))]
    assert_allclose(per_example_loss(model, X, y), expected, rtol=1e-9)
    ensemble = SISA(SoftmaxRegression(alpha=0.5), n_shards=3).fit(X, y)
    ens_proba = ensemble.predict_proba(X)
    assert_allclose(per_example_loss(ensemble, X, y),
                    -np.log(ens_proba[np.arange(len(y)), y]), rtol=1e-9)


def test_mean_loss_gradient_regression(model, split):
    """The gradient of the mean squared residual agrees with finite differences."""
    theta = get_parameters(model) + 0.1
    value, grad = mean_loss_and_grad(model, theta, split.X_unwanted, split.y_unwanted)
    r = split.y_unwanted - model.design_matrix(split.X_unwanted) @ theta
    assert value == pytest.approx(np.mean(r**2))
    numeric = approx_fprime(theta, lambda t: mean_loss_and_grad(
        model, t, split.X_unwanted, split.y_unwanted)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_mean_loss_gradient_classification(classification):
    """The mean cross-entropy and its gradient agree with log_loss and finite differences."""
    X, y = classification
    model = SoftmaxRegression(alpha=0.5).fit(X, y)
    theta = get_parameters(model)
    value, grad = mean_loss_and_grad(model, theta, X, y)
    assert value == pytest.approx(log_loss(y, model.predict_proba(X)), rel=1e-9)
    numeric = approx_fprime(theta, lambda t: mean_loss_and_grad(model, t, X, y)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_get_parameters_is_a_copy(model):
    """The flat parameters are a new array."""
    theta = get_parameters(model)
    theta[0] += 1.0
    assert model.coef_[0] != theta[0]


def test_bad_input_raises(model, split):
    """Errors name the argument."""
    with pytest.raises(TypeError, match="model must be a PolynomialRegressor"):
        get_parameters(SISA(PolynomialRegressor()))
    with pytest.raises(ValueError, match="theta must have"):
        mean_loss_and_grad(model, np.zeros(2), split.X_test, split.y_test)
    with pytest.raises(ValueError, match="X must hold at least one"):
        mean_loss_and_grad(model, get_parameters(model), np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="same number of samples"):
        per_example_loss(model, split.X_test, split.y_test[:-1])
    with pytest.raises(TypeError, match="predict"):
        per_example_loss(object(), split.X_test, split.y_test)
