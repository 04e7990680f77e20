"""Tests of emse.membership: the loss-threshold attack and the likelihood-ratio attack."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from emse import PolynomialRegressor
from emse.logistic import SoftmaxRegression
from emse.membership import (
    AttackResult,
    attack_metrics,
    fit_shadow_models,
    lira_attack,
    lira_scores,
    loss_threshold_attack,
    membership_statistic,
    ulira_attack,
)
from emse.sisa import SISA


@pytest.fixture(scope="module")
def random_labels():
    """Random labels on random features: only memorisation can fit them.

    Returns the training part (members), a never-seen part from the same distribution
    (non-members) and a third part for the shadow models' candidates.
    """
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 400))
    y = rng.integers(0, 2, 300)
    for array in (X, y):
        array.flags.writeable = False
    return X[:100], y[:100], X[100:200], y[100:200], X[200:], y[200:]


def _brute_force_auc(pos, neg):
    """P(score of a positive > score of a negative) + half the ties (Mann-Whitney)."""
    diff = np.asarray(pos)[:, None] - np.asarray(neg)[None, :]
    return np.mean(diff > 0) + 0.5 * np.mean(diff == 0)


def test_attack_metrics_against_brute_force():
    """AUC is the Mann-Whitney probability; TPR at FPR is read off the sorted scores."""
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 1.0, 150), rng.normal(0.0, 1.0, 400)
    result = attack_metrics(pos, neg, fpr=0.01)
    assert isinstance(result, AttackResult) and result.fpr == 0.01
    assert result.auc == pytest.approx(_brute_force_auc(pos, neg))
    fifth = np.sort(neg)[-5]  # any threshold just above it flags 4 of 400 negatives: FPR = 1%
    assert result.tpr_at_fpr == pytest.approx(np.mean(pos > fifth))
    assert attack_metrics([1.0, 2.0], [0.0, -1.0]).auc == 1.0
    assert attack_metrics([0.0], [0.0]).auc == 0.5
    assert attack_metrics([-1.0], [1.0]).auc == 0.0  # a signal that points the wrong way


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


def test_ulira_with_exact_unlearning_is_at_chance(random_labels):
    """Retraining as the method: every unlearned shadow is the same model, so no candidate's
    statistic can tell "trained and unlearned" from "never trained"."""
    X_in, y_in, X_out, y_out, X_w, y_w = random_labels
    make = lambda X, y: SoftmaxRegression(alpha=1.0).fit(X, y)  # noqa: E731
    retrain = lambda model, X_w, y_w, X_u, y_u: make(X_w, y_w)  # noqa: E731
    X_c, y_c = np.vstack([X_in, X_out]), np.r_[y_in, y_out]
    member = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    unlearned = make(X_w, y_w)  # trained on X_w and the members, then retrained without them
    result = ulira_attack(unlearned, retrain, make, X_w, y_w, X_c, y_c, member, n_shadows=4)
    assert result.auc == 0.5


def test_ulira_without_unlearning_is_lira(random_labels):
    """A method that does nothing leaves the IN shadows as they were: U-LiRA is then LiRA."""
    X_in, y_in, X_out, y_out, X_w, y_w = random_labels
    make = lambda X, y: SoftmaxRegression(alpha=1.0).fit(X, y)  # noqa: E731
    X_c, y_c = np.vstack([X_in, X_out]), np.r_[y_in, y_out]
    member = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    target = make(np.vstack([X_w, X_in]), np.r_[y_w, y_in])
    shadows = fit_shadow_models(make, X_w, y_w, X_c, y_c, n_shadows=4, random_state=2)
    lira = lira_attack(target, shadows, X_c, y_c, member)
    ulira = ulira_attack(target, lambda model, *data: model, make, X_w, y_w, X_c, y_c, member,
                         n_shadows=4, random_state=2)
    assert_allclose(ulira.member_scores, lira.member_scores)
    assert ulira.auc == lira.auc > 0.9


def test_several_methods_share_the_shadow_trainings(split):
    """A dict of methods: one training per shadow, each method's statistics as if alone."""
    fits = []

    def make(X, y):
        fits.append(X.shape[0])
        return PolynomialRegressor(degree=2).fit(X, y)

    X_c, y_c = split.X_test[:10], split.y_test[:10]
    nothing = lambda model, *data: model  # noqa: E731
    both = fit_shadow_models(make, split.X_wanted, split.y_wanted, X_c, y_c, n_shadows=4,
                             unlearn={"none": nothing, "retrain": lambda m, X_w, y_w, *_:
                                      PolynomialRegressor(degree=2).fit(X_w, y_w)})
    assert len(fits) == 4
    alone = fit_shadow_models(make, split.X_wanted, split.y_wanted, X_c, y_c, n_shadows=4)
    assert_allclose(both["none"].statistics, alone.statistics)
    assert np.array_equal(both["retrain"].in_mask, alone.in_mask)
    # retraining without the candidates gives every shadow the same statistics
    stat = both["retrain"].statistics
    assert_allclose(stat, np.broadcast_to(stat[0], stat.shape))


def test_ulira_passes_the_shadows_through_the_method(split):
    """Each shadow's IN candidates are what the method is asked to forget."""
    seen = []

    def record(model, X_w, y_w, X_u, y_u):
        seen.append((X_w.shape[0], X_u.shape[0]))
        return model

    make = lambda X, y: PolynomialRegressor(degree=2).fit(X, y)  # noqa: E731
    X_c, y_c = split.X_test[:10], split.y_test[:10]
    ulira_attack(make(split.X_wanted, split.y_wanted), record, make, split.X_wanted,
                 split.y_wanted, X_c, y_c, np.arange(10) < 5, n_shadows=4)
    # every candidate is in half of the shadows: 4 shadows x 10 candidates / 2 unlearned in all
    assert [n_w for n_w, _ in seen] == [split.X_wanted.shape[0]] * 4
    assert sum(n_u for _, n_u in seen) == 20
    with pytest.raises(TypeError, match="unlearn"):
        ulira_attack(None, 3, make, split.X_wanted, split.y_wanted, X_c, y_c,
                     np.arange(10) < 5)


def test_lira_with_identical_shadow_models_stays_finite(split):
    """Shadow models that do not depend on the candidates have no spread: scores stay finite."""
    constant = lambda X, y: PolynomialRegressor(degree=0).fit(  # noqa: E731
        split.X_wanted, split.y_wanted)
    shadows = fit_shadow_models(constant, split.X_wanted, split.y_wanted, split.X_test[:6],
                                split.y_test[:6], n_shadows=2)
    model = PolynomialRegressor(degree=0).fit(split.X_wanted, split.y_wanted)
    assert np.all(np.isfinite(lira_scores(model, shadows, split.X_test[:6], split.y_test[:6])))


def test_membership_statistic_by_hand(model, split, random_labels, neural_classifier, blobs):
    """Logit-scaled confidence log(p / (1 - p)) for classifiers; the residual for regressors."""
    X, y = random_labels[:2]
    clf = SoftmaxRegression(alpha=1.0).fit(X, y)
    p = clf.predict_proba(X)[np.arange(100), y]
    assert_allclose(membership_statistic(clf, X, y), np.log(p / (1 - p)), rtol=1e-8)
    ensemble = SISA(SoftmaxRegression(alpha=1.0), n_shards=2).fit(X, y)  # predict_proba only
    p = ensemble.predict_proba(X)[np.arange(100), y]
    assert_allclose(membership_statistic(ensemble, X, y), np.log(p / (1 - p)), rtol=1e-8)
    X, y = blobs
    proba = neural_classifier.predict_proba(X)
    others = np.arange(3) != y[:, None]
    p, rest = proba[np.arange(y.size), y], np.where(others, proba, 0.0).sum(axis=1)
    assert_allclose(membership_statistic(neural_classifier, X, y), np.log(p / rest), rtol=1e-8)
    assert_allclose(membership_statistic(model, split.X_test, split.y_test),
                    split.y_test - model.predict(split.X_test))


def test_bad_input_raises(model, split):
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
    with pytest.raises(ValueError, match="X_candidates and y_candidates must have the same"):
        fit_shadow_models(None, split.X_wanted, split.y_wanted, split.X_test, split.y_test[:-1])
    with pytest.raises(ValueError, match="X_fixed and X_candidates must have the same number of "
                                         "features"):
        fit_shadow_models(None, np.ones((3, 2)), np.ones(3), split.X_test, split.y_test)
    with pytest.raises(ValueError, match="X_members and y_members must have the same number"):
        loss_threshold_attack(model, split.X_test, split.y_test[:-1], split.X_test,
                              split.y_test)
    with pytest.raises(ValueError, match="X_nonmembers must hold at least one"):
        loss_threshold_attack(model, split.X_test, split.y_test, np.empty((0, 1)), np.empty(0))
    shadows = fit_shadow_models(lambda a, b: PolynomialRegressor(degree=2).fit(a, b),
                                split.X_wanted, split.y_wanted, split.X_test[:4],
                                split.y_test[:4], n_shadows=2)
    with pytest.raises(ValueError, match="is_member must be a boolean array"):
        lira_attack(model, shadows, split.X_test[:4], split.y_test[:4], [1, 0, 1, 0])
    with pytest.raises(ValueError, match="same 3 candidates"):
        lira_scores(model, shadows, split.X_test[:3], split.y_test[:3])
