"""Sphinx extension: the built book reads with a screen reader, a keyboard, a phone and dark mode.

What it does (the browser tests of tests/test_browser.py run axe-core over every page and check
each point):

* **Alt text from captions.** A notebook's output image has no alt text of its own, and the HTML
  writer then uses the image's file name ("../_images/9b49….png"). Once a document's references
  are resolved (``doctree-resolved``), every image whose alt text is missing or a file name gets
  the plain text of its figure's caption, maths included (``EMSE$_\\mu$`` becomes "EMSE μ").
  An output image without a caption gets the next best description: the plot's title and axis
  labels, read from the code cell that drew it (``ax.set_ylabel("largest label change")``),
  else the name of the section it sits in. Alt text an author wrote is kept.
* **Static HTML that axe-core flags as serious or critical**, corrected after the build
  (``build-finished``), each by one exact substitution: bibliography entries carry the role
  ``listitem`` in their ``role="list"`` (docutils writes the deprecated ``doc-biblioentry``,
  which leaves the list without items); the "Show code cell source" toggles lose an
  ``aria-label`` that hid their visible text; the theme's search field loses an ``aria-label``
  ("Search") shorter than its visible text ("Search Ctrl+K"); the colour-mode icons lose the
  ``title`` that Font Awesome turns into a name the button's label does not contain; the
  primary sidebar becomes a navigation landmark, so that the book's title in it belongs to one
  (axe-core's "region", moderate: the one violation left otherwise).
* **CSS and a script** (``tools/static/a11y.css``, ``tools/static/a11y.js``): links with 4.5:1
  contrast on the tinted boxes of exercises and proofs; long inline code and API signatures that
  wrap at 375 pixels; figures on a white background in dark mode; scrollable tables and
  equations reachable by keyboard; names for the sliders and alt text for the images of the
  embedded widgets, which exist only once the page has run.

Loaded through ``sphinx.local_extensions`` in _config.yml (``tools/static`` is in the book's
``html_static_path``; an HTML build configured without it gets it added).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

__all__ = ["alt_text", "caption_text", "cell_plot_labels", "fix_html", "is_placeholder_alt",
           "tex_to_text"]

logger = logging.getLogger(__name__)

IMAGE_NAME = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
SYMBOLS = {
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "times": "×", "cdot": "·", "pm": "±", "infty": "∞", "to": "→", "rightarrow": "→",
    "in": "∈", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇", "sqrt": "√",
    "star": "*", "ast": "*", "top": "ᵀ", "ell": "ℓ", "lVert": "‖", "rVert": "‖", "|": "‖",
    "mid": "|", "log": "log", "exp": "exp", "min": "min", "max": "max", "ldots": "…",
    "dots": "…", "cdots": "…",
}
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# Commands that only change the look of their argument: dropped, the argument kept.
STYLE_COMMANDS = re.compile(
    r"\\(mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathbb|boldsymbol|operatorname|text|textrm|"
    r"textbf|textit|emph|hat|tilde|bar|overline|widehat|widetilde|vec|left|right|big|Big|bigg|"
    r"Bigg|displaystyle|textstyle)\b")
# Spacing commands: a space.
SPACES = re.compile(r"\\(,|;|:|!| |quad|qquad)")


def tex_to_text(tex: str) -> str:
    """A readable plain-text version of inline TeX, for alt text: ``_\\mu`` -> ``μ``."""
    text = SPACES.sub(" ", tex)
    text = STYLE_COMMANDS.sub("", text)
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = re.sub(r"\\([A-Za-z]+|\|)",
                  lambda m: GREEK.get(m.group(1)) or SYMBOLS.get(m.group(1)) or m.group(1),
                  text)
    # Digit sub- and superscripts as Unicode (R^2 -> R², theta_0 -> θ₀); other scripts inline.
    text = re.sub(r"\^\{?(\d+)\}?", lambda m: m.group(1).translate(SUPERSCRIPTS), text)
    text = re.sub(r"_\{?(\d+)\}?", lambda m: m.group(1).translate(SUBSCRIPTS), text)
    text = text.replace("_", " ").replace("{", "").replace("}", "").replace("^", "")
    text = text.replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def caption_text(node: nodes.Node) -> str:
    """The plain text of a caption (or any node), with its maths made readable."""
    parts: list[str] = []

    def walk(n: nodes.Node) -> None:
        if isinstance(n, (nodes.math, nodes.math_block)):
            parts.append(tex_to_text(n.astext()))
        elif isinstance(n, nodes.Text):
            parts.append(n.astext())
        else:
            for child in n.children:
                walk(child)

    walk(node)
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    return re.sub(r"\s+([.,;:)])", r"\1", text).replace("( ", "(")


PLOT_LABEL = re.compile(
    r"""(?:set_)?(?P<kind>xlabel|ylabel|title|suptitle)\s*(?:\(\s*|=\s*)
        (?:[rfbu]{0,2})(?P<q>["'])(?P<text>(?:(?!(?P=q)).)+)(?P=q)""", re.VERBOSE)


def cell_plot_labels(source: str) -> str:
    """A description of a plot from the title and axis labels its code sets, or ""."""
    found: dict[str, str] = {}
    for match in PLOT_LABEL.finditer(source):
        text = match.group("text")
        if "{" in text and "$" not in text:
            continue  # an f-string field: not readable without running the code
        found.setdefault(match.group("kind"), re.sub(r"\$([^$]*)\$",
                                                    lambda m: tex_to_text(m.group(1)), text))
    title = found.get("title") or found.get("suptitle")
    axes = ""
    if "ylabel" in found and "xlabel" in found:
        axes = f"{found['ylabel']} against {found['xlabel']}"
    elif "ylabel" in found or "xlabel" in found:
        axes = found.get("ylabel") or found.get("xlabel")
    if title and axes:
        return f"Plot: {title} ({axes})"
    if title or axes:
        return f"Plot of {title or axes}"
    return ""


def is_placeholder_alt(alt: str | None, uri: str | None = None) -> bool:
    """True when an alt text says nothing: missing, blank, the file's name or a bare format."""
    if alt is None or not alt.strip():
        return True
    alt = alt.strip()
    return (alt == (uri or "") or bool(IMAGE_NAME.search(alt))
            or alt.lower() in {"png", "jpg", "jpeg", "svg", "image", "figure", "img"})


def _code_cell(node: nodes.Node) -> nodes.Element | None:
    for parent in _ancestors(node):
        if parent.get("nb_element") == "cell_code":
            return parent
    return None


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def alt_text(image: nodes.image) -> str | None:
    """The alt text an image should have: its caption's text, else what its cell plots, else
    the section's title; None to keep the author's."""
    if not is_placeholder_alt(image.get("alt"), image.get("uri")):
        return None
    for parent in _ancestors(image):
        if isinstance(parent, nodes.figure):
            captions = [c for c in parent.children if isinstance(c, nodes.caption)]
            if captions and caption_text(captions[0]):
                return caption_text(captions[0])
    cell = _code_cell(image)
    if cell is not None:
        sources = [block.astext() for block in cell.findall(nodes.literal_block)
                   if any(p.get("nb_element") == "cell_code_source" for p in _ancestors(block))]
        described = cell_plot_labels("\n".join(sources))
        if described:
            return described
    for parent in _ancestors(image):
        if isinstance(parent, nodes.section) and parent.children:
            title = parent.children[0]
            if isinstance(title, nodes.title):
                return f"Figure in the section “{caption_text(title)}”"
    return None


def set_alt_texts(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: give every image without a meaningful alt text one."""
    for image in doctree.findall(nodes.image):
        alt = alt_text(image)
        if alt:
            image["alt"] = alt


# (pattern, replacement, what it fixes). Each is exact, so that a theme update that changes the
# markup turns into an axe-core failure in the browser tests rather than a silent no-op.
HTML_FIXES = (
    (re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"'),
     r'\1 role="listitem"', "bibliography entries are list items"),
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>",
     "code toggles named by their visible text"),
    (re.compile(r'(<button class="btn search-button-field search-button__button[^"]*"'
                r'(?: title="Search")?) aria-label="Search"'), r"\1",
     "the search field is named by its visible text"),
    (re.compile(r'(<i class="theme-switch [^"]*" data-mode="\w+") +title="[^"]*"'), r"\1",
     "colour-mode icons are decoration; the button is named 'Color mode'"),
    (re.compile(r'(<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar")>'),
     r'\1 role="navigation" aria-label="Book">',
     "the sidebar (the book's title, search, contents) is a landmark"),
)


def fix_html(html: str) -> tuple[str, int]:
    """Apply :data:`HTML_FIXES` to one page; return the new text and the number of changes."""
    total = 0
    for pattern, replacement, _ in HTML_FIXES:
        html, count = pattern.subn(replacement, html)
        total += count
    return html, total


def fix_built_pages(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: apply :func:`fix_html` to every HTML page of an HTML build."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed, count = fix_html(text)
        if count:
            page.write_text(fixed, encoding="utf-8")


STATIC = Path(__file__).resolve().parent / "static"
"""Where a11y.css and a11y.js live (``tools/static``, in the book's ``html_static_path``)."""


def add_static_path(app: Sphinx) -> None:
    """``builder-inited``: serve :data:`STATIC` in an HTML build whose configuration lacks it."""
    if app.builder.format != "html":
        return
    paths = {(Path(app.confdir) / p).resolve() for p in app.config.html_static_path}
    if STATIC not in paths:
        app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", add_static_path)
    app.connect("doctree-resolved", set_alt_texts)
    app.connect("build-finished", fix_built_pages)
    app.add_css_file("a11y.css")
    app.add_js_file("a11y.js", defer="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
