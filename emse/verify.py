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
  back, whose count means something only next to the oracle's count;
* :func:`verification_report`: all of these for one model, as one row of a table.

The forget set of the literature is our unwanted data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validation import (
    check_features,
    check_model_data,
    check_nonempty,
    check_nonnegative,
    check_parametric_model,
    check_positive_int,
)
from .losses import per_example_loss
from .membership import ShadowModels, lira_attack, loss_threshold_attack
from .objectives import resolve_learning_rate
from .optim import UnlearningResult, gradient_descent, result_of

__all__ = [
    "ForgetQuality",
    "RelearnResult",
    "forget_quality",
    "parameter_distance",
    "prediction_distance",
    "relearn",
    "verification_report",
]


# --- distance to the oracle ----------------------------------------------------------------


def parameter_distance(model, oracle) -> float:
    r"""Euclidean distance :math:`\lVert\theta - \theta^{\mathrm{or}}\rVert_2` of the parameters.

    Parameters
    ----------
    model, oracle : emse.protocol.ParametricModel
        Two models of the same basis and architecture (parameters of the same shape).

    Returns
    -------
    distance : float
    """
    check_parametric_model(model, "model")
    check_parametric_model(oracle, "oracle")
    theta, theta_oracle = model.flat_coef(), oracle.flat_coef()
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
    X = check_nonempty(check_features(X, "X", n_features=getattr(oracle, "n_features_in_", None)),
                       "X")
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


def forget_quality(model, oracle, X_unwanted, y_unwanted) -> ForgetQuality:
    """Two-sample KS test of the unwanted-set losses under ``model`` against under ``oracle``.

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
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        The unwanted data (the forget set).

    Returns
    -------
    result : ForgetQuality
    """
    X_f, y_f = check_model_data(model, X_unwanted, y_unwanted, "X_unwanted", "y_unwanted")
    test = stats.ks_2samp(per_example_loss(model, X_f, y_f), per_example_loss(oracle, X_f, y_f))
    return ForgetQuality(float(test.statistic), float(test.pvalue))


# --- relearning ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RelearnResult(UnlearningResult):
    """Result of :func:`relearn`: an :class:`emse.UnlearningResult` with the probe's record.

    Attributes
    ----------
    model, history, n_iter, converged, message, objective, method
        As :class:`emse.UnlearningResult`: the fine-tuned model, the mean loss on the relearning
        part, ``objective="relearn"``, ``method="gd"``.
    probe_loss : ndarray of shape (n_iter + 1,)
        Mean loss on the probe set before and after every step.
    target_loss : float
        The target.
    steps : int or None
        First step after which the probe loss is at most the target; 0 if it starts there,
        ``None`` if it never gets there within ``max_iter``.
    """

    probe_loss: np.ndarray = None
    target_loss: float = 0.0
    steps: int | None = None

    @property
    def reached(self) -> bool:
        """Whether the probe loss reached the target."""
        return self.steps is not None


def relearn(model, X_relearn, y_relearn, X_probe, y_probe, *, target_loss: float,
            learning_rate: float | None = None, max_iter: int = 100) -> RelearnResult:
    r"""Fine-tune on part of the forget set and count the steps until the rest comes back.

    Plain gradient descent :math:`\theta \leftarrow \theta - \eta\nabla L_T(\theta)` on the mean
    loss of the relearning part :math:`T` (as :func:`emse.baselines.fine_tune`), starting from the
    model's parameters; after every step the mean loss on the probe part :math:`V` is recorded.
    A model that hid rather than removed what it learned from the forget set comes back quickly
    (Lynch et al. 2024; Deeb and Roger 2024); the oracle, which never saw the forget set, is the
    control that says what "quickly" means.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        The model to attack (any model of ``emse``); not modified.
    X_relearn, y_relearn : array-like of shape (n_T, n_features), (n_T,)
        The part of the forget set the attacker trains on.
    X_probe, y_probe : array-like of shape (n_V, n_features), (n_V,)
        The part whose loss is watched.
    target_loss : float
        Probe loss that counts as "come back", ``>= 0``.
    learning_rate : float, default=None
        Step length, ``> 0``; ``None`` takes :math:`1/L` from the model's curvature bound on
        the relearning part (networks need an explicit step).
    max_iter : int, default=100
        Steps taken, ``>= 1`` (all of them, so that curves have one length, unless the run
        diverges).

    Returns
    -------
    result : RelearnResult
        A divergence issues a ``ConvergenceWarning`` and sets ``converged=False``; the curves
        then stop at the last finite step.
    """
    check_parametric_model(model)
    X_t, y_t = check_model_data(model, X_relearn, y_relearn, "X_relearn", "y_relearn")
    X_v, y_v = check_model_data(model, X_probe, y_probe, "X_probe", "y_probe")
    target_loss = check_nonnegative(target_loss, "target_loss")
    step = resolve_learning_rate(learning_rate, model, [(1.0, X_t)])
    probe = model.loss_function(X_v, y_v)
    theta = model.flat_coef()
    probe_loss = [probe(theta)[0]]
    res = gradient_descent(model.loss_function(X_t, y_t), theta, learning_rate=step,
                           max_iter=check_positive_int(max_iter, "max_iter"), tol=0.0,
                           callback=lambda theta: probe_loss.append(probe(theta)[0]))
    tuned = result_of(model, res, "relearn", "gd", budget_is_rule=True)
    probe_loss = np.asarray(probe_loss)
    hits = np.flatnonzero(probe_loss <= target_loss)
    return RelearnResult(tuned.model, tuned.history, tuned.n_iter, tuned.converged,
                         tuned.message, "relearn", "gd", probe_loss, target_loss,
                         int(hits[0]) if hits.size else None)


def verification_report(model, oracle, split, *, shadows: ShadowModels | None = None,
                        X_candidates=None, y_candidates=None, is_member=None,
                        fpr: float = 0.01) -> dict:
    """Every check of forgetting of this module for one model, as one row of a table.

    Parameters
    ----------
    model : fitted estimator
        The unlearned model (any estimator with ``predict`` and ``score``; ``dist θ`` is
        ``None`` unless both models follow the protocol, as ``SISA`` does not).
    oracle : fitted estimator
        The model retrained on the wanted data only.
    split : emse.datasets.Split
        The data; ``split.X_nonmember, split.y_nonmember`` (unwanted-like data no model saw) are
        needed for the loss attack.
    shadows : emse.membership.ShadowModels, default=None
        Shadow models for LiRA, fitted on ``X_candidates, y_candidates``; LiRA is left out
        (``None`` in its columns) without them.
    X_candidates, y_candidates, is_member : array-like, default=None
        LiRA's candidates and which of them are members (the unwanted data).
    fpr : float, default=0.01
        False-positive level of the reported true-positive rate.

    Returns
    -------
    row : dict
        ``"wanted"``, ``"test"``, ``"unwanted"`` (``model.score``: R² or accuracy),
        ``"dist θ"`` (:func:`parameter_distance`), ``"dist pred"`` (:func:`prediction_distance`
        on the test inputs), ``"loss AUC"`` (:func:`emse.membership.loss_threshold_attack` of
        the unwanted data against the non-members), ``"LiRA AUC"`` and ``"TPR@FPR"``
        (:func:`emse.membership.lira_attack`), ``"KS p"`` (:func:`forget_quality`).
    """
    if split.X_nonmember is None:
        raise ValueError("split must carry non-members (X_nonmember, y_nonmember) for the "
                         "loss attack; got a Split without them.")
    protocol = all(hasattr(m, "flat_coef") for m in (model, oracle))
    row = {
        "wanted": float(model.score(split.X_wanted, split.y_wanted)),
        "test": float(model.score(split.X_test, split.y_test)),
        "unwanted": float(model.score(split.X_unwanted, split.y_unwanted)),
        "dist θ": parameter_distance(model, oracle) if protocol else None,
        "dist pred": prediction_distance(model, oracle, split.X_test),
        "loss AUC": loss_threshold_attack(model, split.X_unwanted, split.y_unwanted,
                                          split.X_nonmember, split.y_nonmember, fpr=fpr).auc,
        "LiRA AUC": None, "TPR@FPR": None,
        "KS p": forget_quality(model, oracle, split.X_unwanted, split.y_unwanted).pvalue,
    }
    if shadows is not None:
        lira = lira_attack(model, shadows, X_candidates, y_candidates, is_member, fpr=fpr)
        row["LiRA AUC"], row["TPR@FPR"] = lira.auc, lira.tpr_at_fpr
    return row
