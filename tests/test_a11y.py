"""tools/a11y.py: alt text from captions and plots, and the fixes of the built HTML (quick).

The built book itself is checked in a browser by tests/test_browser.py (axe-core, alt text,
phone width, dark mode).
"""

import a11y
import pytest
from docutils import nodes


@pytest.mark.parametrize(("tex", "text"), [
    (r"R^2", "R²"),
    (r"\theta_0", "θ₀"),
    (r"_\mu", "μ"),
    (r"\mathrm{EMSE}_\sigma", "EMSE σ"),
    (r"\mu^*", "μ*"),
    (r"1/\sqrt{2\pi}", "1/√2π"),
    (r"\beta \to 0", "β → 0"),
    (r"\sigma = 1", "σ = 1"),
])
def test_tex_to_text(tex, text):
    assert a11y.tex_to_text(tex) == text


def test_caption_text_reads_maths():
    caption = nodes.caption("", "", nodes.Text("The minimiser of EMSE"), nodes.math("", r"_\mu"),
                            nodes.Text(" as "), nodes.math("", r"\mu"), nodes.Text(" grows ."))
    assert a11y.caption_text(caption) == "The minimiser of EMSEμ as μ grows."


def test_cell_plot_labels():
    code = ('fig, ax = new_figure()\nax.plot(x, y)\nax.set_xlabel("unwanted points removed")\n'
            'ax.set_ylabel("largest label change")\n')
    assert a11y.cell_plot_labels(code) == (
        "Plot of largest label change against unwanted points removed")
    assert a11y.cell_plot_labels('ax.set(xlabel=r"$\\sigma$", title="Sweep")') == (
        "Plot: Sweep (σ)")
    # an f-string field cannot be read without running the code; nothing at all gives ""
    assert a11y.cell_plot_labels('ax.set_title(f"draw {i}")') == ""
    assert a11y.cell_plot_labels("print(1)") == ""


@pytest.mark.parametrize(("alt", "uri", "placeholder"), [
    (None, "a.png", True),
    ("  ", "a.png", True),
    ("../_images/9b49f1.png", "../_images/9b49f1.png", True),
    ("figure.svg", None, True),
    ("png", None, True),
    ("Scenario B with its fits", "a.png", False),
])
def test_is_placeholder_alt(alt, uri, placeholder):
    assert a11y.is_placeholder_alt(alt, uri) is placeholder


def _figure_image(caption: str | None, uri: str = "../_images/x.png") -> nodes.image:
    image = nodes.image(uri=uri)
    figure = nodes.figure("", image)
    if caption is not None:
        figure += nodes.caption("", caption)
    nodes.section("", nodes.title("", "Exact unlearning"), figure)
    return image


def test_alt_text_from_caption_else_section():
    assert a11y.alt_text(_figure_image("Fits before and after.")) == "Fits before and after."
    assert a11y.alt_text(_figure_image(None)) == "Figure in the section “Exact unlearning”"
    kept = _figure_image("Caption.")
    kept["alt"] = "What the author wrote"
    assert a11y.alt_text(kept) is None


def test_alt_text_from_the_cell_that_drew_it():
    image = nodes.image(uri="x.png")
    source = nodes.container("", nodes.literal_block("", 'ax.set_ylabel("loss")'),
                             nb_element="cell_code_source")
    output = nodes.container("", image, nb_element="cell_code_output")
    nodes.container("", source, output, nb_element="cell_code")
    assert a11y.alt_text(image) == "Plot of loss"


def test_fix_html():
    page = (
        '<div role="list" class="citation-list">\n'
        '<div class="citation" id="id2" role="doc-biblioentry">\n'
        '<summary aria-label="Toggle hidden content">\n'
        '<button class="btn search-button-field search-button__button pst-js-only" '
        'title="Search" aria-label="Search" data-bs-placement="bottom">\n'
        '<button class="btn btn-sm pst-navbar-icon search-button search-button__button" '
        'title="Search" aria-label="Search">\n'
        '<i class="theme-switch fa-solid fa-moon   fa-lg" data-mode="dark"  title="Dark"></i>\n'
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">\n')
    fixed, count = a11y.fix_html(page)
    assert count == 5
    assert 'bd-sidebar" role="navigation" aria-label="Book">' in fixed
    assert 'role="listitem"' in fixed and "doc-biblioentry" not in fixed
    assert "<summary>" in fixed
    assert fixed.count('aria-label="Search"') == 1  # the icon-only button keeps its name
    assert 'title="Dark"' not in fixed
    assert a11y.fix_html(fixed) == (fixed, 0)
