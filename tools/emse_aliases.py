"""Sphinx extension: cross-references to re-exported ``emse`` names resolve to their home entry.

The API page (book/api.md) documents every object once, in the module that defines it, e.g.
``emse.models.PolynomialRegressor``. Chapters may write the shorter public spelling,
``{py:class}`emse.PolynomialRegressor``` or ``{py:func}`emse.critical_mu```; Sphinx's Python
domain does not know those names: under ``-n`` they would be broken references, and
``emse.unlearn`` would link to the module rather than the function. Before references are
resolved, this extension imports each named ``emse`` object and, when its defining module and
qualified name differ from the spelling used, retargets the reference to that canonical entry
(the text shown is unchanged). Targets outside the ``emse`` package are left alone. Loaded
through ``sphinx.local_extensions`` in _config.yml.
"""

from __future__ import annotations

import importlib
from typing import Any

from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform


def canonical_name(target: str) -> str | None:
    """``module.qualname`` of the object named ``target`` (an ``emse.`` path), or None."""
    if not target.startswith("emse."):
        return None
    module_name, _, attribute = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return None
    home, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not home or not qualname or f"{home}.{qualname}" == target:
        return None
    return f"{home}.{qualname}"


class ResolveReexports(SphinxPostTransform):
    """Point Python references to re-exported ``emse`` names at the objects' home entries.

    Runs before Sphinx's reference resolver (priority 10). References to modules are left
    alone: ``{py:mod}`emse.unlearn``` is the module, ``{py:func}`emse.unlearn``` the function.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        for node in self.document.findall(addnodes.pending_xref):
            if node.get("refdomain") != "py" or node.get("reftype") == "mod":
                continue
            canonical = canonical_name(node.get("reftarget", ""))
            if canonical is not None:
                node["reftarget"] = canonical


def setup(app: Any) -> dict[str, Any]:
    app.add_post_transform(ResolveReexports)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
