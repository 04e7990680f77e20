"""Tests of emse.plotting: figures have the book's size, labels and legend."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from emse.baselines import retrain
from emse.datasets import Split
from emse.plotting import FIGSIZE, new_figure, plot_fits, plot_split, use_book_style


def test_new_figure_has_book_size():
    """One panel is FIGSIZE."""
    fig, _ = new_figure()
    assert tuple(fig.get_size_inches()) == pytest.approx(FIGSIZE)
    plt.close(fig)


def test_plot_fits_draws_points_curves_labels(model, split):
    """Two scatters, one line per model, labelled axes, a legend."""
    ax = plot_fits(split, {"original": model, "oracle": retrain(model, split.X_wanted,
                                                               split.y_wanted)})
    assert len(ax.collections) == 2 and len(ax.lines) == 2
    assert ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()][-2:] == ["original", "oracle"]
    plt.close(ax.figure)


def test_plot_split_refuses_multifeature(split):
    """Only one-feature data can be drawn."""
    X = split.X_wanted.repeat(2, axis=1)
    two = Split(X, split.y_wanted, X, split.y_wanted, X, split.y_wanted)
    with pytest.raises(ValueError, match="one input feature"):
        plot_split(two)


def test_use_book_style_changes_the_figures_drawn_afterwards():
    """After use_book_style, a plain matplotlib figure has the book's look: 6.4 x 4 inches,
    a grid, no top or right spine, a legend without a frame."""
    top_before = plt.rcParams["axes.spines.top"]  # other tests may have set the style already
    with plt.rc_context():
        use_book_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="line")
        legend = ax.legend()
        assert tuple(fig.get_size_inches()) == pytest.approx((6.4, 4.0))
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
        assert ax.spines["left"].get_visible()
        assert all(line.get_visible() for line in ax.get_xgridlines())
        assert not legend.get_frame_on()
        plt.close(fig)
    fig, ax = plt.subplots()  # the rc_context restored the settings from before it
    assert ax.spines["top"].get_visible() == top_before
    plt.close(fig)


def test_plot_draws_shows_every_draw_and_counts_the_clipped_ones():
    """One point per draw; draws below the floor become triangles at the floor, counted."""
    from emse.plotting import plot_draws

    ax = plot_draws({"a": [0.9, 0.95, 0.97], "b": [0.8, -5.0, -300.0, 0.85]}, floor=-1.0)
    shown = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert shown.size == 7
    assert np.sum(shown == -1.0) == 2 and shown.min() == -1.0
    assert [t.get_text() for t in ax.texts] == ["2 below"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert ax.get_ylim()[0] < -1.0
    plt.close(ax.figure)


def test_plot_draws_without_floor_marks_medians_and_refuses_bad_input():
    """Without a floor nothing is clipped; a median bar per column; NaN and empty refused."""
    from emse.plotting import plot_draws

    ax = plot_draws({"x": [1.0, 2.0, 10.0]})
    assert not ax.texts
    assert [line.get_ydata()[0] for line in ax.lines] == [2.0]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="finite"):
        plot_draws({"x": [1.0, np.nan]})
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_draws({})
