"""Tests of emse.experiments, including the conditions for success that chapter 3 states."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emse import PolynomialRegressor, UnboundedObjectiveError, critical_mu, unlearn
from emse.baselines import retrain
from emse.datasets import Split, paper_scenario
from emse.experiments import (
    METHODS,
    Comparison,
    best_mu,
    compare_methods,
    descent_path,
    sweep,
)
from emse.metrics import METRIC_NAMES, evaluate
from emse.tables import Table


@pytest.fixture(scope="module")
def scenario_a():
    """Scenario A with its default seed."""
    return paper_scenario("A")


@pytest.fixture(scope="module")
def comparison_a(scenario_a):
    """Every method on scenario A."""
    return compare_methods(scenario_a, n_mu=20)


def _row(comparison, method):
    return next(row for row in comparison.rows if row["method"] == method)


def test_compare_methods_rows_and_models(comparison_a, scenario_a):
    """One row and one model per method, in order, with every metric."""
    assert isinstance(comparison_a, Comparison)
    assert [row["method"] for row in comparison_a.rows] == list(METHODS)
    assert list(comparison_a.models) == list(METHODS)
    assert all(set(METRIC_NAMES) <= set(row) for row in comparison_a.rows)
    assert set(comparison_a.results) == {"EMSE_sigma", "EMSE_mu", "gradient descent"}
    assert comparison_a.sigma == scenario_a.sigma
    assert 0 <= comparison_a.mu < comparison_a.mu_star


def test_compare_methods_known_models(comparison_a, scenario_a):
    """The first row is the least-squares fit on all data, the last one retraining."""
    everything = PolynomialRegressor(degree=4).fit(scenario_a.X_train, scenario_a.y_train)
    assert_allclose(comparison_a.models["all data"].coef_, everything.coef_)
    oracle = retrain(everything, scenario_a.X_wanted, scenario_a.y_wanted)
    assert_allclose(comparison_a.models["oracle"].coef_, oracle.coef_)
    assert _row(comparison_a, "oracle") == {"method": "oracle", **evaluate(oracle, scenario_a)}


def test_compare_methods_gradient_descent_reaches_the_lbfgs_minimiser(comparison_a):
    """Plain gradient descent and L-BFGS find the same minimiser of EMSE_sigma."""
    assert comparison_a.results["gradient descent"].converged
    assert_allclose(comparison_a.models["gradient descent"].coef_,
                    comparison_a.models["EMSE_sigma"].coef_, atol=1e-5)


def test_compare_methods_table(comparison_a):
    """The table has a method column and the chosen metrics."""
    table = comparison_a.table(["r2_wanted", "fair_r2"], caption="A")
    assert isinstance(table, Table)
    assert table.columns == ["method", "r2_wanted", "fair_r2"]
    with pytest.raises(ValueError, match="metrics must be names"):
        comparison_a.table(["accuracy"])


def test_compare_methods_overrides_the_scenario(scenario_a):
    """degree and sigma arguments win over the split's values."""
    comparison = compare_methods(scenario_a, degree=2, sigma=1.5, n_mu=5, gd_max_iter=3)
    assert comparison.models["oracle"].degree == 2 and comparison.sigma == 1.5
    assert comparison.results["gradient descent"].n_iter <= 3


def test_compare_methods_needs_degree_and_sigma():
    """A split without scenario settings needs explicit degree and sigma."""
    s = paper_scenario("A", n_samples=40, n_test=10)
    plain = Split(s.X_wanted, s.y_wanted, s.X_unwanted, s.y_unwanted, s.X_test, s.y_test)
    with pytest.raises(ValueError, match=r"degree must be given as an argument or by split"):
        compare_methods(plain, sigma=1.0)
    with pytest.raises(ValueError, match=r"sigma must be given as an argument or by split"):
        compare_methods(plain, degree=3)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"degree": -1}, ValueError, "degree must be an integer >= 0"),
        ({"sigma": 0.2}, ValueError, "sigma must be greater than"),
        ({"n_mu": 0}, ValueError, "n_grid must be an integer >= 1"),
        ({"gd_max_iter": 0}, ValueError, "gd_max_iter must be an integer >= 1"),
    ],
)
def test_compare_methods_bad_arguments(scenario_a, kwargs, error, message):
    """Bad arguments are refused by name."""
    with pytest.raises(error, match=message):
        compare_methods(scenario_a, **kwargs)


def test_compare_methods_refuses_a_non_split():
    """Only a Split is accepted."""
    with pytest.raises(TypeError, match=re.escape("split must be an emse.datasets.Split")):
        compare_methods({"X_wanted": np.zeros((3, 1))})


def test_best_mu_is_the_argmax_of_the_grid():
    """best_mu returns the grid weight with the largest criterion, below mu*."""
    split = paper_scenario("B")
    model = PolynomialRegressor(degree=4).fit(split.X_train, split.y_train)
    mu, mu_star = best_mu(model, split, n_grid=10)
    grid = mu_star * np.arange(10) / 10
    scores = [evaluate(unlearn(model, split.X_wanted, split.y_wanted, split.X_unwanted,
                               split.y_unwanted, objective="mu", mu=m, method="newton").model,
                       split)["fair_r2"] for m in grid]
    assert mu == pytest.approx(grid[int(np.argmax(scores))])
    assert 0 < mu < mu_star  # in scenario B the best weight is interior
    assert best_mu(model, split, n_grid=1)[0] == 0.0


def test_best_mu_bad_criterion(comparison_a, scenario_a):
    """The criterion must be a metric name."""
    with pytest.raises(ValueError, match="criterion must be one of"):
        best_mu(comparison_a.models["all data"], scenario_a, criterion="mse")


def test_sweep_rows(comparison_a, scenario_a):
    """One row per value; mu = 0 is retraining; mu at mu* is refused."""
    model = comparison_a.models["all data"]
    rows = sweep(model, scenario_a, "sigma", [0.8, 1.2])
    assert [row["sigma"] for row in rows] == [0.8, 1.2]
    (row,) = sweep(model, scenario_a, "mu", 0.0)
    assert row["r2_wanted"] == pytest.approx(_row(comparison_a, "oracle")["r2_wanted"])
    with pytest.raises(UnboundedObjectiveError):
        sweep(model, scenario_a, "mu", [comparison_a.mu_star])
    with pytest.raises(ValueError, match="objective must be"):
        sweep(model, scenario_a, "lam", [1.0])
    with pytest.raises(ValueError, match="values must hold"):
        sweep(model, scenario_a, "sigma", [])


def test_sweep_of_mu_is_the_closed_form_minimiser_at_every_weight(comparison_a, scenario_a):
    """The batched solve of the mu sweep gives unlearn's minimiser and evaluate's metrics."""
    model = comparison_a.models["all data"]
    weights = comparison_a.mu_star * np.array([0.0, 0.3, 0.9])
    for row, mu in zip(sweep(model, scenario_a, "mu", weights), weights, strict=True):
        direct = unlearn(model, scenario_a.X_wanted, scenario_a.y_wanted, scenario_a.X_unwanted,
                         scenario_a.y_unwanted, objective="mu", mu=mu, method="newton").model
        expected = evaluate(direct, scenario_a)
        assert {k: row[k] for k in expected} == pytest.approx(expected, rel=1e-9, abs=1e-12)
    with pytest.raises(ValueError, match="values must be"):
        sweep(model, scenario_a, "mu", [-0.1])


def test_undetermined_wanted_data_leave_only_mu_zero():
    """Degree 15 on 21 wanted points: mu* = 0, EMSE_mu is the least-norm wanted fit, and
    compare_methods still runs (its EMSE_mu row is the oracle's fit)."""
    draw = np.random.SeedSequence(0, spawn_key=(2, 8))  # a draw whose A_w is numerically singular
    split = paper_scenario("A", n_samples=30, degree=15, random_state=draw)
    model = PolynomialRegressor(degree=15).fit(split.X_train, split.y_train)
    assert critical_mu(model, split.X_wanted, split.X_unwanted) == 0
    assert best_mu(model, split) == (0.0, 0.0)
    comparison = compare_methods(split)
    mu_fit = comparison.models["EMSE_mu"].predict(split.X_wanted)
    np.testing.assert_allclose(mu_fit, comparison.models["oracle"].predict(split.X_wanted),
                               atol=1e-6)
    (row,) = sweep(model, split, "mu", [0.0])
    assert row["r2_wanted"] == pytest.approx(_row(comparison, "oracle")["r2_wanted"], abs=1e-6)
    with pytest.raises(UnboundedObjectiveError):
        sweep(model, split, "mu", [1e-9])


def test_sweep_distance_to_oracle(comparison_a, scenario_a):
    """With an oracle, rows carry the test-set distance to it: 0 at mu = 0, as compare_methods."""
    model, oracle = comparison_a.models["all data"], comparison_a.models["oracle"]
    assert "distance to oracle" not in sweep(model, scenario_a, "mu", [0.0])[0]
    at_zero, pushed = sweep(model, scenario_a, "mu", [0.0, 0.5 * comparison_a.mu_star],
                            oracle=oracle)
    assert at_zero["distance to oracle"] == pytest.approx(0.0, abs=1e-10)
    gap = comparison_a.models["EMSE_sigma"].predict(scenario_a.X_test) - oracle.predict(
        scenario_a.X_test)
    (sigma_row,) = sweep(model, scenario_a, "sigma", [comparison_a.sigma], oracle=oracle)
    assert sigma_row["distance to oracle"] == pytest.approx(np.sqrt(np.mean(gap**2)), rel=1e-6)
    assert pushed["distance to oracle"] > 0.1
    with pytest.raises(TypeError, match="oracle must be a fitted regressor"):
        sweep(model, scenario_a, "mu", [0.0], oracle="retrain")


def test_descent_path_follows_gradient_descent(comparison_a, scenario_a):
    """Iterate 0 is the start; the objective never rises; the last iterate is unlearn's."""
    model = comparison_a.models["all data"]
    path = descent_path(model, scenario_a, 30, every=10)
    assert [row["iteration"] for row in path] == [0, 10, 20, 30]
    assert path[0]["r2_wanted"] == pytest.approx(_row(comparison_a, "all data")["r2_wanted"])
    assert np.all(np.diff([row["objective"] for row in path]) <= 0)
    direct = unlearn(model, scenario_a.X_wanted, scenario_a.y_wanted, scenario_a.X_unwanted,
                     scenario_a.y_unwanted, sigma=scenario_a.sigma, method="gd", max_iter=30)
    assert path[-1]["r2_wanted"] == pytest.approx(evaluate(direct.model, scenario_a)["r2_wanted"])
    assert path[-1]["objective"] == pytest.approx(direct.history[-1])


def test_descent_path_stops_at_convergence(comparison_a, scenario_a):
    """A descent that has converged records no further iterates."""
    start = comparison_a.models["EMSE_sigma"]  # already a minimiser
    path = descent_path(start, scenario_a, 50, every=5)
    assert len(path) < 11


def test_descent_path_bad_arguments(comparison_a, scenario_a):
    """Bad step counts are refused by name."""
    with pytest.raises(ValueError, match="n_iter must be an integer >= 1"):
        descent_path(comparison_a.models["all data"], scenario_a, 0)
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        descent_path(comparison_a.models["all data"], scenario_a, 5, every=0)


# --- The conditions for success of chapter 3, as tests ------------------------------------------


def test_condition_separated_unwanted_points_are_forgotten(comparison_a):
    """Scenario A: unwanted points far from the wanted curve; EMSE_sigma is close to the oracle."""
    emse_sigma, oracle = _row(comparison_a, "EMSE_sigma"), _row(comparison_a, "oracle")
    assert _row(comparison_a, "all data")["r2_wanted"] < 0.5
    assert emse_sigma["r2_wanted"] > oracle["r2_wanted"] - 0.01
    assert emse_sigma["r2_unwanted"] < 0


def test_condition_unwanted_points_on_the_wanted_curve_are_not_forgotten():
    """Offset 0: EMSE_sigma keeps explaining the unwanted points; EMSE_mu can only forget them
    by losing the wanted fit as well."""
    comparison = compare_methods(paper_scenario("A", offset=0.0), n_mu=20)
    assert _row(comparison, "EMSE_sigma")["r2_unwanted"] > 0.9
    assert _row(comparison, "EMSE_mu")["r2_wanted"] < _row(comparison, "oracle")["r2_wanted"] - 0.1


def test_condition_few_unwanted_points_leave_little_to_gain():
    """A 3 % share barely moves the fit on all data, so unlearning gains little."""
    comparison = compare_methods(paper_scenario("A", unwanted_share=0.03), n_mu=20)
    before, after = _row(comparison, "all data"), _row(comparison, "EMSE_sigma")
    assert before["r2_wanted"] > 0.95
    assert 0 <= after["r2_wanted"] - before["r2_wanted"] < 0.02


def test_condition_too_high_a_degree_hides_overfitting():
    """Degree 15 on 30 points: training R² near 1, held-out R² negative, and mu* near 0."""
    comparison = compare_methods(paper_scenario("A", degree=15, n_samples=30), n_mu=20)
    assert all(row["r2_wanted"] > 0.99 for row in comparison.rows[1:])
    assert all(row["r2_test"] < 0 for row in comparison.rows)
    assert comparison.mu_star < 0.01


@pytest.mark.parametrize("criterion", METRIC_NAMES)
def test_best_mu_criterion_matches_evaluate(comparison_a, scenario_a, criterion):
    """The criterion best_mu maximises is the same number evaluate() reports."""
    from emse.experiments import _criterion

    model = comparison_a.models["EMSE_mu"]
    pred = {part: model.predict(getattr(scenario_a, f"X_{part}"))
            for part in ("wanted", "unwanted", "test")}
    assert _criterion(criterion, scenario_a, pred) == pytest.approx(
        evaluate(model, scenario_a)[criterion])
