"""The grading round trip of the assignments in book/assignments (otter-grader, offline).

``otter assign`` builds each assignment into a temporary folder; ``otter run`` (no Docker)
grades three kinds of notebooks against the autograder zip:

* the reference solutions (the autograder notebook) must score full marks;
* the unmodified student notebook must score less than full marks;
* a deliberately wrong answer must fail the test of its question and only that one.

The notebooks are graded two at a time (each grading runs its own kernel).
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import assignments  # tools/assignments.py (tools/ is on pytest's pythonpath)
import nbformat
import pytest

SOURCES = assignments.sources()
STEMS = [path.stem for path in SOURCES]

# (assignment, question, text in the solution, wrong replacement): each breaks one answer in a
# way the public tests do not catch, so only the hidden tests can fail it.
WRONG_ANSWERS = [
    ("a1-emse-sigma-gradient", "q3",
     "return -2.0 * (Phi_w.T @ r_w) + 2.0 * lam * (Phi_u.T @ push)",
     "return -2.0 * (Phi_w.T @ r_w) - 2.0 * lam * (Phi_u.T @ push)"),
    ("a3-verifying-unlearning", "q2",
     "np.mean(member < nonmember) + 0.5 * np.mean(member == nonmember)",
     "np.mean(member <= nonmember)"),
]


def _cell_sources(path):
    return [cell.source for cell in nbformat.read(path, as_version=4).cells]


def _break_answer(autograder_notebook, old, new, destination):
    """Copy a solution notebook with one answer replaced by a wrong one."""
    notebook = nbformat.read(autograder_notebook, as_version=4)
    hits = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
    assert len(hits) == 1, f"{old!r} found in {len(hits)} cells of {autograder_notebook}"
    hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(notebook, destination)
    return destination


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build every assignment once (otter assign); return {stem: autograder zip}."""
    out = tmp_path_factory.mktemp("assignments")
    zips = assignments.build_all(output_dir=out, run_tests=False)
    return {path.parents[1].name: path for path in zips}


@pytest.fixture(scope="module")
def grades(built, tmp_path_factory):
    """Grade the solution, the student and the broken notebooks; {(stem, kind): Grade}."""
    wrong_dir = tmp_path_factory.mktemp("wrong")
    jobs = {}
    for stem, zip_path in built.items():
        folder = zip_path.parents[1]
        jobs[stem, "solution"] = (folder / "autograder" / f"{stem}.ipynb", zip_path)
        jobs[stem, "student"] = (folder / "student" / f"{stem}.ipynb", zip_path)
    for stem, question, old, new in WRONG_ANSWERS:
        folder = built[stem].parents[1]
        broken = _break_answer(folder / "autograder" / f"{stem}.ipynb", old, new,
                               wrong_dir / f"{stem}-{question}.ipynb")
        jobs[stem, f"wrong-{question}"] = (broken, built[stem])
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(assignments.grade_submission, *job)
                   for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def test_at_least_three_assignments():
    assert len(SOURCES) >= 3, STEMS


@pytest.mark.parametrize("source", SOURCES, ids=STEMS)
def test_source_has_config_questions_and_hidden_tests(source):
    """Each source notebook is in otter's format, named after its file, with hidden tests."""
    cells = nbformat.read(source, as_version=4).cells
    assert cells[0].cell_type == "raw" and cells[0].source.startswith("# ASSIGNMENT CONFIG")
    assert re.search(rf"^name: {re.escape(source.stem)}$", cells[0].source, re.MULTILINE)
    raw = [cell.source for cell in cells if cell.cell_type == "raw"]
    assert sum(text.startswith("# BEGIN QUESTION") for text in raw) >= 3
    assert any(cell.cell_type == "code" and cell.source.startswith("# hidden")
               for cell in cells)


def _secret_and_public_text(source):
    """Split a source notebook into its secret lines (solutions, hidden test names) and the
    text that students may see (prompts, given code, public tests)."""
    secret, public, in_solution = [], [], False
    for cell in nbformat.read(source, as_version=4).cells:
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


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_student_notebook_has_no_solutions_or_hidden_tests(built, stem):
    """Solution code and hidden tests of the source are absent from the student notebook."""
    secret, _ = _secret_and_public_text(assignments.SOURCE_DIR / f"{stem}.ipynb")
    assert len(secret) >= 5, secret
    student = nbformat.read(built[stem].parents[1] / "student" / f"{stem}.ipynb", as_version=4)
    student_text = "\n".join(cell.source for cell in student.cells) + json.dumps(
        student.metadata.get("otter", {}))
    autograder = built[stem].parents[1] / "autograder" / f"{stem}.ipynb"
    autograder_text = "\n".join(_cell_sources(autograder))
    assert all(line in autograder_text for line in secret if not line.startswith("test_"))
    leaks = [line for line in secret if line in student_text]
    assert not leaks, leaks


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_reference_solutions_score_full_marks(grades, stem):
    grade = grades[stem, "solution"]
    assert grade.possible > 0 and len(grade.max_scores) >= 2, grade
    assert grade.total == grade.possible, grade


@pytest.mark.integration
@pytest.mark.parametrize("stem", STEMS)
def test_unmodified_student_notebook_scores_less_than_full(grades, stem):
    grade = grades[stem, "student"]
    assert grade.possible == grades[stem, "solution"].possible
    assert grade.total < grade.possible, grade


@pytest.mark.integration
@pytest.mark.parametrize(("stem", "question"), [(stem, q) for stem, q, _, _ in WRONG_ANSWERS])
def test_wrong_answer_fails_its_question_only(grades, stem, question):
    grade = grades[stem, f"wrong-{question}"]
    assert grade.scores[question] < grade.max_scores[question], grade
    others = {q: s for q, s in grade.scores.items() if q != question}
    assert others == {q: m for q, m in grade.max_scores.items() if q != question}, grade


@pytest.mark.integration
def test_grades_csv(grades, tmp_path):
    """The grades are written as CSV: one row per submission, questions in columns."""
    output = tmp_path / "grades.csv"
    stem = STEMS[0]
    assignments.write_grades([grades[stem, "solution"], grades[stem, "student"]], output)
    header, solution, student = output.read_text().splitlines()
    assert header.startswith("submission,q1,") and header.endswith(",total,possible")
    assert solution.split(",")[-1] == solution.split(",")[-2]  # full marks
    assert student.split(",")[-1] != student.split(",")[-2]
