"""Model files: ``.npz`` arrays plus a JSON header, no pickle, written atomically."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from tastemaker._atomic import atomic_write

__all__ = ["FORMAT", "FORMAT_VERSION", "write_model_file", "read_model_file"]

FORMAT = "tastemaker-model"
FORMAT_VERSION = 1
_META_KEY = "__meta__"


def write_model_file(path_or_file, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and the JSON ``meta`` to an ``.npz``.

    A path is written through a temporary file in the same folder and renamed into place, so a
    crash never leaves half a model where a reader (or the API) might load it.
    """
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
    payload = {_META_KEY: np.array(json.dumps(meta, sort_keys=True))}
    for key, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            arr = arr.astype(str)
        payload[key] = arr
    if hasattr(path_or_file, "write"):
        np.savez(path_or_file, **payload)
        return
    path = Path(path_or_file)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as fh:
        np.savez(fh, **payload)


def read_model_file(path_or_file) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a model file written by :func:`write_model_file` (never unpickles)."""
    source = path_or_file
    if not hasattr(source, "read"):
        source = Path(source)
        if not source.exists() and source.suffix != ".npz" and source.with_name(source.name + ".npz").exists():
            source = source.with_name(source.name + ".npz")
        if not source.exists():
            raise FileNotFoundError(f"no model file at {source}: train one with `tastemaker train`")
    if isinstance(source, Path):
        with open(source, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise ValueError(f"{source} is not a readable tastemaker model file (not an .npz archive)")
    try:
        with np.load(source, allow_pickle=False) as data:
            if _META_KEY not in data.files:
                raise ValueError(f"{source} is not a tastemaker model file (no header)")
            meta = json.loads(str(data[_META_KEY]))
            arrays = {k: data[k] for k in data.files if k != _META_KEY}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        if isinstance(exc, ValueError) and "tastemaker model" in str(exc):
            raise
        raise ValueError(f"{source} is not a readable tastemaker model file: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise ValueError(f"{source} is not a tastemaker model file (format {meta.get('format')!r})")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{source} was written by a newer tastemaker (format version {meta['format_version']}); upgrade tastemaker"
        )
    return meta, arrays


def to_bytes(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    write_model_file(buf, meta, arrays)
    return buf.getvalue()
