"""Tests of emse.explorers: the pure plotting functions behind the book's widgets."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

from emse import PolynomialRegressor, critical_mu
from emse.baselines import retrain
from emse.datasets import Split
from emse.explorers import plot_emse_fit
from emse.plotting import FIGSIZE, new_figure


def _labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.fixture
def mu_star(split):
    """μ* of the degree-5 model of the shared split."""
    model = PolynomialRegressor(degree=5).fit(split.X_train, split.y_train)
    return critical_mu(model, split.X_wanted, split.X_unwanted)


def test_plot_emse_fit_sigma_draws_three_curves(split):
    """Default call: data, original, oracle and the EMSE_σ fit, on a figure of the book's size."""
    ax = plot_emse_fit(split)
    assert tuple(ax.figure.get_size_inches()) == pytest.approx(FIGSIZE)
    assert len(ax.collections) == 2 and len(ax.lines) == 3
    labels = _labels(ax)
    assert labels[2:4] == ["original", "oracle"]
    assert labels[4].startswith(r"EMSE$_\sigma$ ($\sigma$=1.00")
    assert "R^2_w" in ax.get_title()
    plt.close(ax.figure)


def test_plot_emse_fit_mu_zero_draws_the_oracle(split):
    """EMSE_μ at μ = 0 is retraining on the wanted data: its curve lies on the oracle's."""
    ax = plot_emse_fit(split, objective="mu", mu=0.0)
    original, oracle, unlearned = ax.lines
    assert_allclose(unlearned.get_ydata(), oracle.get_ydata(), atol=1e-8)
    assert np.max(np.abs(original.get_ydata() - oracle.get_ydata())) > 0.1
    plt.close(ax.figure)


def test_plot_emse_fit_mu_curve_matches_closed_form(split, mu_star):
    """Below μ*, the drawn curve is the model's prediction at the closed-form minimiser."""
    mu = 0.5 * mu_star
    ax = plot_emse_fit(split, objective="mu", mu=mu, degree=5)
    model = PolynomialRegressor(degree=5).fit(split.X_train, split.y_train)
    Phi_w, Phi_u = model.design_matrix(split.X_wanted), model.design_matrix(split.X_unwanted)
    A_w, A_u = Phi_w.T @ Phi_w / len(Phi_w), Phi_u.T @ Phi_u / len(Phi_u)
    b = Phi_w.T @ split.y_wanted / len(Phi_w) - mu * Phi_u.T @ split.y_unwanted / len(Phi_u)
    theta = np.linalg.solve(A_w - mu * A_u, b)
    line = ax.lines[2]
    expected = model.with_coef(theta).predict(line.get_xdata().reshape(-1, 1))
    assert_allclose(line.get_ydata(), expected, rtol=1e-7, atol=1e-7)
    plt.close(ax.figure)


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_plot_emse_fit_mu_at_or_past_critical_says_no_minimiser(split, mu_star, factor):
    """At and beyond μ* no unlearned curve is drawn and a note names μ*."""
    ax = plot_emse_fit(split, objective="mu", mu=factor * mu_star)
    assert len(ax.lines) == 2
    notes = [text.get_text() for text in ax.texts]
    assert len(notes) == 1 and "no minimiser" in notes[0] and f"{mu_star:.3f}" in notes[0]
    plt.close(ax.figure)


def test_plot_emse_fit_draws_into_given_axes(split):
    """A given Axes is used and returned; no new figure is made."""
    fig, ax = new_figure()
    n_figures = len(plt.get_fignums())
    assert plot_emse_fit(split, sigma=0.6, ax=ax) is ax
    assert len(plt.get_fignums()) == n_figures
    plt.close(fig)


def test_plot_emse_fit_smaller_sigma_stays_closer_to_oracle(split):
    """Known behaviour: a smaller exclusion radius σ leaves a fit closer to the oracle here."""
    model = PolynomialRegressor(degree=5).fit(split.X_train, split.y_train)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    gaps = []
    for sigma in (0.5, 2.0):
        ax = plot_emse_fit(split, sigma=sigma)
        grid = ax.lines[2].get_xdata().reshape(-1, 1)
        gaps.append(np.max(np.abs(ax.lines[2].get_ydata() - oracle.predict(grid))))
        plt.close(ax.figure)
    assert gaps[0] < gaps[1]


def test_plot_emse_fit_refuses_bad_input(split):
    """Each bad argument is refused with a message that names it."""
    with pytest.raises(TypeError, match=re.escape("split must be an emse.datasets.Split")):
        plot_emse_fit({"X": split.X_wanted})
    with pytest.raises(ValueError, match="objective must be one of"):
        plot_emse_fit(split, objective="likelihood")
    with pytest.raises(ValueError, match="sigma must be greater than"):
        plot_emse_fit(split, sigma=0.3)
    with pytest.raises(ValueError, match="mu must be a finite number >= 0"):
        plot_emse_fit(split, objective="mu", mu=-0.1)
    with pytest.raises(ValueError, match="mu must be a finite number >= 0"):
        plot_emse_fit(split, objective="mu", mu=float("nan"))
    with pytest.raises(ValueError, match="degree"):
        plot_emse_fit(split, degree=-1)
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        plot_emse_fit(split, lam=-1.0)
    X = split.X_wanted.repeat(2, axis=1)
    two = Split(X, split.y_wanted, X, split.y_wanted, X, split.y_wanted)
    with pytest.raises(ValueError, match="one input feature"):
        plot_emse_fit(two)
    plt.close("all")


# --- plot_scenario (chapter 3) ------------------------------------------------------------------


def test_plot_scenario_draws_four_fits_with_their_r2():
    """Four curves in the legend, each with its R² on wanted data, the oracle's the retrain's."""
    from emse.datasets import paper_scenario
    from emse.explorers import plot_scenario
    from emse.metrics import r2

    ax = plot_scenario("B")
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert len(ax.lines) == 4 and len(labels) == 6  # two scatters and four curves
    split = paper_scenario("B")
    model = PolynomialRegressor(degree=4).fit(split.X_train, split.y_train)
    oracle = retrain(model, split.X_wanted, split.y_wanted)
    expected = r2(split.y_wanted, oracle.predict(split.X_wanted))
    assert labels[-1] == f"oracle ($R^2_w$ = {expected:.2f})"
    assert labels[2].startswith("all data ($R^2_w$ = 0.28")
    plt.close(ax.figure)


def test_plot_scenario_overrides_reach_the_data():
    """Share, offset and degree change the drawn data and title."""
    from emse.explorers import plot_scenario

    ax = plot_scenario("A", unwanted_share=0.1, offset=0.0, degree=2, mu_fraction=0.0)
    assert "unwanted share 0.10, degree 2" in ax.get_title()
    # with mu = 0, EMSE_mu is the oracle: the two curves coincide
    assert_allclose(ax.lines[2].get_ydata(), ax.lines[3].get_ydata(), atol=1e-8)
    plt.close(ax.figure)


def test_plot_scenario_refuses_bad_input():
    """Bad arguments are refused by name."""
    from emse.explorers import plot_scenario

    with pytest.raises(ValueError, match=re.escape("mu_fraction must lie in [0, 1)")):
        plot_scenario(mu_fraction=1.0)
    with pytest.raises(ValueError, match="mu_fraction must be a finite number >= 0"):
        plot_scenario(mu_fraction=-0.5)
    with pytest.raises(ValueError, match="name must be one of"):
        plot_scenario("Z")
    with pytest.raises(ValueError, match="sigma must be greater than"):
        plot_scenario(sigma=0.2)
    plt.close("all")
