"""Sphinx extension: a button on every chapter page that opens the chapter in the browser edition.

``make lite`` (tools/lite_edition.py) builds the in-browser edition into ``lite/`` beside the
HTML book, with every chapter notebook (book/0*.ipynb) at the root of its file browser. Each
chapter page gets a "Run in the browser" button in its header that opens the chapter there, in
JupyterLab on Pyodide. The link is relative (``../lite/lab/index.html?path=NN-name.ipynb`` from
``book/NN-name.html``), so it works wherever the book and the edition are hosted together. Loaded
through ``sphinx.local_extensions`` in _config.yml; ``lite_launch_button = False`` turns it off.
"""

from __future__ import annotations

import posixpath
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

LITE_DIR = "lite"
"""The in-browser edition's folder, relative to the HTML book's root."""

CHAPTER_PATTERN = "0*.ipynb"
"""Source files that are chapters (the contents of the in-browser edition)."""

BUTTON_LABEL = "lite-launch"


def lite_url(pagename: str, notebook: str) -> str:
    """The relative URL, from the page ``pagename``, that opens ``notebook`` in the edition."""
    here = posixpath.dirname(pagename) or "."
    return f"{posixpath.relpath(f'{LITE_DIR}/lab/index.html', here)}?path={notebook}"


def add_lite_button(app, pagename: str, templatename: str, context: dict[str, Any],
                    doctree) -> None:
    """Put the button first among the page's header buttons when the page is a chapter."""
    if not app.config.lite_launch_button or doctree is None or "header_buttons" not in context:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb" or not fnmatch(source.name, CHAPTER_PATTERN):
        return
    context["header_buttons"].insert(0, {
        "type": "link",
        "url": lite_url(pagename, source.name),
        "text": "Run in the browser",
        "tooltip": "Run this chapter in your browser (JupyterLite with Pyodide: nothing to "
                   "install, nothing sent anywhere)",
        "icon": "fas fa-play",
        "label": BUTTON_LABEL,
    })


def setup(app) -> dict[str, Any]:
    # A derived build that must not link to the full chapters (the student edition, whose
    # chapters have no solutions) sets lite_launch_button: false in its sphinx config.
    app.add_config_value("lite_launch_button", True, "html", [bool])
    # After sphinx-book-theme's own header buttons (priority 501) have been prepared.
    app.connect("html-page-context", add_lite_button, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
