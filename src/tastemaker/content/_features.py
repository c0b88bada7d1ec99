"""Tabular audio features per item (Spotify Web API style), joined to the store's items by name.

The input is a CSV with one row per artist (or track) and the Spotify audio features as columns,
like ``data_by_artist.csv`` of the Kaggle "Spotify Dataset 1921-2020": a name column
(``artists``, ``artist`` or ``name``) and the numeric columns of :data:`FEATURE_COLUMNS` (the
ten in :data:`REQUIRED_FEATURES` are required). Rows are matched to the store's items by
normalised name (Unicode NFC, lower case, trimmed, runs of blanks as one space); where several
rows share a normalised name, the one with most tracks wins.
"""

from __future__ import annotations

import hashlib
import os

import duckdb
import numpy as np

from tastemaker.data import Store, Vocabulary
from tastemaker.data._common import IngestResult, fingerprint, run_ingest
from tastemaker.data._validate import Check, check_file, ident, raise_first_problem, read_delimited, read_header
from tastemaker.errors import InputError

__all__ = ["ingest_audio_features", "load_audio_features", "FEATURE_COLUMNS", "REQUIRED_FEATURES",
           "DEFAULT_FEATURES", "normalise_name_sql"]

#: the features every file must have (means over an artist's tracks in the Kaggle data)
REQUIRED_FEATURES = ("acousticness", "danceability", "duration_ms", "energy", "instrumentalness",
                     "liveness", "loudness", "speechiness", "tempo", "valence")
#: optional columns, stored when present (``count`` is stored as ``n_tracks``)
OPTIONAL_FEATURES = ("popularity", "key", "mode", "count")
FEATURE_COLUMNS = REQUIRED_FEATURES + OPTIONAL_FEATURES
#: what :func:`load_audio_features` uses by default: the sound only. ``popularity`` and the track
#: count leak popularity, and ``key`` is a category (the most common key of an artist's tracks).
DEFAULT_FEATURES = REQUIRED_FEATURES + ("mode",)
_NAME_COLUMNS = ("artists", "artist", "name")
_STORED = {c: ("n_tracks" if c == "count" else c) for c in FEATURE_COLUMNS}
_RAW, _VIEW = "_tm_af_raw", "_tm_af"


def normalise_name_sql(expr: str) -> str:
    """SQL for the normalised form of a name: NFC, lower case, trimmed, single spaces."""
    return f"lower(trim(regexp_replace(nfc_normalize({expr}), '\\s+', ' ', 'g')))"


def ingest_audio_features(store: Store, path: str | os.PathLike, *, new_artists: bool = False) -> IngestResult:
    """Load a per-artist (or per-track) audio-features CSV into the store's ``audio_features``.

    Parameters
    ----------
    store : Store
        Must already hold the items (e.g. after ``tastemaker ingest hetrec``).
    path : str or os.PathLike
        The CSV (comma-separated, header row, quoted names may hold commas).
    new_artists : bool, default False
        Create an artist (kind ``artist``, id and name as written in the file, no plays) for
        every row that matches no item, unless that id is taken: fresh artists that
        ``tastemaker train`` then places by their features.

    Returns
    -------
    IngestResult
        ``kind="audio-features"``; ``rows`` = items given features; ``counts`` holds
        ``matched`` (existing items), ``new_items`` (artists created), ``unmatched`` (file rows
        left out) and ``audio_features`` (rows added or replaced). A file ingested before (with
        the same ``new_artists``) is skipped.

    Raises
    ------
    InputError
        A missing column, a value that is not a finite number, an empty name (naming file, row
        and column), or no row matching any item. Nothing is written.

    Examples
    --------
    >>> with Store("lastfm.duckdb") as store:                      # doctest: +SKIP
    ...     ingest_audio_features(store, "data_by_artist.csv").counts
    {'matched': 4832, 'new_items': 0, 'unmatched': 22775, 'audio_features': 4832}
    """
    file = check_file(path)
    header = read_header(file, ",")
    name_col = next((c for c in _NAME_COLUMNS if c in header), None)
    missing = [c for c in REQUIRED_FEATURES if c not in header]
    if name_col is None or missing:
        what = "a name column (artists, artist or name)" if name_col is None else ", ".join(missing)
        raise InputError(f"missing column(s): {what}", path=file, row=1,
                         hint="expected a header with the artist name and the Spotify audio features "
                              + ", ".join(REQUIRED_FEATURES))
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise InputError(f"the column {dup} appears twice", path=file, row=1, column=dup,
                         hint="give every column once")
    present = [c for c in FEATURE_COLUMNS if c in header]
    source_id = fingerprint([file])
    if new_artists:  # the same file with and without new artists are two different ingests
        source_id = hashlib.sha256(f"{source_id}:new-artists".encode()).hexdigest()
    stats: dict[str, int] = {}

    def stage(con: duckdb.DuckDBPyConnection) -> None:
        read_delimited(con, _RAW, file, header, delim=",", header=True)
        numbers = ", ".join(f"TRY_CAST(trim({ident(c)}) AS DOUBLE) AS {ident(_STORED[c])}" for c in present)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {_VIEW} AS SELECT rowid + 2 AS _row, "
            f"nullif(trim({ident(name_col)}), '') AS _name, {numbers}, "
            + ", ".join(f"trim({ident(c)}) AS {ident('_text_' + c)}" for c in present)
            + f" FROM {_RAW}"
        )
        checks = [Check(name_col, "_name IS NULL", f"{name_col} is empty", "every row needs a name", value="_name")]
        for c in present:
            col, text = ident(_STORED[c]), ident("_text_" + c)
            checks.append(Check(c, f"{col} IS NULL OR NOT isfinite({col})", f"{c} is not a finite number ({{value}})",
                                "audio features are numbers such as 0.65 or -11.7", value=text))
        raise_first_problem(con, _VIEW, checks, path=file)
        key = normalise_name_sql("_name")
        order = "n_tracks DESC NULLS LAST, _row" if "count" in present else "_row"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _tm_af_match AS
            WITH f AS (
                SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS _rank, {key} AS _key
                FROM {_VIEW}
            ), i AS (SELECT item_id, {normalise_name_sql('name')} AS _key FROM items WHERE name IS NOT NULL)
            SELECT i.item_id, f.* FROM f JOIN i USING (_key) WHERE f._rank = 1"""
        )
        stats["rows"] = int(con.execute(f"SELECT count(*) FROM {_VIEW}").fetchone()[0])
        stats["matched"] = int(con.execute("SELECT count(*) FROM _tm_af_match").fetchone()[0])
        stats["matched_rows"] = int(con.execute("SELECT count(DISTINCT _row) FROM _tm_af_match").fetchone()[0])
        stats["new"] = 0
        if new_artists:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _tm_af_new AS
                WITH f AS (
                    SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS _rank, {key} AS _key
                    FROM {_VIEW}
                )
                SELECT f._name AS item_id, f.* FROM f WHERE f._rank = 1
                    AND f._row NOT IN (SELECT _row FROM _tm_af_match)
                    AND f._key NOT IN (SELECT {normalise_name_sql('name')} FROM items WHERE name IS NOT NULL)
                    AND f._name NOT IN (SELECT item_id FROM items)""")
            con.execute("INSERT INTO _tm_af_match SELECT * FROM _tm_af_new")
            stats["new"] = int(con.execute("SELECT count(*) FROM _tm_af_new").fetchone()[0])
        if stats["matched"] + stats["new"] == 0:
            raise InputError("no row matches an item of the store by name", path=file,
                             hint="ingest the items first (e.g. `tastemaker ingest hetrec`); names are "
                                  "compared in lower case with blanks trimmed")

    def write(con: duckdb.DuckDBPyConnection) -> int:
        if new_artists:
            con.execute("INSERT INTO items (item_id, kind, name, artist_id, artist_name) "
                        "SELECT item_id, 'artist', _name, item_id, _name FROM _tm_af_new")
        cols = ["item_id", "name"] + [_STORED[c] for c in present] + ["source"]
        values = ["item_id", "_name"] + [ident(_STORED[c]) for c in present] + ["$source"]
        updates = ", ".join(f"{ident(c)} = excluded.{ident(c)}" for c in cols[1:])
        # a column the file lacks is reset, so no value survives from an older file
        absent = [_STORED[c] for c in OPTIONAL_FEATURES if c not in present]
        updates += "".join(f", {ident(c)} = NULL" for c in absent)
        con.execute(
            f"INSERT INTO audio_features ({', '.join(ident(c) for c in cols)}) "
            f"SELECT {', '.join(values)} FROM _tm_af_match "
            f"ON CONFLICT (item_id) DO UPDATE SET {updates}", {"source": source_id})
        return stats["matched"] + stats["new"]

    result = run_ingest(store, kind="audio-features", path=file, source_id=source_id, stage=stage, write=write,
                        temp_tables=(_RAW, _VIEW, "_tm_af_match", "_tm_af_new"))
    if result.skipped_duplicate:
        return result
    counts = {"matched": stats["matched"], "new_items": stats["new"],
              "unmatched": stats["rows"] - stats["matched_rows"] - stats["new"],
              "audio_features": stats["matched"] + stats["new"]}
    return IngestResult(result.kind, result.path, result.rows, False, counts, result.source_id)


def load_audio_features(store: Store, items: Vocabulary, features=DEFAULT_FEATURES,
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The standardised audio features of the items that have them.

    Parameters
    ----------
    store : Store
        With an ``audio_features`` table (``tastemaker ingest audio-features``).
    items : Vocabulary
        The item columns (e.g. ``Recommender.items``); items without features are left out.
    features : sequence of str
        Stored columns to use (default :data:`DEFAULT_FEATURES`: the sound, no popularity).
        ``duration_ms`` is taken as its logarithm. A feature some item lacks is filled with the
        mean of the others.

    Returns
    -------
    cols : ndarray of int64
        Columns of ``items`` that have features, ascending.
    X : ndarray of float32, shape (len(cols), len(features))
        Each feature standardised to mean 0 and standard deviation 1 over these items.
    """
    stored = [_STORED.get(f, f) for f in features]
    unknown = [f for f in stored if f not in _STORED.values()]
    if unknown:
        raise ValueError(f"unknown audio feature(s) {', '.join(unknown)}; choose from {', '.join(_STORED.values())}")
    try:
        rows = store.con.execute(
            f"SELECT item_id, {', '.join(ident(c) for c in stored)} FROM audio_features").fetchall()
    except duckdb.CatalogException:  # a store opened read-only that predates the table
        rows = []
    d = len(stored)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, d), dtype=np.float32)
    ids = np.asarray([r[0] for r in rows], dtype=str)
    values = np.asarray([[np.nan if v is None else v for v in r[1:]] for r in rows], dtype=np.float64)
    keep = np.asarray([i in items for i in ids.tolist()], dtype=bool)
    if not keep.any():
        return np.zeros(0, dtype=np.int64), np.zeros((0, d), dtype=np.float32)
    cols = items.indices(ids[keep])
    values = values[keep]
    order = np.argsort(cols, kind="stable")
    cols, values = cols[order], values[order]
    if "duration_ms" in stored:
        j = stored.index("duration_ms")
        values[:, j] = np.log(np.maximum(values[:, j], 1.0))
    known = ~np.isnan(values)
    counts = known.sum(axis=0)  # a feature no item has (an optional column no file gave) is all 0
    mean = np.where(counts > 0, np.where(known, values, 0.0).sum(axis=0) / np.maximum(counts, 1), 0.0)
    values = np.where(np.isnan(values), mean, values)
    std = values.std(axis=0)
    X = (values - mean) / np.where(std > 0, std, 1.0)
    return cols, X.astype(np.float32)
