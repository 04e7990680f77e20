"""Shared fixtures: small deterministic data sets and fitted models.

* ``split``: sine data with an offset unwanted block (regression), and ``model``, a degree-5
  polynomial fitted on all of it;
* ``blobs``: the one classification data set of the unit tests, three Gaussian classes in 2-D;
* ``neural_regressor`` and ``neural_classifier``: small networks fitted on those two, and
  ``regression`` and ``classification``: each network with the data it was fitted on.

The session-wide data are read-only, so that no test can change them for another; a test that
needs to write copies first. Fitted models shared across the session are never modified by
``emse`` (every method returns a new model), which the tests check.
"""

import matplotlib
import numpy as np
import pytest

from emse import PolynomialRegressor
from emse.datasets import make_contaminated_regression
from emse.neural import NeuralClassifier, NeuralRegressor

matplotlib.use("Agg")

#: Centres of the three classes of ``blobs``.
BLOB_CENTRES = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])


def make_blobs_data(n_per_class: int = 40, noise: float = 0.9, seed: int = 0):
    """Three Gaussian classes in 2-D around :data:`BLOB_CENTRES`, labels cycling 0, 1, 2.

    The classes overlap a little (no class is separable from the others), so that every fit is
    unique and finite; any prefix of the rows holds every class.
    """
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1, 2], n_per_class)
    X = BLOB_CENTRES[y] + noise * rng.standard_normal((y.size, 2))
    return X, y


def _read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


@pytest.fixture(scope="session")
def split():
    """Sine data with an offset unwanted block on part of the input range (read-only Split)."""
    return make_contaminated_regression(
        np.sin, lambda x: np.sin(x) + 1.5, n_samples=120, unwanted_share=0.25, noise=0.1,
        x_range=(-3.0, 3.0), unwanted_range=(0.0, 2.0), n_test=60, random_state=3,
    )


@pytest.fixture
def model(split):
    """A degree-5 polynomial trained on wanted and unwanted data together."""
    return PolynomialRegressor(degree=5).fit(split.X_train, split.y_train)


@pytest.fixture(scope="session")
def blobs():
    """``(X, y)``: 120 points of three overlapping Gaussian classes in 2-D (read-only)."""
    return _read_only(*make_blobs_data())


@pytest.fixture(scope="session")
def neural_regressor(split):
    """A (8,) tanh network fitted on all training data of ``split`` (do not modify)."""
    return NeuralRegressor(hidden_layer_sizes=(8,), max_iter=300).fit(split.X_train,
                                                                       split.y_train)


@pytest.fixture(scope="session")
def neural_classifier(blobs):
    """A (6,) tanh network fitted on ``blobs`` (do not modify)."""
    return NeuralClassifier(hidden_layer_sizes=(6,), max_iter=300).fit(*blobs)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book, built once per test run from committed outputs (tests/book_build.py)."""
    from book_build import build_book

    return build_book(tmp_path_factory.mktemp("book"))


@pytest.fixture(scope="session")
def regression(neural_regressor, split):
    """The shared regression network and the wanted and unwanted data of ``split``."""
    return (neural_regressor, split.X_wanted, split.y_wanted, split.X_unwanted,
            split.y_unwanted)


@pytest.fixture(scope="session")
def classification(neural_classifier, blobs):
    """The shared classification network and the blobs it was fitted on."""
    return (neural_classifier, *blobs)
