"""Tests of emse.safety: forging (labels and SGD logs), backdoors, concept projection."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from emse import PolynomialRegressor
from emse.baselines import retrain
from emse.logistic import SoftmaxRegression
from emse.safety import (
    SGDTrajectory,
    add_trigger,
    forge_retained_labels,
    forge_sgd_trajectory,
    make_backdoor,
    mean_difference_projection,
    replay_sgd,
    sgd_trajectory,
    trigger_success_rate,
)

# --- forge_retained_labels -----------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_forged_labels_give_the_same_weights(split, alpha):
    """Fitting the retained inputs with forged labels reproduces the model trained on all."""
    model = PolynomialRegressor(degree=5, alpha=alpha).fit(split.X_train, split.y_train)
    y_forged = forge_retained_labels(model, split.X_wanted, split.y_wanted,
                                     split.X_unwanted, split.y_unwanted)
    forged_fit = retrain(model, split.X_wanted, y_forged)
    assert_allclose(forged_fit.coef_, model.coef_, atol=1e-9)
    # ... while the honest retained labels give a different model (the oracle).
    assert not np.allclose(retrain(model, split.X_wanted, split.y_wanted).coef_, model.coef_,
                           atol=1e-3)


def test_forged_label_change_is_the_minimum_norm_one(model, split):
    """The label change lies in the column space of the retained design matrix."""
    y_forged = forge_retained_labels(model, split.X_wanted, split.y_wanted,
                                     split.X_unwanted[:1], split.y_unwanted[:1])
    delta = y_forged - split.y_wanted
    Phi = model.design_matrix(split.X_wanted)
    coefficients = np.linalg.lstsq(Phi, delta, rcond=None)[0]
    assert_allclose(Phi @ coefficients, delta, atol=1e-10)
    assert np.linalg.norm(delta) > 0


def test_forging_a_point_on_the_fit_changes_nothing(model, split):
    """A removed point with zero residual needs no label change."""
    x = split.X_unwanted[:1]
    y_forged = forge_retained_labels(model, split.X_wanted, split.y_wanted, x, model.predict(x))
    assert_allclose(y_forged, split.y_wanted, atol=1e-10)


def test_forge_does_not_modify_inputs(model, split):
    """Model and arrays are unchanged."""
    X_w, y_w = split.X_wanted.copy(), split.y_wanted.copy()
    coef = model.coef_.copy()
    forge_retained_labels(model, X_w, y_w, split.X_unwanted, split.y_unwanted)
    assert_array_equal(X_w, split.X_wanted)
    assert_array_equal(y_w, split.y_wanted)
    assert_array_equal(model.coef_, coef)


def test_forge_rejects_too_few_retained_points(model, split):
    """Retained inputs that do not determine every parameter are refused."""
    with pytest.raises(ValueError, match="full column rank"):
        forge_retained_labels(model, split.X_wanted[:3], split.y_wanted[:3],
                              split.X_unwanted, split.y_unwanted)


def test_forge_rejects_empty_removal(model, split):
    """At least one point must be removed."""
    with pytest.raises(ValueError, match="X_removed must hold at least one sample"):
        forge_retained_labels(model, split.X_wanted, split.y_wanted, np.empty((0, 1)),
                              np.empty(0))


def test_forge_rejects_mismatched_lengths(model, split):
    """X and y of different lengths are named in the error."""
    with pytest.raises(ValueError, match="X_retained and y_retained"):
        forge_retained_labels(model, split.X_wanted, split.y_wanted[:-1],
                              split.X_unwanted, split.y_unwanted)


def test_forge_rejects_a_classifier():
    """A model with a coefficient matrix is not a least-squares regressor."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    clf = SoftmaxRegression().fit(X, [0, 0, 1, 1])
    with pytest.raises(TypeError, match="least-squares regressor"):
        forge_retained_labels(clf, X[1:], [0, 1, 1], X[:1], [0])


def test_forge_rejects_unfitted_model(split):
    """An unfitted model is refused."""
    with pytest.raises(NotFittedError):
        forge_retained_labels(PolynomialRegressor(), split.X_wanted, split.y_wanted,
                              split.X_unwanted, split.y_unwanted)


# --- backdoor helpers --------------------------------------------------------------------


def test_add_trigger_sets_features_on_a_copy():
    """The trigger features take the value; the input is unchanged."""
    X = np.zeros((2, 4))
    triggered = add_trigger(X, [1, 3], value=0.5)
    assert_array_equal(triggered, [[0, 0.5, 0, 0.5], [0, 0.5, 0, 0.5]])
    assert_array_equal(X, 0)


@pytest.mark.parametrize("pixels", [[4], [-1], [0.5], []])
def test_add_trigger_rejects_bad_pixels(pixels):
    """Indices must be integers inside the feature range."""
    with pytest.raises(ValueError, match="pixels must be"):
        add_trigger(np.zeros((2, 4)), pixels)


def test_add_trigger_rejects_nan_value():
    """The trigger value must be finite."""
    with pytest.raises(ValueError, match="value must be finite"):
        add_trigger(np.zeros((1, 2)), [0], value=np.nan)


def test_make_backdoor_draws_non_target_rows():
    """Poisoned copies come from other classes, carry the trigger and the target label."""
    X = np.arange(40.0).reshape(10, 4)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    X_p, y_p, index = make_backdoor(X, y, n_poison=4, target=0, pixels=[0], value=-1.0,
                                    random_state=3)
    assert_array_equal(y_p, 0)
    assert np.all(y[index] != 0)
    assert_array_equal(X_p[:, 0], -1.0)
    assert_array_equal(X_p[:, 1:], X[index, 1:])
    again = make_backdoor(X, y, n_poison=4, target=0, pixels=[0], value=-1.0, random_state=3)
    assert_array_equal(again[2], index)


def test_make_backdoor_rejects_too_many_poisons():
    """There must be enough examples of other classes."""
    with pytest.raises(ValueError, match="n_poison must be at most 2"):
        make_backdoor(np.zeros((3, 2)), [0, 1, 1], n_poison=3, target=0, pixels=[0])


def test_make_backdoor_rejects_mismatched_lengths():
    """X and y must have one label per row."""
    with pytest.raises(ValueError, match="same number of samples"):
        make_backdoor(np.zeros((3, 2)), [0, 1], n_poison=1, target=0, pixels=[0])


class _Constant:
    def __init__(self, label):
        self.label = label

    def predict(self, X):
        return np.full(np.shape(X)[0], self.label)


def test_trigger_success_rate_known_answers():
    """Always answering the target scores 1, never answering it scores 0."""
    X, y = np.zeros((4, 3)), np.array([0, 1, 2, 1])
    assert trigger_success_rate(_Constant(0), X, y, target=0, pixels=[0]) == 1.0
    assert trigger_success_rate(_Constant(1), X, y, target=0, pixels=[0]) == 0.0


def test_trigger_success_rate_rejects_only_target_labels():
    """With every label equal to the target there is nothing to measure."""
    with pytest.raises(ValueError, match="at least one example not labelled"):
        trigger_success_rate(_Constant(0), np.zeros((2, 3)), [0, 0], target=0, pixels=[0])


# --- mean_difference_projection ----------------------------------------------------------


def test_projection_equalises_the_means():
    """P is a symmetric idempotent of rank d-1, and the projected group means coincide."""
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((50, 5))
    concept = np.arange(50) < 15
    Z[concept] += [2.0, -1.0, 0.0, 0.5, 0.0]
    P = mean_difference_projection(Z, concept)
    assert_allclose(P, P.T, atol=1e-12)
    assert_allclose(P @ P, P, atol=1e-12)
    assert np.linalg.matrix_rank(P) == 4
    projected = Z @ P
    assert_allclose(projected[concept].mean(axis=0), projected[~concept].mean(axis=0),
                    atol=1e-12)


def test_projection_rejects_bad_masks():
    """The mask must be boolean, of the right length, and split the rows."""
    Z = np.eye(3)
    with pytest.raises(ValueError, match="boolean array"):
        mean_difference_projection(Z, [1, 0, 0])
    with pytest.raises(ValueError, match="boolean array"):
        mean_difference_projection(Z, [True, False])
    with pytest.raises(ValueError, match="some but not all"):
        mean_difference_projection(Z, [True, True, True])


def test_projection_rejects_equal_means():
    """With equal group means there is no direction to remove."""
    Z = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="means are equal"):
        mean_difference_projection(Z, np.array([True, True, False, False]))


# --- sgd_trajectory, replay_sgd, forge_sgd_trajectory --------------------------------------


def _sgd(model, X, y, rng, **kwargs):
    settings = {"batch_size": 8, "learning_rate": 0.05, "n_steps": 60, **kwargs}
    return sgd_trajectory(model, X, y, rng=rng, **settings)


def test_sgd_trajectory_steps_are_minibatch_gradient_steps(model, split):
    """Every logged step is theta - eta * grad of the logged batch's mean loss."""
    log = _sgd(model, split.X_train, split.y_train, 0)
    assert isinstance(log, SGDTrajectory)
    assert log.weights.shape == (61, model.coef_.size) and log.batches.shape == (60, 8)
    assert log.n_steps == 60
    assert_array_equal(log.weights[0], 0.0)
    for t in (0, 17, 59):
        batch = log.batches[t]
        assert np.unique(batch).size == 8
        grad = model.loss_function(split.X_train[batch], split.y_train[batch])(log.weights[t])[1]
        assert_allclose(log.weights[t + 1], log.weights[t] - 0.05 * grad, atol=1e-12)
    assert_array_equal(log.final, log.weights[-1])


def test_sgd_trajectory_converges_without_noise():
    """On noiseless data that the model fits exactly, SGD reaches the least-squares fit."""
    X = np.linspace(-1, 1, 30).reshape(-1, 1)
    y = 1.0 - 2.0 * X[:, 0]
    fit = PolynomialRegressor(degree=1).fit(X, y)
    log = sgd_trajectory(fit, X, y, batch_size=5, learning_rate=0.5, n_steps=300, rng=1)
    assert_allclose(log.final, fit.coef_, atol=1e-8)


def test_sgd_trajectory_is_reproducible_and_depends_on_rng(model, split):
    """The same seed gives the same log; another seed another batch order and end point."""
    a, b = (_sgd(model, split.X_train, split.y_train, 3) for _ in range(2))
    c = _sgd(model, split.X_train, split.y_train, 4)
    assert_array_equal(a.batches, b.batches)
    assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.batches, c.batches)
    assert not np.allclose(a.final, c.final)


def test_replay_reproduces_the_log_from_a_start(model, split):
    """Replaying the batches from the same start gives the logged iterates."""
    start = np.arange(model.coef_.size, dtype=float) / 10
    log = _sgd(model, split.X_train, split.y_train, 2, theta0=start)
    assert_array_equal(log.weights[0], start)
    replayed = replay_sgd(model, split.X_train, split.y_train, log.batches, learning_rate=0.05,
                          theta0=start)
    assert_allclose(replayed, log.weights, atol=1e-14)


def test_forged_log_uses_retained_points_and_replays_exactly(model, split):
    """The forged batches index retained rows, and replaying them gives the forged weights."""
    X_all, y_all = split.X_train, split.y_train
    real = _sgd(model, X_all, y_all, 0)
    forged = forge_sgd_trajectory(model, split.X_wanted, split.y_wanted, real, n_candidates=32,
                                  rng=1)
    assert forged.batches.shape == real.batches.shape
    assert forged.batches.min() >= 0 and forged.batches.max() < split.y_wanted.size
    assert all(np.unique(batch).size == batch.size for batch in forged.batches)
    assert forged.learning_rate == real.learning_rate
    assert_array_equal(forged.weights[0], real.weights[0])
    replayed = replay_sgd(model, split.X_wanted, split.y_wanted, forged.batches,
                          learning_rate=0.05)
    assert_allclose(replayed, forged.weights, atol=1e-12)


def test_forging_one_point_lands_closer_than_an_honest_rerun(model, split):
    """Removing one point: the forged end point is nearer the real one than a second honest run
    on all data (the noise floor of SGD), and more candidates bring it nearer."""
    X_all = np.vstack([split.X_wanted, split.X_unwanted])
    y_all = np.concatenate([split.y_wanted, split.y_unwanted])
    X_kept, y_kept = X_all[:-1], y_all[:-1]
    real = _sgd(model, X_all, y_all, 5, n_steps=120)
    twin = _sgd(model, X_all, y_all, 6, n_steps=120)
    floor = np.linalg.norm(twin.final - real.final)
    distances = [np.linalg.norm(forge_sgd_trajectory(model, X_kept, y_kept, real,
                                                     n_candidates=n, rng=7).final - real.final)
                 for n in (1, 256)]
    assert distances[1] < 0.5 * floor
    assert distances[1] < distances[0]


def test_forging_one_candidate_is_an_honest_retained_run(model, split):
    """With one candidate per step the forged log is plain SGD on the retained data."""
    real = _sgd(model, split.X_train, split.y_train, 0)
    forged = forge_sgd_trajectory(model, split.X_wanted, split.y_wanted, real, n_candidates=1,
                                  rng=np.random.default_rng(9))
    honest = replay_sgd(model, split.X_wanted, split.y_wanted, forged.batches,
                        learning_rate=0.05)
    assert_allclose(forged.weights, honest, atol=1e-12)


def test_forging_works_for_softmax_regression():
    """The forging runs through the model protocol, here a softmax classifier."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] + 0.3 * rng.standard_normal(60) > 0).astype(int)
    clf = SoftmaxRegression(alpha=1.0).fit(X, y)
    real = sgd_trajectory(clf, X, y, batch_size=6, learning_rate=0.5, n_steps=40, rng=1)
    forged = forge_sgd_trajectory(clf, X[2:], y[2:], real, n_candidates=64, rng=2)
    assert forged.weights.shape == real.weights.shape
    assert_allclose(replay_sgd(clf, X[2:], y[2:], forged.batches, learning_rate=0.5),
                    forged.weights, atol=1e-12)


def test_sgd_functions_reject_bad_input(model, split):
    """Clear errors for bad sizes, rates, batches, starts and logs."""
    X, y = split.X_train, split.y_train
    with pytest.raises(ValueError, match="batch_size must be at most"):
        sgd_trajectory(model, X, y, batch_size=X.shape[0] + 1, learning_rate=0.1, n_steps=2,
                       rng=0)
    with pytest.raises(ValueError, match="learning_rate"):
        sgd_trajectory(model, X, y, batch_size=4, learning_rate=0.0, n_steps=2, rng=0)
    with pytest.raises(ValueError, match="n_steps"):
        sgd_trajectory(model, X, y, batch_size=4, learning_rate=0.1, n_steps=0, rng=0)
    with pytest.raises(ValueError, match="theta0"):
        sgd_trajectory(model, X, y, batch_size=4, learning_rate=0.1, n_steps=2, rng=0,
                       theta0=[1.0])
    with pytest.raises(ValueError, match="batches must index rows"):
        replay_sgd(model, X, y, [[0, X.shape[0]]], learning_rate=0.1)
    with pytest.raises(ValueError, match="batches must be a non-empty 2-D"):
        replay_sgd(model, X, y, [0, 1], learning_rate=0.1)
    with pytest.raises(TypeError, match="SGDTrajectory"):
        forge_sgd_trajectory(model, X, y, np.zeros((3, 6)), n_candidates=4, rng=0)
    log = _sgd(model, X, y, 0)
    with pytest.raises(ValueError, match="at least the log's batch size"):
        forge_sgd_trajectory(model, X[:5], y[:5], log, n_candidates=4, rng=0)
    with pytest.raises(NotFittedError):
        sgd_trajectory(PolynomialRegressor(degree=2), X, y, batch_size=4, learning_rate=0.1,
                       n_steps=2, rng=0)
