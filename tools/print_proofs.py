"""Sphinx extension: proofs print as text that ends with a square, not as boxes without a title.

sphinx-proof renders a ``{prf:proof}`` as an untitled admonition, which the LaTeX writer
typesets as a box with an empty title bar. For the LaTeX builder only, this transform replaces
each proof by its content, with the leading "Proof." in italics and a square at the end, the
way printed mathematics sets proofs; theorems, definitions and the other sphinx-proof
directives keep their titled boxes. The HTML build is unchanged. Loaded through
``sphinx.local_extensions`` in _config.yml.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx_proof.nodes import proof_node

__all__ = ["PlainProofs", "plain_proof"]

QED = r"\nobreak\hfill\ensuremath{\square}"
"""LaTeX that ends a proof: a square at the right margin."""


def plain_proof(admonition: nodes.Element) -> nodes.container:
    """The content of a sphinx-proof proof admonition, "Proof." in italics, a square at the end."""
    proof = nodes.container(classes=["proof"])
    proof.extend(child.deepcopy() for child in admonition.children)
    first = proof.children[0] if proof.children else None
    if isinstance(first, nodes.paragraph) and first.children:
        text = first.children[0]
        if isinstance(text, nodes.Text) and text.astext().startswith("Proof. "):
            first.replace(text, nodes.Text(text.astext()[len("Proof."):]))
            first.insert(0, nodes.emphasis(text="Proof."))
    last = proof.children[-1] if proof.children else None
    end = nodes.raw("", QED, format="latex")
    if isinstance(last, nodes.paragraph):
        last += end
    else:
        proof += nodes.paragraph("", "", end)
    return proof


def _is_proof(node: nodes.Node) -> bool:
    """A proof as sphinx-proof makes it: a ``proof_node`` around one admonition."""
    return (isinstance(node, proof_node) and len(node.children) == 1
            and isinstance(node.children[0], nodes.admonition))


class PlainProofs(SphinxPostTransform):
    """Replace sphinx-proof's proof admonitions by plain text (LaTeX builders only)."""

    default_priority = 5
    builders = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for proof in list(self.document.findall(_is_proof)):
            proof.replace_self(plain_proof(proof.children[0]))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(PlainProofs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
