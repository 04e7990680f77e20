"""One figure style for every chapter: sizes, colours and the two plots every chapter draws."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["COLORS", "FIGSIZE", "STYLE", "new_figure", "plot_draws", "plot_fits", "plot_split",
           "use_book_style"]

#: Size in inches of a one-panel figure; panels of a wider figure share this height.
FIGSIZE = (6.4, 4.0)

#: Colour of each role a curve or point can play (colour-blind safe, Okabe-Ito).
COLORS = {
    "wanted": "#0072B2",
    "unwanted": "#D55E00",
    "test": "#999999",
    "original": "#7F7F7F",
    "oracle": "#000000",
    "emse_sigma": "#009E73",
    "emse_mu": "#CC79A7",
    "gd": "#E69F00",
}

#: matplotlib rcParams of the book's figures.
STYLE = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def use_book_style() -> None:
    """Apply :data:`STYLE` to matplotlib (call once, in a chapter's imports cell)."""
    plt.rcParams.update(STYLE)


def new_figure(ncols: int = 1, nrows: int = 1, **kwargs):
    """A figure of ``nrows`` x ``ncols`` panels, each of the book's panel size.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
        As ``plt.subplots`` returns them.
    """
    width, height = FIGSIZE
    size = (width * (1 + 0.75 * (ncols - 1)), height * (1 + 0.85 * (nrows - 1)))
    return plt.subplots(nrows, ncols, figsize=size, layout="constrained", **kwargs)


def plot_split(split, ax=None, *, show_test: bool = False):
    """Scatter the wanted and unwanted training points of a one-feature split.

    Parameters
    ----------
    split : emse.datasets.Split
        Data with a single input feature.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if ``None``.
    show_test : bool, default=False
        Also draw the held-out test points.

    Returns
    -------
    ax : matplotlib Axes
    """
    if split.X_wanted.shape[1] != 1:
        raise ValueError(f"split must have one input feature to be drawn; "
                         f"got {split.X_wanted.shape[1]}.")
    if ax is None:
        _, ax = new_figure()
    if show_test:
        ax.scatter(split.X_test[:, 0], split.y_test, s=8, color=COLORS["test"], alpha=0.5,
                   label="test (wanted)")
    ax.scatter(split.X_wanted[:, 0], split.y_wanted, s=14, color=COLORS["wanted"],
               label="wanted")
    ax.scatter(split.X_unwanted[:, 0], split.y_unwanted, s=14, color=COLORS["unwanted"],
               marker="x", label="unwanted")
    ax.set_xlabel("input $x$")
    ax.set_ylabel("target $y$")
    return ax


def plot_fits(split, models: Mapping[str, object], ax=None, *, colors=None, n_grid: int = 400):
    """Draw a split and the prediction curve of each model.

    Parameters
    ----------
    split : emse.datasets.Split
        One-feature data.
    models : mapping of str to fitted regressor
        Legend label to model.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if ``None``.
    colors : mapping of str to colour, default=None
        Colour per label; labels found in :data:`COLORS` by default.
    n_grid : int, default=400
        Points of each curve.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = plot_split(split, ax)
    X_all = np.vstack([split.X_train, split.X_test])
    grid = np.linspace(X_all.min(), X_all.max(), n_grid).reshape(-1, 1)
    colors = dict(colors or {})
    for label, model in models.items():
        color = colors.get(label, COLORS.get(label))
        ax.plot(grid[:, 0], model.predict(grid), color=color, lw=2, label=label)
    ax.legend(loc="best", fontsize=9)
    return ax


def plot_draws(values: Mapping[str, object], ax=None, *, floor: float | None = None,
               colors: Mapping[str, str] | None = None, ylabel: str = ""):
    """Every draw of one quantity, one column per label, with each column's median marked.

    A strip plot: the draws of a column are spread evenly across its width (no random jitter,
    so the figure is the same on every run), and a short black bar marks the median. Values
    below ``floor`` are drawn at ``floor`` as downward triangles and their number is written
    just above them, so that one catastrophic draw does not squash the others into a line.

    Parameters
    ----------
    values : mapping
        From each column label (a string) to the values of its draws, an array-like of shape
        (n_draws,) with at least one value, all finite.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if ``None``.
    floor : float, default=None
        Lowest value shown; ``None`` shows every value where it is.
    colors : mapping of str to colour, default=None
        Colour per label; labels found in :data:`COLORS` by default, grey otherwise.
    ylabel : str, default=""
        Label of the vertical axis.

    Returns
    -------
    ax : matplotlib Axes
        Its ``texts`` hold one note per column with clipped draws.
    """
    if isinstance(values, np.ndarray) or not isinstance(values, Mapping) or not values:
        raise ValueError("values must be a non-empty mapping from column label to the values "
                         "of the draws.")
    columns = {}
    for label, column in values.items():
        column = np.asarray(column, dtype=np.float64).ravel()
        if column.size == 0 or not np.all(np.isfinite(column)):
            raise ValueError(f"values[{label!r}] must hold at least one finite value; got "
                             f"{column.size} values, {np.sum(~np.isfinite(column))} not finite.")
        columns[str(label)] = column
    if floor is not None and not np.isfinite(floor):
        raise ValueError(f"floor must be a finite number or None; got {floor!r}.")
    if ax is None:
        _, ax = new_figure()
    colors = dict(colors or {})
    for position, (label, column) in enumerate(columns.items()):
        color = colors.get(label, COLORS.get(label, COLORS["test"]))
        spread = np.linspace(-0.25, 0.25, column.size) if column.size > 1 else np.zeros(1)
        clipped = np.zeros(column.size, bool) if floor is None else column < floor
        ax.scatter(position + spread[~clipped], column[~clipped], s=18, color=color, alpha=0.8,
                   zorder=3)
        median = float(np.median(column))
        if floor is None or median >= floor:
            ax.plot([position - 0.32, position + 0.32], [median, median], color="black", lw=1.5,
                    zorder=4)
        if clipped.any():
            ax.scatter(position + spread[clipped], np.full(clipped.sum(), floor), s=30,
                       marker="v", color=color, zorder=3)
            ax.annotate(f"{clipped.sum()} below", (position, floor), xytext=(0, 7),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(columns)), list(columns), rotation=0)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    if floor is not None:
        top = max(float(np.max(column)) for column in columns.values())
        ax.set_ylim(floor - 0.08 * (max(top, floor) - floor + 1e-12) - 0.02,
                    max(top, floor) + 0.05 * (max(top, floor) - floor) + 0.02)
    ax.set_ylabel(ylabel)
    return ax

