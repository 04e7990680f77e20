"""Stage the browser assets the built book loads, so that it reads offline.

The HTML pages would otherwise load MathJax, RequireJS and the Jupyter widgets HTML manager
from content delivery networks. ``npm ci`` installs the pinned packages of ``package.json`` /
``package-lock.json`` into ``node_modules/``; this script copies the files the pages use into
``_assets/npm/``, which ``_config.yml`` lists in ``html_static_path``, so Sphinx copies them to
``_build/html/_static/npm/``. ``mathjax_path`` and ``nb_ipywidgets_js`` in ``_config.yml`` point
there. Both folders are git-ignored: no third-party code is committed.

Run by ``make`` before every build (``make book``, ``make test``); by hand::

    npm ci --ignore-scripts && python3 tools/offline_assets.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
OUT = ROOT / "_assets" / "npm"

# (package, files or folders inside the package, destination folder under _assets/npm).
# MathJax: the combined TeX+MathML -> CommonHTML component Sphinx uses by default, plus the
# folders it loads on demand (TeX extensions through autoload, fonts, the menu's renderer and
# accessibility options); not latest.js, which would fetch MathJax from a CDN.
# html-manager: embed-amd.js (the RequireJS embedder with the standard widgets built in) and the
# Font Awesome fonts its styles refer to.
MANIFEST = (
    ("mathjax", ["es5/tex-mml-chtml.js", "es5/input", "es5/output", "es5/ui", "es5/a11y",
                 "es5/sre", "es5/adaptors", "LICENSE"], "mathjax"),
    ("requirejs", ["require.js"], "requirejs"),
    ("@jupyter-widgets/html-manager",
     ["dist/embed-amd.js", "dist/*.woff2", "dist/*.woff", "dist/*.ttf", "dist/*.eot",
      "dist/*.svg"], "html-manager"),
)


def expected_version(package: str) -> str:
    """The version package.json pins for ``package``."""
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    return pins[package]


def stage(package: str, patterns: list[str], destination: str) -> int:
    """Copy ``patterns`` of one installed package into ``OUT / destination``; count files."""
    source = NODE_MODULES / package
    manifest = source / "package.json"
    if not manifest.is_file():
        raise SystemExit(f"{package} is not installed in {NODE_MODULES}: run `npm ci` first")
    installed = json.loads(manifest.read_text())["version"]
    if installed != expected_version(package):
        raise SystemExit(f"{package}: package.json pins {expected_version(package)}, "
                         f"node_modules has {installed}: run `npm ci`")
    target = OUT / destination
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    count = 0
    for pattern in patterns:
        matches = sorted(source.glob(pattern))
        if not matches and "*" not in pattern:
            raise SystemExit(f"{package}@{installed} has no {pattern}")
        for path in matches:
            relative = path.relative_to(source)
            # es5/ and dist/ are build folders: flatten them so URLs stay short.
            if relative.parts[0] in ("es5", "dist"):
                relative = Path(*relative.parts[1:])
            if path.is_dir():
                shutil.copytree(path, target / relative)
                count += sum(1 for p in path.rglob("*") if p.is_file())
            else:
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / relative)
                count += 1
    return count


def main() -> None:
    for package, patterns, destination in MANIFEST:
        count = stage(package, patterns, destination)
        print(f"staged {package}@{expected_version(package)}: {count} files in "
              f"{(OUT / destination).relative_to(ROOT)}")
    (OUT.parent / ".stamp").touch()


if __name__ == "__main__":
    sys.exit(main())
