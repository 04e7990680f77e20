"""Tests of emse.models: the estimator contract, agreement with scikit-learn, conditioning."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils.estimator_checks import parametrize_with_checks

from emse import PolynomialRegressor
from emse.models import graded_powers


@parametrize_with_checks([PolynomialRegressor(), PolynomialRegressor(degree=2, alpha=0.1)])
def test_sklearn_estimator_contract(estimator, check):
    """PolynomialRegressor passes scikit-learn's estimator checks."""
    check(estimator)


@pytest.mark.parametrize("degree", [0, 1, 3, 6])
@pytest.mark.parametrize("n_features", [1, 2])
def test_predictions_match_sklearn_pipeline(degree, n_features):
    """Same span as PolynomialFeatures + LinearRegression, so the same least-squares fit."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(80, n_features))
    y = np.cos(2 * X).sum(axis=1) + 0.1 * rng.standard_normal(80)
    ours = PolynomialRegressor(degree=degree).fit(X, y)
    reference = make_pipeline(PolynomialFeatures(degree), LinearRegression()).fit(X, y)
    X_new = rng.uniform(-1, 1, size=(30, n_features))
    assert_allclose(ours.predict(X_new), reference.predict(X_new), atol=1e-8)


def test_degree_15_far_from_unit_interval_stays_accurate():
    """Scaling to [-1, 1] keeps degree 15 accurate where raw monomials fail."""
    rng = np.random.default_rng(1)
    X = rng.uniform(1000, 1010, size=(300, 1))
    y = np.cos(X[:, 0] - 1005)
    ours = PolynomialRegressor(degree=15).fit(X, y)
    raw = make_pipeline(PolynomialFeatures(15), LinearRegression()).fit(X, y)
    ours_error = np.max(np.abs(ours.predict(X) - y))
    raw_error = np.max(np.abs(raw.predict(X) - y))
    assert ours_error < 1e-5
    assert raw_error > 1000 * ours_error


def test_ridge_matches_closed_form_in_legendre_basis():
    """alpha > 0 solves (Phi^T Phi + alpha D^T D) theta = Phi^T y, constant unpenalised."""
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(50, 1))
    y = X[:, 0] ** 3 + rng.standard_normal(50)
    model = PolynomialRegressor(degree=4, alpha=3.0).fit(X, y)
    Phi = model.design_matrix(X)
    D = np.eye(Phi.shape[1])[1:]
    expected = np.linalg.solve(Phi.T @ Phi + 3.0 * D.T @ D, Phi.T @ y)
    assert_allclose(model.coef_, expected, rtol=1e-10, atol=1e-12)
    assert_allclose(model.gram_, Phi.T @ Phi + 3.0 * D.T @ D)
    # Same thing through scikit-learn's Ridge on the Legendre features, intercept unpenalised.
    ridge = Ridge(alpha=3.0).fit(Phi[:, 1:], y)
    assert_allclose(model.predict(X), ridge.predict(Phi[:, 1:]), atol=1e-9)


def test_design_matrix_first_column_is_constant_and_columns_are_legendre(model, split):
    """Column 0 is 1 and column 2 is P_2 of the scaled input."""
    Phi = model.design_matrix(split.X_train)
    assert_allclose(Phi[:, 0], 1.0)
    low, high = model.domain_[0]
    t = (2 * split.X_train[:, 0] - (low + high)) / (high - low)
    assert_allclose(Phi[:, 2], (3 * t**2 - 1) / 2)
    assert Phi.shape == (split.X_train.shape[0], model.degree + 1)


def test_graded_powers_matches_polynomial_features():
    """The basis order is scikit-learn's PolynomialFeatures order."""
    reference = PolynomialFeatures(3).fit(np.zeros((1, 3))).powers_
    assert_allclose(graded_powers(3, 3), reference)


def test_fixed_domain_is_used(split):
    """domain=(a, b) maps [a, b] onto [-1, 1] whatever the data's range."""
    model = PolynomialRegressor(degree=2, domain=(-10, 10)).fit(split.X_train, split.y_train)
    assert_allclose(model.domain_, [[-10, 10]])
    assert_allclose(model.design_matrix([[10.0]])[0, 1], 1.0)


def test_to_polynomial_agrees_with_predict(model):
    """The raw-monomial conversion evaluates to the same curve."""
    x = np.linspace(-3, 3, 11)
    assert_allclose(model.to_polynomial()(x), model.predict(x.reshape(-1, 1)), atol=1e-8)


def test_with_coef_returns_new_model_and_keeps_original(model):
    """with_coef copies; the original keeps its coefficients and sufficient statistics."""
    before = model.coef_.copy()
    other = model.with_coef(np.zeros_like(model.coef_))
    assert other is not model
    assert_allclose(model.coef_, before)
    assert model.gram_ is not None
    assert other.gram_ is None
    assert_allclose(other.predict([[0.3]]), [0.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"degree": -1}, "'degree' parameter"),
        ({"degree": 2.5}, "'degree' parameter"),
        ({"alpha": -0.1}, "'alpha' parameter"),
        ({"domain": (1.0, 0.0)}, "domain must hold finite"),
        ({"domain": [[0, 1], [0, 1]]}, "domain must have shape"),
    ],
)
def test_bad_hyperparameters_raise_with_name(kwargs, message):
    """Each bad hyperparameter is named in the error."""
    with pytest.raises(ValueError, match=message):
        PolynomialRegressor(**kwargs).fit(np.arange(5.0).reshape(-1, 1), np.arange(5.0))


def test_bad_inputs_raise():
    """NaN, infinite, mismatched or 1-D inputs are refused."""
    X, y = np.arange(6.0).reshape(-1, 1), np.arange(6.0)
    with pytest.raises(ValueError, match="NaN"):
        PolynomialRegressor().fit(np.where(X > 4, np.nan, X), y)
    with pytest.raises(ValueError, match="infinity"):
        PolynomialRegressor().fit(X, np.where(y > 4, np.inf, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        PolynomialRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        PolynomialRegressor().fit(X[:, 0], y)
    with pytest.raises(NotFittedError):
        PolynomialRegressor().predict(X)
    model = PolynomialRegressor().fit(X, y)
    with pytest.raises(ValueError, match="coef must have shape"):
        model.with_coef([1.0])
    with pytest.raises(ValueError, match="finite"):
        model.with_coef(np.full(4, np.nan))
    with pytest.raises(ValueError, match="one feature"):
        PolynomialRegressor(1).fit(np.ones((4, 2)) * np.arange(4)[:, None], y[:4]).to_polynomial()


def test_fit_does_not_modify_inputs(split):
    """fit and predict leave X and y as they were."""
    X, y = np.array(split.X_train), np.array(split.y_train)
    X0, y0 = X.copy(), y.copy()
    PolynomialRegressor(degree=4).fit(X, y).predict(X)
    assert_allclose(X, X0)
    assert_allclose(y, y0)


@settings(max_examples=40, deadline=None)
@given(
    shift=st.floats(-1e3, 1e3),
    scale=st.floats(0.01, 100.0),
    degree=st.integers(0, 6),
    seed=st.integers(0, 2**16),
)
def test_predictions_invariant_under_affine_change_of_input(shift, scale, degree, seed):
    """Moving and stretching the inputs does not change the fitted values (the basis rescales)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=40)
    y = np.sin(3 * x) + 0.1 * rng.standard_normal(40)
    base = PolynomialRegressor(degree=degree).fit(x.reshape(-1, 1), y)
    moved = PolynomialRegressor(degree=degree).fit((shift + scale * x).reshape(-1, 1), y)
    assert_allclose(moved.predict((shift + scale * x).reshape(-1, 1)),
                    base.predict(x.reshape(-1, 1)), atol=1e-7)


def test_downdate_gives_the_normal_equations_of_the_retained_data(split):
    """downdate subtracts the removed rows from gram_ and moment_: a fit on the rest has them."""
    model = PolynomialRegressor(degree=4, alpha=0.3, domain=(-3, 3)).fit(split.X_train,
                                                                           split.y_train)
    smaller = model.downdate(split.X_unwanted, split.y_unwanted, np.zeros_like(model.coef_))
    direct = PolynomialRegressor(degree=4, alpha=0.3, domain=(-3, 3)).fit(split.X_wanted,
                                                                            split.y_wanted)
    assert_allclose(smaller.gram_, direct.gram_, atol=1e-9)
    assert_allclose(smaller.moment_, direct.moment_, atol=1e-9)
    assert smaller.n_samples_fit_ == direct.n_samples_fit_
    assert_allclose(smaller.coef_, 0.0)
    assert_allclose(model.training_hessian(), 2 * model.gram_)


def test_protocol_errors_of_the_polynomial(model):
    """An empty X has no curvature; a with_coef copy has no normal equations to downdate."""
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        model.loss_curvature_bound(np.empty((0, 1)))
    with pytest.raises(ValueError, match="set by with_coef"):
        model.with_coef(model.coef_).downdate([[0.0]], [0.0], model.coef_)
    with pytest.raises(ValueError, match="X_remove and y_remove must have the same number"):
        model.downdate([[0.0], [1.0]], [0.0], model.coef_)
    with pytest.raises(NotFittedError):
        PolynomialRegressor().loss_curvature_bound([[0.0]])
