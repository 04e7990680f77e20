r"""Goodness of fit on wanted and unwanted data: R², Exponential R² and Fair R².

The EMSE paper names two metrics, "Exponential R²" and "Fair R²", whose formulas were not
available to us. The definitions here are **reconstructions**, chosen to do what the paper says
the metrics do (rate how well a model represents the wanted data and how badly it represents the
unwanted data) with the least machinery:

* Exponential R² maps the unbounded R² onto :math:`(0, 1]`:
  :math:`R^2_{\exp} = \exp(R^2 - 1) = \exp(-\mathrm{SS}_{res}/\mathrm{SS}_{tot})`.
  It is 1 for a perfect fit, :math:`e^{-1}` for the constant mean predictor and tends to 0 as the
  fit gets arbitrarily bad, so that "how badly" has a bounded scale.
* Fair R² multiplies the wanted fit by how much of the unwanted data is *not* explained:
  :math:`R^2_{\mathrm{fair}} = R^2_w\,(1 - R^2_{\exp,u})`. It is near :math:`R^2_w` when the
  model ignores the unwanted data, and near 0 when it explains them as well as the wanted data.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_fitted_model, check_targets

__all__ = ["METRIC_NAMES", "evaluate", "exponential_r2", "fair_r2", "r2"]

#: Keys of the dictionary returned by :func:`evaluate`, in display order.
METRIC_NAMES = (
    "r2_wanted",
    "r2_unwanted",
    "r2_test",
    "exp_r2_wanted",
    "exp_r2_unwanted",
    "fair_r2",
)


def _check_pair(y_true, y_pred, true_name: str, pred_name: str):
    y_true, y_pred = check_targets(y_true, true_name), check_targets(y_pred, pred_name)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{true_name} and {pred_name} must have the same length; "
                         f"got {y_true.size} and {y_pred.size}.")
    if y_true.size < 2:
        raise ValueError(f"{true_name} must hold at least 2 values; got {y_true.size}.")
    if np.ptp(y_true) == 0:
        raise ValueError(f"{true_name} must not be constant: R² divides by its variance, "
                         f"which is zero.")
    return y_true, y_pred


def r2(y_true, y_pred) -> float:
    r"""Coefficient of determination :math:`R^2 = 1 - \mathrm{SS}_{res}/\mathrm{SS}_{tot}`.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Targets, not all equal.
    y_pred : array-like of shape (n,)
        Predictions.

    Returns
    -------
    score : float
        At most 1; unbounded below.

    Examples
    --------
    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    y_true, y_pred = _check_pair(y_true, y_pred, "y_true", "y_pred")
    ss_res = np.sum((y_true - y_pred) ** 2)
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    return float(1.0 - ss_res / ss_tot)


def exponential_r2(y_true, y_pred) -> float:
    r"""Exponential R², :math:`\exp(R^2 - 1)`, in :math:`(0, 1]` (a reconstruction).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Targets, not all equal.
    y_pred : array-like of shape (n,)
        Predictions.

    Returns
    -------
    score : float
        1 for a perfect fit, about 0.368 for the mean predictor, towards 0 for worse fits.
    """
    return float(np.exp(r2(y_true, y_pred) - 1.0))


def fair_r2(y_wanted, y_pred_wanted, y_unwanted, y_pred_unwanted) -> float:
    r"""Fair R², :math:`R^2_w\,(1 - \exp(R^2_u - 1))` (a reconstruction).

    Parameters
    ----------
    y_wanted, y_pred_wanted : array-like of shape (n_w,)
        Wanted targets and their predictions.
    y_unwanted, y_pred_unwanted : array-like of shape (n_u,)
        Unwanted targets and their predictions.

    Returns
    -------
    score : float
        Below 1; high when the wanted data are fitted and the unwanted data are not.
    """
    r2_wanted = r2(y_wanted, y_pred_wanted)
    return float(r2_wanted * (1.0 - exponential_r2(y_unwanted, y_pred_unwanted)))


def evaluate(model, split) -> dict[str, float]:
    """Every metric of this module for one model on one :class:`emse.datasets.Split`.

    Parameters
    ----------
    model : fitted regressor
        Anything with ``predict``.
    split : emse.datasets.Split
        Wanted, unwanted and held-out test data.

    Returns
    -------
    scores : dict
        Keys :data:`METRIC_NAMES`: R² on wanted, unwanted and test data, Exponential R² on
        wanted and unwanted data, and Fair R².
    """
    if not hasattr(model, "predict"):
        raise TypeError(f"model must have a predict method; got {type(model).__name__}.")
    if hasattr(model, "design_matrix"):
        check_fitted_model(model)
    pred_w, pred_u = model.predict(split.X_wanted), model.predict(split.X_unwanted)
    return {
        "r2_wanted": r2(split.y_wanted, pred_w),
        "r2_unwanted": r2(split.y_unwanted, pred_u),
        "r2_test": r2(split.y_test, model.predict(split.X_test)),
        "exp_r2_wanted": exponential_r2(split.y_wanted, pred_w),
        "exp_r2_unwanted": exponential_r2(split.y_unwanted, pred_u),
        "fair_r2": fair_r2(split.y_wanted, pred_w, split.y_unwanted, pred_u),
    }
