"""Interactive explorers: thin ipywidgets wrappers around pure plotting functions.

Every explorer in the book is a pure function ``plot_something(**parameters)`` that draws one
static figure from keyword arguments with defaults. A chapter first calls it once with the
defaults (the static fallback, seen in the HTML book, the PDF and by nbval), then hands it to
:func:`explore` in a cell tagged ``nbval-ignore-output`` so that readers running the notebook can
move the sliders. This module is the only place that imports ipywidgets.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["explore"]


def explore(plot_function: Callable[..., object], **controls):
    """Attach sliders to a pure plotting function.

    Parameters
    ----------
    plot_function : callable
        Draws one figure from keyword arguments; called again whenever a control moves.
    **controls
        One ipywidgets control (or an ``interact`` abbreviation such as ``(0.0, 1.0, 0.1)``) per
        keyword argument of ``plot_function`` to expose.

    Returns
    -------
    widget : ipywidgets.Widget
        The interactive widget (displayed by Jupyter when it is the cell's last value).
    """
    if not callable(plot_function):
        raise TypeError(f"plot_function must be callable; got {type(plot_function).__name__}.")
    if not controls:
        raise ValueError("controls must name at least one keyword argument of plot_function.")
    from ipywidgets import interactive

    return interactive(plot_function, **controls)
