"""The print edition (`make pdf`, tools/print_edition.py): one PDF of the whole book.

The integration tests share one PDF per test run (the module fixture ``printed``): the one
`make pdf` left in _build/latex/ when it is newer than every file it is made from, else a fresh
build into a temporary folder (about a minute; always a fresh build under CI). EMSE_PDF=path
names a built PDF to test instead. They need xelatex, latexmk and pdftotext (`make tex`
installs Debian's packages): without them they are skipped, except under CI (the CI
environment variable set, as .ci/run does), where they fail.

The quick tests check the LaTeX-only transforms (tools/print_tables.py: result tables as tables;
tools/print_proofs.py: proofs as text; tools/print_appendices.py: the last part as appendices)
and the helpers.
"""

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from book_build import toc_files
from docutils import nodes
from print_appendices import first_appendix
from print_edition import (
    LOG,
    RAW_MARKUP,
    ROOT,
    build_pdf,
    chapter_titles,
    check_pdf,
    pdf_name,
    pdf_text,
    warnings_of,
)
from print_proofs import QED, plain_proof
from print_tables import column_spec, parse_emse_table, table_node

from emse.tables import Table

TOOLS = ("xelatex", "latexmk", "pdftotext")
WIDGET = "application/vnd.jupyter.widget-view+json"


def chapters():
    """The notebooks of _toc.yml, as dicts."""
    paths = [(ROOT / stem).with_suffix(".ipynb") for stem in toc_files()]
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths if path.is_file()]


def outputs():
    """Every display output of the chapters (its mime bundle)."""
    return [output.get("data", {}) for notebook in chapters() for cell in notebook["cells"]
            for output in cell.get("outputs", []) if output.get("output_type") != "stream"]


def made_by_make_pdf():
    """_build/latex/'s PDF when `make pdf` made it after every input last changed, else None.

    EMSE_PDF=path/to/emse-book.pdf names a built PDF to test whatever its age.
    """
    if os.environ.get("EMSE_PDF"):
        return Path(os.environ["EMSE_PDF"])
    pdf = ROOT / "_build" / "latex" / pdf_name()
    if os.environ.get("CI") or not pdf.is_file() or not (pdf.parent / LOG).is_file():
        return None
    inputs = [ROOT / "_config.yml", ROOT / "_toc.yml", *(ROOT / "book").rglob("*"),
              *(ROOT / "emse").glob("*.py"), *(ROOT / "tools").glob("*.py"),
              *(ROOT / "tools" / "latex").glob("*")]
    newest = max(path.stat().st_mtime for path in inputs if path.is_file())
    return pdf if pdf.stat().st_mtime > newest else None


@dataclass
class Printed:
    pdf: Path
    log: str  # Sphinx's and latexmk's output
    pages: list[str]  # the text of each page

    @property
    def text(self):
        return "\n".join(self.pages)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The PDF, its build log and its text, once per test run."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = (f"{', '.join(missing)} not found: `make tex` installs Debian's TeX packages "
                   "(as root)")
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the print edition: {message}")
        pytest.skip(message)
    pdf = made_by_make_pdf()
    if pdf is not None:
        log = (pdf.parent / LOG).read_text(encoding="utf-8")
    else:
        build = build_pdf(tmp_path_factory.mktemp("print"))
        assert build.pdf is not None and build.returncode == 0, build.log[-6000:]
        pdf, log = build.pdf, build.log
    return Printed(pdf=pdf, log=log, pages=pdf_text(pdf).split("\f"))


@pytest.mark.integration
def test_build_has_no_warning(printed):
    """Sphinx's LaTeX build warns about nothing (under -n: every reference resolves)."""
    assert warnings_of(printed.log) == []


@pytest.mark.integration
@pytest.mark.parametrize("marker", RAW_MARKUP)
def test_no_unresolved_reference_or_raw_markup(printed, marker):
    """No "??" (an unresolved LaTeX reference) and no directive or role printed as text."""
    pages = [number for number, page in enumerate(printed.pages, 1) if marker in page]
    assert pages == [], f"{marker!r} on page(s) {pages}"


@pytest.mark.integration
def test_every_chapter_title_is_printed(printed):
    """Each page of _toc.yml appears under its title (the check `make pdf` runs)."""
    problems = check_pdf(printed.pdf, log="")
    assert [problem for problem in problems if "title" in problem] == []


@pytest.mark.integration
def test_no_character_is_missing_from_a_font(printed):
    """xelatex found a glyph for every character (set minus, superscript T, stars, ...)."""
    log = printed.pdf.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert re.findall(r"Missing character: There is no .+?!", log) == []


@pytest.mark.integration
def test_result_tables_are_typeset_as_numbered_tables(printed):
    """Each captioned result table (emse.tables.Table) is a table with a numbered caption."""
    html = ["".join(data.get("text/html", "")) for data in outputs()]
    captions = [parse_emse_table(page)[0] for page in html if 'class="emse-table"' in page]
    numbered = re.findall(r"^Table \d+\.\d+: ", printed.text, flags=re.MULTILINE)
    assert len(numbered) >= sum(1 for caption in captions if caption) > 0


@pytest.mark.integration
def test_widgets_print_nothing(printed):
    """Interactive widgets have no print form: their text representation is not printed."""
    reprs = ["".join(data["text/plain"])[:40] for data in outputs() if WIDGET in data]
    assert reprs, "the chapters show widgets; this test needs one"
    flat = re.sub(r"\s+", "", printed.text)
    assert [r for r in reprs if re.sub(r"\s+", "", r) in flat] == []


@pytest.mark.integration
def test_each_exercise_is_followed_by_its_solution(printed):
    """Every solution of the chapters is printed, right after its exercise."""
    markdown = "\n".join("".join(cell["source"]) for notebook in chapters()
                         for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    directives = len(re.findall(r"^(?:```|:::)\{solution(?:-start)?\}", markdown,
                                flags=re.MULTILINE))
    events = [("S" if line == "Solution" else "E") for line in printed.text.splitlines()
              if line == "Solution" or re.match(r"Exercise \d+\.\d+\.\d+( \(|$)", line)]
    assert directives > 0
    assert events.count("S") == directives
    assert "SS" not in "".join(events) and not "".join(events).startswith("S")


@pytest.mark.integration
def test_bibliography_and_index_are_printed(printed):
    """The References chapter lists numbered entries; the book ends with an index of emse."""
    title = chapter_titles()[-1].casefold()  # book/references.md, the last page of _toc.yml
    lines = printed.text.splitlines()
    start = max(i for i, line in enumerate(lines) if line.strip().casefold() == title)
    entries = [int(n) for n in re.findall(r"^\[(\d+)\](?:\s|$)", "\n".join(lines[start:]),
                                          flags=re.MULTILINE)]
    assert len(entries) >= 10 and entries == list(range(1, len(entries) + 1))
    index = [page for page in printed.pages[-40:] if re.match(r"\s*INDEX\b", page)]
    assert index, "no index among the last pages"
    assert "emse.unlearn" in "".join(printed.pages[printed.pages.index(index[0]):])


# Quick tests of the helpers (no TeX needed).

def test_result_table_html_parses_back():
    """The HTML of a Table gives back its caption, header and cells (escaped text included)."""
    table = Table([{"method": "oracle's <fit>", "R2": 0.98}, {"method": "EMSE", "R2": None}],
                  caption="The '+' form & more")
    caption, header, rows = parse_emse_table(table._repr_html_())
    assert caption == "The '+' form & more"
    assert header == ["method", "R2"]
    assert rows == [["oracle's <fit>", "0.980"], ["EMSE", ""]]


def test_other_html_is_refused():
    with pytest.raises(ValueError, match="emse-table"):
        parse_emse_table("<table><tr><td>1</td></tr></table>")
    with pytest.raises(ValueError, match="rows as long"):
        parse_emse_table('<table class="emse-table"><thead><tr><th>a</th><th>b</th></tr>'
                         "</thead><tbody><tr><td>1</td></tr></tbody></table>")


def test_numeric_columns_are_right_aligned():
    rows = [["A", "0.010 ± 0.001", "1e-12", "True", ""], ["B", "-3", "2.5", "False", "7"]]
    assert column_spec(rows) == "LRRLR"
    assert column_spec([]) == ""


def test_table_node_has_caption_header_and_rows():
    table = table_node("cap", ["a", "b"], [["1", "2"], ["3", "4"]])
    assert isinstance(table[0], nodes.title) and table[0].astext() == "cap"
    group = table[1]
    assert group["cols"] == 2
    assert [row.astext().split() for row in group.findall(nodes.row)] == [
        ["a", "b"], ["1", "2"], ["3", "4"]]
    assert not any(isinstance(child, nodes.title) for child in table_node("", ["a"], []))


def test_chapter_titles_follow_the_toc():
    """One plain-text title per page of _toc.yml, the preface's first."""
    titles = chapter_titles()
    assert len(titles) == len(toc_files()) >= 10
    assert titles[0] in (ROOT / "book" / "index.md").read_text(encoding="utf-8")
    assert all(title and not re.search(r"[`*{}]", title) for title in titles)


def test_warnings_of_strips_colour():
    log = "reading\n\x1b[91m/x.md:3: WARNING: undefined label: 'a'\x1b[39;49;00m\ndone"
    assert warnings_of(log) == ["/x.md:3: WARNING: undefined label: 'a'"]


def test_proof_prints_as_text_with_a_square():
    """A proof admonition becomes its paragraphs: "Proof." in italics, a square at the end."""
    admonition = nodes.admonition("", nodes.paragraph(text="Proof. Expand the square."),
                                  nodes.paragraph(text="Done."), classes=["proof", "proof"])
    proof = plain_proof(admonition)
    first, last = proof.children
    assert isinstance(first[0], nodes.emphasis) and first[0].astext() == "Proof."
    assert first.astext() == "Proof. Expand the square."
    assert isinstance(last[-1], nodes.raw) and last[-1].astext() == QED
    assert admonition.astext().startswith("Proof. Expand")  # the input is not modified


def test_appendices_start_after_the_last_numbered_part():
    """The first chapter of the unnumbered parts after the numbered ones opens the appendices."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(ROOT / "_toc.yml")
    parts = site_map.root.subtrees
    expected = next((str(part.items[0]) for i, part in enumerate(parts)
                     if not part.numbered and any(p.numbered for p in parts[:i])), None)
    assert first_appendix(site_map) == expected
    assert first_appendix(None) is None
