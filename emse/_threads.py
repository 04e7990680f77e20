"""One BLAS thread for the small linear algebra inside optimisers.

The book's matrices are tiny (tens of columns). Multi-threaded BLAS gains nothing on them and,
on a machine whose cores are busy, threads waiting for each other made an L-BFGS call up to two
orders of magnitude slower. Functions that run optimisers are wrapped with :func:`one_blas_thread`.

In the browser (Pyodide, ``sys.platform == "emscripten"``) there are no BLAS threads, and
threadpoolctl's search for thread pools probes hundreds of library paths through the kernel's
file system on every call (minutes per chapter), so the wrapper calls the function directly.
"""

from __future__ import annotations

import functools
import sys

from threadpoolctl import threadpool_limits

__all__ = ["one_blas_thread"]


def one_blas_thread(function):
    """Decorate ``function`` so that it runs with a single BLAS thread."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if sys.platform == "emscripten":
            return function(*args, **kwargs)
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
