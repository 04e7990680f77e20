r"""Membership inference: can an attacker tell the forget set from data the model never saw?

* :func:`loss_threshold_attack` (Yeom et al. 2018): a lower loss means "member";
* :func:`lira_attack`, a likelihood-ratio attack with shadow models in the manner of LiRA
  (Carlini et al. 2022), from per-example Gaussian fits of a membership statistic under shadow
  models trained with and without each candidate;
* :func:`ulira_attack`, its unlearning-aware form U-LiRA (Hayes et al. 2025): the shadow models
  that trained on a candidate are then *unlearned* by the method under test, so that the attack
  compares "trained on it, then unlearned" with "never trained on it", which is the question an
  audit of unlearning asks. Plain LiRA compares with "trained on it", and an approximate method
  that lands anywhere else passes it without having forgotten.

Both report the area under the ROC curve and the true-positive rate at a low false-positive
rate (:class:`AttackResult`). An unlearned model should look like the oracle, not like a model
that never saw anything: chapter 5 reads these numbers next to the oracle's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.base import is_classifier
from sklearn.metrics import roc_auc_score, roc_curve

from ._validation import (
    check_features,
    check_model_data,
    check_nonempty,
    check_nonnegative,
    check_positive_int,
    check_same_length,
    encode_labels,
)
from .losses import PROB_FLOOR, per_example_loss

__all__ = [
    "AttackResult",
    "ShadowModels",
    "attack_metrics",
    "fit_shadow_models",
    "lira_attack",
    "lira_scores",
    "loss_threshold_attack",
    "membership_statistic",
    "ulira_attack",
]


@dataclass(frozen=True)
class AttackResult:
    """Success of a membership-inference attack.

    Attributes
    ----------
    auc : float
        Area under the ROC curve; 0.5 is chance, 1 a perfect attack, below 0.5 an attack whose
        signal points the wrong way (members look *less* like members than non-members do).
    tpr_at_fpr : float
        True-positive rate at the largest threshold whose false-positive rate is at most
        ``fpr``.
    fpr : float
        The false-positive level of ``tpr_at_fpr``.
    member_scores, nonmember_scores : ndarray
        The attack's scores (higher means "member").
    """

    auc: float
    tpr_at_fpr: float
    fpr: float
    member_scores: np.ndarray
    nonmember_scores: np.ndarray


def _check_fpr(fpr) -> float:
    fpr = check_nonnegative(fpr, "fpr")
    if not 0 < fpr < 1:
        raise ValueError(f"fpr must be strictly between 0 and 1; got {fpr!r}.")
    return fpr


def attack_metrics(member_scores, nonmember_scores, *, fpr: float = 0.01) -> AttackResult:
    """AUC and true-positive rate at a false-positive rate, from an attack's scores.

    Parameters
    ----------
    member_scores : array-like of shape (n_in,)
        Scores of examples that were in the training set (higher means "member").
    nonmember_scores : array-like of shape (n_out,)
        Scores of examples that were not.
    fpr : float, default=0.01
        False-positive level, strictly between 0 and 1.

    Returns
    -------
    result : AttackResult
        Computed with ``sklearn.metrics.roc_auc_score`` and ``roc_curve``.
    """
    fpr = _check_fpr(fpr)
    scores_in = np.asarray(member_scores, dtype=np.float64).ravel()
    scores_out = np.asarray(nonmember_scores, dtype=np.float64).ravel()
    for scores, name in ((scores_in, "member_scores"), (scores_out, "nonmember_scores")):
        check_nonempty(scores, name)
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"{name} must be finite; got NaN or infinity.")
    labels = np.r_[np.ones(scores_in.size), np.zeros(scores_out.size)]
    scores = np.r_[scores_in, scores_out]
    false_pos, true_pos, _ = roc_curve(labels, scores)
    return AttackResult(float(roc_auc_score(labels, scores)),
                        float(np.max(true_pos[false_pos <= fpr])), fpr, scores_in, scores_out)


def loss_threshold_attack(model, X_members, y_members, X_nonmembers, y_nonmembers, *,
                          fpr: float = 0.01) -> AttackResult:
    """The loss-threshold attack: call an example a member when its loss is small.

    The score of an example is minus its loss (:func:`emse.losses.per_example_loss`); sweeping a
    threshold over it gives the ROC curve of Yeom et al. (2018).

    Parameters
    ----------
    model : fitted estimator
        The model under attack.
    X_members, y_members : array-like of shape (n_in, n_features), (n_in,)
        Examples the attacker should flag (for unlearning: the forget set).
    X_nonmembers, y_nonmembers : array-like of shape (n_out, n_features), (n_out,)
        Examples from the same distribution that the model never saw.
    fpr : float, default=0.01
        False-positive level of the reported true-positive rate.

    Returns
    -------
    result : AttackResult
    """
    X_in, y_in = check_model_data(model, X_members, y_members, "X_members", "y_members")
    X_out, y_out = check_model_data(model, X_nonmembers, y_nonmembers, "X_nonmembers",
                                    "y_nonmembers")
    return attack_metrics(-per_example_loss(model, X_in, y_in),
                          -per_example_loss(model, X_out, y_out), fpr=fpr)


def membership_statistic(model, X, y) -> np.ndarray:
    r"""The per-example statistic of the likelihood-ratio attack.

    For a classifier, the logit-scaled confidence :math:`\log\frac{\pi_y}{1-\pi_y}` that
    Carlini et al. (2022) found to be close to Gaussian across shadow models (from
    ``predict_log_proba`` when the model has it, which every classifier of ``emse`` does,
    otherwise from probabilities clipped to :math:`[10^{-15}, 1 - 10^{-15}]`); for a regressor,
    the signed residual :math:`y - f(x)`, whose spread across shadow models comes from which
    other points each one was trained on.

    Parameters
    ----------
    model : fitted estimator
    X : array-like of shape (n, n_features)
    y : array-like of shape (n,)

    Returns
    -------
    statistic : ndarray of shape (n,)
    """
    X, y = check_model_data(model, X, y, "X", "y", nonempty=False)
    if not is_classifier(model):
        return y - model.predict(X)
    rows, index = np.arange(y.size), encode_labels(model.classes_, y, "y")
    if hasattr(model, "predict_log_proba"):
        log_p = model.predict_log_proba(X)
        others = log_p.copy()
        others[rows, index] = -np.inf
        return log_p[rows, index] - np.logaddexp.reduce(others, axis=1)
    p = np.clip(model.predict_proba(X)[rows, index], PROB_FLOOR, 1.0 - PROB_FLOOR)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class ShadowModels:
    """The attacker's reference models of :func:`fit_shadow_models`.

    Attributes
    ----------
    statistics : ndarray of shape (n_shadows, n_candidates)
        :func:`membership_statistic` of every candidate under every shadow model.
    in_mask : ndarray of bool, shape (n_shadows, n_candidates)
        Whether the candidate was in the shadow model's training set.
    """

    statistics: np.ndarray
    in_mask: np.ndarray


def fit_shadow_models(make_model: Callable, X_fixed, y_fixed, X_candidates, y_candidates, *,
                      n_shadows: int = 16, random_state: int | None = 0,
                      unlearn: Callable | Mapping[str, Callable] | None = None
                      ) -> ShadowModels | dict[str, ShadowModels]:
    """Train shadow models with and without each candidate example.

    Shadow model ``s`` is ``make_model(X, y)`` trained on the fixed data plus a subset of the
    candidates. The subsets are balanced: every candidate is in exactly half of the shadow
    models, chosen at random. With the retained data as the fixed data, an IN shadow model is
    what the trained model would look like and an OUT shadow model what the oracle would look
    like, example by example: a strong attacker, who knows the retained data and the training
    algorithm. With ``unlearn``, every shadow model then unlearns its IN candidates, as U-LiRA
    (Hayes et al. 2025) asks: IN then means "trained on the candidate and unlearned it".

    Parameters
    ----------
    make_model : callable
        ``make_model(X, y) -> fitted estimator``.
    X_fixed, y_fixed : array-like of shape (n_fixed, n_features), (n_fixed,)
        Data every shadow model is trained on (may be empty).
    X_candidates, y_candidates : array-like of shape (m, n_features), (m,)
        Examples whose membership the attack will test.
    n_shadows : int, default=16
        Number of shadow models, an even number ``>= 2``.
    random_state : int, default=0
        Seed of the subsets.
    unlearn : callable or dict, default=None
        ``unlearn(model, X_fixed, y_fixed, X_in, y_in) -> model``, the unlearning method under
        test, applied to every shadow model with its IN candidates as the data to forget. A
        dict of several methods (names to callables) trains every shadow model once and passes it
        through each.

    Returns
    -------
    shadows : ShadowModels or dict
        One :class:`ShadowModels` per method name when ``unlearn`` is a dict, with the same IN
        subsets.
    """
    n_shadows = check_positive_int(n_shadows, "n_shadows")
    methods = unlearn if isinstance(unlearn, Mapping) else {None: unlearn}
    for method in methods.values():
        if method is not None and not callable(method):
            raise TypeError(f"unlearn must be a callable (model, X_fixed, y_fixed, X_in, y_in) "
                            f"-> model, a dict of them, or None; got {type(method).__name__}.")
    if n_shadows % 2:
        raise ValueError(f"n_shadows must be even, so that every candidate is in exactly half "
                         f"of the shadow models; got {n_shadows}.")
    X_c, y_c = check_features(X_candidates, "X_candidates"), np.asarray(y_candidates)
    X_f, y_f = check_features(X_fixed, "X_fixed"), np.asarray(y_fixed)
    check_same_length(X_c, y_c, "X_candidates", "y_candidates")
    check_same_length(X_f, y_f, "X_fixed", "y_fixed")
    check_nonempty(X_c, "X_candidates")
    if X_f.shape[0] and X_f.shape[1] != X_c.shape[1]:
        raise ValueError(f"X_fixed and X_candidates must have the same number of features; "
                         f"got {X_f.shape[1]} and {X_c.shape[1]}.")
    rng = np.random.default_rng(random_state)
    half = np.arange(n_shadows) < n_shadows // 2
    in_mask = np.column_stack([rng.permutation(half) for _ in range(X_c.shape[0])])
    statistics = {name: np.empty(in_mask.shape) for name in methods}
    for s in range(n_shadows):
        X_in, y_in = X_c[in_mask[s]], y_c[in_mask[s]]
        X = np.vstack([X_f, X_in]) if X_f.shape[0] else X_in
        shadow = make_model(X, np.concatenate([y_f, y_in]))
        for name, method in methods.items():
            unlearned = shadow if method is None else method(shadow, X_f, y_f, X_in, y_in)
            statistics[name][s] = membership_statistic(unlearned, X_c, y_c)
    shadows = {name: ShadowModels(stat, in_mask) for name, stat in statistics.items()}
    return shadows if isinstance(unlearn, Mapping) else shadows[None]


def lira_scores(model, shadows: ShadowModels, X_candidates, y_candidates) -> np.ndarray:
    r"""Per-candidate log-likelihood ratio of "member" against "non-member".

    With :math:`s_j` the target model's :func:`membership_statistic` of candidate :math:`j`,
    :math:`\mu^{\mathrm{in}}_j, \mu^{\mathrm{out}}_j` its mean over the shadow models that did and
    did not train on it, and one variance per hypothesis pooled over all candidates (the
    fixed-variance variant Carlini et al. (2022) recommend when shadow models are few),

    .. math::

        \Lambda_j = \log\mathcal N(s_j;\mu^{\mathrm{in}}_j, \sigma_{\mathrm{in}}^2)
                  - \log\mathcal N(s_j;\mu^{\mathrm{out}}_j, \sigma_{\mathrm{out}}^2).

    Parameters
    ----------
    model : fitted estimator
        The model under attack.
    shadows : ShadowModels
        From :func:`fit_shadow_models` on the same candidates.
    X_candidates, y_candidates : array-like of shape (m, n_features), (m,)
        The candidates, in the order the shadow models saw them.

    Returns
    -------
    scores : ndarray of shape (m,)
        Higher means "member".
    """
    target = membership_statistic(model, X_candidates, y_candidates)
    stat, in_mask = shadows.statistics, shadows.in_mask
    if stat.shape[1] != target.size:
        raise ValueError(f"shadows must be fitted on the same {target.size} candidates; they "
                         f"hold {stat.shape[1]}.")
    mean_in = np.sum(stat * in_mask, axis=0) / in_mask.sum(axis=0)
    mean_out = np.sum(stat * ~in_mask, axis=0) / (~in_mask).sum(axis=0)
    sd_in = np.sqrt(np.mean((stat - mean_in)[in_mask] ** 2))
    sd_out = np.sqrt(np.mean((stat - mean_out)[~in_mask] ** 2))
    floor = 1e-12 * (1.0 + np.max(np.abs(stat)))  # identical shadow models: no spread at all
    return (stats.norm.logpdf(target, mean_in, max(sd_in, floor))
            - stats.norm.logpdf(target, mean_out, max(sd_out, floor)))


def lira_attack(model, shadows: ShadowModels, X_candidates, y_candidates, is_member, *,
                fpr: float = 0.01) -> AttackResult:
    """The likelihood-ratio attack of :func:`lira_scores`, scored with :func:`attack_metrics`.

    Parameters
    ----------
    model : fitted estimator
        The model under attack.
    shadows : ShadowModels
        Shadow models fitted on the candidates.
    X_candidates, y_candidates : array-like of shape (m, n_features), (m,)
        The candidates.
    is_member : array-like of bool, shape (m,)
        Which candidates the attacker should flag (for unlearning: the forget set).
    fpr : float, default=0.01
        False-positive level of the reported true-positive rate.

    Returns
    -------
    result : AttackResult
    """
    is_member = np.asarray(is_member)
    if is_member.dtype != bool or is_member.shape != (np.shape(y_candidates)[0],):
        raise ValueError(f"is_member must be a boolean array with one entry per candidate; "
                         f"got dtype {is_member.dtype} and shape {is_member.shape}.")
    scores = lira_scores(model, shadows, X_candidates, y_candidates)
    return attack_metrics(scores[is_member], scores[~is_member], fpr=fpr)


def ulira_attack(model, unlearn: Callable, make_model: Callable, X_wanted, y_wanted,
                 X_candidates, y_candidates, is_member, *, n_shadows: int = 16,
                 random_state: int | None = 0, fpr: float = 0.01) -> AttackResult:
    r"""U-LiRA (Hayes et al. 2025): the likelihood-ratio attack against an unlearning method.

    Shadow models are trained on the wanted data and half of the candidates, as for
    :func:`lira_attack`, and every one of them then unlearns its half with ``unlearn``, the
    method under test. For each candidate, the statistic of :func:`membership_statistic` under
    the shadows that trained on it and unlearned it, and under those that never saw it, are fitted
    by two Gaussians, and the unlearned ``model`` is scored by their likelihood ratio
    (:func:`lira_scores`). An exact method makes the two Gaussians the same, and the attack is at
    chance; a method that leaves a trace of what it unlearned, even one that moves the model away
    from "trained on it", is caught.

    Parameters
    ----------
    model : fitted estimator
        The model under attack: trained on the wanted data and the members, then unlearned.
    unlearn : callable
        ``unlearn(model, X_wanted, y_wanted, X_unwanted, y_unwanted) -> model``: the same
        method, with the same settings, as made ``model``.
    make_model : callable
        ``make_model(X, y) -> fitted estimator``, the training algorithm.
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        The wanted data, in every shadow's training set.
    X_candidates, y_candidates : array-like of shape (m, n_features), (m,)
        The candidates: the unlearned members and non-members from the same distribution.
    is_member : array-like of bool, shape (m,)
        Which candidates ``model`` trained on and unlearned.
    n_shadows : int, default=16
        Number of shadow models, even.
    random_state : int, default=0
        Seed of the shadow training sets.
    fpr : float, default=0.01
        False-positive level of the reported true-positive rate.

    Returns
    -------
    result : AttackResult
        Higher scores mean "trained on it and unlearned it".
    """
    if not callable(unlearn):
        raise TypeError(f"unlearn must be a callable (model, X_wanted, y_wanted, X_unwanted, "
                        f"y_unwanted) -> model; got {type(unlearn).__name__}.")
    shadows = fit_shadow_models(make_model, X_wanted, y_wanted, X_candidates, y_candidates,
                                n_shadows=n_shadows, random_state=random_state, unlearn=unlearn)
    return lira_attack(model, shadows, X_candidates, y_candidates, is_member, fpr=fpr)
