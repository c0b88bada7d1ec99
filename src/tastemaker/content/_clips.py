"""``ingest_audio``: a folder of audio files into log-mel spectrograms indexed in the store.

Which item a file is:

* a manifest (``manifest.csv`` in the folder, or ``manifest=``) with columns ``path,item_id``
  and optionally ``name``: paths relative to the manifest's folder; only the files it lists are
  read;
* otherwise every ``.wav``, ``.mp3``, ``.flac`` and ``.ogg`` file under the folder, by its name
  without the suffix: an item id of the store, else an item name (compared like audio features:
  NFC, lower case, trimmed).

A file that matches no item becomes a new item (kind ``track`` by default; id and name from the
manifest, or the file name): a song nobody has played yet, the cold start this is for.

Spectrograms are ``.npy`` files (float16, 128 x frames) named by the sha256 of the audio bytes,
under ``<store name>.spectrograms/mel128-v1/`` next to the store (written through a temporary file
and renamed); the ``audio_clips`` table maps items to them. Ingesting a file whose bytes are
already indexed for its item does nothing; a changed file replaces the item's spectrogram. All
rows are written in one transaction after every file was read, so a damaged file leaves the store
as it was (or, with ``skip_bad``, is reported and left out). The store's file is not held while
the audio is decoded, so a running ``tastemaker serve`` can write to it meanwhile.
"""

from __future__ import annotations

import csv
import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tastemaker._atomic import atomic_write
from tastemaker.content._features import normalise_name_sql
from tastemaker.content._mel import AUDIO_SUFFIXES, N_MELS, log_mel
from tastemaker.data import Store
from tastemaker.errors import InputError

__all__ = ["ingest_audio", "load_spectrograms", "AudioIngestResult", "default_spectrogram_dir"]

_LAYOUT = "mel128-v1"
_KINDS = ("track", "artist")


@dataclass(frozen=True)
class AudioIngestResult:
    """What :func:`ingest_audio` did.

    Attributes
    ----------
    path : str
        The folder (or manifest) read.
    files : int
        Audio files considered.
    added, replaced, unchanged : int
        Items that got a first spectrogram, a new one (changed file), or kept theirs.
    new_items : int
        Items created because no item matched (songs without listeners).
    bad : list of (path, reason)
        Files left out (only with ``skip_bad``).
    directory : str
        Where the spectrograms are.
    """

    path: str
    files: int
    added: int
    replaced: int
    unchanged: int
    new_items: int
    bad: list[tuple[str, str]] = field(default_factory=list)
    directory: str = ""


def default_spectrogram_dir(store: Store) -> Path:
    """The default spectrogram folder of a store: ``<store>.spectrograms`` next to its file."""
    if store.location == ":memory:":
        raise ValueError("an in-memory store has no folder: pass spectrogram_dir= to ingest_audio")
    location = Path(store.location)
    return location.with_name(location.stem + ".spectrograms")


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(manifest: Path) -> list[tuple[Path, str, str | None]]:
    if not manifest.is_file():
        raise InputError("manifest not found", path=manifest, hint="give a CSV with columns path,item_id[,name]")
    with open(manifest, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        if "path" not in header or "item_id" not in header:
            raise InputError("the header must name the columns path and item_id (and optionally name)",
                             path=manifest, row=1, hint="e.g. path,item_id,name")
        p, i = header.index("path"), header.index("item_id")
        n = header.index("name") if "name" in header else None
        rows, seen_paths, seen_ids = [], {}, {}
        for number, fields in enumerate(reader, start=2):
            if not any(x.strip() for x in fields):
                continue
            if len(fields) != len(header):
                raise InputError(f"has {len(fields)} fields where {len(header)} are expected", path=manifest,
                                 row=number, hint="quote values that contain commas")
            rel, item = fields[p].strip(), fields[i].strip()
            for column, value in (("path", rel), ("item_id", item)):
                if not value:
                    raise InputError(f"{column} is empty", path=manifest, row=number, column=column,
                                     hint="every row needs a file and an item id")
            audio = (manifest.parent / rel).resolve()
            if audio.suffix.lower() not in AUDIO_SUFFIXES:
                raise InputError(f"{rel!r} is not a {', '.join(AUDIO_SUFFIXES)} file", path=manifest, row=number,
                                 column="path", hint="list audio files only")
            if not audio.is_file():
                raise InputError(f"file {rel!r} not found", path=manifest, row=number, column="path",
                                 hint="paths are relative to the manifest's folder")
            for seen, key, column in ((seen_paths, str(audio), "path"), (seen_ids, item, "item_id")):
                if key in seen:
                    raise InputError(f"{column} {key!r} also on row {seen[key]}", path=manifest, row=number,
                                     column=column, hint="one file per item and one item per file")
                seen[key] = number
            name = fields[n].strip() if n is not None and fields[n].strip() else None
            rows.append((audio, item, name))
    if not rows:
        raise InputError("the manifest lists no files", path=manifest, hint="add rows path,item_id")
    return rows


def _by_file_names(store: Store, folder: Path) -> list[tuple[Path, str, str | None]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
                   and not p.name.startswith("."))
    if not files:
        raise InputError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) in this folder", path=folder,
                         hint="give the folder holding the audio, or a manifest.csv (path,item_id)")
    ids = {r[0] for r in store.con.execute("SELECT item_id FROM items").fetchall()}
    by_name: dict[str, list[str]] = {}
    for item_id, key in store.con.execute(
            f"SELECT item_id, {normalise_name_sql('name')} FROM items WHERE name IS NOT NULL ORDER BY item_id"
    ).fetchall():
        by_name.setdefault(key, []).append(item_id)
    rows, owner = [], {}
    for path in files:
        stem = path.stem.strip()
        if stem in ids:
            item = stem
        else:
            matches = by_name.get(_normalise(stem), [])
            if len(matches) > 1:
                raise InputError(f"the name {stem!r} matches {len(matches)} items ({', '.join(matches[:3])})",
                                 path=path, hint="name the file by item id, or use a manifest.csv (path,item_id)")
            item = matches[0] if matches else stem
        if item in owner:
            raise InputError(f"is item {item!r}, like {owner[item]}", path=path,
                             hint="one file per item; use a manifest.csv (path,item_id) to choose")
        owner[item] = path.name
        rows.append((path.resolve(), item, None if item in ids else stem))
    return rows


def _write_npy(directory: Path, sha: str, spec: np.ndarray) -> tuple[Path, bool]:
    target = directory / sha[:2] / f"{sha}.npy"
    if target.is_file():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as fh:
        np.save(fh, spec, allow_pickle=False)
    return target, True


def ingest_audio(store: Store, path: str | os.PathLike, *, manifest: str | os.PathLike | None = None,
                 kind: str = "track", skip_bad: bool = False, spectrogram_dir: str | os.PathLike | None = None,
                 progress: bool = True) -> AudioIngestResult:
    """Turn a folder of audio files into log-mel spectrograms of their items (see the module doc).

    Parameters
    ----------
    store : Store
        The store whose items the files are (new items are created for unmatched files).
    path : str or os.PathLike
        A folder of audio files (searched recursively), or a manifest CSV.
    manifest : str or os.PathLike, optional
        A CSV ``path,item_id[,name]``; default ``manifest.csv`` in the folder, if there is one.
    kind : {"track", "artist"}
        The kind of the items created for unmatched files.
    skip_bad : bool
        Report damaged or too-short files and go on, instead of stopping with an error.
    spectrogram_dir : str or os.PathLike, optional
        Where the spectrograms go (default :func:`default_spectrogram_dir` of the store).
    progress : bool
        A progress bar on stderr.

    Raises
    ------
    InputError
        A missing folder, a bad manifest, a file matching an ambiguous name, or (without
        ``skip_bad``) a file that cannot be decoded. Nothing is written then.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'track' or 'artist', not {kind!r}")
    store._require_writable()
    new_store = store.connect()._created
    try:
        return _ingest(store, path, manifest, kind, skip_bad, spectrogram_dir, progress)
    except BaseException:
        if new_store:  # a store file this ingest created stays only if it holds something
            store.connect()
            store._created = True
            store._discard_if_new_and_empty()
        raise


def _ingest(store: Store, path, manifest, kind: str, skip_bad: bool, spectrogram_dir, progress: bool
            ) -> AudioIngestResult:
    source = Path(path).expanduser()
    if source.is_file() and source.suffix.lower() == ".csv" and manifest is None:
        manifest, source = source, source.parent
    if not source.is_dir():
        raise InputError("folder not found" if not source.exists() else "is not a folder", path=source,
                         hint="give a folder of audio files or a manifest.csv")
    if manifest is None and (source / "manifest.csv").is_file():
        manifest = source / "manifest.csv"
    rows = _read_manifest(Path(manifest)) if manifest is not None else _by_file_names(store, source)
    directory = Path(spectrogram_dir) if spectrogram_dir is not None else default_spectrogram_dir(store)
    base = None if store.location == ":memory:" else Path(store.location).parent.resolve()
    previous = {r[0]: (r[1], r[2]) for r in store.con.execute("SELECT item_id, sha256, file FROM audio_clips").fetchall()}
    known = {item: sha for item, (sha, _) in previous.items()}
    ids = {r[0] for r in store.con.execute("SELECT item_id FROM items").fetchall()}

    created: list[Path] = []
    todo, bad, unchanged = [], [], 0
    if store.location != ":memory:" and not store._in_transaction:
        # decoding takes a while: let other processes (a running `tastemaker serve`) use the store
        # meanwhile; it reopens for the write
        store.close()
    try:
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(rows), desc="spectrograms", unit="file", leave=False)
        for audio, item, name in rows:
            sha = _sha256(audio)
            if known.get(item) == sha:
                unchanged += 1
            else:
                try:
                    spec, offset, duration = log_mel(audio)
                except InputError as exc:
                    if not skip_bad:
                        raise
                    bad.append((str(audio), exc.message))
                else:
                    target, new = _write_npy(directory.resolve(), sha, spec)
                    if new:
                        created.append(target)
                    stored = os.path.relpath(target, base) if base is not None else str(target)
                    todo.append((item, str(audio), sha, stored, int(spec.shape[1]), offset, duration, name))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        new_items = [(item, name or item) for item, _, _, _, _, _, _, name in todo if item not in ids]
        with store.transaction() as con:
            if new_items:
                con.executemany("INSERT INTO items (item_id, kind, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                [(item, kind, name) for item, name in new_items])
            if todo:
                con.executemany(
                    "INSERT OR REPLACE INTO audio_clips VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                    [row[:7] for row in todo])
    except BaseException:
        for leftover in created:  # spectrograms no row points to
            leftover.unlink(missing_ok=True)
        raise
    replaced = sum(1 for row in todo if row[0] in known)
    if replaced:  # drop replaced spectrograms that no item points to any more
        still = {r[0] for r in store.con.execute("SELECT DISTINCT file FROM audio_clips").fetchall()}
        for item in {row[0] for row in todo if row[0] in previous}:
            old = previous[item][1]
            if old not in still:
                (Path(old) if base is None or Path(old).is_absolute() else base / old).unlink(missing_ok=True)
    return AudioIngestResult(str(manifest or source), len(rows), len(todo) - replaced, replaced, unchanged,
                             len(new_items), bad, str(directory))


def load_spectrograms(store: Store, item_ids=None) -> tuple[np.ndarray, list[np.ndarray]]:
    """The stored spectrograms: ``(item_ids, [float32 array 128 x frames, ...])``, by item id.

    Parameters
    ----------
    store : Store
    item_ids : iterable of str, optional
        Only these items (those without a spectrogram are left out); default all.

    Raises
    ------
    InputError
        A spectrogram file the store lists is missing or damaged.
    """
    import duckdb

    try:
        rows = store.con.execute("SELECT item_id, file FROM audio_clips ORDER BY item_id").fetchall()
    except duckdb.CatalogException:
        rows = []
    if item_ids is not None:
        wanted = {str(i) for i in item_ids}
        rows = [r for r in rows if r[0] in wanted]
    base = None if store.location == ":memory:" else Path(store.location).parent
    specs = []
    for item, file in rows:
        target = Path(file) if base is None or Path(file).is_absolute() else base / file
        try:
            spec = np.load(target, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"the spectrogram of item {item!r} cannot be read ({exc})", path=target,
                             hint="run `tastemaker ingest audio` on its file again") from None
        if spec.ndim != 2 or spec.shape[0] != N_MELS:
            raise InputError(f"the spectrogram of item {item!r} has shape {spec.shape}, not ({N_MELS}, frames)",
                             path=target, hint="run `tastemaker ingest audio` on its file again")
        specs.append(spec.astype(np.float32))
    return np.asarray([r[0] for r in rows], dtype=str), specs
