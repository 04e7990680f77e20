"""Sphinx extension: the book's result tables typeset as real tables in the print edition.

Chapters show results with :class:`emse.tables.Table`, whose notebook output carries two
representations: an HTML table (``<table class="emse-table">``, with an optional caption) and
aligned plain text. The HTML book shows the first. For LaTeX, myst-nb would choose the plain text,
printed as a monospace block that wraps on a page. Before myst-nb chooses (its ``SelectMimeType``
runs at priority 4), this transform replaces each output bundle holding an ``emse-table`` by a
docutils table (caption as title, header row, body rows), which the LaTeX writer typesets as a
numbered table (numbers right-aligned; a smaller size from five columns on); an output cell
holding nothing else is replaced as a whole, so the table is not boxed as code output. It runs
for the LaTeX builder only: the HTML build is unchanged. Loaded through
``sphinx.local_extensions`` in _config.yml.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

__all__ = ["ResultTablesToLatex", "TableParser", "column_spec", "parse_emse_table",
           "table_node"]

MARKER = 'class="emse-table"'
"""How the HTML of an :class:`emse.tables.Table` starts (``Table._repr_html_``)."""

SMALL_FROM_COLUMNS = 5
"""Tables of this many columns or more are set in a smaller size, so fewer cells wrap."""

LONG_TABLE_ROWS = 30
"""Sphinx typesets a table of more rows as a ``longtable``, which takes no tabulary columns."""


class TableParser(HTMLParser):
    """Collect the caption, the header cells and the body rows of one HTML table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.caption = ""
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self._text: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("caption", "th", "td"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag in ("caption", "th", "td") and self._text is not None:
            text = "".join(self._text).strip()
            self._text = None
            if tag == "caption":
                self.caption = text
            elif self._in_head:
                self.header.append(text)
            elif self.rows:
                self.rows[-1].append(text)

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def parse_emse_table(html: str) -> tuple[str, list[str], list[list[str]]]:
    """``(caption, header, rows)`` of the HTML of an :class:`emse.tables.Table`.

    Raises
    ------
    ValueError
        If ``html`` is not such a table or its rows are not as long as its header.
    """
    if MARKER not in html:
        raise ValueError(f"html must be an emse-table ({MARKER}), got {html[:60]!r}")
    parser = TableParser()
    parser.feed(html)
    parser.close()
    if not parser.header or any(len(row) != len(parser.header) for row in parser.rows):
        raise ValueError(f"html must be a table with one header row and rows as long as it, "
                         f"got {html[:60]!r}")
    return parser.caption, parser.header, parser.rows


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=cell)
        row += entry
    return row


def table_node(caption: str, header: list[str], rows: list[list[str]]) -> nodes.table:
    """A docutils table: ``caption`` as its title (none when empty), one header row."""
    table = nodes.table(classes=["emse-table"])
    if caption:
        table += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    head += _row(header)
    body = nodes.tbody()
    for cells in rows:
        body += _row(cells)
    group += head
    group += body
    return table


def _is_number(text: str) -> bool:
    """Whether a cell is a number or ``mean ± half-width`` (as :class:`emse.tables.Table`)."""
    try:
        for part in text.split("±"):
            float(part.replace("\u2212", "-"))
    except ValueError:
        return False
    return True


def column_spec(rows: list[list[str]]) -> str:
    """tabulary columns: ``R`` (right-aligned) where every filled cell is a number, else ``L``."""
    columns = zip(*rows, strict=True) if rows else ()
    return "".join("R" if any(column) and all(_is_number(c) for c in column if c) else "L"
                   for column in columns)


def _emse_html(bundle: nodes.Element) -> str | None:
    """The HTML of the ``emse-table`` in a myst-nb mime bundle, or None."""
    for child in bundle.children:
        if isinstance(child, nodes.Element) and child.get("mime_type") == "text/html":
            html = child.astext()
            if MARKER in html:
                return html
    return None


def _is_bundle(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element") == "mime_bundle"


class ResultTablesToLatex(SphinxPostTransform):
    """Replace ``emse-table`` outputs by docutils tables (LaTeX builders only)."""

    default_priority = 3  # before myst-nb's SelectMimeType (4) drops the HTML
    builders = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for bundle in list(self.document.findall(_is_bundle)):
            html = _emse_html(bundle)
            if html is None:
                continue
            caption, header, rows = parse_emse_table(html)
            table = table_node(caption, header, rows)
            table.source, table.line = bundle.source, bundle.line
            new: list[nodes.Node] = [table]
            if rows and len(rows) + 1 <= LONG_TABLE_ROWS:
                new.insert(0, addnodes.tabular_col_spec(spec=column_spec(rows)))
            if len(header) >= SMALL_FROM_COLUMNS:
                new = [nodes.raw("", r"\begingroup\small", format="latex"), *new,
                       nodes.raw("", r"\endgroup", format="latex")]
            output = bundle.parent
            if (isinstance(output, nodes.container) and "cell_output" in output["classes"]
                    and len(output.children) == 1):
                output.replace_self(new)
            else:
                bundle.replace_self(new)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(ResultTablesToLatex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
