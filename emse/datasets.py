"""Data for unlearning experiments: the ``Split`` container and contaminated regression data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_nonnegative, check_positive_int, check_regression_data

__all__ = ["Split", "make_contaminated_regression"]


@dataclass(frozen=True, eq=False)
class Split:
    """Wanted, unwanted and held-out data for one unlearning experiment.

    The training set is the union of the wanted and the unwanted part; the test set holds fresh
    wanted data only. Arrays are copied and made read-only on construction.

    Attributes
    ----------
    X_wanted, y_wanted : ndarray of shape (n_w, n_features), (n_w,)
        Training data to keep.
    X_unwanted, y_unwanted : ndarray of shape (n_u, n_features), (n_u,)
        Training data to forget.
    X_test, y_test : ndarray of shape (n_test, n_features), (n_test,)
        Held-out data from the wanted process.
    description : str
        How the data were made.
    degree : int or None
        Polynomial degree the experiment uses, for scenario splits.
    settings : dict
        Unlearning settings the experiment uses (for example ``{"sigma": 1.0}``).
    """

    X_wanted: np.ndarray
    y_wanted: np.ndarray
    X_unwanted: np.ndarray
    y_unwanted: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    description: str = ""
    degree: int | None = None
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        n_features = None
        for part in ("wanted", "unwanted", "test"):
            X, y = check_regression_data(getattr(self, f"X_{part}"), getattr(self, f"y_{part}"),
                                         f"X_{part}", f"y_{part}", n_features=n_features)
            if X.shape[0] == 0:
                raise ValueError(f"X_{part} must hold at least one sample; got none.")
            n_features = X.shape[1]
            for name, array in ((f"X_{part}", X), (f"y_{part}", y)):
                array = np.array(array, copy=True)
                array.flags.writeable = False
                object.__setattr__(self, name, array)
        object.__setattr__(self, "settings", dict(self.settings))

    @property
    def sigma(self) -> float | None:
        """The EMSE_σ scale of a scenario, if it sets one."""
        return self.settings.get("sigma")

    @property
    def X_train(self) -> np.ndarray:
        """All training inputs: wanted first, then unwanted."""
        return np.vstack([self.X_wanted, self.X_unwanted])

    @property
    def y_train(self) -> np.ndarray:
        """All training targets, in the order of :attr:`X_train`."""
        return np.concatenate([self.y_wanted, self.y_unwanted])

    @property
    def unwanted_share(self) -> float:
        """Fraction of the training set that is unwanted."""
        return self.y_unwanted.size / (self.y_wanted.size + self.y_unwanted.size)


def make_contaminated_regression(
    wanted_function: Callable[[np.ndarray], np.ndarray],
    unwanted_function: Callable[[np.ndarray], np.ndarray],
    *,
    n_samples: int = 200,
    unwanted_share: float = 0.3,
    noise: float = 0.1,
    x_range: tuple[float, float] = (-1.0, 1.0),
    unwanted_range: tuple[float, float] | None = None,
    n_test: int = 200,
    random_state: int | None = 0,
    description: str = "",
) -> Split:
    r"""Regression data in which a share of the training points follows another process.

    Wanted points: :math:`x \sim U(\texttt{x\_range})`,
    :math:`y = f_w(x) + \varepsilon`. Unwanted points: :math:`x \sim U(\texttt{unwanted\_range})`,
    :math:`y = f_u(x) + \varepsilon`. Test points are fresh wanted points. The noise
    :math:`\varepsilon \sim N(0, \texttt{noise}^2)` is independent everywhere.

    Parameters
    ----------
    wanted_function, unwanted_function : callable
        Vectorised maps from inputs of shape (n,) to targets of shape (n,).
    n_samples : int, default=200
        Training points in all, ``>= 2``.
    unwanted_share : float, default=0.3
        Fraction of training points that are unwanted, strictly between 0 and 1.
    noise : float, default=0.1
        Standard deviation of the noise, ``>= 0``.
    x_range : (float, float), default=(-1.0, 1.0)
        Input range of the wanted and test points.
    unwanted_range : (float, float), default=None
        Input range of the unwanted points; ``None`` means ``x_range``.
    n_test : int, default=200
        Held-out wanted points, ``>= 2``.
    random_state : int, default=0
        Seed of ``numpy.random.default_rng``.
    description : str, default=""
        Stored on the split.

    Returns
    -------
    split : Split
        One-feature data (inputs of shape (n, 1)).
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    n_test = check_positive_int(n_test, "n_test")
    noise = check_nonnegative(noise, "noise")
    unwanted_share = check_nonnegative(unwanted_share, "unwanted_share")
    n_unwanted = round(unwanted_share * n_samples)
    if not 0 < n_unwanted < n_samples:
        raise ValueError(
            f"unwanted_share must leave at least one wanted and one unwanted point out of "
            f"n_samples={n_samples}; got {unwanted_share!r} ({n_unwanted} unwanted)."
        )
    for name, interval in (("x_range", x_range), ("unwanted_range", unwanted_range)):
        if interval is not None and not (len(interval) == 2 and interval[0] < interval[1]):
            raise ValueError(f"{name} must be a pair (low, high) with low < high; "
                             f"got {interval!r}.")
    unwanted_range = x_range if unwanted_range is None else unwanted_range
    rng = np.random.default_rng(random_state)

    def sample(function, interval, n):
        x = rng.uniform(*interval, size=n)
        y = np.asarray(function(x), dtype=np.float64) + noise * rng.standard_normal(n)
        return x.reshape(-1, 1), y

    X_w, y_w = sample(wanted_function, x_range, n_samples - n_unwanted)
    X_u, y_u = sample(unwanted_function, unwanted_range, n_unwanted)
    X_t, y_t = sample(wanted_function, x_range, n_test)
    return Split(X_w, y_w, X_u, y_u, X_t, y_t, description=description)
