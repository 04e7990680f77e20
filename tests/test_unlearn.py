"""Tests of emse.unlearn: closed form, optimisers, μ*, divergence, inputs untouched."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import emse
from emse import (
    PolynomialRegressor,
    UnboundedObjectiveError,
    UnlearningResult,
    critical_mu,
    unlearn,
)
from emse.baselines import retrain
from emse.objectives import (
    emse_sigma_curvature_bound,
    emse_sigma_value_and_grad,
    sigma_curvature_bound,
)
from emse.unlearn import check_unlearning_options


def _data(split):
    return split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted


def test_public_names_are_reexported():
    """The top-level names of DESIGN.md section 3 exist."""
    for name in ("PolynomialRegressor", "unlearn", "critical_mu", "UnboundedObjectiveError"):
        assert hasattr(emse, name)
    assert issubclass(UnboundedObjectiveError, ValueError)


@pytest.mark.parametrize("method", ["newton", "lbfgs", "gd"])
def test_mu_zero_is_retraining_on_wanted_data(model, split, method):
    """EMSE_0 is the MSE of the wanted data: its minimiser is the oracle."""
    result = unlearn(model, *_data(split), objective="mu", mu=0.0, method=method,
                     max_iter=50_000, tol=1e-10)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    assert result.converged
    assert_allclose(result.model.coef_, oracle.coef_, atol=1e-6)


def test_closed_form_equals_lbfgs_below_mu_star(model, split):
    """For mu < mu*, L-BFGS reaches the closed-form minimiser."""
    mu = 0.6 * critical_mu(model, split.X_wanted, split.X_unwanted)
    exact = unlearn(model, *_data(split), objective="mu", mu=mu, method="newton")
    iterative = unlearn(model, *_data(split), objective="mu", mu=mu, method="lbfgs", tol=1e-10)
    assert iterative.converged
    assert_allclose(iterative.model.coef_, exact.model.coef_, rtol=1e-6, atol=1e-6)
    assert iterative.history[-1] == pytest.approx(exact.history[-1], rel=1e-9)


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_mu_at_or_above_mu_star_raises_with_mu_star(model, split, factor):
    """mu >= mu* is refused; the message states mu*."""
    mu_star = critical_mu(model, split.X_wanted, split.X_unwanted)
    with pytest.raises(UnboundedObjectiveError, match=re.escape(f"mu* = {mu_star:.6g}")) as info:
        unlearn(model, *_data(split), objective="mu", mu=factor * mu_star)
    assert info.value.mu_star == pytest.approx(mu_star)


def test_gd_and_lbfgs_agree_on_emse_sigma(model, split):
    """Both optimisers find the same minimiser of EMSE_sigma from the same start."""
    lbfgs = unlearn(model, *_data(split), sigma=1.0, method="lbfgs", tol=1e-9)
    gd = unlearn(model, *_data(split), sigma=1.0, method="gd", max_iter=20_000, tol=1e-7)
    assert lbfgs.converged and gd.converged
    assert_allclose(gd.model.coef_, lbfgs.model.coef_, atol=1e-5)


def test_emse_sigma_forgets_and_improves_wanted_fit(model, split):
    """On separated contamination, EMSE_sigma raises wanted R² and lowers unwanted R²."""
    result = unlearn(model, *_data(split), sigma=1.0)
    before = emse.metrics.evaluate(model, split)
    after = emse.metrics.evaluate(result.model, split)
    assert after["r2_wanted"] > before["r2_wanted"] + 0.1
    assert after["r2_unwanted"] < before["r2_unwanted"]


def test_history_decreases_for_gd_with_default_step(model, split):
    """The default step 1/L makes gradient descent monotone."""
    result = unlearn(model, *_data(split), sigma=1.0, method="gd", max_iter=500)
    assert result.history.size == result.n_iter + 1
    assert np.all(np.diff(result.history) <= 1e-9 * np.abs(result.history[:-1]))


def test_default_gd_step_is_below_two_over_curvature(model, split):
    """The curvature bound really bounds the Hessian: check along random directions."""
    Phi_w, Phi_u = model.design_matrix(split.X_wanted), model.design_matrix(split.X_unwanted)
    bound = emse_sigma_curvature_bound(Phi_w, Phi_u, 1.0)
    assert bound == pytest.approx(2 * np.linalg.norm(Phi_w, 2) ** 2
                                  + sigma_curvature_bound(1.0) * np.linalg.norm(Phi_u, 2) ** 2)
    with pytest.raises(ValueError, match="Phi_unwanted"):
        emse_sigma_curvature_bound(Phi_w, Phi_u[:, :-1], 1.0)
    rng = np.random.default_rng(0)
    theta = model.coef_
    for _ in range(20):
        d = rng.standard_normal(theta.size)
        d /= np.linalg.norm(d)
        h = 1e-4
        g_plus = emse_sigma_value_and_grad(theta + h * d, Phi_w, split.y_wanted, Phi_u,
                                           split.y_unwanted, 1.0)[1]
        g_minus = emse_sigma_value_and_grad(theta - h * d, Phi_w, split.y_wanted, Phi_u,
                                            split.y_unwanted, 1.0)[1]
        assert abs(d @ (g_plus - g_minus) / (2 * h)) <= bound


def test_divergent_gd_is_reported_not_nan(model, split):
    """A step far too long diverges: a warning, converged=False, finite parameters."""
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        result = unlearn(model, *_data(split), sigma=1.0, method="gd", learning_rate=10.0)
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert isinstance(result, UnlearningResult)
    assert not result.converged
    assert "Diverged" in result.message
    assert np.all(np.isfinite(result.model.coef_))
    assert np.all(np.isfinite(result.history))


def test_max_iter_reached_is_not_converged(model, split):
    """Stopping on max_iter says so."""
    result = unlearn(model, *_data(split), sigma=1.0, method="gd", max_iter=3)
    assert result.n_iter == 3
    assert not result.converged


def test_unlearn_does_not_modify_model_or_data(model, split):
    """The input model and arrays are unchanged; the result holds a new model."""
    X_w, y_w = np.array(split.X_wanted), np.array(split.y_wanted)
    X_u, y_u = np.array(split.X_unwanted), np.array(split.y_unwanted)
    copies = [a.copy() for a in (X_w, y_w, X_u, y_u)]
    coef = model.coef_.copy()
    for kwargs in ({"sigma": 1.0}, {"objective": "mu", "mu": 0.01, "method": "newton"},
                   {"sigma": 2.0, "method": "gd", "max_iter": 20}):
        result = unlearn(model, X_w, y_w, X_u, y_u, **kwargs)
        assert result.model is not model
    assert_allclose(model.coef_, coef)
    for array, copy in zip((X_w, y_w, X_u, y_u), copies, strict=True):
        assert_allclose(array, copy)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"objective": "mse"}, ValueError, "objective must be one of"),
        ({"method": "adam"}, ValueError, "method must be one of"),
        ({"objective": "mu"}, ValueError, "mu must be given when objective='mu'"),
        ({"objective": "mu", "mu": -1.0}, ValueError, "mu must be a finite number >= 0"),
        ({"mu": 0.1}, ValueError, "mu applies only to objective='mu'"),
        ({"sigma": 0.3}, ValueError, "sigma must be greater than 1/sqrt"),
        ({"sigma": np.nan}, ValueError, "sigma must be a finite number"),
        ({"lam": -2.0}, ValueError, "lam must be a finite number >= 0"),
        ({"method": "newton"}, ValueError, "method='newton' needs objective='mu'"),
        ({"max_iter": 0}, ValueError, "max_iter must be an integer >= 1"),
        ({"tol": -1.0}, ValueError, "tol must be a finite number >= 0"),
        ({"learning_rate": 0.1}, ValueError, "learning_rate applies only to method='gd'"),
        ({"method": "gd", "learning_rate": -0.1}, ValueError, "learning_rate must be a finite"),
    ],
)
def test_bad_options_raise_naming_the_argument(model, split, kwargs, error, message):
    """Each bad keyword gets an error naming it."""
    with pytest.raises(error, match=re.escape(message)):
        unlearn(model, *_data(split), **kwargs)


def test_bad_data_raise_naming_the_argument(model, split):
    """NaN, mismatched, empty and wrongly shaped data are refused by name."""
    X_w, y_w, X_u, y_u = _data(split)
    bad_y = np.array(y_w)
    bad_y[0] = np.nan
    with pytest.raises(ValueError, match="y_wanted"):
        unlearn(model, X_w, bad_y, X_u, y_u)
    with pytest.raises(ValueError, match="X_unwanted and y_unwanted must have the same number"):
        unlearn(model, X_w, y_w, X_u, y_u[:-1])
    with pytest.raises(ValueError, match="X_unwanted must hold at least one sample"):
        unlearn(model, X_w, y_w, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="X_wanted must be 2-D"):
        unlearn(model, X_w[:, 0], y_w, X_u, y_u)
    with pytest.raises(ValueError, match="X_wanted must have 1 feature"):
        unlearn(model, np.hstack([X_w, X_w]), y_w, X_u, y_u)
    with pytest.raises(TypeError, match="model must be a model"):
        unlearn("not a model", X_w, y_w, X_u, y_u)
    with pytest.raises(NotFittedError):
        unlearn(PolynomialRegressor(), X_w, y_w, X_u, y_u)


def test_networks_are_refused_with_a_pointer_to_their_sibling(neural_regressor, split):
    """unlearn needs a model linear in its parameters; networks have unlearn_network."""
    with pytest.raises(TypeError, match="model must be a model with design_matrix"):
        unlearn(neural_regressor, *_data(split))


def test_check_unlearning_options_returns_the_checked_values():
    """Values in use come back as floats, values not in use as None."""
    assert check_unlearning_options("sigma", sigma=2, mu=None, lam=1, method="lbfgs",
                                    learning_rate=None) == (2.0, None, 1.0, None)
    assert check_unlearning_options("mu", sigma=0.1, mu=0, lam=0, method="gd",
                                    learning_rate=3) == (None, 0.0, 0.0, 3.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "likelihood"}, "objective must be one of ('mu', 'sigma')"),
        ({"method": "newton"}, "method must be one of ('lbfgs', 'gd')"),
        ({"objective": "mu", "mu": None}, "mu must be given when objective='mu'"),
        ({"mu": 0.5}, "mu applies only to objective='mu'"),
        ({"sigma": 0.2}, "sigma must be greater than"),
        ({"lam": -1.0}, "lam must be a finite number >= 0"),
        ({"learning_rate": 0.1}, "learning_rate applies only to method='gd'"),
        ({"method": "gd", "learning_rate": 0.0}, "learning_rate must be a finite number > 0"),
    ],
)
def test_check_unlearning_options_names_the_option(kwargs, message):
    """The checks unlearn and unlearn_network share, with a custom method list."""
    options = {"objective": "sigma", "sigma": 1.0, "mu": None, "lam": 1.0, "method": "lbfgs",
               "learning_rate": None, "methods": ("lbfgs", "gd"), **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        check_unlearning_options(options.pop("objective"), **options)
