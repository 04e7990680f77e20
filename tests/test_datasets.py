"""Tests of emse.datasets."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emse.datasets import Split, make_contaminated_regression


def test_generator_shapes_and_share():
    """Sizes follow n_samples, unwanted_share and n_test; inputs are one column."""
    split = make_contaminated_regression(np.sin, np.cos, n_samples=100, unwanted_share=0.3,
                                         n_test=40)
    assert split.X_wanted.shape == (70, 1) and split.y_wanted.shape == (70,)
    assert split.X_unwanted.shape == (30, 1) and split.X_test.shape == (40, 1)
    assert split.unwanted_share == pytest.approx(0.3)
    assert split.X_train.shape == (100, 1) and split.y_train.shape == (100,)


def test_generator_is_deterministic_per_seed():
    """Same seed, same data; another seed, other data."""
    a = make_contaminated_regression(np.sin, np.cos, random_state=4)
    b = make_contaminated_regression(np.sin, np.cos, random_state=4)
    c = make_contaminated_regression(np.sin, np.cos, random_state=5)
    assert_allclose(a.y_train, b.y_train)
    assert not np.allclose(a.y_train, c.y_train)


def test_generator_follows_the_two_processes():
    """With no noise, targets are exactly f_w and f_u; inputs lie in their ranges."""
    split = make_contaminated_regression(np.sin, lambda x: 5 + x, noise=0.0, x_range=(-2, 2),
                                         unwanted_range=(1, 2))
    assert_allclose(split.y_wanted, np.sin(split.X_wanted[:, 0]))
    assert_allclose(split.y_unwanted, 5 + split.X_unwanted[:, 0])
    assert split.X_unwanted.min() >= 1 and split.X_unwanted.max() <= 2
    assert_allclose(split.y_test, np.sin(split.X_test[:, 0]))


def test_split_copies_and_freezes_arrays():
    """Split copies its inputs and makes them read-only."""
    X, y = np.arange(4.0).reshape(-1, 1), np.arange(4.0)
    split = Split(X, y, X, y, X, y, settings={"sigma": 1.0})
    X[0, 0] = 99.0
    assert split.X_wanted[0, 0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        split.y_test[0] = 1.0
    assert split.sigma == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unwanted_share": 0.0}, "unwanted_share must leave"),
        ({"unwanted_share": 1.0}, "unwanted_share must leave"),
        ({"unwanted_share": -0.5}, "unwanted_share must be a finite number >= 0"),
        ({"noise": -1.0}, "noise must be a finite number >= 0"),
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"x_range": (1, 0)}, "x_range must be a pair"),
        ({"unwanted_range": (0, 0)}, "unwanted_range must be a pair"),
    ],
)
def test_generator_bad_arguments(kwargs, message):
    """Bad generator arguments are named."""
    with pytest.raises(ValueError, match=message):
        make_contaminated_regression(np.sin, np.cos, **kwargs)


def test_split_validates_parts():
    """Mismatched lengths, feature counts and empty parts are refused by name."""
    X, y = np.arange(4.0).reshape(-1, 1), np.arange(4.0)
    with pytest.raises(ValueError, match="X_unwanted and y_unwanted"):
        Split(X, y, X, y[:3], X, y)
    with pytest.raises(ValueError, match="X_test must have 1 feature"):
        Split(X, y, X, y, np.hstack([X, X]), y)
    with pytest.raises(ValueError, match="X_unwanted must hold at least one"):
        Split(X, y, np.empty((0, 1)), np.empty(0), X, y)
