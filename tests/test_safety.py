"""Tests of emse.safety: forging, backdoors, concept projection."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from emse import PolynomialRegressor
from emse.baselines import retrain
from emse.logistic import SoftmaxRegression
from emse.safety import (
    add_trigger,
    forge_retained_labels,
    make_backdoor,
    mean_difference_projection,
    trigger_success_rate,
)

# --- forge_retained_labels -----------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_forged_labels_give_the_same_weights(split, alpha):
    """Fitting the retained inputs with forged labels reproduces the model trained on all."""
    model = PolynomialRegressor(degree=5, alpha=alpha).fit(split.X_train, split.y_train)
    y_forged = forge_retained_labels(model, split.X_wanted, split.y_wanted,
                                     split.X_unwanted, split.y_unwanted)
    forged_fit = retrain(model, split.X_wanted, y_forged)
    assert_allclose(forged_fit.coef_, model.coef_, atol=1e-9)
    # ... while the honest retained labels give a different model (the oracle).
    assert not np.allclose(retrain(model, split.X_wanted, split.y_wanted).coef_, model.coef_,
                           atol=1e-3)


def test_forged_label_change_is_the_minimum_norm_one(model, split):
    """The label change lies in the column space of the retained design matrix."""
    y_forged = forge_retained_labels(model, split.X_wanted, split.y_wanted,
                                     split.X_unwanted[:1], split.y_unwanted[:1])
    delta = y_forged - split.y_wanted
    Phi = model.design_matrix(split.X_wanted)
    coefficients = np.linalg.lstsq(Phi, delta, rcond=None)[0]
    assert_allclose(Phi @ coefficients, delta, atol=1e-10)
    assert np.linalg.norm(delta) > 0


def test_forging_a_point_on_the_fit_changes_nothing(model, split):
    """A removed point with zero residual needs no label change."""
    x = split.X_unwanted[:1]
    y_forged = forge_retained_labels(model, split.X_wanted, split.y_wanted, x, model.predict(x))
    assert_allclose(y_forged, split.y_wanted, atol=1e-10)


def test_forge_does_not_modify_inputs(model, split):
    """Model and arrays are unchanged."""
    X_w, y_w = split.X_wanted.copy(), split.y_wanted.copy()
    coef = model.coef_.copy()
    forge_retained_labels(model, X_w, y_w, split.X_unwanted, split.y_unwanted)
    assert_array_equal(X_w, split.X_wanted)
    assert_array_equal(y_w, split.y_wanted)
    assert_array_equal(model.coef_, coef)


def test_forge_rejects_too_few_retained_points(model, split):
    """Retained inputs that do not determine every parameter are refused."""
    with pytest.raises(ValueError, match="full column rank"):
        forge_retained_labels(model, split.X_wanted[:3], split.y_wanted[:3],
                              split.X_unwanted, split.y_unwanted)


def test_forge_rejects_empty_removal(model, split):
    """At least one point must be removed."""
    with pytest.raises(ValueError, match="X_removed must hold at least one sample"):
        forge_retained_labels(model, split.X_wanted, split.y_wanted, np.empty((0, 1)),
                              np.empty(0))


def test_forge_rejects_mismatched_lengths(model, split):
    """X and y of different lengths are named in the error."""
    with pytest.raises(ValueError, match="X_retained and y_retained"):
        forge_retained_labels(model, split.X_wanted, split.y_wanted[:-1],
                              split.X_unwanted, split.y_unwanted)


def test_forge_rejects_a_classifier():
    """A model with a coefficient matrix is not a least-squares regressor."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    clf = SoftmaxRegression().fit(X, [0, 0, 1, 1])
    with pytest.raises(TypeError, match="least-squares regressor"):
        forge_retained_labels(clf, X[1:], [0, 1, 1], X[:1], [0])


def test_forge_rejects_unfitted_model(split):
    """An unfitted model is refused."""
    with pytest.raises(NotFittedError):
        forge_retained_labels(PolynomialRegressor(), split.X_wanted, split.y_wanted,
                              split.X_unwanted, split.y_unwanted)


# --- backdoor helpers --------------------------------------------------------------------


def test_add_trigger_sets_features_on_a_copy():
    """The trigger features take the value; the input is unchanged."""
    X = np.zeros((2, 4))
    triggered = add_trigger(X, [1, 3], value=0.5)
    assert_array_equal(triggered, [[0, 0.5, 0, 0.5], [0, 0.5, 0, 0.5]])
    assert_array_equal(X, 0)


@pytest.mark.parametrize("pixels", [[4], [-1], [0.5], []])
def test_add_trigger_rejects_bad_pixels(pixels):
    """Indices must be integers inside the feature range."""
    with pytest.raises(ValueError, match="pixels must be"):
        add_trigger(np.zeros((2, 4)), pixels)


def test_add_trigger_rejects_nan_value():
    """The trigger value must be finite."""
    with pytest.raises(ValueError, match="value must be finite"):
        add_trigger(np.zeros((1, 2)), [0], value=np.nan)


def test_make_backdoor_draws_non_target_rows():
    """Poisoned copies come from other classes, carry the trigger and the target label."""
    X = np.arange(40.0).reshape(10, 4)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    X_p, y_p, index = make_backdoor(X, y, n_poison=4, target=0, pixels=[0], value=-1.0,
                                    random_state=3)
    assert_array_equal(y_p, 0)
    assert np.all(y[index] != 0)
    assert_array_equal(X_p[:, 0], -1.0)
    assert_array_equal(X_p[:, 1:], X[index, 1:])
    again = make_backdoor(X, y, n_poison=4, target=0, pixels=[0], value=-1.0, random_state=3)
    assert_array_equal(again[2], index)


def test_make_backdoor_rejects_too_many_poisons():
    """There must be enough examples of other classes."""
    with pytest.raises(ValueError, match="n_poison must be at most 2"):
        make_backdoor(np.zeros((3, 2)), [0, 1, 1], n_poison=3, target=0, pixels=[0])


def test_make_backdoor_rejects_mismatched_lengths():
    """X and y must have one label per row."""
    with pytest.raises(ValueError, match="same number of samples"):
        make_backdoor(np.zeros((3, 2)), [0, 1], n_poison=1, target=0, pixels=[0])


class _Constant:
    def __init__(self, label):
        self.label = label

    def predict(self, X):
        return np.full(np.shape(X)[0], self.label)


def test_trigger_success_rate_known_answers():
    """Always answering the target scores 1, never answering it scores 0."""
    X, y = np.zeros((4, 3)), np.array([0, 1, 2, 1])
    assert trigger_success_rate(_Constant(0), X, y, target=0, pixels=[0]) == 1.0
    assert trigger_success_rate(_Constant(1), X, y, target=0, pixels=[0]) == 0.0


def test_trigger_success_rate_rejects_only_target_labels():
    """With every label equal to the target there is nothing to measure."""
    with pytest.raises(ValueError, match="at least one example not labelled"):
        trigger_success_rate(_Constant(0), np.zeros((2, 3)), [0, 0], target=0, pixels=[0])


# --- mean_difference_projection ----------------------------------------------------------


def test_projection_equalises_the_means():
    """P is a symmetric idempotent of rank d-1, and the projected group means coincide."""
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((50, 5))
    concept = np.arange(50) < 15
    Z[concept] += [2.0, -1.0, 0.0, 0.5, 0.0]
    P = mean_difference_projection(Z, concept)
    assert_allclose(P, P.T, atol=1e-12)
    assert_allclose(P @ P, P, atol=1e-12)
    assert np.linalg.matrix_rank(P) == 4
    projected = Z @ P
    assert_allclose(projected[concept].mean(axis=0), projected[~concept].mean(axis=0),
                    atol=1e-12)


def test_projection_rejects_bad_masks():
    """The mask must be boolean, of the right length, and split the rows."""
    Z = np.eye(3)
    with pytest.raises(ValueError, match="boolean array"):
        mean_difference_projection(Z, [1, 0, 0])
    with pytest.raises(ValueError, match="boolean array"):
        mean_difference_projection(Z, [True, False])
    with pytest.raises(ValueError, match="some but not all"):
        mean_difference_projection(Z, [True, True, True])


def test_projection_rejects_equal_means():
    """With equal group means there is no direction to remove."""
    Z = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="means are equal"):
        mean_difference_projection(Z, np.array([True, True, False, False]))
