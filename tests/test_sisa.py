"""Tests of emse.sisa: sharded training, aggregation, exact deletion of one shard."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emse import PolynomialRegressor
from emse.baselines import SISA as BaselinesSISA
from emse.logistic import SoftmaxRegression
from emse.sisa import SISA


@pytest.fixture
def classification():
    rng = np.random.default_rng(7)
    y = np.tile([0, 1, 2], 40)
    X = rng.standard_normal((3, 2))[y] + 0.9 * rng.standard_normal((120, 2))
    return X, y


def test_exported_from_baselines():
    """emse.baselines.SISA is the class of emse.sisa."""
    assert BaselinesSISA is SISA


def test_one_shard_is_the_single_model(split):
    """With one shard SISA is the model trained on everything."""
    sisa = SISA(PolynomialRegressor(degree=4), n_shards=1).fit(split.X_train, split.y_train)
    single = PolynomialRegressor(degree=4).fit(split.X_train, split.y_train)
    assert_allclose(sisa.predict(split.X_test), single.predict(split.X_test), atol=1e-10)


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
    smaller, n_retrained = sisa.delete(drop)
    keep = np.setdiff1d(np.arange(split.y_train.size), drop)
    fits = [PolynomialRegressor(degree=3).fit(split.X_train[keep][sisa.shard_[keep] == s],
                                              split.y_train[keep][sisa.shard_[keep] == s])
            for s in range(4)]
    expected = np.mean([f.predict(split.X_test) for f in fits], axis=0)
    assert_allclose(smaller.predict(split.X_test), expected, atol=1e-10)
    assert n_retrained == np.unique(sisa.shard_[drop]).size
    untouched = [s for s in range(4) if s not in sisa.shard_[drop]]
    for s in untouched:
        assert smaller.estimators_[s] is sisa.estimators_[s]
    assert smaller.X_.shape[0] == split.y_train.size - 3
    assert sisa.X_.shape[0] == split.y_train.size  # the original is unchanged


def test_classifier_averages_probabilities(classification):
    """predict_proba is the mean of the shard probabilities; predict its arg-max."""
    X, y = classification
    sisa = SISA(SoftmaxRegression(alpha=0.5), n_shards=3).fit(X, y)
    proba = np.mean([e.predict_proba(X) for e in sisa.estimators_], axis=0)
    assert_allclose(sisa.predict_proba(X), proba)
    assert_allclose(sisa.predict_proba(X).sum(axis=1), 1.0)
    assert_allclose(sisa.predict(X), np.argmax(proba, axis=1))
    assert not hasattr(SISA(PolynomialRegressor()), "predict_proba")


def test_classifier_shards_keep_every_class(classification):
    """A shard that lacks a class still has a column for it (classes= is passed on)."""
    X, y = classification
    order = np.argsort(y, kind="stable")
    sisa = SISA(SoftmaxRegression(alpha=0.5), n_shards=2).fit(X[order], y[order])
    smaller, _ = sisa.delete(np.flatnonzero(y[order] == 2)[:-1])
    assert smaller.predict_proba(X).shape == (120, 3)


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
    with pytest.raises(ValueError, match="n_shards must be at most"):
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
    with pytest.raises(ValueError, match="X must have 1 feature"):
        sisa.predict(np.zeros((2, 3)))
