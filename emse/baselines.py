r"""Established unlearning methods to compare EMSE with.

* :func:`retrain` is exact unlearning by definition: the model the training algorithm gives on
  the retained data alone (the *oracle*).
* :func:`remove_exact` reaches the same least-squares / ridge solution without the retained data,
  by a Sherman-Morrison-Woodbury downdate of the stored normal equations.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.base import clone

from ._validation import check_fitted_model, check_regression_data

__all__ = ["remove_exact", "retrain"]


def retrain(model, X_wanted, y_wanted):
    """Refit ``model``'s estimator from scratch on the retained data, in the same basis.

    The input domain of ``model`` is kept (``domain=model.domain_``), so the parameters of the
    retrained model are comparable entry by entry with those of ``model`` and of any unlearned
    model derived from it.

    Parameters
    ----------
    model : fitted PolynomialRegressor
        The model trained on all data (not modified).
    X_wanted : array-like of shape (n_w, n_features)
        Retained inputs.
    y_wanted : array-like of shape (n_w,)
        Retained targets.

    Returns
    -------
    oracle : PolynomialRegressor
        A new fitted model.
    """
    check_fitted_model(model)
    X_w, y_w = check_regression_data(X_wanted, y_wanted, "X_wanted", "y_wanted",
                                     n_features=model.n_features_in_)
    if X_w.shape[0] == 0:
        raise ValueError("X_wanted must hold at least one sample; got none.")
    return clone(model).set_params(domain=model.domain_).fit(X_w, y_w)


def remove_exact(model, X_remove, y_remove):
    r"""Delete training points from a least-squares / ridge fit without the retained data.

    With :math:`G = \Phi^\top\Phi + \alpha D^\top D` and :math:`b = \Phi^\top y` stored by the fit,
    removing the rows :math:`(\Phi_r, y_r)` gives :math:`G' = G - \Phi_r^\top\Phi_r` and
    :math:`b' = b - \Phi_r^\top y_r`. By the Sherman-Morrison-Woodbury identity the new solution
    is

    .. math::

        \theta' = \theta - G^{-1}\Phi_r^\top (I - \Phi_r G^{-1}\Phi_r^\top)^{-1}
                  (y_r - \Phi_r\theta),

    which costs :math:`O(p^3 + k p^2)` for :math:`k` removed points and :math:`p` parameters,
    independent of the number of retained points.

    Parameters
    ----------
    model : fitted PolynomialRegressor
        A model fitted by least squares (it must carry ``gram_`` and ``moment_``); not modified.
    X_remove : array-like of shape (k, n_features)
        Inputs of training points to delete. They must be points the model was trained on;
        this cannot be checked without the training data.
    y_remove : array-like of shape (k,)
        Their targets.

    Returns
    -------
    model : PolynomialRegressor
        A new fitted model equal (to rounding) to retraining without the removed points, with
        updated ``gram_``, ``moment_`` and ``n_samples_fit_`` so that removals can be chained.
    """
    check_fitted_model(model)
    if getattr(model, "gram_", None) is None:
        raise ValueError("model must be a least-squares fit carrying gram_ and moment_; its "
                         "coefficients were set by with_coef, so there is nothing to downdate.")
    X_r, y_r = check_regression_data(X_remove, y_remove, "X_remove", "y_remove",
                                     n_features=model.n_features_in_)
    k = X_r.shape[0]
    if k == 0:
        raise ValueError("X_remove must hold at least one sample; got none.")
    if k >= model.n_samples_fit_:
        raise ValueError(f"X_remove must leave at least one training point; it has {k} of the "
                         f"model's {model.n_samples_fit_}.")
    Phi_r = model.design_matrix(X_r)
    try:
        gram_factor = linalg.cho_factor(model.gram_, check_finite=False)
    except linalg.LinAlgError as error:
        raise ValueError("model's training data do not determine every parameter (gram_ is "
                         "singular), so its fit is not unique and cannot be downdated.") from error
    G_inv_Phi_rT = linalg.cho_solve(gram_factor, Phi_r.T, check_finite=False)  # G^{-1} Phi_r^T
    capacitance = np.eye(k) - Phi_r @ G_inv_Phi_rT  # I - Phi_r G^{-1} Phi_r^T
    residual = y_r - Phi_r @ model.coef_
    # I - H is singular exactly when the retained data no longer determine every parameter.
    if np.linalg.cond(capacitance) > 1e12:
        raise ValueError("X_remove cannot be removed: without these points the retained data "
                         "no longer determine every parameter (I - H is singular).")
    correction = linalg.solve(capacitance, residual, check_finite=False)
    new = model.with_coef(model.coef_ - G_inv_Phi_rT @ correction)
    new.gram_ = model.gram_ - Phi_r.T @ Phi_r
    new.moment_ = model.moment_ - Phi_r.T @ y_r
    new.n_samples_fit_ = model.n_samples_fit_ - k
    return new
