"""Tests of emse._validation: the input checks every public function shares.

Each check must accept what is valid (returning it unchanged or converted), and refuse what is
not with a message that names the caller's argument, states what was expected and shows what
was received.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from emse import PolynomialRegressor
from emse._validation import (
    SIGMA_MIN,
    check_choice,
    check_features,
    check_fitted_model,
    check_model_data,
    check_nonempty,
    check_nonnegative,
    check_parametric_model,
    check_positive,
    check_positive_int,
    check_regression_data,
    check_same_length,
    check_sigma,
    check_targets,
    encode_labels,
)
from emse.logistic import SoftmaxRegression
from emse.sisa import SISA

# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1e-300, 0.5, 3, np.float32(2.0), np.int64(7)])
def test_check_positive_accepts_positive_numbers(value):
    """Any finite real number > 0 comes back as a float."""
    result = check_positive(value, "step")
    assert isinstance(result, float) and result == float(value)


@pytest.mark.parametrize("value", [0, 0.0, -1.0, np.inf, np.nan])
def test_check_positive_refuses_zero_negative_and_non_finite(value):
    """Zero is refused too: the message says '> 0'."""
    with pytest.raises(ValueError, match=re.escape("step must be a finite number > 0")):
        check_positive(value, "step")


@pytest.mark.parametrize("value", [True, "1", None, [1.0], 1 + 0j])
def test_check_positive_refuses_non_numbers(value):
    """Booleans, strings, sequences and complex numbers are not real numbers."""
    with pytest.raises(TypeError, match="step must be a real number"):
        check_positive(value, "step")


def test_check_nonnegative_accepts_zero_and_refuses_negative():
    """'>= 0': zero passes, a negative or non-finite value is named."""
    assert check_nonnegative(0, "lam") == 0.0
    for value in (-1e-12, np.nan, -np.inf):
        with pytest.raises(ValueError, match=re.escape("lam must be a finite number >= 0")):
            check_nonnegative(value, "lam")
    with pytest.raises(TypeError, match="lam must be a real number"):
        check_nonnegative(False, "lam")


def test_check_positive_int():
    """Integers >= 1 only; 2.0 and True are not integers."""
    assert check_positive_int(np.int32(3), "max_iter") == 3
    with pytest.raises(ValueError, match=re.escape("max_iter must be an integer >= 1; got 0")):
        check_positive_int(0, "max_iter")
    for value in (2.0, True, "3"):
        with pytest.raises(TypeError, match="max_iter must be an integer"):
            check_positive_int(value, "max_iter")


def test_check_sigma_bound_is_one_over_root_two_pi():
    """sigma must exceed 1/sqrt(2 pi), where the Gaussian density at 0 reaches 1."""
    assert pytest.approx(1 / np.sqrt(2 * np.pi)) == SIGMA_MIN
    assert check_sigma(SIGMA_MIN * (1 + 1e-9)) > SIGMA_MIN
    with pytest.raises(ValueError, match="sigma must be greater than 1/sqrt"):
        check_sigma(SIGMA_MIN)
    with pytest.raises(ValueError, match="sigma must be a finite number"):
        check_sigma(np.nan)


def test_check_choice():
    """A value from the options comes back; another is refused with the options listed."""
    assert check_choice("gd", "method", ["lbfgs", "gd"]) == "gd"
    with pytest.raises(ValueError, match=re.escape("method must be one of ('lbfgs', 'gd'); "
                                                   "got 'adam'")):
        check_choice("adam", "method", ("lbfgs", "gd"))


# --- arrays ------------------------------------------------------------------------------


def test_check_features_converts_and_checks_shape():
    """Lists become 2-D float arrays; 1-D, NaN, None and the wrong width are refused by name."""
    X = check_features([[1, 2], [3, 4]], "X_probe")
    assert X.dtype == np.float64 and X.shape == (2, 2)
    assert check_features(np.empty((0, 3)), "X_probe").shape == (0, 3)
    with pytest.raises(ValueError, match=r"X_probe must be 2-D .*reshape\(-1, 1\)"):
        check_features([1.0, 2.0], "X_probe")
    with pytest.raises(ValueError, match="X_probe must have 3 feature"):
        check_features([[1.0, 2.0]], "X_probe", n_features=3)
    with pytest.raises(ValueError, match=r"X_probe must be an array .* got None"):
        check_features(None, "X_probe")
    with pytest.raises(ValueError, match="NaN"):
        check_features([[np.nan]], "X_probe")


def test_check_targets_accepts_a_column_and_refuses_matrices():
    """A (n, 1) column is flattened; a (n, 2) matrix and infinities are refused by name."""
    assert check_targets([[1.0], [2.0]], "y_probe").shape == (2,)
    with pytest.raises(ValueError, match="y_probe must be 1-D"):
        check_targets(np.ones((3, 2)), "y_probe")
    with pytest.raises(ValueError, match="infinity"):
        check_targets([1.0, np.inf], "y_probe")
    with pytest.raises(ValueError, match="y_probe must be an array"):
        check_targets(None, "y_probe")


@pytest.mark.parametrize(("values", "error"), [(["a", "b"], ValueError),
                                               ([1 + 2j, 0j], TypeError),
                                               ([object(), object()], TypeError)])
def test_values_that_are_not_real_numbers_are_refused_by_name(values, error):
    """Strings, complex numbers and objects: the error names the argument, for X and y."""
    with pytest.raises(error, match="y_unwanted must hold real numbers"):
        check_targets(values, "y_unwanted")
    with pytest.raises(error, match="X_unwanted must hold real numbers"):
        check_features([values], "X_unwanted")


def test_check_regression_data_names_both_arguments():
    """Different lengths are reported with both names and both counts."""
    X, y = check_regression_data([[0.0], [1.0]], [0.0, 1.0], "X_a", "y_a")
    assert X.shape == (2, 1) and y.shape == (2,)
    with pytest.raises(ValueError, match=re.escape("X_a and y_a must have the same number of "
                                                   "samples; got 2 and 3")):
        check_regression_data([[0.0], [1.0]], [0.0, 1.0, 2.0], "X_a", "y_a")


def test_check_same_length_and_scalars():
    """A scalar has no samples to match."""
    check_same_length(np.zeros((3, 2)), np.zeros(3), "A", "b")
    with pytest.raises(ValueError, match=r"A and b .* got 3 and 2"):
        check_same_length(np.zeros((3, 2)), np.zeros(2), "A", "b")
    with pytest.raises(ValueError, match="got 1 and a scalar"):
        check_same_length(np.zeros((1, 2)), 1.0, "A", "b")


def test_check_nonempty():
    """At least one row; the input itself is returned."""
    X = np.zeros((1, 2))
    assert check_nonempty(X, "X_unwanted") is X
    with pytest.raises(ValueError, match="X_unwanted must hold at least one sample; got none"):
        check_nonempty(np.empty((0, 2)), "X_unwanted")


# --- labels --------------------------------------------------------------------------------


def test_encode_labels_known_answer():
    """Indices into the sorted classes, for numbers and for strings."""
    assert_array_equal(encode_labels([0, 1, 2], [2, 0, 0, 1], "y"), [2, 0, 0, 1])
    assert_array_equal(encode_labels(np.array(["a", "b", "c"]), ["c", "a"], "y"), [2, 0])
    assert encode_labels([3, 7], np.array([], dtype=int), "y").size == 0


@settings(max_examples=50, deadline=None)
@given(classes=st.lists(st.integers(-1000, 1000), min_size=1, max_size=8, unique=True),
       picks=st.lists(st.integers(0, 7), max_size=30))
def test_encode_labels_round_trips(classes, picks):
    """classes[encode_labels(classes, y)] == y for any labels drawn from the classes."""
    classes = np.sort(classes)
    y = classes[np.asarray(picks, dtype=int) % classes.size]
    assert_array_equal(classes[encode_labels(classes, y, "y")], y)


@pytest.mark.parametrize("bad", [[5], [-1], [0, 1, 9], [0.5]])
def test_encode_labels_refuses_unknown_labels_by_name(bad):
    """Labels outside the classes, below, between or above them, are listed."""
    with pytest.raises(ValueError, match=r"y_unwanted must hold only labels .* unknown labels"):
        encode_labels([0, 1, 2], bad, "y_unwanted")


def test_encode_labels_refuses_a_matrix():
    """Labels must be 1-D."""
    with pytest.raises(ValueError, match="y_wanted must be a 1-D array of labels"):
        encode_labels([0, 1], [[0, 1]], "y_wanted")


# --- models and their data -----------------------------------------------------------------


def test_check_model_data_for_a_regressor(model, split):
    """Features of the model's width and finite targets, named as the caller names them."""
    X, y = check_model_data(model, split.X_test, split.y_test, "X_probe", "y_probe")
    assert X.shape == split.X_test.shape and y.dtype == np.float64
    with pytest.raises(ValueError, match="X_probe must have 1 feature"):
        check_model_data(model, np.ones((3, 2)), np.ones(3), "X_probe", "y_probe")
    with pytest.raises(ValueError, match="y_probe"):
        check_model_data(model, split.X_test, np.full(split.y_test.shape, np.nan), "X_probe",
                         "y_probe")
    with pytest.raises(ValueError, match="X_probe and y_probe must have the same number"):
        check_model_data(model, split.X_test, split.y_test[1:], "X_probe", "y_probe")
    with pytest.raises(ValueError, match="X_probe must hold at least one sample"):
        check_model_data(model, np.empty((0, 1)), np.empty(0), "X_probe", "y_probe")
    X, _ = check_model_data(model, np.empty((0, 1)), np.empty(0), "X_probe", "y_probe",
                            nonempty=False)
    assert X.shape == (0, 1)


def test_check_model_data_for_a_classifier_keeps_the_labels(blobs):
    """Labels are checked against classes_ and returned as given (strings included)."""
    X, y = blobs
    names = np.array(["cat", "dog", "owl"])[y]
    classifier = SoftmaxRegression().fit(X, names)
    _, labels = check_model_data(classifier, X, names, "X_u", "y_u")
    assert_array_equal(labels, names)
    with pytest.raises(ValueError, match=r"y_u must hold only labels .*\['emu'\]"):
        check_model_data(classifier, X[:1], ["emu"], "X_u", "y_u")
    with pytest.raises(ValueError, match=r"y_u must be an array of labels .* got None"):
        check_model_data(classifier, X, None, "X_u", "y_u")
    with pytest.raises(ValueError, match="X_u and y_u must have the same number"):
        check_model_data(classifier, X, names[:-1], "X_u", "y_u")


def test_check_fitted_model(model):
    """A fitted linear-in-parameters model passes; others are refused by kind."""
    check_fitted_model(model)
    with pytest.raises(TypeError, match="oracle must be a model with design_matrix"):
        check_fitted_model(SISA(PolynomialRegressor()), "oracle")
    with pytest.raises(NotFittedError):
        check_fitted_model(PolynomialRegressor())


def test_check_parametric_model(model, neural_classifier):
    """Every fitted model of emse passes; others are refused with what they lack."""
    check_parametric_model(model)
    check_parametric_model(neural_classifier)
    with pytest.raises(TypeError, match=r"oracle must follow emse's model protocol .* SISA"):
        check_parametric_model(SISA(PolynomialRegressor()), "oracle")
    with pytest.raises(NotFittedError):
        check_parametric_model(SoftmaxRegression())


def test_checks_do_not_modify_their_inputs(model, split):
    """No check writes into the arrays it is given, even when it converts them."""
    X = [[0.0], [1.0]]
    y = np.array([0, 1])
    X_copy, y_copy = [row[:] for row in X], y.copy()
    check_model_data(model, X, y, "X", "y")
    check_regression_data(X, y, "X", "y")
    encode_labels([0, 1], y, "y")
    assert X_copy == X
    assert_array_equal(y, y_copy)
    assert_allclose(check_targets(y, "y"), [0.0, 1.0])
