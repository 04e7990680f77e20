"""Tests of emse.baselines: the oracle and the exact downdate."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from emse import PolynomialRegressor
from emse.baselines import remove_exact, retrain


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_remove_exact_equals_retraining(model, split, alpha):
    """The Woodbury downdate gives the retrained parameters (least squares and ridge)."""
    model = PolynomialRegressor(degree=5, alpha=alpha).fit(split.X_train, split.y_train)
    removed = remove_exact(model, split.X_unwanted, split.y_unwanted)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    assert_allclose(removed.coef_, oracle.coef_, atol=1e-8)
    assert_allclose(removed.gram_, oracle.gram_, atol=1e-8)
    assert removed.n_samples_fit_ == split.X_wanted.shape[0]


def test_removals_chain(model, split):
    """Removing in two batches equals removing at once."""
    X_u, y_u = split.X_unwanted, split.y_unwanted
    twice = remove_exact(remove_exact(model, X_u[:10], y_u[:10]), X_u[10:], y_u[10:])
    once = remove_exact(model, X_u, y_u)
    assert_allclose(twice.coef_, once.coef_, atol=1e-9)


def test_retrain_keeps_the_basis(model, split):
    """The oracle uses the original model's domain, so parameters are comparable."""
    oracle = retrain(model, split.X_wanted[:20], split.y_wanted[:20])
    assert_allclose(oracle.domain_, model.domain_)
    assert oracle is not model


def test_inputs_not_modified(model, split):
    """remove_exact leaves the model and the arrays unchanged."""
    coef, gram = model.coef_.copy(), model.gram_.copy()
    X_r, y_r = np.array(split.X_unwanted), np.array(split.y_unwanted)
    remove_exact(model, X_r, y_r)
    assert_allclose(model.coef_, coef)
    assert_allclose(model.gram_, gram)
    assert_allclose(X_r, split.X_unwanted)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 15), degree=st.integers(0, 4))
def test_remove_exact_equals_retraining_on_random_subsets(seed, k, degree):
    """For any removed subset that leaves the fit determined, downdate equals refit."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(40, 1))
    y = np.exp(X[:, 0]) + 0.2 * rng.standard_normal(40)
    model = PolynomialRegressor(degree=degree).fit(X, y)
    drop = rng.choice(40, size=k, replace=False)
    keep = np.setdiff1d(np.arange(40), drop)
    removed = remove_exact(model, X[drop], y[drop])
    assert_allclose(removed.predict(X), retrain(model, X[keep], y[keep]).predict(X), atol=1e-8)


def test_bad_input_raises(model, split):
    """Errors name the argument or the missing statistic."""
    with pytest.raises(ValueError, match="X_remove must hold at least one"):
        remove_exact(model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="X_remove must leave at least one"):
        remove_exact(model, split.X_train, split.y_train)
    with pytest.raises(ValueError, match="X_remove and y_remove"):
        remove_exact(model, split.X_unwanted, split.y_unwanted[:-1])
    with pytest.raises(ValueError, match="with_coef"):
        remove_exact(model.with_coef(model.coef_), split.X_unwanted, split.y_unwanted)
    with pytest.raises(ValueError, match="X_wanted must hold at least one"):
        retrain(model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(TypeError, match="model must be a model"):
        retrain(None, split.X_wanted, split.y_wanted)


def test_removing_points_that_determine_the_fit_raises():
    """Degree 2 on 4 distinct inputs: removing 2 leaves 2 points for 3 parameters."""
    X = np.array([[-1.0], [0.0], [1.0], [2.0]])
    model = PolynomialRegressor(degree=2).fit(X, np.array([1.0, 0.0, 1.0, 4.0]))
    with pytest.raises(ValueError, match="no longer determine every parameter"):
        remove_exact(model, X[:2], np.array([1.0, 0.0]))
