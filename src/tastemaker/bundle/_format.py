"""How a model bundle lies on disk: one directory per version, a pointer to the current one.

::

    models/                         the bundle root (``--model``; default next to the store)
      CURRENT                       the current version's name, replaced atomically
      20261203T104512Z-ab12cd34/    one version: never changed once written
        manifest.json               format, version, metadata, and what every file holds
        users.npy, items.npy, ...   arrays (memory-mapped on load: a command reads only what it uses)
        index.npz                   the retrieval index (optional)
      bart.npz, audio.npz           models with their own life cycle (BaRT, the audio CNN)

A version is written into a hidden staging directory, flushed to disk, renamed into place (an
atomic rename), and only then named in ``CURRENT`` (an atomic replace): a reader never sees half
a version, and a crash leaves at worst an orphaned staging directory, removed by the next save.
Nothing is pickled: arrays are ``.npy`` files read with ``allow_pickle=False``, the rest is JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from tastemaker._atomic import atomic_write
from tastemaker.errors import InputError

__all__ = ["FORMAT", "FORMAT_VERSION", "BundleFormatError", "write_version", "read_version",
           "current_version_dir", "version_key", "KEEP_VERSIONS"]

FORMAT = "tastemaker-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
POINTER = "CURRENT"
#: versions kept in the root after a save (older ones are removed; the current one always stays)
KEEP_VERSIONS = 3
_STAGING = ".staging-"


class BundleFormatError(InputError):
    """A bundle that cannot be read: missing, damaged, or of another format or version."""


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def write_version(root, version: str, manifest: dict, arrays: dict[str, np.ndarray],
                  files: dict[str, bytes] | None = None, writers: dict | None = None) -> Path:
    """Write one version of a bundle under ``root`` and make it the current one.

    Parameters
    ----------
    root : path
        The bundle root (created if missing).
    version : str
        The version's name (a directory name).
    manifest : dict
        JSON-serialisable description; ``format``, ``format_version``, ``version`` and the list
        of arrays are added here.
    arrays : dict of str to ndarray
        Saved as ``<name>.npy`` (no object arrays).
    writers : dict of str to callable, optional
        Other files: ``name -> fn(path)`` writes the file at ``path`` (e.g. an index).

    Returns
    -------
    Path
        The version's directory.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise BundleFormatError(f"{root} is a file, not a model directory",
                                hint="models are directories now: pass --model DIR (default: models/ next to the store)")
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(_STAGING + "*"):
        if stale.is_dir() and not _owned_by_live_process(stale):
            shutil.rmtree(stale, ignore_errors=True)
    target = root / version
    if target.exists():
        raise BundleFormatError(f"version {version} already exists in {root}")
    staging = root / f"{_STAGING}{version}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    staging.mkdir()
    try:
        described = {}
        for name, value in arrays.items():
            arr = np.asarray(value)
            if arr.dtype == object:
                arr = arr.astype(str)
            path = staging / f"{name}.npy"
            with open(path, "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
            described[name] = {"file": path.name, "dtype": arr.dtype.str, "shape": list(arr.shape)}
        for name, write in (writers or {}).items():
            write(staging / name)
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, "version": version, **manifest,
                "arrays": described, "files": sorted((writers or {}).keys())}
        with open(staging / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(staging)
        os.rename(staging, target)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with atomic_write(root / POINTER, mode="w") as fh:
        fh.write(version + "\n")
    _prune(root, keep=version)
    return target


def _owned_by_live_process(staging: Path) -> bool:
    """A staging directory another running process is still writing (its pid is in the name)."""
    try:
        pid = int(staging.name[len(_STAGING):].rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def _prune(root: Path, keep: str) -> None:
    versions = sorted((p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).is_file()),
                      key=lambda p: ((p / MANIFEST).stat().st_mtime_ns, p.name))  # oldest first
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_version_dir(root) -> Path:
    """The directory of the current version under ``root``; one clear error if there is none."""
    root = Path(root)
    hint = "train one with `tastemaker train`"
    if root.is_file():
        if root.suffix == ".npz":
            raise BundleFormatError(f"{root} is a single-file model of an earlier tastemaker; models are "
                                    "directories now", hint="train again with `tastemaker train` (it writes "
                                    "the model directory, by default models/ next to the store)")
        raise BundleFormatError(f"{root} is a file, not a model directory", hint=hint)
    pointer = root / POINTER
    if not pointer.is_file():
        legacy = root / "als.npz"
        if legacy.is_file():
            raise BundleFormatError(f"no model in {root}: {legacy} is a single-file model of an earlier "
                                    "tastemaker", hint="train again with `tastemaker train`")
        raise BundleFormatError(f"no model at {root}", hint=hint)
    name = pointer.read_text(encoding="utf-8").strip()
    version_dir = root / name
    if not name or "/" in name or not (version_dir / MANIFEST).is_file():
        raise BundleFormatError(f"{pointer} names version {name!r}, which is not in {root}",
                                hint="train again with `tastemaker train`")
    return version_dir


def version_key(root) -> tuple | None:
    """What changes when a new version becomes current (the pointer's identity); None if absent."""
    try:
        st = os.stat(Path(root) / POINTER)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def read_version(version_dir, mmap: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    """The manifest and the arrays of one version (memory-mapped read-only by default)."""
    version_dir = Path(version_dir)
    hint = "train again with `tastemaker train`"
    try:
        manifest = json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleFormatError(f"no model version at {version_dir} (no {MANIFEST})", hint=hint) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleFormatError(f"{version_dir / MANIFEST} is damaged ({exc})", hint=hint) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleFormatError(f"{version_dir} is not a tastemaker model (format "
                                f"{manifest.get('format') if isinstance(manifest, dict) else None!r})", hint=hint)
    found = manifest.get("format_version")
    if not isinstance(found, int) or found > FORMAT_VERSION:
        raise BundleFormatError(f"{version_dir} was written by a newer tastemaker (model format {found}, this "
                                f"one reads up to {FORMAT_VERSION})", hint="upgrade tastemaker, or train again "
                                "with this one")
    arrays = {}
    for name, spec in manifest.get("arrays", {}).items():
        path = version_dir / spec["file"]
        try:
            arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except FileNotFoundError:
            raise BundleFormatError(f"{version_dir} is incomplete: {spec['file']} is missing", hint=hint) from None
        except (OSError, ValueError, EOFError) as exc:
            raise BundleFormatError(f"{path} is damaged ({exc})", hint=hint) from None
        if list(arr.shape) != list(spec["shape"]) or arr.dtype.str != spec["dtype"]:
            raise BundleFormatError(f"{path} holds {arr.dtype.str} {list(arr.shape)}, the manifest says "
                                    f"{spec['dtype']} {spec['shape']}", hint=hint)
        arrays[name] = arr
    return manifest, arrays
