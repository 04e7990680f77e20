"""Matrix products that are fast in the browser too.

In the in-browser edition (Pyodide, ``sys.platform == "emscripten"``) numpy is built without a
BLAS library: its matrix product is a plain loop, two to twelve times slower than the OpenBLAS
that scipy brings there. :func:`crossprod` (``a.T @ b``) and :func:`matmul` (``a @ b``) compute
with numpy natively, so that native results are exactly numpy's, and with scipy's BLAS in the
browser, where results may differ in the last digits. The BLAS calls are given the transposes
of C-ordered arrays, which are Fortran-ordered views, so that nothing is copied.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["crossprod", "matmul"]


def _in_browser(*arrays: np.ndarray | None) -> bool:
    return sys.platform == "emscripten" and all(a is None or a.ndim == 2 for a in arrays)


def crossprod(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """``a.T @ b`` (``a.T @ a`` when ``b`` is None) for 2-D arrays; a new array."""
    if not _in_browser(a, b):
        return a.T @ (a if b is None else b)
    from scipy.linalg import blas

    a = np.ascontiguousarray(a, dtype=float)
    if b is None:
        upper = blas.dsyrk(1.0, a.T)  # a.T @ a; only the upper triangle is written
        return np.triu(upper) + np.triu(upper, 1).T
    b = np.ascontiguousarray(b, dtype=float)
    return np.ascontiguousarray(blas.dgemm(1.0, a.T, b.T, trans_b=1))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays; a new C-ordered array."""
    if not _in_browser(a, b):
        return a @ b
    from scipy.linalg import blas

    a = np.ascontiguousarray(a, dtype=float)
    b = np.ascontiguousarray(b, dtype=float)
    return blas.dgemm(1.0, b.T, a.T).T  # (b.T @ a.T).T, Fortran-ordered, so its .T is C-ordered
