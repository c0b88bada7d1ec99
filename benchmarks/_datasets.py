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


# -- a 360K-scale event log and tags, as files (for the ingest benchmark) -----------------------

_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "tor", "sil", "ne", "dar", "bel", "or", "zu", "fen",
              "ly", "mo", "sa", "qui", "thel", "ar", "vo", "nix", "pe", "ro", "dan")
_GENRE_MODS = ("post", "dream", "dark", "indie", "synth", "acoustic", "experimental", "progressive",
               "lo fi", "garage", "psychedelic", "ambient", "melodic", "industrial", "nordic",
               "french", "90s", "80s", "minimal", "noise")
_GENRE_BASES = ("rock", "pop", "punk", "folk", "metal", "jazz", "wave", "hip hop", "house",
                "techno", "soul", "blues", "country", "electronica", "hardcore")


def _artist_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` seeded, pronounceable artist names (a few are prefixed "The"; repeats are allowed,
    as real artist names repeat)."""
    syl = np.asarray(_SYLLABLES)
    parts = syl[rng.integers(0, len(syl), (n, 5))]
    lengths = rng.integers(2, 5, n)
    the = rng.random(n) < 0.15
    two = rng.random(n) < 0.3
    names = []
    for i in range(n):
        first = "".join(parts[i, :lengths[i]]).capitalize()
        name = f"{first} {''.join(parts[i, 3:]).capitalize()}" if two[i] else first
        names.append("The " + name if the[i] else name)
    return names


def _tag_names() -> list[str]:
    """300 genre-like tag names ("dream pop", "post rock", ...), many of them two words."""
    return [f"{m} {b}" for m in _GENRE_MODS for b in _GENRE_BASES]


def lastfm360k_event_log(directory: Path | None = None, seed: int = 42) -> dict[str, Path]:
    """The :func:`lastfm360k_scale` matrix written as files ``tastemaker ingest`` reads, cached.

    Files, in ``directory`` (default ``benchmarks/results/eventlog-360k-<seed>/``):

    ``events.parquet``
        One row per (user, item) pair of the matrix, in user order (~17M rows, 1M-row row groups,
        written chunk by chunk so memory stays bounded): ``user_id`` (``u000123``), ``item_id``
        (``a000045``), ``event`` = ``play``, ``count`` (the matrix value, int64), ``timestamp``
        (UTC, uniform over 2024, seeded; null on 5% of rows), ``item_name`` (a seeded artist name).
    ``tags.parquet``
        Last.fm-style tagging tied to the listening: 300 tag directions in the factor space of
        :func:`lastfm360k_model` ``(64)`` (the cached 64-factor ALS model, ~1 min to train once),
        as ``bench_discover_weekly.side_data`` does; each item's 3 nearest directions are its tags.
        85% of the items (seeded) are tagged, each by 1 + Poisson(popularity-scaled) of its own
        listeners (at most 20); each tagger gives the top tag, and the 2nd and 3rd with
        probability 0.6 and 0.3, so tag counts vary. Columns ``user_id``, ``item_id``, ``tag``
        (genre-like names such as ``dream pop``; 3% written in upper case, which the ingest folds
        into one tag), ``timestamp`` (UTC, over 2024). About 0.73M rows over 136K items.

    Returns ``{"events": path, "tags": path, "directory": path}``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory) if directory is not None else CACHE / f"eventlog-360k-{seed}"
    paths = {"events": directory / "events.parquet", "tags": directory / "tags.parquet"}
    if all(p.exists() for p in paths.values()):
        return {**paths, "directory": directory}
    directory.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    counts = lastfm360k_scale(seed)
    n_users, n_items = counts.shape
    rng = np.random.default_rng(seed + 1)
    user_ids = pa.array(np.char.add("u", np.char.zfill(np.arange(n_users).astype(str), 6)))
    item_ids = pa.array(np.char.add("a", np.char.zfill(np.arange(n_items).astype(str), 6)))
    item_names = pa.array(_artist_names(n_items, rng))
    year = (np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64), 366 * 86_400)
    schema = pa.schema([("user_id", pa.string()), ("item_id", pa.string()), ("event", pa.string()),
                        ("count", pa.int64()), ("timestamp", pa.timestamp("s", tz="UTC")),
                        ("item_name", pa.string())])
    tmp = paths["events"].with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        step = 1 << 20
        bounds = np.unique(np.append(np.searchsorted(counts.indptr, np.arange(0, counts.nnz, step)),
                                     n_users))
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if hi <= lo:
                continue
            start, stop = counts.indptr[lo], counts.indptr[hi]
            users = np.repeat(np.arange(lo, hi), np.diff(counts.indptr[lo:hi + 1]))
            items = counts.indices[start:stop]
            n = len(items)
            ts = year[0] + rng.integers(0, year[1], n)
            writer.write_table(pa.table({
                "user_id": user_ids.take(pa.array(users)),
                "item_id": item_ids.take(pa.array(items)),
                "event": pa.array(["play"]).take(pa.array(np.zeros(n, np.int32))),
                "count": pa.array(counts.data[start:stop].astype(np.int64)),
                "timestamp": pa.array(ts, pa.timestamp("s", tz="UTC"), mask=rng.random(n) < 0.05),
                "item_name": item_names.take(pa.array(items)),
            }, schema=schema), row_group_size=step)
    tmp.replace(paths["events"])

    _, item_factors, _ = lastfm360k_model(64, seed=seed)
    names = np.asarray(_tag_names())
    directions = rng.standard_normal((len(names), item_factors.shape[1])).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    unit = item_factors / np.maximum(np.linalg.norm(item_factors, axis=1, keepdims=True), 1e-12)
    nearest = np.empty((n_items, 3), np.int64)
    for lo in range(0, n_items, 20_000):
        sims = unit[lo:lo + 20_000] @ directions.T
        top = np.argpartition(-sims, 3, axis=1)[:, :3]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        nearest[lo:lo + 20_000] = np.take_along_axis(top, order, axis=1)
    listeners = counts.tocsc()
    popularity = np.diff(listeners.indptr)
    tagged = np.flatnonzero(rng.random(n_items) < 0.85)
    n_taggers = np.minimum(1 + rng.poisson(3 * popularity[tagged] / popularity.mean()),
                           np.minimum(20, popularity[tagged]))
    rows_user, rows_item, rows_tag = [], [], []
    for item, k in zip(tagged, n_taggers):
        fans = listeners.indices[listeners.indptr[item]:listeners.indptr[item + 1]]
        who = rng.choice(fans, k, replace=False) if k < len(fans) else fans[:k]
        keep = rng.random((k, 3)) < (1.0, 0.6, 0.3)
        for rank in range(3):
            chosen = who[keep[:, rank]]
            rows_user.append(chosen)
            rows_item.append(np.full(len(chosen), item))
            rows_tag.append(np.full(len(chosen), nearest[item, rank]))
    users, items, tags = (np.concatenate(a) for a in (rows_user, rows_item, rows_tag))
    order = np.lexsort((tags, items))
    users, items, tags = users[order], items[order], tags[order]
    tag_text = names[tags].astype(object)
    upper = rng.random(len(tags)) < 0.03
    tag_text[upper] = np.char.upper(names[tags[upper]].astype(str))
    tmp = paths["tags"].with_suffix(".tmp")
    pq.write_table(pa.table({
        "user_id": user_ids.take(pa.array(users)),
        "item_id": item_ids.take(pa.array(items)),
        "tag": pa.array(tag_text.tolist(), pa.string()),
        "timestamp": pa.array(year[0] + rng.integers(0, year[1], len(tags)), pa.timestamp("s", tz="UTC")),
    }), tmp, row_group_size=1 << 20)
    tmp.replace(paths["tags"])
    print(f"wrote {counts.nnz:,} events and {len(tags):,} tags to {directory} in {time.perf_counter() - t:.1f}s")
    return {**paths, "directory": directory}


def lastfm360k_event_csv(directory: Path | None = None, seed: int = 42) -> Path:
    """``events.csv.gz`` next to :func:`lastfm360k_event_log`'s Parquet: the same rows in the same
    order, as gzipped CSV with ISO 8601 UTC timestamps (``2024-04-25T11:24:20Z``, empty when
    unknown), cached. About 17M lines; written by DuckDB."""
    import duckdb

    paths = lastfm360k_event_log(directory, seed)
    path = paths["directory"] / "events.csv.gz"
    if path.exists():
        return path
    t = time.perf_counter()
    tmp = path.with_name("events.tmp.csv.gz")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""COPY (SELECT user_id, item_id, event, count,
                strftime(timezone('UTC', "timestamp"), '%Y-%m-%dT%H:%M:%SZ') AS "timestamp", item_name
            FROM read_parquet('{paths["events"]}'))
        TO '{tmp}' (HEADER, DELIMITER ',', COMPRESSION gzip)"""
    )
    con.close()
    tmp.replace(path)
    print(f"wrote {path} in {time.perf_counter() - t:.1f}s")
    return path
