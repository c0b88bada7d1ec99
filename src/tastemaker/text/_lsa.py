"""Latent semantic analysis: cultural vectors reduced to a few dense dimensions."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["lsa"]


def lsa(weights, k: int, *, oversample: int = 10, power: int = 2, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The top ``k`` singular directions of ``weights`` (items x terms, e.g. TF-IDF rows).

    Computed by the randomised range finder of Halko, Martinsson and Tropp (2011): a fraction of a
    second where an exact sparse SVD takes many seconds.

    Returns
    -------
    coords : ndarray (items x k) of float32
        ``weights @ projection``: each row's coordinates (unit TF-IDF rows keep a length <= 1,
        and their inner products approximate the cosines of the full vectors).
    projection : ndarray (terms x k) of float32
        The directions; ``new_rows @ projection`` places rows not seen here.
    """
    from threadpoolctl import threadpool_limits

    w = sp.csr_matrix(weights, dtype=np.float64)
    k = int(min(k, max(min(w.shape) - 1, 1)))
    rng = np.random.default_rng(random_state)
    with threadpool_limits(1, "blas"):  # tall-skinny QRs: threads only spin on a busy machine
        q, _ = np.linalg.qr(w @ rng.standard_normal((w.shape[1], k + oversample)))
        for _ in range(power):
            q, _ = np.linalg.qr(w.T @ q)
            q, _ = np.linalg.qr(w @ q)
        _, _, vt = np.linalg.svd(np.asarray((w.T @ q).T), full_matrices=False)
    projection = np.ascontiguousarray(vt[:k].T, dtype=np.float32)
    # a fixed sign per direction (the largest loading positive): the same data, the same vectors
    signs = np.sign(projection[np.abs(projection).argmax(axis=0), np.arange(k)])
    projection *= np.where(signs == 0, 1, signs).astype(np.float32)
    coords = np.asarray(w @ projection, dtype=np.float32)
    return coords, projection
