"""Tests of emse.optim: gradient descent, the minimiser with its divergence guard, results."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize
from scipy.optimize import OptimizeResult
from sklearn.exceptions import ConvergenceWarning

from emse import UnlearningResult
from emse.optim import gradient_descent, minimize, result_of


def quadratic(theta):
    """f = |theta - 1|^2 with minimiser 1."""
    return float(np.sum((theta - 1.0) ** 2)), 2.0 * (theta - 1.0)


def test_converges_on_a_quadratic():
    """A step below 2/L converges to the minimiser."""
    result = gradient_descent(quadratic, np.zeros(3), learning_rate=0.25, tol=1e-10)
    assert result.success and result.status == 0
    assert_allclose(result.x, 1.0, atol=1e-10)
    assert result.history.size == result.nit + 1


def test_too_long_step_diverges_with_finite_output():
    """A step above 2/L diverges; the last finite iterate comes back with status 2."""
    result = gradient_descent(quadratic, np.zeros(2), learning_rate=1.5, max_iter=10_000)
    assert result.status == 2 and not result.success
    assert np.all(np.isfinite(result.x)) and np.isfinite(result.fun)


def test_unbounded_objective_diverges():
    """f = -|theta|^2 has no minimiser: reported as divergence."""
    result = gradient_descent(lambda t: (-float(t @ t), -2 * t), np.ones(2), learning_rate=0.1,
                              max_iter=100_000)
    assert result.status == 2


def test_start_point_not_modified():
    """theta0 is copied."""
    theta0 = np.zeros(3)
    gradient_descent(quadratic, theta0, learning_rate=0.25)
    assert_allclose(theta0, 0.0)


@pytest.mark.parametrize("rate", [0.0, -1.0, np.inf, np.nan])
def test_bad_learning_rate(rate):
    """learning_rate must be positive and finite."""
    with pytest.raises(ValueError, match="learning_rate"):
        gradient_descent(quadratic, np.zeros(1), learning_rate=rate)


def test_bad_max_iter():
    """max_iter must be at least 1."""
    with pytest.raises(ValueError, match="max_iter"):
        gradient_descent(quadratic, np.zeros(1), learning_rate=0.1, max_iter=0)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"learning_rate": "0.1"}, TypeError, "learning_rate"),
    ({"learning_rate": 0.1, "max_iter": 2.5}, TypeError, "max_iter"),
    ({"learning_rate": 0.1, "tol": -1e-6}, ValueError, "tol"),
    ({"learning_rate": 0.1, "tol": np.nan}, ValueError, "tol"),
])
def test_bad_options_raise_naming_the_argument(kwargs, error, message):
    """Each option is checked and the error names it."""
    with pytest.raises(error, match=message):
        gradient_descent(quadratic, np.zeros(1), **kwargs)


@pytest.mark.parametrize("theta0", [np.array([np.nan, 0.0]), np.array([np.inf]), np.zeros((2, 2))])
def test_bad_start_raises_naming_theta0(theta0):
    """theta0 must be a finite vector."""
    with pytest.raises(ValueError, match="theta0"):
        gradient_descent(quadratic, theta0, learning_rate=0.1)


def test_value_and_grad_must_be_callable():
    """A non-callable objective is a TypeError naming value_and_grad."""
    with pytest.raises(TypeError, match="value_and_grad"):
        gradient_descent(None, np.zeros(1), learning_rate=0.1)


# --- bounds and callback of gradient_descent ---------------------------------------------------


def test_bounds_project_every_iterate_onto_the_box():
    """With a box that excludes the minimiser, the iterates converge to its nearest corner."""
    low, high = np.array([-1.0, -1.0]), np.array([0.5, 2.0])
    seen = []
    result = gradient_descent(quadratic, np.zeros(2), learning_rate=0.25, max_iter=200, tol=0.0,
                              bounds=(low, high), callback=lambda t: seen.append(t.copy()))
    assert all(np.all(low <= t) and np.all(t <= high) for t in seen)
    assert_allclose(result.x, [0.5, 1.0], atol=1e-10)  # clip of the minimiser (1, 1)
    assert len(seen) == result.nit == 200
    assert_allclose(seen[-1], result.x)


def test_callback_sees_every_accepted_iterate_of_a_hand_written_loop():
    """theta_{k+1} = theta_k - eta grad f(theta_k), one callback per step, in order."""
    seen = []
    gradient_descent(quadratic, np.zeros(2), learning_rate=0.1, max_iter=5, tol=0.0,
                     callback=lambda t: seen.append(t.copy()))
    theta, expected = np.zeros(2), []
    for _ in range(5):
        theta = theta - 0.1 * 2.0 * (theta - 1.0)
        expected.append(theta)
    assert_allclose(seen, expected, rtol=1e-15)


def test_history_holds_the_objective_at_every_iterate():
    """history[k] = f(theta_k), k = 0..nit."""
    seen = [np.zeros(2)]
    result = gradient_descent(quadratic, np.zeros(2), learning_rate=0.1, max_iter=4, tol=0.0,
                              callback=lambda t: seen.append(t.copy()))
    assert_allclose(result.history, [quadratic(t)[0] for t in seen])
    assert result.status == 1 and not result.success  # max_iter reached


# --- minimize ---------------------------------------------------------------------------------


def shifted_quartic(theta):
    """f = sum (theta - 2)^4 + |theta|^2, a smooth convex function, minimiser below 2."""
    return float(np.sum((theta - 2.0) ** 4) + theta @ theta), 4 * (theta - 2.0) ** 3 + 2 * theta


@pytest.mark.parametrize("method", ["lbfgs", "gd"])
def test_minimize_reaches_the_minimiser(method):
    """Both methods find the root of f' (x: 4 (x-2)^3 + 2x = 0) that scipy's brentq finds."""
    root = optimize.brentq(lambda x: 4 * (x - 2.0) ** 3 + 2 * x, 0.0, 2.0)
    result = minimize(shifted_quartic, np.zeros(3), method=method, max_iter=20_000, tol=1e-9,
                      learning_rate=0.01 if method == "gd" else None)
    assert result.success and result.status == 0
    assert_allclose(result.x, root, atol=1e-7)
    assert result.history[0] == pytest.approx(shifted_quartic(np.zeros(3))[0])
    assert result.history.size == result.nit + 1


@pytest.mark.parametrize("method", ["lbfgs", "gd"])
def test_minimize_stops_an_unbounded_objective(method):
    """f = -|theta|^2: both methods stop with status 2 and a finite last iterate."""
    result = minimize(lambda t: (-float(t @ t), -2 * t), np.ones(2), method=method,
                      max_iter=100_000, learning_rate=0.5 if method == "gd" else None)
    assert result.status == 2 and not result.success
    assert np.all(np.isfinite(result.x)) and np.all(np.isfinite(result.history))
    assert "Diverged" in result.message


def test_minimize_gd_equals_gradient_descent():
    """method='gd' is gradient_descent (when nothing runs away)."""
    ours = minimize(quadratic, np.zeros(3), method="gd", learning_rate=0.2, max_iter=7, tol=0.0)
    theirs = gradient_descent(quadratic, np.zeros(3), learning_rate=0.2, max_iter=7, tol=0.0)
    assert_allclose(ours.x, theirs.x, rtol=0, atol=0)
    assert_allclose(ours.history, theirs.history, rtol=0, atol=0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "adam"}, "method must be one of ('lbfgs', 'gd')"),
    ({"method": "gd"}, "learning_rate must be given for method='gd'"),
    ({"learning_rate": 0.1}, "learning_rate applies only to method='gd'"),
    ({"bounds": (np.zeros(1), np.ones(1))}, "bounds applies only to method='gd'"),
    ({"callback": print}, "callback applies only to method='gd'"),
    ({"max_iter": 0}, "max_iter must be an integer >= 1"),
    ({"ftol": 0.0}, "ftol must be a finite number > 0"),
])
def test_minimize_bad_options_raise_naming_the_argument(kwargs, message):
    """Each option is checked by name."""
    with pytest.raises(ValueError, match=re.escape(message)):
        minimize(quadratic, np.zeros(1), **kwargs)


# --- result_of ---------------------------------------------------------------------------------


def test_result_of_reports_divergence_by_a_warning_and_converged_false(model):
    """status 2 warns (ConvergenceWarning) and gives converged=False, budget rule or not."""
    theta = model.flat_coef()
    diverged = OptimizeResult(x=theta, nit=3, status=2, success=False, message="Diverged.",
                              history=np.zeros(4))
    for budget_is_rule in (False, True):
        with pytest.warns(ConvergenceWarning, match="neggrad diverged after 3 iterations"):
            result = result_of(model, diverged, "neggrad", "gd", budget_is_rule=budget_is_rule)
        assert isinstance(result, UnlearningResult) and not result.converged
    spent = OptimizeResult(x=theta + 1, nit=5, status=1, success=False, message="max_iter.",
                           history=np.arange(6.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert result_of(model, spent, "graddiff", "gd", budget_is_rule=True).converged
        plain = result_of(model, spent, "sigma", "gd")
    assert not plain.converged
    assert (plain.n_iter, plain.objective, plain.method, plain.message) == (
        5, "sigma", "gd", "max_iter.")
    assert_allclose(plain.model.coef_, model.coef_ + 1)
    assert_allclose(model.coef_, theta)  # the input model is untouched
