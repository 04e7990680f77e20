"""Write chapters exactly as JupyterLab saves them, so that opening and saving one changes nothing.

JupyterLab rewrites two things in a notebook written by ``jupyter nbconvert --execute`` (what
``make execute`` runs), even when nothing is run (checked with this environment's JupyterLab):

* the kernel's name: it records the display name of the kernel it ran, ``Python 3
  (ipykernel)``, in ``metadata.kernelspec``;
* numbers: the browser writes a whole number held as a float (``1.0`` in the saved widget
  state, say) as ``1``, which the server then writes as an integer.

This script makes those two changes itself, and nothing else: ``make execute`` runs it after
executing the chapters, and ``tests/test_newcomer.py`` checks that the committed chapters are in
this form. The outputs are untouched (no output holds a whole-number float today; one that did
would be written as JupyterLab writes it). By hand::

    python tools/notebook_format.py book/*.ipynb           # rewrite in place
    python tools/notebook_format.py --check book/*.ipynb   # exit 1 naming those not in form
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import nbformat

#: What JupyterLab writes for the environment's kernel (ipykernel's kernel spec "python3").
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

#: JavaScript writes whole numbers below 1e21 without a fraction or an exponent.
_JS_INTEGER_LIMIT = 1e21


def as_saved_by_browser(value: Any) -> Any:
    """``value`` with every whole-number float written as an integer, as JavaScript does."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _JS_INTEGER_LIMIT:
        return int(value)
    if isinstance(value, dict):
        return type(value)((key, as_saved_by_browser(item)) for key, item in value.items())
    if isinstance(value, list):
        return [as_saved_by_browser(item) for item in value]
    return value


def lab_form(text: str) -> str:
    """The notebook ``text`` as JupyterLab would save it."""
    notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    notebook = nbformat.from_dict(as_saved_by_browser(notebook))
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    # nbformat.writes is what the Jupyter server saves with; a file ends with a newline.
    written = nbformat.writes(notebook)
    return written if written.endswith("\n") else written + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook is not in JupyterLab's form")
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks:
        text = path.read_text(encoding="utf-8")
        formatted = lab_form(text)
        if formatted == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(formatted, encoding="utf-8")
            print(f"{path}: written as JupyterLab saves it")
    if args.check and stale:
        print("not as JupyterLab saves them (run: python tools/notebook_format.py "
              + " ".join(str(path) for path in stale) + ")", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
