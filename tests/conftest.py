"""Shared fixtures: small deterministic data sets and fitted models."""

import matplotlib
import numpy as np
import pytest

from emse import PolynomialRegressor
from emse.datasets import make_contaminated_regression

matplotlib.use("Agg")


@pytest.fixture
def split():
    """Sine data with an offset unwanted block on part of the input range."""
    return make_contaminated_regression(
        np.sin, lambda x: np.sin(x) + 1.5, n_samples=120, unwanted_share=0.25, noise=0.1,
        x_range=(-3.0, 3.0), unwanted_range=(0.0, 2.0), n_test=60, random_state=3,
    )


@pytest.fixture
def model(split):
    """A degree-5 polynomial trained on wanted and unwanted data together."""
    return PolynomialRegressor(degree=5).fit(split.X_train, split.y_train)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book, built once per test run from committed outputs (tests/book_build.py)."""
    from book_build import build_book

    return build_book(tmp_path_factory.mktemp("book"))
