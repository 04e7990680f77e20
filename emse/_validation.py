"""Input checks shared by every public function of ``emse``.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the argument, states
what was expected and shows what was received. None of them modifies its input: arrays come back
as new float64 arrays whenever a conversion was needed, and callers never write into them.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = [
    "SIGMA_MIN",
    "check_features",
    "check_fitted_model",
    "check_nonnegative",
    "check_positive_int",
    "check_regression_data",
    "check_sigma",
    "check_targets",
]

#: The smallest admissible EMSE_σ scale: below it the Gaussian density exceeds one at r = 0.
SIGMA_MIN = 1.0 / np.sqrt(2.0 * np.pi)


def check_features(X, name: str, *, n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a finite 2-D float array, or raise naming ``name``."""
    if X is None:
        raise ValueError(f"{name} must be an array of shape (n_samples, n_features); got None.")
    X = check_array(X, dtype=np.float64, ensure_2d=False, ensure_min_samples=0,
                    input_name=name)
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
    y = check_array(y, dtype=np.float64, ensure_2d=False, ensure_min_samples=0,
                    input_name=name)
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
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of samples; "
            f"got {X.shape[0]} and {y.shape[0]}."
        )
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
