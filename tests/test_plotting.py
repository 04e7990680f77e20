"""Tests of emse.plotting: figures have the book's size, labels and legend."""

import matplotlib.pyplot as plt
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
