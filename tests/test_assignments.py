"""The graded assignments of instructor/assignments, built and graded offline with otter-grader.

Quick checks (no otter): one assignment for each of chapters 2 to 7, named after its chapter's
title; every source in the format the tools expect (a notebook that finds its public tests
without its own name, public and hidden tests with docstrings); every autograded question with
at least one wrong answer in ``instructor/assignments/wrong_answers.yml``; the feedback format;
the grading output ignored by git.

Integration checks (``otter assign`` once into a temporary folder, then):

* every wrong answer of ``wrong_answers.yml``, applied to the reference solution and run in
  this process with the question's own test file, fails a public test and keeps at most half
  of the question's points;
* ``otter run`` (no Docker) gives the reference solutions full marks and the untouched student
  notebook zero; the wrong answers marked ``graded`` lose points in their question only, and
  their feedback names the failed tests;
* the student folder holds no solution and no hidden test; a renamed copy of the notebook, with
  a duplicate beside it, still runs its public tests;
* the ``grade`` command writes ``grades.csv`` and one feedback file per submission, for
  per-student folders holding notebooks of the same name;
* ``student-copy`` writes a repository without ``instructor/``, with the student notebooks in
  ``book/assignments/``, and without any solution or hidden test.

In a copy of the book made for students (no ``instructor/assignments``) the module is skipped.
"""

import csv
import json
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import assignments  # tools/assignments.py (tools/ is on pytest's pythonpath)
import matplotlib.pyplot as plt
import nbformat
import pytest
import yaml

ROOT = assignments.ROOT
SOURCES = assignments.sources()
STEMS = [path.stem for path in SOURCES]
WRONG_ANSWERS_FILE = assignments.SOURCE_DIR / "wrong_answers.yml"

pytestmark = pytest.mark.skipif(not SOURCES, reason="no instructor/assignments: a student copy")


def _wrong_answers():
    if not WRONG_ANSWERS_FILE.is_file():
        return []
    data = yaml.safe_load(WRONG_ANSWERS_FILE.read_text(encoding="utf-8")) or {}
    return [(stem, question, index, entry) for stem, questions in data.items()
            for question, entries in questions.items() for index, entry in enumerate(entries)]


WRONG = _wrong_answers()
WRONG_IDS = [f"{stem[:2]}-{question}-{index}" for stem, question, index, _ in WRONG]
GRADED_WRONG = [(stem, question, index, entry) for stem, question, index, entry in WRONG
                if entry.get("graded")]


# --- the sources ---------------------------------------------------------------------------


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def _questions(source):
    """{question: {"points", "manual", "tests": [(function name, docstring, hidden)]}}."""
    questions, current, in_tests = {}, None, False
    for cell in _cells(source):
        text = cell.source.strip()
        if cell.cell_type == "raw" and text.startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(text.split("\n", 1)[1])
            current = questions[config["name"]] = {
                "points": config.get("points"), "manual": bool(config.get("manual")),
                "tests": []}
        elif cell.cell_type == "raw" and text in ("# BEGIN TESTS", "# END TESTS"):
            in_tests = text == "# BEGIN TESTS"
        elif in_tests and cell.cell_type == "code":
            function = re.search(r"^def (\w+)\(", cell.source, re.MULTILINE).group(1)
            docstring = re.search(r'^    """(.+?)"""', cell.source, re.MULTILINE | re.DOTALL)
            current["tests"].append((function, docstring.group(1) if docstring else "",
                                     bool(re.match(r"#.*\bhidden\b", cell.source))))
    return questions


def _solution_code(source):
    """The code cells of a source outside its test blocks: what the solutions run."""
    code, in_tests = [], False
    for cell in _cells(source):
        text = cell.source.strip()
        if cell.cell_type == "raw" and text in ("# BEGIN TESTS", "# END TESTS"):
            in_tests = text == "# BEGIN TESTS"
        elif cell.cell_type == "code" and not in_tests:
            code.append(cell.source)
    return code


def _chapter_titles():
    """{chapter number: the title in its notebook's first heading}."""
    titles = {}
    for path in sorted((ROOT / "book").glob("0*.ipynb")):
        for cell in _cells(path):
            heading = re.search(r"^# (.+)$", cell.source, re.MULTILINE)
            if cell.cell_type == "markdown" and heading:
                titles[int(path.name[:2])] = heading.group(1).strip()
                break
    return titles


def test_one_assignment_for_each_of_chapters_2_to_7_named_after_its_title():
    """Assignment k goes with chapter k + 1 and names it by its title (review items 17-18)."""
    titles = _chapter_titles()
    chapters = []
    for number, source in enumerate(SOURCES, start=1):
        assert source.stem.startswith(f"a{number}-"), f"numbered a1, a2, ...: {STEMS}"
        header = next(cell.source for cell in _cells(source) if cell.cell_type == "markdown")
        assert header.startswith(f"# Assignment {number}:"), header.splitlines()[0]
        match = re.search(r'\*Goes with Chapter (\d+), "([^"]+)"\.\*', header)
        assert match, f"{source.name}: no 'Goes with Chapter N, \"title\".' line"
        chapter = int(match.group(1))
        assert match.group(2) == titles[chapter], (
            f"{source.name} calls chapter {chapter} {match.group(2)!r}; its title is "
            f"{titles[chapter]!r}")
        chapters.append(chapter)
    assert chapters == [2, 3, 4, 5, 6, 7], chapters


@pytest.mark.parametrize("source", SOURCES, ids=STEMS)
def test_source_format(source):
    """Config named after the file, tests in files, an init cell without the notebook's name,
    and every autograded question with points, public and hidden tests, each with a docstring."""
    cells = _cells(source)
    config = yaml.safe_load(cells[0].source.split("\n", 1)[1])
    assert cells[0].cell_type == "raw" and cells[0].source.startswith("# ASSIGNMENT CONFIG")
    assert config["name"] == source.stem
    # the student notebook reads its public tests from tests/ beside it, and is not told its own
    # file name: it may be renamed (review item 15)
    assert config["init_cell"] is False and config["tests"] == {"files": True,
                                                                 "ok_format": False}
    init = [cell.source for cell in cells if "otter.Notebook(" in cell.source]
    assert len(init) == 1 and "otter.Notebook()" in init[0], init
    questions = _questions(source)
    assert len(questions) >= 3, questions
    autograded = {name: q for name, q in questions.items() if not q["manual"]}
    assert sum(q["points"] for q in autograded.values()) == 7, source.name
    for name, question in autograded.items():
        hidden = [test for test in question["tests"] if test[2]]
        assert hidden and len(hidden) < len(question["tests"]), (
            f"{source.name} {name}: needs public and hidden tests")
        functions = [test[0] for test in question["tests"]]
        assert len(set(functions)) == len(functions), f"{source.name} {name}: {functions}"
        assert all(test[1] for test in question["tests"]), (
            f"{source.name} {name}: every test needs a docstring (it goes into the feedback)")
    for name, question in questions.items():
        assert question["manual"] == (not question["tests"]), f"{source.name} {name}"


def test_every_autograded_question_has_wrong_answers_that_apply():
    """wrong_answers.yml covers every autograded question; each `old` occurs once."""
    covered = {(stem, question) for stem, question, _, _ in WRONG}
    expected = {(source.stem, name) for source in SOURCES
                for name, question in _questions(source).items() if not question["manual"]}
    assert covered == expected, (sorted(expected - covered), sorted(covered - expected))
    for stem, question, index, entry in WRONG:
        assert set(entry) <= {"mistake", "old", "new", "graded"} and entry["old"] != entry["new"]
        code = "\n".join(_solution_code(assignments.SOURCE_DIR / f"{stem}.ipynb"))
        assert code.count(entry["old"]) == 1, (stem, question, index, entry["old"])


def test_grading_output_and_submissions_are_ignored_by_git():
    """Grades, feedback and submissions never show up as untracked files (review item 17)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    grades = assignments.OUTPUT_DIR / "grades"
    assert grades.is_relative_to(ROOT / "_build")
    paths = [grades / "a1" / "grades.csv", grades / "a1" / "feedback" / "alice.md",
             assignments.OUTPUT_DIR / "student" / "a1" / "a1.ipynb",
             ROOT / "submissions" / "a1" / "alice.ipynb", ROOT / "grades.csv",
             ROOT / "feedback" / "alice.md"]
    for path in paths:
        result = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False)
        assert result.returncode == 0, f"{path.relative_to(ROOT)} is not ignored by git"
    for source in SOURCES:
        result = subprocess.run(["git", "check-ignore", "-q", str(source)], cwd=ROOT,
                                check=False)
        assert result.returncode == 1, f"{source.name} must not be ignored"


# --- feedback, without otter ---------------------------------------------------------------


def test_feedback_names_are_distinct():
    assert assignments.feedback_names(["x/alice.ipynb", "y/bob.ipynb"]) == ["alice", "bob"]
    names = assignments.feedback_names(["subs/alice/a1.ipynb", "subs/bob/a1.ipynb"])
    assert names == ["alice--a1", "bob--a1"]


def test_feedback_shows_public_messages_and_hides_hidden_test_code():
    """A failed public test shows its failing line; a hidden one only its error."""
    public = assignments.TestResult(
        "q3", "test_q3_matches_differences", "The gradient agrees with differences.", False, 1.5,
        False, "❌ Test case failed\nError at line 14 in test q3:\n    assert error < 1e-4\n"
        "AssertionError: relative difference 0.86")
    hidden = assignments.TestResult(
        "q3", "test_q3_hidden_example", "The gradient agrees with the package.", True,
        1.5, False, "❌ Test case failed\nError at line 30 in test q3:\n    secret_line(x)\n"
        "AssertionError: the gradient differs from the reference")
    grade = assignments.Grade("alice/a1.ipynb", {"q1": 2.0, "q3": 0.0}, {"q1": 2.0, "q3": 3.0},
                              [public, hidden])
    text = assignments.feedback_text(grade, "a1-emse-sigma-gradient")
    assert "**2 of 5**" in text and "| q3 | 0 | 3 |" in text
    assert "test_q3_matches_differences" in text and "assert error < 1e-4" in text
    assert "relative difference 0.86" in text
    assert "test_q3_hidden_example" in text and "hidden test" in text
    assert "the gradient differs from the reference" in text and "secret_line" not in text
    assert "Every test of q1 passed." in text


# --- integration: build, run wrong answers, grade ------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build every assignment once (otter assign); return {name: Built}."""
    out = tmp_path_factory.mktemp("assignments")
    return {item.name: item for item in assignments.build_all(output_dir=out, run_tests=False)}


def _run_cells(notebook, *, stop_at=None, mutation=None):
    """Execute a solution notebook's code cells in this process, as otter would.

    Skips otter's own cells; stops before ``grader.check(stop_at)``. With ``mutation = (old,
    new)`` the one cell holding ``old`` runs with ``new`` instead. Returns the namespace and
    the index of each cell that raised (a wrong answer may raise; the cells before it may not).
    """
    namespace, errors, mutated = {"__name__": "__main__"}, {}, None
    code = [cell.source for cell in _cells(notebook)
            if cell.cell_type == "code" and "otter.Notebook(" not in cell.source]
    for index, source in enumerate(code):
        if source.strip().startswith("grader.check("):
            if stop_at is not None and source.strip() == f'grader.check("{stop_at}")':
                break
            continue
        if mutation is not None and mutation[0] in source:
            source, mutated = source.replace(mutation[0], mutation[1]), index
        try:
            exec(compile(source, f"<{notebook.stem} cell {index}>", "exec"), namespace)
        except Exception as error:  # a wrong answer may break its cell, as in a notebook
            errors[index] = error
    plt.close("all")
    return namespace, errors, mutated


def _test_file(autograder, question):
    """The question's otter test file (public and hidden tests) from an autograder zip."""
    from otter.test_files import ExceptionTestFile

    with zipfile.ZipFile(autograder) as archive:
        text = archive.read(f"tests/{question}.py").decode("utf-8")
    return ExceptionTestFile.from_string(text, path=f"{question}.py")


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_reference_solution_passes_every_test_in_process(built, stem, tmp_path, monkeypatch):
    """The in-process runner used for the wrong answers gives the solutions full marks."""
    monkeypatch.chdir(tmp_path)
    namespace, errors, _ = _run_cells(built[stem].solutions)
    assert not errors, errors
    for question, item in _questions(assignments.SOURCE_DIR / f"{stem}.ipynb").items():
        if item["manual"]:
            continue
        test_file = _test_file(built[stem].autograder, question)
        test_file.run(namespace)
        failed = [r.message for r in test_file.test_case_results if not r.passed]
        assert not failed, (question, failed)


@pytest.mark.integration
@pytest.mark.parametrize(("stem", "question", "index", "entry"), WRONG, ids=WRONG_IDS)
def test_wrong_answer_fails_a_public_test_and_loses_most_points(built, stem, question, index,
                                                                entry, tmp_path, monkeypatch):
    """A sign error, a missing factor, a wrong scale or wrong data: caught by a public test,
    and worth at most half of the question's points (review item 14)."""
    monkeypatch.chdir(tmp_path)
    namespace, errors, mutated = _run_cells(built[stem].solutions, stop_at=question,
                                            mutation=(entry["old"], entry["new"]))
    assert mutated is not None, f"{entry['old']!r} is not in the solutions of {stem}"
    assert all(cell >= mutated for cell in errors), errors
    test_file = _test_file(built[stem].autograder, question)
    test_file.run(namespace)
    results = test_file.test_case_results
    public = [r for r in results if not r.test_case.hidden]
    assert any(not r.passed for r in public), (
        f"{stem} {question}: the public tests do not catch {entry['mistake']!r}")
    assert test_file.score <= 0.5 * test_file.possible, (
        f"{stem} {question}: {entry['mistake']!r} keeps {test_file.score:g} of "
        f"{test_file.possible:g} points")


def _break_answer(solutions, old, new, destination):
    """Copy a solution notebook with one answer replaced by a wrong one."""
    notebook = nbformat.read(solutions, as_version=4)
    hits = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
    assert len(hits) == 1, f"{old!r} found in {len(hits)} cells of {solutions}"
    hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(notebook, destination)
    return destination


@pytest.fixture(scope="module")
def grades(built, tmp_path_factory):
    """Grade the solutions, the student notebooks and the graded wrong answers (otter run, two
    at a time, each in its own kernel); {(name, kind): Grade}."""
    wrong_dir = tmp_path_factory.mktemp("wrong")
    jobs = {}
    for name, item in built.items():
        jobs[name, "solution"] = (item.solutions, item.autograder)
        jobs[name, "student"] = (item.notebook, item.autograder)
    for stem, question, index, entry in GRADED_WRONG:
        broken = _break_answer(built[stem].solutions, entry["old"], entry["new"],
                               wrong_dir / f"{stem}-{question}-{index}.ipynb")
        jobs[stem, f"wrong-{question}-{index}"] = (broken, built[stem].autograder)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(assignments.grade_submission, *job)
                   for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_reference_solutions_score_full_marks(grades, stem):
    grade = grades[stem, "solution"]
    assert grade.error is None and grade.possible == 7 and len(grade.max_scores) >= 3, grade
    assert grade.total == grade.possible and not grade.failed, grade


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_untouched_student_notebook_scores_zero(grades, stem):
    grade = grades[stem, "student"]
    assert grade.possible == grades[stem, "solution"].possible
    assert grade.total == 0.0, grade
    assert all(not test.passed for test in grade.tests), [t.name for t in grade.tests if t.passed]


@pytest.mark.integration
@pytest.mark.parametrize(("stem", "question", "index", "entry"), GRADED_WRONG,
                         ids=[f"{s[:2]}-{q}-{i}" for s, q, i, _ in GRADED_WRONG])
def test_graded_wrong_answer_loses_points_in_its_question_only(grades, stem, question, index,
                                                               entry):
    grade = grades[stem, f"wrong-{question}-{index}"]
    assert grade.scores[question] <= 0.5 * grade.max_scores[question], grade
    others = {q: s for q, s in grade.scores.items() if q != question}
    assert others == {q: m for q, m in grade.max_scores.items() if q != question}, grade
    failed = [test for test in grade.failed]
    assert failed and {test.question for test in failed} == {question}
    assert any(not test.hidden for test in failed) and any(test.hidden for test in failed)
    text = assignments.feedback_text(grade, stem)
    for test in failed:
        assert test.name in text and test.description in text


def _secret_and_public_text(source):
    """Split a source notebook into its secret lines (solutions, hidden test names) and the
    text that students may see (prompts, given code, public tests)."""
    secret, public, in_solution = [], [], False
    for cell in _cells(source):
        if cell.cell_type == "raw":
            in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(
                cell.source.strip(), in_solution)
        elif cell.cell_type == "code" and cell.source.startswith("# hidden"):
            secret.append(re.search(r"def (\w+)", cell.source).group(1))
        elif in_solution and cell.cell_type == "markdown":
            secret += cell.source.splitlines()
        elif in_solution:
            block = False
            for line in cell.source.splitlines():
                if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
                    block = line.strip() == "# BEGIN SOLUTION"
                elif block:
                    secret.append(line)
                elif line.rstrip().endswith("# SOLUTION"):
                    secret.append(line.split("=", 1)[-1].rsplit("# SOLUTION", 1)[0])
                else:
                    public.append(line)
        else:
            public.append(cell.source)
    public_text = "\n".join(public)
    secret = [line.strip() for line in secret]
    return [line for line in secret if len(line) > 12 and line not in public_text], public_text


def _folder_text(folder):
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*"))
                     if path.is_file())


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_student_folder_has_no_solutions_or_hidden_tests(built, stem):
    """The folder handed out (notebook and tests/) holds no solution line and no hidden test."""
    secret, _ = _secret_and_public_text(assignments.SOURCE_DIR / f"{stem}.ipynb")
    assert len(secret) >= 5, secret
    student = built[stem].student
    assert sorted(path.name for path in student.iterdir()) == [f"{stem}.ipynb", "tests"]
    solutions_text = "\n".join(cell.source for cell in _cells(built[stem].solutions))
    assert all(line in solutions_text for line in secret if not line.startswith("test_"))
    with zipfile.ZipFile(built[stem].autograder) as archive:
        tests_text = "\n".join(archive.read(n).decode() for n in archive.namelist()
                               if n.startswith("tests/"))
    assert all(line in tests_text for line in secret if line.startswith("test_"))
    leaks = [line for line in secret if line in _folder_text(student)]
    assert not leaks, leaks


@pytest.mark.integration
def test_renamed_student_notebook_still_checks(built, tmp_path):
    """A renamed notebook, next to a duplicate, runs grader.check (review item 15)."""
    from nbclient import NotebookClient

    stem = STEMS[0]
    folder = shutil.copytree(built[stem].student, tmp_path / "handed out")
    # the reference solutions stand in for a student's finished work
    shutil.copy(built[stem].solutions, folder / "my answers.ipynb")
    shutil.copy(built[stem].solutions, folder / "my answers (copy).ipynb")
    notebook = nbformat.read(folder / "my answers.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    checks = [cell for cell in notebook.cells
              if cell.cell_type == "code" and cell.source.startswith("grader.check(")]
    assert len(checks) == 3
    for cell in checks:
        shown = json.dumps([output.get("data", {}).get("text/plain", output.get("text", ""))
                            for output in cell.outputs])
        assert "All test cases passed" in shown, (cell.source, shown)


@pytest.mark.integration
def test_grade_command_writes_grades_and_feedback(built, tmp_path, capsys):
    """Per-student folders with notebooks of the same name: one CSV, one feedback file each."""
    stem = STEMS[0]
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "bob").mkdir()
    shutil.copy(built[stem].solutions, submissions / "alice" / f"{stem}.ipynb")
    shutil.copy(built[stem].notebook, submissions / "bob" / f"{stem}.ipynb")
    out = tmp_path / "graded"
    assert assignments.main(["grade", "--autograder", str(built[stem].autograder),
                             "--output-dir", str(out), str(submissions)]) == 0
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [Path(row["submission"]).parent.name for row in rows] == ["alice", "bob"]
    assert [row["total"] for row in rows] == ["7", "0"] and rows[0]["possible"] == "7"
    alice = (out / "feedback" / f"alice--{stem}.md").read_text(encoding="utf-8")
    bob = (out / "feedback" / f"bob--{stem}.md").read_text(encoding="utf-8")
    assert "**7 of 7**" in alice and "Failed" not in alice
    assert "**0 of 7**" in bob and bob.count("**Failed**") >= 6
    assert "hidden test" in bob and "public test" in bob
    assert "Grades written to" in capsys.readouterr().out


@pytest.mark.integration
def test_student_copy_has_no_instructor_material(built, tmp_path):
    """student-copy: the committed files without instructor/, plus the student folders in
    book/assignments/; no solution line there, no hidden test's name anywhere."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    student_dir = next(iter(built.values())).student.parent
    copy = assignments.student_copy(tmp_path / "course", student_dir=student_dir)
    assert not (copy / "instructor").exists()
    tracked = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    files = {path.relative_to(copy).as_posix() for path in copy.rglob("*") if path.is_file()}
    handed_out = {name for name in files if name.startswith("book/assignments/")}
    assert files - handed_out == {name for name in tracked if not name.startswith("instructor/")}
    expected = {f"book/assignments/{path.relative_to(student_dir).as_posix()}"
                for path in student_dir.rglob("*") if path.is_file()}
    assert handed_out == expected | {"book/assignments/ruff.toml"}
    assert len(expected) >= 4 * len(STEMS)
    # the copy's `make lint` passes: the generated notebooks and tests are not linted
    ruff = Path(sys.executable).parent / "ruff"
    if ruff.is_file():
        lint = subprocess.run([str(ruff), "check", "book/assignments"], cwd=copy,
                              capture_output=True, text=True, check=False)
        assert lint.returncode == 0, lint.stdout[-2000:]
    every_text = "\n".join((copy / name).read_text(encoding="utf-8", errors="replace")
                           for name in sorted(files))
    for stem in STEMS:
        secret, _ = _secret_and_public_text(assignments.SOURCE_DIR / f"{stem}.ipynb")
        hidden = [line for line in secret if line.startswith("test_")]
        assert hidden and not [name for name in hidden if name in every_text]
        handed_out_text = _folder_text(copy / "book" / "assignments" / stem)
        assert not [line for line in secret if line in handed_out_text]
    with pytest.raises(ValueError, match="new or empty"):
        assignments.student_copy(copy, student_dir=student_dir)


@pytest.mark.integration
def test_ungradable_notebook_scores_zero_with_a_note(built, tmp_path):
    """A file otter cannot run does not stop a class's grading: zero points and the reason."""
    broken = tmp_path / "broken.ipynb"
    broken.write_text("not a notebook", encoding="utf-8")
    item = next(iter(built.values()))
    grade = assignments.grade_submission(broken, item.autograder)
    assert grade.total == 0.0 and grade.possible == 7.0 and "JSON" in grade.error
    assert "could not be graded" in assignments.feedback_text(grade, item.name)


def _failing_runs(messages):
    """A stand-in for ``assignments._run`` that raises each message in turn, then succeeds."""
    calls = []

    def run(args, cwd=None):
        calls.append(args)
        if len(calls) <= len(messages):
            raise RuntimeError(f"otter run failed with exit code 1:\n{messages[len(calls) - 1]}")
    return run, calls


def test_a_kernel_that_never_started_is_started_again(monkeypatch, tmp_path):
    """A kernel that dies before kernel_info is the machine's failure: otter runs again."""
    run, calls = _failing_runs(["RuntimeError: Kernel died before replying to kernel_info"])
    monkeypatch.setattr(assignments, "_run", run)
    assignments._run_otter(tmp_path / "a.ipynb", tmp_path / "a.zip", tmp_path)
    assert len(calls) == 2


def test_a_kernel_that_never_starts_fails_after_the_last_attempt(monkeypatch, tmp_path):
    message = "RuntimeError: Kernel died before replying to kernel_info"
    run, calls = _failing_runs([message] * assignments.KERNEL_START_ATTEMPTS)
    monkeypatch.setattr(assignments, "_run", run)
    with pytest.raises(RuntimeError, match="kernel_info"):
        assignments._run_otter(tmp_path / "a.ipynb", tmp_path / "a.zip", tmp_path)
    assert len(calls) == assignments.KERNEL_START_ATTEMPTS


def test_a_submission_that_fails_is_not_run_again(monkeypatch, tmp_path):
    """Any other failure belongs to the submission: graded once, never retried."""
    run, calls = _failing_runs(["NotJSONError: Notebook does not appear to be JSON"])
    monkeypatch.setattr(assignments, "_run", run)
    with pytest.raises(RuntimeError, match="JSON"):
        assignments._run_otter(tmp_path / "a.ipynb", tmp_path / "a.zip", tmp_path)
    assert len(calls) == 1
