"""Fixtures for the evaluation tests: the HetRec Last.fm plays (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

#: where the shared read-only copy of HetRec lives (``TASTEMAKER_HETREC`` overrides it)
HETREC_DIR = Path(os.environ.get(
    "TASTEMAKER_HETREC", Path(__file__).resolve().parents[3] / "shared" / "data" / "hetrec2011-lastfm-2k"))


def load_hetrec_plays(directory: Path = HETREC_DIR) -> sp.csr_matrix:
    """HetRec's ``user_artists.dat`` as a users x artists CSR of play counts (ids renumbered)."""
    raw = np.loadtxt(directory / "user_artists.dat", skiprows=1, dtype=np.int64, delimiter="\t")
    users, user_rows = np.unique(raw[:, 0], return_inverse=True)
    artists, artist_cols = np.unique(raw[:, 1], return_inverse=True)
    return sp.csr_matrix((raw[:, 2].astype(np.float32), (user_rows, artist_cols)),
                         shape=(len(users), len(artists)))


@pytest.fixture(scope="session")
def hetrec_plays() -> sp.csr_matrix:
    if not (HETREC_DIR / "user_artists.dat").exists():
        pytest.skip(f"HetRec not found at {HETREC_DIR} (set TASTEMAKER_HETREC)")
    return load_hetrec_plays()
