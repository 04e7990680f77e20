"""One build of the book per test run, shared by the build test and the browser tests.

The test build renders the committed outputs (``execute_notebooks: off``) instead of executing
every chapter a second time: the nbval run of ``make test`` already checks that the committed
outputs are exactly what a fresh execution gives. ``make book`` executes the chapters itself.
The build uses a temporary copy of ``_config.yml`` and writes into a temporary folder, with
``-W -n --keep-going``, so HTML exists even when a warning fails the build.

The fixture ``built_book`` in tests/conftest.py calls :func:`build_book` once per session.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BookBuild:
    """The outcome of one build: the HTML folder, the exit code, the log and the wall time."""

    html: Path
    returncode: int
    log: str
    seconds: float


def toc_files() -> list[str]:
    """Every file listed in _toc.yml, in reading order, without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def write_test_config(out: Path) -> Path:
    """Write the book's configuration, with execution off, into ``out``; return its path."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    # Jupyter Book resolves local extension folders against the config file's own folder.
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((ROOT / folder).resolve())
    path = out / "_config.yml"
    # sort_keys=False: the order of nb_ipywidgets_js is the order the scripts load in.
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def build_book(out: Path) -> BookBuild:
    """Build the book into ``out`` with -W -n --keep-going; never raises on a failed build."""
    missing = [p for p in ("_assets/npm/mathjax/tex-mml-chtml.js",) if not (ROOT / p).is_file()]
    if missing:
        raise RuntimeError(f"browser assets missing ({missing}): run `make assets`")
    jupyter_book = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    config = write_test_config(out)
    start = time.perf_counter()
    result = subprocess.run(
        [jupyter_book, "build", str(ROOT), "--config", str(config), "--path-output", str(out),
         "-W", "-n", "--keep-going"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    return BookBuild(html=out / "_build" / "html", returncode=result.returncode,
                     log=result.stdout + result.stderr, seconds=time.perf_counter() - start)
