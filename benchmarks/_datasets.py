"""Benchmark data: HetRec plays and a generated power-law matrix at Last.fm-360K scale."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "results"
HETREC = ROOT.parent / "shared" / "data" / "hetrec2011-lastfm-2k"

LASTFM_360K = dict(n_users=358_868, n_items=160_112, nnz=17_000_000)


def hetrec_plays(path: Path = HETREC) -> sp.csr_matrix:
    """HetRec's user x artist play counts (rows and columns in sorted id order)."""
    raw = np.loadtxt(path / "user_artists.dat", skiprows=1, dtype=np.int64)
    users, u = np.unique(raw[:, 0], return_inverse=True)
    items, i = np.unique(raw[:, 1], return_inverse=True)
    return sp.csr_matrix((raw[:, 2].astype(np.float32), (u, i)), shape=(len(users), len(items)))


def powerlaw_matrix(n_users: int, n_items: int, nnz: int, seed: int = 42) -> sp.csr_matrix:
    """Seeded users x items play counts shaped like Last.fm-360K.

    Like the real data, every user keeps a profile of a few dozen artists (lognormal sizes, mean
    ~nnz/n_users, at most 4x that), artists' popularity follows a Zipf law (exponent 0.9) and play
    counts are heavy-tailed (lognormal, median ~100).
    """
    rng = np.random.default_rng(seed)
    mean_deg = nnz / n_users
    deg = rng.lognormal(np.log(mean_deg) - 0.18, 0.6, n_users)
    deg = np.clip(np.round(deg * nnz / deg.sum()), 1, 4 * mean_deg).astype(np.int64)
    pop = 1.0 / np.arange(1, n_items + 1) ** 0.9
    pop /= pop.sum()
    perm = rng.permutation(n_items)  # popular items are spread over the id range
    total = int(deg.sum() * 1.08)
    items = perm[np.searchsorted(np.cumsum(pop), rng.random(total), side="right").clip(0, n_items - 1)]
    users = np.repeat(np.arange(n_users), deg)
    users = np.concatenate([users, rng.integers(0, n_users, total - len(users))])
    key = np.unique(users.astype(np.int64) * n_items + items)
    if len(key) > nnz:
        key = np.sort(rng.choice(key, nnz, replace=False))
    counts = np.round(rng.lognormal(np.log(100), 1.3, len(key))).clip(1, None).astype(np.float32)
    return sp.csr_matrix((counts, (key // n_items, key % n_items)), shape=(n_users, n_items))


def lastfm360k_scale(seed: int = 42) -> sp.csr_matrix:
    """The 358,868 x 160,112 power-law matrix with ~17M non-zeros, cached on disk."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"powerlaw-360k-{seed}.npz"
    if path.exists():
        return sp.load_npz(path).tocsr()
    t = time.perf_counter()
    m = powerlaw_matrix(**LASTFM_360K, seed=seed)
    sp.save_npz(path, m)
    print(f"generated {m.shape[0]:,} x {m.shape[1]:,} with {m.nnz:,} non-zeros in {time.perf_counter() - t:.1f}s")
    return m


def lastfm360k_model(factors: int = 64, seed: int = 42, iterations: int = 15, num_threads: int = 0):
    """ImplicitALS (tastemaker's defaults, ``factors``) fitted on :func:`lastfm360k_scale`, cached.

    Returns ``(user_factors, item_factors, user_items)``: 358,868 x f and 160,112 x f float32
    and the training matrix (the users' histories). The factors are cached in
    ``benchmarks/results/`` (a plain ``.npz``, no pickle) so every benchmark reuses one model.
    """
    from tastemaker.cf import ImplicitALS

    counts = lastfm360k_scale(seed)
    path = CACHE / f"als-360k-{seed}-f{factors}-it{iterations}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            return data["user_factors"], data["item_factors"], counts
    t = time.perf_counter()
    model = ImplicitALS(factors=factors, iterations=iterations, num_threads=num_threads, random_state=0)
    model.fit(counts, show_progress=False)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, user_factors=model.user_factors_, item_factors=model.item_factors_)
    tmp.replace(path)
    print(f"trained ALS (factors={factors}) on the 360k-scale matrix in {time.perf_counter() - t:.1f}s")
    return model.user_factors_, model.item_factors_, counts
