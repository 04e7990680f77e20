"""Tests of emse.neural_unlearn.scrub (Kurmanji et al. 2023): the gradients of its two step
objectives against finite differences, its values by hand, its reduction to fine-tuning, and
what it does to the unwanted and the wanted predictions."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from scipy.special import rel_entr, softmax
from sklearn.exceptions import ConvergenceWarning

from emse.baselines import fine_tune
from emse.losses import per_example_loss
from emse.neural import NeuralClassifier
from emse.neural_unlearn import _distillation, _scrub_functions, scrub


@pytest.fixture(scope="module")
def task(blobs):
    """An (8,) tanh classifier on blobs; 15 points of class 0 are unwanted:
    ``(network, X_w, y_w, X_u, y_u)``."""
    X, y = (np.array(a) for a in blobs)
    unwanted = np.zeros(y.size, dtype=bool)
    unwanted[np.flatnonzero(y == 0)[:15]] = True
    network = NeuralClassifier(hidden_layer_sizes=(8,), max_iter=500).fit(X, y)
    return network, X[~unwanted], y[~unwanted], X[unwanted], y[unwanted]


def _kl(teacher, student, X, temperature=1.0):
    """Mean T^2 KL(teacher || student) of the tempered class probabilities over X."""
    p = softmax(teacher.predict_log_proba(X) / temperature, axis=1)
    q = softmax(student.predict_log_proba(X) / temperature, axis=1)
    return temperature**2 * np.mean(np.sum(rel_entr(p, q), axis=1))


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_scrub_step_gradients_match_finite_differences(task, temperature):
    """The max-step (forget) and min-step (retain) objectives' gradients."""
    network, X_w, y_w, X_u, _ = task
    index = np.searchsorted(network.classes_, y_w)
    forget, retain = _scrub_functions(network, X_w, index, X_u, 0.3, 0.9, temperature)
    theta = network.flat_coef() + 0.2 * np.random.default_rng(0).standard_normal(
        network.coef_.size)
    for function in (forget, retain):
        numeric = approx_fprime(theta, lambda t, f=function: f(t)[0], 1e-7)
        assert_allclose(function(theta)[1], numeric, rtol=1e-5, atol=1e-6)


def test_scrub_step_values_by_hand(task):
    """forget = -mean KL_T over the unwanted inputs; retain = alpha mean KL_T + gamma mean
    cross-entropy over the wanted data; from predict_log_proba."""
    network, X_w, y_w, X_u, _ = task
    alpha, gamma, temperature = 0.3, 0.9, 2.0
    forget, retain = _scrub_functions(network, X_w, np.searchsorted(network.classes_, y_w), X_u,
                                      alpha, gamma, temperature)
    theta = network.flat_coef() + 0.2 * np.random.default_rng(1).standard_normal(
        network.coef_.size)
    student = network.with_coef(theta)
    assert forget(theta)[0] == pytest.approx(-_kl(network, student, X_u, temperature),
                                             rel=1e-10)
    expected = (alpha * _kl(network, student, X_w, temperature)
                + gamma * np.mean(per_example_loss(student, X_w, y_w)))
    assert retain(theta)[0] == pytest.approx(expected, rel=1e-10)


def test_scrub_starts_where_the_teacher_is(task):
    """At the start both KL terms are zero, the objective is gamma times the wanted
    cross-entropy, and the max-step's gradient vanishes (the student is the teacher)."""
    network, X_w, y_w, X_u, y_u = task
    result = scrub(network, X_w, y_w, X_u, y_u, gamma=0.7, learning_rate=0.1, max_iter=1)
    assert result.history[0] == pytest.approx(
        0.7 * np.mean(per_example_loss(network, X_w, y_w)), rel=1e-10)
    forget, _ = _scrub_functions(network, X_w, np.searchsorted(network.classes_, y_w), X_u,
                                 0.001, 0.99, 4.0)
    assert np.max(np.abs(forget(network.flat_coef())[1])) < 1e-12


def test_scrub_without_max_steps_or_kl_is_fine_tuning(task):
    """forget_steps=0, alpha=0, gamma=1: every epoch is a gradient step on the wanted mean
    cross-entropy, the iterates of emse.baselines.fine_tune."""
    network, X_w, y_w, X_u, y_u = task
    ours = scrub(network, X_w, y_w, X_u, y_u, alpha=0.0, gamma=1.0, forget_steps=0,
                 learning_rate=0.3, max_iter=5)
    tuned = fine_tune(network, X_w, y_w, learning_rate=0.3, max_iter=5)
    assert_allclose(ours.model.coef_, tuned.model.coef_, rtol=1e-12, atol=1e-14)
    assert ours.history[0] == pytest.approx(tuned.history[0], rel=1e-12)  # no KL at the start


def test_scrub_forgets_the_unwanted_more_than_the_wanted(task):
    """With the SCRUB code's weights and temperature the student leaves the teacher on the
    unwanted inputs (their accuracy falls to at most 0.2) far more than on the wanted ones."""
    network, X_w, y_w, X_u, y_u = task
    result = scrub(network, X_w, y_w, X_u, y_u, learning_rate=1.0, max_iter=40,
                   forget_steps=15)
    assert (result.objective, result.method, result.converged) == ("scrub", "gd", True)
    assert result.n_iter == 40 and result.history.size == 41
    student = result.model
    assert np.mean(student.predict(X_u) == y_u) <= 0.2
    assert np.mean(student.predict(X_w) == y_w) >= 0.6
    assert _kl(network, student, X_u) > 3 * _kl(network, student, X_w)


def test_scrub_min_steps_after_the_max_steps_repair_the_wanted_data(task):
    """Epochs without a max-step lower the wanted cross-entropy that the max-steps raised."""
    network, X_w, y_w, X_u, y_u = task
    short = scrub(network, X_w, y_w, X_u, y_u, learning_rate=1.0, max_iter=15,
                  forget_steps=15).model
    repaired = scrub(network, X_w, y_w, X_u, y_u, learning_rate=1.0, max_iter=40,
                     forget_steps=15).model
    assert np.mean(per_example_loss(repaired, X_w, y_w)) < np.mean(
        per_example_loss(short, X_w, y_w))


def test_scrub_divergence_is_reported_not_nan(task):
    """A huge step runs away: a ConvergenceWarning at the caller's line, finite parameters."""
    network, X_w, y_w, X_u, y_u = task
    with pytest.warns(ConvergenceWarning, match="scrub diverged") as record:
        result = scrub(network, X_w, y_w, X_u, y_u, learning_rate=1e15, max_iter=5)
    assert record[0].filename == __file__
    assert not result.converged and "Diverged" in result.message
    assert result.history.size == result.n_iter + 1
    assert np.all(np.isfinite(result.model.coef_)) and np.all(np.isfinite(result.history))


def test_scrub_leaves_its_inputs_unchanged(task):
    """Neither the network nor the arrays change."""
    network, X_w, y_w, X_u, y_u = task
    coef, arrays = network.coef_.copy(), [a.copy() for a in (X_w, y_w, X_u, y_u)]
    scrub(network, X_w, y_w, X_u, y_u, learning_rate=0.5, max_iter=3)
    assert_allclose(network.coef_, coef, rtol=0, atol=0)
    for before, after in zip(arrays, (X_w, y_w, X_u, y_u), strict=True):
        assert_allclose(after, before, rtol=0, atol=0)


def test_scrub_bad_input_is_refused_naming_the_argument(task, neural_regressor, split):
    """Every error names the argument at fault."""
    network, X_w, y_w, X_u, y_u = task
    data = (X_w, y_w, X_u, y_u)
    with pytest.raises(TypeError, match="network must be a fitted NeuralClassifier"):
        scrub(neural_regressor, split.X_wanted, split.y_wanted, split.X_unwanted,
              split.y_unwanted, learning_rate=0.1)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        scrub(network, *data, alpha=-1.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0"):
        scrub(network, *data, gamma=-1.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        scrub(network, *data, temperature=0.0, learning_rate=0.1)
    with pytest.raises(TypeError, match="learning_rate must be a real number; got None"):
        scrub(network, *data, learning_rate=None)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        scrub(network, *data, learning_rate=0.1, max_iter=0)
    for steps in (-1, 11, 2.5, True):
        with pytest.raises(ValueError, match=r"forget_steps must be an integer in \[0, "):
            scrub(network, *data, learning_rate=0.1, max_iter=10, forget_steps=steps)
    with pytest.raises(ValueError, match=r"y_unwanted must hold only labels .* \[9\]"):
        scrub(network, X_w, y_w, X_u[:2], [0, 9], learning_rate=0.1)
    with pytest.raises(ValueError, match="X_wanted and y_wanted must have the same number"):
        scrub(network, X_w, y_w[:-1], X_u, y_u, learning_rate=0.1)


def test_distillation_term_is_zero_only_at_the_teacher():
    """The tempered KL is zero for equal logits and positive otherwise; its derivative by the
    student's logits sums to zero over the classes (softmax is shift-invariant)."""
    z = np.random.default_rng(2).standard_normal((4, 3))
    assert _distillation(z, z, 4.0)[0] == pytest.approx(0.0, abs=1e-12)
    value, delta = _distillation(z + np.array([1.0, 0.0, -1.0]), z, 2.0)
    assert value > 0
    assert_allclose(delta.sum(axis=1), 0.0, atol=1e-12)
