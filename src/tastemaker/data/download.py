"""Getting the HetRec 2011 Last.fm data set: find a local copy, or download it once and cache it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tastemaker._config import cache_dir as default_cache_dir
from tastemaker.errors import TastemakerError

__all__ = ["HETREC_URL", "HETREC_NAME", "download_hetrec", "extract_hetrec", "find_hetrec"]

HETREC_URL = "https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip"
HETREC_NAME = "hetrec2011-lastfm-2k"
_MARKER = "user_artists.dat"  # a folder holding this file is taken to be a HetRec copy


def _is_hetrec(folder: Path) -> bool:
    return (folder / _MARKER).is_file()


def find_hetrec() -> Path | None:
    """A local HetRec folder, if one is known; else None.

    Looks, in order, at ``TASTEMAKER_HETREC``, the download cache
    (``<cache dir>/hetrec2011-lastfm-2k``) and ``../shared/data/hetrec2011-lastfm-2k`` relative
    to the working directory.
    """
    candidates = []
    env = os.environ.get("TASTEMAKER_HETREC")
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(default_cache_dir() / HETREC_NAME)
    candidates.append(Path.cwd().parent / "shared" / "data" / HETREC_NAME)
    for folder in candidates:
        if _is_hetrec(folder):
            return folder.resolve()
    return None


def download_hetrec(
    cache_dir: str | os.PathLike | None = None,
    *,
    url: str = HETREC_URL,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download and unzip HetRec 2011 Last.fm into ``cache_dir``, or reuse an earlier download.

    The zip is written to a temporary file and renamed when complete, and unzipped into a
    temporary folder renamed when complete, so an interrupted download leaves nothing that looks
    finished.

    Parameters
    ----------
    cache_dir : str or os.PathLike, optional
        Where to keep it; defaults to tastemaker's cache directory (``TASTEMAKER_CACHE``).
    url : str
        Where to get the zip (any URL urllib opens, ``file://`` included).
    progress : bool, default True
        Show a download progress bar on stderr.
    timeout : float
        Seconds to wait for the server.

    Returns
    -------
    Path
        ``<cache_dir>/hetrec2011-lastfm-2k``, holding ``user_artists.dat`` and the other files.

    Raises
    ------
    TastemakerError
        If the download fails (offline, say) or the file is not the expected zip.
    """
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = root / HETREC_NAME
    if _is_hetrec(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    zip_path = root / f"{HETREC_NAME}.zip"
    fd, part = tempfile.mkstemp(prefix=f".{HETREC_NAME}-", suffix=".part", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(url, out, progress=progress, timeout=timeout)
        os.replace(part, zip_path)
    finally:
        if os.path.exists(part):
            os.unlink(part)
    folder = extract_hetrec(zip_path, target)
    zip_path.unlink()
    return folder


def _fetch(url: str, out, *, progress: bool, timeout: float) -> None:
    import http.client
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = None
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, unit="B", unit_scale=True, desc="download HetRec")
            try:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise TastemakerError(
            f"could not download {url} ({reason}); "
            "pass the folder with `tastemaker ingest hetrec PATH`"
        ) from exc


def extract_hetrec(zip_path: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Unzip a HetRec zip's files (flattened) into ``target``, atomically; returns ``target``."""
    import zipfile

    zip_path, target = Path(zip_path), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                for member in archive.infolist():
                    name = Path(member.filename).name  # flatten; never trust paths in a zip
                    if member.is_dir() or not name or name.startswith("."):
                        continue
                    with archive.open(member) as src, open(staging / name, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        except zipfile.BadZipFile as exc:
            raise TastemakerError(
                f"{zip_path} is not a zip file ({exc}); delete it and try again"
            ) from exc
        if not _is_hetrec(staging):
            raise TastemakerError(f"{zip_path} holds no {_MARKER}; is it the HetRec Last.fm zip?")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
