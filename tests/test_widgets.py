"""Tests of emse.widgets.explore."""

import ipywidgets
import matplotlib.pyplot as plt
import pytest

from emse.widgets import explore


def _draw(height=1.0):
    fig, ax = plt.subplots()
    ax.bar([0], [height])
    plt.close(fig)
    return height


def test_explore_builds_a_widget_with_one_control_per_keyword():
    """One slider for each control; the function's return value is recorded."""
    widget = explore(_draw, height=ipywidgets.FloatSlider(value=2.0, min=0.0, max=5.0))
    assert len(widget.children) == 2  # the slider and the output area
    assert widget.children[0].value == 2.0
    assert widget.result == 2.0


def test_explore_refuses_bad_arguments():
    """Non-callables and empty controls are refused by name."""
    with pytest.raises(TypeError, match="plot_function must be callable"):
        explore("not a function", height=(0.0, 1.0))
    with pytest.raises(ValueError, match="controls must name"):
        explore(_draw)
