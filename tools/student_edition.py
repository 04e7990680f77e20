"""The student edition of the book: the same pages with every solution removed.

This file is two things at once.

1. A Sphinx extension (loaded only by the student build). It

   - turns on sphinx-exercise's ``hide_solutions``, so every ``{solution}`` directive is dropped
     (the non-gated directive form: the gated ``solution-start``/``solution-end`` form crashes
     with ``hide_solutions``);
   - drops every notebook cell tagged ``solution`` while the notebook is read (the committed
     notebooks are not touched);
   - stops copying the page sources into the HTML (``_sources/`` would otherwise hold the full
     notebooks, solutions included) and hides the theme's download buttons that point there.

2. A command that writes a student configuration next to the output, derived from the book's
   ``_config.yml`` (so the two never drift apart; tools/book_build.py derives it and owns the
   Jupyter Book flags), and runs Jupyter Book with it::

       python tools/student_edition.py                      # -> _build/student/_build/html
       python tools/student_edition.py --execute cache      # execute instead of committed outputs
       python tools/student_edition.py --root tests/fixtures/student_book --output /tmp/sb

   By default the build renders the committed outputs (``execute_notebooks: off``); ``make
   test`` checks with nbval that they equal a fresh run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from book_build import derive_config, load_config, run_jupyter_book, write_config

__all__ = ["SOLUTION_TAG", "build_student_edition", "strip_solution_cells", "student_config"]

SOLUTION_TAG = "solution"
"""Cell tag that marks a code cell as part of an exercise's solution."""


def strip_solution_cells(notebook: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a notebook (nbformat JSON as a dict) without its solution cells.

    Parameters
    ----------
    notebook : dict
        A notebook as loaded with ``json.loads``; it is not modified.

    Returns
    -------
    dict
        The same notebook without the cells whose ``metadata.tags`` contain ``"solution"``.
    """
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise TypeError(
            f"notebook must be a dict with a 'cells' list, got {type(notebook).__name__}")
    kept = [cell for cell in notebook["cells"]
            if SOLUTION_TAG not in cell.get("metadata", {}).get("tags", [])]
    return {**notebook, "cells": kept}


def student_config(config: dict[str, Any], *, root: Path | str | None = None,
                   execute: str = "off", extension_dir: Path | None = None) -> dict[str, Any]:
    """Derive the student edition's Jupyter Book configuration from the book's.

    Parameters
    ----------
    config : dict
        The book's ``_config.yml`` as a dict; it is not modified.
    root : path, optional
        The book root. Jupyter Book resolves the folders of ``sphinx.local_extensions`` against
        the folder of the configuration file; the student configuration is written elsewhere,
        so relative folders are made absolute against ``root`` (default: the current folder).
    execute : {"off", "cache", "force", "auto"}, default "off"
        ``execute.execute_notebooks`` of the student build.
    extension_dir : Path, optional
        Folder holding this module (it is loaded as the local Sphinx extension
        ``student_edition``); defaults to the folder of this file.

    Returns
    -------
    dict
        A new configuration: the title marked as the student edition, notebook execution set,
        ``hide_solutions`` on, and this module loaded as a local extension.
    """
    folder = Path(extension_dir) if extension_dir is not None else Path(__file__).parent
    sphinx_config = {"hide_solutions": True}
    if "lite_launch" in config.get("sphinx", {}).get("local_extensions", {}):
        # no "Run in the browser" button: the in-browser edition holds the solutions
        sphinx_config["lite_launch_button"] = False
    return derive_config(
        config, root=root if root is not None else Path.cwd(), execute=execute,
        title=f"{config.get('title', 'Book')} (student edition)",
        sphinx_config=sphinx_config, extensions={"student_edition": folder})


def build_student_edition(root: Path | str = ".", output: Path | str = "_build/student", *,
                          execute: str = "off") -> subprocess.CompletedProcess:
    """Build the student edition of the book at ``root`` into ``output``.

    The HTML lands in ``output/_build/html``. The build runs with the book's flags
    (``book_build.JB_FLAGS``: ``-W -n --keep-going``).

    Parameters
    ----------
    root : path, default "."
        The book root (holds ``_config.yml`` and ``_toc.yml``).
    output : path, default "_build/student"
        Output folder (passed to ``jupyter-book build --path-output``); created if needed.
    execute : str, default "off"
        Notebook execution mode of the student build (see :func:`student_config`).

    Returns
    -------
    subprocess.CompletedProcess
        The finished ``jupyter-book`` run, with its captured output (text).
    """
    root = Path(root).resolve()
    output = Path(output).resolve()
    config = student_config(load_config(root), root=root, execute=execute)
    student_file = write_config(config, output / "_config_student.yml")
    return run_jupyter_book(root, output, config=student_file)


# ----------------------------------------------------------------------------- Sphinx extension

def _strip_notebook_source(app, docname: str, source: list[str]) -> None:
    """``source-read`` handler: drop solution cells from a notebook's JSON text."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    source[0] = json.dumps(strip_solution_cells(notebook), ensure_ascii=False)


def _student_settings(app, config) -> None:
    """``config-inited`` handler: hide solutions and do not publish the page sources."""
    config.hide_solutions = True
    config.html_copy_source = False
    config.html_show_sourcelink = False
    options = dict(config.html_theme_options or {})
    options["use_download_button"] = False
    config.html_theme_options = options


def setup(app) -> dict[str, Any]:
    """Register the student edition's handlers (Sphinx extension entry point)."""
    app.connect("config-inited", _student_settings)
    app.connect("source-read", _strip_notebook_source)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the build's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="book root (default: .)")
    parser.add_argument("--output", default="_build/student",
                        help="output folder (default: _build/student)")
    parser.add_argument("--execute", default="off", choices=["off", "cache", "force", "auto"],
                        help="notebook execution (default: off, render committed outputs)")
    args = parser.parse_args(argv)
    result = build_student_edition(args.root, args.output, execute=args.execute)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        index = Path(args.output).resolve() / "_build" / "html" / "index.html"
        print(f"The student edition is at file://{index}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
