"""emse._threads.one_blas_thread: one BLAS thread natively, a plain call in the browser."""

from __future__ import annotations

import sys

import pytest

from emse import _threads


def double(x):
    return 2 * x


def refuse_limits(*args, **kwargs):
    raise AssertionError("threadpool_limits was called")


def test_limits_blas_threads_natively(monkeypatch):
    calls = []

    class Recorder:
        def __init__(self, **kwargs):
            calls.append(kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(_threads, "threadpool_limits", Recorder)
    assert _threads.one_blas_thread(double)(3) == 6
    assert calls == [{"limits": 1, "user_api": "blas"}]


def test_skips_threadpoolctl_under_emscripten(monkeypatch):
    """In Pyodide (sys.platform "emscripten") threadpoolctl is never called."""
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(_threads, "threadpool_limits", refuse_limits)
    assert _threads.one_blas_thread(double)(3) == 6


def test_wrapper_keeps_name_and_errors(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")

    def fails():
        raise ValueError("boom")

    wrapped = _threads.one_blas_thread(fails)
    assert wrapped.__name__ == "fails"
    with pytest.raises(ValueError, match="boom"):
        wrapped()
