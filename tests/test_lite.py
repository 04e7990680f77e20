"""The in-browser edition (tools/lite_edition.py, ``make lite``): its build and every chapter run.

Unit tests (quick): a wheel whose sha256 differs from the official Pyodide lock is refused, the
trimmed lock ships every dependency it lists, and the wheels the build writes are valid.

Browser test (integration): ``_build/html`` (the site ``make lite`` builds into
``_build/html/lite/``) is served on 127.0.0.1; Debian's chromium (found as tests/test_browser.py
finds it; skipped without one, failed when ``CI`` is set) opens each chapter in JupyterLite with
every request to another host aborted and recorded (and no host name resolvable but
127.0.0.1), runs all cells top to bottom and fails on any error output, any request that tried
to leave the machine, or a chapter that takes more than :data:`CHAPTER_BUDGET_S`. Every chapter
runs by default; ``EMSE_LITE_CHAPTERS=03,05`` chooses by name prefix and ``none`` runs none.
``make test`` runs the chapters in two halves beside its other jobs (``make lite-check`` runs
them all at once). Chapters run one after the other in one browser; each one's time is printed
(``-s`` shows it, and ``_build/lite-times.json`` keeps it).
"""

from __future__ import annotations

import base64
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import threading
import time
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import lite_edition
import pytest
from book_build import ROOT

SITE = ROOT / "_build" / "html"
LITE = SITE / "lite"
TIMES = ROOT / "_build" / "lite-times.json"
ALL_CHAPTERS = sorted(path.name for path in ROOT.glob(lite_edition.CHAPTER_GLOB))
# Which chapters the browser test runs: EMSE_LITE_CHAPTERS="all" (the default), "none", or a
# comma-separated list of name prefixes (make test runs two halves side by side).
_SELECTED = os.environ.get("EMSE_LITE_CHAPTERS", "all")
# In the order the prefixes are given, so that make test can start each half with its longest.
CHAPTERS = (ALL_CHAPTERS if _SELECTED == "all" else [] if _SELECTED == "none" else
            [name for prefix in _SELECTED.split(",") for name in ALL_CHAPTERS
             if name.startswith(prefix.strip())])
CHAPTER_BUDGET_S = 180
IN_CI = bool(os.environ.get("CI"))
LOOPBACK = "127.0.0.1"


# ---------------------------------------------------------------- the build (unit tests)

def fake_source(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A zip laid out like the package that carries the Pyodide wheels."""
    path = tmp_path / "source.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(lite_edition.PYODIDE_WHEELS_SOURCE[3] + name, data)
    return path


def fake_lock(files: dict[str, bytes]) -> dict:
    packages = {}
    for index, (name, data) in enumerate(files.items()):
        packages[f"pkg{index}"] = {"name": f"pkg{index}", "file_name": name, "depends": [],
                                   "sha256": lite_edition.sha256(data), "imports": []}
    return {"info": {"version": lite_edition.PYODIDE_VERSION}, "packages": packages}


def test_verified_wheels_are_shipped(tmp_path):
    files = {"a-1.0-py3-none-any.whl": b"first", "b-2.0-py3-none-any.whl": b"second"}
    lock = fake_lock(files)
    shipped = lite_edition.pyodide_packages(lock, ["pkg0", "pkg1"], fake_source(tmp_path, files))
    assert [(item.file_name, data) for item, data in shipped] == list(files.items())


def test_tampered_wheel_is_refused(tmp_path):
    """One changed byte in a wheel of the source package stops the build."""
    files = {"a-1.0-py3-none-any.whl": b"first", "b-2.0-py3-none-any.whl": b"second"}
    lock = fake_lock(files)
    tampered = dict(files, **{"b-2.0-py3-none-any.whl": b"secoNd"})
    source = fake_source(tmp_path, tampered)
    with pytest.raises(lite_edition.VerificationError, match=r"b-2\.0-py3-none-any\.whl"):
        lite_edition.pyodide_packages(lock, ["pkg0", "pkg1"], source)


def test_tampered_pure_wheel_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(lite_edition, "PURE_WHEELS",
                        {"comm": ("0.2.3", lite_edition.sha256(b"genuine"), [], ["comm"])})
    (tmp_path / "comm-0.2.3-py3-none-any.whl").write_bytes(b"genuine")
    assert lite_edition.pure_wheels(tmp_path)[0][1] == b"genuine"
    (tmp_path / "comm-0.2.3-py3-none-any.whl").write_bytes(b"tampered")
    with pytest.raises(lite_edition.VerificationError, match="comm"):
        lite_edition.pure_wheels(tmp_path)


def test_official_lock_closure_and_trimmed_lock():
    """The shipped packages are closed under the official lock's dependencies."""
    if not (lite_edition.NODE_PYODIDE / "pyodide-lock.json").is_file() and not IN_CI:
        pytest.skip("npm's pyodide is not installed: run `make assets` (npm ci)")
    lock = lite_edition.official_lock()
    names = lite_edition.closure(lock, lite_edition.ROOT_PACKAGES)
    assert {"numpy", "scipy", "scikit-learn", "matplotlib", "ipython", "openblas"} <= set(names)
    assert not {"pandas", "pyarrow"} & set(names)
    shipped = [lite_edition.Shipped(lock["packages"][n]["file_name"], lock["packages"][n])
               for n in names]
    trimmed = lite_edition.trimmed_lock(lock, shipped)
    assert set(trimmed["packages"]) == set(names)
    with pytest.raises(SystemExit, match="does not ship"):
        lite_edition.trimmed_lock(lock, [s for s in shipped if s.entry["name"] != "numpy"])


def record_digest(data: bytes) -> str:
    """A wheel RECORD's hash of ``data``."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(
        b"=").decode()


def test_own_wheels_are_valid():
    """The emse and myst_nb wheels hold the package, metadata and a RECORD that matches."""
    wheels = lite_edition.own_wheels()
    for item, data in wheels:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            record = next(n for n in names if n.endswith(".dist-info/RECORD"))
            for name, digest, _size in csv.reader(io.StringIO(archive.read(record).decode())):
                if name != record:
                    assert digest == record_digest(archive.read(name)), name
        assert f"{item.entry['imports'][0]}/__init__.py" in names, item.file_name
        assert item.entry["sha256"] == lite_edition.sha256(data)
    emse = next(item for item, _ in wheels if item.entry["name"] == "emse")
    assert "ipywidgets" in emse.entry["depends"]
    assert {"emse/_threads.py", "emse/widgets.py"} <= set(
        zipfile.ZipFile(io.BytesIO(dict((i.entry["name"], d) for i, d in wheels)["emse"]))
        .namelist())


def test_glue_stand_in_displays(monkeypatch):
    """The myst_nb stand-in shows a glued value unless display=False."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "myst_nb_lite", lite_edition.STAND_INS / "myst_nb" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda value, **kw: shown.append(value))
    module.glue("x", 1.5)
    module.glue("y", 2.5, display=False)
    assert shown == [1.5]


# ---------------------------------------------------------------- the browser test

class QuietHandler(SimpleHTTPRequestHandler):
    """Static files of _build/html, WebAssembly with its MIME type, no request log."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
        ".mjs": "text/javascript", ".js": "text/javascript"}

    def log_message(self, format, *args):
        pass

    def copyfile(self, source, outputfile):
        """Send a file, adding its size to the server's ``bytes_sent``."""
        with self.server.lock:
            self.server.bytes_sent += os.fstat(source.fileno()).st_size
        super().copyfile(source, outputfile)


@pytest.fixture(scope="module")
def site():
    """_build/html with the in-browser edition in it (``make lite``; ``make test`` builds it)."""
    if not (LITE / "jupyter-lite.json").is_file():
        message = f"{LITE} is not built: run `make lite`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return SITE


@pytest.fixture(scope="module")
def server(site):
    """``site`` served over HTTP on 127.0.0.1 (a free port); yields the server (its ``url`` and
    the ``bytes_sent`` so far, uncompressed)."""
    httpd = ThreadingHTTPServer((LOOPBACK, 0), partial(QuietHandler, directory=str(site)))
    httpd.lock, httpd.bytes_sent = threading.Lock(), 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://{LOOPBACK}:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def lite_context(server):
    """One headless Chromium and one browser context (its cache shared by the chapters),
    every request to another host aborted and recorded in ``context.remote``."""
    from test_browser import CHROMIUM_ARGS, require_chromium

    chromium = require_chromium()
    # Requests of the site's service worker go through the routes below too.
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    from playwright.sync_api import sync_playwright

    remote: list[str] = []

    def only_loopback(route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname == LOOPBACK:
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_loopback)
        context.remote = remote
        yield context
        context.close()
        browser.close()


@pytest.mark.integration
def test_chapter_pages_link_into_the_edition(built_book, site):
    """Each chapter page of the book has a button whose relative link opens that chapter in
    the edition beside it (lab/index.html?path=NN-name.ipynb, the notebook in its contents)."""
    html = built_book.html
    if not (html / "book" / "index.html").is_file():
        pytest.fail("the book did not build:\n" + built_book.log[-3000:])
    for chapter in ALL_CHAPTERS:
        page = html / "book" / chapter.replace(".ipynb", ".html")
        found = re.search(r'<a href="([^"]+)"[^>]*class="[^"]*btn-lite-launch',
                          page.read_text(encoding="utf-8"))
        assert found, f"{page.name} has no button into the in-browser edition"
        url = urlparse(found.group(1))
        assert not url.scheme and not url.netloc, f"{page.name}: not relative: {url.geturl()}"
        target = Path(os.path.normpath(page.parent / url.path)).relative_to(html)
        assert (site / target).is_file(), f"{page.name} links to {target}, not in the site"
        assert parse_qs(url.query) == {"path": [chapter]}, url.geturl()
        assert (LITE / "files" / chapter).is_file()


# Runs every cell of the open notebook through JupyterLab's own command, then reports each
# code cell's outputs. Resolves with {timedOut: true} after `budget` milliseconds.
RUN_ALL = r"""async (budget) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const started = performance.now();
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.sessionContext.session.kernel.info;
  const kernelReady = performance.now();
  await app.commands.execute("notebook:clear-all-cell-outputs");
  const timeout = new Promise((done) => setTimeout(() => done("timeout"), budget));
  const run = app.commands.execute("notebook:run-all-cells");
  if (await Promise.race([run, timeout]) === "timeout") return {timedOut: true};
  const cells = [];
  for (const cell of panel.content.model.cells) {
    if (cell.type !== "code") continue;
    const outputs = cell.outputs.toJSON();
    cells.push({
      count: cell.executionCount,
      source: cell.sharedModel.getSource().slice(0, 80),
      errors: outputs.filter((o) => o.output_type === "error")
        .map((o) => `${o.ename}: ${o.evalue}`),
      stderr: outputs.filter((o) => o.output_type === "stream" && o.name === "stderr")
        .map((o) => [].concat(o.text).join("")),
      images: outputs.filter((o) => o.data && o.data["image/png"]).length,
    });
  }
  return {timedOut: false, cells: cells, kernelSeconds: (kernelReady - started) / 1000,
          runSeconds: (performance.now() - kernelReady) / 1000};
}"""

# A notebook panel is open with its kernel session (the kernel may still be starting).
NOTEBOOK_OPEN = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  return Boolean(panel && panel.sessionContext && panel.sessionContext.session
                 && panel.content && panel.content.model);
}"""

STDERR_FAILS = ("Traceback", "Error", "Exception")


def record_time(chapter: str, seconds: float) -> None:
    """Add one chapter's time to TIMES; two test processes may write at once (make test)."""
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    with open(TIMES.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        times = json.loads(TIMES.read_text()) if TIMES.is_file() else {}
        times[chapter] = round(seconds, 1)
        TIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")


@pytest.mark.integration
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_browser(lite_context, server, chapter):
    """One chapter, opened in JupyterLite, runs top to bottom with no error in the budget."""
    page = lite_context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(f"{error} {error.stack}"))
    remote_before, bytes_before = len(lite_context.remote), server.bytes_sent
    start = time.perf_counter()
    try:
        page.goto(f"{server.url}/lite/lab/index.html?path={chapter}", wait_until="load")
        page.wait_for_function(NOTEBOOK_OPEN, timeout=60_000, polling=100)
        left_ms = max(1_000, int((CHAPTER_BUDGET_S - (time.perf_counter() - start)) * 1000))
        report = page.evaluate(RUN_ALL, left_ms)
    finally:
        seconds = time.perf_counter() - start
        page.close()
    record_time(chapter, seconds)
    phases = (f" (kernel ready after {report['kernelSeconds']:.1f} s, cells "
              f"{report['runSeconds']:.1f} s)" if not report.get("timedOut", True) else "")
    # the first chapter in a fresh browser downloads what a reader's first visit does
    served = (server.bytes_sent - bytes_before) / 1e6
    print(f"\n{chapter}: {seconds:.1f} s in the browser{phases}, {served:.1f} MB served")
    remote = lite_context.remote[remote_before:]
    assert not remote, f"requests that tried to leave the machine: {remote}"
    assert not report["timedOut"], f"{chapter} took more than {CHAPTER_BUDGET_S} s"
    cells = report["cells"]
    errors = [(c["source"], c["errors"]) for c in cells if c["errors"]]
    assert not errors, f"error outputs: {errors}"
    bad_stderr = [(c["source"], text) for c in cells for text in c["stderr"]
                  if any(word in text for word in STDERR_FAILS)]
    assert not bad_stderr, f"errors on stderr: {bad_stderr}"
    not_run = [c["source"] for c in cells if c["count"] is None]
    assert not not_run, f"cells that did not run: {not_run}"
    assert not page_errors, f"script errors: {page_errors}"
    assert seconds <= CHAPTER_BUDGET_S, f"{chapter}: {seconds:.0f} s"
