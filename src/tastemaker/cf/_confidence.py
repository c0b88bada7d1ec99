"""Confidence transforms for implicit feedback (Hu, Koren and Volinsky 2008, section 4).

A raw count ``r`` becomes a preference ``p = 1 if r > 0`` and a confidence ``c``:

``log``     c = 1 + alpha * log(1 + |r| / epsilon)   (the paper's recommended form)
``linear``  c = 1 + alpha * |r|

Negative counts are negative evidence (skips, see ``tastemaker.data``): preference 0 with the
confidence of ``|r|``. Models keep that sign: the returned array is ``+c`` for preference 1 and
``-c`` for preference 0, the convention of the ``implicit`` library's solvers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["confidence", "CONFIDENCE_KINDS"]

CONFIDENCE_KINDS = ("log", "linear")


def confidence(counts, alpha: float, epsilon: float = 1.0, kind: str = "log") -> np.ndarray:
    """Signed confidence for raw counts: ``+c`` where ``counts > 0``, ``-c`` where ``counts < 0``.

    Parameters
    ----------
    counts : array-like of float
        Raw counts (play counts, or negative skip counts).
    alpha : float
        Confidence scale, >= 0.
    epsilon : float
        Count scale of the ``log`` transform, > 0.
    kind : {"log", "linear"}

    Returns
    -------
    ndarray of float32

    Examples
    --------
    >>> confidence([0.0, 9.0, -9.0], alpha=2.0, epsilon=1.0).round(3).tolist()
    [1.0, 5.605, -5.605]
    """
    r = np.asarray(counts, dtype=np.float64)
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    mag = np.abs(r)
    if kind == "log":
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        c = 1.0 + alpha * np.log1p(mag / epsilon)
    elif kind == "linear":
        c = 1.0 + alpha * mag
    else:
        raise ValueError(f"confidence must be one of {CONFIDENCE_KINDS}, got {kind!r}")
    return np.where(r < 0, -c, c).astype(np.float32)
