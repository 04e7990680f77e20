"""Tests of emse.tables.Table."""

import numpy as np
import pytest

from emse.tables import Table


def test_text_is_aligned_and_formatted():
    """Numbers are right-aligned with the float format; text is left-aligned."""
    table = Table([{"method": "a", "score": np.float64(0.5)}, {"method": "long name", "n": 3}],
                  floatfmt=".2f", caption="Results")
    lines = str(table).splitlines()
    assert lines[0] == "Results"
    assert lines[1].split() == ["method", "score", "n"]
    assert lines[3] == "a           0.50"
    assert lines[4] == "long name         3"


def test_html_escapes_and_keeps_order():
    """HTML output escapes cells and keeps the column order given."""
    table = Table([{"x": "<b>", "y": 1.0}], columns=["y", "x"])
    text = table._repr_html_()
    assert text.index("<th>y</th>") < text.index("<th>x</th>")
    assert "&lt;b&gt;" in text and "<td>1.000</td>" in text


def test_rows_must_be_mappings():
    """A dict or a list of non-mappings is refused."""
    with pytest.raises(TypeError, match="rows must be a sequence of mappings"):
        Table({"a": 1})
    with pytest.raises(TypeError, match="rows must be a sequence of mappings"):
        Table([1, 2])
