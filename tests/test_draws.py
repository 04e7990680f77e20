"""emse.draws: independent draws from one seed, and means with Student-t intervals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from emse.draws import Estimate, mean_interval, repeat, spawn_generators, summarize_draws
from emse.tables import Table


def test_mean_interval_equals_scipys_t_interval():
    values = np.array([0.3, 1.2, -0.4, 0.8, 2.1, 0.0])
    estimate = mean_interval(values)
    low, high = stats.t.interval(0.95, values.size - 1, loc=values.mean(),
                                 scale=stats.sem(values))
    assert_allclose([estimate.low, estimate.mean, estimate.high], [low, values.mean(), high])
    assert estimate.n == 6 and estimate.confidence == 0.95


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30))
def test_mean_interval_contains_the_mean_and_is_symmetric(values):
    estimate = mean_interval(values)
    assert estimate.mean in estimate
    assert estimate.high - estimate.mean == pytest.approx(estimate.mean - estimate.low,
                                                          abs=1e-9 * (1 + abs(estimate.mean)))


def test_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = [0.0 in mean_interval(rng.normal(size=10)) for _ in range(2000)]
    assert 0.93 < np.mean(hits) < 0.97


def test_a_higher_confidence_gives_a_wider_interval():
    values = [1.0, 2.0, 4.0]
    assert mean_interval(values, 0.99).half_width > mean_interval(values, 0.9).half_width


@pytest.mark.parametrize(("values", "confidence", "message"), [
    ([1.0], 0.95, "at least 2 draws"),
    ([1.0, np.nan], 0.95, "finite"),
    ([1.0, 2.0], 1.0, "confidence"),
    ([1.0, 2.0], 0, "confidence"),
])
def test_mean_interval_refuses_bad_input(values, confidence, message):
    with pytest.raises(ValueError, match=message):
        mean_interval(values, confidence)


def test_estimate_formats_as_mean_plus_minus_half_width():
    estimate = Estimate(1.0, 0.75, 1.25, 10)
    assert f"{estimate:.2f}" == "1.00 ± 0.25"
    assert float(estimate) == 1.0
    assert "1.00 ± 0.25" in str(Table([{"x": estimate}], floatfmt=".2f"))


def test_spawned_generators_are_reproducible_and_independent():
    first = [g.random() for g in spawn_generators(7, 3)]
    again = [g.random() for g in spawn_generators(7, 3)]
    other = [g.random() for g in spawn_generators(8, 3)]
    assert first == again
    assert len(set(first)) == 3
    assert first != other
    with pytest.raises(ValueError, match="n_draws"):
        spawn_generators(0, 0)


def test_repeat_numbers_the_draws_and_accepts_one_or_many_records():
    one = repeat(lambda rng: {"x": rng.random()}, seed=1, n_draws=3)
    assert [r["draw"] for r in one] == [0, 1, 2]
    many = repeat(lambda rng: [{"method": m, "x": rng.random()} for m in "ab"], seed=1,
                  n_draws=2)
    assert [(r["draw"], r["method"]) for r in many] == [(0, "a"), (0, "b"), (1, "a"), (1, "b")]
    with pytest.raises(TypeError, match="experiment"):
        repeat(3, seed=0, n_draws=2)


def test_summarize_draws_groups_in_order_and_skips_missing_values():
    records = [{"method": "b", "x": 1.0, "y": None}, {"method": "a", "x": 2.0, "y": 1.0},
               {"method": "b", "x": 3.0, "y": None}, {"method": "a", "x": 4.0, "y": 3.0}]
    rows = summarize_draws(records, metrics=["x", "y"])
    assert [row["method"] for row in rows] == ["b", "a"]
    assert rows[0]["draws"] == 2 and rows[0]["x"].mean == 2.0 and rows[0]["y"] is None
    assert rows[1]["y"].mean == 2.0
    inferred = summarize_draws([{"method": "a", "x": 1, "ok": True, "name": "n"}] * 2)
    assert set(inferred[0]) == {"method", "draws", "x", "ok"}
    with pytest.raises(ValueError, match="missing"):
        summarize_draws([{"x": 1.0}])
    with pytest.raises(ValueError, match="at least one record"):
        summarize_draws([])
