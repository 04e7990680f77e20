"""One figure style for every chapter: sizes, colours and the two plots every chapter draws."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["COLORS", "FIGSIZE", "STYLE", "new_figure", "plot_fits", "plot_split",
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
