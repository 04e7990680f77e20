"""SISA: sharded training whose deletions retrain only the affected shard."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import check_indices, check_positive_int, encode_labels

__all__ = ["SISA"]


class SISA(BaseEstimator):
    """Sharded training with exact deletion by retraining one shard (Bourtoule et al. 2021).

    The training set is split at random into ``n_shards`` disjoint shards; a clone of
    ``estimator`` is trained on each, and predictions are aggregated: the mean prediction of a
    regressor, the mean class probabilities of a classifier. Deleting a training point retrains
    only the shard that held it, and the result is exactly the SISA model trained without the
    point. The price is accuracy: each shard model sees only ``1/n_shards`` of the data. (The
    *slicing* and checkpointing of the original method, which speed up the retraining of a
    shard further, are left out.)

    Parameters
    ----------
    estimator : estimator
        Unfitted scikit-learn style estimator trained on each shard.
    n_shards : int, default=5
        Number of shards, ``>= 1``; each must receive at least one point.
    random_state : int, default=0
        Seed of the random shard assignment.

    Attributes
    ----------
    estimators_ : list of fitted estimators
        One per shard.
    shard_ : ndarray of int, shape (n_samples,)
        Shard of each training point, in the order of ``X`` (deleted points are dropped).
    X_, y_ : ndarray
        The training data kept for retraining (SISA stores its data, by design).
    classes_ : ndarray
        Class labels (classifiers only).
    n_retrained_ : int
        Shards retrained by the :meth:`delete` that made this ensemble (0 after :meth:`fit`).
    n_features_in_ : int
        Number of input features.

    Examples
    --------
    >>> import numpy as np
    >>> from emse import PolynomialRegressor
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> sisa = SISA(PolynomialRegressor(degree=1), n_shards=4).fit(X, 2 * X[:, 0])
    >>> smaller = sisa.delete([0, 1])
    >>> smaller.shard_.size, smaller.n_retrained_ <= 2
    (38, True)
    """

    def __init__(self, estimator, n_shards=5, *, random_state=0):
        self.estimator = estimator
        self.n_shards = n_shards
        self.random_state = random_state

    def fit(self, X, y):
        """Assign points to shards at random and train one model per shard.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : SISA
        """
        n_shards = check_positive_int(self.n_shards, "n_shards")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=not is_classifier(self))
        if X.shape[0] < n_shards:
            raise ValueError(f"n_shards must be at most the number of samples; got "
                             f"n_shards={n_shards} for {X.shape[0]} sample(s).")
        rng = np.random.default_rng(self.random_state)
        self.shard_ = rng.permutation(np.arange(X.shape[0]) % n_shards)
        self.X_, self.y_ = X.copy(), y.copy()
        if is_classifier(self):
            self.classes_ = np.unique(y)
        self.estimators_ = [self._fit_shard(s) for s in range(n_shards)]
        self.n_retrained_ = 0
        return self

    def __sklearn_tags__(self):
        # A classifier ensemble of classifiers, a regressor ensemble of regressors.
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags, tags.regressor_tags = inner.classifier_tags, inner.regressor_tags
        return tags

    def _fit_shard(self, shard: int):
        members = self.shard_ == shard
        estimator = clone(self.estimator)
        if is_classifier(estimator) and "classes" in estimator.get_params():
            estimator.set_params(classes=self.classes_)
        return estimator.fit(self.X_[members], self.y_[members])

    def predict(self, X) -> np.ndarray:
        """Mean prediction of the shard regressors, or the most probable class."""
        check_is_fitted(self, "estimators_")
        if is_classifier(self):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.mean([estimator.predict(X) for estimator in self.estimators_], axis=0)

    @available_if(lambda self: is_classifier(self.estimator))
    def predict_proba(self, X) -> np.ndarray:
        """Mean class probabilities of the shard classifiers, of shape (n_samples, K).

        Available only when ``estimator`` is a classifier.
        """
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        proba = np.zeros((X.shape[0], self.classes_.size))
        for estimator in self.estimators_:
            columns = encode_labels(self.classes_, estimator.classes_, "classes_")
            proba[:, columns] += estimator.predict_proba(X)
        return proba / len(self.estimators_)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of a classifier ensemble, R² of a regressor ensemble, on ``(X, y)``."""
        mixin = ClassifierMixin if is_classifier(self) else RegressorMixin
        return mixin.score(self, X, y, sample_weight=sample_weight)

    def delete(self, indices) -> SISA:
        """Delete training points by index, retraining only the shards that held them.

        Parameters
        ----------
        indices : array-like of int
            Positions of the points in the current training data ``X_`` (distinct).

        Returns
        -------
        model : SISA
            A new fitted ensemble; ``self`` is unchanged. Its ``n_retrained_`` is the number of
            shards that were retrained.
        """
        check_is_fitted(self, "estimators_")
        indices = check_indices(indices, self.shard_.size)
        keep = np.ones(self.shard_.size, dtype=bool)
        keep[indices] = False
        affected = np.unique(self.shard_[indices])
        new = clone(self)
        new.n_features_in_ = self.n_features_in_
        if is_classifier(self):
            new.classes_ = self.classes_
        new.X_, new.y_, new.shard_ = self.X_[keep], self.y_[keep], self.shard_[keep]
        if np.any(np.bincount(new.shard_, minlength=len(self.estimators_)) == 0):
            raise ValueError("indices must leave at least one point in every shard.")
        new.estimators_ = [new._fit_shard(s) if s in affected else estimator
                           for s, estimator in enumerate(self.estimators_)]
        new.n_retrained_ = int(affected.size)
        return new

