"""Tests of emse.neural: the numpy MLP estimators (their unlearning: test_neural_unlearn.py)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from emse.metrics import r2
from emse.neural import NeuralClassifier, NeuralRegressor, from_sklearn


def sine_data(n, seed, noise=0.1):
    """Noisy sin(3x) on [-1, 1]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 1))
    return X, np.sin(3 * X[:, 0]) + noise * rng.standard_normal(n)


def random_theta(network, seed=3, scale=0.5):
    rng = np.random.default_rng(seed)
    return network.coef_ + scale * rng.standard_normal(network.coef_.size)


@parametrize_with_checks([NeuralRegressor(max_iter=50), NeuralClassifier(max_iter=50)])
def test_sklearn_compatible(estimator, check):
    """Both networks pass scikit-learn's estimator checks."""
    check(estimator)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "identity"])
def test_regression_gradients_match_finite_differences(activation):
    """The backward pass gives the gradients of the squared loss and of the penalised objective
    (two hidden layers)."""
    X, y = sine_data(30, 4)
    network = NeuralRegressor(hidden_layer_sizes=(5, 4), activation=activation, alpha=0.3,
                              max_iter=5).fit(X, y)
    theta = random_theta(network)
    for value_and_grad in (network.loss_value_and_grad, network.objective_value_and_grad):
        _, grad = value_and_grad(theta, X, y)
        numeric = approx_fprime(theta, lambda t, f=value_and_grad: f(t, X, y)[0], 1e-7)
        assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_classification_gradients_match_finite_differences(blobs, activation):
    """The backward pass gives the gradients of the cross-entropy, plain and penalised."""
    X, y = blobs
    network = NeuralClassifier(hidden_layer_sizes=(5, 3), activation=activation, alpha=0.2,
                               max_iter=5).fit(X, y)
    theta = random_theta(network)
    for value_and_grad in (network.loss_value_and_grad, network.objective_value_and_grad):
        _, grad = value_and_grad(theta, X, y)
        numeric = approx_fprime(theta, lambda t, f=value_and_grad: f(t, X, y)[0], 1e-7)
        assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_loss_curve_is_the_training_objective(regression):
    """loss_curve_ starts at the objective of the initial weights and ends at the fitted one's."""
    network, X_w, y_w, X_u, y_u = regression
    X, y = np.vstack([X_w, X_u]), np.r_[y_w, y_u]
    # the fixture was fitted on wanted then unwanted data, in that order
    assert network.loss_curve_[0] == pytest.approx(
        network.objective_value_and_grad(network.init_coef_, X, y)[0], rel=1e-10)
    assert network.loss_curve_[-1] == pytest.approx(
        network.objective_value_and_grad(network.coef_, X, y)[0], rel=1e-10)
    assert network.loss_curve_.size == network.n_iter_ + 1


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
    assert partial.predict_proba(X).shape == (len(y), 3)
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
        (lambda d: NeuralRegressor().predict([[0.0]]), NotFittedError, "not fitted"),
        (lambda d: NeuralClassifier().predict([[0.0]]), NotFittedError, "not fitted"),
        (lambda d: NeuralClassifier().predict_proba([[0.0]]), NotFittedError, "not fitted"),
        (lambda d: NeuralClassifier().predict_log_proba([[0.0]]), NotFittedError, "not fitted"),
        (lambda d: NeuralRegressor().hidden_features([[0.0]]), NotFittedError, "not fitted"),
        (lambda d: d[0].predict(np.ones((2, 3))), ValueError, "features"),
        (lambda d: d[0].with_coef(np.ones(3)), ValueError, "coef must have shape"),
        (lambda d: d[0].with_coef(np.full(d[0].coef_.shape, np.nan)), ValueError,
         "coef must contain only finite"),
        (lambda d: d[0].loss_value_and_grad(np.ones(2), d[1], d[2]), ValueError,
         "theta must have shape"),
        (lambda d: NeuralClassifier().fit(d[1], np.zeros(d[1].shape[0])), ValueError,
         "classes must hold at least 2"),
        (lambda d: NeuralClassifier(classes=[0, 1]).fit(d[1], np.arange(d[1].shape[0]) % 3),
         ValueError, r"y must hold only labels .* unknown labels \[2\]"),
        (lambda d: NeuralClassifier().fit(d[1], d[2]), ValueError,
         "Unknown label type: continuous"),
        (lambda d: NeuralRegressor(random_state="seed").fit(d[1], d[2]), ValueError,
         "random_state"),
        (lambda d: from_sklearn(d[0]), TypeError, "estimator must be a fitted sklearn"),
    ],
)
def test_bad_input_raises_naming_the_argument(regression, make, error, message):
    """Every bad input is refused with a message that names the argument."""
    with pytest.raises(error, match=message):
        make(regression)


def test_log_proba_is_the_log_of_proba_and_stays_finite(classification):
    """predict_log_proba equals log(predict_proba), and stays finite where that underflows."""
    network, X, _ = classification
    assert_allclose(network.predict_log_proba(X), np.log(network.predict_proba(X)),
                    rtol=1e-10, atol=1e-12)
    extreme = network.with_coef(1e4 * network.coef_)
    assert np.all(np.isfinite(extreme.predict_log_proba(X)))
    assert np.min(extreme.predict_log_proba(X)) < -1000
    assert_allclose(network.predict(X), network.classes_[np.argmax(network.predict_proba(X), 1)])


def test_string_labels_are_predicted_back(blobs):
    """A network trained on string labels predicts strings, in classes_ order."""
    X, y = blobs
    names = np.array(["cat", "dog", "owl"])[y]
    network = NeuralClassifier(hidden_layer_sizes=(4,), max_iter=200).fit(X, names)
    assert network.classes_.tolist() == ["cat", "dog", "owl"]
    assert np.mean(network.predict(X) == names) > 0.9


def test_gradient_descent_training_that_diverges_warns(split):
    """A step far too long: ConvergenceWarning, finite parameters, converged_ false."""
    with pytest.warns(ConvergenceWarning, match="Training diverged"):
        network = NeuralRegressor(hidden_layer_sizes=(4,), solver="gd", learning_rate=1e6,
                                  max_iter=50).fit(split.X_train, 100 * split.y_train)
    assert not network.converged_
    assert np.all(np.isfinite(network.coef_)) and np.all(np.isfinite(network.loss_curve_))
