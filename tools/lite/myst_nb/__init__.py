"""A stand-in for ``myst_nb`` in the in-browser edition of the book (JupyterLite).

The chapters record their numbers with ``from myst_nb import glue``; the book's build reads them
back into the prose. MyST-NB itself does not run in the browser, so the in-browser edition ships
this module instead: :func:`glue` shows the value when asked to (``display=True``, the default)
and otherwise does nothing, since there is no book build to read the value back.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]
__version__ = "0.0.0+lite"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Show ``variable`` as the cell's output when ``display`` is true (``name`` is unused)."""
    if display:
        from IPython.display import display as show

        show(variable, metadata={"scrapbook": {"name": name, "mime_prefix": ""}})
