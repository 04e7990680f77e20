"""The print edition: the whole book as one PDF (Jupyter Book's LaTeX builder and xelatex).

::

    python tools/print_edition.py            # -> _build/latex/emse-book.pdf (what `make pdf` runs)
    python tools/print_edition.py --output /tmp/print   # -> /tmp/print/_build/latex/emse-book.pdf
    python tools/print_edition.py --check _build/latex/emse-book.pdf   # only check a built PDF

The build renders the committed outputs (``execute_notebooks: off``, like the test build of
tools/book_build.py; ``make test`` checks with nbval that they are what a fresh run gives), with
no HTML static files, and with the book's own ``_config.yml`` otherwise: its LaTeX settings
(``latex:`` and the ``latex_*`` entries of ``sphinx.config``), the stand-in
``tools/latex/bbm.sty`` and the LaTeX-only transforms of tools/print_tables.py (result tables
typeset as tables) and tools/print_proofs.py (proofs as text). Sphinx runs with the book's flags
except -W (:data:`FLAGS`), so that a warning does not stop the PDF from being made; then latexmk
runs xelatex. Sphinx's and latexmk's output is kept next to the PDF, in ``build.log``.

The TeX system is Debian's: ``make tex`` (a step of ``make pdf``) installs the packages named
by ``TEX_PACKAGES`` in the Makefile when one is missing. After the build, :func:`check_pdf`
reports every problem it finds, and the command exits with 1 when there is one: a warning of
the build (an unresolved reference is one, under -n), an unresolved reference in the PDF ("??"),
raw markup of a directive or role that did not render, a chapter title missing from the PDF's
text (read with pdftotext, from poppler-utils), a character missing from a font (xelatex's
log). tests/test_pdf.py runs the same checks, and more, on one build per test run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from book_build import (
    JB_FLAGS,
    ROOT,
    derive_config,
    jupyter_book,
    load_config,
    toc_files,
    write_config,
)

__all__ = ["FLAGS", "RAW_MARKUP", "PrintBuild", "build_pdf", "chapter_titles",
           "check_pdf", "pdf_name", "pdf_text", "warnings_of"]

FLAGS = tuple(flag for flag in JB_FLAGS if flag != "-W")
"""The book's Jupyter Book flags without -W: a warning does not stop the PDF from being made;
:func:`check_pdf` reports it instead."""

RAW_MARKUP = ("??", "{glue", "{prf", "{cite}", "{numref}", ":::")
"""Text that must not appear in the PDF: "??" is LaTeX's unresolved reference; the others are
MyST markup that did not render (a role or a colon-fenced directive printed as text). Code
blocks may show backtick fences, so those are not searched for."""

LOG = "build.log"
"""Sphinx's and latexmk's output, written next to the PDF."""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def pdf_name(root: Path | str = ROOT) -> str:
    """The PDF's file name: ``latex.latex_documents.targetname`` of _config.yml, as .pdf."""
    config = load_config(root)
    target = config.get("latex", {}).get("latex_documents", {}).get("targetname", "book.tex")
    return str(Path(target).with_suffix(".pdf"))


def warnings_of(log: str) -> list[str]:
    """The warning lines of a Sphinx log, without colour codes."""
    return [line for line in _ANSI.sub("", log).splitlines() if "WARNING:" in line]


@dataclass(frozen=True)
class PrintBuild:
    """The outcome of one build: the PDF (None when none was made), exit code, log, wall time."""

    pdf: Path | None
    returncode: int
    log: str
    seconds: float


def build_pdf(output: Path | str | None = None, root: Path | str = ROOT) -> PrintBuild:
    """Build the PDF from the committed outputs; never raises on a failed build.

    ``output`` is the folder that receives ``_build/latex/`` (default: the book root, so the
    PDF lands in ``<root>/_build/latex/``). A PDF left by an earlier build is removed first.
    """
    root = Path(root).resolve()
    missing = [tool for tool in ("xelatex", "latexmk") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"{' and '.join(missing)} not found: `make tex` installs Debian's "
                           "TeX packages (as root; TEX_PACKAGES in the Makefile)")
    output = Path(output).resolve() if output is not None else root
    pdf = output / "_build" / "latex" / pdf_name(root)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="emse-print-") as folder:
        # No HTML static files: the PDF needs none, and the browser assets (_assets/, staged
        # by `make assets`) need not exist for it.
        derived = derive_config(load_config(root), root=root, execute="off",
                                sphinx_config={"html_static_path": []})
        config = write_config(derived, Path(folder) / "_config.yml")
        command = [jupyter_book(), "build", str(root), "--path-output", str(output),
                   "--config", str(config), "--builder", "pdflatex", *FLAGS]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
        seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    if pdf.parent.is_dir():
        (pdf.parent / LOG).write_text(log, encoding="utf-8")
    made = pdf.is_file()
    return PrintBuild(pdf=pdf if made else None,
                      returncode=result.returncode if made else (result.returncode or 1),
                      log=log, seconds=seconds)


def pdf_text(pdf: Path | str) -> str:
    """The PDF's text, by pdftotext (poppler-utils), pages separated by form feeds."""
    if shutil.which("pdftotext") is None:
        raise RuntimeError("pdftotext not found: `make tex` installs it (Debian's poppler-utils)")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                            text=True, check=True)
    return result.stdout


def chapter_titles(root: Path | str = ROOT) -> list[str]:
    """The first-level heading of every page of _toc.yml, in reading order, as plain text."""
    titles = []
    for stem in toc_files(root):
        base = Path(root) / stem
        if base.with_suffix(".ipynb").is_file():
            notebook = json.loads(base.with_suffix(".ipynb").read_text(encoding="utf-8"))
            lines = [line for cell in notebook["cells"] if cell["cell_type"] == "markdown"
                     for line in "".join(cell["source"]).splitlines()]
        else:
            lines = base.with_suffix(".md").read_text(encoding="utf-8").splitlines()
        heading = next((line[2:].strip() for line in lines if line.startswith("# ")), None)
        if heading is None:
            raise ValueError(f"{stem} has no first-level heading")
        titles.append(_plain(heading))
    return titles


def _plain(text: str) -> str:
    """Markdown heading text as it prints: no emphasis marks, roles or code ticks."""
    text = re.sub(r"\{[a-z:-]+\}`([^`]*)`", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()


def _squash(text: str) -> str:
    """Text with line-end hyphens joined, straight quotes and single spaces, case-folded."""
    text = re.sub(r"-\n\s*", "-", text)
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).casefold()


def check_pdf(pdf: Path | str, root: Path | str = ROOT, log: str | None = None) -> list[str]:
    """Every problem of a built PDF, as sentences (an empty list when there is none).

    Parameters
    ----------
    pdf : path
        The PDF. Its text is searched for :data:`RAW_MARKUP` and for every title of
        :func:`chapter_titles`; xelatex's log next to it (``.log``), when there is one, for
        characters missing from a font.
    root : path, default the repository root
        The book root (its _toc.yml names the chapters).
    log : str, optional
        The build's output, searched for warnings; by default ``build.log`` next to the PDF
        (when there is one).
    """
    pdf = Path(pdf)
    if not pdf.is_file():
        raise ValueError(f"pdf must be a PDF file, got {pdf}")
    problems = []
    if log is None and (pdf.parent / LOG).is_file():
        log = (pdf.parent / LOG).read_text(encoding="utf-8")
    warnings = warnings_of(log or "")
    if warnings:
        problems.append(f"{len(warnings)} warning(s) in the build, first: "
                        + " | ".join(warnings[:5]))
    pages = pdf_text(pdf).split("\f")
    for marker in RAW_MARKUP:
        hits = [number for number, page in enumerate(pages, 1) if marker in page]
        if hits:
            problems.append(f"{marker!r} printed on page(s) {hits[:10]}")
    text = _squash("\n".join(pages))
    problems += [f"chapter title missing: {title!r}" for title in chapter_titles(root)
                 if _squash(title) not in text]
    tex_log = pdf.with_suffix(".log")
    if tex_log.is_file():
        missing = sorted(set(re.findall(r"Missing character: There is no (.+?)!",
                                        tex_log.read_text(encoding="utf-8", errors="replace"))))
        if missing:
            problems.append(f"characters missing from a font: {missing[:10]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=None,
                        help="folder that receives _build/latex/ (default: the book root)")
    parser.add_argument("--check", type=Path, default=None, metavar="PDF",
                        help="only check an existing PDF")
    args = parser.parse_args(argv)
    if args.check is not None:
        pdf = args.check
    else:
        print("Building the print edition from the committed outputs (Sphinx's LaTeX builder, "
              "then xelatex; under a minute)...", flush=True)
        build = build_pdf(args.output)
        if build.pdf is None:
            print(build.log[-8000:], file=sys.stderr)
            print(f"error: no PDF was made (exit code {build.returncode}).", file=sys.stderr)
            return 1
        pdf = build.pdf
        print(f"Built in {build.seconds:.0f} s.")
    problems = check_pdf(pdf)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"The print edition is at {pdf.resolve()}"
          + (f", with {len(problems)} problem(s) listed above." if problems else "."))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
