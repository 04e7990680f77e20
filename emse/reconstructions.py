r"""Plausible reconstructions of an experiment known only by its "before" value.

The EMSE paper reports R² on wanted data before and after unlearning, but not the data that
produced them. This module treats the setup as an unknown: a *reconstruction* is one choice of
how the unwanted records were corrupted (``kind``), how many there are (``unwanted_share``), how
noisy the data are (``noise``) and the polynomial degree, with the wanted curve
:math:`f(x) = \cos(1.5\pi x)` on :math:`x \sim U(0, 1)` of :func:`emse.datasets.paper_scenario`.
The *magnitude* :math:`\beta` of the corruption is then the one number set so that the fit on
all data has the paper's "before" R² on the wanted data. Unwanted targets are

* ``"offset"``: :math:`y = f(x) + \beta + \varepsilon` (a miscalibrated instrument);
* ``"drift"``: :math:`y = f(x) + \beta x + \varepsilon` (an error that grows along the input);
* ``"gross errors"``: :math:`y = f(x) + \beta z + \varepsilon` with :math:`z \sim N(0, 1)`
  (corrupted records, errors of either sign).

Least squares is linear in the targets, so the fit on all data is
:math:`\theta(\beta) = \theta_0 + \beta\,\theta_g`, where :math:`\theta_0` fits the uncorrupted
targets and :math:`\theta_g` fits the corruption pattern (zero on wanted points), and
:math:`R^2_w(\beta) = 1 - \lVert e - \beta v\rVert^2 / \mathrm{SS}_{tot}` with
:math:`e = y_w - \Phi_w\theta_0` and :math:`v = \Phi_w\theta_g`. Setting it to a target
:math:`t` is a quadratic equation in :math:`\beta`; :func:`calibrated_scenario` takes its
smallest non-negative root, exactly and without a search.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ._validation import check_nonnegative, check_positive_int, check_sigma
from .datasets import PAPER_SIGMA, Split
from .models import PolynomialRegressor

__all__ = ["UNWANTED_KINDS", "calibrated_scenario", "corruption_pattern"]

#: The kinds of corruption of the unwanted targets that :func:`calibrated_scenario` can make.
UNWANTED_KINDS = ("offset", "drift", "gross errors")


def corruption_pattern(kind: str, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    r"""The shape :math:`g` of the corruption: unwanted targets are :math:`f(x) + \beta g`.

    Parameters
    ----------
    kind : {"offset", "drift", "gross errors"}
        Which corruption.
    x : ndarray of shape (n,)
        Inputs of the unwanted points.
    z : ndarray of shape (n,)
        Standard normal draws, used by ``"gross errors"`` only.

    Returns
    -------
    pattern : ndarray of shape (n,)
    """
    if kind == "offset":
        return np.ones_like(x)
    if kind == "drift":
        return np.array(x, dtype=np.float64)
    if kind == "gross errors":
        return np.array(z, dtype=np.float64)
    raise ValueError(f"kind must be one of {UNWANTED_KINDS}; got {kind!r}.")


def calibrated_scenario(
    kind: str,
    target_r2: float,
    *,
    unwanted_share: float,
    noise: float,
    degree: int = 4,
    sigma: float = PAPER_SIGMA,
    n_samples: int = 200,
    n_test: int = 200,
    max_magnitude: float = 10.0,
    random_state=None,
) -> Split | None:
    r"""One draw of a reconstruction, with its magnitude set to a "before" value.

    Parameters
    ----------
    kind : {"offset", "drift", "gross errors"}
        How the unwanted targets are corrupted (see the module's description).
    target_r2 : float
        R² on the wanted training data of the degree-``degree`` least-squares fit on all training
        data, below 1 (for example the paper's 0.43).
    unwanted_share : float
        Fraction of unwanted training points, strictly between 0 and 1.
    noise : float
        Standard deviation of the noise on every target, ``>= 0``.
    degree : int, default=4
        Polynomial degree of the fit, ``>= 0``; stored as ``Split.degree``.
    sigma : float, default=1/sqrt(2)
        EMSE_σ scale stored as ``Split.settings["sigma"]``, ``> 1/sqrt(2*pi)``.
    n_samples, n_test : int, default=200
        Training and held-out wanted points.
    max_magnitude : float, default=10.0
        Largest magnitude :math:`\beta` accepted, ``> 0`` (in units of the target; the wanted
        curve spans [-1, 1]).
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence, default=None
        Source of the inputs, the noise and the gross errors.

    Returns
    -------
    split : Split or None
        The draw, with ``settings`` holding ``"sigma"``, ``"kind"`` and the calibrated
        ``"magnitude"``; ``None`` when no magnitude in ``[0, max_magnitude]`` brings the
        wanted R² of the fit on all data down to ``target_r2`` (the reconstruction cannot start
        where the paper starts).
    """
    if isinstance(target_r2, bool) or not isinstance(target_r2, Real) or not target_r2 < 1:
        raise ValueError(f"target_r2 must be a real number below 1; got {target_r2!r}.")
    if isinstance(unwanted_share, bool) or not isinstance(unwanted_share, Real):
        raise ValueError(f"unwanted_share must be a number; got {unwanted_share!r}.")
    noise = check_nonnegative(noise, "noise")
    degree = check_nonnegative(degree, "degree")
    if int(degree) != degree:
        raise ValueError(f"degree must be an integer >= 0; got {degree!r}.")
    sigma = check_sigma(sigma)
    n_samples = check_positive_int(n_samples, "n_samples")
    n_test = check_positive_int(n_test, "n_test")
    max_magnitude = check_nonnegative(max_magnitude, "max_magnitude")
    n_unwanted = round(unwanted_share * n_samples)
    if not 0 < n_unwanted < n_samples:
        raise ValueError(f"unwanted_share must leave at least one wanted and one unwanted point "
                         f"out of n_samples={n_samples}; got {unwanted_share!r}.")
    corruption_pattern(kind, np.zeros(1), np.zeros(1))  # refuses an unknown kind by name

    rng = np.random.default_rng(random_state)
    n_wanted = n_samples - n_unwanted
    x_w, x_u, x_t = (rng.uniform(0.0, 1.0, n) for n in (n_wanted, n_unwanted, n_test))
    y_w, y_u0, y_t = (np.cos(1.5 * np.pi * x) + noise * rng.standard_normal(x.size)
                      for x in (x_w, x_u, x_t))
    pattern = corruption_pattern(kind, x_u, rng.standard_normal(n_unwanted))

    X_train = np.concatenate([x_w, x_u]).reshape(-1, 1)
    model = PolynomialRegressor(degree=int(degree))
    theta_0 = model.fit(X_train, np.concatenate([y_w, y_u0])).coef_
    theta_g = model.fit(X_train, np.concatenate([np.zeros(n_wanted), pattern])).coef_
    Phi_w = model.design_matrix(x_w.reshape(-1, 1))
    e, v = y_w - Phi_w @ theta_0, Phi_w @ theta_g
    ss_tot = np.sum((y_w - y_w.mean()) ** 2)
    # ||e - beta v||^2 = (1 - target) SS_tot: a quadratic a beta^2 - 2 b beta + c = 0.
    a, b, c = v @ v, e @ v, e @ e - (1.0 - target_r2) * ss_tot
    discriminant = b * b - a * c
    if a == 0 or discriminant < 0:
        return None
    roots = (b + np.array([-1.0, 1.0]) * np.sqrt(discriminant)) / a
    roots = roots[(roots >= 0) & (roots <= max_magnitude)]
    if roots.size == 0:
        return None
    magnitude = float(roots.min())
    description = (f"Reconstruction: {kind} of magnitude {magnitude:.3g} on a share "
                   f"{unwanted_share:g} of the training points, noise {noise:g}, degree "
                   f"{int(degree)}; wanted y = cos(1.5 pi x), x ~ U(0, 1).")
    return Split(x_w.reshape(-1, 1), y_w, x_u.reshape(-1, 1), y_u0 + magnitude * pattern,
                 x_t.reshape(-1, 1), y_t, description=description, degree=int(degree),
                 settings={"sigma": sigma, "kind": kind, "magnitude": magnitude})
