"""A chapter opened in a real JupyterLab renders its MyST directives (jupyterlab-myst).

``make lab`` is how students run the chapters. Without jupyterlab-myst, JupyterLab shows the
chapters' exercises, solutions, theorems and proofs as raw directive markup. This test starts
the JupyterLab of the environment (token-less, on 127.0.0.1 and a free port, every other
address blocked in the browser), opens one chapter with exercises, solutions, proofs and an
admonition, waits until every markdown cell is rendered, and fails if

* any raw directive markup (``:::{``, ``{exercise}``, ``{prf:``, ``{solution``, a directive
  option such as ``:label:``) is visible in the rendered markdown cells;
* the chapter's directives do not each render as their box (one per directive in the source:
  exercises, solution dropdowns, theorem-like blocks and proofs, admonitions);
* the maths is not typeset, or KaTeX reports an error (an undefined macro);
* the page asked for anything from another host.

The chapter is copied into a temporary folder, so nothing the session writes (a notebook made
dirty by the kernel's metadata, checkpoints) can reach book/. The browser is the installed
Chromium of tests/test_browser.py (skipped without one, failed under CI=1). A screenshot of
the top of the chapter is saved as ``_build/screenshots/lab-<chapter>.png``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from book_build import ROOT
from test_browser import CHROMIUM_ARGS, SCREENSHOTS, require_chromium

pytestmark = pytest.mark.integration

CHAPTER = "02-deriving-emse.ipynb"
SERVER_START_S = 60
RENDER_TIMEOUT_MS = 60_000
# Raw MyST that must never be visible: directive openings and directive options.
RAW_MARKUP = re.compile(r":::\{|```\{|\{exercise\}|\{solution|\{prf:|\{admonition\}|"
                        r"^:(label|class|nonumber|pyobject):", re.MULTILINE)
# Directive name in the source -> the element jupyterlab-myst renders for it.
DIRECTIVES = {
    "exercise": "aside.myst-exercise",
    "solution": "details.myst-exercise",
    "prf": "aside.myst-proof",
    "admonition": "aside.myst-admonition",
}
# JupyterLab's own settings for the session: no news pop-up over the notebook, no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

RENDERED = """(expected) => {
  const cells = [...document.querySelectorAll(".jp-Notebook .jp-MarkdownCell")];
  return cells.length === expected
    && cells.every((cell) => cell.querySelector(".myst, .jp-RenderedMarkdown"));
}"""

INSPECT = """(selectors) => {
  const cells = [...document.querySelectorAll(".jp-Notebook .jp-MarkdownCell")];
  const rendered = cells.map((cell) => cell.querySelector(".myst, .jp-RenderedMarkdown"));
  const count = (selector) => rendered.reduce(
    (n, e) => n + (e ? e.querySelectorAll(selector).length : 0), 0);
  // Every text node outside typeset maths, shown or not (innerText is empty for cells that
  // JupyterLab has not laid out yet, off screen, and for closed solution dropdowns).
  const text = (e) => {
    if (!e) return "";
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const parts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.closest(".katex")) parts.push(node.data);
    }
    return parts.join("");
  };
  const counts = {};
  for (const [name, selector] of Object.entries(selectors)) counts[name] = count(selector);
  return {
    cells: cells.length,
    myst: rendered.filter((e) => e && e.classList.contains("myst")).length,
    texts: rendered.map(text),
    counts: counts,
    katex: count(".katex"),
    katexErrors: rendered.flatMap((e) => e ? [...e.querySelectorAll(".katex-error")].map(
      (x) => x.getAttribute("title") || x.textContent) : []),
  };
}"""


def directive_counts(notebook: Path) -> dict[str, int]:
    """How many exercise, solution, proof-like and admonition directives the chapter holds."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    source = "\n".join("".join(cell["source"]) for cell in cells
                       if cell["cell_type"] == "markdown")
    found = re.findall(r"^(?:```+|:::+)\{(exercise|solution|prf:\w+|admonition)\}", source,
                       re.MULTILINE)
    return {name: sum(1 for f in found if f.split(":")[0] == name) for name in DIRECTIVES}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server of this environment on 127.0.0.1 serving a copy of the chapter."""
    require_chromium()  # skip (fail in CI) before starting anything
    base = tmp_path_factory.mktemp("lab")
    notebooks = base / "notebooks"
    notebooks.mkdir()
    shutil.copy2(ROOT / "book" / CHAPTER, notebooks / CHAPTER)
    for name, values in LAB_SETTINGS.items():
        path = base / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    port = free_port()
    # Jupyter's and IPython's per-user folders in the temporary folder: the user's own
    # configuration does not change the test, and the test writes nothing into $HOME.
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"),
           "JUPYTER_DATA_DIR": str(base / "data"), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "IPYTHONDIR": str(base / "ipython"), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
               "--ServerApp.password=", f"--ServerApp.root_dir={notebooks}",
               f"--LabApp.user_settings_dir={base / 'settings'}",
               f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers run as root; JupyterLab refuses without
    log = (base / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urlopen(f"{url}/api/status", timeout=2):
                    break
            except (URLError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (base / "server.log").read_text()[-3000:])
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_chapter_renders_in_jupyterlab(lab):
    """Every directive of the chapter renders as its box, with typeset maths and no raw markup."""
    from playwright.sync_api import sync_playwright

    expected = directive_counts(ROOT / "book" / CHAPTER)
    assert expected["exercise"] and expected["solution"] and expected["prf"], expected
    n_markdown = sum(cell["cell_type"] == "markdown" for cell in json.loads(
        (ROOT / "book" / CHAPTER).read_text(encoding="utf-8"))["cells"])
    remote = []

    def only_the_server(route):
        if route.request.url.startswith((lab, "data:", "blob:")):
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(require_chromium()),
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", only_the_server)
            page = context.new_page()
            page.goto(f"{lab}/lab/tree/{CHAPTER}")
            page.wait_for_function(RENDERED, arg=n_markdown, timeout=RENDER_TIMEOUT_MS)
            report = page.evaluate(INSPECT, DIRECTIVES)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"lab-{Path(CHAPTER).stem}.png"))
        finally:
            browser.close()

    assert report["myst"] == report["cells"] == n_markdown, (
        f"{report['myst']} of {n_markdown} markdown cells rendered by jupyterlab-myst: is it "
        "installed (requirements.txt) and enabled (jupyter labextension list)?")
    assert all(report["texts"]), "a rendered markdown cell without text"
    raw = [match.group(0) + " in: " + text[max(0, match.start() - 60):match.end() + 60]
           for text in report["texts"] for match in [RAW_MARKUP.search(text)] if match]
    assert not raw, f"raw MyST markup visible in JupyterLab: {raw}"
    assert report["counts"] == expected, (
        f"directives rendered {report['counts']}, the chapter has {expected}")
    assert report["katex"] > 0, "no maths typeset"
    assert not report["katexErrors"], f"maths KaTeX could not typeset: {report['katexErrors']}"
    assert not remote, f"requests that tried to leave the machine: {remote}"
