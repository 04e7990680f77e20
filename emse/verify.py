r"""Checks of forgetting: distance to the oracle, forget quality, relearning (and membership).

Every check compares an unlearned model with the *oracle*, the model retrained without the
forget set, because no property of one model alone shows that data were forgotten:

* :func:`parameter_distance` and :func:`prediction_distance`: how far the unlearned model is from
  the oracle, in parameters and in predictions on held-out inputs;
* membership inference, in :mod:`emse.membership`: can an attacker tell the forget set from
  data the model never saw?
* :func:`forget_quality`: a two-sample Kolmogorov-Smirnov test between the per-example losses of
  the forget set under the unlearned model and under the oracle, the forget-quality measure of
  TOFU (Maini et al. 2024) with losses in place of truth ratios;
* :func:`relearn`: gradient steps on part of the forget set until the loss on the rest comes
  back, whose count means something only next to the oracle's count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validation import check_features, check_nonnegative, check_positive_int
from .losses import (
    _check_data,
    _mean_loss_and_grad,
    get_parameters,
    per_example_loss,
)

__all__ = [
    "ForgetQuality",
    "RelearnResult",
    "forget_quality",
    "parameter_distance",
    "prediction_distance",
    "relearn",
]


# --- distance to the oracle ----------------------------------------------------------------


def parameter_distance(model, oracle) -> float:
    r"""Euclidean distance :math:`\lVert\theta - \theta^{\mathrm{or}}\rVert_2` of the parameters.

    Parameters
    ----------
    model, oracle : fitted PolynomialRegressor or SoftmaxRegression
        Two models of the same basis (same shape of ``coef_``).

    Returns
    -------
    distance : float
    """
    theta, theta_oracle = get_parameters(model), get_parameters(oracle)
    if theta.shape != theta_oracle.shape:
        raise ValueError(f"model and oracle must have parameters of the same shape; got "
                         f"{theta.shape} and {theta_oracle.shape}.")
    return float(np.linalg.norm(theta - theta_oracle))


def prediction_distance(model, oracle, X) -> float:
    r"""How differently two models predict on inputs ``X``.

    For classifiers (both with ``predict_proba``) the mean total-variation distance
    :math:`\frac{1}{n}\sum_i \frac12\lVert\pi(x_i) - \pi^{\mathrm{or}}(x_i)\rVert_1`, in
    :math:`[0, 1]`; for regressors the root-mean-square difference of the predictions.

    Parameters
    ----------
    model, oracle : fitted estimators
        Two regressors or two classifiers with the same classes.
    X : array-like of shape (n, n_features)
        Inputs, typically held-out data.

    Returns
    -------
    distance : float
    """
    X = check_features(X, "X", n_features=getattr(oracle, "n_features_in_", None))
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one sample; got none.")
    if hasattr(model, "predict_proba") and hasattr(oracle, "predict_proba"):
        if not np.array_equal(model.classes_, oracle.classes_):
            raise ValueError(f"model and oracle must have the same classes; got "
                             f"{model.classes_.tolist()} and {oracle.classes_.tolist()}.")
        gap = model.predict_proba(X) - oracle.predict_proba(X)
        return float(np.mean(0.5 * np.abs(gap).sum(axis=1)))
    gap = model.predict(X) - oracle.predict(X)
    return float(np.sqrt(np.mean(gap**2)))


# --- forget quality ------------------------------------------------------------------------


@dataclass(frozen=True)
class ForgetQuality:
    """Result of :func:`forget_quality`.

    Attributes
    ----------
    statistic : float
        The Kolmogorov-Smirnov distance between the two loss distributions, in [0, 1].
    pvalue : float
        Its p-value; large means "indistinguishable from the oracle".
    """

    statistic: float
    pvalue: float


def forget_quality(model, oracle, X_forget, y_forget) -> ForgetQuality:
    """Two-sample KS test of the forget-set losses under ``model`` against under ``oracle``.

    TOFU (Maini et al. 2024) reports the p-value of a KS test between the distributions, over the
    forget set, of a per-example statistic under the unlearned model and under the model trained
    without the forget set. Here the statistic is the per-example loss
    (:func:`emse.losses.per_example_loss`) and the test is ``scipy.stats.ks_2samp``.

    Parameters
    ----------
    model : fitted estimator
        The unlearned model.
    oracle : fitted estimator
        The model retrained without the forget set.
    X_forget, y_forget : array-like of shape (n_f, n_features), (n_f,)
        The forget set.

    Returns
    -------
    result : ForgetQuality
    """
    X_f, y_f = _check_data(model, X_forget, y_forget)
    if X_f.shape[0] == 0:
        raise ValueError("X_forget must hold at least one sample; got none.")
    test = stats.ks_2samp(per_example_loss(model, X_f, y_f), per_example_loss(oracle, X_f, y_f))
    return ForgetQuality(float(test.statistic), float(test.pvalue))


# --- relearning ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RelearnResult:
    """Result of :func:`relearn`.

    Attributes
    ----------
    steps : int or None
        First step after which the probe loss is at most the target; 0 if it starts there,
        ``None`` if it never gets there within ``max_steps``.
    probe_loss : ndarray of shape (max_steps + 1,)
        Mean loss on the probe set before and after every step.
    target_loss : float
        The target.
    """

    steps: int | None
    probe_loss: np.ndarray
    target_loss: float

    @property
    def reached(self) -> bool:
        """Whether the probe loss reached the target."""
        return self.steps is not None


def relearn(model, X_relearn, y_relearn, X_probe, y_probe, *, target_loss: float,
            learning_rate: float, max_steps: int = 100) -> RelearnResult:
    r"""Fine-tune on part of the forget set and count the steps until the rest comes back.

    Plain gradient descent :math:`\theta \leftarrow \theta - \eta\nabla L_T(\theta)` on the mean
    loss of the relearning part :math:`T` (:func:`emse.losses.mean_loss_and_grad`), starting
    from the model's parameters; after every step the mean loss on the probe part :math:`V`
    is recorded. A model that hid rather than removed what it learned from the forget set comes
    back quickly (Lynch et al. 2024; Deeb and Roger 2024); the oracle, which never saw the
    forget set, is the control that says what "quickly" means.

    Parameters
    ----------
    model : fitted PolynomialRegressor or SoftmaxRegression
        The model to attack; not modified.
    X_relearn, y_relearn : array-like of shape (n_T, n_features), (n_T,)
        The part of the forget set the attacker trains on.
    X_probe, y_probe : array-like of shape (n_V, n_features), (n_V,)
        The part whose loss is watched.
    target_loss : float
        Probe loss that counts as "come back", ``>= 0``.
    learning_rate : float
        Step length, ``> 0``.
    max_steps : int, default=100
        Steps taken, ``>= 1`` (all of them, so that curves have one length).

    Returns
    -------
    result : RelearnResult
    """
    theta = get_parameters(model)
    X_t, y_t = _check_data(model, X_relearn, y_relearn)
    X_v, y_v = _check_data(model, X_probe, y_probe)
    for X, name in ((X_t, "X_relearn"), (X_v, "X_probe")):
        if X.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one sample; got none.")
    target_loss = check_nonnegative(target_loss, "target_loss")
    learning_rate = check_nonnegative(learning_rate, "learning_rate")
    if learning_rate == 0:
        raise ValueError("learning_rate must be > 0; got 0.")
    max_steps = check_positive_int(max_steps, "max_steps")
    Phi_t, Phi_v = model.design_matrix(X_t), model.design_matrix(X_v)
    probe = [_mean_loss_and_grad(model, theta, Phi_v, y_v)[0]]
    for _ in range(max_steps):
        with np.errstate(over="ignore", invalid="ignore"):
            theta = theta - learning_rate * _mean_loss_and_grad(model, theta, Phi_t, y_t)[1]
            loss = _mean_loss_and_grad(model, theta, Phi_v, y_v)[0]
        if not (np.all(np.isfinite(theta)) and np.isfinite(loss)):
            raise ValueError(f"learning_rate {learning_rate!r} is too large: relearning "
                             f"diverged.")
        probe.append(loss)
    probe = np.asarray(probe)
    hits = np.flatnonzero(probe <= target_loss)
    return RelearnResult(int(hits[0]) if hits.size else None, probe, target_loss)
