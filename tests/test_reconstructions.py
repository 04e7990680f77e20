"""Tests of emse.reconstructions: reconstructions calibrated to a "before" value."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import emse
from emse.metrics import r2
from emse.reconstructions import UNWANTED_KINDS, calibrated_scenario, corruption_pattern


def _r2_before(split):
    model = emse.PolynomialRegressor(degree=split.degree).fit(split.X_train, split.y_train)
    return r2(split.y_wanted, model.predict(split.X_wanted))


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(UNWANTED_KINDS), share=st.floats(0.1, 0.8),
       noise=st.floats(0.0, 0.3), target=st.floats(0.05, 0.8), degree=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1))
def test_the_fit_on_all_data_starts_at_the_target(kind, share, noise, target, degree, seed):
    """Whenever a split is returned, its fit on all data has exactly the target R² on wanted data,
    with a magnitude within the bound."""
    split = calibrated_scenario(kind, target, unwanted_share=share, noise=noise, degree=degree,
                                random_state=seed)
    # draws that cannot reach the target are discarded; hypothesis fails the test (Unsatisfiable)
    # if too few can, so the assertions below are never skipped wholesale
    assume(split is not None)
    assert _r2_before(split) == pytest.approx(target, abs=1e-8)
    assert 0 <= split.settings["magnitude"] <= 10
    assert split.settings["kind"] == kind and split.degree == degree


def test_the_smallest_magnitude_is_taken_and_the_draw_is_reproducible():
    """An offset is the smallest that reaches the target; the same seed gives the same split."""
    split = calibrated_scenario("offset", 0.43, unwanted_share=0.3, noise=0.1, random_state=3)
    again = calibrated_scenario("offset", 0.43, unwanted_share=0.3, noise=0.1, random_state=3)
    np.testing.assert_array_equal(split.y_unwanted, again.y_unwanted)
    magnitude = split.settings["magnitude"]
    # Half the offset leaves the fit on all data better than the target.
    base = split.y_unwanted - magnitude
    half = emse.datasets.Split(split.X_wanted, split.y_wanted, split.X_unwanted,
                               base + magnitude / 2, split.X_test, split.y_test, degree=4)
    assert _r2_before(half) > 0.43
    # The unwanted targets lie one offset above the wanted curve, up to the noise.
    residual = split.y_unwanted - np.cos(1.5 * np.pi * split.X_unwanted.ravel()) - magnitude
    assert abs(residual.mean()) < 0.05 and residual.std() == pytest.approx(0.1, rel=0.3)


def test_unreachable_targets_give_none():
    """A bound too small to bring the fit down to the target gives None, not a wrong split."""
    assert calibrated_scenario("offset", 0.43, unwanted_share=0.3, noise=0.1,
                               max_magnitude=0.1, random_state=0) is None
    # With noise of standard deviation 0.5 no fit explains 99.99999 % of the wanted variance.
    assert calibrated_scenario("offset", 0.9999999, unwanted_share=0.3, noise=0.5,
                               random_state=0) is None


@pytest.mark.parametrize("kind, expected", [("offset", [1.0, 1.0]), ("drift", [0.2, 0.7]),
                                            ("gross errors", [-1.5, 0.3])])
def test_corruption_pattern(kind, expected):
    x, z = np.array([0.2, 0.7]), np.array([-1.5, 0.3])
    np.testing.assert_array_equal(corruption_pattern(kind, x, z), expected)
    np.testing.assert_array_equal(x, [0.2, 0.7])  # inputs untouched


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "shift"}, "kind must be one of"),
    ({"target_r2": 1.0}, "target_r2 must be a real number below 1"),
    ({"target_r2": float("nan")}, "target_r2 must be a real number below 1"),
    ({"unwanted_share": 0.0}, "unwanted_share must leave"),
    ({"unwanted_share": "half"}, "unwanted_share must be a number"),
    ({"noise": -0.1}, "noise"),
    ({"degree": 2.5}, "degree must be an integer"),
    ({"sigma": 0.3}, "sigma"),
    ({"max_magnitude": -1.0}, "max_magnitude"),
])
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"kind": "offset", "target_r2": 0.43, "unwanted_share": 0.3, "noise": 0.1,
                 **kwargs}
    kind, target = arguments.pop("kind"), arguments.pop("target_r2")
    with pytest.raises(ValueError, match=message):
        calibrated_scenario(kind, target, **arguments)
