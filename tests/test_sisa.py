"""Tests of emse.sisa: sharded training, aggregation, exact deletion of one shard."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from emse import PolynomialRegressor
from emse.logistic import SoftmaxRegression
from emse.sisa import SISA


@parametrize_with_checks([SISA(PolynomialRegressor(degree=1), n_shards=2),
                          SISA(SoftmaxRegression(), n_shards=2)])
def test_sklearn_compatible(estimator, check):
    """A regressor ensemble and a classifier ensemble pass scikit-learn's estimator checks."""
    check(estimator)


def test_one_shard_is_the_single_model(split):
    """With one shard SISA is the model trained on everything."""
    sisa = SISA(PolynomialRegressor(degree=4), n_shards=1).fit(split.X_train, split.y_train)
    single = PolynomialRegressor(degree=4).fit(split.X_train, split.y_train)
    assert_allclose(sisa.predict(split.X_test), single.predict(split.X_test), atol=1e-10)
    assert sisa.n_retrained_ == 0


def test_regression_aggregate_is_mean_of_shard_fits(split):
    """The prediction is the mean of models fitted on the recorded shards."""
    sisa = SISA(PolynomialRegressor(degree=3), n_shards=4, random_state=2).fit(
        split.X_train, split.y_train)
    assert np.bincount(sisa.shard_).tolist() == [30, 30, 30, 30]
    fits = [PolynomialRegressor(degree=3).fit(split.X_train[sisa.shard_ == s],
                                              split.y_train[sisa.shard_ == s])
            for s in range(4)]
    expected = np.mean([f.predict(split.X_test) for f in fits], axis=0)
    assert_allclose(sisa.predict(split.X_test), expected, atol=1e-10)


def test_delete_equals_training_without_the_points(split):
    """Deletion gives the SISA model of the remaining data with the same shard assignment."""
    sisa = SISA(PolynomialRegressor(degree=3), n_shards=4).fit(split.X_train, split.y_train)
    drop = np.array([3, 50, 51])
    smaller = sisa.delete(drop)
    assert isinstance(smaller, SISA) and smaller is not sisa
    keep = np.setdiff1d(np.arange(split.y_train.size), drop)
    fits = [PolynomialRegressor(degree=3).fit(split.X_train[keep][sisa.shard_[keep] == s],
                                              split.y_train[keep][sisa.shard_[keep] == s])
            for s in range(4)]
    expected = np.mean([f.predict(split.X_test) for f in fits], axis=0)
    assert_allclose(smaller.predict(split.X_test), expected, atol=1e-10)
    untouched = [s for s in range(4) if s not in sisa.shard_[drop]]
    for s in untouched:
        assert smaller.estimators_[s] is sisa.estimators_[s]
    assert smaller.X_.shape[0] == split.y_train.size - 3
    assert sisa.X_.shape[0] == split.y_train.size  # the original is unchanged
    assert sisa.n_retrained_ == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 6), n_shards=st.integers(1, 6))
def test_n_retrained_counts_the_shards_that_held_the_deleted_points(split, seed, k, n_shards):
    """n_retrained_ is the number of distinct shards among the deleted indices, and exactly
    those shards' models are new objects."""
    sisa = SISA(PolynomialRegressor(degree=1), n_shards=n_shards, random_state=seed).fit(
        split.X_train, split.y_train)
    drop = np.random.default_rng(seed).choice(split.y_train.size, size=k, replace=False)
    smaller = sisa.delete(drop)
    held = {int(sisa.shard_[i]) for i in drop}
    assert smaller.n_retrained_ == len(held)
    refitted = {s for s, (new, old) in enumerate(zip(smaller.estimators_, sisa.estimators_,
                                                     strict=True)) if new is not old}
    assert refitted == held


def test_deletions_chain(split):
    """Deleting twice equals deleting both batches at once (indices into the current data)."""
    sisa = SISA(PolynomialRegressor(degree=2), n_shards=3).fit(split.X_train, split.y_train)
    once = sisa.delete([0, 5, 9])
    twice = sisa.delete([0]).delete([4, 8])  # rows 5 and 9 moved up by one
    assert_allclose(twice.predict(split.X_test), once.predict(split.X_test), atol=1e-12)
    assert_allclose(twice.shard_, once.shard_)
    assert twice.n_retrained_ == len({int(s) for s in sisa.delete([0]).shard_[[4, 8]]})


def test_score_is_r2_or_accuracy(split, blobs):
    """score is scikit-learn's R² for a regressor ensemble and accuracy for a classifier one."""
    regressor = SISA(PolynomialRegressor(degree=3), n_shards=3).fit(split.X_train,
                                                                     split.y_train)
    assert regressor.score(split.X_test, split.y_test) == pytest.approx(
        r2_score(split.y_test, regressor.predict(split.X_test)))
    X, y = blobs
    classifier = SISA(SoftmaxRegression(alpha=0.5), n_shards=3).fit(X, y)
    assert classifier.score(X, y) == pytest.approx(accuracy_score(y, classifier.predict(X)))


def test_classifier_averages_probabilities(blobs):
    """predict_proba is the mean of the shard probabilities; predict its arg-max."""
    X, y = blobs
    sisa = SISA(SoftmaxRegression(alpha=0.5), n_shards=3).fit(X, y)
    proba = np.mean([e.predict_proba(X) for e in sisa.estimators_], axis=0)
    assert_allclose(sisa.predict_proba(X), proba)
    assert_allclose(sisa.predict_proba(X).sum(axis=1), 1.0)
    assert_allclose(sisa.predict(X), np.argmax(proba, axis=1))
    assert not hasattr(SISA(PolynomialRegressor()), "predict_proba")


def test_classifier_shards_keep_every_class(blobs):
    """A shard that lacks a class still has a column for it (classes= is passed on)."""
    X, y = blobs
    order = np.argsort(y, kind="stable")
    sisa = SISA(SoftmaxRegression(alpha=0.5), n_shards=2).fit(X[order], y[order])
    smaller = sisa.delete(np.flatnonzero(y[order] == 2)[:-1])
    assert smaller.predict_proba(X).shape == (len(y), 3)
    assert_allclose(smaller.classes_, [0, 1, 2])


def test_inputs_not_modified(split):
    """fit and delete leave the arrays unchanged."""
    X, y = np.array(split.X_train), np.array(split.y_train)
    sisa = SISA(PolynomialRegressor(degree=2), n_shards=3).fit(X, y)
    indices = np.array([0, 1])
    sisa.delete(indices)
    assert_allclose(X, split.X_train)
    assert_allclose(y, split.y_train)
    assert indices.tolist() == [0, 1]


def test_bad_input_raises(split):
    """Errors name the argument."""
    with pytest.raises(ValueError, match="n_shards must be at most the number of samples; "
                                         "got n_shards=500 for 120 sample"):
        SISA(PolynomialRegressor(), n_shards=500).fit(split.X_train, split.y_train)
    with pytest.raises(ValueError, match="n_shards must be an integer >= 1"):
        SISA(PolynomialRegressor(), n_shards=0).fit(split.X_train, split.y_train)
    sisa = SISA(PolynomialRegressor(degree=1), n_shards=2).fit(split.X_train, split.y_train)
    with pytest.raises(ValueError, match="indices must be distinct"):
        sisa.delete([0, 0])
    with pytest.raises(ValueError, match="indices must be distinct"):
        sisa.delete([10_000])
    with pytest.raises(ValueError, match="non-empty 1-D array of integers"):
        sisa.delete([])
    with pytest.raises(ValueError, match="non-empty 1-D array of integers"):
        sisa.delete([0.5])
    with pytest.raises(ValueError, match="at least one point in every shard"):
        sisa.delete(np.flatnonzero(sisa.shard_ == 0))
    with pytest.raises(ValueError, match="X has 3 features, but SISA is expecting 1"):
        sisa.predict(np.zeros((2, 3)))
