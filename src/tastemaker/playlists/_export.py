"""Export stored playlists as JSON, CSV or extended M3U, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from tastemaker._atomic import atomic_write
from tastemaker.errors import InputError

__all__ = ["FORMATS", "export_playlists", "render_playlists"]

FORMATS = ("json", "csv", "m3u")
CSV_COLUMNS = ("user_id", "week", "position", "item_id", "name", "explanation", "reason")


def render_playlists(playlists: list[dict], fmt: str) -> str:
    """The text of ``playlists`` (as :func:`load_playlists` returns them) in ``fmt``.

    * ``json``: ``[{"user_id", "week", "items": [{"item_id", "name", "explanation"}]}]``
    * ``csv``: one row per item: ``user_id, week, position, item_id, name, explanation, reason``
    * ``m3u``: ``#EXTM3U``, then ``#EXTINF:-1,name`` and the item's URL (or a ``tastemaker:item:``
      URI) per item; one playlist, so exactly one listener.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}", hint="use one of " + ", ".join(FORMATS), setting="format")
    if fmt == "json":
        data = [{"user_id": p["user_id"], "week": p["week"],
                 "items": [{"item_id": i["item_id"], "name": i["name"], "explanation": i["explanation"]}
                           for i in p["items"]]} for p in playlists]
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for p in playlists:
            for i in p["items"]:
                writer.writerow([p["user_id"], p["week"], i["position"], i["item_id"], i["name"], i["explanation"],
                                 i["reason"]])
        return out.getvalue()
    if len(playlists) != 1:
        raise InputError(f"an M3U file holds one playlist, not {len(playlists)}",
                         hint="export one listener, or every listener as json or csv", setting="user")
    p = playlists[0]
    lines = ["#EXTM3U", f"#PLAYLIST:Discover Weekly {p['week']} for {p['user_id']}"]
    for i in p["items"]:
        name = " ".join(str(i["name"]).split())  # one line
        lines.append(f"#EXTINF:-1,{name}")
        lines.append(i.get("url") or f"tastemaker:item:{i['item_id']}")
    return "\n".join(lines) + "\n"


def export_playlists(playlists: list[dict], fmt: str, output: str | os.PathLike) -> Path:
    """Write :func:`render_playlists`'s text to ``output`` atomically (a temporary file renamed)."""
    text = render_playlists(playlists, fmt)
    path = Path(output).expanduser()
    if path.is_dir():
        raise InputError("is a folder", path=path, hint="give a file name, e.g. discover-weekly." + fmt)
    if not path.parent.is_dir():
        raise InputError("its folder does not exist", path=path, hint="create the folder first")
    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path
