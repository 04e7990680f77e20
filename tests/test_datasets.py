"""Tests of emse.datasets."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emse import PolynomialRegressor
from emse.datasets import (
    PAPER_SCENARIOS,
    Split,
    diabetes_split,
    make_contaminated_regression,
    paper_scenario,
)
from emse.metrics import r2


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


# --- paper_scenario ---------------------------------------------------------------------------

def _r2_before(split):
    model = PolynomialRegressor(degree=split.degree).fit(split.X_train, split.y_train)
    return r2(split.y_wanted, model.predict(split.X_wanted))


@pytest.mark.parametrize(("name", "n_wanted", "n_unwanted"), [("A", 140, 60), ("B", 80, 120)])
def test_paper_scenario_shapes_and_settings(name, n_wanted, n_unwanted):
    """Sizes follow the scenario's share; degree and sigma are carried on the split."""
    split = paper_scenario(name)
    assert split.X_wanted.shape == (n_wanted, 1) and split.y_wanted.shape == (n_wanted,)
    assert split.X_unwanted.shape == (n_unwanted, 1) and split.y_unwanted.shape == (n_unwanted,)
    assert split.X_test.shape == (200, 1) and split.y_test.shape == (200,)
    assert split.degree == 4
    assert split.sigma == pytest.approx(1 / np.sqrt(2))
    assert split.X_train.min() >= 0 and split.X_train.max() <= 1
    assert f"Scenario {name}" in split.description


def test_paper_scenario_b_has_more_unwanted_than_wanted():
    """Scenario B is the one where unwanted points outnumber wanted ones."""
    assert paper_scenario("B").unwanted_share > 0.5 > paper_scenario("A").unwanted_share


@pytest.mark.parametrize("name", ["A", "B"])
def test_paper_scenario_starts_at_the_papers_before_value(name):
    """The fit on all data of the default seed has the paper's R² on wanted data, ± 0.03."""
    assert _r2_before(paper_scenario(name)) == pytest.approx(
        PAPER_SCENARIOS[name]["paper_before"], abs=0.03)


def test_paper_scenario_is_deterministic_per_seed():
    """Same seed, same data; another seed, other data."""
    a, b = paper_scenario("A", random_state=7), paper_scenario("A", random_state=7)
    c = paper_scenario("A", random_state=8)
    assert_allclose(a.y_train, b.y_train)
    assert_allclose(a.X_test, b.X_test)
    assert not np.allclose(a.y_train, c.y_train)


def test_paper_scenario_follows_its_process():
    """Without noise, wanted targets lie on cos(1.5 pi x), unwanted ones on it plus the offset."""
    split = paper_scenario("A", noise=0.0, offset=0.5)
    assert_allclose(split.y_wanted, np.cos(1.5 * np.pi * split.X_wanted[:, 0]))
    assert_allclose(split.y_unwanted, np.cos(1.5 * np.pi * split.X_unwanted[:, 0]) + 0.5)


def test_paper_scenario_overrides():
    """Keywords override share, degree and sigma; offset 0 puts unwanted points on the curve."""
    split = paper_scenario("B", unwanted_share=0.1, degree=15, sigma=2.0, n_samples=100)
    assert split.X_unwanted.shape == (10, 1) and split.degree == 15 and split.sigma == 2.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "C"}, ValueError, "name must be one of"),
        ({"name": 1}, ValueError, "name must be one of"),
        ({"offset": float("nan")}, ValueError, "offset must be a finite real number"),
        ({"offset": "1"}, ValueError, "offset must be a finite real number"),
        ({"degree": -1}, ValueError, "degree must be an integer >= 0"),
        ({"degree": 2.5}, ValueError, "degree must be an integer >= 0"),
        ({"sigma": 0.3}, ValueError, "sigma must be greater than"),
        ({"unwanted_share": 1.0}, ValueError, "unwanted_share must leave"),
        ({"noise": -0.1}, ValueError, "noise must be a finite number >= 0"),
    ],
)
def test_paper_scenario_bad_arguments(kwargs, error, message):
    """Bad arguments are refused by name."""
    kwargs = {"name": "A", **kwargs}
    with pytest.raises(error, match=message):
        paper_scenario(kwargs.pop("name"), **kwargs)


# --- diabetes_split ---------------------------------------------------------------------------


def test_diabetes_split_corrupted_sizes_and_targets():
    """442 patients: a quarter held out, a fifth of the rest corrupted with blood pressure."""
    from sklearn.datasets import load_diabetes

    split = diabetes_split("corrupted")
    assert split.X_test.shape == (110, 1)
    assert split.X_wanted.shape == (266, 1) and split.X_unwanted.shape == (66, 1)
    assert split.degree == 2 and split.sigma == 1.0
    mean, scale = split.settings["target_mean"], split.settings["target_scale"]
    assert_allclose(split.y_wanted.mean(), 0.0, atol=1e-12)
    assert_allclose(split.y_wanted.std(), 1.0)
    data = load_diabetes(scaled=False)
    bmi, bp = data.data[:, 2], data.data[:, 3]
    # every unwanted record's target is that patient's blood pressure (matched by BMI and bp)
    original = split.y_unwanted * scale + mean
    assert all(np.any((bmi == x) & np.isclose(bp, v))
               for x, v in zip(split.X_unwanted[:, 0], original, strict=True))
    # test targets are the true progression values
    assert set(np.round(split.y_test * scale + mean, 6)) <= set(np.round(data.target, 6))


def test_diabetes_split_older_patients():
    """The unwanted part is every training patient aged 60 or over; the test set is under 60."""
    split = diabetes_split("older", features=("age", "bmi"))
    assert split.X_wanted.shape[1] == 2
    assert np.all(split.X_unwanted[:, 0] >= 60)
    assert np.all(split.X_wanted[:, 0] < 60) and np.all(split.X_test[:, 0] < 60)
    assert split.X_wanted.shape[0] + split.X_unwanted.shape[0] == 332


def test_diabetes_split_is_deterministic_per_seed():
    """Same seed, same split; another seed, another one."""
    a, b, c = diabetes_split(random_state=3), diabetes_split(random_state=3), diabetes_split(
        random_state=4)
    assert_allclose(a.y_train, b.y_train)
    assert not np.allclose(a.y_train, c.y_train)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unwanted": "younger"}, "unwanted must be one of"),
        ({"features": ("weight",)}, "features must be a non-empty tuple"),
        ({"features": "bmi"}, "features must be a non-empty tuple"),
        ({"features": ()}, "features must be a non-empty tuple"),
        ({"degree": -2}, "degree must be an integer >= 0"),
        ({"share": 1.0}, "share must lie strictly between 0 and 1"),
        ({"test_share": 0.0}, "test_share must lie strictly between 0 and 1"),
        ({"sigma": 0.1}, "sigma must be greater than"),
    ],
)
def test_diabetes_split_bad_arguments(kwargs, message):
    """Bad arguments are refused by name."""
    with pytest.raises(ValueError, match=message):
        diabetes_split(**kwargs)


# --- Split with labels and non-members --------------------------------------------------------


def test_split_with_labels_keeps_class_labels(blobs):
    """labels=True keeps labels as given (strings too); the default converts to floats."""
    X, y = blobs
    names = np.array(["cat", "dog", "owl"])[y]
    split = Split(X[30:], names[30:], X[:20], names[:20], X[20:30], names[20:30], labels=True)
    assert split.y_wanted.dtype == names.dtype and split.labels
    assert split.y_train.tolist() == names[30:].tolist() + names[:20].tolist()
    numeric = Split(X[30:], y[30:], X[:20], y[:20], X[20:30], y[20:30])
    assert numeric.y_wanted.dtype == np.float64
    with pytest.raises(ValueError, match="y_wanted"):
        Split(X[30:], names[30:], X[:20], names[:20], X[20:30], names[20:30])
    with pytest.raises(ValueError, match="y_test must be a 1-D array of labels"):
        Split(X[30:], y[30:], X[:20], y[:20], X[20:30], y[20:30, None].repeat(2, 1),
              labels=True)
    with pytest.raises(ValueError, match="X_unwanted and y_unwanted must have the same"):
        Split(X[30:], y[30:], X[:20], y[:19], X[20:30], y[20:30], labels=True)


def test_split_non_members_are_checked_copied_and_frozen(split):
    """X_nonmember and y_nonmember come together, with the split's features, read-only."""
    X_out, y_out = np.array([[0.5], [1.5]]), np.array([2.0, 2.5])
    with_out = Split(split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted,
                     split.X_test, split.y_test, X_nonmember=X_out, y_nonmember=y_out)
    X_out[0, 0] = 99.0
    assert with_out.X_nonmember[0, 0] == 0.5
    with pytest.raises(ValueError, match="read-only"):
        with_out.y_nonmember[0] = 0.0
    assert split.X_nonmember is None and split.y_nonmember is None  # optional
    parts = (split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted, split.X_test,
             split.y_test)
    with pytest.raises(ValueError, match="X_nonmember and y_nonmember must be given together"):
        Split(*parts, X_nonmember=X_out)
    with pytest.raises(ValueError, match="X_nonmember must have 1 feature"):
        Split(*parts, X_nonmember=np.ones((2, 2)), y_nonmember=y_out)
    with pytest.raises(ValueError, match="X_nonmember must hold at least one"):
        Split(*parts, X_nonmember=np.empty((0, 1)), y_nonmember=np.empty(0))
