"""Tests of emse.objectives: values, finite-difference gradients, the Hessian, μ*."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.exceptions import NotFittedError

from emse import PolynomialRegressor, critical_mu
from emse.objectives import (
    emse_mu,
    emse_mu_hessian,
    emse_mu_objective,
    emse_mu_residual_grad,
    emse_mu_value_and_grad,
    emse_sigma,
    emse_sigma_objective,
    emse_sigma_residual_grad,
    emse_sigma_value_and_grad,
    gaussian_density,
    residual_objective,
    resolve_learning_rate,
    sigma_curvature_bound,
    unwanted_sigma_loss,
)


@pytest.fixture
def design(model, split):
    """Parameters and design matrices of the shared fixtures."""
    rng = np.random.default_rng(7)
    theta = model.coef_ + 0.3 * rng.standard_normal(model.coef_.size)
    return (theta, model.design_matrix(split.X_wanted), split.y_wanted,
            model.design_matrix(split.X_unwanted), split.y_unwanted)


def test_emse_mu_value_by_hand():
    """mean(r_w^2) - mu mean(r_u^2) on numbers checked by hand."""
    assert emse_mu([1.0, -1.0, 2.0], [3.0, 1.0], mu=0.5) == pytest.approx(2.0 - 0.5 * 5.0)


def test_emse_sigma_value_by_hand():
    """sigma = 1: sum r_w^2 - 2 sum log(1 - exp(-r^2/2)/sqrt(2 pi))."""
    r_u = np.array([0.0, 1.0])
    expected = 5.0 - 2.0 * np.sum(np.log(1 - np.exp(-(r_u**2) / 2) / np.sqrt(2 * np.pi)))
    assert emse_sigma([1.0, 2.0], r_u, sigma=1.0) == pytest.approx(expected)


def test_sigma_one_over_root_two_gives_transcribed_constant():
    """At sigma = 1/sqrt(2), phi = exp(-r^2)/sqrt(pi) and the coefficient 2 sigma^2 is 1."""
    r = np.linspace(-2, 2, 9)
    assert_allclose(gaussian_density(r, 1 / np.sqrt(2)), np.exp(-(r**2)) / np.sqrt(np.pi))
    assert_allclose(unwanted_sigma_loss(r, 1 / np.sqrt(2)),
                    -np.log(1 - np.exp(-(r**2)) / np.sqrt(np.pi)))


def test_unwanted_sigma_loss_peaks_at_zero_and_decays():
    """The unwanted term is largest at r = 0 and vanishes far from the curve."""
    r = np.linspace(0, 20, 2001)
    loss = unwanted_sigma_loss(r, sigma=1.5, lam=2.0)
    assert np.all(np.diff(loss) <= 0)
    assert loss[0] == pytest.approx(-2 * 1.5**2 * 2.0 * np.log(1 - 1 / (1.5 * np.sqrt(2 * np.pi))))
    assert loss[-1] < 1e-30


@pytest.mark.parametrize("mu", [0.0, 0.1, 0.7])
def test_emse_mu_gradient_matches_finite_differences(design, mu):
    """The analytic gradient of EMSE_mu equals central differences."""
    theta, *data = design
    _, grad = emse_mu_value_and_grad(theta, *data, mu=mu)
    numeric = approx_fprime(theta, lambda t: emse_mu_value_and_grad(t, *data, mu=mu)[0], 1e-6)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("sigma", "lam"), [(0.5, 1.0), (1.0, 1.0), (2.0, 0.3)])
def test_emse_sigma_gradient_matches_finite_differences(design, sigma, lam):
    """The analytic gradient of EMSE_sigma equals finite differences."""
    theta, *data = design
    _, grad = emse_sigma_value_and_grad(theta, *data, sigma=sigma, lam=lam)
    numeric = approx_fprime(
        theta, lambda t: emse_sigma_value_and_grad(t, *data, sigma=sigma, lam=lam)[0], 1e-6)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


def test_emse_mu_hessian_matches_gradient_differences(design):
    """The Hessian is the Jacobian of the gradient (exactly, since EMSE_mu is quadratic)."""
    theta, Phi_w, y_w, Phi_u, y_u = design
    hessian = emse_mu_hessian(Phi_w, Phi_u, mu=0.4)
    step = 1e-3
    columns = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = step
        plus = emse_mu_value_and_grad(theta + e, Phi_w, y_w, Phi_u, y_u, mu=0.4)[1]
        minus = emse_mu_value_and_grad(theta - e, Phi_w, y_w, Phi_u, y_u, mu=0.4)[1]
        columns.append((plus - minus) / (2 * step))
    assert_allclose(hessian, np.column_stack(columns), rtol=1e-7, atol=1e-8)


def test_value_functions_agree(design):
    """The parameter-level functions return the residual-level values."""
    theta, Phi_w, y_w, Phi_u, y_u = design
    r_w, r_u = y_w - Phi_w @ theta, y_u - Phi_u @ theta
    assert emse_mu_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, mu=0.2)[0] == pytest.approx(
        emse_mu(r_w, r_u, mu=0.2))
    assert emse_sigma_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, sigma=1.2)[0] == (
        pytest.approx(emse_sigma(r_w, r_u, sigma=1.2)))


@settings(max_examples=60, deadline=None)
@given(
    r_w=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=20),
    r_u=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=20),
    sigma=st.floats(0.4, 50.0),
    lam=st.floats(0.0, 10.0),
)
def test_emse_sigma_is_bounded_below_by_zero(r_w, r_u, sigma, lam):
    """Both terms of EMSE_sigma are non-negative, so the objective cannot run away."""
    value = emse_sigma(r_w, r_u, sigma=sigma, lam=lam)
    assert np.isfinite(value)
    assert value >= 0.0


def test_critical_mu_two_point_example_by_hand():
    """Degree 1, wanted x = {-1, 1}, unwanted x = {1}: A_w = I, A_u = [[1,1],[1,1]], mu* = 1/2."""
    model = PolynomialRegressor(degree=1, domain=(-1, 1)).fit([[-1.0], [1.0]], [0.0, 1.0])
    assert critical_mu(model, [[-1.0], [1.0]], [[1.0]]) == pytest.approx(0.5)


def test_critical_mu_is_where_hessian_loses_definiteness(model, split):
    """Just below mu* the Hessian is positive definite; just above it is not."""
    mu_star = critical_mu(model, split.X_wanted, split.X_unwanted)
    Phi_w, Phi_u = model.design_matrix(split.X_wanted), model.design_matrix(split.X_unwanted)
    assert np.linalg.eigvalsh(emse_mu_hessian(Phi_w, Phi_u, 0.999 * mu_star))[0] > 0
    assert np.linalg.eigvalsh(emse_mu_hessian(Phi_w, Phi_u, 1.001 * mu_star))[0] < 0


def test_critical_mu_is_zero_when_wanted_data_underdetermine(model):
    """Fewer distinct wanted inputs than parameters: any mu > 0 is unbounded."""
    assert critical_mu(model, [[0.0], [1.0]], [[2.0], [-1.0]]) == 0.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: emse_mu([1.0], [1.0], mu=-0.1), ValueError, "mu must be a finite number >= 0"),
        (lambda: emse_mu([1.0], [1.0], mu="a"), TypeError, "mu must be a real number"),
        (lambda: emse_mu([], [1.0], mu=0.1), ValueError, "r_wanted must hold at least one"),
        (lambda: emse_mu([1.0], [], mu=0.1), ValueError, "r_unwanted must hold at least one"),
        (lambda: emse_mu([np.nan], [1.0], mu=0.1), ValueError, "r_wanted"),
        (lambda: emse_sigma([1.0], [np.inf], 1.0), ValueError, "r_unwanted"),
        (lambda: emse_sigma([1.0], [1.0], sigma=0.39), ValueError, "sigma must be greater"),
        (lambda: emse_sigma([1.0], [1.0], sigma=1 / np.sqrt(2 * np.pi)), ValueError,
         "sigma must be greater"),
        (lambda: emse_sigma([1.0], [1.0], sigma=1.0, lam=-1), ValueError, "lam must be"),
        (lambda: gaussian_density([0.0, np.nan], 1.0), ValueError, "r must hold finite"),
        (lambda: gaussian_density("a", 1.0), TypeError, "r must be real numbers"),
        (lambda: gaussian_density([0.0], 0.3), ValueError, "sigma must be greater"),
        (lambda: unwanted_sigma_loss([np.inf], 1.0), ValueError, "r must hold finite"),
        (lambda: unwanted_sigma_loss([0.0], 1.0, lam=-1.0), ValueError, "lam must be"),
        (lambda: emse_mu_value_and_grad(np.zeros(2), np.ones((3, 2)), np.ones(3),
                                        np.ones((2, 3)), np.ones(2), 0.1),
         ValueError, "Phi_unwanted must have 2 feature"),
        (lambda: emse_mu_value_and_grad(np.zeros(3), np.ones((3, 2)), np.ones(3),
                                        np.ones((2, 2)), np.ones(2), 0.1),
         ValueError, "theta must have 2 entries"),
        (lambda: emse_sigma_value_and_grad(np.zeros(2), np.ones((3, 2)), np.ones(4),
                                           np.ones((2, 2)), np.ones(2), 1.0),
         ValueError, "Phi_wanted and y_wanted must have the same number"),
        (lambda: critical_mu(object(), [[0.0]], [[1.0]]), TypeError, "model must be a model"),
        (lambda: critical_mu(PolynomialRegressor(), [[0.0]], [[1.0]]), NotFittedError,
         "not fitted"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, error, message):
    """Every bad input gets an error that names the argument."""
    with pytest.raises(error, match=message):
        call()


def test_critical_mu_bad_arrays(model):
    """Empty or mis-shaped unwanted inputs are refused by name."""
    with pytest.raises(ValueError, match="X_unwanted must hold at least one"):
        critical_mu(model, [[0.0], [1.0]], np.empty((0, 1)))
    with pytest.raises(ValueError, match="X_wanted must have 1 feature"):
        critical_mu(model, np.ones((3, 2)), [[1.0]])


def test_objectives_do_not_modify_inputs(design):
    """No function writes into its arguments."""
    theta, *data = design
    copies = [np.array(a, copy=True) for a in (theta, *data)]
    emse_mu_value_and_grad(theta, *data, mu=0.3)
    emse_sigma_value_and_grad(theta, *data, sigma=1.0)
    emse_mu_hessian(data[0], data[2], 0.3)
    for original, copy in zip((theta, *data), copies, strict=True):
        assert_allclose(original, copy)


def test_residual_grads_give_the_values_of_the_value_functions():
    """The residual-level functions return emse_mu and emse_sigma as their value."""
    rng = np.random.default_rng(11)
    r_w, r_u = rng.standard_normal(7), rng.standard_normal(4)
    assert emse_mu_residual_grad(r_w, r_u, mu=0.3)[0] == pytest.approx(emse_mu(r_w, r_u, 0.3))
    assert emse_sigma_residual_grad(r_w, r_u, sigma=1.3, lam=0.7)[0] == pytest.approx(
        emse_sigma(r_w, r_u, sigma=1.3, lam=0.7))


@pytest.mark.parametrize("which", ["mu", "sigma"])
def test_residual_grads_match_finite_differences(which):
    """d/dr_w and d/dr_u equal central differences of the value."""
    rng = np.random.default_rng(5)
    r_w, r_u = rng.standard_normal(6), 2.0 * rng.standard_normal(5)
    if which == "mu":
        def f(r_w, r_u):
            return emse_mu_residual_grad(r_w, r_u, mu=0.4)
    else:
        def f(r_w, r_u):
            return emse_sigma_residual_grad(r_w, r_u, sigma=0.9, lam=1.7)
    _, g_w, g_u = f(r_w, r_u)
    numeric_w = approx_fprime(r_w, lambda r: f(r, r_u)[0], 1e-7)
    numeric_u = approx_fprime(r_u, lambda r: f(r_w, r)[0], 1e-7)
    assert_allclose(g_w, numeric_w, rtol=1e-5, atol=1e-5)
    assert_allclose(g_u, numeric_u, rtol=1e-5, atol=1e-5)


def test_residual_grads_and_chain_rule_give_parameter_gradients(design):
    """-Phi^T dEMSE/dr is the parameter gradient of the linear model."""
    theta, Phi_w, y_w, Phi_u, y_u = design
    r_w, r_u = y_w - Phi_w @ theta, y_u - Phi_u @ theta
    _, g_w, g_u = emse_mu_residual_grad(r_w, r_u, mu=0.3)
    expected = emse_mu_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, mu=0.3)[1]
    assert_allclose(-(Phi_w.T @ g_w) - Phi_u.T @ g_u, expected, rtol=1e-12, atol=1e-12)
    _, g_w, g_u = emse_sigma_residual_grad(r_w, r_u, sigma=1.1, lam=0.5)
    expected = emse_sigma_value_and_grad(theta, Phi_w, y_w, Phi_u, y_u, sigma=1.1, lam=0.5)[1]
    assert_allclose(-(Phi_w.T @ g_w) - Phi_u.T @ g_u, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda f: f[0]([1.0], [1.0], mu=-1.0), ValueError, "mu must be a finite number"),
        (lambda f: f[0]([], [1.0], mu=0.1), ValueError, "r_wanted must hold at least one"),
        (lambda f: f[0]([1.0], [np.nan], mu=0.1), ValueError, "r_unwanted"),
        (lambda f: f[1]([1.0], [1.0], sigma=0.3), ValueError, "sigma must be greater"),
        (lambda f: f[1]([1.0], [1.0], sigma=1.0, lam=None), TypeError, "lam must be a real"),
        (lambda f: f[1]([[1.0, 2.0]], [1.0], sigma=1.0), ValueError, "r_wanted must be 1-D"),
    ],
)
def test_residual_grads_bad_input_raises_naming_the_argument(call, error, message):
    """The residual-level functions check their inputs like the value functions."""
    with pytest.raises(error, match=message):
        call((emse_mu_residual_grad, emse_sigma_residual_grad))


def test_residual_grads_do_not_modify_inputs():
    """Residual arrays come back untouched."""
    r_w, r_u = np.array([0.5, -1.0]), np.array([0.1, 2.0])
    copies = r_w.copy(), r_u.copy()
    emse_mu_residual_grad(r_w, r_u, mu=0.5)
    emse_sigma_residual_grad(r_w, r_u, sigma=1.0)
    assert_allclose(r_w, copies[0])
    assert_allclose(r_u, copies[1])


def test_density_and_unwanted_loss_keep_the_shape_of_r():
    """A scalar gives a 0-d array and a 2-D array keeps its shape, entry by entry."""
    r = np.array([[0.0, 1.0], [-2.0, 3.0]])
    assert gaussian_density(0.0, 1.0).shape == ()
    assert_allclose(gaussian_density(r, 1.0), np.exp(-(r**2) / 2) / np.sqrt(2 * np.pi))
    assert_allclose(unwanted_sigma_loss(r, 1.0).ravel(), unwanted_sigma_loss(r.ravel(), 1.0))


# --- checked-once objectives, curvature bounds and the default step ------------------------------


def test_objectives_checked_once_equal_the_value_and_grad_functions(design):
    """emse_mu_objective and emse_sigma_objective evaluate the same values and gradients."""
    theta, *data = design
    for once, direct in (
            (emse_mu_objective(*data, mu=0.3), emse_mu_value_and_grad(theta, *data, mu=0.3)),
            (emse_sigma_objective(*data, sigma=1.2, lam=0.4),
             emse_sigma_value_and_grad(theta, *data, sigma=1.2, lam=0.4))):
        value, grad = once(theta)
        assert value == pytest.approx(direct[0], rel=1e-14)
        assert_allclose(grad, direct[1], rtol=1e-14, atol=1e-14)


def test_objectives_checked_once_refuse_bad_data(design):
    """The checks happen when the objective is made, naming the argument."""
    _, Phi_w, y_w, Phi_u, y_u = design
    with pytest.raises(ValueError, match="Phi_unwanted and y_unwanted must have the same"):
        emse_mu_objective(Phi_w, y_w, Phi_u, y_u[:-1], mu=0.1)
    with pytest.raises(ValueError, match="sigma must be greater"):
        emse_sigma_objective(Phi_w, y_w, Phi_u, y_u, sigma=0.2)


def test_residual_objective_equals_the_residual_grad_functions():
    """residual_objective('mu'|'sigma') returns the residual-level value and derivatives."""
    rng = np.random.default_rng(3)
    r_w, r_u = rng.standard_normal(5), rng.standard_normal(4)
    for fun, expected in ((residual_objective("mu", mu=0.4),
                           emse_mu_residual_grad(r_w, r_u, mu=0.4)),
                          (residual_objective("sigma", sigma=0.9, lam=1.5),
                           emse_sigma_residual_grad(r_w, r_u, sigma=0.9, lam=1.5))):
        value, g_w, g_u = fun(r_w, r_u)
        assert value == pytest.approx(expected[0], rel=1e-14)
        assert_allclose(g_w, expected[1], rtol=1e-14)
        assert_allclose(g_u, expected[2], rtol=1e-14)
    with pytest.raises(ValueError, match="objective must be one of"):
        residual_objective("likelihood")
    with pytest.raises(TypeError, match="mu must be a real number"):
        residual_objective("mu")


@pytest.mark.parametrize(("sigma", "lam"), [(0.5, 1.0), (1.0, 1.0), (2.0, 0.3), (1.0, 0.0)])
def test_sigma_curvature_bound_bounds_the_second_derivative(sigma, lam):
    """The bound is the largest |g''| of the unwanted term, by finite differences of g."""
    r = np.linspace(-15 * sigma, 15 * sigma, 30_001)
    h = 1e-4 * sigma
    second = (unwanted_sigma_loss(r + h, sigma, lam) - 2 * unwanted_sigma_loss(r, sigma, lam)
              + unwanted_sigma_loss(r - h, sigma, lam)) / h**2
    bound = sigma_curvature_bound(sigma, lam)
    assert bound >= np.max(np.abs(second)) * (1 - 1e-5)
    assert bound == pytest.approx(np.max(np.abs(second)), rel=1e-3)  # and it is attained


def test_resolve_learning_rate(model, split, neural_regressor):
    """A given step is checked and kept; None is 1 / sum_k w_k L_k from the model's bounds."""
    assert resolve_learning_rate(0.25, model, []) == 0.25
    assert resolve_learning_rate(3, neural_regressor, []) == 3.0  # networks: if given
    Phi_w, Phi_u = model.design_matrix(split.X_wanted), model.design_matrix(split.X_unwanted)
    L_w = 2 * np.linalg.eigvalsh(Phi_w.T @ Phi_w)[-1] / Phi_w.shape[0]
    L_u = 2 * np.linalg.eigvalsh(Phi_u.T @ Phi_u)[-1] / Phi_u.shape[0]
    step = resolve_learning_rate(None, model, [(1.0, split.X_wanted), (0.5, split.X_unwanted)])
    assert step == pytest.approx(1 / (L_w + 0.5 * L_u), rel=1e-10)
    with pytest.raises(ValueError, match="learning_rate must be given for a NeuralRegressor"):
        resolve_learning_rate(None, neural_regressor, [(1.0, split.X_wanted)])
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        resolve_learning_rate(0.0, model, [(1.0, split.X_wanted)])
    with pytest.raises(TypeError, match="learning_rate must be a real number"):
        resolve_learning_rate("0.1", model, [(1.0, split.X_wanted)])
