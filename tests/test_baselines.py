"""Tests of emse.baselines: oracle, exact downdate, Newton removal, NegGrad, GradDiff."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from emse import PolynomialRegressor, critical_mu, unlearn
from emse.baselines import (
    descent_ascent,
    descent_ascent_objective,
    gradient_ascent,
    gradient_residual_norm,
    remove_exact,
    remove_newton,
    retrain,
)
from emse.logistic import SoftmaxRegression, softmax_hessian, softmax_loss_and_grad
from emse.objectives import emse_mu_value_and_grad


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


# --- Newton removal, gradient ascent, descent-ascent ------------------------------------------


@pytest.fixture
def digits_like():
    """A small three-class problem with a forget set, for the softmax methods."""
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((3, 4))
    y = np.tile([0, 1, 2], 50)
    X = centres[y] + 1.2 * rng.standard_normal((150, 4))
    return X[20:], y[20:], X[:20], y[:20]


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_remove_newton_equals_retraining_for_least_squares(split, alpha):
    """For least squares the Newton step lands on the retrained solution (to 1e-8)."""
    model = PolynomialRegressor(degree=5, alpha=alpha).fit(split.X_train, split.y_train)
    newton = remove_newton(model, split.X_unwanted, split.y_unwanted)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    assert_allclose(newton.coef_, oracle.coef_, atol=1e-8)
    assert_allclose(newton.coef_, remove_exact(model, split.X_unwanted, split.y_unwanted).coef_,
                    atol=1e-8)
    assert_allclose(newton.gram_, oracle.gram_, atol=1e-8)
    assert gradient_residual_norm(newton, split.X_wanted, split.y_wanted) < 1e-8


def test_remove_newton_softmax_is_one_newton_step_on_the_retained_data(digits_like):
    """The downdated Hessian gives the same step as a Newton step computed from D_r directly."""
    X_r, y_r, X_f, y_f = digits_like
    model = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(np.vstack([X_r, X_f]), np.r_[y_r, y_f])
    theta = model.coef_.ravel()
    Phi_r = model.design_matrix(X_r)
    _, grad_r = softmax_loss_and_grad(theta, Phi_r, y_r, 3, alpha=1.0)
    expected = theta - np.linalg.solve(softmax_hessian(theta, Phi_r, 3, alpha=1.0), grad_r)
    newton = remove_newton(model, X_f, y_f)
    assert_allclose(newton.coef_.ravel(), expected, atol=1e-7)
    assert newton.n_samples_fit_ == X_r.shape[0]


def test_remove_newton_softmax_is_approximate_but_close(digits_like):
    """For logistic regression the step is not exact, but far closer than the original."""
    X_r, y_r, X_f, y_f = digits_like
    model = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(np.vstack([X_r, X_f]), np.r_[y_r, y_f])
    oracle = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(X_r, y_r)
    newton = remove_newton(model, X_f, y_f)
    before = np.linalg.norm(model.coef_ - oracle.coef_)
    after = np.linalg.norm(newton.coef_ - oracle.coef_)
    assert 0 < after < 0.1 * before
    residual = gradient_residual_norm(newton, X_r, y_r)
    assert 1e-8 < residual < 0.1 * gradient_residual_norm(model, X_r, y_r)
    assert gradient_residual_norm(oracle, X_r, y_r) < 1e-6


def test_gradient_residual_norm_least_squares_by_hand(model, split):
    """The residual norm is |2 (G_r theta - b_r)| with the retained normal equations."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    expected = np.linalg.norm(2.0 * (oracle.gram_ @ model.coef_ - oracle.moment_))
    assert gradient_residual_norm(model, split.X_wanted, split.y_wanted) == pytest.approx(
        expected, rel=1e-9)


def test_gradient_ascent_one_step_by_hand(model, split):
    """One NegGrad step is theta + eta * grad of the mean forget loss."""
    Phi = model.design_matrix(split.X_unwanted)
    r = split.y_unwanted - Phi @ model.coef_
    eta = 0.01
    expected = model.coef_ + eta * (-2.0 / r.size) * (Phi.T @ r)
    result = gradient_ascent(model, split.X_unwanted, split.y_unwanted, learning_rate=eta,
                             n_steps=1)
    assert_allclose(result.model.coef_, expected, rtol=1e-12)
    assert result.n_iter == 1 and result.objective == "neggrad"
    assert result.history[1] < result.history[0]  # -L_F fell: the forget loss rose


def test_gradient_ascent_diverges_with_a_warning(model, split):
    """The ascent objective is unbounded; a run-away is reported, never returned as NaN."""
    with pytest.warns(ConvergenceWarning, match="diverged"):
        result = gradient_ascent(model, split.X_unwanted, split.y_unwanted, learning_rate=1.0,
                                 n_steps=500)
    assert not result.converged
    assert np.all(np.isfinite(result.model.coef_))


def test_descent_ascent_is_emse_mu_gradient_descent(model, split):
    """With the squared loss, GradDiff's iterates are those of unlearn(objective='mu', 'gd')."""
    mu = 0.3 * critical_mu(model, split.X_wanted, split.X_unwanted)
    ours = descent_ascent(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                          split.y_unwanted, mu=mu, learning_rate=1e-3, n_steps=50)
    theirs = unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted,
                     objective="mu", mu=mu, method="gd", learning_rate=1e-3, max_iter=50, tol=0)
    assert_allclose(ours.model.coef_, theirs.model.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.history, theirs.history, rtol=1e-10)


def test_descent_ascent_converges_to_the_emse_mu_minimiser(model, split):
    """Run long enough, GradDiff reaches the closed-form EMSE_mu minimiser (mu=0: the oracle)."""
    Phi_w = model.design_matrix(split.X_wanted)
    step = 1.0 / (2.0 * np.linalg.eigvalsh(Phi_w.T @ Phi_w / Phi_w.shape[0])[-1])
    for fraction in (0.0, 0.5):
        mu = fraction * critical_mu(model, split.X_wanted, split.X_unwanted)
        closed = unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                         split.y_unwanted, objective="mu", mu=mu, method="newton")
        long = descent_ascent(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                              split.y_unwanted, mu=mu, learning_rate=step, n_steps=20_000)
        assert_allclose(long.model.predict(split.X_test), closed.model.predict(split.X_test),
                        atol=1e-6)


def test_descent_ascent_softmax_step_by_hand(digits_like):
    """One softmax GradDiff step uses the mean cross-entropy gradients of both sets."""
    X_r, y_r, X_f, y_f = digits_like
    model = SoftmaxRegression(alpha=1.0).fit(np.vstack([X_r, X_f]), np.r_[y_r, y_f])
    theta = model.coef_.ravel()
    g_r = softmax_loss_and_grad(theta, model.design_matrix(X_r), y_r, 3)[1] / len(y_r)
    g_f = softmax_loss_and_grad(theta, model.design_matrix(X_f), y_f, 3)[1] / len(y_f)
    result = descent_ascent(model, X_r, y_r, X_f, y_f, mu=0.5, learning_rate=0.2, n_steps=1)
    assert_allclose(result.model.coef_.ravel(), theta - 0.2 * (g_r - 0.5 * g_f), rtol=1e-10)
    ascent = gradient_ascent(model, X_f, y_f, learning_rate=0.2, n_steps=3).model
    assert np.mean(ascent.predict(X_f) == y_f) <= np.mean(model.predict(X_f) == y_f)


def test_new_methods_leave_inputs_unchanged(model, split):
    """No method modifies the model or the arrays it is given."""
    coef, gram = model.coef_.copy(), model.gram_.copy()
    X_u, y_u = np.array(split.X_unwanted), np.array(split.y_unwanted)
    remove_newton(model, X_u, y_u)
    gradient_ascent(model, X_u, y_u, learning_rate=1e-3, n_steps=3)
    descent_ascent(model, split.X_wanted, split.y_wanted, X_u, y_u, mu=0.1,
                   learning_rate=1e-3, n_steps=3)
    assert_allclose(model.coef_, coef)
    assert_allclose(model.gram_, gram)
    assert_allclose(X_u, split.X_unwanted)
    assert_allclose(y_u, split.y_unwanted)


def test_new_methods_bad_input_raises(model, split):
    """Errors name the argument."""
    X_u, y_u = split.X_unwanted, split.y_unwanted
    with pytest.raises(TypeError, match="model must be a PolynomialRegressor"):
        remove_newton(object(), X_u, y_u)
    with pytest.raises(ValueError, match="X_remove must hold at least one"):
        remove_newton(model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="X_remove must leave at least one"):
        remove_newton(model, split.X_train, split.y_train)
    with pytest.raises(ValueError, match="with_coef"):
        remove_newton(model.with_coef(model.coef_), X_u, y_u)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        gradient_ascent(model, X_u, y_u, learning_rate=0.0)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        gradient_ascent(model, X_u, y_u, learning_rate=0.1, n_steps=0)
    with pytest.raises(ValueError, match="X_forget must hold at least one"):
        gradient_ascent(model, np.empty((0, 1)), np.empty(0), learning_rate=0.1)
    with pytest.raises(ValueError, match="mu must be a finite number >= 0"):
        descent_ascent(model, split.X_wanted, split.y_wanted, X_u, y_u, mu=-1.0,
                       learning_rate=0.1)
    with pytest.raises(ValueError, match="X_retain must hold at least one"):
        descent_ascent(model, np.empty((0, 1)), np.empty(0), X_u, y_u, mu=0.1,
                       learning_rate=0.1)
    with pytest.raises(ValueError, match="X_retain must hold at least one"):
        gradient_residual_norm(model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="same number of samples"):
        gradient_residual_norm(model, split.X_wanted, split.y_wanted[:-1])


def test_removing_more_points_than_parameters_that_determine_the_fit_raises():
    """Degree 1 on 4 inputs: removing 3 (k > p, the p x p path) leaves 1 point for 2 parameters."""
    X = np.array([[-1.0], [0.0], [1.0], [2.0]])
    model = PolynomialRegressor(degree=1).fit(X, np.array([1.0, 0.0, 1.0, 4.0]))
    with pytest.raises(ValueError, match="no longer determine every parameter"):
        remove_exact(model, X[:3], np.array([1.0, 0.0, 1.0]))


def test_removing_a_point_of_leverage_one_raises():
    """Degree 1 on 3 inputs, two of them equal: the lone input has leverage 1 (k = 1 <= p)."""
    X = np.array([[0.0], [0.0], [1.0]])
    model = PolynomialRegressor(degree=1).fit(X, np.array([0.0, 0.2, 1.0]))
    with pytest.raises(ValueError, match="no longer determine every parameter"):
        remove_exact(model, X[2:], np.array([1.0]))


@pytest.mark.parametrize("seed", range(20))
def test_removal_leaving_fewer_points_than_parameters_raises_on_both_paths(seed):
    """Removing all but p - 1 of n distinct points always raises, whether k <= p or k > p."""
    rng = np.random.default_rng(seed)
    degree = int(rng.integers(1, 5))
    p = degree + 1
    n = p + int(rng.integers(1, 2 * p + 2))
    X = rng.uniform(-1, 1, size=(n, 1))
    model = PolynomialRegressor(degree=degree).fit(X, rng.standard_normal(n))
    drop = rng.choice(n, size=n - (p - 1), replace=False)
    with pytest.raises(ValueError, match="no longer determine every parameter"):
        remove_exact(model, X[drop], rng.standard_normal(drop.size))


def test_descent_ascent_objective_is_emse_mu_for_polynomials(model, split):
    """For a polynomial model the descent-ascent objective is EMSE_mu, value and gradient."""
    fun = descent_ascent_objective(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                                   split.y_unwanted, mu=0.3)
    theta = model.coef_ + 0.1
    value, grad = fun(theta)
    expected_value, expected_grad = emse_mu_value_and_grad(
        theta, model.design_matrix(split.X_wanted), split.y_wanted,
        model.design_matrix(split.X_unwanted), split.y_unwanted, mu=0.3)
    assert value == pytest.approx(expected_value)
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="X_forget must hold at least one sample"):
        descent_ascent_objective(model, split.X_wanted, split.y_wanted, np.empty((0, 1)),
                                 np.empty(0), mu=0.3)
