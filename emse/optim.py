"""The package's minimisers and the result type of every iterative method.

* :func:`gradient_descent`: plain (optionally projected) gradient descent, the optimiser the EMSE
  paper describes. Its failures (a step too long, an objective unbounded below) are part of the
  lesson, so it detects divergence instead of returning NaN.
* :func:`minimize`: one entry point for scipy's L-BFGS-B and :func:`gradient_descent`, with the
  objective's history recorded and a guard that stops a run whose iterates or objective run away.
* :class:`UnlearningResult`: what every iterative method of ``emse`` returns.

Neither ever returns a non-finite iterate: a run that diverges ends with ``status = 2`` and the
last finite iterate; the methods built on them then warn (``ConvergenceWarning``) and report
``converged=False``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.optimize import OptimizeResult
from sklearn.exceptions import ConvergenceWarning

from ._threads import one_blas_thread
from ._validation import (
    check_choice,
    check_nonnegative,
    check_positive,
    check_positive_int,
    check_targets,
)

__all__ = ["UnlearningResult", "gradient_descent", "minimize", "result_of"]

#: Iterates larger than this multiple of (1 + |theta0|) count as divergence.
DIVERGENCE_FACTOR = 1e8

_STATUS_MESSAGES = {
    0: "Converged: the gradient's largest entry fell below tol.",
    1: "Stopped: max_iter iterations reached before the gradient fell below tol.",
    2: "Diverged: the iterates or the objective stopped being finite or grew without bound; "
       "the last finite iterate is returned. Lower learning_rate, or check that the objective "
       "is bounded below (for EMSE_mu, that mu < mu*).",
}


@dataclass(frozen=True)
class UnlearningResult:
    """What every iterative method of ``emse`` returns.

    Attributes
    ----------
    model : fitted estimator
        A new model with the final parameters; the input model is untouched.
    history : ndarray of shape (n_iter + 1,)
        Objective value at the start and after every iteration.
    n_iter : int
        Number of iterations taken (1 for a closed form).
    converged : bool
        Whether the run ended normally: the stopping rule was met, or (for the methods whose
        stopping rule is the budget, such as NegGrad) the budget was spent without divergence.
        ``False`` after a divergence, which also issues a ``ConvergenceWarning``.
    message : str
        Why the run stopped.
    objective : str
        What was minimised: ``"sigma"`` or ``"mu"`` (:func:`emse.unlearn`,
        :func:`emse.neural_unlearn.unlearn_network` for regressors), ``"likelihood"`` (networks
        that classify), ``"neggrad"`` (:func:`emse.baselines.gradient_ascent`), ``"graddiff"``
        (:func:`emse.baselines.descent_ascent` and
        :func:`emse.rounding.descent_ascent_in_box`), ``"fine-tune"``
        (:func:`emse.baselines.fine_tune`), ``"relearn"`` (:func:`emse.verify.relearn`),
        ``"npo"`` (:func:`emse.baselines.npo`), ``"rmu"`` (:func:`emse.neural_unlearn.rmu`) or
        ``"scrub"`` (:func:`emse.neural_unlearn.scrub`).
    method : str
        How: ``"lbfgs"``, ``"newton"`` (closed form), ``"gd"`` or ``"projected-gd"``.
    """

    model: object
    history: np.ndarray
    n_iter: int
    converged: bool
    message: str
    objective: str
    method: str


def gradient_descent(
    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0,
    *,
    learning_rate: float,
    max_iter: int = 1000,
    tol: float = 1e-6,
    bounds: tuple | None = None,
    callback: Callable[[np.ndarray], None] | None = None,
) -> OptimizeResult:
    r"""Minimise by :math:`\theta_{k+1} = \Pi\bigl(\theta_k - \eta\,\nabla f(\theta_k)\bigr)`.

    :math:`\Pi` is the identity, or the projection onto a box when ``bounds`` is given.

    Parameters
    ----------
    value_and_grad : callable
        ``value_and_grad(theta) -> (f, grad)``, as for ``scipy.optimize.minimize(jac=True)``.
    theta0 : array-like of shape (p,)
        Starting point, finite (not modified).
    learning_rate : float
        Step length η, finite and ``> 0``.
    max_iter : int, default=1000
        Largest number of steps, ``>= 1``.
    tol : float, default=1e-6
        Stop when ``max(abs(grad)) <= tol``; ``>= 0`` (``0`` takes every step).
    bounds : tuple, default=None
        ``(low, high)``, two arrays of shape (p,): a box the iterates are clipped to after every
        step.
    callback : callable, default=None
        ``callback(theta)`` after every accepted step.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x`` (last finite iterate), ``fun``, ``nit`` (steps taken), ``success``, ``status``
        (0 converged, 1 max_iter, 2 diverged), ``message``, and ``history``: the objective at
        ``theta0`` and after every step, of length ``nit + 1``.

    Raises
    ------
    ValueError, TypeError
        On invalid input, naming the argument.
    """
    if not callable(value_and_grad):
        raise TypeError(f"value_and_grad must be a callable returning (value, gradient); got "
                        f"{type(value_and_grad).__name__}.")
    learning_rate = check_positive(learning_rate, "learning_rate")
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonnegative(tol, "tol")
    theta = np.array(check_targets(theta0, "theta0"), dtype=np.float64, copy=True)
    low, high = (None, None) if bounds is None else bounds
    limit = DIVERGENCE_FACTOR * (1.0 + np.linalg.norm(theta))
    value, grad = value_and_grad(theta)
    history = [value]
    status, n_iter = 1, 0
    for n_iter in range(1, max_iter + 1):
        if np.max(np.abs(grad)) <= tol:
            status, n_iter = 0, n_iter - 1
            break
        candidate = theta - learning_rate * grad
        if bounds is not None:
            candidate = np.clip(candidate, low, high)
        with np.errstate(over="ignore", invalid="ignore"):
            new_value, new_grad = value_and_grad(candidate)
        finite = np.isfinite(new_value) and np.all(np.isfinite(new_grad))
        if not finite or np.linalg.norm(candidate) > limit:
            status, n_iter = 2, n_iter - 1
            break
        theta, value, grad = candidate, new_value, new_grad
        history.append(value)
        if callback is not None:
            callback(theta)
    else:
        if np.max(np.abs(grad)) <= tol:
            status = 0
    return OptimizeResult(
        x=theta, fun=float(value), jac=grad, nit=n_iter, success=status == 0, status=status,
        message=_STATUS_MESSAGES[status], history=np.asarray(history),
    )


class _Diverged(Exception):
    """Raised inside a guarded objective when the iterates run away."""


@one_blas_thread
def minimize(
    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0,
    *,
    method: str = "lbfgs",
    max_iter: int = 1000,
    tol: float = 1e-6,
    learning_rate: float | None = None,
    ftol: float | None = 10 * np.finfo(float).eps,
    bounds: tuple | None = None,
    callback: Callable[[np.ndarray], None] | None = None,
) -> OptimizeResult:
    """Minimise by L-BFGS-B or gradient descent; never returns a non-finite iterate.

    Parameters
    ----------
    value_and_grad : callable
        ``value_and_grad(theta) -> (f, grad)``.
    theta0 : array-like of shape (p,)
        Starting point (not modified).
    method : {"lbfgs", "gd"}, default="lbfgs"
        scipy's L-BFGS-B, or :func:`gradient_descent`.
    max_iter : int, default=1000
        Largest number of iterations, ``>= 1``.
    tol : float, default=1e-6
        Stop when the gradient's largest entry is at most ``tol``.
    learning_rate : float, default=None
        Step of ``method="gd"`` (required there), ``> 0``; not used by ``"lbfgs"``.
    ftol : float or None, default=10 * machine epsilon
        L-BFGS-B's relative reduction of the objective that stops it; ``None`` is scipy's
        default.
    bounds : tuple, default=None
        ``(low, high)``: a box for ``method="gd"`` (projected gradient descent, see
        :func:`gradient_descent`).
    callback : callable, default=None
        ``callback(theta)`` after every step of ``method="gd"``.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``nit``, ``message``, ``history`` (objective at the start and after every
        iteration), ``success`` (the stopping rule was met) and ``status`` (0 converged,
        1 stopped by ``max_iter`` or another rule, 2 diverged). Runs on one BLAS thread.
    """
    check_choice(method, "method", ("lbfgs", "gd"))
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonnegative(tol, "tol")
    theta0 = np.array(check_targets(theta0, "theta0"), dtype=np.float64, copy=True)
    f0 = value_and_grad(theta0)[0]
    limit = DIVERGENCE_FACTOR * (1.0 + np.linalg.norm(theta0))
    floor = -DIVERGENCE_FACTOR * (1.0 + abs(f0))

    def guarded(theta):
        with np.errstate(over="ignore", invalid="ignore"):
            value, grad = value_and_grad(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))) or value < floor or (
                np.linalg.norm(theta) > limit):
            raise _Diverged
        return value, grad

    if method == "gd":
        if learning_rate is None:
            raise ValueError("learning_rate must be given for method='gd'; got None.")

        def stepped(theta):
            try:
                return guarded(theta)
            except _Diverged:
                return np.nan, np.full_like(theta, np.nan)

        return gradient_descent(stepped, theta0, learning_rate=learning_rate,
                                max_iter=max_iter, tol=tol, bounds=bounds, callback=callback)
    for value, name in ((learning_rate, "learning_rate"), (bounds, "bounds"),
                        (callback, "callback")):
        if value is not None:
            raise ValueError(f"{name} applies only to method='gd'; got method={method!r}.")
    options = {"maxiter": max_iter, "gtol": tol}
    if ftol is not None:
        options["ftol"] = check_positive(ftol, "ftol")
    history, last = [f0], [theta0]

    def record(intermediate_result):
        history.append(float(intermediate_result.fun))
        last[0] = np.array(intermediate_result.x, copy=True)

    try:
        res = optimize.minimize(guarded, theta0, jac=True, method="L-BFGS-B", callback=record,
                                options=options)
    except _Diverged:
        return OptimizeResult(x=last[0], fun=history[-1], nit=len(history) - 1, success=False,
                              status=2, message=_STATUS_MESSAGES[2], history=np.asarray(history))
    converged = bool(res.success) or bool(np.max(np.abs(res.jac)) <= tol)
    return OptimizeResult(x=res.x, fun=float(res.fun), jac=res.jac, nit=int(res.nit),
                          success=converged, status=0 if converged else 1,
                          message=str(res.message), history=np.asarray(history))


def result_of(model, res: OptimizeResult, objective: str, method: str, *,
              budget_is_rule: bool = False, stacklevel: int = 3) -> UnlearningResult:
    """Wrap an :func:`minimize` result in an :class:`UnlearningResult`, warning on divergence.

    Parameters
    ----------
    model : emse.protocol.ParametricModel
        Supplies ``with_coef`` for the final parameters.
    res : scipy.optimize.OptimizeResult
        From :func:`minimize` or :func:`gradient_descent`.
    objective, method : str
        As in :class:`UnlearningResult`.
    budget_is_rule : bool, default=False
        Whether spending the iteration budget is the method's stopping rule (NegGrad, GradDiff,
        fine-tuning), so that ``converged`` is false only after a divergence.
    stacklevel : int, default=3
        Of the warning, so that it points at the caller's call.

    Returns
    -------
    result : UnlearningResult
    """
    diverged = res.status == 2
    if diverged:
        warnings.warn(f"{objective} diverged after {res.nit} iterations; returning the last "
                      f"finite iterate. {res.message}", ConvergenceWarning,
                      stacklevel=stacklevel)
    converged = not diverged if budget_is_rule else bool(res.success)
    return UnlearningResult(model.with_coef(res.x), np.asarray(res.history), int(res.nit),
                            converged, str(res.message), objective, method)
