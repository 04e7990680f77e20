"""Tests of emse.neural and emse.neural_unlearn: the numpy MLP and EMSE unlearning for it."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from emse import UnlearningResult
from emse.metrics import r2
from emse.neural import NeuralClassifier, NeuralRegressor, from_sklearn
from emse.neural_unlearn import unlearn_network, unlearning_objective


def sine_data(n, seed, noise=0.1):
    """Noisy sin(3x) on [-1, 1]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 1))
    return X, np.sin(3 * X[:, 0]) + noise * rng.standard_normal(n)


@pytest.fixture(scope="module")
def regression():
    """Wanted sine data, an offset unwanted block, and a small network fitted on both."""
    X_w, y_w = sine_data(80, 0)
    rng = np.random.default_rng(1)
    X_u = rng.uniform(0, 1, (25, 1))
    y_u = np.sin(3 * X_u[:, 0]) + 1.5
    network = NeuralRegressor(hidden_layer_sizes=(8,), max_iter=300).fit(
        np.vstack([X_w, X_u]), np.r_[y_w, y_u])
    return network, X_w, y_w, X_u, y_u


@pytest.fixture(scope="module")
def classification():
    """Three well separated Gaussian blobs in 2-D and a network fitted on them."""
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    y = np.repeat([0, 1, 2], 30)
    X = centres[y] + 0.7 * rng.standard_normal((90, 2))
    network = NeuralClassifier(hidden_layer_sizes=(6,), max_iter=300).fit(X, y)
    return network, X, y


def random_theta(network, seed=3, scale=0.5):
    rng = np.random.default_rng(seed)
    return network.coef_ + scale * rng.standard_normal(network.coef_.size)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "identity"])
def test_regression_gradient_matches_finite_differences(activation):
    """The backward pass gives the gradient of the penalised squared loss (two hidden layers)."""
    X, y = sine_data(30, 4)
    network = NeuralRegressor(hidden_layer_sizes=(5, 4), activation=activation, alpha=0.3,
                              max_iter=5).fit(X, y)
    theta = random_theta(network)
    _, grad = network.loss_value_and_grad(theta, X, y)
    numeric = approx_fprime(theta, lambda t: network.loss_value_and_grad(t, X, y)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_classification_gradient_matches_finite_differences(classification, activation):
    """The backward pass gives the gradient of the penalised cross-entropy."""
    _, X, y = classification
    network = NeuralClassifier(hidden_layer_sizes=(5, 3), activation=activation, alpha=0.2,
                               max_iter=5).fit(X, y)
    theta = random_theta(network)
    _, grad = network.loss_value_and_grad(theta, X, y)
    numeric = approx_fprime(theta, lambda t: network.loss_value_and_grad(t, X, y)[0], 1e-7)
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


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
    from emse.objectives import emse_mu, emse_sigma

    network, X_w, y_w, X_u, y_u = regression
    r_w, r_u = y_w - network.predict(X_w), y_u - network.predict(X_u)
    sigma_fun = unlearning_objective(network, X_w, y_w, X_u, y_u, sigma=0.8, lam=0.5)
    mu_fun = unlearning_objective(network, X_w, y_w, X_u, y_u, objective="mu", mu=0.3)
    assert sigma_fun(network.coef_)[0] == pytest.approx(emse_sigma(r_w, r_u, 0.8, 0.5))
    assert mu_fun(network.coef_)[0] == pytest.approx(emse_mu(r_w, r_u, 0.3))


def test_classification_likelihood_value_by_hand(classification):
    """-sum_w log p(y|x) - lam sum_u log(1 - p(y|x)) from predict_proba."""
    network, X, y = classification
    keep, forget = y != 2, y == 2
    fun = unlearning_objective(network, X[keep], y[keep], X[forget], y[forget], lam=0.7)
    p_w = network.predict_proba(X[keep])[np.arange(keep.sum()), y[keep]]
    p_u = network.predict_proba(X[forget])[:, 2]
    expected = -np.sum(np.log(p_w)) - 0.7 * np.sum(np.log1p(-p_u))
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


@pytest.mark.parametrize("activation", ["tanh", "relu", "logistic"])
def test_forward_pass_matches_sklearn_regressor(activation):
    """With MLPRegressor's fitted weights copied in, the predictions agree to rounding."""
    X, y = sine_data(60, 5)
    reference = MLPRegressor(hidden_layer_sizes=(7, 5), activation=activation, solver="lbfgs",
                             max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
    network = from_sklearn(reference)
    X_new = np.linspace(-2, 2, 41).reshape(-1, 1)
    assert_allclose(network.predict(X_new), reference.predict(X_new), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(network.coefs_ + network.intercepts_,
                            reference.coefs_ + reference.intercepts_, strict=True):
        assert_allclose(ours, theirs)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_forward_pass_matches_sklearn_classifier(classification, n_classes):
    """Softmax outputs match MLPClassifier (a binary logistic unit becomes two softmax units)."""
    _, X, y = classification
    keep = y < n_classes
    reference = MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50,
                              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X[keep], y[keep])
    network = from_sklearn(reference)
    assert_allclose(network.predict_proba(X), reference.predict_proba(X), rtol=1e-10,
                    atol=1e-12)
    assert np.array_equal(network.predict(X), reference.predict(X))


def test_training_matches_sklearn_regressor_accuracy():
    """Stated tolerance: held-out R² within 0.02 of MLPRegressor's, same data and settings.

    Both train a (20,) tanh network with L-BFGS and alpha = 1e-4 from their own random starts;
    the comparison is averaged over three seeds.
    """
    X, y = sine_data(200, 6)
    X_test, y_test = sine_data(400, 7, noise=0.0)
    ours, theirs = [], []
    for seed in range(3):
        network = NeuralRegressor(hidden_layer_sizes=(20,), max_iter=2000,
                                  random_state=seed).fit(X, y)
        reference = MLPRegressor(hidden_layer_sizes=(20,), activation="tanh", solver="lbfgs",
                                 alpha=1e-4, max_iter=2000, random_state=seed).fit(X, y)
        ours.append(r2(y_test, network.predict(X_test)))
        theirs.append(r2(y_test, reference.predict(X_test)))
    assert np.mean(theirs) > 0.95
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02


def test_gradient_descent_training_reaches_lbfgs_accuracy_roughly():
    """Plain gradient descent trains the same network to a useful fit (R² within 0.1)."""
    X, y = sine_data(100, 8)
    lbfgs = NeuralRegressor(hidden_layer_sizes=(10,), max_iter=2000).fit(X, y)
    gd = NeuralRegressor(hidden_layer_sizes=(10,), solver="gd", learning_rate=0.5,
                         max_iter=4000).fit(X, y)
    assert gd.loss_curve_.size == gd.n_iter_ + 1
    assert gd.loss_curve_[-1] < 0.05 * gd.loss_curve_[0]
    assert gd.score(X, y) > lbfgs.score(X, y) - 0.1


def test_training_matches_sklearn_classifier_accuracy():
    """On a digits subset, test accuracy at most 0.03 below MLPClassifier's."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, y_train, X_test, y_test = X[:600], y[:600], X[600:1200], y[600:1200]
    network = NeuralClassifier(hidden_layer_sizes=(20,), max_iter=300).fit(X_train, y_train)
    reference = MLPClassifier(hidden_layer_sizes=(20,), activation="tanh", solver="lbfgs",
                              max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X_train, y_train)
    assert reference.score(X_test, y_test) > 0.85
    assert network.score(X_test, y_test) >= reference.score(X_test, y_test) - 0.03


def test_initialisation_depends_on_seed_and_sizes_only():
    """The oracle's premise: a refit on other data with the same seed starts identically."""
    X, y = sine_data(40, 9)
    a = NeuralRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=4).fit(X, y)
    b = NeuralRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=4).fit(X[:10], y[:10])
    c = NeuralRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=5).fit(X, y)
    assert_allclose(a.init_coef_, b.init_coef_)
    assert not np.allclose(a.init_coef_, c.init_coef_)
    bound = np.sqrt(6 / (1 + 6))  # Glorot-uniform bound of the first layer (1 input, 6 units)
    assert np.all(np.abs(a.init_coef_[:12]) <= bound)


def test_classes_fix_the_output_layer(classification):
    """A classifier trained without class 2 but told classes=[0, 1, 2] keeps three outputs."""
    _, X, y = classification
    full = NeuralClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    partial = NeuralClassifier(hidden_layer_sizes=(4,), max_iter=3, classes=[0, 1, 2]).fit(
        X[y != 2], y[y != 2])
    assert partial.predict_proba(X).shape == (90, 3)
    assert_allclose(full.init_coef_, partial.init_coef_)


def test_with_coef_and_weight_views(regression):
    """with_coef returns a new network; coefs_ and intercepts_ are copies in layer order."""
    network, X_w, *_ = regression
    other = network.with_coef(np.zeros_like(network.coef_))
    assert_allclose(other.predict(X_w), 0.0)
    assert not np.allclose(network.predict(X_w), 0.0)
    weights = network.coefs_
    weights[0][:] = 0.0
    assert not np.allclose(network.coefs_[0], 0.0)
    assert [W.shape for W in network.coefs_] == [(1, 8), (8, 1)]
    assert network.hidden_features(X_w).shape == (X_w.shape[0], 8)


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
    forget = y == 0
    result = unlearn_network(network, X[~forget], y[~forget], X[forget], y[forget],
                             max_iter=300)
    before = network.predict_proba(X[forget])[:, 0].mean()
    after = result.model.predict_proba(X[forget])[:, 0].mean()
    assert result.objective == "likelihood"
    assert after < 0.5 * before
    assert result.model.score(X[~forget], y[~forget]) >= 0.9


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
        (lambda d: NeuralRegressor(hidden_layer_sizes=(0,)).fit(d[1], d[2]), ValueError,
         "hidden_layer_sizes"),
        (lambda d: NeuralRegressor(hidden_layer_sizes=(2.5,)).fit(d[1], d[2]), ValueError,
         "hidden_layer_sizes"),
        (lambda d: NeuralRegressor(activation="softplus").fit(d[1], d[2]), ValueError,
         "activation"),
        (lambda d: NeuralRegressor(solver="adam").fit(d[1], d[2]), ValueError, "solver"),
        (lambda d: NeuralRegressor(learning_rate=0.0).fit(d[1], d[2]), ValueError,
         "learning_rate"),
        (lambda d: NeuralRegressor(max_iter=0).fit(d[1], d[2]), ValueError, "max_iter"),
        (lambda d: NeuralRegressor().fit(np.full((3, 1), np.nan), [1.0, 2.0, 3.0]), ValueError,
         "X"),
        (lambda d: NeuralRegressor().predict([[0.0]]), Exception, "not fitted"),
        (lambda d: d[0].predict(np.ones((2, 3))), ValueError, "features"),
        (lambda d: d[0].with_coef(np.ones(3)), ValueError, "coef must have shape"),
        (lambda d: d[0].with_coef(np.full(d[0].coef_.shape, np.nan)), ValueError,
         "coef must contain only finite"),
        (lambda d: d[0].loss_value_and_grad(np.ones(2), d[1], d[2]), ValueError,
         "theta must have shape"),
        (lambda d: NeuralClassifier().fit(d[1], np.zeros(d[1].shape[0])), ValueError,
         "classes must hold at least 2"),
        (lambda d: NeuralClassifier(classes=[0, 1]).fit(d[1], np.arange(d[1].shape[0]) % 3),
         ValueError, "y must be a 1-D array of labels"),
        (lambda d: from_sklearn(d[0]), TypeError, "estimator must be a fitted sklearn"),
        (lambda d: unlearn_network(object(), *d[1:]), TypeError, "network must be a fitted"),
        (lambda d: unlearn_network(d[0], np.ones((3, 2)), np.ones(3), *d[3:]), ValueError,
         "X_wanted must have 1 feature"),
        (lambda d: unlearn_network(d[0], *d[1:4], d[4][:-1]), ValueError,
         "X_unwanted and y_unwanted must hold the same number"),
        (lambda d: unlearn_network(d[0], *d[1:3], np.empty((0, 1)), np.empty(0)), ValueError,
         "X_unwanted and y_unwanted must hold the same number"),
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
        (lambda d: unlearn_network(d[0], *d[1:], method="gd"), ValueError,
         "learning_rate must be given"),
        (lambda d: unlearn_network(d[0], *d[1:], learning_rate=0.1), ValueError,
         "learning_rate applies only"),
        (lambda d: unlearn_network(d[0], *d[1:], method="gd", learning_rate=0.0), ValueError,
         "learning_rate must be > 0"),
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
    with pytest.raises(ValueError, match="y_unwanted must be a 1-D array of labels"):
        unlearn_network(network, X, y, X[:2], np.array([7, 7]))
    with pytest.raises(ValueError, match="objective must be one of"):
        unlearn_network(network, X, y, X[:2], y[:2], objective="sigma")
