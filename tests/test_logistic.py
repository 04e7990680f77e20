"""Tests of emse.logistic: softmax regression against scikit-learn and finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.utils.estimator_checks import parametrize_with_checks

from emse.baselines import remove_newton
from emse.logistic import (
    SoftmaxRegression,
    softmax_hessian,
    softmax_loss_and_grad,
    softmax_per_example_loss,
)


def _with_ones(X):
    return np.hstack([np.ones((X.shape[0], 1)), X])


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("alpha", [0.1, 2.0])
def test_fit_equals_sklearn(blobs, n_classes, alpha):
    """Same minimiser as LogisticRegression(C=1/alpha) on [1, X] without a separate intercept.

    With two classes sklearn fits one weight vector w = theta_1 - theta_0; at our optimum
    theta_0 = -theta_1 = -w/2, so our penalty is alpha/4 |w|^2 and the match is C = 2/alpha.
    """
    X, y = blobs
    keep = y < n_classes
    X, y = X[keep], y[keep]
    ours = SoftmaxRegression(alpha=alpha, tol=1e-12).fit(X, y)
    C = (2.0 if n_classes == 2 else 1.0) / alpha
    ref = LogisticRegression(C=C, fit_intercept=False, tol=1e-12,
                             max_iter=10_000).fit(_with_ones(X), y)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(_with_ones(X)), atol=1e-6)
    assert_allclose(ours.predict(X), ref.predict(_with_ones(X)))
    if n_classes > 2:  # sklearn's multinomial parameters (binary ones are a difference of ours)
        assert_allclose(ours.coef_, ref.coef_.T, atol=1e-5)


def test_loss_equals_sklearn_log_loss(blobs):
    """The per-example loss is the cross-entropy of sklearn.metrics.log_loss."""
    X, y = blobs
    model = SoftmaxRegression(alpha=1.0).fit(X, y)
    losses = softmax_per_example_loss(model.coef_.ravel(), _with_ones(X), y, 3)
    proba = model.predict_proba(X)
    expected = [log_loss([y[i]], proba[i:i + 1], labels=[0, 1, 2]) for i in range(5)]
    assert_allclose(losses[:5], expected, rtol=1e-10)
    value, _ = softmax_loss_and_grad(model.coef_.ravel(), _with_ones(X), y, 3, alpha=0.0)
    assert value == pytest.approx(log_loss(y, proba, normalize=False), rel=1e-10)


def test_gradient_matches_finite_differences(blobs):
    """The analytic gradient agrees with central differences of the objective."""
    X, y = blobs
    rng = np.random.default_rng(1)
    theta = 0.3 * rng.standard_normal(9)
    Phi = _with_ones(X)
    _, grad = softmax_loss_and_grad(theta, Phi, y, 3, alpha=0.7)
    numeric = approx_fprime(theta, lambda t: softmax_loss_and_grad(t, Phi, y, 3, 0.7)[0], 1e-6)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_hessian_matches_finite_differences_of_gradient(blobs):
    """Each Hessian column is the derivative of the gradient; the Hessian is symmetric PD."""
    X, y = blobs
    rng = np.random.default_rng(2)
    theta = 0.3 * rng.standard_normal(9)
    Phi = _with_ones(X)
    hessian = softmax_hessian(theta, Phi, 3, alpha=0.5)
    eps = 1e-6
    numeric = np.column_stack([
        (softmax_loss_and_grad(theta + eps * e, Phi, y, 3, 0.5)[1]
         - softmax_loss_and_grad(theta - eps * e, Phi, y, 3, 0.5)[1]) / (2 * eps)
        for e in np.eye(9)
    ])
    assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-5)
    assert_allclose(hessian, hessian.T)
    assert np.linalg.eigvalsh(hessian)[0] >= 0.5 - 1e-9


def test_stored_hessian_and_gradient_at_the_fit(blobs):
    """hessian_ is the Hessian at coef_, where the gradient of the objective vanishes."""
    X, y = blobs
    model = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(X, y)
    theta = model.coef_.ravel()
    assert_allclose(model.hessian_, softmax_hessian(theta, _with_ones(X), 3, 1.0))
    assert np.max(np.abs(softmax_loss_and_grad(theta, _with_ones(X), y, 3, 1.0)[1])) < 1e-7
    assert model.n_samples_fit_ == X.shape[0]


def test_without_the_stored_hessian_the_fit_is_the_same_and_newton_refuses(blobs):
    X, y = blobs
    full = SoftmaxRegression(alpha=1.0).fit(X, y)
    lean = SoftmaxRegression(alpha=1.0, store_hessian=False).fit(X, y)
    assert lean.hessian_ is None and np.array_equal(lean.coef_, full.coef_)
    with pytest.raises(ValueError, match="store_hessian=False"):
        remove_newton(lean, X[:2], y[:2])


def test_fixed_classes_keep_the_shape(blobs):
    """classes= keeps a column for a class the data lack (forgetting a whole class)."""
    X, y = blobs
    model = SoftmaxRegression(classes=[0, 1, 2]).fit(X[y < 2], y[y < 2])
    assert model.coef_.shape == (3, 3)
    assert_allclose(model.classes_, [0, 1, 2])
    assert model.predict_proba(X[y < 2])[:, 2].max() < 0.2  # never seen, never likely there


def test_string_labels_and_with_coef(blobs):
    """Labels of any sortable type work; with_coef copies and drops hessian_."""
    X, y = blobs
    labels = np.array(["a", "b", "c"])[y]
    model = SoftmaxRegression().fit(X, labels)
    assert set(model.predict(X)) <= {"a", "b", "c"}
    assert np.mean(model.predict(X) == labels) > 0.9
    other = model.with_coef(np.zeros(9))
    assert other.hessian_ is None and model.hessian_ is not None
    assert_allclose(other.predict_proba(X[:2]), np.full((2, 3), 1 / 3))
    as_matrix = model.with_coef(model.coef_)
    assert_allclose(as_matrix.predict_proba(X), model.predict_proba(X), rtol=0, atol=0)


def test_inputs_not_modified(blobs):
    """fit leaves X and y unchanged."""
    X, y = blobs
    X0, y0 = X.copy(), y.copy()
    SoftmaxRegression().fit(X, y)
    assert_allclose(X, X0)
    assert_allclose(y, y0)


def test_bad_input_raises(blobs):
    """Errors name the argument."""
    X, y = blobs
    Phi, theta = _with_ones(X), np.zeros(9)
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxRegression(alpha=0.0).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="theta must have shape"):
        softmax_loss_and_grad(np.zeros(8), Phi, y, 3)
    with pytest.raises(ValueError, match="y_index must hold integers"):
        softmax_loss_and_grad(theta, Phi, y + 1, 3)
    with pytest.raises(ValueError, match="n_classes must be an integer"):
        softmax_per_example_loss(theta, Phi, y, 1)
    with pytest.raises(ValueError, match="y_index must be 1-D"):
        softmax_loss_and_grad(theta, Phi, y[:-1], 3)
    with pytest.raises(ValueError, match="alpha must be a finite number"):
        softmax_hessian(theta, Phi, 3, alpha=-1.0)
    with pytest.raises(ValueError, match="theta must contain only finite"):
        softmax_hessian(np.full(9, np.nan), Phi, 3)
    model = SoftmaxRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"y must hold only labels .* unknown labels"):
        model.loss_value_and_grad(model.flat_coef(), X[:2], [0, 5])
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="coef must have shape"):
        model.with_coef(np.zeros(4))
    with pytest.raises(ValueError, match="X must have 2 feature"):
        model.design_matrix(np.zeros((3, 4)))


@parametrize_with_checks([SoftmaxRegression()])
def test_sklearn_compatible(estimator, check):
    """SoftmaxRegression passes scikit-learn's estimator checks."""
    check(estimator)


def test_log_proba_is_the_log_of_proba_and_stays_finite(blobs):
    """predict_log_proba equals log(predict_proba), and stays finite where that underflows."""
    X, y = blobs
    model = SoftmaxRegression(alpha=0.5).fit(X, y)
    assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)), rtol=1e-10,
                    atol=1e-12)
    extreme = model.with_coef(1e4 * model.coef_)
    assert np.all(np.isfinite(extreme.predict_log_proba(X)))
    assert np.min(extreme.predict_log_proba(X)) < -1000
