"""Tables of results that print as text and render as HTML in notebooks and in the book.

pandas is not a dependency of the book; chapters build their result tables with :class:`Table`,
which Jupyter shows as an HTML table (``_repr_html_``) and ``print`` shows as aligned text. Both
representations are deterministic, so committed outputs can be compared by nbval.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from numbers import Real

from .draws import Estimate

__all__ = ["Table"]


class Table:
    """A small table of labelled rows.

    Parameters
    ----------
    rows : sequence of mapping
        One mapping per row, from column name to value. Missing entries show as empty cells.
    columns : sequence of str, default=None
        Column order; by default the keys of the rows, in order of first appearance.
    floatfmt : str, default=".3f"
        Format specification of real numbers (not of ints or bools) and of the mean and
        half-width of an :class:`emse.draws.Estimate`, shown as ``mean ± half-width``.
    caption : str, default=""
        Shown above the table.

    Examples
    --------
    >>> print(Table([{"method": "oracle", "R2": 0.98}, {"method": "EMSE", "R2": 0.9712}]))
    method     R2
    ------  -----
    oracle  0.980
    EMSE    0.971
    """

    def __init__(self, rows: Sequence[Mapping], columns: Sequence[str] | None = None, *,
                 floatfmt: str = ".3f", caption: str = ""):
        if isinstance(rows, Mapping) or not all(isinstance(row, Mapping) for row in rows):
            raise TypeError("rows must be a sequence of mappings (one dict per row).")
        self.rows = [dict(row) for row in rows]
        if columns is None:
            columns = list(dict.fromkeys(key for row in self.rows for key in row))
        self.columns = [str(column) for column in columns]
        self.floatfmt = floatfmt
        self.caption = caption

    def _cell(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, Estimate):  # "mean ± half-width of the 95 % interval"
            return format(value, self.floatfmt)
        if isinstance(value, Real) and not isinstance(value, (bool, int)):
            return format(float(value), self.floatfmt)
        return str(value)

    def _grid(self) -> list[list[str]]:
        return [[self._cell(row.get(column)) for column in self.columns] for row in self.rows]

    def __str__(self) -> str:
        grid = self._grid()
        widths = [max([len(c)] + [len(r[i]) for r in grid]) for i, c in enumerate(self.columns)]
        numeric = [all(_is_number(r[i]) for r in grid if r[i]) for i in range(len(self.columns))]

        def line(cells):
            return "  ".join(cell.rjust(w) if num else cell.ljust(w)
                             for cell, w, num in zip(cells, widths, numeric, strict=True)).rstrip()

        lines = [self.caption] if self.caption else []
        lines += [line(self.columns), line(["-" * w for w in widths])]
        lines += [line(r) for r in grid]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in self._grid()
        )
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (f'<table class="emse-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")


def _is_number(text: str) -> bool:
    try:
        for part in text.split(" ± "):
            float(part)
    except ValueError:
        return False
    return True
