"""Discover Weekly in the store: every week's playlists kept, a week replaced atomically on rerun."""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import numpy as np
import scipy.sparse as sp

from tastemaker.data import Store
from tastemaker.playlists._generate import TEMPLATES, Playlists
from tastemaker.playlists._kernels import REASONS
from tastemaker.playlists._week import IsoWeek, parse_week

__all__ = ["save_playlists", "load_playlists", "previous_items", "stored_weeks"]


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _explanation_sql() -> str:
    """The explanation templates as one SQL expression over ``reason`` and ``anchor_name``."""
    cases = " ".join(f"WHEN {code} THEN {_sql_text(TEMPLATES[name][0])} || anchor_name || {_sql_text(TEMPLATES[name][1])}"
                     for code, name in enumerate(REASONS))
    return f"CASE reason {cases} END"


def save_playlists(store: Store, playlists: Playlists, *, generated_at: dt.datetime | None = None) -> int:
    """Write one week's playlists, replacing that week's earlier playlists of the same users.

    The delete and the insert run in one transaction: a rerun of a week replaces it whole or,
    if it fails, leaves the old one. Other weeks (the history) are kept. Returns rows written.
    """
    store._require_writable()
    started = time.perf_counter()
    week = str(playlists.week)
    generated_at = (generated_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(tzinfo=None)
    U, size = playlists.items.shape
    valid = playlists.items >= 0
    user_index = np.repeat(np.arange(U, dtype=np.int64), valid.sum(axis=1))
    position = np.broadcast_to(np.arange(1, size + 1, dtype=np.int16), (U, size))
    # each list's valid items come first, so positions stay 1..n
    item = playlists.items[valid].astype(np.int64)
    reason = playlists.reasons[valid].astype(np.int8)
    anchor = playlists.anchors[valid].astype(np.int64)
    artist = playlists.artist[item].astype(np.int64)
    item_anchor = (reason <= 1) & (anchor >= 0)
    tag_anchor = (reason >= 2) & (anchor >= 0)
    _tm_dw_rows = {  # noqa: F841 (scanned by DuckDB below)
        "u": user_index, "position": position[valid], "item": item, "reason": reason,
        "item_anchor": np.where(item_anchor, anchor, -1), "tag_anchor": np.where(tag_anchor, anchor, -1),
        "artist": artist, "score": playlists.scores[valid].astype(np.float32),
    }
    # only the items, tags and artists these rows name, as object arrays (DuckDB scans those fast)
    _tm_dw_users = {"u": np.arange(U, dtype=np.int64), "user_id": _objects(playlists.user_ids)}  # noqa: F841
    cols = np.unique(np.concatenate([item, anchor[item_anchor]]))
    _tm_dw_items = {"c": cols, "item_id": _objects(playlists.item_ids, cols),  # noqa: F841
                    "name": _objects(playlists.item_names, cols)}
    tags = np.unique(anchor[tag_anchor])
    _tm_dw_tags = {"t": tags, "name": _objects(playlists.tag_names, tags)}  # noqa: F841
    artists = np.unique(artist)
    _tm_dw_artists = {"a": artists, "name": _objects(playlists.artist_names, artists)}  # noqa: F841
    reason_names = "CASE r.reason " + " ".join(f"WHEN {i} THEN {_sql_text(n)}" for i, n in enumerate(REASONS)) + " END"
    con = store.con
    with store.memory_limit(), store.transaction():
        if U == 0:
            return 0
        con.execute("CREATE OR REPLACE TEMP TABLE _tm_dw_users_t AS SELECT * FROM _tm_dw_users")
        con.execute(
            """DELETE FROM discover_weekly WHERE week = $week
            AND user_id IN (SELECT user_id FROM _tm_dw_users_t)""", {"week": week})
        con.execute(
            f"""INSERT INTO discover_weekly
            SELECT user_id, $week, position, item_id, {_explanation_sql()}, reason_name, anchor, score,
                $generated_at, $version
            FROM (
                SELECT u.user_id, r.position, i.item_id, r.reason, {reason_names} AS reason_name,
                    coalesce(ai.name, tg.name, ar.name) AS anchor_name,
                    coalesce(ai.item_id, tg.name) AS anchor, r.score
                FROM _tm_dw_rows r
                JOIN _tm_dw_users_t u USING (u)
                JOIN _tm_dw_items i ON i.c = r.item
                LEFT JOIN _tm_dw_items ai ON ai.c = r.item_anchor
                LEFT JOIN _tm_dw_tags tg ON tg.t = r.tag_anchor
                LEFT JOIN _tm_dw_artists ar ON ar.a = r.artist
            )
            ORDER BY user_id, position""",
            {"week": week, "generated_at": generated_at, "version": playlists.model_version},
        )
        con.execute("DROP TABLE IF EXISTS temp._tm_dw_users_t")
        con.execute("INSERT INTO discover_weekly_runs VALUES (?, ?, ?, ?, ?)",
                    [week, generated_at, playlists.model_version, U,
                     round(sum(playlists.seconds.values()) + time.perf_counter() - started, 3)])
    return int(valid.sum())


def _objects(values, take=None) -> np.ndarray:
    values = np.asarray(values)
    return (values if take is None else values[take]).astype(str).astype(object)


def previous_items(store: Store, bundle, week: str | IsoWeek) -> sp.csr_matrix:
    """Users x items (``bundle``'s rows and columns): 1 where an earlier week's playlist gave the item."""
    week = parse_week(week)
    shape = (len(bundle.users), len(bundle.items))
    _tm_dw_u = {"user_id": _objects(bundle.users.ids), "r": np.arange(shape[0], dtype=np.int64)}  # noqa: F841
    _tm_dw_i = {"item_id": _objects(bundle.items.ids), "c": np.arange(shape[1], dtype=np.int64)}  # noqa: F841
    try:
        with store.memory_limit():
            got = store.con.execute(
                """SELECT DISTINCT u.r, i.c FROM discover_weekly d
                JOIN _tm_dw_u u USING (user_id) JOIN _tm_dw_i i USING (item_id)
                WHERE d.week < $week""", {"week": str(week)}).fetchnumpy()
    except duckdb.CatalogException:  # a read-only store that predates the table
        return sp.csr_matrix(shape, dtype=np.float32)
    r, c = np.asarray(got["r"], np.int64), np.asarray(got["c"], np.int64)
    m = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=shape)
    m.sort_indices()
    return m


def stored_weeks(store: Store, user_id: str | None = None) -> list[str]:
    """The weeks with stored playlists (of ``user_id``, if given), newest first."""
    where, params = ("WHERE user_id = ?", [str(user_id)]) if user_id is not None else ("", [])
    try:
        rows = store.con.execute(f"SELECT DISTINCT week FROM discover_weekly {where} ORDER BY week DESC",
                                 params).fetchall()
    except duckdb.CatalogException:
        return []
    return [r[0] for r in rows]


def load_playlists(store: Store, week: str | IsoWeek | None = None, user_ids=None) -> list[dict]:
    """Stored playlists of one week (default: the newest stored), ordered by user id.

    Returns
    -------
    list of dict
        ``{"user_id", "week", "generated_at", "model_version", "items": [{"position", "item_id",
        "name", "explanation", "reason", "score", "url"}]}``; a track's name is ``"Artist – Title"``.
    """
    if week is None:
        weeks = stored_weeks(store, None if user_ids is None or len(user_ids) != 1 else list(user_ids)[0])
        if not weeks:
            return []
        week = weeks[0]
    week = str(parse_week(week))
    params: dict = {"week": week}
    where = ""
    if user_ids is not None:
        params["users"] = [str(u) for u in user_ids]
        where = "AND d.user_id IN (SELECT unnest($users::VARCHAR[]))"
    try:
        rows = store.con.execute(
            f"""SELECT d.user_id, d.generated_at, d.model_version, d.position, d.item_id,
                coalesce(CASE WHEN i.kind = 'track' AND i.artist_name IS NOT NULL AND i.name IS NOT NULL
                    THEN i.artist_name || ' – ' || i.name ELSE i.name END, d.item_id) AS name,
                d.explanation, d.reason, d.score, i.url
            FROM discover_weekly d LEFT JOIN items i USING (item_id)
            WHERE d.week = $week {where}
            ORDER BY d.user_id, d.position""", params).fetchall()
    except duckdb.CatalogException:
        return []
    out: list[dict] = []
    for user_id, generated_at, version, position, item_id, name, explanation, reason, score, url in rows:
        if not out or out[-1]["user_id"] != user_id:
            out.append({"user_id": user_id, "week": week,
                        "generated_at": generated_at.replace(tzinfo=dt.timezone.utc).isoformat(),
                        "model_version": version, "items": []})
        out[-1]["items"].append({"position": int(position), "item_id": item_id, "name": name,
                                 "explanation": explanation, "reason": reason,
                                 "score": None if score is None else round(float(score), 4), "url": url})
    return out
