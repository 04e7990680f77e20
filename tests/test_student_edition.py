"""The student edition (tools/student_edition.py) has the exercises and none of the solutions.

Two books are built, each with ``execute_notebooks: off``, ``-W -n --keep-going``, into a
temporary folder:

* a two-page fixture book (tests/fixtures/student_book) with one exercise and solution in a
  markdown page and one in a notebook, whose solution code cell is tagged ``solution``; it is
  built in both editions, so the same detectors that must find nothing in the student edition
  are shown to find the solutions in the normal one;
* the book itself, whatever the state of its chapters: every exercise of the sources must be in
  the student pages and no solution may be anywhere in the HTML folder.

Solutions are looked for as (1) sphinx-exercise's solution markup and myst-nb's ``tag_solution``
cell class in the HTML, and (2) the text of the solution-tagged cells (source and text outputs)
and of the ``{solution}`` directives, in every text file of the output (pages, search index,
copied sources).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
import student_edition  # tools/student_edition.py (tools/ is on pytest's pythonpath)
import yaml
from book_build import ROOT, derive_config, load_config, run_jupyter_book, write_config

FIXTURE = ROOT / "tests" / "fixtures" / "student_book"

SOLUTION_MARKUP = re.compile(
    r'class="[^"]*\bsolution\b[^"]*"|id="solution-content"|\btag_solution\b')
# The opening line of a fenced block: a directive (```{name} or :::{name}) or literal code.
FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(?:\{([\w-]+)\})?")
TEXT_SUFFIXES = {".html", ".js", ".txt", ".ipynb", ".md", ".json"}


# ----------------------------------------------------------------------------- the sources

def toc_sources(root: Path) -> list[Path]:
    """The source file of every page of a book's _toc.yml."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    stems = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        stems += [entry["file"] for entry in part.get("chapters", [])]
    paths = []
    for stem in stems:
        found = [root / f"{stem}{suffix}" for suffix in (".ipynb", ".md")
                 if (root / f"{stem}{suffix}").is_file()]
        assert found, f"no source for {stem}"
        paths.append(found[0])
    return paths


def _cells(path: Path) -> list[dict]:
    if path.suffix == ".ipynb":
        return json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [{"cell_type": "markdown", "source": path.read_text(encoding="utf-8")}]


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _directives(markdown: str, name: str) -> tuple[list[tuple[list[str], list[str]]], str]:
    """(option lines, body lines) of every ``{name}`` directive of a markdown text, and the
    text outside those directives. Other fenced blocks (code, other directives) are skipped
    whole, so an example of the syntax inside a code block is not taken for the real thing."""
    found, outside, lines, i = [], [], markdown.splitlines(), 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            outside.append(lines[i])
            i += 1
            continue
        fence = match.group(1)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence),
                   len(lines))
        if match.group(2) == name:
            options, body = [], []
            for line in lines[i + 1:end]:
                (options if not body and line.lstrip().startswith(":") else body).append(line)
            found.append((options, body))
        else:
            outside += lines[i:end + 1]
        i = end + 1
    return found, "\n".join(outside)


def _plain_phrases(line: str) -> list[str]:
    """Runs of plain prose in a line of MyST markdown: what renders as the same text."""
    pieces = re.split(r"[`$*_{}\[\]()<>\\|#]", line)
    return [" ".join(piece.split()) for piece in pieces
            if len(piece.split()) >= 4 and len(piece.strip()) >= 25]


def book_contents(root: Path) -> dict:
    """Exercise labels, solution texts and public text of the pages of a book."""
    labels, solution_text, public = [], [], []
    for path in toc_sources(root):
        for cell in _cells(path):
            source = _text(cell["source"])
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] == "code" and student_edition.SOLUTION_TAG in tags:
                solution_text += source.splitlines()
                for output in cell.get("outputs", []):
                    solution_text += _text(output.get("text", "")).splitlines()
                    solution_text += _text(
                        output.get("data", {}).get("text/plain", "")).splitlines()
                continue
            if cell["cell_type"] == "markdown":
                for options, _ in _directives(source, "exercise")[0]:
                    labels += [line.split(":label:")[1].strip() for line in options
                               if ":label:" in line]
                solutions, source = _directives(source, "solution")
                for _, body in solutions:
                    solution_text += [phrase for line in body for phrase in _plain_phrases(line)]
            public.append(source)
    public_text = " ".join(" ".join(public).split())
    texts = {" ".join(line.split()) for line in solution_text}
    texts = sorted(text for text in texts if len(text) >= 16 and text not in public_text)
    return {"exercise_labels": labels, "solution_texts": texts}


# ----------------------------------------------------------------------------- the output

def page_text(path: Path) -> str:
    """Visible text of an output file (tags removed, entities decoded, spaces collapsed)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        raw = html.unescape(re.sub(r"<[^>]+>", "", raw))
    return " ".join(raw.split())


def solution_leaks(html_dir: Path, solution_texts: list[str]) -> list[str]:
    """Every place in a built HTML folder where solution markup or text shows up."""
    leaks = []
    for path in sorted(html_dir.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        if "_static" in path.relative_to(html_dir).parts:
            continue  # theme and extension assets (exercise.css names the classes)
        name = str(path.relative_to(html_dir))
        if path.suffix == ".html":
            markup = SOLUTION_MARKUP.findall(path.read_text(encoding="utf-8"))
            leaks += [f"{name}: markup {item!r}" for item in markup]
        text = page_text(path)
        leaks += [f"{name}: text {item!r}" for item in solution_texts if item in text]
    return leaks


def exercises_missing(html_dir: Path, labels: list[str]) -> list[str]:
    """Exercise labels without an exercise block of that id in the built pages."""
    pages = " ".join(path.read_text(encoding="utf-8") for path in html_dir.rglob("*.html")
                     if "_static" not in path.parts)
    return [label for label in labels
            if not re.search(rf'<div class="exercise[^"]*" id="{re.escape(label)}"', pages)]


def _build(root: Path, out: Path, *, student: bool) -> subprocess.CompletedProcess:
    if student:
        return student_edition.build_student_edition(root, out, execute="off")
    config = write_config(derive_config(load_config(root), root=root, execute="off"),
                          out / "_config.yml")
    return run_jupyter_book(root, out, config=config)


# ----------------------------------------------------------------------------- fixture book

@pytest.fixture(scope="module")
def fixture_builds(tmp_path_factory):
    """The fixture book in both editions: {"normal": html dir, "student": html dir}."""
    builds = {}
    for edition in ("normal", "student"):
        out = tmp_path_factory.mktemp(f"fixture-{edition}")
        result = _build(FIXTURE, out, student=edition == "student")
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
        builds[edition] = out / "_build" / "html"
    return builds


def test_directive_parser_skips_literal_code_blocks():
    text = "\n".join([
        "````markdown", "```{exercise}", ":label: ex-in-code", "", "Not real.", "```", "````",
        "", "```{exercise}", ":label: ex-real", "", "Real.", "```",
        "", "```{solution} ex-real", ":class: dropdown", "", "The answer.", "```", "After."])
    exercises, _ = _directives(text, "exercise")
    assert [options for options, _ in exercises] == [[":label: ex-real"]]
    solutions, outside = _directives(text, "solution")
    assert solutions == [([":class: dropdown"], ["", "The answer."])]
    assert "The answer." not in outside and "After." in outside and "Not real." in outside


def test_fixture_sources_are_understood():
    contents = book_contents(FIXTURE)
    assert contents["exercise_labels"] == ["ex-fixture-page", "ex-fixture-notebook"]
    texts = " | ".join(contents["solution_texts"])
    for expected in ("solution_mean_of_values = sum(values) / len(values)",
                     "solution output marker 2.0", "Divide the sum by the count",
                     "solution text: markdown solution"):
        assert expected in texts, expected


@pytest.mark.integration
def test_detectors_find_solutions_in_the_normal_edition(fixture_builds):
    """The checks can fail: the full edition shows every solution they look for."""
    contents = book_contents(FIXTURE)
    leaks = solution_leaks(fixture_builds["normal"], contents["solution_texts"])
    page_leaks = [leak for leak in leaks if leak.split(":")[0].endswith(".html")]
    for text in contents["solution_texts"]:
        assert any(repr(text) in leak for leak in page_leaks), text
    assert any("tag_solution" in leak for leak in leaks)
    assert any("markup 'class=\"solution" in leak for leak in leaks)


@pytest.mark.integration
def test_fixture_student_edition_has_no_solutions(fixture_builds):
    contents = book_contents(FIXTURE)
    assert solution_leaks(fixture_builds["student"], contents["solution_texts"]) == []
    assert not (fixture_builds["student"] / "_sources").exists()


@pytest.mark.integration
def test_fixture_student_edition_keeps_the_exercises(fixture_builds):
    contents = book_contents(FIXTURE)
    assert exercises_missing(fixture_builds["student"], contents["exercise_labels"]) == []
    text = page_text(fixture_builds["student"] / "notebook.html")
    assert "Exercise text: notebook exercise marker." in text
    assert "Text after the solution stays in both editions." in text
    assert "6" in text  # output of the ordinary code cell


@pytest.mark.integration
def test_committed_fixture_is_untouched(fixture_builds):
    """The student build reads solution cells away without changing the source notebook."""
    notebook = json.loads((FIXTURE / "notebook.ipynb").read_text(encoding="utf-8"))
    assert any("solution" in cell.get("metadata", {}).get("tags", [])
               for cell in notebook["cells"])


# ----------------------------------------------------------------------------- the book

@pytest.fixture(scope="module")
def student_book(tmp_path_factory):
    """The book's student edition (committed outputs, no execution)."""
    out = tmp_path_factory.mktemp("student-edition")
    result = student_edition.build_student_edition(ROOT, out, execute="off")
    return result, out / "_build" / "html"


@pytest.mark.integration
def test_book_student_edition_builds_without_warnings(student_book):
    result, _ = student_book
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


@pytest.mark.integration
def test_book_student_edition_has_no_solutions(student_book):
    _, html_dir = student_book
    assert (html_dir / "index.html").is_file()
    assert solution_leaks(html_dir, book_contents(ROOT)["solution_texts"]) == []
    assert not (html_dir / "_sources").exists()


@pytest.mark.integration
def test_book_student_edition_keeps_every_exercise(student_book):
    _, html_dir = student_book
    assert exercises_missing(html_dir, book_contents(ROOT)["exercise_labels"]) == []


# ----------------------------------------------------------------------------- the helpers

def test_strip_solution_cells_keeps_other_cells_and_the_input():
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "a"},
                          {"cell_type": "code", "metadata": {"tags": ["solution", "hide-input"]},
                           "source": "b"},
                          {"cell_type": "code", "metadata": {"tags": ["hide-input"]},
                           "source": "c"}],
                "metadata": {"kernelspec": {"name": "python3"}}}
    stripped = student_edition.strip_solution_cells(notebook)
    assert [cell["source"] for cell in stripped["cells"]] == ["a", "c"]
    assert stripped["metadata"] == notebook["metadata"]
    assert len(notebook["cells"]) == 3


def test_strip_solution_cells_rejects_a_non_notebook():
    with pytest.raises(TypeError, match="notebook"):
        student_edition.strip_solution_cells(["not", "a", "notebook"])


def test_student_config(tmp_path):
    config = {"title": "T", "execute": {"execute_notebooks": "cache"},
              "sphinx": {"config": {"numfig": True}, "local_extensions": {"ext": "tools"}}}
    student = student_edition.student_config(config, root=tmp_path, execute="off")
    assert student["title"] == "T (student edition)"
    assert student["execute"]["execute_notebooks"] == "off"
    assert student["sphinx"]["config"] == {"numfig": True, "hide_solutions": True}
    # with the launch button's extension loaded, the button is switched off (the in-browser
    # edition holds the solutions)
    config["sphinx"]["local_extensions"]["lite_launch"] = "tools"
    launching = student_edition.student_config(config, root=tmp_path, execute="off")
    assert launching["sphinx"]["config"]["lite_launch_button"] is False
    del config["sphinx"]["local_extensions"]["lite_launch"]
    assert student["sphinx"]["local_extensions"]["ext"] == str((tmp_path / "tools").resolve())
    assert Path(student["sphinx"]["local_extensions"]["student_edition"]).is_dir()
    assert config["execute"]["execute_notebooks"] == "cache"  # input untouched
    assert "hide_solutions" not in config["sphinx"]["config"]


def test_student_config_rejects_an_unknown_execution_mode():
    with pytest.raises(ValueError, match="execute"):
        student_edition.student_config({}, execute="sometimes")
