"""Discover Weekly for every listener on Spark: candidates and the compiled re-ranking in the executors.

What :meth:`DiscoverWeekly.generate <tastemaker.playlists.DiscoverWeekly.generate>` does on one
machine, spread over the cluster: the item side (the blended item vectors and the blend, as for
:func:`~tastemaker.spark.batch_recommend`, plus the artists, tags, popularity, unit factors and
placed items the re-ranking reads) is broadcast once; each task takes a block of staged listeners
(their factors, histories and the items earlier weeks gave them), fetches their candidates by the
bundle's ranking with the same exact search, and runs the same compiled re-ranking kernel
(:func:`tastemaker.playlists._kernels.rerank`) on one thread, refetching four times as many
candidates for listeners the per-artist cap left short, as ``generate`` does. The executors return
compact rows (listener, position, item, reason, anchor, score); the driver turns them into the
same :class:`~tastemaker.playlists.Playlists` and stores them with
:func:`~tastemaker.playlists.save_playlists`, so the store holds exactly the rows the local engine
writes (explanations rendered in SQL there).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tastemaker.errors import InputError
from tastemaker.spark._batch import _Ranker, _Staged
from tastemaker.spark._stage import ItemSide, listener_blocks

__all__ = ["discover_weekly", "PLAYLIST_SCHEMA"]

#: what the executors return: one row per playlist position (the driver renders the text)
PLAYLIST_SCHEMA = "row long, position short, item int, reason byte, anchor int, score float"


@dataclass
class WeeklySide:
    """Everything the executors need besides the listeners, broadcast once."""

    items: ItemSide
    artist: np.ndarray
    item_tags: sp.csr_matrix
    unit: np.ndarray
    pop: np.ndarray
    placed: np.ndarray
    generator: object  # DiscoverWeekly
    week: object  # IsoWeek

    @classmethod
    def of(cls, bundle, side, generator, week) -> WeeklySide:
        # the same derived arrays as DiscoverWeekly.generate
        factors = np.asarray(bundle.cf.item_factors_, dtype=np.float32)
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        pop = np.log1p(side.popularity.astype(np.float32))
        pop /= max(float(pop.max(initial=0.0)), 1e-12)
        return cls(ItemSide.of(bundle, generator.blend), np.asarray(side.artist, np.int32), side.item_tags,
                   factors / np.where(norms > 0, norms, 1), pop, bundle.placed_codes > 0, generator, week)


class _Weekly:
    """In an executor: a block of listeners -> candidates -> their playlists (the kernel's arrays)."""

    def __init__(self, side: WeeklySide):
        self.side = side
        self.ranker = _Ranker(side.items)
        self.n_items = len(side.items.item_ids)

    def playlists(self, block):
        g = self.side.generator
        seeds = g.seeds(block.user_ids, self.side.week)
        out = self._one(block, seeds, g.candidates)
        k = g.candidates
        while k < self.n_items:  # listeners the per-artist cap (or a long history) left short ask for more
            short = np.flatnonzero((out[0] >= 0).sum(axis=1) < g.size)
            if not short.size:
                break
            k = min(4 * k, self.n_items)
            refill = self._one(block.take(short), seeds[short], k)
            for full, part in zip(out, refill):
                full[short] = part
        return out

    def _one(self, block, seeds, k: int):
        from tastemaker.playlists._kernels import rerank

        s, g = self.side, self.side.generator
        cand, scores = self.ranker.top(block, k)
        previous = block.given if block.given is not None else sp.csr_matrix(block.history.shape, dtype=np.float32)
        return rerank(np.arange(len(block)), cand, scores, block.history, previous, s.artist, s.item_tags, s.unit,
                      s.pop, seeds, placed=s.placed, size=g.size, per_artist=g.per_artist, n_explore=g.explore,
                      explore_pool=g.explore_pool, tag_penalty=g.tag_penalty, pop_penalty=g.popularity_penalty)

    def rows(self, block):
        import pyarrow as pa

        items, reasons, anchors, scores = self.playlists(block)
        keep = items >= 0  # each list's items come first
        position = np.broadcast_to(np.arange(1, items.shape[1] + 1, dtype=np.int16), items.shape)
        return pa.RecordBatch.from_arrays(
            [pa.array(np.repeat(block.rows, keep.sum(axis=1))), pa.array(position[keep]),
             pa.array(items[keep].astype(np.int32)), pa.array(reasons[keep].astype(np.int8)),
             pa.array(anchors[keep].astype(np.int32)), pa.array(scores[keep].astype(np.float32))],
            names=["row", "position", "item", "reason", "anchor", "score"])


def discover_weekly(spark, store, bundle, week=None, user_ids=None, generator=None, *, save: bool = True,
                    output=None, work_dir=None, num_partitions: int | None = None, block_size: int = 2048):
    """Generate ``week``'s Discover Weekly for ``user_ids`` (default: every listener) on Spark and
    store it, as :func:`tastemaker.playlists.discover_weekly` does locally.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    store : Store
        The event store (side data, earlier weeks; written when ``save``).
    bundle : ModelBundle
        A trained system with a factor model.
    week : str or IsoWeek, optional
        ISO week (default: the current one).
    user_ids : sequence of str, optional
        Listeners to make playlists for.
    generator : DiscoverWeekly, optional
        The settings (size, candidates, per-artist cap, exploration, blend, seed); ``num_threads``
        is not used: the tasks are the parallelism.
    save : bool
        Store the playlists (the week replaced for these listeners, earlier weeks kept).
    output : str or path-like, optional
        Also write the stored rows of the week as one Parquet file (``user_id, week, position,
        item_id, explanation, reason, anchor, score, generated_at, model_version``); needs ``save``.
    work_dir : str or path-like, optional
        Where the listeners are staged for the executors (shared storage on a cluster).
    num_partitions : int, optional
        Partitions of the listeners (default: the session's default parallelism).
    block_size : int
        Listeners per candidate search and re-ranking inside a task.

    Returns
    -------
    Playlists
        The same arrays the local engine returns (``seconds``: ``stage``, ``spark``, ``store``).

    Notes
    -----
    Candidates come from exact search; a bundle with an approximate (Voyager) index gives the
    local engine approximate candidates, so their playlists can differ where the index misses.
    """
    from tastemaker.playlists import DiscoverWeekly, Playlists, load_side_data, previous_items, save_playlists
    from tastemaker.playlists import parse_week

    week = parse_week(week)
    generator = generator or DiscoverWeekly()
    generator._check()  # settings errors here, not inside a task
    if not bundle.cf.has_factors:
        raise InputError(f"Discover Weekly needs a factor model (als or sgd), not {type(bundle.cf).__name__}",
                         setting="algorithm")
    if output is not None and not save:
        raise InputError("the Parquet export holds the stored rows: it needs save", setting="output")
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    side = load_side_data(store, bundle)
    rows = (np.arange(len(bundle.users), dtype=np.int64) if user_ids is None
            else bundle.users.indices([str(u) for u in user_ids]))
    given = previous_items(store, bundle, week)[rows]
    shared = WeeklySide.of(bundle, side, generator, week)
    seconds["stage"] = time.perf_counter() - t
    t = time.perf_counter()
    with _Staged(spark, bundle, rows, work_dir, num_partitions, given=given) as (frame, sc):
        broadcast = sc.broadcast(shared)
        n_items, size = bundle.n_items, int(block_size)

        def weekly(batches):
            from tastemaker.cf._threads import thread_limits

            got = broadcast.value
            with thread_limits(1):  # the tasks are the parallelism
                maker = _Weekly(got)
                for block in listener_blocks(batches, n_items, size):
                    yield maker.rows(block)

        with warnings.catch_warnings():  # "PySpark does not yet fully support pandas >= 3" (unused here)
            warnings.simplefilter("ignore", FutureWarning)
            from tastemaker.spark._export import to_arrow

            table = to_arrow(frame.mapInArrow(weekly, PLAYLIST_SCHEMA))
        broadcast.unpersist()
    seconds["spark"] = time.perf_counter() - t
    arrays = _arrays(table, rows, len(bundle.users), generator.size)
    names = side.item_names if side.item_names is not None else np.asarray(bundle.item_names)
    playlists = Playlists(week, np.asarray(bundle.users.ids)[rows], *arrays, np.asarray(bundle.items.ids), names,
                          side.tag_names, side.artist_names, side.artist, bundle.version, seconds)
    if save:
        t = time.perf_counter()
        save_playlists(store, playlists)
        if output is not None:
            _export(store, week, playlists.user_ids, output)
        seconds["store"] = time.perf_counter() - t
    return playlists


def _arrays(table, rows: np.ndarray, n_users: int, size: int):
    """The executors' rows back as the (listeners x size) arrays of :class:`Playlists`."""
    where = np.full(n_users, -1, np.int64)
    where[rows] = np.arange(len(rows))
    u = where[table.column("row").to_numpy()]
    p = table.column("position").to_numpy().astype(np.int64) - 1
    items = np.full((len(rows), size), -1, np.int32)
    reasons = np.full((len(rows), size), -1, np.int8)
    anchors = np.full((len(rows), size), -1, np.int32)
    scores = np.full((len(rows), size), np.nan, np.float32)
    items[u, p] = table.column("item").to_numpy()
    reasons[u, p] = table.column("reason").to_numpy()
    anchors[u, p] = table.column("anchor").to_numpy()
    scores[u, p] = table.column("score").to_numpy()
    return items, reasons, anchors, scores


def _export(store, week, user_ids, output) -> None:
    """The stored rows of ``week`` for these listeners as one Parquet file, written atomically."""
    import os
    from pathlib import Path

    path = Path(output)
    tmp = path.with_name(path.name + ".tmp")
    _tm_dw_export = {"user_id": np.asarray(user_ids, dtype=str).astype(object)}  # noqa: F841 (scanned by DuckDB)
    store.con.execute(
        f"""COPY (SELECT d.* FROM discover_weekly d JOIN _tm_dw_export USING (user_id)
            WHERE d.week = $week ORDER BY d.user_id, d.position) TO '{str(tmp).replace("'", "''")}' (FORMAT PARQUET)""",
        {"week": str(week)})
    os.replace(tmp, path)
