"""emse._blas.crossprod: numpy's a.T @ b natively, scipy's BLAS under Pyodide (emscripten)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from emse import _blas


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return rng.standard_normal((40, 7)), rng.standard_normal((40, 3))


def test_native_is_numpy_exactly(arrays):
    a, b = arrays
    assert np.array_equal(_blas.crossprod(a), a.T @ a)
    assert np.array_equal(_blas.crossprod(a, b), a.T @ b)


@pytest.mark.parametrize("platform", ["linux", "emscripten"])
def test_matches_the_product_on_every_platform(arrays, monkeypatch, platform):
    """The BLAS path (taken under a patched sys.platform) gives the full symmetric a.T @ a."""
    monkeypatch.setattr(sys, "platform", platform)
    a, b = arrays
    gram = _blas.crossprod(a)
    np.testing.assert_allclose(gram, a.T @ a, rtol=1e-12, atol=1e-12)
    assert np.array_equal(gram, gram.T)
    np.testing.assert_allclose(_blas.crossprod(a, b), a.T @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_blas.crossprod(a[:, :1]), a[:, :1].T @ a[:, :1], rtol=1e-12)


def test_blas_path_does_not_modify_inputs(arrays, monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    a, b = arrays
    a0, b0 = a.copy(), b.copy()
    _blas.crossprod(a, b)
    _blas.crossprod(a)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)


@pytest.mark.parametrize("platform", ["linux", "emscripten"])
def test_matmul_matches_the_product_on_every_platform(arrays, monkeypatch, platform):
    monkeypatch.setattr(sys, "platform", platform)
    a, b = arrays
    weights = np.random.default_rng(1).standard_normal((7, 5))
    product = _blas.matmul(a, weights)
    np.testing.assert_allclose(product, a @ weights, rtol=1e-12, atol=1e-12)
    assert product.flags.c_contiguous
    np.testing.assert_allclose(_blas.matmul(b.T, a), b.T @ a, rtol=1e-12, atol=1e-12)
    assert _blas.crossprod(a, b).flags.c_contiguous


def test_native_matmul_is_numpy_exactly(arrays):
    a, _ = arrays
    weights = np.random.default_rng(1).standard_normal((7, 5))
    assert np.array_equal(_blas.matmul(a, weights), a @ weights)


def test_matmul_does_not_modify_inputs(arrays, monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    a, _ = arrays
    weights = np.random.default_rng(1).standard_normal((7, 5))
    a0, w0 = a.copy(), weights.copy()
    _blas.matmul(a, weights)
    assert np.array_equal(a, a0) and np.array_equal(weights, w0)
