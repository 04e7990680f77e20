"""emse: helpers for an executable textbook on machine unlearning and the Ethical MSE.

The main entry points are re-exported here::

    import emse
    model = emse.PolynomialRegressor(degree=3).fit(X, y)
    result = emse.unlearn(model, X_wanted, y_wanted, X_unwanted, y_unwanted, sigma=1.0)

Submodules: ``models``, ``neural``, ``neural_unlearn``, ``objectives``, ``unlearn``, ``optim``,
``metrics``, ``datasets``, ``baselines``, ``plotting``, ``tables``, ``widgets``, ``explorers``,
``experiments``.
"""

from . import (
    baselines,
    datasets,
    experiments,
    explorers,
    metrics,
    models,
    neural,
    neural_unlearn,
    objectives,
    optim,
    plotting,
    safety,
    tables,
    widgets,
)
from .models import PolynomialRegressor
from .objectives import critical_mu
from .unlearn import UnboundedObjectiveError, UnlearningResult, unlearn

__all__ = [
    "PolynomialRegressor",
    "UnboundedObjectiveError",
    "UnlearningResult",
    "baselines",
    "critical_mu",
    "datasets",
    "experiments",
    "explorers",
    "metrics",
    "models",
    "neural",
    "neural_unlearn",
    "objectives",
    "optim",
    "plotting",
    "safety",
    "tables",
    "unlearn",
    "widgets",
]
__version__ = "0.1.0"
