"""Sphinx extension: the book's unnumbered last part prints as appendices.

The chapters of a ``_toc.yml`` part without ``numbered: true`` have no numbers in the HTML
book; LaTeX would number them on from the last numbered chapter. For the LaTeX builder only,
this transform puts ``\\appendix`` before the first chapter of the trailing unnumbered parts,
so that they print as appendices A, B, C (their figures and tables numbered A.1, ...), the
print form of back matter. The HTML build is unchanged. Loaded through
``sphinx.local_extensions`` in _config.yml.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

__all__ = ["AppendixParts", "first_appendix"]


def first_appendix(site_map: Any) -> str | None:
    """The first document of the parts that follow the last numbered part, or None.

    ``site_map`` is sphinx-external-toc's ``SiteMap`` of the book (``external_site_map``).
    """
    parts = list(getattr(getattr(site_map, "root", None), "subtrees", []) or [])
    numbered = [index for index, part in enumerate(parts) if part.numbered]
    if not numbered:
        return None
    for part in parts[numbered[-1] + 1:]:
        for item in part.items:
            name = item if isinstance(item, str) else getattr(item, "docname", None)
            if name:
                return name
    return None


class AppendixParts(SphinxPostTransform):
    """Insert ``\\appendix`` before the first appendix document (LaTeX builders only)."""

    default_priority = 5
    builders = ("latex",)

    def run(self, **kwargs: Any) -> None:
        docname = first_appendix(getattr(self.config, "external_site_map", None))
        if docname is None:
            return
        for start in self.document.findall(addnodes.start_of_file):
            if start.get("docname") == docname:
                start.parent.insert(start.parent.index(start),
                                    nodes.raw("", "\\appendix\n", format="latex"))
                return


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(AppendixParts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
