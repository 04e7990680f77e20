"""The book builds with no warning (-W -n --keep-going), offline, and documents all of emse.

The build itself (one per test run, shared with tests/test_browser.py) is the session fixture
``built_book`` of tests/conftest.py; see tools/book_build.py. The tests that read it are marked
``integration``; the tests of tools/book_build.py's helpers are quick.
"""

import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import book_build
import pytest
import yaml
from book_build import toc_files

import emse

# A script, stylesheet, image or frame that the browser would fetch from the network.
REMOTE_ASSET = re.compile(
    r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^\"']+",
    re.IGNORECASE,
)


def public_modules():
    """Every public submodule of emse: those named in emse.__all__ and those in the package."""
    names = {name for name in emse.__all__ if importlib.util.find_spec(f"emse.{name}")}
    names |= {info.name for info in pkgutil.iter_modules(emse.__path__)
              if not info.name.startswith("_")}
    return sorted(names)


def home_entry(module, name):
    """The API page's anchor for ``module.name``: where the object is defined, for re-exports."""
    obj = getattr(module, name)
    home, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if home and qualname and home.startswith("emse.") and home != module.__name__:
        return f"{home}.{qualname}"  # documented once, in its own module's section
    return f"{module.__name__}.{name}"


@pytest.mark.integration
def test_book_builds_without_warnings(built_book):
    """jupyter-book build -W -n --keep-going exits 0 (no warning, no broken reference)."""
    assert built_book.returncode == 0, built_book.log[-6000:]


@pytest.mark.integration
def test_every_toc_page_is_built(built_book):
    """Each page of the table of contents has an HTML file."""
    for stem in toc_files():
        assert (built_book.html / f"{stem}.html").is_file(), stem


@pytest.mark.integration
def test_no_error_output_in_pages(built_book):
    """No page shows a Python traceback or an execution error."""
    for page in built_book.html.glob("book/*.html"):
        text = page.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, page.name
        assert not re.search(r"\b(NameError|ModuleNotFoundError|CellExecutionError)\b", text), (
            page.name)


@pytest.mark.integration
def test_pages_load_nothing_from_the_network(built_book):
    """No page of the book refers to a script, stylesheet or image on another host."""
    for page in built_book.html.rglob("*.html"):
        remote = REMOTE_ASSET.findall(page.read_text(encoding="utf-8"))
        assert not remote, (page.relative_to(built_book.html), remote)


@pytest.mark.integration
def test_offline_assets_are_in_static(built_book):
    """MathJax, RequireJS and the widget manager are served from the book's own _static."""
    static = built_book.html / "_static"
    for asset in ("npm/mathjax/tex-mml-chtml.js", "npm/mathjax/output/chtml/fonts/woff-v2",
                  "npm/requirejs/require.js", "npm/html-manager/embed-amd.js",
                  "widgets-offline.js"):
        assert (static / asset).exists(), asset
    index = (built_book.html / "book" / "index.html").read_text(encoding="utf-8")
    assert 'src="../_static/npm/mathjax/tex-mml-chtml.js' in index


@pytest.mark.integration
@pytest.mark.parametrize("module_name", public_modules())
def test_api_page_documents_every_public_name(built_book, module_name):
    """Every public module of emse has a section on the API page, with each name of its __all__.

    A new module must be added to book/api.md (an ``automodule`` block) to pass.
    """
    text = (built_book.html / "book" / "api.html").read_text(encoding="utf-8")
    assert f'id="module-emse.{module_name}"' in text, (
        f"emse.{module_name} is not on the API page: add an automodule block to book/api.md")
    module = importlib.import_module(f"emse.{module_name}")
    missing = [name for name in getattr(module, "__all__", [])
               if f'id="{home_entry(module, name)}"' not in text]
    assert not missing, f"emse.{module_name}: {missing} not documented (docstring missing?)"


@pytest.mark.integration
def test_api_page_documents_top_level_names(built_book):
    """Each re-exported top-level name (emse.unlearn, ...) has an entry at its home module."""
    text = (built_book.html / "book" / "api.html").read_text(encoding="utf-8")
    for name in emse.__all__:
        obj = getattr(emse, name)
        if inspect.ismodule(obj):
            continue  # a submodule: test_api_page_documents_every_public_name
        assert f'id="{obj.__module__}.{obj.__qualname__}"' in text, name


@pytest.mark.integration
def test_short_cross_references_resolve(built_book):
    """{py:func}`emse.unlearn` on the API page links to the function, not to the module."""
    text = (built_book.html / "book" / "api.html").read_text(encoding="utf-8")
    assert re.search(r'href="#emse\.unlearn\.unlearn"[^>]*><code[^>]*py-func[^>]*>'
                     r'<span class="pre">emse\.unlearn\(\)', text)
    assert 'href="#emse.models.PolynomialRegressor"' in text


# ----------------------------------------------------------------------------- tools/book_build.py

def test_flags_are_printed_for_the_makefile():
    """``make book`` reads the flags from ``python tools/book_build.py --flags``."""
    script = Path(book_build.__file__)
    printed = subprocess.run([sys.executable, str(script), "--flags"], capture_output=True,
                             text=True, check=True).stdout.split()
    assert printed == list(book_build.JB_FLAGS)
    assert {"-W", "-n", "--keep-going"} <= set(printed)
    makefile = (book_build.ROOT / "Makefile").read_text(encoding="utf-8")
    assert "tools/book_build.py --flags" in makefile
    assert "--keep-going" not in makefile  # one definition: the module's


def test_derive_config(tmp_path):
    config = {"title": "T", "execute": {"execute_notebooks": "cache"},
              "sphinx": {"config": {"numfig": True}, "local_extensions": {"ext": "tools"}}}
    new = book_build.derive_config(config, root=tmp_path, execute="off", title="U",
                                   sphinx_config={"a": 1}, extensions={"more": "x"})
    assert new["title"] == "U"
    assert new["execute"] == {"execute_notebooks": "off"}
    assert new["sphinx"]["config"] == {"numfig": True, "a": 1}
    assert new["sphinx"]["local_extensions"] == {"ext": str((tmp_path / "tools").resolve()),
                                                 "more": str((tmp_path / "x").resolve())}
    assert config["execute"]["execute_notebooks"] == "cache"  # input untouched
    assert config["sphinx"]["local_extensions"] == {"ext": "tools"}
    with pytest.raises(ValueError, match="execute"):
        book_build.derive_config(config, execute="sometimes")


def test_derived_book_config_round_trips(tmp_path):
    """The test build's configuration: the book's, execution off, extension folders absolute,
    written in the book's key order (the widget scripts load in that order)."""
    config = book_build.load_config()
    path = book_build.write_config(book_build.derive_config(config), tmp_path / "c" / "c.yml")
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written["execute"]["execute_notebooks"] == "off"
    for folder in written["sphinx"].get("local_extensions", {}).values():
        assert Path(folder).is_absolute() and Path(folder).is_dir(), folder
    assert list(written["sphinx"]["config"]) == list(config["sphinx"]["config"])
    assert written["title"] == config["title"]
