"""Tests of emse.optim.gradient_descent."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emse.optim import gradient_descent


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
