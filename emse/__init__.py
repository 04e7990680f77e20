"""emse: helpers for an executable textbook on machine unlearning and the Ethical MSE.

The main entry points are re-exported here::

    import emse
    model = emse.PolynomialRegressor(degree=3).fit(X, y)
    result = emse.unlearn(model, X_wanted, y_wanted, X_unwanted, y_unwanted, sigma=1.0)

Submodules: ``models``, ``logistic``, ``neural``, ``neural_unlearn``, ``objectives``, ``losses``,
``unlearn``, ``optim``, ``protocol``, ``metrics``, ``datasets``, ``reconstructions``, ``draws``,
``baselines``, ``sisa``, ``verify``, ``membership``, ``experiments``, ``safety``, ``rounding``,
``plotting``, ``tables``, ``widgets``, ``explorers``. Every model follows one protocol
(:mod:`emse.protocol`), so every method works on every model that offers what it needs.
"""

from . import (
    baselines,
    datasets,
    draws,
    experiments,
    explorers,
    logistic,
    losses,
    membership,
    metrics,
    models,
    neural,
    neural_unlearn,
    objectives,
    optim,
    plotting,
    protocol,
    reconstructions,
    rounding,
    safety,
    sisa,
    tables,
    verify,
    widgets,
)
from .models import PolynomialRegressor
from .objectives import critical_mu
from .optim import UnlearningResult
from .unlearn import UnboundedObjectiveError, unlearn

__all__ = [
    "PolynomialRegressor",
    "UnboundedObjectiveError",
    "UnlearningResult",
    "baselines",
    "critical_mu",
    "datasets",
    "draws",
    "experiments",
    "explorers",
    "logistic",
    "losses",
    "membership",
    "metrics",
    "models",
    "neural",
    "neural_unlearn",
    "objectives",
    "optim",
    "plotting",
    "protocol",
    "reconstructions",
    "rounding",
    "safety",
    "sisa",
    "tables",
    "unlearn",
    "verify",
    "widgets",
]
__version__ = "0.1.0"
