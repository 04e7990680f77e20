"""Input checks shared by every public function of ``emse``.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the argument, states
what was expected and shows what was received. None of them modifies its input: arrays come back
as new float64 arrays whenever a conversion was needed, and callers never write into them.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = [
    "SIGMA_MIN",
    "check_choice",
    "check_features",
    "check_fitted_model",
    "check_indices",
    "check_model_data",
    "check_nonempty",
    "check_nonnegative",
    "check_parameters",
    "check_parametric_model",
    "check_positive",
    "check_positive_int",
    "check_regression_data",
    "check_same_length",
    "check_sigma",
    "check_targets",
    "encode_labels",
]

#: The smallest admissible EMSE_σ scale: below it the Gaussian density exceeds one at r = 0.
SIGMA_MIN = 1.0 / np.sqrt(2.0 * np.pi)


def _float_array(value, name: str) -> np.ndarray:
    """``check_array`` to float64, with ``name`` in every error (strings, complex, objects)."""
    try:
        return check_array(value, dtype=np.float64, ensure_2d=False, ensure_min_samples=0,
                           input_name=name)
    except (TypeError, ValueError) as error:
        if name in str(error):
            raise
        kind = ValueError if isinstance(error, ValueError) else TypeError
        raise kind(f"{name} must hold real numbers; {error}") from error


def check_features(X, name: str, *, n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a finite 2-D float array, or raise naming ``name``."""
    if X is None:
        raise ValueError(f"{name} must be an array of shape (n_samples, n_features); got None.")
    X = _float_array(X, name)
    if X.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got a 1-D array of shape "
            f"{X.shape}. Reshape it with X.reshape(-1, 1) for a single feature."
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} must have {n_features} feature(s), as the model was fitted with; "
            f"got {X.shape[1]}."
        )
    return X


def check_targets(y, name: str) -> np.ndarray:
    """Return ``y`` as a finite 1-D float array, or raise naming ``name``."""
    if y is None:
        raise ValueError(f"{name} must be an array of shape (n_samples,); got None.")
    y = _float_array(y, name)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,); got shape {y.shape}.")
    return y


def check_regression_data(
    X, y, x_name: str, y_name: str, *, n_features: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair ``(X, y)`` of features and targets and their lengths."""
    X = check_features(X, x_name, n_features=n_features)
    y = check_targets(y, y_name)
    check_same_length(X, y, x_name, y_name)
    return X, y


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number ``>= 0``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {value!r} of type "
                        f"{type(value).__name__}.")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return value


def check_positive_int(value, name: str) -> int:
    """Return ``value`` if it is an integer ``>= 1``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)


def check_sigma(sigma) -> float:
    r"""Return ``sigma`` if it exceeds :math:`1/\sqrt{2\pi}`, the bound EMSE_σ needs."""
    sigma = check_nonnegative(sigma, "sigma")
    if sigma <= SIGMA_MIN:
        raise ValueError(
            f"sigma must be greater than 1/sqrt(2*pi) = {SIGMA_MIN:.6f}, so that the Gaussian "
            f"density phi_sigma(r) stays below 1 and log(1 - phi_sigma(r)) is defined; "
            f"got {sigma!r}."
        )
    return sigma


def check_fitted_model(model, name: str = "model") -> None:
    """Raise unless ``model`` is a fitted model that is linear in its parameters."""
    if not hasattr(model, "design_matrix") or not hasattr(model, "with_coef"):
        raise TypeError(
            f"{name} must be a model with design_matrix(X) and with_coef(coef) methods, such as "
            f"emse.PolynomialRegressor; got {type(model).__name__}."
        )
    check_is_fitted(model, "coef_")


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {value!r} of type "
                        f"{type(value).__name__}.")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return value


def check_choice(value, name: str, options) -> str:
    """Return ``value`` if it is one of ``options``, or raise naming ``name``."""
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")
    return value


def check_nonempty(X, name: str) -> np.ndarray:
    """Return ``X`` if it holds at least one sample (row), or raise naming ``name``."""
    if np.shape(X)[0] == 0:
        raise ValueError(f"{name} must hold at least one sample; got none.")
    return X


def check_same_length(a, b, a_name: str, b_name: str) -> None:
    """Raise unless ``a`` and ``b`` have the same number of samples (first dimension)."""
    n_a, n_b = np.shape(a)[0] if np.ndim(a) else 1, np.shape(b)[0] if np.ndim(b) else 1
    if n_a != n_b or np.ndim(b) == 0:
        raise ValueError(f"{a_name} and {b_name} must have the same number of samples; "
                         f"got {n_a} and {n_b if np.ndim(b) else 'a scalar'}.")


def encode_labels(classes, y, name: str) -> np.ndarray:
    """Index of each label of ``y`` in the sorted array ``classes``.

    Raises ``ValueError`` naming ``name`` when ``y`` is not 1-D or holds a label that is not in
    ``classes``.
    """
    classes, y = np.asarray(classes), np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels; got shape {y.shape}.")
    index = np.clip(np.searchsorted(classes, y), 0, classes.size - 1)
    if y.size and not np.all(classes[index] == y):
        unknown = np.setdiff1d(np.unique(y), classes)
        raise ValueError(f"{name} must hold only labels the model was fitted with "
                         f"{classes.tolist()}; got unknown labels {unknown.tolist()}.")
    return index


def check_model_data(model, X, y, x_name: str, y_name: str, *,
                     nonempty: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair ``(X, y)`` against a fitted model, naming the caller's arguments.

    ``X`` must have the model's number of features; ``y`` must be finite targets for a
    regressor, or labels from ``model.classes_`` for a classifier (returned as given: the
    model encodes them itself). Both must have the same length, at least one sample unless
    ``nonempty=False``.
    """
    X = check_features(X, x_name, n_features=getattr(model, "n_features_in_", None))
    if is_classifier(model):
        if y is None:
            raise ValueError(f"{y_name} must be an array of labels of shape (n_samples,); "
                             f"got None.")
        y = np.asarray(y)
        encode_labels(model.classes_, y, y_name)
    else:
        y = check_targets(y, y_name)
    check_same_length(X, y, x_name, y_name)
    if nonempty:
        check_nonempty(X, x_name)
    return X, y


def check_parametric_model(model, name: str = "model") -> None:
    """Raise unless ``model`` is a fitted model of the parameter protocol (``emse.protocol``)."""
    missing = [m for m in ("flat_coef", "with_coef", "loss_function") if not hasattr(model, m)]
    if missing:
        raise TypeError(
            f"{name} must follow emse's model protocol (flat_coef, with_coef, loss_function, "
            f"loss_value_and_grad; see emse.protocol), as every model of emse does; got "
            f"{type(model).__name__}, which lacks {', '.join(missing)}."
        )
    check_is_fitted(model, "coef_")


def check_indices(indices, n: int, name: str = "indices") -> np.ndarray:
    """Return ``indices`` as distinct integers in ``[0, n)``, at least one, or raise naming it."""
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D array of integers; got {indices!r}.")
    if np.unique(indices).size != indices.size or indices.min() < 0 or indices.max() >= n:
        raise ValueError(f"{name} must be distinct integers in [0, {n}); got values from "
                         f"{indices.min()} to {indices.max()}.")
    return indices


def check_parameters(theta, shape, name: str = "theta") -> np.ndarray:
    """Return ``theta`` as a float array of the given ``shape`` with finite entries, or raise."""
    theta = np.asarray(theta, dtype=np.float64)
    shape = tuple(np.atleast_1d(shape))
    if theta.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {theta.shape}.")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} must contain only finite values; got NaN or infinity.")
    return theta
