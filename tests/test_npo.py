"""Tests of emse.baselines.npo (Negative Preference Optimization) and of the two protocol
methods it reads: per_example_loss_function (per-example losses and their vector-Jacobian
product) and loss_gradient_bound (a bound on the per-example gradients' second moment).

Every gradient is checked against finite differences; the per-example losses against
emse.losses.per_example_loss, which reads them through predict_log_proba instead.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from sklearn.exceptions import ConvergenceWarning

from emse import UnlearningResult
from emse.baselines import gradient_ascent, npo, npo_objective
from emse.certified import CertifiedClassifier
from emse.logistic import SoftmaxRegression
from emse.losses import per_example_loss
from emse.neural import NeuralClassifier, NeuralRegressor

KINDS = ("softmax", "neural classifier", "neural regressor", "certified", "certified binary")
CLASSIFIERS = ("softmax", "neural classifier", "certified", "certified binary")
LINEAR = ("softmax", "certified", "certified binary")


def _fit(kind, split, blobs):
    """``(model, X, y)``: a small model of the class ``kind`` and its training data."""
    X, y = (np.array(a) for a in blobs)
    if kind == "softmax":
        return SoftmaxRegression(alpha=0.5).fit(X, y), X, y
    if kind == "neural classifier":
        return NeuralClassifier(hidden_layer_sizes=(4,), max_iter=100).fit(X, y), X, y
    if kind == "neural regressor":
        X, y = split.X_train[:40], split.y_train[:40]
        return NeuralRegressor(hidden_layer_sizes=(4,), max_iter=100).fit(X, y), X, y
    if kind == "certified binary":
        X, y = X[y < 2], y[y < 2]
    return CertifiedClassifier(alpha=0.5, sigma=0.1, norm_bound=6.0).fit(X, y), X, y


@pytest.fixture(scope="module", params=KINDS)
def fitted(request, split, blobs):
    return request.param, *_fit(request.param, split, blobs)


@pytest.fixture(scope="module", params=CLASSIFIERS)
def classifier(request, split, blobs):
    return request.param, *_fit(request.param, split, blobs)


@pytest.fixture(scope="module")
def softmax(blobs):
    """A softmax regression on blobs, with class 0's first 15 points as the unwanted set."""
    X, y = (np.array(a) for a in blobs)
    unwanted = np.flatnonzero(y == 0)[:15]
    wanted = np.setdiff1d(np.arange(y.size), unwanted)
    model = SoftmaxRegression(alpha=0.5).fit(X, y)
    return model, X[wanted], y[wanted], X[unwanted], y[unwanted]


def _perturbed(model, seed=0, scale=0.3):
    theta = model.flat_coef()
    return theta + scale * np.random.default_rng(seed).standard_normal(theta.size)


# --- the protocol additions -----------------------------------------------------------------


def test_per_example_losses_are_those_of_the_model(fitted):
    """losses(theta) are emse.losses.per_example_loss of with_coef(theta) (the one-vs-rest
    loss for the certified classifier), and their mean is loss_function's value."""
    kind, model, X, y = fitted
    theta = _perturbed(model)
    losses, _ = model.per_example_loss_function(X, y)(theta)
    assert losses.shape == (X.shape[0],)
    assert np.mean(losses) == pytest.approx(model.loss_function(X, y)(theta)[0], rel=1e-12)
    if not kind.startswith("certified"):
        assert_allclose(losses, per_example_loss(model.with_coef(theta), X, y), rtol=1e-10,
                        atol=1e-14)


def test_vjp_of_uniform_weights_is_the_mean_loss_gradient(fitted):
    """vjp(ones / n) is loss_function's gradient."""
    _, model, X, y = fitted
    theta = _perturbed(model)
    _, vjp = model.per_example_loss_function(X, y)(theta)
    assert_allclose(vjp(np.full(X.shape[0], 1.0 / X.shape[0])),
                    model.loss_function(X, y)(theta)[1], rtol=1e-10, atol=1e-14)


def test_vjp_matches_finite_differences(fitted):
    """vjp(w) is the gradient of sum_i w_i l_i(theta), for weights of both signs."""
    _, model, X, y = fitted
    X, y = X[:12], y[:12]
    theta = _perturbed(model, seed=1)
    weights = np.random.default_rng(2).standard_normal(12)
    function = model.per_example_loss_function(X, y)
    numeric = approx_fprime(theta, lambda t: weights @ function(t)[0], 1e-7)
    assert_allclose(function(theta)[1](weights), numeric, rtol=1e-5, atol=1e-6)


def test_vjp_refuses_weights_of_the_wrong_shape(fitted):
    """The weights must be one finite number per example."""
    _, model, X, y = fitted
    _, vjp = model.per_example_loss_function(X[:3], y[:3])(model.flat_coef())
    with pytest.raises(ValueError, match=r"weights must have shape \(3,\)"):
        vjp(np.ones(4))
    with pytest.raises(ValueError, match="weights must contain only finite values"):
        vjp(np.array([1.0, np.nan, 0.0]))


def test_per_example_loss_function_checks_its_data_and_theta(fitted):
    """The data are checked once, naming X and y; theta when the function is called."""
    _, model, X, y = fitted
    with pytest.raises(ValueError, match="X and y must have the same number"):
        model.per_example_loss_function(X, y[:-1])
    with pytest.raises(ValueError, match="theta must have shape"):
        model.per_example_loss_function(X, y)(np.ones(3))


@pytest.mark.parametrize("kind", LINEAR)
@pytest.mark.parametrize(("seed", "scale"), [(0, 0.0), (1, 1.0), (2, 10.0)])
def test_loss_gradient_bound_bounds_the_gradients_second_moment(split, blobs, kind, seed,
                                                                 scale):
    """loss_gradient_bound(X) >= the largest eigenvalue of (1/n) sum_i g_i g_i^T at any theta
    (the per-example gradients g_i from the vjp of unit weights)."""
    model, X, y = _fit(kind, split, blobs)
    theta = _perturbed(model, seed, scale)
    _, vjp = model.per_example_loss_function(X, y)(theta)
    G = np.array([vjp(e) for e in np.eye(X.shape[0])])
    largest = np.linalg.eigvalsh(G.T @ G / X.shape[0])[-1]
    assert model.loss_gradient_bound(X) >= largest * (1 - 1e-12)


def test_loss_gradient_bound_of_softmax_is_four_times_the_curvature_bound(softmax):
    """Both bounds are multiples of lambda_max(Phi^T Phi / n): 2 and 1/2."""
    model, _, _, X_u, _ = softmax
    assert model.loss_gradient_bound(X_u) == pytest.approx(
        4 * model.loss_curvature_bound(X_u), rel=1e-12)


# --- NPO ------------------------------------------------------------------------------------


@pytest.mark.parametrize("retain", [False, True])
def test_npo_gradient_matches_finite_differences(classifier, retain):
    """The NPO gradient (weighted vjp, plus the retain term) against finite differences."""
    _, model, X, y = classifier
    extra = {"X_wanted": X[20:], "y_wanted": y[20:], "retain_weight": 0.7} if retain else {}
    function = npo_objective(model, X[:20], y[:20], beta=0.5, **extra)
    theta = _perturbed(model, seed=3)
    numeric = approx_fprime(theta, lambda t: function(t)[0], 1e-7)
    assert_allclose(function(theta)[1], numeric, rtol=1e-5, atol=1e-6)


def test_npo_value_by_hand(softmax):
    """(2/beta) mean log(1 + (pi_theta / pi_ref)^beta) + retain_weight * L_w, from
    predict_proba."""
    model, X_w, y_w, X_u, y_u = softmax
    beta, weight = 0.3, 0.6
    function = npo_objective(model, X_u, y_u, beta=beta, X_wanted=X_w, y_wanted=y_w,
                             retain_weight=weight)
    theta = _perturbed(model, seed=4)
    rows = np.arange(y_u.size)
    ratio = (model.with_coef(theta).predict_proba(X_u)[rows, y_u]
             / model.predict_proba(X_u)[rows, y_u])
    expected = (2 / beta * np.mean(np.log1p(ratio**beta))
                + weight * np.mean(per_example_loss(model.with_coef(theta), X_w, y_w)))
    assert function(theta)[0] == pytest.approx(expected, rel=1e-10)
    assert npo_objective(model, X_u, y_u, beta=beta)(model.flat_coef())[0] == pytest.approx(
        2 / beta * np.log(2), rel=1e-12)


def test_npo_first_step_is_neggrads(softmax, neural_classifier, blobs):
    """At the reference every weight is 1: NPO's first step is NegGrad's, for any beta."""
    model, _, _, X_u, y_u = softmax
    for beta in (0.05, 1.0, 4.0):
        ours = npo(model, X_u, y_u, beta=beta, learning_rate=0.3, max_iter=1)
        neggrad = gradient_ascent(model, X_u, y_u, learning_rate=0.3, max_iter=1)
        assert_allclose(ours.model.coef_, neggrad.model.coef_, rtol=1e-12, atol=1e-14)
    X, y = blobs
    ours = npo(neural_classifier, X[:9], y[:9], learning_rate=0.2, max_iter=1)
    neggrad = gradient_ascent(neural_classifier, X[:9], y[:9], learning_rate=0.2, max_iter=1)
    assert_allclose(ours.model.coef_, neggrad.model.coef_, rtol=1e-12, atol=1e-14)


def test_npo_tends_to_neggrad_as_beta_goes_to_zero(softmax):
    """L_NPO - (2/beta) log 2 -> mean l_ref - mean l, and the gradient to NegGrad's."""
    model, _, _, X_u, y_u = softmax
    theta = _perturbed(model, seed=5, scale=0.5)
    loss_u = model.loss_function(X_u, y_u)
    function = npo_objective(model, X_u, y_u, beta=1e-6)
    value, grad = function(theta)
    assert value - 2e6 * np.log(2) == pytest.approx(
        loss_u(model.flat_coef())[0] - loss_u(theta)[0], abs=1e-4)
    assert_allclose(grad, -loss_u(theta)[1], rtol=1e-5, atol=1e-8)


def test_npo_forgets_and_is_bounded_below(softmax):
    """With the default step, NPO lowers its objective (never below 0), raises the unwanted
    loss and forgets the unwanted labels; the returned result is NPO's."""
    model, _, _, X_u, y_u = softmax
    result = npo(model, X_u, y_u, max_iter=300)
    assert isinstance(result, UnlearningResult)
    assert (result.objective, result.method, result.converged) == ("npo", "gd", True)
    assert result.n_iter == 300 and result.history.size == 301
    assert result.history[-1] < 0.1 * result.history[0] and np.all(result.history > 0)
    assert np.all(np.diff(result.history) <= 1e-12)  # the default step is a descent step
    before = per_example_loss(model, X_u, y_u)
    after = per_example_loss(result.model, X_u, y_u)
    assert np.all(after > before)
    assert np.mean(result.model.predict(X_u) == y_u) < 0.5 <= np.mean(model.predict(X_u) == y_u)


def test_npo_moves_more_slowly_than_neggrad(softmax):
    """With the same step and budget, NPO's push fades where NegGrad's does not: its unwanted
    loss grows less (Zhang et al. 2024's point about collapse)."""
    model, _, _, X_u, y_u = softmax
    step, steps = 1.0, 200
    loss_npo = np.mean(per_example_loss(npo(model, X_u, y_u, beta=1.0, learning_rate=step,
                                            max_iter=steps).model, X_u, y_u))
    loss_neggrad = np.mean(per_example_loss(gradient_ascent(model, X_u, y_u, learning_rate=step,
                                                            max_iter=steps).model, X_u, y_u))
    assert loss_npo < 0.5 * loss_neggrad


def test_npo_retain_term_keeps_the_wanted_data(softmax):
    """The retain-term variant keeps the wanted loss lower than plain NPO does."""
    model, X_w, y_w, X_u, y_u = softmax
    plain = npo(model, X_u, y_u, learning_rate=0.5, max_iter=200)
    retained = npo(model, X_u, y_u, X_wanted=X_w, y_wanted=y_w, retain_weight=2.0,
                   learning_rate=0.5, max_iter=200)
    assert np.mean(per_example_loss(retained.model, X_w, y_w)) < np.mean(
        per_example_loss(plain.model, X_w, y_w))


def test_npo_default_step_by_hand(softmax):
    """learning_rate=None takes 1 / max(2 L_u, beta/2 G_u + retain_weight L_w)."""
    model, X_w, y_w, X_u, y_u = softmax
    L_u, G_u, L_w = (model.loss_curvature_bound(X_u), model.loss_gradient_bound(X_u),
                     model.loss_curvature_bound(X_w))
    for beta, weight in ((0.1, 1.0), (5.0, 3.0)):
        step = 1.0 / max(2 * L_u, beta / 2 * G_u + weight * L_w)
        ours = npo(model, X_u, y_u, beta=beta, X_wanted=X_w, y_wanted=y_w,
                   retain_weight=weight, max_iter=2)
        by_hand = npo(model, X_u, y_u, beta=beta, X_wanted=X_w, y_wanted=y_w,
                      retain_weight=weight, learning_rate=step, max_iter=2)
        assert_allclose(ours.model.coef_, by_hand.model.coef_, rtol=1e-13)


@pytest.mark.parametrize("kind", LINEAR)
@pytest.mark.parametrize(("beta", "seed"), [(0.1, 0), (3.0, 1), (20.0, 2)])
def test_npo_hessian_lies_within_the_documented_bounds(split, blobs, kind, beta, seed):
    """The finite-difference Hessian of L_NPO (with a retain term) has its eigenvalues in
    [-2 L_u, beta/2 G_u + retain_weight L_w], the interval behind the default step."""
    model, X, y = _fit(kind, split, blobs)
    X_u, y_u, X_w, y_w = X[:10], y[:10], X[10:], y[10:]
    function = npo_objective(model, X_u, y_u, beta=beta, X_wanted=X_w, y_wanted=y_w,
                             retain_weight=0.5)
    theta, eps = _perturbed(model, seed, scale=2.0), 1e-5
    hessian = np.column_stack([(function(theta + eps * e)[1] - function(theta - eps * e)[1])
                               / (2 * eps) for e in np.eye(theta.size)])
    eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
    low = -2 * model.loss_curvature_bound(X_u)
    high = beta / 2 * model.loss_gradient_bound(X_u) + 0.5 * model.loss_curvature_bound(X_w)
    assert low - 1e-6 <= eigenvalues[0] and eigenvalues[-1] <= high + 1e-6


def test_npo_on_a_network_needs_a_learning_rate(neural_classifier, blobs):
    """A network has no curvature bound: learning_rate must be given, and then NPO runs."""
    X, y = blobs
    with pytest.raises(ValueError, match="learning_rate must be given for NPO on a "
                                         "NeuralClassifier"):
        npo(neural_classifier, X[:9], y[:9])
    result = npo(neural_classifier, X[:9], y[:9], X_wanted=X[9:], y_wanted=y[9:],
                 learning_rate=0.5, max_iter=20)
    assert result.converged and result.history[-1] <= result.history[0]


def test_npo_divergence_is_reported_not_nan(softmax):
    """A huge step runs away: a ConvergenceWarning at the caller's line and the last finite
    iterate, never NaN."""
    model, _, _, X_u, y_u = softmax
    with pytest.warns(ConvergenceWarning, match="npo diverged") as record:
        result = npo(model, X_u, y_u, learning_rate=1e12, max_iter=5)
    assert record[0].filename == __file__
    assert not result.converged and "Diverged" in result.message
    assert np.all(np.isfinite(result.model.coef_)) and np.all(np.isfinite(result.history))


def test_npo_leaves_its_inputs_unchanged(softmax):
    """Neither the model nor the arrays change."""
    model, X_w, y_w, X_u, y_u = softmax
    coef, arrays = model.coef_.copy(), [a.copy() for a in (X_w, y_w, X_u, y_u)]
    npo(model, X_u, y_u, X_wanted=X_w, y_wanted=y_w, max_iter=3)
    assert_allclose(model.coef_, coef, rtol=0, atol=0)
    for before, after in zip(arrays, (X_w, y_w, X_u, y_u), strict=True):
        assert_allclose(after, before, rtol=0, atol=0)


def test_npo_bad_input_is_refused_naming_the_argument(softmax, neural_regressor, split):
    """Every error names the argument at fault."""
    model, X_w, y_w, X_u, y_u = softmax
    with pytest.raises(TypeError, match="model must be a classifier with per-example losses"):
        npo(neural_regressor, split.X_unwanted, split.y_unwanted, learning_rate=0.1)
    with pytest.raises(TypeError, match="model must follow emse's model protocol"):
        npo(object(), X_u, y_u)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        npo(model, X_u, y_u, beta=0.0)
    with pytest.raises(TypeError, match="beta must be a real number"):
        npo(model, X_u, y_u, beta="0.1")
    with pytest.raises(ValueError, match="retain_weight must be a finite number >= 0"):
        npo(model, X_u, y_u, X_wanted=X_w, y_wanted=y_w, retain_weight=-1.0)
    with pytest.raises(ValueError, match="y_wanted must be given with X_wanted"):
        npo(model, X_u, y_u, X_wanted=X_w)
    with pytest.raises(ValueError, match="X_wanted must be given with y_wanted"):
        npo(model, X_u, y_u, y_wanted=y_w)
    with pytest.raises(ValueError, match=re.escape("X_unwanted must have 2 feature(s)")):
        npo(model, X_u[:, :1], y_u)
    with pytest.raises(ValueError, match=r"y_unwanted must hold only labels .* \[7\]"):
        npo(model, X_u[:2], [0, 7])
    with pytest.raises(ValueError, match="X_wanted and y_wanted must have the same number"):
        npo(model, X_u, y_u, X_wanted=X_w, y_wanted=y_w[:-1])
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        npo(model, X_u, y_u, learning_rate=-1.0)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        npo(model, X_u, y_u, max_iter=0)
    with pytest.raises(ValueError, match="theta must have shape"):
        npo_objective(model, X_u, y_u)(np.ones(2))
