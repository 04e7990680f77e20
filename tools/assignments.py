"""Build the graded assignments and grade submissions offline, with otter-grader.

Each assignment is ONE source notebook in ``book/assignments/`` in otter-grader's assignment
format (a ``# ASSIGNMENT CONFIG`` raw cell, then ``# BEGIN QUESTION`` / ``# BEGIN SOLUTION`` /
``# BEGIN TESTS`` blocks). ``otter assign`` splits it into a student notebook (solutions and
hidden tests removed) and an autograder (the solution notebook and a zip with every test)::

    python tools/assignments.py build                     # every assignment -> _build/assignments
    python tools/assignments.py build a1-emse-sigma-gradient --no-run-tests
    python tools/assignments.py grade --assignment a1-emse-sigma-gradient \\
        --output grades.csv submissions/*.ipynb

``build`` writes, for an assignment ``NAME``::

    _build/assignments/NAME/student/NAME.ipynb          hand this out
    _build/assignments/NAME/autograder/NAME.ipynb       solutions, all tests
    _build/assignments/NAME/autograder/NAME-autograder.zip

``grade`` runs ``otter run`` (no Docker: the submission is executed in a Jupyter kernel of this
Python environment) on each submission against the autograder zip and writes one CSV row per
submission: the points of every question, the total and the maximum. Questions marked
``manual: true`` are not in the autograder; they are graded by hand.

Grading executes the submitted code with your permissions: grade untrusted submissions in a
throw-away account or container.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Grade", "build_all", "build_assignment", "grade_submission", "grade_submissions",
           "write_grades"]

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "book" / "assignments"
OUTPUT_DIR = ROOT / "_build" / "assignments"


def _otter() -> str:
    """The ``otter`` command of this Python environment."""
    command = shutil.which("otter", path=str(Path(sys.executable).parent)) or shutil.which("otter")
    if command is None:
        raise RuntimeError("otter-grader is not installed: pip install -r requirements.txt")
    return command


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed with exit code {result.returncode}:\n"
                           f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def sources(source_dir: Path | str = SOURCE_DIR) -> list[Path]:
    """The assignment source notebooks, sorted by name."""
    return sorted(Path(source_dir).glob("*.ipynb"))


def build_assignment(source: Path | str, output_dir: Path | str = OUTPUT_DIR, *,
                     run_tests: bool = True) -> Path:
    """Run ``otter assign`` on one source notebook.

    Parameters
    ----------
    source : path
        The source notebook (solutions and tests included).
    output_dir : path, default "_build/assignments"
        The assignment goes to ``output_dir/<stem of source>/``, which is emptied first.
    run_tests : bool, default True
        Let ``otter assign`` check that the solutions pass every test.

    Returns
    -------
    Path
        The autograder zip, renamed to ``<stem>-autograder.zip`` (otter stamps the time in it).
    """
    source = Path(source).resolve()
    if source.suffix != ".ipynb" or not source.is_file():
        raise ValueError(f"source must be an existing .ipynb file, got {source}")
    destination = Path(output_dir).resolve() / source.stem
    if destination.exists():
        shutil.rmtree(destination)
    args = [_otter(), "assign", str(source), str(destination)]
    if not run_tests:
        args.append("--no-run-tests")
    _run(args, cwd=source.parent)
    zips = sorted((destination / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {destination}, found {len(zips)}")
    return zips[0].rename(zips[0].with_name(f"{source.stem}-autograder.zip"))


def build_all(source_dir: Path | str = SOURCE_DIR, output_dir: Path | str = OUTPUT_DIR, *,
              names: list[str] | None = None, run_tests: bool = True) -> list[Path]:
    """Build every assignment (or those whose stem is in ``names``); return the zips."""
    found = sources(source_dir)
    if names:
        unknown = sorted(set(names) - {path.stem for path in found})
        if unknown:
            raise ValueError(f"unknown assignment(s) {unknown}; "
                             f"known: {[path.stem for path in found]}")
        found = [path for path in found if path.stem in names]
    return [build_assignment(path, output_dir, run_tests=run_tests) for path in found]


@dataclass
class Grade:
    """Autograded points of one submission (named as it was given)."""

    submission: str
    scores: dict[str, float] = field(default_factory=dict)
    max_scores: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def possible(self) -> float:
        return float(sum(self.max_scores.values()))


def grade_submission(submission: Path | str, autograder: Path | str) -> Grade:
    """Grade one notebook with ``otter run`` against an autograder zip (offline, no Docker)."""
    label = str(submission)
    submission, autograder = Path(submission).resolve(), Path(autograder).resolve()
    for name, path in (("submission", submission), ("autograder", autograder)):
        if not path.is_file():
            raise ValueError(f"{name} must be an existing file, got {path}")
    with tempfile.TemporaryDirectory(prefix="otter-run-") as tmp:
        _run([_otter(), "run", "--no-logo", "-a", str(autograder), "-o", tmp, str(submission)],
             cwd=Path(tmp))
        results = json.loads((Path(tmp) / "results.json").read_text(encoding="utf-8"))
    grade = Grade(label)
    for test in results["tests"]:
        if test.get("max_score") is None:  # the "Public Tests" summary entry has no points
            continue
        grade.scores[test["name"]] = float(test.get("score") or 0.0)
        grade.max_scores[test["name"]] = float(test["max_score"])
    return grade


def grade_submissions(submissions: list[Path | str], autograder: Path | str,
                      output: Path | str | None = None) -> list[Grade]:
    """Grade several notebooks; write a CSV (see :func:`write_grades`) if ``output`` is given."""
    grades = [grade_submission(path, autograder) for path in submissions]
    if output is not None:
        write_grades(grades, output)
    return grades


def write_grades(grades: list[Grade], output: Path | str) -> None:
    """Write grades as CSV: submission, the points of each question, total, possible."""
    questions = sorted({question for grade in grades for question in grade.max_scores})
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *questions, "total", "possible"])
        for grade in grades:
            writer.writerow([grade.submission,
                             *(f"{grade.scores.get(q, 0.0):g}" for q in questions),
                             f"{grade.total:g}", f"{grade.possible:g}"])


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="student notebooks and autograders")
    build.add_argument("names", nargs="*", help="assignment stems (default: all)")
    build.add_argument("--source", default=str(SOURCE_DIR), help="source notebook folder")
    build.add_argument("--output", default=str(OUTPUT_DIR), help="output folder")
    build.add_argument("--no-run-tests", action="store_true",
                       help="do not check the solutions against the tests")
    grade = commands.add_parser("grade", help="grade submissions offline with otter run")
    grade.add_argument("submissions", nargs="+", help="submitted .ipynb files")
    which = grade.add_mutually_exclusive_group(required=True)
    which.add_argument("--assignment", help="assignment stem (uses its built autograder zip)")
    which.add_argument("--autograder", help="path of an autograder zip")
    grade.add_argument("--build", default=str(OUTPUT_DIR),
                       help="where `build` wrote the assignments (with --assignment)")
    grade.add_argument("--output", help="CSV file for the grades")
    args = parser.parse_args(argv)

    if args.command == "build":
        for path in build_all(args.source, args.output, names=args.names or None,
                              run_tests=not args.no_run_tests):
            folder = path.parents[1]
            print(f"{folder.name}: student/{folder.name}.ipynb, autograder/{path.name}")
        print(f"Assignments written to {Path(args.output).resolve()}")
        return 0

    autograder = (Path(args.autograder) if args.autograder else
                  Path(args.build) / args.assignment / "autograder"
                  / f"{args.assignment}-autograder.zip")
    grades = grade_submissions(args.submissions, autograder, args.output)
    for grade in grades:
        print(f"{grade.submission}: {grade.total:g} / {grade.possible:g}")
    if args.output:
        print(f"Grades written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
