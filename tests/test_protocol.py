"""Tests of emse.protocol: every model class offers the same methods, and they agree.

Each model is checked against results computed another way: finite differences of its own
loss, the per-example losses of ``emse.losses`` (computed from ``predict`` or
``predict_log_proba``, not from the protocol), and the training objectives as the classes'
docstrings state them.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from emse import PolynomialRegressor
from emse._validation import check_parametric_model
from emse.logistic import SoftmaxRegression
from emse.losses import per_example_loss
from emse.neural import NeuralClassifier, NeuralRegressor
from emse.protocol import CurvedModel, ParametricModel

KINDS = ("polynomial", "softmax", "neural regressor", "neural classifier")
LINEAR = ("polynomial", "softmax")


def _fit(kind, split, blobs):
    """``(kind, model, X, y)``: a model of the class ``kind`` fitted on small data, penalised."""
    if kind == "polynomial":
        X, y = split.X_train, split.y_train
        model = PolynomialRegressor(degree=3, alpha=0.5)
    elif kind == "softmax":
        X, y = blobs
        model = SoftmaxRegression(alpha=0.5, tol=1e-12)
    elif kind == "neural regressor":
        X, y = split.X_train[:40], split.y_train[:40]
        model = NeuralRegressor(hidden_layer_sizes=(4,), alpha=0.3, max_iter=50)
    else:
        X, y = blobs
        model = NeuralClassifier(hidden_layer_sizes=(4,), alpha=0.2, max_iter=50)
    return kind, model.fit(X, y), X, y


@pytest.fixture(scope="module", params=KINDS)
def fitted(request, split, blobs):
    """Each of the four model classes, fitted."""
    return _fit(request.param, split, blobs)


@pytest.fixture(scope="module", params=LINEAR)
def linear(request, split, blobs):
    """The two models that are linear in their features: ``(model, X, y)``."""
    return _fit(request.param, split, blobs)[1:]


def _perturbed(model, seed=0, scale=0.3):
    rng = np.random.default_rng(seed)
    theta = model.flat_coef()
    return theta + scale * rng.standard_normal(theta.size)


def _central_jacobian(grad, theta, eps=1e-5):
    """Columns (grad(theta + eps e_j) - grad(theta - eps e_j)) / (2 eps)."""
    return np.column_stack([(grad(theta + eps * e) - grad(theta - eps * e)) / (2 * eps)
                            for e in np.eye(theta.size)])


def _weights_squared(network):
    return sum(float(np.sum(W**2)) for W in network.coefs_)


def test_every_model_follows_the_protocol(fitted):
    """isinstance(model, ParametricModel); only the linear models know their curvature."""
    kind, model, *_ = fitted
    assert isinstance(model, ParametricModel)
    assert isinstance(model, CurvedModel) == (kind in LINEAR)
    check_parametric_model(model)  # does not raise


def test_flat_coef_is_a_one_dimensional_copy(fitted):
    """Writing into flat_coef() leaves the model as it was."""
    _, model, X, _ = fitted
    before = model.predict(X)
    theta = model.flat_coef()
    assert theta.ndim == 1 and theta.size == np.size(model.coef_)
    theta += 1.0
    assert_allclose(model.flat_coef(), theta - 1.0)
    assert_allclose(model.predict(X), before)


def test_with_coef_of_flat_coef_predicts_the_same(fitted):
    """with_coef(flat_coef()) is a new model with the same predictions (and probabilities)."""
    kind, model, X, _ = fitted
    copy = model.with_coef(model.flat_coef())
    assert copy is not model and type(copy) is type(model)
    assert_allclose(copy.predict(X), model.predict(X), rtol=0, atol=0)
    if kind in ("softmax", "neural classifier"):
        assert_allclose(copy.predict_proba(X), model.predict_proba(X), rtol=0, atol=0)


def test_with_coef_changes_only_the_copy(fitted):
    """Other parameters change the copy's predictions, never the original's."""
    _, model, X, _ = fitted
    before = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
    other = model.with_coef(_perturbed(model, scale=1.0))
    after = other.predict_proba(X) if hasattr(other, "predict_proba") else other.predict(X)
    assert not np.allclose(after, before)
    now = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
    assert_allclose(now, before)


def test_loss_value_is_the_mean_per_example_loss(fitted):
    """The protocol's loss equals emse.losses.per_example_loss (through predict) averaged."""
    _, model, X, y = fitted
    theta = _perturbed(model)
    value, _ = model.loss_value_and_grad(theta, X, y)
    assert value == pytest.approx(np.mean(per_example_loss(model.with_coef(theta), X, y)),
                                  rel=1e-10)


def test_loss_gradient_matches_finite_differences(fitted):
    """The analytic gradient of the mean loss equals scipy's finite differences."""
    _, model, X, y = fitted
    theta = _perturbed(model)
    _, grad = model.loss_value_and_grad(theta, X, y)
    numeric = approx_fprime(theta, lambda t: model.loss_value_and_grad(t, X, y)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_loss_function_equals_loss_value_and_grad(fitted):
    """loss_function(X, y)(theta) is the same evaluation as loss_value_and_grad."""
    _, model, X, y = fitted
    theta = _perturbed(model, seed=4)
    value, grad = model.loss_function(X, y)(theta)
    expected_value, expected_grad = model.loss_value_and_grad(theta, X, y)
    assert value == expected_value
    assert_allclose(grad, expected_grad, rtol=0, atol=0)


def test_objective_is_the_documented_training_objective(fitted):
    """Loss and penalty in each class's own normalisation, as its docstring states it."""
    kind, model, X, y = fitted
    theta = _perturbed(model, seed=1)
    value, _ = model.objective_value_and_grad(theta, X, y)
    mean_loss = np.mean(per_example_loss(model.with_coef(theta), X, y))
    n = X.shape[0]
    if kind == "polynomial":  # |y - Phi theta|^2 + alpha |D theta|^2, the constant unpenalised
        expected = n * mean_loss + 0.5 * np.sum(theta[1:] ** 2)
    elif kind == "softmax":  # sum of cross-entropies + alpha/2 |theta|^2
        expected = n * mean_loss + 0.5 / 2 * np.sum(theta**2)
    else:  # (1/2 for MLPRegressor's loss) mean loss + alpha/(2n) sum of squared weights
        half = 0.5 if kind == "neural regressor" else 1.0
        expected = half * mean_loss + model.alpha / (2 * n) * _weights_squared(
            model.with_coef(theta))
    assert value == pytest.approx(expected, rel=1e-10)


def test_objective_gradient_matches_finite_differences(fitted):
    """The gradient of the training objective (penalty included) equals finite differences."""
    _, model, X, y = fitted
    theta = _perturbed(model, seed=2)
    _, grad = model.objective_value_and_grad(theta, X, y)
    numeric = approx_fprime(theta, lambda t: model.objective_value_and_grad(t, X, y)[0], 1e-7)
    scale = 1.0 + np.max(np.abs(grad))
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5 * scale)


def test_objective_gradient_vanishes_at_the_fit(linear):
    """fit minimises objective_value_and_grad: its gradient is zero at the fitted parameters."""
    model, X, y = linear
    _, grad = model.objective_value_and_grad(model.flat_coef(), X, y)
    _, away = model.objective_value_and_grad(_perturbed(model), X, y)
    assert np.max(np.abs(grad)) < 1e-6
    assert np.max(np.abs(away)) > 1e-2


def test_loss_hessian_matches_finite_differences_of_the_gradient(linear):
    """Each column of loss_hessian is the derivative of the loss gradient; it is symmetric."""
    model, X, y = linear
    theta = _perturbed(model, seed=3)
    hessian = model.loss_hessian(theta, X, y)
    numeric = _central_jacobian(lambda t: model.loss_value_and_grad(t, X, y)[1], theta)
    assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-7)
    assert_allclose(hessian, hessian.T, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.0, 20.0))
def test_loss_curvature_bound_bounds_the_hessian_everywhere(linear, seed, scale):
    """loss_curvature_bound(X) >= the largest eigenvalue of loss_hessian, at any theta."""
    model, X, y = linear
    theta = _perturbed(model, seed=seed, scale=scale)
    largest = np.linalg.eigvalsh(model.loss_hessian(theta, X, y))[-1]
    assert model.loss_curvature_bound(X) >= largest * (1 - 1e-12)


def test_polynomial_curvature_bound_is_exact(split):
    """For the squared loss the Hessian is constant and the bound is its largest eigenvalue."""
    model = PolynomialRegressor(degree=4).fit(split.X_train, split.y_train)
    Phi = model.design_matrix(split.X_unwanted)
    largest = np.linalg.eigvalsh(2 * Phi.T @ Phi / Phi.shape[0])[-1]
    assert model.loss_curvature_bound(split.X_unwanted) == pytest.approx(largest, rel=1e-10)


def test_training_hessian_is_the_hessian_of_the_objective(linear):
    """training_hessian() equals finite differences of the objective's gradient at the fit."""
    model, X, y = linear
    theta = model.flat_coef()
    numeric = _central_jacobian(lambda t: model.objective_value_and_grad(t, X, y)[1], theta)
    scale = np.max(np.abs(numeric))
    assert_allclose(model.training_hessian(), numeric, rtol=1e-5, atol=1e-7 * scale)


def test_downdate_leaves_the_removed_points_out_of_the_stored_hessian(linear):
    """After downdate, training_hessian() is the Hessian of the retained objective (old theta)."""
    model, X, y = linear
    theta = model.flat_coef()
    smaller = model.downdate(X[:10], y[:10], theta)
    numeric = _central_jacobian(lambda t: model.objective_value_and_grad(t, X[10:], y[10:])[1],
                                theta)
    scale = np.max(np.abs(numeric))
    assert_allclose(smaller.training_hessian(), numeric, rtol=1e-5, atol=1e-7 * scale)
    assert smaller.n_samples_fit_ == X.shape[0] - 10
    assert model.n_samples_fit_ == X.shape[0]
    assert_allclose(smaller.flat_coef(), theta)


def test_with_coef_drops_the_stored_hessian(linear):
    """A model whose parameters were set, not fitted, has no training Hessian to offer."""
    model = linear[0]
    with pytest.raises(ValueError, match="with_coef"):
        model.with_coef(model.flat_coef()).training_hessian()


@pytest.mark.parametrize("make", [PolynomialRegressor, SoftmaxRegression, NeuralRegressor,
                                  NeuralClassifier])
def test_unfitted_models_raise_not_fitted(make):
    """Before fit, every protocol method raises NotFittedError."""
    unfitted = make()
    with pytest.raises(NotFittedError):
        unfitted.flat_coef()
    with pytest.raises(NotFittedError):
        unfitted.with_coef(np.zeros(3))
    with pytest.raises(NotFittedError):
        unfitted.loss_value_and_grad(np.zeros(3), np.zeros((2, 1)), np.zeros(2))
    with pytest.raises(NotFittedError):
        check_parametric_model(unfitted)


def test_bad_parameters_and_data_are_refused_by_name(fitted):
    """theta of the wrong shape or not finite, and mismatched data, are named."""
    _, model, X, y = fitted
    theta = model.flat_coef()
    with pytest.raises(ValueError, match="theta must have shape"):
        model.loss_value_and_grad(theta[:-1], X, y)
    with pytest.raises(ValueError, match="theta must contain only finite"):
        model.objective_value_and_grad(np.full_like(theta, np.nan), X, y)
    with pytest.raises(ValueError, match="coef must have shape"):
        model.with_coef(theta[:-1])
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        model.loss_function(X, y[:-1])
    with pytest.raises(ValueError, match=r"X must have [12] feature"):
        model.loss_value_and_grad(theta, np.hstack([X, X, X]), y)


def test_protocol_methods_do_not_modify_model_or_data(fitted):
    """Evaluating the protocol leaves the model's parameters and the arrays unchanged."""
    kind, model, X, y = fitted
    X_copy, y_copy, coef = np.array(X), np.array(y), model.flat_coef()
    theta = _perturbed(model)
    theta_copy = theta.copy()
    model.loss_value_and_grad(theta, X, y)
    model.objective_value_and_grad(theta, X, y)
    model.with_coef(theta)
    if kind in LINEAR:
        model.loss_hessian(theta, X, y)
        model.downdate(X[:3], y[:3], theta)
    assert_allclose(model.flat_coef(), coef, rtol=0, atol=0)
    assert_allclose(theta, theta_copy, rtol=0, atol=0)
    assert_allclose(X, X_copy)
    assert np.array_equal(y, y_copy)


def test_a_clone_refitted_on_the_same_data_has_the_same_parameters(fitted):
    """fit is deterministic, so parameters are comparable entry by entry across refits."""
    _, model, X, y = fitted
    assert_allclose(clone(model).fit(X, y).flat_coef(), model.flat_coef(), rtol=1e-10,
                    atol=1e-12)


def test_a_model_outside_the_protocol_is_refused():
    """check_parametric_model names the missing methods."""
    with pytest.raises(TypeError, match="lacks flat_coef, with_coef, loss_function"):
        check_parametric_model(object())
