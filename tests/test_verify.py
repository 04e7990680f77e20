"""Tests of emse.verify (distances, forget quality, relearning) and emse.membership."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from emse import PolynomialRegressor
from emse.baselines import retrain
from emse.logistic import SoftmaxRegression
from emse.membership import (
    attack_metrics,
    fit_shadow_models,
    lira_attack,
    lira_scores,
    loss_threshold_attack,
    membership_statistic,
)
from emse.sisa import SISA
from emse.verify import forget_quality, parameter_distance, prediction_distance, relearn


@pytest.fixture
def random_labels():
    """Random labels on random features: only memorisation can fit them.

    Returns the training part (members), a never-seen part from the same distribution
    (non-members) and a third part for the shadow models' candidates.
    """
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 400))
    y = rng.integers(0, 2, 300)
    return X[:100], y[:100], X[100:200], y[100:200], X[200:], y[200:]


def _brute_force_auc(pos, neg):
    """P(score of a positive > score of a negative) + half the ties (Mann-Whitney)."""
    diff = np.asarray(pos)[:, None] - np.asarray(neg)[None, :]
    return np.mean(diff > 0) + 0.5 * np.mean(diff == 0)


def test_parameter_distance_by_hand(model, split):
    """The distance is the Euclidean norm of the parameter difference."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    assert parameter_distance(model, oracle) == pytest.approx(
        np.sqrt(np.sum((model.coef_ - oracle.coef_) ** 2)))
    assert parameter_distance(oracle, oracle) == 0.0


def test_prediction_distance_by_hand(model, split, random_labels):
    """RMS difference for regressors; mean total variation for classifiers."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    gap = model.predict(split.X_test) - oracle.predict(split.X_test)
    assert prediction_distance(model, oracle, split.X_test) == pytest.approx(
        np.sqrt(np.mean(gap**2)))
    X, y = random_labels[:2]
    a, b = SoftmaxRegression(alpha=1.0).fit(X, y), SoftmaxRegression(alpha=30.0).fit(X, y)
    tv = np.mean(np.abs(a.predict_proba(X)[:, 0] - b.predict_proba(X)[:, 0]))  # two classes
    assert prediction_distance(a, b, X) == pytest.approx(tv)
    assert 0 < prediction_distance(a, b, X) <= 1


def test_attack_metrics_against_brute_force():
    """AUC is the Mann-Whitney probability; TPR at FPR is read off the sorted scores."""
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 1.0, 150), rng.normal(0.0, 1.0, 400)
    result = attack_metrics(pos, neg, fpr=0.01)
    assert result.auc == pytest.approx(_brute_force_auc(pos, neg))
    fifth = np.sort(neg)[-5]  # any threshold just above it flags 4 of 400 negatives: FPR = 1%
    assert result.tpr_at_fpr == pytest.approx(np.mean(pos > fifth))
    assert attack_metrics([1.0, 2.0], [0.0, -1.0]).auc == 1.0
    assert attack_metrics([0.0], [0.0]).auc == 0.5


def test_loss_attack_is_chance_on_unseen_data(split):
    """A model that never saw either group gives AUC close to 0.5."""
    model = PolynomialRegressor(degree=5).fit(split.X_wanted, split.y_wanted)
    result = loss_threshold_attack(model, split.X_test[:30], split.y_test[:30], split.X_test[30:],
                                   split.y_test[30:])
    assert abs(result.auc - 0.5) < 0.15
    assert result.auc == pytest.approx(_brute_force_auc(
        -(split.y_test[:30] - model.predict(split.X_test[:30])) ** 2,
        -(split.y_test[30:] - model.predict(split.X_test[30:])) ** 2))


def test_attacks_detect_memorisation(random_labels):
    """On memorised random labels both attacks succeed; on unseen data they are at chance."""
    X_in, y_in, X_out, y_out, X_extra, y_extra = random_labels
    make = lambda X, y: SoftmaxRegression(alpha=1.0).fit(X, y)  # noqa: E731
    target = make(X_in, y_in)
    assert loss_threshold_attack(target, X_in, y_in, X_out, y_out).auc > 0.9
    X_c, y_c = np.vstack([X_in, X_out]), np.r_[y_in, y_out]
    member = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    shadows = fit_shadow_models(make, np.empty((0, 400)), np.empty(0, int), X_c, y_c,
                                n_shadows=8, random_state=1)
    assert lira_attack(target, shadows, X_c, y_c, member).auc > 0.9
    never = make(X_extra, y_extra)
    assert abs(lira_attack(never, shadows, X_c, y_c, member).auc - 0.5) < 0.1
    assert abs(loss_threshold_attack(never, X_in, y_in, X_out, y_out).auc - 0.5) < 0.1


def test_lira_scores_by_hand(random_labels):
    """The score is a difference of Gaussian log-densities with pooled variances."""
    X_in, y_in, X_out, y_out = random_labels[:4]
    make = lambda X, y: SoftmaxRegression(alpha=0.1).fit(X, y)  # noqa: E731
    X_c, y_c = X_out[:30], y_out[:30]
    shadows = fit_shadow_models(make, X_in, y_in, X_c, y_c, n_shadows=4, random_state=0)
    stat, mask = shadows.statistics, shadows.in_mask
    assert_allclose(mask.sum(axis=0), 2)  # every candidate in exactly half
    target = make(X_in, y_in)
    s = membership_statistic(target, X_c, y_c)
    expected = []
    mu_in = np.array([stat[mask[:, j], j].mean() for j in range(30)])
    mu_out = np.array([stat[~mask[:, j], j].mean() for j in range(30)])
    sd_in = np.sqrt(np.mean([(stat[i, j] - mu_in[j]) ** 2 for i in range(4) for j in range(30)
                             if mask[i, j]]))
    sd_out = np.sqrt(np.mean([(stat[i, j] - mu_out[j]) ** 2 for i in range(4)
                              for j in range(30) if not mask[i, j]]))
    expected = stats.norm(mu_in, sd_in).logpdf(s) - stats.norm(mu_out, sd_out).logpdf(s)
    assert_allclose(lira_scores(target, shadows, X_c, y_c), expected, rtol=1e-10)
    # The shadow statistics are those of models refitted on the recorded subsets.
    refit = make(np.vstack([X_in, X_c[mask[1]]]), np.r_[y_in, y_c[mask[1]]])
    assert_allclose(stat[1], membership_statistic(refit, X_c, y_c), rtol=1e-8)


def test_membership_statistic_by_hand(model, split, random_labels):
    """Logit-scaled confidence log(p / (1 - p)) for classifiers; the residual for regressors."""
    X, y = random_labels[:2]
    clf = SoftmaxRegression(alpha=1.0).fit(X, y)
    p = clf.predict_proba(X)[np.arange(100), y]
    assert_allclose(membership_statistic(clf, X, y), np.log(p / (1 - p)), rtol=1e-8)
    ensemble = SISA(SoftmaxRegression(alpha=1.0), n_shards=2).fit(X, y)
    p = ensemble.predict_proba(X)[np.arange(100), y]
    assert_allclose(membership_statistic(ensemble, X, y), np.log(p / (1 - p)), rtol=1e-8)
    assert_allclose(membership_statistic(model, split.X_test, split.y_test),
                    split.y_test - model.predict(split.X_test))


def test_forget_quality_against_ks_by_hand(model, split):
    """The statistic is the largest gap between the two empirical CDFs; identical models: p=1."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    X_u, y_u = split.X_unwanted, split.y_unwanted
    same = forget_quality(oracle, oracle, X_u, y_u)
    assert same.statistic == 0.0 and same.pvalue == pytest.approx(1.0)
    a, b = (y_u - model.predict(X_u)) ** 2, (y_u - oracle.predict(X_u)) ** 2
    grid = np.r_[a, b]
    gap = np.max(np.abs(np.mean(a[:, None] <= grid, axis=0) - np.mean(b[:, None] <= grid, axis=0)))
    result = forget_quality(model, oracle, X_u, y_u)
    assert result.statistic == pytest.approx(gap)
    assert result.pvalue < 1e-3  # the trained model fits the unwanted block; the oracle does not


def test_relearn_matches_a_hand_written_loop(model, split):
    """The probe curve is that of plain gradient descent on the relearning half."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    X_u, y_u = split.X_unwanted, split.y_unwanted
    T, V = slice(0, 15), slice(15, None)
    eta = 0.002
    result = relearn(oracle, X_u[T], y_u[T], X_u[V], y_u[V], target_loss=0.5, learning_rate=eta,
                     max_steps=40)
    theta = oracle.coef_.copy()
    Phi_t, Phi_v = oracle.design_matrix(X_u[T]), oracle.design_matrix(X_u[V])
    curve = [np.mean((y_u[V] - Phi_v @ theta) ** 2)]
    for _ in range(40):
        theta = theta + eta * 2 / 15 * Phi_t.T @ (y_u[T] - Phi_t @ theta)
        curve.append(np.mean((y_u[V] - Phi_v @ theta) ** 2))
    assert_allclose(result.probe_loss, curve, rtol=1e-10)
    hits = np.flatnonzero(np.array(curve) <= 0.5)
    assert result.steps == (hits[0] if hits.size else None)
    assert result.reached == (result.steps is not None)
    never = relearn(oracle, X_u[T], y_u[T], X_u[V], y_u[V], target_loss=0.0, learning_rate=eta,
                    max_steps=5)
    assert never.steps is None and not never.reached
    at_once = relearn(model, X_u[T], y_u[T], X_u[V], y_u[V], target_loss=1e9,
                      learning_rate=eta, max_steps=5)
    assert at_once.steps == 0


def test_bad_input_raises(model, split, random_labels):
    """Errors name the argument."""
    with pytest.raises(ValueError, match="fpr must be strictly between"):
        attack_metrics([1.0], [0.0], fpr=1.0)
    with pytest.raises(ValueError, match="member_scores must hold at least one"):
        attack_metrics([], [0.0])
    with pytest.raises(ValueError, match="nonmember_scores must be finite"):
        attack_metrics([1.0], [np.nan])
    with pytest.raises(ValueError, match="n_shadows must be even"):
        fit_shadow_models(None, split.X_wanted, split.y_wanted, split.X_test, split.y_test,
                          n_shadows=3)
    with pytest.raises(ValueError, match="X_candidates must hold at least one"):
        fit_shadow_models(None, split.X_wanted, split.y_wanted, np.empty((0, 1)), np.empty(0))
    X, y = random_labels[:2]
    with pytest.raises(ValueError, match="parameters of the same shape"):
        parameter_distance(model, SoftmaxRegression().fit(X, y))
    with pytest.raises(ValueError, match="X must hold at least one"):
        prediction_distance(model, model, np.empty((0, 1)))
    with pytest.raises(ValueError, match="is_member must be a boolean array"):
        shadows = fit_shadow_models(lambda a, b: PolynomialRegressor(degree=2).fit(a, b),
                                    split.X_wanted, split.y_wanted, split.X_test[:4],
                                    split.y_test[:4], n_shadows=2)
        lira_attack(model, shadows, split.X_test[:4], split.y_test[:4], [1, 0, 1, 0])
    with pytest.raises(ValueError, match="same 3 candidates"):
        lira_scores(model, shadows, split.X_test[:3], split.y_test[:3])
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        relearn(model, split.X_test, split.y_test, split.X_test, split.y_test, target_loss=0.1,
                learning_rate=0.0)
    with pytest.raises(ValueError, match="X_probe must hold at least one"):
        relearn(model, split.X_test, split.y_test, np.empty((0, 1)), np.empty(0),
                target_loss=0.1, learning_rate=0.1)
    with pytest.raises(ValueError, match="too large"):
        relearn(model, split.X_test, split.y_test, split.X_test, split.y_test, target_loss=0.0,
                learning_rate=1e6, max_steps=200)
    with pytest.raises(ValueError, match="X_forget must hold at least one"):
        forget_quality(model, model, np.empty((0, 1)), np.empty(0))
