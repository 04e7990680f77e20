"""The book builds with no warning (-W -n --keep-going), offline, into a temporary folder.

The test build renders the committed outputs (``execute_notebooks: off``) instead of executing
every chapter a second time: the nbval run of ``make test`` already checks that the committed
outputs are exactly what a fresh execution gives. ``make book`` executes the chapters itself.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files():
    """Every file listed in _toc.yml, without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    """Build the book once for this module; return the HTML folder."""
    out = tmp_path_factory.mktemp("book")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(config))
    jupyter_book = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [jupyter_book, "build", str(ROOT), "--config", str(config_path), "--path-output",
         str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return out / "_build" / "html"


def test_every_toc_page_is_built(built_book):
    """Each page of the table of contents has an HTML file."""
    for stem in toc_files():
        assert (built_book / f"{stem}.html").is_file(), stem


def test_no_error_output_in_pages(built_book):
    """No page shows a Python traceback or an execution error."""
    for page in built_book.glob("book/*.html"):
        text = page.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, page.name
        assert not re.search(r"\b(NameError|ModuleNotFoundError|CellExecutionError)\b", text), (
            page.name)


def test_api_page_lists_public_names(built_book):
    """The API reference documents the top-level names of emse."""
    text = (built_book / "book" / "api.html").read_text(encoding="utf-8")
    for target in ("models.PolynomialRegressor", "unlearn.unlearn", "objectives.critical_mu",
                   "unlearn.UnboundedObjectiveError", "unlearn.UnlearningResult",
                   "baselines.remove_exact", "objectives.emse_sigma", "metrics.fair_r2"):
        assert f'id="emse.{target}"' in text, target
