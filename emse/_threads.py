"""One BLAS thread for the small linear algebra inside optimisers.

The book's matrices are tiny (tens of columns). Multi-threaded BLAS gains nothing on them and,
on a machine whose cores are busy, threads waiting for each other made an L-BFGS call up to two
orders of magnitude slower. Functions that run optimisers are wrapped with :func:`one_blas_thread`.
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits

__all__ = ["one_blas_thread"]


def one_blas_thread(function):
    """Decorate ``function`` so that it runs with a single BLAS thread."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
