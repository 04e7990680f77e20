"""Tests of emse.metrics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.metrics import r2_score

from emse.baselines import retrain
from emse.metrics import METRIC_NAMES, evaluate, exponential_r2, fair_r2, r2


def test_r2_matches_sklearn():
    """r2 is the usual coefficient of determination."""
    rng = np.random.default_rng(0)
    y, pred = rng.standard_normal(50), rng.standard_normal(50)
    assert r2(y, pred) == pytest.approx(r2_score(y, pred))


def test_exponential_r2_reference_points():
    """1 for a perfect fit, exp(-1) for the mean, exp(R² - 1) in general."""
    y = np.array([1.0, 2.0, 4.0])
    assert exponential_r2(y, y) == pytest.approx(1.0)
    assert exponential_r2(y, np.full(3, y.mean())) == pytest.approx(np.exp(-1))
    pred = np.array([0.0, 3.0, 3.0])
    assert exponential_r2(y, pred) == pytest.approx(np.exp(r2(y, pred) - 1))


def test_fair_r2_rewards_ignoring_unwanted():
    """Perfect on wanted and unwanted gives 0; perfect on wanted and far off unwanted gives ~1."""
    y_w, y_u = np.array([0.0, 1.0, 2.0]), np.array([5.0, 6.0])
    assert fair_r2(y_w, y_w, y_u, y_u) == pytest.approx(0.0)
    assert fair_r2(y_w, y_w, y_u, y_u - 100) == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=3, max_size=30), st.integers(0, 1000))
def test_exponential_r2_in_unit_interval(values, seed):
    """Exponential R² lies in [0, 1] whatever the predictions."""
    y = np.array(values)
    if np.ptp(y) < 1e-6:
        return
    pred = y + np.random.default_rng(seed).standard_normal(y.size) * 10
    assert 0.0 <= exponential_r2(y, pred) <= 1.0


def test_evaluate_reports_every_metric(model, split):
    """evaluate returns every named metric, and the oracle beats the original on wanted data."""
    original, oracle = evaluate(model, split), evaluate(retrain(model, split.X_wanted,
                                                                 split.y_wanted), split)
    assert tuple(original) == METRIC_NAMES
    assert oracle["r2_wanted"] > original["r2_wanted"]
    assert oracle["fair_r2"] > original["fair_r2"]
    assert_allclose(original["r2_wanted"], r2(split.y_wanted, model.predict(split.X_wanted)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]), "y_true must not be constant"),
        (([1.0, 2.0], [1.0]), "same length"),
        (([1.0], [1.0]), "at least 2"),
        (([1.0, np.nan], [1.0, 2.0]), "y_true"),
        (([1.0, 2.0], [1.0, np.inf]), "y_pred"),
    ],
)
def test_bad_input_raises(args, message):
    """Constant targets, mismatched lengths and non-finite values are refused."""
    with pytest.raises(ValueError, match=message):
        r2(*args)


def test_evaluate_needs_a_model(split):
    """An object without predict is refused."""
    with pytest.raises(TypeError, match="model must have a predict method"):
        evaluate(object(), split)
