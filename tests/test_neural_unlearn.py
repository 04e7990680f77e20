"""Tests of emse.neural_unlearn: EMSE unlearning for networks, by the chain rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from emse import UnlearningResult
from emse.metrics import r2
from emse.neural import NeuralClassifier, NeuralRegressor
from emse.neural_unlearn import unlearn_network, unlearning_objective
from emse.objectives import emse_mu, emse_sigma


def random_theta(network, seed=3, scale=0.5):
    rng = np.random.default_rng(seed)
    return network.coef_ + scale * rng.standard_normal(network.coef_.size)


@pytest.mark.parametrize(("objective", "options"),
                         [("sigma", {"sigma": 0.7, "lam": 1.3}), ("mu", {"mu": 0.4})])
def test_regression_unlearning_gradient_matches_finite_differences(regression, objective,
                                                                   options):
    """EMSE through the chain rule equals finite differences of the EMSE value."""
    network, *data = regression
    fun = unlearning_objective(network, *data, objective=objective, **options)
    theta = random_theta(network, scale=0.3)
    _, grad = fun(theta)
    numeric = approx_fprime(theta, lambda t: fun(t)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("objective", "options"),
                         [("likelihood", {"lam": 0.8}), ("mu", {"mu": 0.5})])
def test_classification_unlearning_gradient_matches_finite_differences(classification,
                                                                       objective, options):
    """The cross-entropy analogues of EMSE have the gradients finite differences give."""
    network, X, y = classification
    fun = unlearning_objective(network, X[y != 0], y[y != 0], X[y == 0], y[y == 0],
                               objective=objective, **options)
    theta = random_theta(network)
    _, grad = fun(theta)
    numeric = approx_fprime(theta, lambda t: fun(t)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_regression_objective_values_are_the_emse_formulas(regression):
    """The network objectives evaluate EMSE_sigma and EMSE_mu on the network's residuals."""
    network, X_w, y_w, X_u, y_u = regression
    r_w, r_u = y_w - network.predict(X_w), y_u - network.predict(X_u)
    sigma_fun = unlearning_objective(network, X_w, y_w, X_u, y_u, sigma=0.8, lam=0.5)
    mu_fun = unlearning_objective(network, X_w, y_w, X_u, y_u, objective="mu", mu=0.3)
    assert sigma_fun(network.coef_)[0] == pytest.approx(emse_sigma(r_w, r_u, 0.8, 0.5))
    assert mu_fun(network.coef_)[0] == pytest.approx(emse_mu(r_w, r_u, 0.3))


def test_classification_likelihood_value_by_hand(classification):
    """-sum_w log p(y|x) - lam sum_u log(1 - p(y|x)) from predict_proba."""
    network, X, y = classification
    wanted, unwanted = y != 2, y == 2
    fun = unlearning_objective(network, X[wanted], y[wanted], X[unwanted], y[unwanted], lam=0.7)
    p_w = network.predict_proba(X[wanted])[np.arange(wanted.sum()), y[wanted]]
    rest_u = network.predict_proba(X[unwanted])[:, :2].sum(axis=1)  # 1 - p(2|x), no cancelling
    expected = -np.sum(np.log(p_w)) - 0.7 * np.sum(np.log(rest_u))
    assert fun(network.coef_)[0] == pytest.approx(expected, rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(0.0, 200.0), seed=st.integers(0, 2**16))
def test_classification_likelihood_is_finite_and_nonnegative(classification, scale, seed):
    """The bounded analogue stays finite and >= 0 even for extreme parameters."""
    network, X, y = classification
    fun = unlearning_objective(network, X[y != 1], y[y != 1], X[y == 1], y[y == 1])
    value, grad = fun(scale * np.random.default_rng(seed).standard_normal(network.coef_.size))
    assert np.isfinite(value)
    assert value >= 0.0
    assert np.all(np.isfinite(grad))


def test_unlearn_network_sigma_forgets_and_keeps_wanted_fit(regression):
    """EMSE_sigma moves the curve off the unwanted block and keeps the wanted fit."""
    network, X_w, y_w, X_u, y_u = regression
    result = unlearn_network(network, X_w, y_w, X_u, y_u, sigma=0.5, max_iter=500)
    assert isinstance(result, UnlearningResult)
    assert result.objective == "sigma"
    assert result.method == "lbfgs"
    assert result.history[-1] < result.history[0]
    unlearned = result.model
    assert r2(y_w, unlearned.predict(X_w)) > r2(y_w, network.predict(X_w)) + 0.1
    assert np.mean((y_u - unlearned.predict(X_u)) ** 2) > np.mean(
        (y_u - network.predict(X_u)) ** 2)


def test_unlearn_network_gradient_descent_decreases_objective(regression):
    """Plain gradient descent with a small step decreases EMSE_sigma monotonically."""
    network, *data = regression
    result = unlearn_network(network, *data, sigma=0.8, method="gd", learning_rate=2e-4,
                             max_iter=100)
    assert result.n_iter == 100
    assert np.all(np.diff(result.history) <= 1e-12)


def test_unlearn_network_mu_divergence_is_reported_not_nan(regression):
    """A weight mu that lets EMSE_mu run away ends with a warning and finite parameters."""
    network, *data = regression
    with pytest.warns(ConvergenceWarning, match="diverged"):
        result = unlearn_network(network, *data, objective="mu", mu=5.0, max_iter=5000)
    assert not result.converged
    assert np.all(np.isfinite(result.model.coef_))
    assert np.all(np.isfinite(result.history))


def test_unlearn_classifier_forgets_a_class(classification):
    """The likelihood analogue lowers the forgotten class's probability on its examples."""
    network, X, y = classification
    unwanted = y == 0
    result = unlearn_network(network, X[~unwanted], y[~unwanted], X[unwanted], y[unwanted],
                             max_iter=300)
    before = network.predict_proba(X[unwanted])[:, 0].mean()
    after = result.model.predict_proba(X[unwanted])[:, 0].mean()
    assert result.objective == "likelihood"
    assert after < 0.5 * before
    assert result.model.score(X[~unwanted], y[~unwanted]) >= 0.9


def test_inputs_are_never_modified(regression, classification):
    """No function writes into the arrays or the network it is given."""
    network, X_w, y_w, X_u, y_u = regression
    arrays = [X_w, y_w, X_u, y_u]
    copies = [a.copy() for a in arrays]
    coef = network.coef_.copy()
    theta = random_theta(network)
    theta_copy = theta.copy()
    unlearn_network(network, X_w, y_w, X_u, y_u, max_iter=20)
    unlearning_objective(network, X_w, y_w, X_u, y_u, objective="mu", mu=0.1)(theta)
    network.loss_value_and_grad(theta, X_w, y_w)
    network.with_coef(theta)
    NeuralRegressor(hidden_layer_sizes=(3,), max_iter=5).fit(X_w, y_w)
    for original, copy in zip([*arrays, theta, network.coef_],
                              [*copies, theta_copy, coef], strict=True):
        assert_allclose(original, copy)
    classifier, X, y = classification
    X_copy, y_copy, c_coef = X.copy(), y.copy(), classifier.coef_.copy()
    unlearn_network(classifier, X[y != 0], y[y != 0], X[y == 0], y[y == 0], max_iter=5)
    assert_allclose(X, X_copy)
    assert_allclose(y, y_copy)
    assert_allclose(classifier.coef_, c_coef)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda d: unlearn_network(object(), *d[1:]), TypeError, "network must be a fitted"),
        (lambda d: unlearn_network(d[0], np.ones((3, 2)), np.ones(3), *d[3:]), ValueError,
         "X_wanted must have 1 feature"),
        (lambda d: unlearn_network(d[0], *d[1:4], d[4][:-1]), ValueError,
         "X_unwanted and y_unwanted must have the same number"),
        (lambda d: unlearn_network(d[0], *d[1:3], np.empty((0, 1)), np.empty(0)), ValueError,
         "X_unwanted must hold at least one sample"),
        (lambda d: unlearn_network(d[0], np.empty((0, 1)), np.empty(0), *d[3:]), ValueError,
         "X_wanted must hold at least one sample"),
        (lambda d: unlearn_network(d[0], *d[1:], objective="likelihood"), ValueError,
         "objective must be one of"),
        (lambda d: unlearn_network(d[0], *d[1:], objective="mu"), ValueError,
         "mu must be given"),
        (lambda d: unlearn_network(d[0], *d[1:], mu=0.1), ValueError, "mu applies only"),
        (lambda d: unlearn_network(d[0], *d[1:], objective="mu", mu=-1.0), ValueError,
         "mu must be a finite number"),
        (lambda d: unlearn_network(d[0], *d[1:], sigma=0.3), ValueError,
         "sigma must be greater"),
        (lambda d: unlearn_network(d[0], *d[1:], lam=-2.0), ValueError, "lam must be"),
        (lambda d: unlearn_network(d[0], *d[1:], method="newton"), ValueError,
         "method must be one of"),
        (lambda d: unlearn_network(d[0], *d[1:], objective=None, mu=0.1), ValueError,
         "mu applies only"),
        (lambda d: unlearn_network(d[0].with_coef(d[0].coef_), *d[1:], sigma=None), TypeError,
         "sigma must be a real number"),
        (lambda d: unlearn_network(d[0], *d[1:], method="gd"), ValueError,
         "learning_rate must be given"),
        (lambda d: unlearn_network(d[0], *d[1:], learning_rate=0.1), ValueError,
         "learning_rate applies only"),
        (lambda d: unlearn_network(d[0], *d[1:], method="gd", learning_rate=0.0), ValueError,
         "learning_rate must be a finite number > 0"),
        (lambda d: unlearn_network(d[0], *d[1:], max_iter=0), ValueError, "max_iter must be"),
        (lambda d: unlearn_network(d[0], *d[1:], tol=-1.0), ValueError, "tol must be"),
        (lambda d: unlearn_network(d[0], d[1], np.full(d[2].shape, np.nan), *d[3:]),
         ValueError, "y_wanted"),
    ],
)
def test_bad_input_raises_naming_the_argument(regression, make, error, message):
    """Every bad input is refused with a message that names the argument."""
    with pytest.raises(error, match=message):
        make(regression)


def test_classifier_unlearning_refuses_unknown_labels_and_sigma_objective(classification):
    """Labels outside classes_ and the regression objective name are refused by name."""
    network, X, y = classification
    with pytest.raises(ValueError, match=r"y_unwanted must hold only labels .* \[7\]"):
        unlearn_network(network, X, y, X[:2], np.array([7, 7]))
    with pytest.raises(ValueError, match="objective must be one of"):
        unlearn_network(network, X, y, X[:2], y[:2], objective="sigma")


def test_unlearn_network_gradient_descent_with_a_huge_step_warns(regression):
    """A divergent gd run is reported as every method reports it: warning, converged=False."""
    network, *data = regression
    with pytest.warns(ConvergenceWarning, match="diverged"):
        result = unlearn_network(network, *data, sigma=1.0, method="gd", learning_rate=1e8,
                                 max_iter=50)
    assert not result.converged
    assert "Diverged" in result.message
    assert np.all(np.isfinite(result.model.coef_)) and np.all(np.isfinite(result.history))
    assert result.history.size == result.n_iter + 1


def test_unlearn_classifier_descent_ascent_form(classification):
    """objective='mu' on a classifier: mean CE on the wanted data minus mu times the unwanted."""
    network, X, y = classification
    unwanted = y == 1
    fun = unlearning_objective(network, X[~unwanted], y[~unwanted], X[unwanted], y[unwanted],
                               objective="mu", mu=0.3)
    expected = (network.loss_value_and_grad(network.coef_, X[~unwanted], y[~unwanted])[0]
                - 0.3 * network.loss_value_and_grad(network.coef_, X[unwanted], y[unwanted])[0])
    assert fun(network.coef_)[0] == pytest.approx(expected, rel=1e-12)
    result = unlearn_network(network, X[~unwanted], y[~unwanted], X[unwanted], y[unwanted],
                             objective="mu", mu=0.3, method="gd", learning_rate=0.05,
                             max_iter=30)
    assert result.objective == "mu" and isinstance(result.model, NeuralClassifier)
    assert result.n_iter == 30 and np.all(np.diff(result.history) < 0)


def test_unlearning_an_unfitted_network_raises_not_fitted(split):
    """An unfitted network is refused with scikit-learn's NotFittedError."""
    with pytest.raises(NotFittedError):
        unlearn_network(NeuralRegressor(), split.X_wanted, split.y_wanted, split.X_unwanted,
                        split.y_unwanted)
