r"""The comparison experiment of chapters 3 and 4: every method on one split.

One experiment starts from the model trained on all data of a :class:`emse.datasets.Split` and
evaluates, with :func:`emse.metrics.evaluate`, the five rows of the book's comparison table
(:data:`METHODS`):

``"all data"``
    the least-squares polynomial fitted on wanted and unwanted data together (before unlearning);
``"EMSE_sigma"``
    :func:`emse.unlearn` with the likelihood form, minimised by L-BFGS;
``"EMSE_mu"``
    the weighted form at the weight :math:`\mu \in [0, \mu^*)` of a grid that maximises Fair R²
    on the training data (:func:`best_mu`), solved in closed form;
``"gradient descent"``
    the likelihood form minimised by plain gradient descent, the optimiser the paper describes,
    with the step :math:`1/L` that cannot diverge and a fixed budget of iterations;
``"oracle"``
    retraining on the wanted data only (:func:`emse.baselines.retrain`), exact unlearning.

:func:`compare_methods` runs them on one split; its rows are plain dictionaries ready for
:class:`emse.tables.Table`. Over many independent draws, the chapters collect the rows of one
comparison per draw and reduce them with :func:`emse.draws.summarize_draws` (a mean with its
95 % interval per quantity).

Every experiment runs with a single BLAS thread (``threadpoolctl``): its linear algebra is tiny,
and on a busy machine a multi-threaded BLAS slows scipy's L-BFGS down by orders of magnitude.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ._threads import one_blas_thread
from ._validation import check_fitted_model, check_nonnegative, check_positive_int, check_sigma
from .baselines import retrain
from .datasets import Split
from .metrics import METRIC_NAMES, evaluate, exponential_r2, fair_r2, r2
from .models import PolynomialRegressor
from .objectives import critical_mu, emse_sigma_curvature_bound, emse_sigma_objective
from .optim import gradient_descent
from .tables import Table
from .unlearn import UnboundedObjectiveError, UnlearningResult, unlearn
from .verify import prediction_distance

__all__ = [
    "METHODS",
    "Comparison",
    "best_mu",
    "compare_methods",
    "descent_path",
    "sweep",
]

#: Row labels of the comparison table, in display order.
METHODS = ("all data", "EMSE_sigma", "EMSE_mu", "gradient descent", "oracle")


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_methods` returns.

    Attributes
    ----------
    split : emse.datasets.Split
        The data.
    models : dict
        One fitted :class:`~emse.models.PolynomialRegressor` per entry of :data:`METHODS`, in
        that order, keyed by the entry.
    results : dict
        The :class:`~emse.optim.UnlearningResult` of each run behind ``"EMSE_sigma"``,
        ``"EMSE_mu"`` and ``"gradient descent"``.
    rows : list of dict
        One row per method: ``{"method": label, **evaluate(model, split)}``.
    sigma : float
        The EMSE_σ scale used.
    mu : float
        The weight chosen for ``"EMSE_mu"``.
    mu_star : float
        The critical weight μ* of the split and the model trained on all data.
    """

    split: Split
    models: dict
    results: dict
    rows: list
    sigma: float
    mu: float
    mu_star: float

    def table(self, metrics: Sequence[str] = METRIC_NAMES, *, caption: str = "") -> Table:
        """The rows as a :class:`emse.tables.Table` with the columns ``metrics``."""
        return Table(self.rows, ["method", *_check_metrics(metrics)], caption=caption)


def _check_metrics(metrics) -> list[str]:
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in METRIC_NAMES]
    if not metrics or unknown:
        raise ValueError(f"metrics must be names from {METRIC_NAMES}; got {metrics!r}.")
    return metrics


def _check_split(split) -> Split:
    if not isinstance(split, Split):
        raise TypeError(f"split must be an emse.datasets.Split; got {type(split).__name__}.")
    return split


def _resolve(value, split: Split, name: str):
    """An explicit argument, else the split's scenario value, else an error naming both."""
    where = "split.degree" if name == "degree" else f"split.settings[{name!r}]"
    if value is None:
        value = split.degree if name == "degree" else split.settings.get(name)
    if value is None:
        raise ValueError(f"{name} must be given as an argument or by {where}; got None for "
                         f"both.")
    return value


@one_blas_thread
def best_mu(model, split: Split, *, n_grid: int = 50,
            criterion: str = "fair_r2") -> tuple[float, float]:
    r"""The EMSE_μ weight, on a grid below μ*, that maximises a metric.

    The grid is :math:`\mu_k = \mu^* k / n` for :math:`k = 0, \dots, n-1`; each minimiser is
    found in closed form. :math:`\mu = 0` is on the grid and gives retraining on the wanted data,
    so the chosen weight is never worse than the oracle by the criterion.

    Parameters
    ----------
    model : PolynomialRegressor
        The model trained on all data.
    split : emse.datasets.Split
        The data.
    n_grid : int, default=50
        Number of weights tried, ``>= 1``.
    criterion : str, default="fair_r2"
        A key of :data:`emse.metrics.METRIC_NAMES` to maximise. The default uses training data
        only; ``"r2_test"`` would choose the weight on the test set.

    Returns
    -------
    mu : float
        The best weight of the grid (the first one on ties).
    mu_star : float
        The critical weight of ``model`` and ``split``.
    """
    check_fitted_model(model)
    split = _check_split(split)
    n_grid = check_positive_int(n_grid, "n_grid")
    if not isinstance(criterion, str) or criterion not in METRIC_NAMES:
        raise ValueError(f"criterion must be one of {METRIC_NAMES}; got {criterion!r}.")
    mu_star = critical_mu(model, split.X_wanted, split.X_unwanted)
    if mu_star == 0:  # the wanted data do not determine every parameter: only mu = 0 is left
        return 0.0, 0.0
    grid = mu_star * np.arange(n_grid) / n_grid
    scores = [row[criterion] for row in _scores(model, split, _mu_minimisers(model, split, grid))]
    return float(grid[int(np.argmax(scores))]), float(mu_star)


def _mu_minimisers(model, split: Split, mus: np.ndarray) -> np.ndarray:
    """Closed-form EMSE_μ minimisers for many weights below μ*, one batched solve.

    Row k solves :math:`(A_w - \\mu_k A_u)\\theta = b_w - \\mu_k b_u` with
    :math:`A = \\Phi^\\top\\Phi/n` and :math:`b = \\Phi^\\top y/n`, the same system
    as ``unlearn(objective="mu", method="newton")``, which checks every weight and builds a
    model per weight.
    """
    Phi_w, Phi_u = model.design_matrix(split.X_wanted), model.design_matrix(split.X_unwanted)
    A_w, A_u = Phi_w.T @ Phi_w / Phi_w.shape[0], Phi_u.T @ Phi_u / Phi_u.shape[0]
    b_w = Phi_w.T @ split.y_wanted / Phi_w.shape[0]
    b_u = Phi_u.T @ split.y_unwanted / Phi_u.shape[0]
    mus = np.asarray(mus, dtype=np.float64)[:, None]
    return np.linalg.solve(A_w - mus[:, :, None] * A_u, (b_w - mus * b_u)[:, :, None])[:, :, 0]


def _scores(model, split: Split, thetas: np.ndarray) -> list[dict]:
    """:func:`emse.metrics.evaluate` of ``model.with_coef(theta)`` for each row of ``thetas``.

    The same formulas as :mod:`emse.metrics`, vectorised over the parameter vectors: the design
    matrices are built once, the predictions are one matrix product per part of the split, and
    the targets (already checked by the split) are not validated again for every vector.
    """
    r2_of = {}
    for part in ("wanted", "unwanted", "test"):
        y = getattr(split, f"y_{part}")
        residuals = y[:, None] - model.design_matrix(getattr(split, f"X_{part}")) @ thetas.T
        r2_of[part] = 1.0 - np.sum(residuals**2, axis=0) / np.sum((y - y.mean()) ** 2)
    columns = {
        "r2_wanted": r2_of["wanted"], "r2_unwanted": r2_of["unwanted"], "r2_test": r2_of["test"],
        "exp_r2_wanted": np.exp(r2_of["wanted"] - 1.0),
        "exp_r2_unwanted": np.exp(r2_of["unwanted"] - 1.0),
        "fair_r2": r2_of["wanted"] * (1.0 - np.exp(r2_of["unwanted"] - 1.0)),
    }
    return [{name: float(columns[name][k]) for name in METRIC_NAMES}
            for k in range(thetas.shape[0])]


def _criterion(name: str, split: Split, pred: dict) -> float:
    """One entry of :func:`emse.metrics.evaluate`, from predictions on each part of a split."""
    if name == "fair_r2":
        return fair_r2(split.y_wanted, pred["wanted"], split.y_unwanted, pred["unwanted"])
    part = name.rsplit("_", 1)[1]
    score = exponential_r2 if name.startswith("exp_") else r2
    return score(getattr(split, f"y_{part}"), pred[part])


def _unlearn_mu(model, split: Split, mu: float) -> UnlearningResult:
    return unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted,
                   objective="mu", mu=float(mu), method="newton")


def _unlearn_sigma(model, split: Split, sigma: float, **kwargs) -> UnlearningResult:
    return unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted,
                   objective="sigma", sigma=sigma, **kwargs)


@one_blas_thread
def compare_methods(split: Split, *, degree: int | None = None, sigma: float | None = None,
                    n_mu: int = 50, gd_max_iter: int = 1000) -> Comparison:
    """Run every method of :data:`METHODS` on one split.

    Parameters
    ----------
    split : emse.datasets.Split
        The data.
    degree : int, default=None
        Polynomial degree, ``>= 0``; ``None`` takes ``split.degree``.
    sigma : float, default=None
        EMSE_σ scale, ``> 1/sqrt(2*pi)``; ``None`` takes ``split.settings["sigma"]``.
    n_mu : int, default=50
        Size of the grid of :func:`best_mu`.
    gd_max_iter : int, default=1000
        Iteration budget of plain gradient descent.

    Returns
    -------
    comparison : Comparison
    """
    split = _check_split(split)
    degree = _resolve(degree, split, "degree")
    if isinstance(degree, bool) or not isinstance(degree, Integral) or degree < 0:
        raise ValueError(f"degree must be an integer >= 0; got {degree!r}.")
    sigma = check_sigma(_resolve(sigma, split, "sigma"))
    gd_max_iter = check_positive_int(gd_max_iter, "gd_max_iter")

    model = PolynomialRegressor(degree=int(degree)).fit(split.X_train, split.y_train)
    mu, mu_star = best_mu(model, split, n_grid=n_mu)
    results = {
        "EMSE_sigma": _unlearn_sigma(model, split, sigma),
        "EMSE_mu": _unlearn_mu(model, split, mu),
        "gradient descent": _unlearn_sigma(model, split, sigma, method="gd",
                                           max_iter=gd_max_iter),
    }
    models = {"all data": model, **{k: r.model for k, r in results.items()},
              "oracle": retrain(model, split.X_wanted, split.y_wanted)}
    models = {label: models[label] for label in METHODS}
    rows = [{"method": label, **evaluate(m, split)} for label, m in models.items()]
    return Comparison(split, models, results, rows, sigma, mu, mu_star)


@one_blas_thread
def sweep(model, split: Split, objective: str, values: Iterable[float], *,
          oracle=None) -> list[dict]:
    """Metrics of the EMSE minimiser for each value of σ or of μ.

    Parameters
    ----------
    model : PolynomialRegressor
        The model trained on all data.
    split : emse.datasets.Split
        The data.
    objective : {"sigma", "mu"}
        Which parameter the values are: EMSE_σ by L-BFGS, or EMSE_μ in closed form (each
        ``mu`` below μ*, else :class:`emse.UnboundedObjectiveError`).
    values : iterable of float
        The parameter values.
    oracle : fitted regressor, default=None
        The model retrained on the wanted data. When given, every row also holds
        ``"distance to oracle"``, :func:`emse.verify.prediction_distance` of the unlearned model
        to ``oracle`` on ``split.X_test``.

    Returns
    -------
    rows : list of dict
        ``{objective: value, **evaluate(unlearned, split)}`` per value, plus
        ``"distance to oracle"`` when ``oracle`` is given.
    """
    check_fitted_model(model)
    split = _check_split(split)
    if objective not in ("sigma", "mu"):
        raise ValueError(f"objective must be 'sigma' or 'mu'; got {objective!r}.")
    values = [float(v) for v in np.atleast_1d(np.asarray(values, dtype=np.float64))]
    if not values:
        raise ValueError("values must hold at least one value; got none.")
    if oracle is not None and not hasattr(oracle, "predict"):
        raise TypeError(f"oracle must be a fitted regressor with a predict method; got "
                        f"{type(oracle).__name__}.")
    if objective == "mu":  # closed form, one batched solve for every weight
        mu_star = critical_mu(model, split.X_wanted, split.X_unwanted)
        for mu in values:
            if check_nonnegative(mu, "values") > 0 and mu >= mu_star:
                raise UnboundedObjectiveError(mu, mu_star)
        if mu_star > 0:
            models = [model.with_coef(theta) for theta in _mu_minimisers(model, split, values)]
        else:  # only mu = 0 is allowed, and its minimiser is not unique: unlearn's least norm
            models = [_unlearn_mu(model, split, mu).model for mu in values]
    else:
        models = [_unlearn_sigma(model, split, v).model for v in values]
    rows = []
    for v, unlearned in zip(values, models, strict=True):
        row = {objective: v, **evaluate(unlearned, split)}
        if oracle is not None:
            row["distance to oracle"] = prediction_distance(unlearned, oracle, split.X_test)
        rows.append(row)
    return rows


@one_blas_thread
def descent_path(model, split: Split, n_iter: int, *, sigma: float | None = None,
                 every: int = 1) -> list[dict]:
    """Objective and metrics along plain gradient descent on EMSE_σ.

    Runs the gradient descent of ``unlearn(..., method="gd")`` (step ``1/L``) ``every`` steps at
    a time from the model trained on all data, and evaluates each iterate.

    Parameters
    ----------
    model : PolynomialRegressor
        The starting model.
    split : emse.datasets.Split
        The data.
    n_iter : int
        Number of steps, ``>= 1``.
    sigma : float, default=None
        EMSE_σ scale; ``None`` takes ``split.settings["sigma"]``.
    every : int, default=1
        Steps between two recorded iterates, ``>= 1``.

    Returns
    -------
    rows : list of dict
        ``{"iteration": k, "objective": value, **evaluate(iterate, split)}`` for
        ``k = 0, every, 2 * every, ...`` up to ``n_iter`` (fewer if the descent converges).
    """
    check_fitted_model(model)
    split = _check_split(split)
    n_iter = check_positive_int(n_iter, "n_iter")
    every = check_positive_int(every, "every")
    sigma = check_sigma(_resolve(sigma, split, "sigma"))
    Phi_w, Phi_u = model.design_matrix(split.X_wanted), model.design_matrix(split.X_unwanted)
    objective = emse_sigma_objective(Phi_w, split.y_wanted, Phi_u, split.y_unwanted, sigma)
    # The step of unlearn(..., method="gd"): 1/L for the curvature bound L of EMSE_sigma.
    step = 1.0 / emse_sigma_curvature_bound(Phi_w, Phi_u, sigma)
    iterates = [model.flat_coef()]
    result = gradient_descent(objective, iterates[0], learning_rate=step,
                              max_iter=n_iter,
                              callback=lambda theta: iterates.append(theta.copy()))
    kept = range(0, len(iterates), every)
    if (len(iterates) - 1) % every:
        kept = [*kept, len(iterates) - 1]
    scores = _scores(model, split, np.array([iterates[k] for k in kept]))
    return [{"iteration": k, "objective": float(result.history[k]), **row}
            for k, row in zip(kept, scores, strict=True)]
