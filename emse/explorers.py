r"""Pure plotting functions behind the book's interactive explorers.

An *explorer* is a function ``plot_something(data, *, parameter=default, ..., ax=None)`` that
draws one static figure from keyword arguments and returns its Axes. It computes everything it
draws from its arguments (no global state, no randomness), so the same call always draws the same
figure. A chapter uses it twice:

1. once, called directly with the defaults, as the *static fallback* that the HTML book, the PDF
   and nbval see;
2. then wrapped by :func:`emse.widgets.explore` in a cell tagged ``nbval-ignore-output``, so that a
   reader running the notebook can move sliders over its keyword arguments.

Explorers, by chapter:

* chapter 2 (Deriving the Ethical MSE): :func:`plot_emse_fit`, the fit after unlearning with
  EMSE_σ or EMSE_μ, against the model trained on all data and the retrained oracle.
* chapter 3 (Reproducing the paper's results): :func:`plot_scenario`, a paper scenario with its
  contamination, noise and degree changed, and the fits of every method.

To add an explorer, append the function at the end of this module, add its name to ``__all__``
and to the list above, and test it in ``tests/test_explorers.py``.
"""

from __future__ import annotations

from ._validation import check_nonnegative
from .baselines import retrain
from .datasets import PAPER_SIGMA, Split, paper_scenario
from .metrics import r2
from .models import PolynomialRegressor
from .objectives import critical_mu
from .plotting import COLORS, new_figure, plot_fits
from .unlearn import unlearn

__all__ = ["plot_emse_fit", "plot_scenario"]

_OBJECTIVES = ("sigma", "mu")


def plot_emse_fit(
    split: Split,
    *,
    objective: str = "sigma",
    sigma: float = 1.0,
    mu: float = 0.0,
    lam: float = 1.0,
    degree: int = 5,
    ax=None,
):
    r"""Draw the fit after unlearning with EMSE_σ or EMSE_μ (the explorer of chapter 2).

    Fits a :class:`~emse.models.PolynomialRegressor` of the given degree to all training data
    (*original*), retrains it on the wanted data alone (*oracle*), unlearns the unwanted data
    from the original with :func:`emse.unlearn`, and draws the three curves over the data. The
    Axes title reports :math:`R^2` of the unlearned model on the wanted training data and on the
    test data. For ``objective="mu"`` the closed-form minimiser is used; when
    :math:`\mu \ge \mu^*` there is none, and the figure says so instead of drawing a curve.

    Parameters
    ----------
    split : emse.datasets.Split
        One-feature data; the model is trained on ``split.X_train``.
    objective : {"sigma", "mu"}, default="sigma"
        Which EMSE to minimise.
    sigma : float, default=1.0
        Scale of EMSE_σ, ``> 1/sqrt(2*pi)``; used when ``objective="sigma"``.
    mu : float, default=0.0
        Weight of EMSE_μ, ``>= 0``; used when ``objective="mu"``. Values at or above μ* are
        allowed and drawn as "no minimiser".
    lam : float, default=1.0
        Weight λ of the unwanted term of EMSE_σ, ``>= 0``.
    degree : int, default=5
        Polynomial degree, ``>= 0``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure of the book's size if ``None``.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    TypeError
        If ``split`` is not a :class:`~emse.datasets.Split`.
    ValueError
        If ``objective`` is unknown, the split has more than one feature, or a parameter is out
        of range (the message names it).
    """
    if not isinstance(split, Split):
        raise TypeError(f"split must be an emse.datasets.Split; got {type(split).__name__}.")
    if split.X_wanted.shape[1] != 1:
        raise ValueError(f"split must have one input feature to be drawn; "
                         f"got {split.X_wanted.shape[1]}.")
    if objective not in _OBJECTIVES:
        raise ValueError(f"objective must be one of {_OBJECTIVES}; got {objective!r}.")
    if objective == "mu":
        mu = check_nonnegative(mu, "mu")

    model = PolynomialRegressor(degree=degree).fit(split.X_train, split.y_train)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    data = (split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted)
    models = {"original": model, "oracle": oracle}
    colors = {}
    if objective == "sigma":
        label = rf"EMSE$_\sigma$ ($\sigma$={sigma:.2f}, $\lambda$={lam:.2f})"
        unlearned = unlearn(model, *data, objective="sigma", sigma=sigma, lam=lam).model
        colors[label] = COLORS["emse_sigma"]
        note = None
    else:
        mu_star = critical_mu(model, split.X_wanted, split.X_unwanted)
        label = rf"EMSE$_\mu$ ($\mu$={mu:.3f}, $\mu^*$={mu_star:.3f})"
        if mu < mu_star:
            unlearned = unlearn(model, *data, objective="mu", mu=mu, method="newton").model
            colors[label] = COLORS["emse_mu"]
            note = None
        else:
            unlearned = None
            note = (rf"$\mu$ = {mu:.3f} $\geq$ $\mu^*$ = {mu_star:.3f}:" "\n"
                    r"EMSE$_\mu$ is unbounded below, no minimiser")
    if unlearned is not None:
        models[label] = unlearned

    if ax is None:
        _, ax = new_figure()
    plot_fits(split, models, ax, colors=colors)
    if unlearned is None:
        ax.text(0.03, 0.04, note, transform=ax.transAxes, fontsize=9, color=COLORS["emse_mu"],
                va="bottom")
        ax.set_title(f"degree {degree}: no unlearned model")
    else:
        r2_wanted = r2(split.y_wanted, unlearned.predict(split.X_wanted))
        r2_test = r2(split.y_test, unlearned.predict(split.X_test))
        ax.set_title(f"degree {degree}: unlearned $R^2_w$ = {r2_wanted:.3f}, "
                     f"test $R^2$ = {r2_test:.3f}")
    return ax


def plot_scenario(
    name: str = "A",
    *,
    unwanted_share: float | None = None,
    offset: float | None = None,
    noise: float = 0.1,
    degree: int = 4,
    sigma: float = PAPER_SIGMA,
    mu_fraction: float = 0.5,
    random_state: int = 0,
    ax=None,
):
    r"""Draw a paper scenario and the fits before and after unlearning (chapter 3's explorer).

    Builds :func:`emse.datasets.paper_scenario` with the given contamination, noise and degree,
    fits the model on all data, and draws it with EMSE_σ at ``sigma``, EMSE_μ at
    ``mu_fraction`` times the critical weight μ* of the data, and the oracle (retraining on the
    wanted data). The legend gives each model's :math:`R^2` on the wanted training data.

    Parameters
    ----------
    name : {"A", "B"}, default="A"
        The scenario whose share and offset are the defaults.
    unwanted_share : float, default=None
        Fraction of unwanted training points, strictly between 0 and 1; ``None`` keeps the
        scenario's.
    offset : float, default=None
        Offset of the unwanted points from the wanted curve; ``None`` keeps the scenario's.
    noise : float, default=0.1
        Noise standard deviation, ``>= 0``.
    degree : int, default=4
        Polynomial degree, ``>= 0``.
    sigma : float, default=1/sqrt(2)
        EMSE_σ scale, ``> 1/sqrt(2*pi)``.
    mu_fraction : float, default=0.5
        EMSE_μ weight as a fraction of μ*, in ``[0, 1)``.
    random_state : int, default=0
        Seed of the data.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure of the book's size if ``None``.

    Returns
    -------
    ax : matplotlib Axes
    """
    mu_fraction = check_nonnegative(mu_fraction, "mu_fraction")
    if mu_fraction >= 1:
        raise ValueError(f"mu_fraction must lie in [0, 1) so that mu stays below mu*; "
                         f"got {mu_fraction!r}.")
    split = paper_scenario(name, random_state=random_state, unwanted_share=unwanted_share,
                           offset=offset, noise=noise, degree=degree, sigma=sigma)
    model = PolynomialRegressor(degree=split.degree).fit(split.X_train, split.y_train)
    data = (split.X_wanted, split.y_wanted, split.X_unwanted, split.y_unwanted)
    mu = mu_fraction * critical_mu(model, split.X_wanted, split.X_unwanted)
    fits = {
        ("all data", "original"): model,
        (rf"EMSE$_\sigma$, $\sigma$={split.sigma:.2f}", "emse_sigma"):
            unlearn(model, *data, sigma=split.sigma).model,
        (rf"EMSE$_\mu$, $\mu$={mu_fraction:.2f}$\mu^*$", "emse_mu"):
            unlearn(model, *data, objective="mu", mu=mu, method="newton").model,
        ("oracle", "oracle"): retrain(model, split.X_wanted, split.y_wanted),
    }
    models, colors = {}, {}
    for (label, role), fitted in fits.items():
        full = f"{label} ($R^2_w$ = {r2(split.y_wanted, fitted.predict(split.X_wanted)):.2f})"
        models[full], colors[full] = fitted, COLORS[role]
    if ax is None:
        _, ax = new_figure()
    plot_fits(split, models, ax, colors=colors)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_title(f"scenario {name}: unwanted share {split.unwanted_share:.2f}, degree "
                 f"{split.degree}, noise {noise:g}")
    return ax
