"""Every chapter has the book's skeleton (DESIGN.md section 4), checked on the committed files.

A label and a title, learning goals before the first section, a summary, exercises each with a
solution, every code cell executed with its outputs committed, and no import of a package the
book does not depend on.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _markdown(path) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")


def test_there_are_seven_chapters():
    """The chapters of DESIGN.md section 4 are all present."""
    assert len(CHAPTERS) == 7


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_skeleton(path):
    """Label, title, learning goals before the first section, summary, exercises."""
    text = _markdown(path)
    assert re.match(r"\(chapter-[a-z0-9-]+\)=\n# ", text), "label and title first"
    first_section = text.index("\n## ")
    goals = text[:first_section].lower()
    assert "you will be able to" in goals or "learning goals" in goals, "learning goals"
    assert "\n## Summary" in text
    assert "\n## Exercises" in text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_has_a_solution(path):
    """Each labelled exercise has a solution directive that names it."""
    text = _markdown(path)
    labels = re.findall(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)", text)
    assert labels, "at least one exercise"
    for label in labels:
        assert re.search(r"```\{solution\} " + re.escape(label) + r"\b", text), label


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_are_executed_and_import_only_dependencies(path):
    """Outputs are committed (nbval compares them); no pandas, no installs, no downloads."""
    for cell in _cells(path):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        source = "".join(cell["source"])
        assert cell.get("execution_count"), f"unexecuted cell: {source[:60]!r}"
        assert not re.search(r"^\s*(import|from) pandas", source, re.M), "pandas: not a dep"
        assert "!pip" not in source and "%pip" not in source, "no installs in chapters"
        assert "urlopen" not in source and "fetch_" not in source, "no downloads in chapters"
