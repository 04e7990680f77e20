"""The preconditioned L-BFGS behind the linear classifiers' fits (emse/_lbfgs.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from sklearn.datasets import load_digits

from emse._lbfgs import minimize_preconditioned
from emse.logistic import _loss_and_grad


def softmax_problem(n, seed=0):
    X, y = load_digits(return_X_y=True)
    rows = np.random.default_rng(seed).permutation(y.size)[:n]
    Phi = np.hstack([np.ones((n, 1)), X[rows] / 16.0])
    return Phi, y[rows]


def objective(Phi, y, alpha=1.0):
    return lambda theta: _loss_and_grad(theta, Phi, y, 10, alpha)


def plain_lbfgs(fun, size, gtol):
    return optimize.minimize(fun, np.zeros(size), jac=True, method="L-BFGS-B",
                             options={"maxiter": 1000, "gtol": gtol,
                                      "ftol": 10 * np.finfo(float).eps})


@pytest.mark.parametrize("n", [60, 400, 1300])
def test_stops_on_the_gradient_in_the_original_coordinates(n):
    Phi, y = softmax_problem(n)
    gtol = 1e-8 * (1 + n)
    theta, _ = minimize_preconditioned(objective(Phi, y), 10, Phi, curvature=0.1, alpha=1.0,
                                       max_iter=1000, gtol=gtol)
    assert np.max(np.abs(objective(Phi, y)(theta)[1])) <= gtol


@pytest.mark.parametrize("n", [60, 400, 1300])
def test_reaches_the_minimiser_of_plain_lbfgs_in_fewer_iterations(n):
    Phi, y = softmax_problem(n)
    gtol = 1e-8 * (1 + n)
    theta, n_iter = minimize_preconditioned(objective(Phi, y), 10, Phi, curvature=0.1,
                                            alpha=1.0, max_iter=1000, gtol=gtol)
    plain = plain_lbfgs(objective(Phi, y), Phi.shape[1] * 10, gtol)
    # both stop with a gradient below gtol; strong convexity (alpha = 1) bounds their distance
    assert np.linalg.norm(theta - plain.x) <= 2 * np.sqrt(theta.size) * gtol  # / alpha
    assert n_iter < plain.nit


def test_a_start_that_is_already_optimal_takes_no_iteration():
    calls = []

    def fun(theta):
        calls.append(theta)
        return float(theta @ theta), 2 * theta

    design = np.hstack([np.ones((4, 1)), np.eye(4, 2)])
    theta, n_iter = minimize_preconditioned(fun, 2, design, curvature=0.25, alpha=1.0,
                                            max_iter=10, gtol=1e-8)
    assert n_iter == 0 and np.array_equal(theta, np.zeros(6)) and len(calls) == 1


def test_max_iter_bounds_the_iterations():
    Phi, y = softmax_problem(400)
    _, n_iter = minimize_preconditioned(objective(Phi, y), 10, Phi, curvature=0.1, alpha=1.0,
                                        max_iter=3, gtol=1e-12)
    assert n_iter == 3


def test_identical_columns_stay_identical_and_zero_columns_stay_zero():
    """The coordinates treat features one by one: two copies of a feature get bitwise equal
    weights, and a feature that is zero everywhere keeps weights of exactly zero."""
    Phi, y = softmax_problem(400)
    Phi = np.hstack([Phi, Phi[:, [20, 20]], np.zeros((400, 1))])
    theta, _ = minimize_preconditioned(objective(Phi, y), 10, Phi, curvature=0.1, alpha=1.0,
                                       max_iter=1000, gtol=1e-8 * 401)
    weights = theta.reshape(Phi.shape[1], 10)
    assert np.array_equal(weights[20], weights[-3]) and np.array_equal(weights[20], weights[-2])
    assert np.all(weights[-1] == 0.0)


@settings(max_examples=25, deadline=None)
@given(p=st.integers(1, 5), k=st.integers(1, 3), alpha=st.floats(0.01, 10.0),
       seed=st.integers(0, 2**16))
def test_quadratics_are_minimised_exactly(p, k, alpha, seed):
    """On a penalised least-squares objective the result is the closed-form minimiser."""
    rng = np.random.default_rng(seed)
    Phi, T = rng.standard_normal((20, p)) + 1.0, rng.standard_normal((20, k))
    Phi[:, 0] = 1.0
    gram = Phi.T @ Phi

    def fun(theta):
        W = theta.reshape(p, k)
        residual = Phi @ W - T
        return (0.5 * np.sum(residual**2) + 0.5 * alpha * np.sum(W**2),
                (Phi.T @ residual + alpha * W).ravel())

    theta, _ = minimize_preconditioned(fun, k, Phi, curvature=1.0, alpha=alpha,
                                       max_iter=500, gtol=1e-10)
    exact = np.linalg.solve(gram + alpha * np.eye(p), Phi.T @ T)
    assert np.allclose(theta.reshape(p, k), exact, atol=1e-8)
