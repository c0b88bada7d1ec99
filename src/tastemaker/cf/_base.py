"""The recommender contract every tastemaker model follows (the one ``implicit`` users know)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp

import inspect

from tastemaker.cf._io import read_model_file, write_model_file
from tastemaker.cf._topk import rank

__all__ = ["RecommenderBase", "MatrixFactorizationBase", "check_user_items", "check_random_state",
           "load_model", "MODEL_REGISTRY"]

#: class name -> class, for :func:`load_model`; filled by ``__init_subclass__``
MODEL_REGISTRY: dict[str, type] = {}


def check_random_state(random_state) -> np.random.Generator:
    """One ``np.random.Generator`` from an int, a Generator or None."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise ValueError(
        f"random_state must be an int, a numpy Generator or None, not {type(random_state).__name__}"
    )


def check_user_items(user_items, *, name: str = "user_items", n_items: int | None = None) -> sp.csr_matrix:
    """Validate a users x items matrix and return it as canonical float32 CSR.

    Raises
    ------
    ValueError
        If it is not a 2-D sparse matrix, has the wrong number of columns, or holds NaN/inf.
    """
    if not sp.issparse(user_items):
        raise ValueError(
            f"{name} must be a scipy.sparse CSR matrix (users x items), "
            f"not {type(user_items).__name__}; build one with scipy.sparse.csr_matrix"
        )
    if user_items.ndim != 2:
        raise ValueError(f"{name} must be 2-D (users x items), got {user_items.ndim}-D")
    if n_items is not None and user_items.shape[1] != n_items:
        raise ValueError(
            f"{name} has {user_items.shape[1]} columns but the model was fitted on {n_items} items"
        )
    # always a copy: callers (and fit) may edit the result in place without touching the input
    m = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
    if not m.has_canonical_format:
        m.sum_duplicates()
        m.sort_indices()
    if m.nnz and not np.all(np.isfinite(m.data)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return m


class RecommenderBase(ABC):
    """Base of every recommender: ``fit`` then ``recommend``, ``implicit``'s contract.

    Item and user ids are row/column numbers of the fitted matrix. Subclasses implement
    :meth:`fit` and :meth:`_score_users`; filtering and top-k selection live here once.
    """

    # --- declared capabilities (checked by callers instead of probing with hasattr) -------------
    #: models that can fold a user in from their row alone set this to True
    supports_recalculate_user: bool = False
    #: models with ``user_factors_`` and ``item_factors_`` (scores are their inner products):
    #: retrieval indexes, placing items without plays and the hybrid blend need them
    has_factors: bool = False
    #: models whose :meth:`explain` names the listened items behind a score
    can_explain: bool = False
    #: models with :meth:`similar_items`
    can_find_similar: bool = False
    #: learned arrays written by :meth:`save` (besides the optional vocabularies)
    _fitted_arrays: tuple[str, ...] = ()
    #: learned scalars written by :meth:`save`
    _fitted_scalars: tuple[str, ...] = ("n_users_", "n_items_")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls):
            MODEL_REGISTRY[cls.__name__] = cls

    # --- parameters (scikit-learn style) ---------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict:
        """The constructor parameters, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # --- persistence -----------------------------------------------------------------------
    def save(self, path_or_file, **metadata) -> None:
        """Save the fitted model to an ``.npz`` (no pickle inside; atomic when given a path).

        Vocabularies (``user_ids_`` / ``item_ids_``, the external ids of rows and columns) are
        saved with the model when set. Extra JSON-serialisable ``metadata`` is kept in the header.
        """
        meta, arrays = self._to_state(metadata)
        write_model_file(path_or_file, meta, arrays)

    def _to_state(self, metadata: dict | None = None) -> tuple[dict, dict]:
        """The JSON header and the arrays that describe this fitted model."""
        self._check_fitted()
        params = {k: (v if isinstance(v, (int, float, str, bool, type(None))) else None)
                  for k, v in self.get_params().items()}
        meta = {
            "class": type(self).__name__,
            "params": params,
            "scalars": {k: _to_json_scalar(getattr(self, k)) for k in self._fitted_scalars},
            "metadata": metadata or {},
        }
        arrays = {k: getattr(self, k) for k in self._fitted_arrays}
        for vocab in ("user_ids_", "item_ids_"):
            if getattr(self, vocab, None) is not None:
                arrays[vocab] = np.asarray(getattr(self, vocab)).astype(str)
        return meta, arrays

    @classmethod
    def load(cls, path_or_file):
        """Load a model saved by :meth:`save`; ``RecommenderBase.load`` accepts any model class."""
        meta, arrays = read_model_file(path_or_file)
        return cls._from_state(meta, arrays)

    @classmethod
    def _from_state(cls, meta: dict, arrays: dict):
        name = meta.get("class")
        target = MODEL_REGISTRY.get(name)
        if target is None:
            from tastemaker.cf._registry import model_class

            target = model_class(name)  # imported on first use
        if target is None:
            raise ValueError(f"unknown model class {name!r} in model file")
        if cls is not RecommenderBase and not issubclass(target, cls):
            raise ValueError(f"model file holds a {name}, not a {cls.__name__}")
        params = {k: v for k, v in meta.get("params", {}).items() if k in target._param_names()}
        model = target(**params)
        for key, value in meta.get("scalars", {}).items():
            setattr(model, key, value)
        for key, value in arrays.items():
            setattr(model, key, value)
        model.metadata_ = meta.get("metadata", {})
        model._after_load()
        return model

    def _after_load(self) -> None:
        """Hook for subclasses that derive caches from the loaded arrays."""

    def prepare(self) -> None:
        """Compute what serving needs once (e.g. Gram matrices), so the first request does not."""

    def explain(self, userid, user_items, itemid, user_weights=None, N: int = 10):
        """The listened items behind a score (models with :attr:`can_explain`)."""
        raise NotImplementedError(f"{type(self).__name__} cannot explain its scores")

    def similar_items(self, itemid, N: int = 10, filter_items=None, items=None):
        """Items most similar to ``itemid`` (models with :attr:`can_find_similar`)."""
        raise NotImplementedError(f"{type(self).__name__} cannot find similar items")

    def recalculate_user(self, userid, user_items):
        """Factors for users from their rows alone (models with :attr:`has_factors`)."""
        raise NotImplementedError(f"{type(self).__name__} has no user factors to recalculate")

    @abstractmethod
    def fit(self, user_items, show_progress: bool = True, callback=None):
        """Learn from a users x items CSR matrix of raw interaction counts; returns ``self``."""

    @abstractmethod
    def _score_users(self, userids: np.ndarray, user_items: sp.csr_matrix | None,
                     recalculate_user: bool) -> np.ndarray:
        """Dense float32 scores (len(userids) x n_items) for the given users."""

    # --- shared contract -------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if getattr(self, "n_items_", None) is None:
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(user_items) first")

    def _check_userids(self, userids: np.ndarray, recalculate_user: bool) -> None:
        if userids.size and (userids.min() < 0 or (not recalculate_user and userids.max() >= self.n_users_)):
            bad = userids[(userids < 0) | (userids >= self.n_users_)][0]
            raise IndexError(
                f"user id {int(bad)} is out of range: the model knows users 0..{self.n_users_ - 1}"
                " (use recalculate_user=True with their row to score a new user)"
            )

    def _check_itemids(self, itemids, what: str = "item id") -> np.ndarray:
        itemids = np.asarray(itemids, dtype=np.int64).ravel()
        if itemids.size and (itemids.min() < 0 or itemids.max() >= self.n_items_):
            bad = itemids[(itemids < 0) | (itemids >= self.n_items_)][0]
            raise IndexError(f"{what} {int(bad)} is out of range: the model knows items 0..{self.n_items_ - 1}")
        return itemids

    def recommend(self, userid, user_items=None, N: int = 10, filter_already_liked_items: bool = True,
                  filter_items=None, recalculate_user: bool = False, items=None):
        """Top-``N`` items for one user or a batch of users.

        Parameters
        ----------
        userid : int or array-like of int
            The user row(s).
        user_items : csr_matrix, optional
            The rows of the users asked for (one row per id in ``userid``), needed to filter
            already liked items and to recalculate users.
        N : int
            How many items.
        filter_already_liked_items : bool
            Leave out the items in ``user_items``.
        filter_items : array-like of int, optional
            Items never to return.
        recalculate_user : bool
            Fold the user in from ``user_items`` instead of using the stored factors.
        items : array-like of int, optional
            Rank only these items.

        Returns
        -------
        ids, scores : ndarray
            1-D for one user, 2-D (n_users x N) for a batch; best first. Rows of a batch with fewer
            than ``N`` candidates are padded with id -1 and score -inf.
        """
        self._check_fitted()
        single = np.isscalar(userid)
        userids = np.atleast_1d(np.asarray(userid, dtype=np.int64)).ravel()
        if N < 0:
            raise ValueError(f"N must be >= 0, got {N}")
        if user_items is not None:
            user_items = check_user_items(user_items, n_items=self.n_items_)
            if user_items.shape[0] != len(userids):
                raise ValueError(
                    f"user_items must hold the rows of the users asked for: got {user_items.shape[0]} rows "
                    f"for {len(userids)} user id(s) (pass user_items[userid], not the whole matrix)"
                )
        elif filter_already_liked_items or recalculate_user:
            raise ValueError(
                "user_items is required to filter already liked items or recalculate users "
                "(pass user_items[userid], or filter_already_liked_items=False)"
            )
        if recalculate_user and not self.supports_recalculate_user:
            raise NotImplementedError(f"{type(self).__name__} cannot recalculate users")
        self._check_userids(userids, recalculate_user)

        exclude = None if filter_items is None else self._check_itemids(filter_items, "filter_items id")
        candidates = None if items is None else self._check_itemids(items, "items id")
        scores = np.array(self._score_users(userids, user_items, recalculate_user), dtype=np.float32, copy=True)
        if filter_already_liked_items:
            rows, cols = user_items.nonzero()
            scores[rows, cols] = -np.inf
        return rank(scores, N, exclude=exclude, candidates=candidates, single=single)


def _to_json_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_model(path_or_file):
    """Load any tastemaker model file."""
    return RecommenderBase.load(path_or_file)


class MatrixFactorizationBase(RecommenderBase):
    """Shared serving side of factor models: scores are ``user_factors_ @ item_factors_.T``.

    Subclasses learn ``user_factors_`` (n_users x f) and ``item_factors_`` (n_items x f), and
    implement :meth:`_fold_in_users` to compute factors for users from their rows alone.
    """

    supports_recalculate_user = True
    has_factors = True
    can_find_similar = True
    _fitted_arrays = ("user_factors_", "item_factors_")

    def _fold_in_users(self, user_items: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def recalculate_user(self, userid, user_items) -> np.ndarray:
        """Factors for user(s) computed from ``user_items`` alone (one row per user)."""
        self._check_fitted()
        user_items = check_user_items(user_items, n_items=self.n_items_)
        factors = self._fold_in_users(user_items)
        return factors[0] if np.isscalar(userid) else factors

    def append_items(self, factors) -> np.ndarray:
        """Add items with the given factors (e.g. placed from their content); returns their ids.

        The new items score for every user like any other; nobody has played them.
        """
        self._check_fitted()
        factors = np.asarray(factors, dtype=np.float32)
        if factors.ndim != 2 or factors.shape[1] != self.item_factors_.shape[1]:
            raise ValueError(f"factors must be (n x {self.item_factors_.shape[1]}), got shape {factors.shape}")
        if factors.size and not np.all(np.isfinite(factors)):
            raise ValueError("factors hold NaN or infinite values")
        start = self.item_factors_.shape[0]
        self.item_factors_ = np.ascontiguousarray(np.vstack([self.item_factors_, factors]))
        self.n_items_ = int(self.item_factors_.shape[0])
        self._reset_cache()
        return np.arange(start, self.n_items_, dtype=np.int64)

    def set_item_factors(self, itemids, factors) -> None:
        """Replace the factors of existing items (e.g. items placed before, placed again)."""
        self._check_fitted()
        itemids = self._check_itemids(itemids)
        factors = np.asarray(factors, dtype=np.float32)
        if factors.shape != (len(itemids), self.item_factors_.shape[1]):
            raise ValueError(f"factors must be ({len(itemids)} x {self.item_factors_.shape[1]}), got {factors.shape}")
        F = np.array(self.item_factors_, dtype=np.float32, copy=True)
        F[itemids] = factors
        self.item_factors_ = F
        self._reset_cache()

    def _reset_cache(self) -> None:
        """Forget what was derived from the factors (subclasses with caches override this)."""

    def _user_vectors(self, userids, user_items, recalculate_user) -> np.ndarray:
        if recalculate_user:
            return self._fold_in_users(user_items)
        return self.user_factors_[userids]

    def _score_users(self, userids, user_items, recalculate_user):
        return self._user_vectors(userids, user_items, recalculate_user) @ self.item_factors_.T

    def _similar(self, factors: np.ndarray, query: np.ndarray, N: int, exclude, candidates, single: bool):
        norms = np.linalg.norm(factors, axis=1)
        norms[norms == 0] = 1.0
        q = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
        scores = (q @ (factors / norms[:, None]).T).astype(np.float32)
        return rank(scores, N, exclude=exclude, candidates=candidates, single=single)

    def similar_items(self, itemid, N: int = 10, recalculate_item: bool = False, item_users=None,
                      filter_items=None, items=None):
        """Items most similar to ``itemid`` by cosine of their factors (the item itself first).

        Returns 1-D ``(ids, scores)`` for one item, 2-D for a batch.
        """
        self._check_fitted()
        single = np.isscalar(itemid)
        itemids = np.atleast_1d(np.asarray(itemid, dtype=np.int64)).ravel()
        if recalculate_item:
            if item_users is None:
                raise ValueError("item_users (the items' rows of the items x users matrix) is required "
                                 "to recalculate items")
            query = self._fold_in_items(check_user_items(item_users, name="item_users", n_items=self.n_users_))
        else:
            self._check_itemids(itemids)
            query = self.item_factors_[itemids]
        if filter_items is not None:
            filter_items = self._check_itemids(filter_items, "filter_items id")
        if items is not None:
            items = self._check_itemids(items, "items id")
        return self._similar(self.item_factors_, query, N, filter_items, items, single)

    def similar_users(self, userid, N: int = 10, filter_users=None, users=None):
        """Users most similar to ``userid`` by cosine of their factors (the user itself first)."""
        self._check_fitted()
        single = np.isscalar(userid)
        userids = np.atleast_1d(np.asarray(userid, dtype=np.int64)).ravel()
        self._check_userids(userids, False)
        exclude, candidates = (None if arr is None else np.asarray(arr, dtype=np.int64).ravel()
                               for arr in (filter_users, users))
        for arr in (exclude, candidates):
            if arr is not None:
                self._check_userids(arr, False)
        return self._similar(self.user_factors_, self.user_factors_[userids], N, exclude, candidates, single)

    def _fold_in_items(self, item_users: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} cannot recalculate items")
