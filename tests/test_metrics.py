"""Tests of emse.metrics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import r2_score

from emse.baselines import retrain
from emse.metrics import METRIC_NAMES, evaluate, exponential_r2, fair_r2, r2


def test_r2_matches_sklearn():
    """r2 is the usual coefficient of determination."""
    rng = np.random.default_rng(0)
    y, pred = rng.standard_normal(50), rng.standard_normal(50)
    assert r2(y, pred) == pytest.approx(r2_score(y, pred))


def test_exponential_r2_reference_points():
    """1 for a perfect fit, exp(-1) for the mean, exp(-SS_res/SS_tot) in general."""
    y = np.array([1.0, 2.0, 4.0])
    assert exponential_r2(y, y) == pytest.approx(1.0)
    assert exponential_r2(y, np.full(3, y.mean())) == pytest.approx(np.exp(-1))
    pred = np.array([0.0, 3.0, 3.0])
    # by hand: mean 7/3, SS_tot = (16 + 1 + 25)/9 = 42/9, SS_res = 1 + 1 + 1 = 3
    assert exponential_r2(y, pred) == pytest.approx(np.exp(-3 / (42 / 9)), rel=1e-12)
    assert exponential_r2(y, pred) == pytest.approx(np.exp(r2_score(y, pred) - 1), rel=1e-12)


def test_fair_r2_rewards_ignoring_unwanted():
    """Perfect on wanted and unwanted gives 0; perfect on wanted and far off unwanted gives ~1."""
    y_w, y_u = np.array([0.0, 1.0, 2.0]), np.array([5.0, 6.0])
    assert fair_r2(y_w, y_w, y_u, y_u) == pytest.approx(0.0)
    assert fair_r2(y_w, y_w, y_u, y_u - 100) == pytest.approx(1.0)
    # by hand: a wanted fit of R² 3/4 and the unwanted mean (R² 0)
    pred_w = np.array([0.5, 1.0, 1.5])  # SS_res = 1/2, SS_tot = 2: R²_w = 3/4
    assert fair_r2(y_w, pred_w, y_u, np.full(2, 5.5)) == pytest.approx(0.75 * (1 - np.exp(-1)))


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
    score = {part: r2_score(getattr(split, f"y_{part}"),
                            model.predict(getattr(split, f"X_{part}")))
             for part in ("wanted", "unwanted", "test")}
    expected = {"r2_wanted": score["wanted"], "r2_unwanted": score["unwanted"],
                "r2_test": score["test"], "exp_r2_wanted": np.exp(score["wanted"] - 1),
                "exp_r2_unwanted": np.exp(score["unwanted"] - 1),
                "fair_r2": score["wanted"] * (1 - np.exp(score["unwanted"] - 1))}
    assert original == pytest.approx(expected, rel=1e-12)


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
