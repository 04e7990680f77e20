"""Build the graded assignments, grade submissions offline and write feedback, with otter-grader.

Each assignment is ONE source notebook in ``instructor/assignments/`` in otter-grader's
assignment format (a ``# ASSIGNMENT CONFIG`` raw cell, then ``# BEGIN QUESTION`` /
``# BEGIN SOLUTION`` / ``# BEGIN TESTS`` blocks). The sources hold the solutions and the hidden
tests: they stay hidden only in a copy of the repository that the instructor keeps private
(``instructor/README.md``). ``otter assign`` splits a source into a student notebook (solutions
and hidden tests removed) and an autograder (the solution notebook and a zip with every test)::

    python tools/assignments.py build                      # every assignment
    python tools/assignments.py build a1-emse-sigma-gradient --no-run-tests
    python tools/assignments.py grade --assignment a1-emse-sigma-gradient submissions/a1/
    python tools/assignments.py student-copy ../course-for-students

``build`` writes, for an assignment ``NAME``::

    _build/assignments/student/NAME/NAME.ipynb              hand out this folder: the notebook
    _build/assignments/student/NAME/tests/q1.py ...         and its public tests
    _build/assignments/autograder/NAME/NAME.ipynb           reference solutions (keep private)
    _build/assignments/autograder/NAME/NAME-autograder.zip  every test, hidden ones included

The student notebook starts with ``grader = otter.Notebook()``, without its own file name, and
reads its public tests from the ``tests`` folder beside it: it may be renamed or copied within
its folder.

``grade`` runs ``otter run`` (no Docker: each submission is executed in a Jupyter kernel of this
Python environment) against the autograder zip and writes, by default into
``_build/assignments/grades/NAME/`` (ignored by git, like ``submissions/``)::

    grades.csv                one row per submission: the points of every question, total, maximum
    feedback/<submission>.md  for the student: points per question, and every failed test with
                              its message (hidden tests: their description and error, not their
                              code)

Questions marked ``manual: true`` are not in the autograder; they are graded by hand.

``student-copy`` writes a copy of the repository for students: the committed files (``git
archive HEAD``) without ``instructor/``, with the built student folders in ``book/assignments/``,
where ``make lab`` shows them beside the chapters. Publish it as a new repository (``git init``
in it): a fork or a clone of this repository would carry ``instructor/`` in its history.

Grading executes the submitted code with your permissions: grade untrusted submissions in a
throw-away account or container.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import pickle
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Built",
    "Grade",
    "TestResult",
    "build_all",
    "build_assignment",
    "feedback_names",
    "feedback_text",
    "grade_submission",
    "grade_submissions",
    "sources",
    "student_copy",
    "test_descriptions",
    "write_feedback",
    "write_grades",
]

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "instructor" / "assignments"
OUTPUT_DIR = ROOT / "_build" / "assignments"
#: Longest feedback message of one failed test, in lines.
MESSAGE_LINES = 20


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
    """The assignment source notebooks, sorted by name (none if the folder is absent)."""
    return sorted(Path(source_dir).glob("*.ipynb"))


# --- build ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """Where ``build`` put one assignment.

    Attributes
    ----------
    name : str
        The assignment's name, the stem of its source notebook.
    student : Path
        The folder to hand out: the student notebook and its public tests.
    notebook : Path
        The student notebook in it.
    solutions : Path
        The autograder notebook: reference solutions and every test.
    autograder : Path
        The autograder zip that ``grade`` runs.
    """

    name: str
    student: Path
    notebook: Path
    solutions: Path
    autograder: Path


def build_assignment(source: Path | str, output_dir: Path | str = OUTPUT_DIR, *,
                     run_tests: bool = True) -> Built:
    """Run ``otter assign`` on one source notebook.

    Parameters
    ----------
    source : path
        The source notebook (solutions and tests included).
    output_dir : path, default "_build/assignments"
        The assignment ``NAME`` goes to ``output_dir/student/NAME/`` and
        ``output_dir/autograder/NAME/``, which are emptied first.
    run_tests : bool, default True
        Let ``otter assign`` check that the solutions pass every test.

    Returns
    -------
    Built
        The paths of the student folder, the solutions and the autograder zip (renamed to
        ``NAME-autograder.zip``; otter stamps the time in its name).
    """
    source = Path(source).resolve()
    if source.suffix != ".ipynb" or not source.is_file():
        raise ValueError(f"source must be an existing .ipynb file, got {source}")
    name, output_dir = source.stem, Path(output_dir).resolve()
    student, grader = output_dir / "student" / name, output_dir / "autograder" / name
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=output_dir) as tmp:
        work = Path(tmp) / "otter"
        args = [_otter(), "assign", str(source), str(work)]
        if not run_tests:
            args.append("--no-run-tests")
        _run(args, cwd=source.parent)
        zips = sorted((work / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"expected one autograder zip from otter assign, found {len(zips)}")
        for folder in (student, grader):
            if folder.exists():
                shutil.rmtree(folder)
        shutil.copytree(work / "student", student)
        grader.mkdir(parents=True)
        shutil.copy2(work / "autograder" / f"{name}.ipynb", grader / f"{name}.ipynb")
        shutil.copy2(zips[0], grader / f"{name}-autograder.zip")
    return Built(name, student, student / f"{name}.ipynb", grader / f"{name}.ipynb",
                 grader / f"{name}-autograder.zip")


def build_all(source_dir: Path | str = SOURCE_DIR, output_dir: Path | str = OUTPUT_DIR, *,
              names: list[str] | None = None, run_tests: bool = True) -> list[Built]:
    """Build every assignment (or those whose name is in ``names``)."""
    found = sources(source_dir)
    if not found:
        raise ValueError(f"no assignment sources (*.ipynb) in {Path(source_dir).resolve()}; a "
                         f"copy of the book for students has none")
    if names:
        unknown = sorted(set(names) - {path.stem for path in found})
        if unknown:
            raise ValueError(f"unknown assignment(s) {unknown}; "
                             f"known: {[path.stem for path in found]}")
        found = [path for path in found if path.stem in names]
    return [build_assignment(path, output_dir, run_tests=run_tests) for path in found]


# --- grade ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestResult:
    """One test case of one question, as it ran on a submission.

    Attributes
    ----------
    question : str
        The question's name (``q1``, ...).
    name : str
        The test function's name.
    description : str
        The first paragraph of its docstring (empty without one).
    hidden : bool
        Whether it is a hidden test.
    points : float
        Its share of the question's points.
    passed : bool
        Whether it passed.
    message : str
        otter's message: the failing line of the test and the error.
    """

    question: str
    name: str
    description: str
    hidden: bool
    points: float
    passed: bool
    message: str = ""


@dataclass
class Grade:
    """Autograded points of one submission (named as it was given), with every test's result.

    ``error`` is set when the notebook could not be graded at all (it then scores zero).
    """

    submission: str
    scores: dict[str, float] = field(default_factory=dict)
    max_scores: dict[str, float] = field(default_factory=dict)
    tests: list[TestResult] = field(default_factory=list)
    error: str | None = None

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def possible(self) -> float:
        return float(sum(self.max_scores.values()))

    @property
    def failed(self) -> list[TestResult]:
        """The tests that failed, in question order."""
        return [test for test in self.tests if not test.passed]


def test_descriptions(autograder: Path | str) -> dict[str, list[tuple[str, str]]]:
    """The test functions of every question in an autograder zip, in otter's order.

    Returns ``{question: [(function name, first paragraph of its docstring), ...]}``; otter
    names the same tests ``"q1 - 1"``, ``"q1 - 2"``, ... in this order.
    """
    found = {}
    with zipfile.ZipFile(autograder) as archive:
        for member in archive.namelist():
            match = re.fullmatch(r"tests/(\w+)\.py", member)
            if not match:
                continue
            tree = ast.parse(archive.read(member).decode("utf-8"))
            found[match.group(1)] = [
                (node.name, (ast.get_docstring(node) or "").split("\n\n")[0].replace("\n", " "))
                for node in tree.body if isinstance(node, ast.FunctionDef)
                and any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "test_case"
                        for d in node.decorator_list)]
    return found


def _max_scores(autograder: Path) -> dict[str, float]:
    """Points of every autograded question, read from the zip's test files."""
    scores = {}
    with zipfile.ZipFile(autograder) as archive:
        for member in archive.namelist():
            match = re.fullmatch(r"tests/(\w+)\.py", member)
            points = re.search(r"^points = ([\d.]+)$", archive.read(member).decode("utf-8"),
                               re.MULTILINE)
            if match and points:
                scores[match.group(1)] = float(points.group(1))
    return dict(sorted(scores.items()))


# A kernel that dies before it answers ``kernel_info`` never ran the submission: two kernels
# started at the same moment by different processes can pick the same free port. That is the
# grading machine's failure, not the student's, so it is retried; any other failure is final.
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info",
                         "Kernel didn't respond in")
KERNEL_START_ATTEMPTS = 3


def _run_otter(submission: Path, autograder: Path, output_dir: Path) -> None:
    """``otter run`` one submission, starting its kernel afresh if the kernel never came up."""
    args = [_otter(), "run", "--no-logo", "--pickle-results", "-a", str(autograder),
            "-o", str(output_dir), str(submission)]
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            _run(args, cwd=output_dir)
            return
        except RuntimeError as error:
            if attempt == KERNEL_START_ATTEMPTS or not any(
                    failure in str(error) for failure in KERNEL_START_FAILURES):
                raise


def grade_submission(submission: Path | str, autograder: Path | str) -> Grade:
    """Grade one notebook with ``otter run`` against an autograder zip (offline, no Docker).

    A notebook that otter cannot run at all gets zero points and ``error`` set, so that one
    broken submission does not stop the grading of a class.
    """
    label = str(submission)
    submission, autograder = Path(submission).resolve(), Path(autograder).resolve()
    for name, path in (("submission", submission), ("autograder", autograder)):
        if not path.is_file():
            raise ValueError(f"{name} must be an existing file, got {path}")
    grade = Grade(label, max_scores=_max_scores(autograder))
    grade.scores = dict.fromkeys(grade.max_scores, 0.0)
    with tempfile.TemporaryDirectory(prefix="otter-run-") as tmp:
        try:
            _run_otter(submission, autograder, Path(tmp))
        except RuntimeError as error:
            grade.error = str(error).strip().splitlines()[-1]
            return grade
        # otter's own results object; this process already trusts the graded code (it ran it)
        with open(Path(tmp) / "results.pkl", "rb") as handle:
            results = pickle.load(handle)
    if results.catastrophic_error is not None:
        grade.error = str(results.catastrophic_error).strip().splitlines()[-1]
    names = test_descriptions(autograder)
    for question, test_file in results.results.items():
        grade.scores[question] = float(test_file.score)
        grade.max_scores[question] = float(test_file.possible)
        described = names.get(question, [])
        for index, result in enumerate(test_file.test_case_results):
            name, description = (described[index] if index < len(described)
                                 else (result.test_case.name, ""))
            grade.tests.append(TestResult(
                question, name, description, bool(result.test_case.hidden),
                float(result.test_case.points or 0.0), bool(result.passed),
                "" if result.passed else (result.message or "")))
    return grade


def _submissions(paths: list[Path | str]) -> list[Path]:
    """Notebooks named directly, and every notebook inside named folders (sorted)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    return found


def feedback_names(submissions: list[Path | str]) -> list[str]:
    """One distinct file stem per submission, for its feedback file.

    The notebook's stem when the stems differ; otherwise its path below the folder the
    submissions share, joined with ``--`` (``alice/a1.ipynb`` gives ``alice--a1``), so that
    per-student folders holding notebooks of the same name keep their feedback apart.
    """
    paths = [Path(path).resolve() for path in submissions]
    if len({path.stem for path in paths}) == len(paths):
        return [path.stem for path in paths]
    common = Path(*_common_parts([path.parent.parts for path in paths]))
    names = ["--".join(path.with_suffix("").relative_to(common).parts) for path in paths]
    if len(set(names)) != len(names):
        raise ValueError(f"submissions must be distinct files; got {submissions}")
    return names


def _common_parts(parts: list[tuple[str, ...]]) -> tuple[str, ...]:
    common = parts[0]
    for other in parts[1:]:
        length = 0
        while length < min(len(common), len(other)) and common[length] == other[length]:
            length += 1
        common = common[:length]
    return common


def grade_submissions(submissions: list[Path | str], autograder: Path | str,
                      output_dir: Path | str | None = None, *,
                      assignment: str | None = None) -> list[Grade]:
    """Grade several notebooks (or the notebooks in the folders given).

    With ``output_dir``, write ``grades.csv`` (:func:`write_grades`) and one feedback file per
    submission into ``output_dir/feedback/`` (:func:`write_feedback`).
    """
    paths = _submissions(submissions)
    if not paths:
        raise ValueError(f"no submitted notebooks in {[str(p) for p in submissions]}")
    grades = [grade_submission(path, autograder) for path in paths]
    if output_dir is not None:
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        write_grades(grades, output_dir / "grades.csv")
        write_feedback(grades, output_dir / "feedback",
                       assignment or Path(autograder).name.removesuffix("-autograder.zip"),
                       names=feedback_names(paths))
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


def _student_message(test: TestResult) -> str:
    """What a student may see of a failed test's message.

    A public test's whole message (the student has its code); of a hidden test only the error
    line, not the line of the test that raised it.
    """
    lines = test.message.strip().splitlines()
    if lines and lines[0].startswith("❌"):
        lines = lines[1:]
    if test.hidden:
        error = [i for i, line in enumerate(lines) if re.match(r"^\w+(Error|Exception)\b", line)]
        lines = lines[error[-1]:] if error else lines[-1:]
        lines = [line for line in lines if line.strip()][:1]
    if len(lines) > MESSAGE_LINES:
        lines = [*lines[:MESSAGE_LINES], "..."]
    return "\n".join(lines)


def feedback_text(grade: Grade, assignment: str) -> str:
    """The feedback on one submission, as Markdown to hand back to the student."""
    out = [f"# Feedback on {assignment}", "",
           f"Submission: `{Path(grade.submission).name}`", ""]
    if grade.error:
        out += ["**The notebook could not be graded**, so every autograded question scores "
                "zero:", "", "```", grade.error, "```", ""]
    out += [f"Autograded points: **{grade.total:g} of {grade.possible:g}**. Questions graded by "
            "hand are not included.", "", "| question | points | of |", "| --- | --- | --- |"]
    out += [f"| {q} | {grade.scores.get(q, 0.0):g} | {m:g} |"
            for q, m in grade.max_scores.items()]
    for question in grade.max_scores:
        failed = [test for test in grade.failed if test.question == question]
        if not failed:
            continue
        out += ["", f"## {question}: {grade.scores.get(question, 0.0):g} of "
                    f"{grade.max_scores[question]:g} points", ""]
        for test in failed:
            kind = "hidden test" if test.hidden else "public test"
            out += [f"- **Failed** `{test.name}` ({kind})"
                    + (f": {test.description}" if test.description else "")]
            message = _student_message(test)
            if message:
                out += ["", "  ```", *(f"  {line}" for line in message.splitlines()), "  ```"]
            out.append("")
    passed = [q for q in grade.max_scores if grade.max_scores[q] > 0
              and not any(t.question == q for t in grade.failed) and not grade.error]
    if passed:
        out += ["", f"Every test of {', '.join(passed)} passed."]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n"


def write_feedback(grades: list[Grade], folder: Path | str, assignment: str, *,
                   names: list[str] | None = None) -> list[Path]:
    """Write one Markdown feedback file per grade into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = names or feedback_names([grade.submission for grade in grades])
    paths = []
    for grade, name in zip(grades, names, strict=True):
        path = folder / f"{name}.md"
        path.write_text(feedback_text(grade, assignment), encoding="utf-8")
        paths.append(path)
    return paths


# --- a copy for students -------------------------------------------------------------------


def student_copy(destination: Path | str, *, student_dir: Path | str = OUTPUT_DIR / "student",
                 repository: Path | str = ROOT) -> Path:
    """Write a copy of the repository for students.

    The committed files (``git archive HEAD``: no ``.git``, no untracked or ignored files)
    without ``instructor/``, and the built student folders (notebooks and public tests) in
    ``book/assignments/``, with a ``ruff.toml`` there that keeps ``make lint`` off them.
    ``destination`` must not exist or be empty.
    """
    destination, student_dir = Path(destination).resolve(), Path(student_dir).resolve()
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"destination must be a new or empty folder, got {destination}")
    if not sorted(student_dir.glob("*/*.ipynb")):
        raise ValueError(f"no student notebooks in {student_dir}: run `make assignments` "
                         f"(python tools/assignments.py build) first")
    archive = _run_bytes(["git", "-C", str(repository), "archive", "--format=tar", "HEAD"])
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(destination, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(destination)
    shutil.rmtree(destination / "instructor", ignore_errors=True)
    handed_out = destination / "book" / "assignments"
    shutil.copytree(student_dir, handed_out,
                    ignore=shutil.ignore_patterns(".OTTER_LOG", ".ipynb_checkpoints"))
    # students' work in progress and otter's generated tests are not the book's code: the
    # copy's `make lint` (ruff check .) leaves them alone
    (handed_out / "ruff.toml").write_text(
        "# The student notebooks and their public tests (tools/assignments.py student-copy):\n"
        "# work in progress, not linted with the book's code.\n"
        'extend = "../../pyproject.toml"\nextend-exclude = ["*"]\n', encoding="utf-8")
    return destination


def _run_bytes(args: list[str]) -> bytes:
    result = subprocess.run(args, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


# --- command line --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="student notebooks and autograders")
    build.add_argument("names", nargs="*", help="assignment names (default: all)")
    build.add_argument("--source", default=str(SOURCE_DIR), help="source notebook folder")
    build.add_argument("--output", default=str(OUTPUT_DIR), help="output folder")
    build.add_argument("--no-run-tests", action="store_true",
                       help="do not check the solutions against the tests")
    grade = commands.add_parser("grade", help="grade submissions offline, write feedback")
    grade.add_argument("submissions", nargs="+",
                       help="submitted .ipynb files, or folders holding them")
    which = grade.add_mutually_exclusive_group(required=True)
    which.add_argument("--assignment", help="assignment name (uses its built autograder zip)")
    which.add_argument("--autograder", help="path of an autograder zip")
    grade.add_argument("--build", default=str(OUTPUT_DIR),
                       help="where `build` wrote the assignments (with --assignment)")
    grade.add_argument("--output-dir", help="folder for grades.csv and feedback/ (default: "
                       "_build/assignments/grades/NAME)")
    copy = commands.add_parser("student-copy", help="a copy of the repository for students")
    copy.add_argument("destination", help="a new or empty folder")
    copy.add_argument("--student", default=str(OUTPUT_DIR / "student"),
                      help="the built student folders")
    args = parser.parse_args(argv)

    if args.command == "build":
        for built in build_all(args.source, args.output, names=args.names or None,
                               run_tests=not args.no_run_tests):
            print(f"{built.name}: student/{built.name}/ (hand out), "
                  f"autograder/{built.name}/ (keep private)")
        print(f"Assignments written to {Path(args.output).resolve()}")
        return 0
    if args.command == "student-copy":
        path = student_copy(args.destination, student_dir=args.student)
        print(f"A copy for students written to {path}: no instructor/, the student notebooks in "
              f"book/assignments/. Publish it as a new repository (git init there).")
        return 0

    if args.autograder:
        autograder = Path(args.autograder)
        name = autograder.name.removesuffix("-autograder.zip")
    else:
        name = args.assignment
        autograder = Path(args.build) / "autograder" / name / f"{name}-autograder.zip"
        if not autograder.is_file():
            parser.error(f"no autograder for {name!r} in {Path(args.build).resolve()}: run "
                         f"`make assignments` first")
    output_dir = Path(args.output_dir) if args.output_dir else OUTPUT_DIR / "grades" / name
    grades = grade_submissions(args.submissions, autograder, output_dir, assignment=name)
    for grade in grades:
        note = f"  (not graded: {grade.error})" if grade.error else ""
        print(f"{grade.submission}: {grade.total:g} / {grade.possible:g}{note}")
    print(f"Grades written to {output_dir / 'grades.csv'}, feedback to {output_dir / 'feedback'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
