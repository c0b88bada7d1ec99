"""Matrix factorisation trained by mini-batch SGD with the "gravity" term.

The model of Google's *Recommendation Systems* course
(developers.google.com/machine-learning/recommendation): squared error on the observed entries
only, L2 regularisation, and a gravity term that pulls every *unobserved* prediction towards 0.
Without gravity, observed-only training on implicit data (where every target is 1) collapses to
"recommend everything"; gravity is what makes it a recommender.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from tastemaker.cf._base import MatrixFactorizationBase, check_random_state, check_user_items
from tastemaker.cf._confidence import confidence
from tastemaker.cf._threads import thread_limits

__all__ = ["SGDMatrixFactorization", "gravity_term"]

_BETA1 = 0.5  # less momentum than usual: alternating sides overshoot with 0.9
_BETA2 = 0.999
_ADAM_EPS = 1e-8


def gravity_term(user_factors: np.ndarray, item_factors: np.ndarray) -> float:
    """``||U V^T||_F^2 / (|U| |I|)`` computed as ``<U^T U, V^T V>`` in O((|U|+|I|) f^2).

    The squared norm of every prediction, observed or not, without forming the dense matrix.
    """
    U = np.asarray(user_factors, dtype=np.float64)
    V = np.asarray(item_factors, dtype=np.float64)
    return float(np.sum((U.T @ U) * (V.T @ V)) / (U.shape[0] * V.shape[0]))


class SGDMatrixFactorization(MatrixFactorizationBase):
    """Matrix factorisation with observed-only squared error, L2 and gravity, trained by SGD.

    Minimises, over user factors ``U`` (|U| x f) and item factors ``V`` (|I| x f)::

        1/|O| * sum_{(u,i) in O} c_ui (p_ui - u_u . v_i)^2
        + regularization * (||U||^2 / |U| + ||V||^2 / |I|)
        + gravity * ||U V^T||^2 / (|U| |I|)

    where ``O`` are the observed (non-zero) entries. A positive count ``r`` means preference
    ``p = 1``; a negative one is a skip, preference ``p = 0``. Both weigh
    ``c = 1 + alpha * log(1 + |r| / epsilon)``, the confidence of implicit-feedback ALS.

    Training alternates between the two sides: with the items fixed, every user row takes Adam
    steps on mini-batches of its own entries (in a seeded random order), then the same for the
    items with the users fixed. Rows of one side do not interact, so they run in parallel and
    the result is bit-identical for any ``num_threads``; the same ``random_state`` gives the
    same model.

    Parameters
    ----------
    factors : int
        Length of the user and item vectors.
    learning_rate : float
        Adam step size.
    regularization : float
        L2 penalty, normalised as above: for a user it weighs like an ALS regularisation of
        ``regularization * |O| / |U|`` (for an item, ``|O| / |I|``) next to confidences ``c``.
    gravity : float
        Weight of the gravity term. Next to the observed term it gives every unobserved entry
        the weight ``gravity * |O| / (|U| |I|)`` (ALS gives them 1), so it scales with one over
        the density: the default 1000 suits Last.fm-like data about 0.2% dense (HetRec's
        2.2 per unobserved entry); on denser data lower it in proportion.
    init_stddev : float
        Factors start from ``N(0, init_stddev)``.
    epochs : int
        Passes over the data (each updates users once, then items once).
    alpha, epsilon : float
        Confidence ``1 + alpha * log(1 + |r| / epsilon)`` of an entry with count ``r``.
    batch_size : int
        Entries of one row per mini-batch.
    num_threads : int
        Threads used while fitting; 0 uses every core the process may use.
    random_state : int, numpy Generator or None
        Seed of the initial factors and the shuffles.

    Examples
    --------
    >>> from tastemaker.testing import checkerboard
    >>> user_items, _ = checkerboard()
    >>> model = SGDMatrixFactorization(factors=8, gravity=3.0, regularization=0.1, random_state=0)
    >>> model = model.fit(user_items, show_progress=False)  # 40% dense: gravity ~ 1 / density
    >>> ids, scores = model.recommend(0, user_items[0], N=5)
    """

    _fitted_scalars = ("n_users_", "n_items_", "n_observed_")

    def __init__(self, factors: int = 64, learning_rate: float = 0.02, regularization: float = 3.0,
                 gravity: float = 1000.0, init_stddev: float = 0.1, epochs: int = 40,
                 alpha: float = 2.0, epsilon: float = 1.0, batch_size: int = 64,
                 num_threads: int = 0, random_state=None):
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.gravity = gravity
        self.init_stddev = init_stddev
        self.epochs = epochs
        self.alpha = alpha
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.random_state = random_state

    # --- training ------------------------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.factors < 1 or self.epochs < 0 or self.batch_size < 1:
            raise ValueError("factors and batch_size must be >= 1 and epochs >= 0, got "
                             f"factors={self.factors}, batch_size={self.batch_size}, epochs={self.epochs}")
        for name in ("learning_rate", "regularization", "gravity", "init_stddev", "alpha"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {self.epsilon}")

    def _signed_weights(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """Observed entries as ``sign(r) * confidence(r)`` (explicit zeros dropped)."""
        m = user_items.copy()
        m.eliminate_zeros()
        m.data = confidence(m.data, self.alpha, self.epsilon, "log")
        return m

    def fit(self, user_items, show_progress: bool = True, callback=None):
        """Learn factors from a users x items CSR matrix of raw counts (negative = skip).

        Parameters
        ----------
        user_items : csr_matrix
            Users x items counts.
        show_progress : bool
            Show a tqdm progress bar.
        callback : callable, optional
            Called after every epoch as ``callback(epoch, elapsed_seconds, loss)`` with the
            0-based epoch, the seconds since ``fit`` started and the objective after it.

        Returns
        -------
        self
        """
        self._validate_params()
        user_items = check_user_items(user_items)
        n_users, n_items = user_items.shape
        if not n_users or not n_items:
            raise ValueError(f"user_items must have at least one user and one item, got shape {user_items.shape}")
        rng = check_random_state(self.random_state)
        Cui = self._signed_weights(user_items)
        Ciu = Cui.T.tocsr()
        n_observed = max(Cui.nnz, 1)
        k = int(self.factors)

        U = (rng.standard_normal((n_users, k), dtype=np.float32) * np.float32(self.init_stddev))
        V = (rng.standard_normal((n_items, k), dtype=np.float32) * np.float32(self.init_stddev))
        sides = [
            # (csr, factors to update, fixed factors, Adam moments, regulariser scale)
            (_as_kernel_csr(Cui), U, V, np.zeros_like(U), np.zeros_like(U), 2 * self.regularization / n_users),
            (_as_kernel_csr(Ciu), V, U, np.zeros_like(V), np.zeros_like(V), 2 * self.regularization / n_items),
        ]
        data_scale = np.float32(2.0 / n_observed)
        grav_scale = np.float32(2.0 * self.gravity / (n_users * n_items))

        from tastemaker.cf._sgd_kernels import adam_row_pass

        progress = None
        if show_progress:
            from tqdm.auto import tqdm

            progress = tqdm(total=self.epochs, desc="SGD", unit="epoch")
        start = time.perf_counter()
        with thread_limits(self.num_threads):
            for epoch in range(self.epochs):
                t = epoch + 1
                for (indptr, indices, data, rows), X, Y, m, v, reg_scale in sides:
                    order = _shuffle_within_rows(rng, rows)
                    gram = (Y.T @ Y).astype(np.float32)
                    adam_row_pass(indptr, indices, data, X, Y, gram, m, v, order,
                                  np.int64(self.batch_size), np.float32(self.learning_rate),
                                  np.float32(_BETA1), np.float32(_BETA2),
                                  np.float32(1 - _BETA1 ** t), np.float32(1 - _BETA2 ** t),
                                  np.float32(_ADAM_EPS), data_scale, np.float32(reg_scale), grav_scale)
                loss = None
                if progress is not None or callback is not None:
                    loss = self._objective(sides[0][0], U, V, n_observed)
                if progress is not None:
                    progress.update(1)
                    progress.set_postfix(loss=f"{loss:.5f}")
                if callback is not None:
                    callback(epoch, time.perf_counter() - start, loss)
        if progress is not None:
            progress.close()

        self.user_factors_ = U
        self.item_factors_ = V
        self.n_users_ = n_users
        self.n_items_ = n_items
        self.n_observed_ = n_observed
        self._fold_in_fixed = None
        return self

    def _objective(self, kernel_csr, U: np.ndarray, V: np.ndarray, n_observed: int) -> float:
        """The training objective (see the class docstring) at ``U``, ``V``."""
        from tastemaker.cf._sgd_kernels import observed_loss_rows

        indptr, indices, data, _ = kernel_csr
        observed = float(observed_loss_rows(indptr, indices, data, U, V).sum()) / n_observed
        reg = self.regularization * (float(np.sum(U.astype(np.float64) ** 2)) / U.shape[0]
                                     + float(np.sum(V.astype(np.float64) ** 2)) / V.shape[0])
        return observed + reg + self.gravity * gravity_term(U, V)

    # --- serving -------------------------------------------------------------------------------
    def _fold_in_users(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Exact minimiser of the objective over one user's vector, items fixed.

        Setting the gradient to zero gives, for a user with observed items ``J``::

            (V_J^T C V_J + regularization * |O|/|U| * I + gravity * |O|/(|U||I|) * V^T V) x
                = V_J^T C p_J
        """
        V = self.item_factors_.astype(np.float64)
        k = V.shape[1]
        if getattr(self, "_fold_in_fixed", None) is None:
            self._fold_in_fixed = (self.regularization * self.n_observed_ / self.n_users_) * np.eye(k) \
                + (self.gravity * self.n_observed_ / (self.n_users_ * self.n_items_)) * (V.T @ V)
        fixed = self._fold_in_fixed
        signed = self._signed_weights(user_items)
        out = np.zeros((user_items.shape[0], k), dtype=np.float32)
        for row in range(signed.shape[0]):
            cols = signed.indices[signed.indptr[row]:signed.indptr[row + 1]]
            if not len(cols):
                continue
            s = signed.data[signed.indptr[row]:signed.indptr[row + 1]].astype(np.float64)
            Vj = V[cols]
            weights = np.abs(s)
            A = fixed + Vj.T @ (weights[:, None] * Vj)
            b = Vj.T @ np.where(s > 0, weights, 0.0)
            try:
                out[row] = np.linalg.solve(A, b)
            except np.linalg.LinAlgError:  # no regularisation and fewer items than factors
                out[row] = np.linalg.lstsq(A, b, rcond=None)[0]
        return out

    def _after_load(self) -> None:
        self._fold_in_fixed = None


def _as_kernel_csr(m: sp.csr_matrix):
    """(indptr int64, indices int32, signed weights float32, row of each entry) for the kernels."""
    indptr = m.indptr.astype(np.int64)
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(indptr))
    return indptr, m.indices.astype(np.int32), m.data.astype(np.float32), rows


def _shuffle_within_rows(rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
    """A permutation of entry positions that shuffles each row's entries within the row."""
    return np.lexsort((rng.random(len(rows)), rows)).astype(np.int64)
