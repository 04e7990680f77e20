"""Tests of emse.baselines: oracle, exact downdate, Newton removal, NegGrad, GradDiff,
fine-tuning; on every model of the package that offers what each method needs."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from emse import PolynomialRegressor, UnlearningResult, critical_mu, unlearn
from emse.baselines import (
    descent_ascent,
    descent_ascent_objective,
    fine_tune,
    gradient_ascent,
    gradient_residual_norm,
    remove_exact,
    remove_newton,
    retrain,
)
from emse.logistic import SoftmaxRegression, softmax_hessian, softmax_loss_and_grad
from emse.losses import per_example_loss
from emse.neural import NeuralClassifier, NeuralRegressor
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
    with pytest.raises(TypeError, match="model must follow emse's model protocol"):
        retrain(None, split.X_wanted, split.y_wanted)
    with pytest.raises(TypeError, match="stored normal equations"):
        remove_exact(SoftmaxRegression().fit([[0.0], [1.0]], [0, 1]), [[0.0]], [0])


def test_removing_points_that_determine_the_fit_raises():
    """Degree 2 on 4 distinct inputs: removing 2 leaves 2 points for 3 parameters."""
    X = np.array([[-1.0], [0.0], [1.0], [2.0]])
    model = PolynomialRegressor(degree=2).fit(X, np.array([1.0, 0.0, 1.0, 4.0]))
    with pytest.raises(ValueError, match="no longer determine every parameter"):
        remove_exact(model, X[:2], np.array([1.0, 0.0]))


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


# --- retraining on every model ----------------------------------------------------------------


def _unwanted_split(blobs):
    """The first 20 blobs (every class) are unwanted, the other 100 wanted."""
    X, y = blobs
    return X[20:], y[20:], X[:20], y[:20]


def test_retrain_a_classifier_keeps_every_class(blobs):
    """Forgetting a whole class keeps its column, so parameters stay comparable."""
    X, y = blobs
    model = SoftmaxRegression(alpha=0.5).fit(X, y)
    oracle = retrain(model, X[y != 2], y[y != 2])
    assert oracle.coef_.shape == model.coef_.shape
    assert_allclose(oracle.classes_, [0, 1, 2])
    direct = SoftmaxRegression(alpha=0.5, classes=[0, 1, 2]).fit(X[y != 2], y[y != 2])
    assert_allclose(oracle.coef_, direct.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("network", ["neural_regressor", "neural_classifier"])
def test_retrain_a_network_starts_from_the_same_weights(request, split, blobs, network):
    """The oracle of a network is the same architecture and seed fitted on the wanted data."""
    network = request.getfixturevalue(network)
    X, y = (split.X_wanted, split.y_wanted) if network.sizes_[-1] == 1 else (
        blobs[0][20:], blobs[1][20:])
    oracle = retrain(network, X, y)
    assert oracle is not network and type(oracle) is type(network)
    assert_allclose(oracle.init_coef_, network.init_coef_)
    direct = NeuralRegressor if network.sizes_[-1] == 1 else NeuralClassifier
    params = network.get_params()
    if direct is NeuralClassifier:
        params["classes"] = network.classes_
    assert_allclose(oracle.coef_, direct(**params).fit(X, y).coef_)


# --- Newton removal ---------------------------------------------------------------------------


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


def test_remove_newton_softmax_is_one_newton_step_on_the_retained_data(blobs):
    """The step equals theta - H_r^{-1} grad J_r, both from emse.logistic's formulas on D_r."""
    X_w, y_w, X_u, y_u = _unwanted_split(blobs)
    model = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(np.vstack([X_w, X_u]), np.r_[y_w, y_u])
    theta = model.coef_.ravel()
    Phi_w = np.hstack([np.ones((X_w.shape[0], 1)), X_w])
    _, grad_w = softmax_loss_and_grad(theta, Phi_w, y_w, 3, alpha=1.0)
    expected = theta - np.linalg.solve(softmax_hessian(theta, Phi_w, 3, alpha=1.0), grad_w)
    newton = remove_newton(model, X_u, y_u)
    assert_allclose(newton.coef_.ravel(), expected, atol=1e-7)
    assert newton.n_samples_fit_ == X_w.shape[0]
    # the stored Hessian is the retained one at the old parameters, so removals chain
    assert_allclose(newton.hessian_, softmax_hessian(theta, Phi_w, 3, alpha=1.0), atol=1e-9)


def test_remove_newton_softmax_is_approximate_but_close(blobs):
    """For logistic regression the step is not exact, but far closer than the original."""
    X_w, y_w, X_u, y_u = _unwanted_split(blobs)
    model = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(np.vstack([X_w, X_u]), np.r_[y_w, y_u])
    oracle = SoftmaxRegression(alpha=1.0, tol=1e-12).fit(X_w, y_w)
    newton = remove_newton(model, X_u, y_u)
    before = np.linalg.norm(model.coef_ - oracle.coef_)
    after = np.linalg.norm(newton.coef_ - oracle.coef_)
    assert 0 < after < 0.1 * before
    residual = gradient_residual_norm(newton, X_w, y_w)
    assert 1e-8 < residual < 0.1 * gradient_residual_norm(model, X_w, y_w)
    assert gradient_residual_norm(oracle, X_w, y_w) < 1e-6


def test_remove_newton_needs_a_stored_hessian(neural_regressor, split):
    """A network stores no training Hessian: refused by what it lacks."""
    with pytest.raises(TypeError, match="training_hessian, downdate"):
        remove_newton(neural_regressor, split.X_unwanted, split.y_unwanted)


def test_gradient_residual_norm_least_squares_by_hand(model, split):
    """The residual norm is |2 (G_r theta - b_r)| with the retained normal equations."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    expected = np.linalg.norm(2.0 * (oracle.gram_ @ model.coef_ - oracle.moment_))
    assert gradient_residual_norm(model, split.X_wanted, split.y_wanted) == pytest.approx(
        expected, rel=1e-9)


# --- NegGrad, GradDiff and fine-tuning: linear models -----------------------------------------


def _curvature(model, X):
    """2 lambda_max(Phi^T Phi) / n, the Hessian's largest eigenvalue of the mean squared loss."""
    Phi = model.design_matrix(X)
    return 2.0 * np.linalg.eigvalsh(Phi.T @ Phi)[-1] / Phi.shape[0]


def test_gradient_ascent_one_step_by_hand(model, split):
    """One NegGrad step is theta + eta * grad of the mean unwanted loss."""
    Phi = model.design_matrix(split.X_unwanted)
    r = split.y_unwanted - Phi @ model.coef_
    eta = 0.01
    expected = model.coef_ + eta * (-2.0 / r.size) * (Phi.T @ r)
    result = gradient_ascent(model, split.X_unwanted, split.y_unwanted, learning_rate=eta,
                             max_iter=1)
    assert isinstance(result, UnlearningResult)
    assert_allclose(result.model.coef_, expected, rtol=1e-12)
    assert result.n_iter == 1 and result.objective == "neggrad" and result.method == "gd"
    assert result.converged  # the budget is NegGrad's stopping rule
    assert result.history[1] < result.history[0]  # -L_u fell: the unwanted loss rose


def test_default_learning_rate_is_one_over_the_curvature(model, split):
    """learning_rate=None takes 1/L, L the largest Hessian eigenvalue of the mean loss."""
    X_w, y_w, X_u, y_u = split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted
    step = 1.0 / _curvature(model, X_u)
    assert step == pytest.approx(1.0 / model.loss_curvature_bound(X_u), rel=1e-10)
    default = gradient_ascent(model, X_u, y_u, max_iter=3)
    explicit = gradient_ascent(model, X_u, y_u, learning_rate=step, max_iter=3)
    assert_allclose(default.model.coef_, explicit.model.coef_, rtol=1e-9)
    tuned = fine_tune(model, X_w, y_w, max_iter=3)
    assert_allclose(tuned.model.coef_, fine_tune(model, X_w, y_w, max_iter=3,
                                                 learning_rate=1.0 / _curvature(model, X_w)
                                                 ).model.coef_, rtol=1e-9)
    mu = 0.2
    both = 1.0 / (_curvature(model, X_w) + mu * _curvature(model, X_u))
    assert_allclose(descent_ascent(model, X_w, y_w, X_u, y_u, mu=mu, max_iter=3).model.coef_,
                    descent_ascent(model, X_w, y_w, X_u, y_u, mu=mu, learning_rate=both,
                                   max_iter=3).model.coef_, rtol=1e-9)


def test_gradient_ascent_diverges_with_a_warning(model, split):
    """The ascent objective is unbounded; a run-away is reported, never returned as NaN."""
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        result = gradient_ascent(model, split.X_unwanted, split.y_unwanted, learning_rate=1e3,
                                 max_iter=500)
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert not result.converged
    assert "Diverged" in result.message
    assert result.n_iter < 500 and result.history.size == result.n_iter + 1
    assert np.all(np.isfinite(result.model.coef_)) and np.all(np.isfinite(result.history))


def test_descent_ascent_is_emse_mu_gradient_descent(model, split):
    """With the squared loss, GradDiff's iterates are those of unlearn(objective='mu', 'gd')."""
    mu = 0.3 * critical_mu(model, split.X_wanted, split.X_unwanted)
    ours = descent_ascent(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                          split.y_unwanted, mu=mu, learning_rate=1e-3, max_iter=50)
    theirs = unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted,
                     objective="mu", mu=mu, method="gd", learning_rate=1e-3, max_iter=50, tol=0)
    assert_allclose(ours.model.coef_, theirs.model.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.history, theirs.history, rtol=1e-10)
    assert ours.objective == "graddiff"


def test_descent_ascent_converges_to_the_emse_mu_minimiser(model, split):
    """Run long enough, GradDiff reaches the closed-form EMSE_mu minimiser (mu=0: the oracle)."""
    for fraction in (0.0, 0.5):
        mu = fraction * critical_mu(model, split.X_wanted, split.X_unwanted)
        closed = unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                         split.y_unwanted, objective="mu", mu=mu, method="newton")
        long = descent_ascent(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                              split.y_unwanted, mu=mu, learning_rate=1 / _curvature(
                                  model, split.X_wanted), max_iter=20_000)
        assert_allclose(long.model.predict(split.X_test), closed.model.predict(split.X_test),
                        atol=1e-6)


def test_fine_tune_on_the_wanted_data_reaches_the_oracle(model, split):
    """Gradient descent on the wanted mean loss converges to retraining on the wanted data."""
    result = fine_tune(model, split.X_wanted, split.y_wanted, max_iter=20_000)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    assert result.objective == "fine-tune" and result.converged
    assert_allclose(result.model.predict(split.X_test), oracle.predict(split.X_test), atol=1e-6)
    assert np.all(np.diff(result.history) <= 1e-15)  # monotone, to rounding


def test_descent_ascent_softmax_step_by_hand(blobs):
    """One softmax GradDiff step uses the mean cross-entropy gradients of both sets."""
    X_w, y_w, X_u, y_u = _unwanted_split(blobs)
    model = SoftmaxRegression(alpha=1.0).fit(np.vstack([X_w, X_u]), np.r_[y_w, y_u])
    theta = model.coef_.ravel()
    g_w = softmax_loss_and_grad(theta, model.design_matrix(X_w), y_w, 3)[1] / len(y_w)
    g_u = softmax_loss_and_grad(theta, model.design_matrix(X_u), y_u, 3)[1] / len(y_u)
    result = descent_ascent(model, X_w, y_w, X_u, y_u, mu=0.5, learning_rate=0.2, max_iter=1)
    assert_allclose(result.model.coef_.ravel(), theta - 0.2 * (g_w - 0.5 * g_u), rtol=1e-10)
    ascent = gradient_ascent(model, X_u, y_u, learning_rate=0.2, max_iter=3).model
    assert np.mean(ascent.predict(X_u) == y_u) <= np.mean(model.predict(X_u) == y_u)


# --- NegGrad, GradDiff and fine-tuning: networks ----------------------------------------------


@pytest.fixture(params=["neural_regressor", "neural_classifier"])
def network_task(request, split, blobs):
    """``(network, X_w, y_w, X_u, y_u)`` for each of the two shared networks."""
    network = request.getfixturevalue(request.param)
    if request.param == "neural_regressor":
        return network, split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted
    return (network, *_unwanted_split(blobs))


def _mean_loss(model, X, y):
    return float(np.mean(per_example_loss(model, X, y)))


def test_gradient_ascent_raises_the_unwanted_loss_of_a_network(network_task):
    """NegGrad on a network: the unwanted loss rises step after step."""
    network, _, _, X_u, y_u = network_task
    result = gradient_ascent(network, X_u, y_u, learning_rate=0.05, max_iter=10)
    assert type(result.model) is type(network) and result.converged
    assert _mean_loss(result.model, X_u, y_u) > _mean_loss(network, X_u, y_u)
    assert np.all(np.diff(result.history) < 0)  # history is -L_u
    assert result.history[-1] == pytest.approx(-_mean_loss(result.model, X_u, y_u), rel=1e-10)


def test_descent_ascent_with_mu_zero_lowers_the_wanted_loss_of_a_network(network_task):
    """GradDiff with mu = 0 is descent on the wanted loss alone."""
    network, X_w, y_w, X_u, y_u = network_task
    result = descent_ascent(network, X_w, y_w, X_u, y_u, mu=0.0, learning_rate=0.05,
                            max_iter=20)
    assert _mean_loss(result.model, X_w, y_w) < _mean_loss(network, X_w, y_w)
    assert result.history[0] == pytest.approx(_mean_loss(network, X_w, y_w), rel=1e-10)
    pushed = descent_ascent(network, X_w, y_w, X_u, y_u, mu=1.0, learning_rate=0.05,
                            max_iter=20)
    assert _mean_loss(pushed.model, X_u, y_u) > _mean_loss(result.model, X_u, y_u)


def test_fine_tune_lowers_the_loss_of_a_network(network_task):
    """Fine-tuning on some data lowers their mean loss; history is that loss."""
    network, _, _, X_u, y_u = network_task
    result = fine_tune(network, X_u, y_u, learning_rate=0.05, max_iter=20)
    assert result.objective == "fine-tune" and result.history.size == 21
    assert result.history[-1] < result.history[0]
    assert result.history[-1] == pytest.approx(_mean_loss(result.model, X_u, y_u), rel=1e-10)


def test_networks_need_an_explicit_learning_rate(network_task):
    """A network has no curvature bound, so learning_rate=None is refused by name."""
    network, X_w, y_w, X_u, y_u = network_task
    calls = [lambda: gradient_ascent(network, X_u, y_u),
             lambda: descent_ascent(network, X_w, y_w, X_u, y_u, mu=0.5),
             lambda: fine_tune(network, X_w, y_w)]
    for call in calls:
        with pytest.raises(ValueError, match=r"learning_rate must be given for a Neural"):
            call()


def test_gradient_residual_norm_of_a_network_is_its_objective_gradient(network_task):
    """For a network, the norm of objective_value_and_grad's gradient on the wanted data."""
    network, X_w, y_w, _, _ = network_task
    grad = network.objective_value_and_grad(network.coef_, X_w, y_w)[1]
    assert gradient_residual_norm(network, X_w, y_w) == pytest.approx(np.linalg.norm(grad))


# --- inputs and errors ----------------------------------------------------------------------


def test_methods_leave_inputs_unchanged(model, split, neural_classifier, blobs):
    """No method modifies the model or the arrays it is given."""
    coef, gram = model.coef_.copy(), model.gram_.copy()
    X_u, y_u = np.array(split.X_unwanted), np.array(split.y_unwanted)
    remove_newton(model, X_u, y_u)
    gradient_ascent(model, X_u, y_u, learning_rate=1e-3, max_iter=3)
    descent_ascent(model, split.X_wanted, split.y_wanted, X_u, y_u, mu=0.1,
                   learning_rate=1e-3, max_iter=3)
    fine_tune(model, X_u, y_u, max_iter=3)
    assert_allclose(model.coef_, coef)
    assert_allclose(model.gram_, gram)
    assert_allclose(X_u, split.X_unwanted)
    assert_allclose(y_u, split.y_unwanted)
    network_coef = neural_classifier.flat_coef()
    gradient_ascent(neural_classifier, *blobs, learning_rate=0.1, max_iter=2)
    assert_allclose(neural_classifier.flat_coef(), network_coef, rtol=0, atol=0)


def test_bad_input_is_refused_naming_the_argument(model, split, neural_classifier, blobs):
    """Errors name the caller's arguments."""
    X_w, y_w, X_u, y_u = split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted
    with pytest.raises(TypeError, match="model must follow emse's model protocol"):
        remove_newton(object(), X_u, y_u)
    with pytest.raises(ValueError, match="X_remove and y_remove must have the same number"):
        remove_newton(model, X_u, y_u[:-1])
    with pytest.raises(ValueError, match="X_remove must hold at least one"):
        remove_newton(model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="X_remove must leave at least one"):
        remove_newton(model, split.X_train, split.y_train)
    with pytest.raises(ValueError, match="X_remove must have 1 feature"):
        remove_newton(model, np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="with_coef"):
        remove_newton(model.with_coef(model.coef_), X_u, y_u)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        gradient_ascent(model, X_u, y_u, learning_rate=0.0)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        gradient_ascent(model, X_u, y_u, learning_rate=0.1, max_iter=0)
    with pytest.raises(ValueError, match="X_unwanted must hold at least one"):
        gradient_ascent(model, np.empty((0, 1)), np.empty(0), learning_rate=0.1)
    with pytest.raises(ValueError, match="X_unwanted and y_unwanted must have the same number"):
        gradient_ascent(model, X_u, y_u[:-1])
    with pytest.raises(ValueError, match="mu must be a finite number >= 0"):
        descent_ascent(model, X_w, y_w, X_u, y_u, mu=-1.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="X_wanted must hold at least one"):
        descent_ascent(model, np.empty((0, 1)), np.empty(0), X_u, y_u, mu=0.1,
                       learning_rate=0.1)
    with pytest.raises(ValueError, match="X_wanted must hold at least one"):
        gradient_residual_norm(model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="X_wanted and y_wanted must have the same number"):
        gradient_residual_norm(model, X_w, y_w[:-1])
    with pytest.raises(ValueError, match="X and y must have the same number"):
        fine_tune(model, X_w, y_w[:-1])
    X = blobs[0]
    with pytest.raises(ValueError, match=r"y_unwanted must hold only labels .* \[9\]"):
        gradient_ascent(neural_classifier, X[:2], [0, 9], learning_rate=0.1)


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
    with pytest.raises(ValueError, match="X_unwanted must hold at least one sample"):
        descent_ascent_objective(model, split.X_wanted, split.y_wanted, np.empty((0, 1)),
                                 np.empty(0), mu=0.3)


def test_no_warning_when_nothing_diverges(model, split):
    """A run that stays finite is silent."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_ascent(model, split.X_unwanted, split.y_unwanted, max_iter=5)
        fine_tune(model, split.X_wanted, split.y_wanted, max_iter=5)
