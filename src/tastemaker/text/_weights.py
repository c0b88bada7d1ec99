"""TF-IDF weights over descriptor counts."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["idf_weights", "tfidf"]


def idf_weights(counts: sp.spmatrix, smooth: bool = True) -> np.ndarray:
    """Inverse document frequency of every column of an items x terms count matrix.

    ``idf(t) = log((1 + n) / (1 + df(t))) + 1`` with ``smooth`` (``log(n / df(t)) + 1`` without),
    where ``n`` is the number of rows with any descriptor and ``df(t)`` the rows holding ``t``.
    A term no row holds gets 0.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> idf_weights(sp.csr_matrix([[1, 0], [1, 1]])).round(4).tolist()
    [1.0, 1.4055]
    """
    counts = sp.csc_matrix(counts)
    counts.eliminate_zeros()
    df = np.diff(counts.indptr).astype(np.float64)
    n = float(np.count_nonzero(np.diff(sp.csr_matrix(counts).indptr)))
    with np.errstate(divide="ignore"):
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0 if smooth else np.log(n / np.maximum(df, 1)) + 1.0
    idf[df == 0] = 0.0
    return idf


def tfidf(counts: sp.spmatrix, idf: np.ndarray | None = None, *, sublinear_tf: bool = True,
          smooth_idf: bool = True, norm: bool = True) -> sp.csr_matrix:
    """TF-IDF weights of an items x terms count matrix.

    Each count ``tf`` becomes ``(1 + log tf) * idf(t)`` (``tf * idf(t)`` without
    ``sublinear_tf``), and each row is scaled to unit L2 norm (rows without terms stay empty).

    Parameters
    ----------
    counts : sparse matrix (items x terms)
        Occurrences of each descriptor for each item (tag assignments, words in texts); >= 0.
    idf : array, optional
        Term weights learned elsewhere (:func:`idf_weights` of a reference corpus); by default
        computed from ``counts``.
    sublinear_tf, smooth_idf, norm : bool
        See above.

    Returns
    -------
    csr_matrix of float64

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> tfidf(sp.csr_matrix([[1, 0], [np.e, 1]])).toarray().round(4).tolist()
    [[1.0, 0.0], [0.8182, 0.575]]
    """
    X = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    X.eliminate_zeros()
    if X.nnz and X.data.min() < 0:
        raise ValueError("descriptor counts must be >= 0")
    if idf is None:
        idf = idf_weights(X, smooth=smooth_idf)
    idf = np.asarray(idf, dtype=np.float64)
    if idf.shape != (X.shape[1],):
        raise ValueError(f"idf has {idf.shape} entries for {X.shape[1]} terms")
    if sublinear_tf:
        X.data = 1.0 + np.log(X.data)
    X.data *= idf[X.indices]
    if norm:
        X = _l2_rows(X)
    X.eliminate_zeros()
    return X


def _l2_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.bincount(np.repeat(np.arange(X.shape[0]), np.diff(X.indptr)), weights=X.data ** 2,
                                minlength=X.shape[0]))
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X
