"""How the book is built: the Jupyter Book flags, derived configurations and the test build.

The one place that owns these, used by the Makefile (``make book`` reads the flags with
``python tools/book_build.py --flags``), tools/student_edition.py, the tests (the session
fixture ``built_book`` of tests/conftest.py calls :func:`build_book`) and bench/bench_book.py.

* :data:`JB_FLAGS`: every build is warning-free (``-W``), with every reference resolved
  (``-n``), and goes on after a warning (``--keep-going``) so the HTML exists to look at.
* :func:`derive_config` copies the book's ``_config.yml`` with another execution mode (and
  optional extra changes). Jupyter Book resolves the folders of ``sphinx.local_extensions``
  against the folder of the configuration file; a derived configuration is written elsewhere,
  so they are made absolute. :func:`write_config` writes it.
* :func:`build_book` is the test build: the committed outputs (``execute_notebooks: off``)
  instead of executing every chapter a second time (the nbval run of ``make test`` checks that
  they are exactly what a fresh execution gives), into a temporary folder. ``make book``
  executes the chapters itself.

tools/ is on the import path of the tests (``pythonpath`` in pyproject.toml) and of the
benchmarks (``PYTHONPATH=tools`` in the Makefile); scripts in tools/ import it directly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EXECUTE_MODES", "JB_FLAGS", "ROOT", "BookBuild", "build_book", "derive_config",
           "jupyter_book", "load_config", "run_jupyter_book", "toc_files", "write_config"]

ROOT = Path(__file__).resolve().parents[1]
"""The repository root, which is the book root."""

JB_FLAGS = ("-W", "-n", "--keep-going")
"""Flags of every ``jupyter-book build`` of the book."""

EXECUTE_MODES = ("off", "cache", "force", "auto")
"""Values of ``execute.execute_notebooks``."""


def load_config(root: Path | str = ROOT) -> dict[str, Any]:
    """The ``_config.yml`` of the book at ``root`` as a dict."""
    import yaml

    path = Path(root) / "_config.yml"
    if not path.is_file():
        raise ValueError(f"root must hold a _config.yml, got {Path(root)}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def derive_config(config: dict[str, Any], *, root: Path | str = ROOT, execute: str = "off",
                  title: str | None = None, sphinx_config: dict[str, Any] | None = None,
                  extensions: dict[str, Path | str] | None = None) -> dict[str, Any]:
    """A copy of a book's configuration, to be written outside the book's root.

    Parameters
    ----------
    config : dict
        The book's ``_config.yml`` as a dict; it is not modified.
    root : path, default the repository root
        The book root: relative ``sphinx.local_extensions`` folders are made absolute
        against it.
    execute : {"off", "cache", "force", "auto"}, default "off"
        ``execute.execute_notebooks`` of the derived build.
    title : str, optional
        A new title.
    sphinx_config : dict, optional
        Entries added to (or replacing those of) ``sphinx.config``.
    extensions : dict, optional
        More local Sphinx extensions, ``{module name: folder}``.

    Returns
    -------
    dict
        The new configuration.
    """
    if execute not in EXECUTE_MODES:
        raise ValueError(f"execute must be one of {', '.join(EXECUTE_MODES)}, got {execute!r}")
    new = json.loads(json.dumps(config))  # deep copy of plain YAML data
    if title is not None:
        new["title"] = title
    new.setdefault("execute", {})["execute_notebooks"] = execute
    local = {**(new.get("sphinx", {}).get("local_extensions") or {}), **(extensions or {})}
    if local:
        new.setdefault("sphinx", {})["local_extensions"] = {
            name: str((Path(root) / folder).resolve()) for name, folder in local.items()}
    if sphinx_config:
        new.setdefault("sphinx", {}).setdefault("config", {}).update(sphinx_config)
    return new


def write_config(config: dict[str, Any], path: Path | str) -> Path:
    """Write a configuration as YAML to ``path`` (folders created); return the path."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # sort_keys=False: the order of nb_ipywidgets_js is the order the scripts load in.
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def jupyter_book() -> str:
    """The ``jupyter-book`` command next to this Python (else the one on PATH)."""
    command = (shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
               or shutil.which("jupyter-book"))
    if command is None:
        raise RuntimeError("jupyter-book is not installed: pip install -r requirements.txt")
    return command


def run_jupyter_book(root: Path | str, output: Path | str, *extra: str,
                     config: Path | str | None = None) -> subprocess.CompletedProcess:
    """``jupyter-book build root --path-output output`` with :data:`JB_FLAGS` and ``extra``.

    ``config`` is a configuration file to use instead of ``root/_config.yml``. Never raises
    on a failed build: the completed process carries the exit code and the output (text).
    """
    command = [jupyter_book(), "build", str(root), "--path-output", str(output)]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run([*command, *JB_FLAGS, *extra], capture_output=True, text=True,
                          cwd=root, check=False)


def toc_files(root: Path | str = ROOT) -> list[str]:
    """Every file listed in the book's _toc.yml, in reading order, without extension."""
    import yaml

    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@dataclass(frozen=True)
class BookBuild:
    """The outcome of one build: the HTML folder, the exit code, the log and the wall time."""

    html: Path
    returncode: int
    log: str
    seconds: float


def build_book(out: Path | str) -> BookBuild:
    """The test build: the book's committed outputs into ``out``; never raises on a failure."""
    out = Path(out)
    missing = [p for p in ("_assets/npm/mathjax/tex-mml-chtml.js",) if not (ROOT / p).is_file()]
    if missing:
        raise RuntimeError(f"browser assets missing ({missing}): run `make assets`")
    config = write_config(derive_config(load_config(ROOT), root=ROOT, execute="off"),
                          out / "_config.yml")
    start = time.perf_counter()
    result = run_jupyter_book(ROOT, out, config=config)
    return BookBuild(html=out / "_build" / "html", returncode=result.returncode,
                     log=result.stdout + result.stderr, seconds=time.perf_counter() - start)


if __name__ == "__main__":
    if sys.argv[1:] != ["--flags"]:
        sys.exit("usage: python tools/book_build.py --flags   (prints the jupyter-book flags)")
    print(" ".join(JB_FLAGS))
