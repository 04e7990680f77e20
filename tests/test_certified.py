"""emse.certified: certified removal (Guo et al. 2020) with its residual bound and budget."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from emse import baselines
from emse.certified import CertifiedClassifier, noise_scale_factor


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    centres = np.array([[0.4, 0.0], [-0.3, 0.3], [-0.2, -0.4]])
    y = np.arange(150) % 3
    X = centres[y] + 0.15 * rng.standard_normal((150, 2))
    return X / np.linalg.norm(X, axis=1).max(), y


@pytest.fixture(scope="module")
def model(data):
    return CertifiedClassifier(alpha=0.5, sigma=0.2, epsilon=1.0, norm_bound=1.0).fit(*data)


@parametrize_with_checks([CertifiedClassifier(sigma=0.1)])
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def test_noise_scale_factor_is_guos_constant():
    assert noise_scale_factor(1e-4) == pytest.approx(np.sqrt(2 * np.log(1.5e4)))
    with pytest.raises(ValueError, match="delta"):
        noise_scale_factor(0.0)


def test_fit_minimises_the_perturbed_objective(model, data):
    X, y = data
    theta = model.flat_coef()
    _, grad = model.objective_value_and_grad(theta, X, y)
    numeric = approx_fprime(theta, lambda t: model.objective_value_and_grad(t, X, y)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, atol=1e-4)
    assert np.max(np.abs(grad)) < 1e-5
    # the noise really is in the objective: without it the gradient at the fit is about -b
    assert np.linalg.norm(model.noise_) > 0.1


def test_budget_is_sigma_epsilon_over_k_c(model):
    k = model.classes_.size
    expected = model.sigma * (model.epsilon / k) / noise_scale_factor(model.delta / k)
    assert model.budget_ == pytest.approx(expected)
    assert model.guarantee_ == (1.0, 1e-4)


def test_residual_bound_holds_on_every_deletion(model):
    """The accumulated bound is at least the exact gradient residual, deletion after deletion."""
    current = model
    for _ in range(12):
        current = current.delete([0, 5])
        grad = current.objective_value_and_grad(current.flat_coef(), current.X_, current.y_)[1]
        exact = np.linalg.norm(grad.reshape(current.classes_.size, -1), axis=1)
        assert np.all(exact <= current.residual_bound_ + 1e-9)


def test_budget_exceeded_means_a_retraining(data):
    X, y = data
    tight = CertifiedClassifier(alpha=0.5, sigma=0.2, budget=1e-9, norm_bound=1.0).fit(X, y)
    after = tight.delete([0])
    assert after.n_trainings_ == 2
    retrained = CertifiedClassifier(alpha=0.5, sigma=0.2, budget=1e-9, norm_bound=1.0)
    retrained.fit(np.delete(X, 0, axis=0), np.delete(y, 0))
    # the retraining draws fresh noise (the second training of the same seed), so compare the
    # objective's gradient, not the weights
    grad = after.objective_value_and_grad(after.flat_coef(), after.X_, after.y_)[1]
    assert np.max(np.abs(grad)) < 1e-5
    assert after.n_deleted_ == 1 and after.n_samples_fit_ == X.shape[0] - 1


def test_generous_budget_keeps_the_newton_step(model):
    after = model.delete([3])
    assert after.n_trainings_ == 1
    assert after.budget_left_ < model.budget_left_


def test_without_noise_and_budget_it_is_the_newton_step(data):
    """Without noise and budget, a deletion is the Newton step of every binary model, computed
    here by hand from the data: w- = w* + H_k^{-1} sum over removed of grad l(s w.x)."""
    X, y = data
    plain = CertifiedClassifier(alpha=0.5, sigma=0.0, budget=np.inf, norm_bound=1.0).fit(X, y)
    removed = np.array([1, 2, 3])
    deleted = plain.delete(removed)
    kept = np.setdiff1d(np.arange(y.size), removed)
    for k in range(plain.classes_.size):
        w = plain.coef_[:, k]
        s = np.where(y == plain.classes_[k], 1.0, -1.0)
        z = X @ w
        curvature = 1.0 / (1.0 + np.exp(-z)) / (1.0 + np.exp(z))  # l''(z)
        hessian = (X[kept].T * curvature[kept]) @ X[kept] + 0.5 * np.eye(X.shape[1])
        grad_removed = -(X[removed].T @ (s[removed] / (1.0 + np.exp(s[removed] * z[removed]))))
        np.testing.assert_allclose(deleted.coef_[:, k], w + np.linalg.solve(hessian, grad_removed),
                                   rtol=1e-10, atol=1e-12)
    # delete solves one system per binary model; remove_newton one of the whole block diagonal
    newton = baselines.remove_newton(plain, X[removed], y[removed])
    np.testing.assert_allclose(deleted.coef_, newton.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(deleted.training_hessian(), newton.training_hessian(),
                               rtol=1e-12, atol=1e-12)
    assert deleted.n_samples_fit_ == newton.n_samples_fit_ == y.size - removed.size
    assert plain.guarantee_ is None


def test_newton_deletion_is_close_to_retraining(data):
    X, y = data
    plain = CertifiedClassifier(alpha=0.5, sigma=0.0, budget=np.inf, norm_bound=1.0).fit(X, y)
    deleted = plain.delete(np.arange(5))
    oracle = CertifiedClassifier(alpha=0.5, sigma=0.0, norm_bound=1.0).fit(X[5:], y[5:])
    gap = np.linalg.norm(deleted.coef_ - oracle.coef_)
    assert gap < 0.05 * np.linalg.norm(plain.coef_ - oracle.coef_)


def test_delete_leaves_the_model_unchanged(model):
    before = model.coef_.copy(), model.X_.copy(), model.residual_bound_.copy()
    model.delete([0, 1])
    np.testing.assert_array_equal(model.coef_, before[0])
    np.testing.assert_array_equal(model.X_, before[1])
    np.testing.assert_array_equal(model.residual_bound_, before[2])


def test_inputs_must_respect_the_norm_bound(data):
    X, y = data
    with pytest.raises(ValueError, match="norm_bound"):
        CertifiedClassifier(norm_bound=0.5).fit(X, y)


@pytest.mark.parametrize(("indices", "message"), [
    ([], "non-empty"), ([0, 0], "distinct"), ([10_000], "distinct"), ([0.5], "integers"),
])
def test_delete_refuses_bad_indices(model, indices, message):
    with pytest.raises(ValueError, match=message):
        model.delete(np.asarray(indices))


def test_delete_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        CertifiedClassifier().delete([0])
