"""Cross-products ``A.T @ B`` that are fast in the browser too.

In the in-browser edition (Pyodide, ``sys.platform == "emscripten"``) numpy is built without a
BLAS library: its matrix product is a plain loop, about twelve times slower than the OpenBLAS
that scipy brings there. :func:`crossprod` computes ``a.T @ b`` with numpy natively (so native
results are exactly what ``a.T @ b`` gives) and with scipy's BLAS (``dsyrk`` for ``a.T @ a``,
``dgemm`` otherwise) in the browser, where results may differ in the last digits.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["crossprod"]


def crossprod(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """``a.T @ b`` (``a.T @ a`` when ``b`` is None) for 2-D arrays; a new array."""
    if sys.platform != "emscripten" or a.ndim != 2 or (b is not None and b.ndim != 2):
        return a.T @ (a if b is None else b)
    from scipy.linalg import blas

    a = np.asarray(a, dtype=float)
    if b is None:
        upper = blas.dsyrk(1.0, a, trans=1)  # only the upper triangle is written
        return np.triu(upper) + np.triu(upper, 1).T
    return blas.dgemm(1.0, a, np.asarray(b, dtype=float), trans_a=1)
