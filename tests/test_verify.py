"""Tests of emse.verify: distances to the oracle, forget quality, relearning, the report.

The membership-inference attacks it reports are tested in test_membership.py.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from emse import PolynomialRegressor, UnlearningResult
from emse.baselines import descent_ascent, fine_tune, retrain
from emse.datasets import Split
from emse.logistic import SoftmaxRegression
from emse.losses import per_example_loss
from emse.membership import fit_shadow_models, lira_attack, loss_threshold_attack
from emse.sisa import SISA
from emse.verify import (
    RelearnResult,
    forget_quality,
    parameter_distance,
    prediction_distance,
    relearn,
    verification_report,
)

REPORT_KEYS = ["wanted", "test", "unwanted", "dist θ", "dist pred", "loss AUC", "LiRA AUC",
               "TPR@FPR", "KS p"]


@pytest.fixture(scope="module")
def report_split(split):
    """``split`` with non-members: fresh points of the unwanted process that no model saw."""
    rng = np.random.default_rng(9)
    X_out = rng.uniform(0.0, 2.0, (30, 1))
    y_out = np.sin(X_out[:, 0]) + 1.5 + 0.1 * rng.standard_normal(30)
    return Split(split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted,
                 split.X_test, split.y_test, X_nonmember=X_out, y_nonmember=y_out)


# --- distances -------------------------------------------------------------------------------


def test_parameter_distance_by_hand(model, split):
    """The distance is the Euclidean norm of the parameter difference."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    assert parameter_distance(model, oracle) == pytest.approx(
        np.sqrt(np.sum((model.coef_ - oracle.coef_) ** 2)))
    assert parameter_distance(oracle, oracle) == 0.0


def test_prediction_distance_by_hand(model, split, blobs):
    """RMS difference for regressors; mean total variation for classifiers."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    gap = model.predict(split.X_test) - oracle.predict(split.X_test)
    assert prediction_distance(model, oracle, split.X_test) == pytest.approx(
        np.sqrt(np.mean(gap**2)))
    X, y = blobs[0][blobs[1] < 2], blobs[1][blobs[1] < 2]
    a, b = SoftmaxRegression(alpha=0.1).fit(X, y), SoftmaxRegression(alpha=30.0).fit(X, y)
    tv = np.mean(np.abs(a.predict_proba(X)[:, 0] - b.predict_proba(X)[:, 0]))  # two classes
    assert prediction_distance(a, b, X) == pytest.approx(tv)
    assert 0 < prediction_distance(a, b, X) <= 1


# --- forget quality --------------------------------------------------------------------------


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


def test_forget_quality_of_a_classifier_reads_cross_entropies(blobs):
    """The losses compared are the per-example cross-entropies."""
    X, y = blobs
    model = SoftmaxRegression().fit(X, y)
    oracle = retrain(model, X[20:], y[20:])
    result = forget_quality(model, oracle, X[:20], y[:20])
    a, b = per_example_loss(model, X[:20], y[:20]), per_example_loss(oracle, X[:20], y[:20])
    grid = np.r_[a, b]
    gap = np.max(np.abs(np.mean(a[:, None] <= grid, axis=0) - np.mean(b[:, None] <= grid, axis=0)))
    assert result.statistic == pytest.approx(gap)


# --- relearning ------------------------------------------------------------------------------


def test_relearn_matches_a_hand_written_loop(model, split):
    """The probe curve is that of plain gradient descent on the relearning half."""
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    X_u, y_u = split.X_unwanted, split.y_unwanted
    T, V = slice(0, 15), slice(15, None)
    eta = 0.002
    result = relearn(oracle, X_u[T], y_u[T], X_u[V], y_u[V], target_loss=0.5, learning_rate=eta,
                     max_iter=40)
    theta = oracle.coef_.copy()
    Phi_t, Phi_v = oracle.design_matrix(X_u[T]), oracle.design_matrix(X_u[V])
    curve, train = [np.mean((y_u[V] - Phi_v @ theta) ** 2)], [np.mean((y_u[T] - Phi_t @ theta)
                                                                      ** 2)]
    for _ in range(40):
        theta = theta + eta * 2 / 15 * Phi_t.T @ (y_u[T] - Phi_t @ theta)
        curve.append(np.mean((y_u[V] - Phi_v @ theta) ** 2))
        train.append(np.mean((y_u[T] - Phi_t @ theta) ** 2))
    assert_allclose(result.probe_loss, curve, rtol=1e-10)
    assert_allclose(result.history, train, rtol=1e-10)
    assert_allclose(result.model.coef_, theta, rtol=1e-10)
    hits = np.flatnonzero(np.array(curve) <= 0.5)
    assert result.steps == (hits[0] if hits.size else None)
    assert result.reached == (result.steps is not None)
    never = relearn(oracle, X_u[T], y_u[T], X_u[V], y_u[V], target_loss=0.0, learning_rate=eta,
                    max_iter=5)
    assert never.steps is None and not never.reached
    at_once = relearn(model, X_u[T], y_u[T], X_u[V], y_u[V], target_loss=1e9,
                      learning_rate=eta, max_iter=5)
    assert at_once.steps == 0


def test_relearn_result_is_an_unlearning_result(model, split):
    """RelearnResult extends UnlearningResult; its fine-tuning is fine_tune's, same step."""
    X_u, y_u = split.X_unwanted, split.y_unwanted
    result = relearn(model, X_u[:15], y_u[:15], X_u[15:], y_u[15:], target_loss=0.1,
                     max_iter=10)
    assert isinstance(result, RelearnResult) and isinstance(result, UnlearningResult)
    assert (result.objective, result.method, result.n_iter, result.converged) == (
        "relearn", "gd", 10, True)
    assert result.target_loss == 0.1
    tuned = fine_tune(model, X_u[:15], y_u[:15], max_iter=10)  # the same default 1/L
    assert_allclose(result.model.coef_, tuned.model.coef_, rtol=1e-12)
    assert_allclose(result.history, tuned.history, rtol=1e-12)


@pytest.mark.parametrize("network", ["neural_regressor", "neural_classifier"])
def test_relearn_on_a_network_gives_curves_of_max_iter_plus_one(request, split, blobs, network):
    """Networks relearn too (with an explicit step): both curves have max_iter + 1 entries."""
    network = request.getfixturevalue(network)
    X, y = (split.X_unwanted, split.y_unwanted) if network.sizes_[-1] == 1 else blobs
    result = relearn(network, X[:10], y[:10], X[10:20], y[10:20], target_loss=0.0,
                     learning_rate=0.05, max_iter=12)
    assert result.probe_loss.shape == result.history.shape == (13,)
    assert result.history[-1] < result.history[0]
    assert result.probe_loss[0] == pytest.approx(
        np.mean(per_example_loss(network, X[10:20], y[10:20])), rel=1e-10)
    with pytest.raises(ValueError, match="learning_rate must be given"):
        relearn(network, X[:10], y[:10], X[10:20], y[10:20], target_loss=0.0)


def test_relearn_that_diverges_warns_instead_of_raising(model, split):
    """A step far too long: ConvergenceWarning, converged=False, finite and shorter curves."""
    with pytest.warns(ConvergenceWarning, match="relearn diverged"):
        result = relearn(model, split.X_test, split.y_test, split.X_test, split.y_test,
                         target_loss=0.0, learning_rate=1e6, max_iter=200)
    assert not result.converged
    assert result.n_iter < 200
    assert result.probe_loss.shape == result.history.shape == (result.n_iter + 1,)
    assert np.all(np.isfinite(result.probe_loss)) and np.all(np.isfinite(result.model.coef_))


# --- the report ------------------------------------------------------------------------------


def test_verification_report_of_the_oracle_itself(model, report_split):
    """The oracle compared with itself: distances 0, KS p = 1; every documented column."""
    oracle = retrain(model, report_split.X_wanted, report_split.y_wanted)
    row = verification_report(oracle, oracle, report_split)
    assert list(row) == REPORT_KEYS
    assert row["dist θ"] == 0.0 and row["dist pred"] == 0.0
    assert row["KS p"] == pytest.approx(1.0)
    assert row["LiRA AUC"] is None and row["TPR@FPR"] is None
    assert row["wanted"] == pytest.approx(oracle.score(report_split.X_wanted,
                                                       report_split.y_wanted))


def test_verification_report_columns_are_the_checks(model, report_split):
    """Each column is the number the function it names gives for the same data."""
    s = report_split
    oracle = retrain(model, s.X_wanted, s.y_wanted)
    unlearned = descent_ascent(model, s.X_wanted, s.y_wanted, s.X_unwanted, s.y_unwanted,
                               mu=0.1, max_iter=20).model
    X_c = np.vstack([s.X_unwanted, s.X_nonmember])
    y_c = np.r_[s.y_unwanted, s.y_nonmember]
    is_member = np.r_[np.ones(len(s.y_unwanted), bool), np.zeros(len(s.y_nonmember), bool)]
    shadows = fit_shadow_models(lambda X, y: retrain(model, X, y), s.X_wanted, s.y_wanted, X_c,
                                y_c, n_shadows=4)
    row = verification_report(unlearned, oracle, s, shadows=shadows, X_candidates=X_c,
                              y_candidates=y_c, is_member=is_member, fpr=0.1)
    lira = lira_attack(unlearned, shadows, X_c, y_c, is_member, fpr=0.1)
    expected = {
        "wanted": unlearned.score(s.X_wanted, s.y_wanted),
        "test": unlearned.score(s.X_test, s.y_test),
        "unwanted": unlearned.score(s.X_unwanted, s.y_unwanted),
        "dist θ": np.linalg.norm(unlearned.coef_ - oracle.coef_),
        "dist pred": np.sqrt(np.mean((unlearned.predict(s.X_test) - oracle.predict(s.X_test))
                                     ** 2)),
        "loss AUC": loss_threshold_attack(unlearned, s.X_unwanted, s.y_unwanted, s.X_nonmember,
                                          s.y_nonmember).auc,
        "LiRA AUC": lira.auc, "TPR@FPR": lira.tpr_at_fpr,
        "KS p": forget_quality(unlearned, oracle, s.X_unwanted, s.y_unwanted).pvalue,
    }
    assert row == pytest.approx(expected, rel=1e-10)
    assert row["dist θ"] > 0 and row["KS p"] < 1


def test_verification_report_of_a_classifier_ensemble(blobs):
    """SISA is outside the protocol: no parameter distance, every other column."""
    X, y = blobs
    split = Split(X[30:], y[30:], X[:20], y[:20], X[20:30], y[20:30], labels=True,
                  X_nonmember=X[20:30], y_nonmember=y[20:30])
    ensemble = SISA(SoftmaxRegression(), n_shards=2).fit(split.X_train, split.y_train)
    oracle = SoftmaxRegression().fit(split.X_wanted, split.y_wanted)
    row = verification_report(ensemble, oracle, split)
    assert row["dist θ"] is None
    assert 0 <= row["dist pred"] <= 1 and 0 <= row["wanted"] <= 1
    assert row["unwanted"] == pytest.approx(np.mean(ensemble.predict(X[:20]) == y[:20]))


def test_bad_input_raises(model, split, blobs):
    """Errors name the argument."""
    X, y = blobs
    with pytest.raises(ValueError, match="parameters of the same shape"):
        parameter_distance(model, SoftmaxRegression().fit(X, y))
    with pytest.raises(TypeError, match="oracle must follow emse's model protocol"):
        parameter_distance(model, SISA(PolynomialRegressor()))
    with pytest.raises(ValueError, match="X must hold at least one"):
        prediction_distance(model, model, np.empty((0, 1)))
    with pytest.raises(ValueError, match="model and oracle must have the same classes"):
        prediction_distance(SoftmaxRegression().fit(X, y),
                            SoftmaxRegression().fit(X[y < 2], y[y < 2]), X)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        relearn(model, split.X_test, split.y_test, split.X_test, split.y_test, target_loss=0.1,
                learning_rate=0.0)
    with pytest.raises(ValueError, match="X_probe must hold at least one"):
        relearn(model, split.X_test, split.y_test, np.empty((0, 1)), np.empty(0),
                target_loss=0.1, learning_rate=0.1)
    with pytest.raises(ValueError, match="X_relearn and y_relearn must have the same number"):
        relearn(model, split.X_test, split.y_test[:-1], split.X_test, split.y_test,
                target_loss=0.1)
    with pytest.raises(ValueError, match="target_loss must be a finite number >= 0"):
        relearn(model, split.X_test, split.y_test, split.X_test, split.y_test, target_loss=-1)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        relearn(model, split.X_test, split.y_test, split.X_test, split.y_test, target_loss=0.1,
                max_iter=0)
    with pytest.raises(ValueError, match="X_unwanted must hold at least one"):
        forget_quality(model, model, np.empty((0, 1)), np.empty(0))
    with pytest.raises(ValueError, match="X_unwanted and y_unwanted must have the same number"):
        forget_quality(model, model, split.X_unwanted, split.y_unwanted[:-1])
    with pytest.raises(ValueError, match="split must carry non-members"):
        verification_report(model, model, split)
