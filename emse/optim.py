"""Plain gradient descent with divergence detection: the optimiser the EMSE paper describes.

scipy's L-BFGS is the tool of choice for the objectives of this book; plain gradient descent is
kept because it is what the paper uses and because its failures (a step too long, an objective
unbounded below) are part of the lesson. It never returns NaN: a run whose iterates stop being
finite, or grow without bound, ends with ``status = 2`` and the last finite iterate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import OptimizeResult

from ._validation import check_nonnegative, check_positive_int, check_targets

__all__ = ["gradient_descent"]

#: Iterates larger than this multiple of (1 + |theta0|) count as divergence.
DIVERGENCE_FACTOR = 1e8

_STATUS_MESSAGES = {
    0: "Converged: the gradient's largest entry fell below tol.",
    1: "Stopped: max_iter iterations reached before the gradient fell below tol.",
    2: "Diverged: the iterates or the objective stopped being finite or grew without bound; "
       "the last finite iterate is returned. Lower learning_rate, or check that the objective "
       "is bounded below (for EMSE_mu, that mu < mu*).",
}


def gradient_descent(
    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0,
    *,
    learning_rate: float,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> OptimizeResult:
    r"""Minimise by :math:`\theta_{k+1} = \theta_k - \eta\,\nabla f(\theta_k)`.

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
        Stop when ``max(abs(grad)) <= tol``; ``>= 0``.

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
    if check_nonnegative(learning_rate, "learning_rate") == 0:
        raise ValueError(f"learning_rate must be a finite number > 0; got {learning_rate!r}.")
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonnegative(tol, "tol")
    theta = np.array(check_targets(theta0, "theta0"), dtype=np.float64, copy=True)
    bound = DIVERGENCE_FACTOR * (1.0 + np.linalg.norm(theta))
    value, grad = value_and_grad(theta)
    history = [value]
    status, n_iter = 1, 0
    for n_iter in range(1, max_iter + 1):
        if np.max(np.abs(grad)) <= tol:
            status, n_iter = 0, n_iter - 1
            break
        candidate = theta - learning_rate * grad
        new_value, new_grad = value_and_grad(candidate)
        finite = np.isfinite(new_value) and np.all(np.isfinite(new_grad))
        if not finite or np.linalg.norm(candidate) > bound:
            status, n_iter = 2, n_iter - 1
            break
        theta, value, grad = candidate, new_value, new_grad
        history.append(value)
    else:
        if np.max(np.abs(grad)) <= tol:
            status = 0
    return OptimizeResult(
        x=theta, fun=float(value), jac=grad, nit=n_iter, success=status == 0, status=status,
        message=_STATUS_MESSAGES[status], history=np.asarray(history),
    )
