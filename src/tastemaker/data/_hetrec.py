"""The HetRec 2011 Last.fm data set (hetrec2011-lastfm-2k) into the store.

=========================  =================================================================
user_artists.dat           ``play`` events: count = weight (total plays), no timestamp
artists.dat                items of kind ``artist`` (name, url; artist_id/artist_name = own)
tags.dat                   tags (this file is Latin-1)
user_taggedartists.dat     item_tags, dated from day/month/year when that is a valid date
user_friends.dat           friendships (both directions)
=========================  =================================================================

Users are everyone in user_artists, user_friends and user_taggedartists. Ids are kept as given
(``"2"``, ``"51"``). Files are tab-separated with a header line; values are never quoted.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from tastemaker.data._common import IngestResult, Steps, fingerprint, run_ingest
from tastemaker.data._validate import (
    Check,
    check_file,
    ident,
    raise_first_problem,
    read_delimited,
    read_header,
)
from tastemaker.data.download import download_hetrec, extract_hetrec, find_hetrec, HETREC_NAME
from tastemaker.data.store import Store
from tastemaker.errors import InputError

# file -> (columns, encoding, key column that must be unique or None)
FILES = {
    "user_artists.dat": (("userID", "artistID", "weight"), "utf-8", None),
    "artists.dat": (("id", "name", "url", "pictureURL"), "utf-8", "id"),
    "tags.dat": (("tagID", "tagValue"), "latin-1", "tagID"),
    "user_taggedartists.dat": (
        ("userID", "artistID", "tagID", "day", "month", "year"), "utf-8", None,
    ),  # fmt: skip
    "user_friends.dat": (("userID", "friendID"), "utf-8", None),
}
_ID_COLUMNS = {"userID", "artistID", "id", "tagID", "friendID"}


def _table(name: str) -> str:
    return "_tm_h_" + name.removesuffix(".dat")


_TEMP = tuple(t for name in FILES for t in (_table(name) + "_raw", _table(name)))


def ingest_hetrec(
    store: Store, path: str | os.PathLike | None = None, progress: bool = True
) -> IngestResult:
    """Ingest the HetRec 2011 Last.fm data set (see the module docstring for the mapping).

    Parameters
    ----------
    store : Store
        Where to write.
    path : str or os.PathLike, optional
        The unzipped ``hetrec2011-lastfm-2k`` folder (or its zip). Without it, a known local
        copy (:func:`find_hetrec`) is used, else the data set is downloaded and cached.
    progress : bool, default True
        Show a progress bar on stderr.

    Returns
    -------
    IngestResult
        ``kind="hetrec"``, ``rows`` = play events written (92,834 for the full data set);
        ``skipped_duplicate`` if the same files were ingested before.

    Raises
    ------
    InputError
        A missing file, or a bad value (naming file, row and column). Nothing is written.
    TastemakerError
        If no path is given, none is known locally and the download fails.

    Examples
    --------
    >>> with Store("lastfm.duckdb") as store:  # doctest: +SKIP
    ...     ingest_hetrec(store, "hetrec2011-lastfm-2k").counts["events"]
    92834
    """
    folder = _folder(path, progress)
    files = [check_file(folder / name) for name in FILES]
    with Steps(len(FILES) + 3, "ingest HetRec", progress) as steps:
        steps.step("fingerprint")
        source_id = fingerprint(files, names=True)

        def stage(con: duckdb.DuckDBPyConnection) -> None:
            for file in files:
                steps.step(f"read {file.name}")
                _stage_file(con, file)

        def write(con: duckdb.DuckDBPyConnection) -> int:
            steps.step("write")
            return _write(con, source_id)

        return run_ingest(
            store, kind="hetrec", path=folder, source_id=source_id,
            stage=stage, write=write, temp_tables=_TEMP,
        )  # fmt: skip


def _folder(path: str | os.PathLike | None, progress: bool) -> Path:
    if path is None:
        return find_hetrec() or download_hetrec(progress=progress)
    folder = Path(path).expanduser()
    if folder.is_file() and folder.suffix.lower() == ".zip":
        from tastemaker._config import cache_dir

        return extract_hetrec(folder, cache_dir() / HETREC_NAME)
    if not folder.is_dir():
        raise InputError(
            "folder not found" if not folder.exists() else "is not a folder", path=folder,
            hint=f"pass the unzipped {HETREC_NAME} folder (the one holding user_artists.dat)",
        )  # fmt: skip
    return folder


def _stage_file(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    columns, encoding, key = FILES[file.name]
    header = read_header(file, "\t", encoding)
    if tuple(header) != columns:
        wrong = next((h for h, c in zip(header, columns) if h != c), None)
        raise InputError(
            "unexpected header " + "\t".join(header), path=file, row=1, column=wrong,
            hint="expected the columns " + ", ".join(columns) + " (tab-separated)",
        )  # fmt: skip
    raw, view = _table(file.name) + "_raw", _table(file.name)
    read_delimited(con, raw, file, columns, delim="\t", header=True, quote="", encoding=encoding)
    trimmed = ", ".join(f"nullif(trim({ident(c)}), '') AS {ident(c)}" for c in columns)
    # the second and later rows of a repeated key are the bad ones
    dups = f", row_number() OVER (PARTITION BY trim({ident(key)}) ORDER BY rowid)" if key else ""
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS "
        f"SELECT rowid + 2 AS _row, {trimmed}{dups + ' AS _dups' if key else ''} FROM {raw}"
    )
    checks = [
        Check(c, f"{ident(c)} IS NULL", f"{c} is empty", "every row needs one")
        for c in columns
        if c in _ID_COLUMNS
    ]
    if key:
        checks.append(
            Check(key, "_dups > 1", f"{key} {{value}} appears more than once", "ids must be unique")
        )
    if file.name == "user_artists.dat":
        checks += [
            Check("weight", "TRY_CAST(weight AS DOUBLE) IS NULL",
                  "weight is not a number ({value})", "weights are play counts such as 13883"),
            Check("weight", "TRY_CAST(weight AS DOUBLE) < 0", "weight is negative ({value})",
                  "weights are play counts, >= 0"),
        ]  # fmt: skip
    if file.name == "tags.dat":
        checks.append(Check("tagValue", "tagValue IS NULL", "tagValue is empty", "name the tag"))
    raise_first_problem(con, view, checks, path=file)


def _write(con: duckdb.DuckDBPyConnection, source: str) -> int:
    plays, artists, tags = _table("user_artists.dat"), _table("artists.dat"), _table("tags.dat")
    tagged, friends = _table("user_taggedartists.dat"), _table("user_friends.dat")
    con.execute(
        f"""INSERT INTO users (user_id)
        SELECT user_id FROM (
            SELECT userID AS user_id FROM {plays}
            UNION SELECT userID FROM {friends} UNION SELECT friendID FROM {friends}
            UNION SELECT userID FROM {tagged}
        ) t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = t.user_id)
        ORDER BY user_id"""
    )
    # artists.dat names every artist listened to; an artist only in user_artists gets no name.
    con.execute(
        f"""INSERT INTO items (item_id, kind, name, artist_id, artist_name, url)
        SELECT item_id, 'artist', name, item_id, name, url FROM (
            SELECT id AS item_id, name, url FROM {artists}
            UNION ALL
            SELECT DISTINCT artistID, NULL, NULL FROM {plays}
            WHERE artistID NOT IN (SELECT id FROM {artists})
        ) t WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = t.item_id)"""
    )
    con.execute(
        f"""INSERT INTO tags (tag_id, name)
        SELECT tagID, tagValue FROM {tags} t
        WHERE NOT EXISTS (SELECT 1 FROM tags g WHERE g.tag_id = t.tagID) ORDER BY _row"""
    )
    day = "lpad(day, 2, '0')"
    con.execute(
        f"""INSERT INTO item_tags (user_id, item_id, tag_id, ts)
        SELECT userID, artistID, tagID,
            TRY_CAST(year || '-' || lpad(month, 2, '0') || '-' || {day} AS DATE)::TIMESTAMP
        FROM {tagged} ORDER BY _row"""
    )
    con.execute(
        f"""INSERT INTO friendships (user_id, friend_id)
        (SELECT userID, friendID FROM {friends} UNION SELECT friendID, userID FROM {friends})
        EXCEPT SELECT user_id, friend_id FROM friendships
        ORDER BY 1, 2"""
    )
    inserted = con.execute(
        f"""INSERT INTO events (user_id, item_id, event, count, source)
        SELECT userID, artistID, 'play', CAST(weight AS DOUBLE), ? FROM {plays} ORDER BY _row""",
        [source],
    ).fetchone()
    return int(inserted[0])
