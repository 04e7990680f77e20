"""The book's own cost: executing each chapter, building from a clean cache, rebuilding warm.

* per chapter: wall time to execute the notebook top to bottom in a fresh kernel, as
  ``make execute`` does (same backend, working directory book/, nothing written back);
* full build from a clean cache: ``jupyter-book build`` with the book's _config.yml
  (``execute_notebooks: cache``) into an empty folder, so every chapter executes;
* rebuild, nothing changed: the same command again (Sphinx environment and execution cache warm);
* rebuild every page, cache warm: ``--all`` (fresh Sphinx environment, no chapter executes);
* test build: what ``make test`` does once per run (``build_book`` of tools/book_build.py:
  committed outputs, ``execute_notebooks: off``, into an empty folder).

Each time is one run (these take seconds to minutes; the machine's load shows in them). Every
build uses the book's flags (``-W -n --keep-going``, tools/book_build.py) like ``make book``; a
build that fails is marked. Run with ``make bench`` (or ``PYTHONPATH=tools python
bench/bench_book.py [chapter ...]`` for some chapters only: tools/ must be importable).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from book_build import ROOT, build_book, run_jupyter_book  # tools/book_build.py
from nbclient import NotebookClient


@contextmanager
def kernel_log_silenced() -> Iterator[None]:
    """Send the kernel's start-up log (it inherits file descriptor 2) to /dev/null.

    Errors in cells still raise ``CellExecutionError`` here.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def execute_chapter(path: Path) -> float:
    """Seconds to execute one notebook in a fresh kernel, from book/, without saving it."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    with kernel_log_silenced():
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


def timed_build(out: Path, *extra: str) -> tuple[float, int]:
    """Seconds and exit code of ``jupyter-book build`` of the book into ``out``."""
    start = time.perf_counter()
    result = run_jupyter_book(ROOT, out, *extra)
    return time.perf_counter() - start, result.returncode


def row(label: str, seconds: float, note: str = "") -> str:
    return f"{label:<52}{seconds:>10.1f}  {note}"


def main(selected: list[str]) -> None:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    chapters = sorted((ROOT / "book").glob("*.ipynb"))
    if selected:
        chapters = [path for path in chapters if any(name in path.name for name in selected)]
    print(f"{'what':<52}{'seconds':>10}")
    total = 0.0
    for path in chapters:
        seconds = execute_chapter(path)
        total += seconds
        print(row(f"execute {path.name}", seconds), flush=True)
    print(row(f"execute all {len(chapters)} chapters (sum)", total), flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        tmp = Path(tmp)
        full = tmp / "full"
        for label, extra in (("full build, clean cache (executes every chapter)", ()),
                             ("rebuild, nothing changed", ()),
                             ("rebuild every page (--all), execution cache warm", ("--all",))):
            seconds, code = timed_build(full, *extra)
            print(row(label, seconds, "" if code == 0 else f"FAILED (exit {code})"), flush=True)
        test_dir = tmp / "test"
        test_dir.mkdir()
        test = build_book(test_dir)
        print(row("test build (committed outputs, make test)", test.seconds,
                  "" if test.returncode == 0 else f"FAILED (exit {test.returncode})"))


if __name__ == "__main__":
    main(sys.argv[1:])
