r"""EMSE unlearning for the networks of :mod:`emse.neural` (chapter 6).

A network is not linear in its parameters, so the chain rule replaces the design matrix: with
:math:`r = y - f_\theta(x)`,
:math:`\nabla_\theta\,\mathrm{EMSE} = -J_w^\top \partial_{r_w}\mathrm{EMSE}
- J_u^\top \partial_{r_u}\mathrm{EMSE}`, where :math:`J` is the Jacobian of the outputs. The
residual derivatives come from :func:`emse.objectives.emse_sigma_residual_grad` and
:func:`emse.objectives.emse_mu_residual_grad`; the products :math:`J^\top\delta` are backward
passes. Classifiers get the cross-entropy analogue of EMSE.

:func:`rmu` is representation misdirection for unlearning (RMU), the method of Li et al. (2024)
(the WMDP paper): instead of the outputs it moves a hidden layer, steering its activations on
unwanted inputs towards a fixed random vector while holding them in place on wanted inputs, so
that the later layers read the same uninformative activations whatever the unwanted input.
:func:`layer_activations` reads a hidden layer, to see what RMU did.

:func:`scrub` is SCRUB (Kurmanji et al. 2023), a teacher-student method: the trained network is
the teacher, and a copy of it (the student) alternates steps that move its predictions away from
the teacher's on unwanted inputs with steps that keep them close, and the labels right, on wanted
inputs.
"""

from __future__ import annotations

from functools import partial
from numbers import Integral

import numpy as np
from scipy import special
from scipy.optimize import OptimizeResult
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._mlp import forward, hidden_forward, hidden_objective, outputs_objective, unpack
from ._validation import (
    check_features,
    check_model_data,
    check_nonnegative,
    check_positive,
    check_positive_int,
    encode_labels,
)
from .baselines import _descend
from .losses import cross_entropy_and_grad
from .objectives import residual_objective
from .optim import DIVERGENCE_FACTOR, UnlearningResult, minimize, result_of
from .unlearn import check_unlearning_options

__all__ = [
    "layer_activations",
    "rmu",
    "rmu_objective",
    "rmu_target",
    "scrub",
    "unlearn_network",
    "unlearning_objective",
]


def _cross_entropy(z, t):
    """Summed -log p(t|x) and its derivative by the logits, p - onehot(t)."""
    losses, delta = cross_entropy_and_grad(z, t)
    return float(np.sum(losses)), delta


def _likelihood_forget(z_w, t_w, z_u, t_u, lam):
    """-sum_w log p(y|x) - lam sum_u log(1 - p(y|x)), and its derivatives by the logits."""
    value_w, delta_w = _cross_entropy(z_w, t_w)
    others = z_u.copy()
    others[np.arange(t_u.size), t_u] = -np.inf
    log_rest = special.logsumexp(others, axis=1)  # log of sum over k != y of e^{z_k}
    log_total = special.logsumexp(z_u, axis=1)
    value_u = -lam * np.sum(log_rest - log_total)  # log(1 - p_y) = log_rest - log_total
    delta_u = lam * (np.exp(z_u - log_total[:, None]) - np.exp(others - log_rest[:, None]))
    return float(value_w + value_u), [delta_w, delta_u]


def _weighted_cross_entropy(z_w, t_w, z_u, t_u, mu):
    """mean CE on wanted - mu mean CE on unwanted (descent-ascent), and its derivatives."""
    value_w, delta_w = _cross_entropy(z_w, t_w)
    value_u, delta_u = _cross_entropy(z_u, t_u)
    value = value_w / t_w.size - mu * value_u / t_u.size
    return float(value), [delta_w / t_w.size, -mu * delta_u / t_u.size]


def _residual_loss(core, y_w, y_u):
    """Lift a residual-level EMSE (value, d/dr_w, d/dr_u) to the network's outputs z."""
    def loss(z_w, z_u):
        value, g_w, g_u = core(y_w - z_w[:, 0], y_u - z_u[:, 0])
        return value, [-g_w[:, None], -g_u[:, None]]  # r = y - z, so d/dz = -d/dr
    return loss


def _check_unlearning(network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective, sigma,
                      mu, lam, method="lbfgs", learning_rate=None):
    if not hasattr(network, "sizes_") and not hasattr(network, "hidden_layer_sizes"):
        raise TypeError(f"network must be a fitted NeuralRegressor or NeuralClassifier; got "
                        f"{type(network).__name__}.")
    check_is_fitted(network, "coef_")
    classifier = is_classifier(network)
    parts = []
    for X, y, x_name, y_name in ((X_wanted, y_wanted, "X_wanted", "y_wanted"),
                                 (X_unwanted, y_unwanted, "X_unwanted", "y_unwanted")):
        X, y = check_model_data(network, X, y, x_name, y_name)
        parts += [X, encode_labels(network.classes_, y, y_name) if classifier else y]
    allowed = ("likelihood", "mu") if classifier else ("sigma", "mu")
    objective = allowed[0] if objective is None else objective
    if objective not in allowed:
        raise ValueError(f"objective must be one of {allowed} for a {type(network).__name__}; "
                         f"got {objective!r}.")
    sigma, mu, lam, learning_rate = check_unlearning_options(
        objective, sigma=sigma, mu=mu, lam=lam, method=method, learning_rate=learning_rate,
        objectives=allowed, methods=("lbfgs", "gd"))
    return parts, objective, sigma, mu, lam, learning_rate


def unlearning_objective(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *,
                         objective: str | None = None, sigma: float = 1.0,
                         mu: float | None = None, lam: float = 1.0):
    r"""The EMSE objective of a network as a function of its flat parameters.

    Regression (:class:`~emse.neural.NeuralRegressor`): ``"sigma"`` is
    :math:`\mathrm{EMSE}_\sigma`, ``"mu"`` is :math:`\mathrm{EMSE}_\mu` (chapter 2), with
    :math:`r = y - f_\theta(x)`. Classification (:class:`~emse.neural.NeuralClassifier`):
    ``"likelihood"`` is the cross-entropy analogue of EMSE_σ,
    :math:`-\sum_w \log p_\theta(y\mid x) - \lambda\sum_u \log(1 - p_\theta(y\mid x))`, bounded
    below by zero; ``"mu"`` is :math:`\overline{\mathrm{CE}}_w - \mu\,\overline{\mathrm{CE}}_u`
    (means), the descent-ascent form, unbounded below.

    Parameters
    ----------
    network : NeuralRegressor or NeuralClassifier
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Data to keep (targets, or labels from ``network.classes_``).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget.
    objective : {"sigma", "mu"} or {"likelihood", "mu"}, default=None
        ``None`` means ``"sigma"`` for a regressor and ``"likelihood"`` for a classifier.
    sigma : float, default=1.0
        Scale of EMSE_σ, ``> 1/sqrt(2*pi)``; used by ``"sigma"`` only.
    mu : float, default=None
        Weight of the ``"mu"`` forms, ``>= 0``; required for them and refused otherwise.
    lam : float, default=1.0
        Weight λ of the unwanted term of ``"sigma"`` and ``"likelihood"``, ``>= 0``.

    Returns
    -------
    value_and_grad : callable
        ``value_and_grad(theta) -> (value, grad)`` for ``theta`` of shape
        ``network.coef_.shape``.
    """
    checked = _check_unlearning(network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective,
                                sigma, mu, lam)
    return _objective(network, *checked[:-1])


def _objective(network, parts, objective, sigma, mu, lam):
    X_w, y_w, X_u, y_u = parts
    if not is_classifier(network):
        loss = _residual_loss(residual_objective(objective, sigma=sigma, mu=mu, lam=lam), y_w,
                              y_u)
    elif objective == "mu":
        loss = partial(_labelled, _weighted_cross_entropy, y_w, y_u, mu)
    else:
        loss = partial(_labelled, _likelihood_forget, y_w, y_u, lam)
    return partial(outputs_objective, sizes=network.sizes_, activation=network.activation,
                   inputs=[X_w, X_u], loss=loss)


def _labelled(core, t_w, t_u, weight, z_w, z_u):
    return core(z_w, t_w, z_u, t_u, weight)


def unlearn_network(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *,
                    objective: str | None = None, sigma: float = 1.0, mu: float | None = None,
                    lam: float = 1.0, method: str = "lbfgs", max_iter: int = 1000,
                    tol: float = 1e-6, learning_rate: float | None = None) -> UnlearningResult:
    r"""Move a trained network's parameters to a (local) minimiser of an EMSE objective.

    The sibling of :func:`emse.unlearn` for networks: it starts from ``network.coef_`` and
    minimises :func:`unlearning_objective` over all parameters. The objective is not convex, so
    the result is a local minimiser that depends on the start. For the ``"mu"`` forms there is
    no critical weight to check in advance (the bound of :func:`emse.critical_mu` belongs to a
    fixed design matrix, and a network moves its features): a run that diverges is reported
    (``converged=False`` and a ``ConvergenceWarning``, with the last finite iterate), never
    returned as NaN.

    Parameters
    ----------
    network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective, sigma, mu, lam
        As :func:`unlearning_objective`; ``network`` is not modified.
    method : {"lbfgs", "gd"}, default="lbfgs"
        scipy's L-BFGS-B, or plain gradient descent.
    max_iter : int, default=1000
        Largest number of iterations, ``>= 1``.
    tol : float, default=1e-6
        Stop when the gradient's largest entry is at most ``tol``.
    learning_rate : float, default=None
        Step of ``method="gd"`` (required there: no safe step is known for a network); not
        used by ``"lbfgs"``.

    Returns
    -------
    result : emse.UnlearningResult
        ``model`` is a new fitted network.

    Raises
    ------
    ValueError, TypeError
        On invalid input, naming the argument.
    """
    parts, objective, sigma, mu, lam, learning_rate = _check_unlearning(
        network, X_wanted, y_wanted, X_unwanted, y_unwanted, objective, sigma, mu, lam, method,
        learning_rate)
    if method == "gd" and learning_rate is None:
        raise ValueError("learning_rate must be given for method='gd' on a network; got None.")
    fun = _objective(network, parts, objective, sigma, mu, lam)
    res = minimize(fun, network.flat_coef(), method=method, max_iter=max_iter, tol=tol,
                   learning_rate=learning_rate, ftol=None)
    return result_of(network, res, objective, method)


# --- Representation misdirection (RMU) ------------------------------------------------------


def _check_network(network):
    if not hasattr(network, "sizes_") and not hasattr(network, "hidden_layer_sizes"):
        raise TypeError(f"network must be a fitted NeuralRegressor or NeuralClassifier; got "
                        f"{type(network).__name__}.")
    check_is_fitted(network, "coef_")


def _check_layer(network, layer) -> int:
    """The hidden layer ``layer`` (negative counts from the last) as a 0-based index."""
    n_hidden = len(network.sizes_) - 2
    if isinstance(layer, bool) or not isinstance(layer, Integral) or not (
            -n_hidden <= layer < n_hidden):
        raise ValueError(f"layer must be an integer index of a hidden layer, in "
                         f"[{-n_hidden}, {n_hidden - 1}] for this network of {n_hidden} hidden "
                         f"layer(s); got {layer!r}.")
    return int(layer) % n_hidden


def layer_activations(network, X, *, layer: int = -1) -> np.ndarray:
    r"""The activations :math:`h(x) = a_\ell(x)` of hidden layer ``layer`` on the inputs ``X``.

    Parameters
    ----------
    network : NeuralRegressor or NeuralClassifier
        A fitted network.
    X : array-like of shape (n, n_features)
        Inputs.
    layer : int, default=-1
        Index into the hidden layers (``0`` the first, ``-1`` the last).

    Returns
    -------
    activations : ndarray of shape (n, units of that layer)
    """
    _check_network(network)
    index = _check_layer(network, layer)
    X = check_features(X, "X", n_features=network.n_features_in_)
    return hidden_forward(unpack(network.coef_, network.sizes_), X, network.activation,
                          index)[-1]


def rmu_target(network, *, layer: int = -1, steering: float = 6.5,
               random_state=0) -> np.ndarray:
    r"""RMU's target :math:`c\,u` for hidden layer ``layer``: a random unit vector times ``c``.

    As in the WMDP code of Li et al. (2024), :math:`u` has independent entries drawn
    uniformly from :math:`[0, 1)` and is then normalised; it is fixed by ``random_state``.

    Parameters
    ----------
    network : NeuralRegressor or NeuralClassifier
        A fitted network (it gives the layer's width).
    layer : int, default=-1
        Index into the hidden layers.
    steering : float, default=6.5
        The steering coefficient :math:`c`, ``> 0``: the target's norm.
    random_state : int, numpy.random.Generator or None, default=0
        Seed of :math:`u`.

    Returns
    -------
    target : ndarray of shape (units of that layer,)
        Norm ``steering``, every entry ``>= 0``.
    """
    _check_network(network)
    index = _check_layer(network, layer)
    steering = check_positive(steering, "steering")
    if not (random_state is None or isinstance(random_state, np.random.Generator) or (
            isinstance(random_state, Integral) and not isinstance(random_state, bool)
            and random_state >= 0)):
        raise TypeError(f"random_state must be None, an integer >= 0 or a "
                        f"numpy.random.Generator; got {random_state!r}.")
    u = np.random.default_rng(random_state).random(network.sizes_[index + 1])
    return steering * u / np.linalg.norm(u)


def _rmu_parts(network, X_wanted, y_wanted, X_unwanted, y_unwanted, layer, steering, alpha,
               random_state):
    _check_network(network)
    index = _check_layer(network, layer)
    target = rmu_target(network, layer=layer, steering=steering, random_state=random_state)
    alpha = check_nonnegative(alpha, "alpha")
    X_w = check_model_data(network, X_wanted, y_wanted, "X_wanted", "y_wanted")[0]
    X_u = check_model_data(network, X_unwanted, y_unwanted, "X_unwanted", "y_unwanted")[0]
    frozen = hidden_forward(unpack(network.coef_, network.sizes_), X_w, network.activation,
                            index)[-1]  # h_frozen(x_w), once

    def loss(A_u, A_w):
        # mean_i ||h(x_u,i) - c u||^2 + alpha mean_j ||h(x_w,j) - h_frozen(x_w,j)||^2
        D_u, D_w = A_u - target, A_w - frozen
        value = np.sum(D_u**2) / D_u.shape[0] + alpha * np.sum(D_w**2) / D_w.shape[0]
        return float(value), [2.0 * D_u / D_u.shape[0], 2.0 * alpha * D_w / D_w.shape[0]]

    def value_and_grad(theta):
        return hidden_objective(network._check_theta(theta), sizes=network.sizes_,
                                activation=network.activation, layer=index, inputs=[X_u, X_w],
                                loss=loss)

    return value_and_grad


def rmu_objective(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *, layer: int = -1,
                  steering: float = 6.5, alpha: float = 100.0, random_state=0):
    r"""RMU's objective as a function of the flat parameters (see :func:`rmu`).

    Parameters
    ----------
    network, X_wanted, y_wanted, X_unwanted, y_unwanted, layer, steering, alpha, random_state
        As :func:`rmu`.

    Returns
    -------
    value_and_grad : callable
        ``value_and_grad(theta) -> (value, grad)`` for ``theta`` of shape
        ``network.coef_.shape``; the gradient is zero on the layers after ``layer``.
    """
    return _rmu_parts(network, X_wanted, y_wanted, X_unwanted, y_unwanted, layer, steering,
                      alpha, random_state)


def rmu(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *, layer: int = -1,
        steering: float = 6.5, alpha: float = 100.0, learning_rate: float, max_iter: int = 100,
        random_state=0) -> UnlearningResult:
    r"""RMU: misdirect a hidden layer's representation of the unwanted inputs (Li et al. 2024).

    With :math:`h_\theta(x)` the activations of hidden layer ``layer``,
    :math:`h_{\mathrm{frozen}}` those of the trained network (computed once) and :math:`c\,u`
    a fixed random vector of norm :math:`c` (:func:`rmu_target`), takes ``max_iter`` gradient
    steps on

    .. math::

        \frac{1}{n_u}\sum_{i} \bigl\lVert h_\theta(x^u_i) - c\,u\bigr\rVert^2
        + \alpha\,\frac{1}{n_w}\sum_{j}
          \bigl\lVert h_\theta(x^w_j) - h_{\mathrm{frozen}}(x^w_j)\bigr\rVert^2 ,

    the forget and retain losses of Li et al. (2024): on unwanted inputs the layer is pushed to
    one uninformative point, so the later layers read the same activations whatever the input,
    while on wanted inputs it is held where it was. The labels are not used (they are checked,
    and name the data as everywhere in ``emse``). Li et al. update a few layers of a language
    model (the MLPs of three consecutive blocks); here every parameter of the layers up to and
    including ``layer`` is updated, and the later layers (the output layer at least), which
    cannot change :math:`h_\theta`, stay as they were. The WMDP code averages the squared
    error over the units as well (``mse_loss``), which divides both terms by the layer's width;
    here the squared norms are used as the paper writes them. The number of steps is the
    stopping rule.

    Parameters
    ----------
    network : NeuralRegressor or NeuralClassifier
        The trained network; not modified.
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Data to keep (the retain set).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget (the forget set).
    layer : int, default=-1
        Index into the hidden layers (``0`` the first, ``-1`` the last).
    steering : float, default=6.5
        The steering coefficient :math:`c`, ``> 0``, the norm of the target (6.5 is the
        paper's value for its 7-billion-parameter model; with a bounded activation such as
        ``tanh`` a target out of reach is pushed towards as far as the activations go).
    alpha : float, default=100.0
        Weight :math:`\alpha` of the retain term, ``>= 0``.
    learning_rate : float
        Step length, ``> 0``; required, as for every gradient method on a network.
    max_iter : int, default=100
        Number of steps, ``>= 1``.
    random_state : int, numpy.random.Generator or None, default=0
        Seed of the random direction :math:`u`.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the objective at the start and after every step; ``objective`` is
        ``"rmu"``, ``method`` ``"gd"``; ``converged`` is false only if the run diverged (a
        ``ConvergenceWarning`` is then issued).

    Raises
    ------
    ValueError, TypeError
        On invalid input, naming the argument.
    """
    fun = _rmu_parts(network, X_wanted, y_wanted, X_unwanted, y_unwanted, layer, steering,
                     alpha, random_state)
    step = check_positive(learning_rate, "learning_rate")
    return _descend(network, fun, step, max_iter, "rmu")


# --- SCRUB ----------------------------------------------------------------------------------


def _distillation(z_student, z_teacher, temperature):
    """Summed T^2 KL(softmax(z_t/T) || softmax(z_s/T)) and its derivative by z_s."""
    log_teacher = special.log_softmax(z_teacher / temperature, axis=1)
    log_student = special.log_softmax(z_student / temperature, axis=1)
    teacher = np.exp(log_teacher)
    value = temperature**2 * np.sum(teacher * (log_teacher - log_student))
    return float(value), temperature * (np.exp(log_student) - teacher)  # T^2 (p_s - p_t) / T


def _scrub_functions(network, X_w, t_w, X_u, alpha, gamma, temperature):
    """SCRUB's two step objectives on checked data: ``forget`` (-mean KL over the unwanted
    inputs) and ``retain`` (alpha mean KL + gamma mean cross-entropy over the wanted data)."""
    layers = unpack(network.coef_, network.sizes_)
    teacher_w = forward(layers, X_w, network.activation)[1]  # the trained network's logits
    teacher_u = forward(layers, X_u, network.activation)[1]
    n_w, n_u = X_w.shape[0], X_u.shape[0]

    def forget_loss(z_u):
        value, delta = _distillation(z_u, teacher_u, temperature)
        return -value / n_u, [-delta / n_u]

    def retain_loss(z_w):
        kl, delta_kl = _distillation(z_w, teacher_w, temperature)
        ce, delta_ce = _cross_entropy(z_w, t_w)
        return ((alpha * kl + gamma * ce) / n_w,
                [(alpha * delta_kl + gamma * delta_ce) / n_w])

    def bind(X, loss):
        def value_and_grad(theta):
            return outputs_objective(network._check_theta(theta), sizes=network.sizes_,
                                     activation=network.activation, inputs=[X], loss=loss)
        return value_and_grad

    return bind(X_u, forget_loss), bind(X_w, retain_loss)


def scrub(network, X_wanted, y_wanted, X_unwanted, y_unwanted, *, alpha: float = 0.001,
          gamma: float = 0.99, temperature: float = 4.0, forget_steps: int | None = None,
          learning_rate: float, max_iter: int = 10) -> UnlearningResult:
    r"""SCRUB: a student network moves away from its teacher on unwanted data (Kurmanji et al.
    2023).

    The teacher is the trained network, with class probabilities :math:`p_o`; the student
    starts as a copy of it, with :math:`p_\theta`. With
    :math:`\mathrm{KL}_T(x) = T^2\,\mathrm{KL}\bigl(p_o^T(x)\,\Vert\,p_\theta^T(x)\bigr)`
    between the probabilities at temperature :math:`T` (softmax of the logits divided by
    :math:`T`, the distillation loss of Hinton et al. that the SCRUB code uses), SCRUB seeks

    .. math::

        \min_\theta\ \frac{\alpha}{n_w}\sum_{j}\mathrm{KL}_T(x^w_j)
        + \frac{\gamma}{n_w}\sum_{j}\ell\bigl(y^w_j, f_\theta(x^w_j)\bigr)
        - \frac{1}{n_u}\sum_{i}\mathrm{KL}_T(x^u_i),

    staying close to the teacher, and right, on the wanted data while moving away from it on the
    unwanted data. It does not descend this objective directly: each of ``max_iter`` epochs takes
    a *max-step*, one gradient step that increases the unwanted KL term, and then a
    *min-step*, one gradient step on the two wanted terms; the max-steps stop after the first
    ``forget_steps`` epochs, so that the last min-steps repair what they broke on the wanted
    data. Here every step is full-batch (the paper passes over mini-batches), and the
    number of epochs is the stopping rule. At the start the student is the teacher, where the
    KL term is at its minimum and its gradient is zero: the first max-step does not move, and
    the max-steps take hold only once the min-steps have moved the student (in the paper,
    mini-batch noise does this too). The unwanted KL term is unbounded above, so long runs of
    max-steps with a large step can run away; the min-steps that follow are what keeps the
    wanted data.

    Parameters
    ----------
    network : NeuralClassifier
        The trained network, the teacher; not modified.
    X_wanted, y_wanted : array-like of shape (n_w, n_features), (n_w,)
        Data to keep (the retain set).
    X_unwanted, y_unwanted : array-like of shape (n_u, n_features), (n_u,)
        Data to forget (the forget set); the labels are checked, not used.
    alpha : float, default=0.001
        Weight :math:`\alpha` of the wanted KL term, ``>= 0`` (as used with the SCRUB code).
    gamma : float, default=0.99
        Weight :math:`\gamma` of the wanted cross-entropy, ``>= 0`` (as used with the SCRUB
        code).
    temperature : float, default=4.0
        Distillation temperature :math:`T`, ``> 0`` (the SCRUB code's ``kd_T``).
    forget_steps : int, default=None
        Number of epochs, from the first, that take a max-step, ``>= 0`` and at most
        ``max_iter``; ``None`` means half of them, rounded up.
    learning_rate : float
        Step length of both kinds of step, ``> 0``; required, as for every gradient method on a
        network.
    max_iter : int, default=10
        Number of epochs, ``>= 1``.

    Returns
    -------
    result : emse.UnlearningResult
        ``history`` holds the objective above at the start (where both KL terms are zero) and
        after every epoch; ``n_iter`` counts epochs; ``objective`` is ``"scrub"``, ``method``
        ``"gd"``; ``converged`` is false only if the run diverged (a ``ConvergenceWarning`` is
        then issued and the parameters of the last finite epoch are returned).

    Raises
    ------
    ValueError, TypeError
        On invalid input, naming the argument.
    """
    _check_network(network)
    if not is_classifier(network):
        raise TypeError(f"network must be a fitted NeuralClassifier (SCRUB compares class "
                        f"probabilities); got {type(network).__name__}.")
    X_w, y_w = check_model_data(network, X_wanted, y_wanted, "X_wanted", "y_wanted")
    X_u, _ = check_model_data(network, X_unwanted, y_unwanted, "X_unwanted", "y_unwanted")
    alpha, gamma = check_nonnegative(alpha, "alpha"), check_nonnegative(gamma, "gamma")
    temperature = check_positive(temperature, "temperature")
    step = check_positive(learning_rate, "learning_rate")
    max_iter = check_positive_int(max_iter, "max_iter")
    if forget_steps is None:
        forget_steps = (max_iter + 1) // 2
    elif isinstance(forget_steps, bool) or not isinstance(forget_steps, Integral) or not (
            0 <= forget_steps <= max_iter):
        raise ValueError(f"forget_steps must be an integer in [0, max_iter] = [0, {max_iter}] "
                         f"or None; got {forget_steps!r}.")
    forget, retain = _scrub_functions(network, X_w, encode_labels(network.classes_, y_w,
                                                                  "y_wanted"),
                                      X_u, alpha, gamma, temperature)
    theta = network.flat_coef()
    limit = DIVERGENCE_FACTOR * (1.0 + np.linalg.norm(theta))
    history = [retain(theta)[0] + forget(theta)[0]]
    status, n_iter = 1, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(max_iter):
            candidate = theta
            for value_and_grad in ((forget, retain) if epoch < forget_steps else (retain,)):
                candidate = candidate - step * value_and_grad(candidate)[1]
                if not (np.all(np.isfinite(candidate)) and np.linalg.norm(candidate) <= limit):
                    break
            else:
                value = retain(candidate)[0] + forget(candidate)[0]
                if np.isfinite(value):
                    theta, n_iter = candidate, epoch + 1
                    history.append(value)
                    continue
            status = 2
            break
    messages = {1: "Stopped: max_iter epochs taken, the method's stopping rule.",
                2: "Diverged: the iterates or the objective stopped being finite or grew "
                   "without bound; the last finite epoch is returned. Lower learning_rate."}
    res = OptimizeResult(x=theta, nit=n_iter, status=status, success=False,
                         message=messages[status], history=np.asarray(history))
    return result_of(network, res, "scrub", "gd", budget_is_rule=True)
