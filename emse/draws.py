r"""Repeated independent draws, and each quantity as a mean with a 95 % interval.

A conclusion that depends on a random draw (of the data, of a forget set, of the shadow models, of
a network's initial weights) is drawn from many draws. The chapters do it in three steps:

1. :func:`repeat` runs an experiment once per draw, each with its own random generator spawned
   from the chapter's ``SEED`` by ``numpy.random.SeedSequence(SEED).spawn``, so that the draws are
   independent and a reader who changes ``SEED`` gets a new, equally valid set of them;
2. the experiment returns one record (a dict) per row of the eventual table, for example one per
   method, with the quantities it measured;
3. :func:`summarize_draws` groups the records (by method, say) and reduces every quantity to an
   :class:`Estimate`: the mean over the draws with its two-sided 95 % Student-t confidence
   interval, :math:`\bar x \pm t_{0.975,\,n-1}\, s/\sqrt n`, with :math:`s` the sample standard
   deviation of the :math:`n` draws. :class:`emse.tables.Table` prints an estimate as
   ``mean ± half-width``.

The t interval assumes that the mean of the draws is close to normally distributed; for a rate (a
mean of 0/1 outcomes, such as how often a test calls a method "forgotten") it is the usual
normal-approximation interval, and where the spread itself is the finding the chapters also show
the individual draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import stats

from ._validation import check_positive_int

__all__ = ["Estimate", "mean_interval", "repeat", "spawn_generators", "summarize_draws"]


@dataclass(frozen=True)
class Estimate:
    """A mean over independent draws with its confidence interval.

    Attributes
    ----------
    mean : float
        The sample mean.
    low, high : float
        The ends of the two-sided Student-t interval.
    n : int
        The number of draws.
    confidence : float
        The interval's confidence level, 0.95 by default.

    Examples
    --------
    >>> estimate = mean_interval([1.0, 2.0, 3.0])
    >>> f"{estimate:.2f}", round(estimate.half_width, 3)
    ('2.00 ± 2.48', 2.484)
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return 0.5 * (self.high - self.low)

    def __contains__(self, value) -> bool:
        return self.low <= value <= self.high

    def __float__(self) -> float:
        return float(self.mean)

    def __format__(self, spec: str) -> str:
        return f"{format(self.mean, spec)} ± {format(self.half_width, spec)}"

    def __str__(self) -> str:
        return format(self, ".3g")


def mean_interval(values, confidence: float = 0.95) -> Estimate:
    """The mean of ``values`` with its two-sided Student-t confidence interval.

    Parameters
    ----------
    values : array-like of shape (n,)
        One finite number per draw, at least two.
    confidence : float, default=0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    estimate : Estimate
        With ``low == high == mean`` when every draw gave the same value.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 2:
        raise ValueError(f"values must hold at least 2 draws for an interval; got {values.size}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite; got NaN or infinity.")
    if isinstance(confidence, bool) or not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number strictly between 0 and 1; got "
                         f"{confidence!r}.")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1)
                 * values.std(ddof=1) / np.sqrt(values.size))
    return Estimate(mean, mean - half, mean + half, int(values.size), float(confidence))


def spawn_generators(seed, n_draws: int) -> list[np.random.Generator]:
    """``n_draws`` independent generators from one seed (``SeedSequence(seed).spawn``).

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        The chapter's ``SEED``, or a sequence spawned from it.
    n_draws : int
        Number of generators, ``>= 1``.

    Returns
    -------
    generators : list of numpy.random.Generator
    """
    n_draws = check_positive_int(n_draws, "n_draws")
    sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.default_rng(child) for child in sequence.spawn(n_draws)]


def repeat(experiment: Callable[[np.random.Generator], Mapping | Sequence[Mapping]], *, seed,
           n_draws: int) -> list[dict]:
    """Run ``experiment`` once per independent draw and collect its records.

    Parameters
    ----------
    experiment : callable
        ``experiment(rng) -> record or list of records``; a record is a dict of quantities (and
        labels such as ``"method"``). Every random choice of the experiment must come from
        ``rng``.
    seed : int or numpy.random.SeedSequence
        The chapter's ``SEED``.
    n_draws : int
        Number of draws, ``>= 1``.

    Returns
    -------
    records : list of dict
        Every record, with ``"draw"`` (0 to ``n_draws - 1``) added.
    """
    if not callable(experiment):
        raise TypeError(f"experiment must be a callable taking a random generator; got "
                        f"{type(experiment).__name__}.")
    records = []
    for draw, rng in enumerate(spawn_generators(seed, n_draws)):
        result = experiment(rng)
        for record in [result] if isinstance(result, Mapping) else result:
            records.append({"draw": draw, **record})
    return records


def summarize_draws(records: Iterable[Mapping], *, by: Sequence[str] = ("method",),
                    metrics: Sequence[str] | None = None,
                    confidence: float = 0.95) -> list[dict]:
    """Group records and reduce every quantity to an :class:`Estimate`.

    Parameters
    ----------
    records : iterable of dict
        As :func:`repeat` returns them.
    by : sequence of str, default=("method",)
        Keys that name a group; groups keep the order of their first record.
    metrics : sequence of str, default=None
        Quantities to reduce; ``None`` takes every key with a real number (or a bool) in the
        first record that is neither in ``by`` nor ``"draw"``. Records whose value is ``None``
        are left out of that quantity's estimate.
    confidence : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    rows : list of dict
        Per group: the ``by`` keys, ``"draws"`` (the group's number of records) and one
        :class:`Estimate` per quantity (``None`` where fewer than two draws had a value).
    """
    records = [dict(record) for record in records]
    if not records:
        raise ValueError("records must hold at least one record; got none.")
    by = [by] if isinstance(by, str) else list(by)
    missing = sorted({key for record in records for key in by if key not in record})
    if missing:
        raise ValueError(f"every record must hold the keys of by; missing {missing}.")
    if metrics is None:
        metrics = [key for key, value in records[0].items()
                   if key not in by and key != "draw" and isinstance(value, Real)]
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        groups.setdefault(tuple(record[key] for key in by), []).append(record)
    rows = []
    for labels, group in groups.items():
        row = {**dict(zip(by, labels, strict=True)), "draws": len(group)}
        for metric in metrics:
            values = [float(r[metric]) for r in group if r.get(metric) is not None]
            row[metric] = mean_interval(values, confidence) if len(values) > 1 else None
        rows.append(row)
    return rows
