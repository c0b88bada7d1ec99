"""Exports that parse, the command (one clear error for a bad week), and feedback into training."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tastemaker.cli import main
from tastemaker.data import load_interactions
from tastemaker.errors import InputError
from tastemaker.playlists import (discover_weekly, export_playlists, load_playlists, record_feedback,
                                  render_playlists)


@pytest.fixture
def stored(hetrec):
    store, bundle = hetrec
    discover_weekly(store, bundle, "2026-W48", user_ids=["2", "3"])
    return store, bundle, load_playlists(store, "2026-W48")


def test_json_csv_m3u_parse(stored, tmp_path):
    store, bundle, lists = stored
    data = json.loads(render_playlists(lists, "json"))
    assert [p["user_id"] for p in data] == ["2", "3"] and {p["week"] for p in data} == {"2026-W48"}
    assert all(set(i) == {"item_id", "name", "explanation"} and len(p["items"]) == 30
               for p in data for i in p["items"])
    rows = list(csv.DictReader(io.StringIO(render_playlists(lists, "csv"))))
    assert len(rows) == 60 and rows[0]["position"] == "1" and rows[0]["explanation"]
    assert [r["item_id"] for r in rows[:30]] == [i["item_id"] for i in data[0]["items"]]
    m3u = render_playlists(lists[:1], "m3u").splitlines()
    assert m3u[0] == "#EXTM3U"
    extinf = [line for line in m3u if line.startswith("#EXTINF:")]
    assert [line.split(",", 1)[1] for line in extinf] == [i["name"] for i in data[0]["items"]]
    entries = [line for line in m3u if not line.startswith("#")]
    assert len(entries) == 30 and all(e.startswith("http") or e.startswith("tastemaker:item:") for e in entries)
    with pytest.raises(InputError, match="one playlist") as err:
        render_playlists(lists, "m3u")
    assert err.value.setting == "user" and "--" not in str(err.value)  # the command names its flag
    path = export_playlists(lists, "csv", tmp_path / "dw.csv")
    assert path.read_text(encoding="utf-8").startswith("user_id,week,position")
    assert not list(tmp_path.glob(".dw.csv.*"))  # no temporary file left behind


@pytest.mark.slow
def test_command(hetrec_files, tmp_path, capsys):
    import shutil

    db = tmp_path / "cli.duckdb"
    shutil.copy(hetrec_files[0], db)
    base = ["--db", str(db), "--model", str(hetrec_files[1]), "discover-weekly"]
    assert main(base + ["--week", "2026-W48", "--user", "2", "--user", "3", "-o", str(tmp_path / "dw.json")]) == 0
    out = capsys.readouterr().out
    assert "2 playlists, 60 items" in out and "wrote 2 playlists as json" in out
    assert main(base + ["--week", "2026-W49", "--user", "2"]) == 0  # one listener: the playlist is shown
    out = capsys.readouterr().out
    assert "1 playlist, 30 items" in out and "#   item" in out and " also play" in out
    assert len(json.loads((tmp_path / "dw.json").read_text())) == 2
    assert main(base + ["--week", "2026-W48", "--user", "2", "--stored", "--format", "m3u",
                        "-o", str(tmp_path / "a.m3u")]) == 0
    assert "wrote 1 playlist as m3u" in capsys.readouterr().out
    assert (tmp_path / "a.m3u").read_text().count("#EXTINF") == 30
    assert main(base + ["--week", "2026-W48", "--stored", "--format", "csv", "-o", str(tmp_path / "s.csv")]) == 0
    assert (tmp_path / "s.csv").read_text().count("\n") == 61
    # bad input: one clear line each, nothing written
    before = (tmp_path / "dw.json").read_bytes()
    for args, text in [(["--week", "2026-W60"], "2026 has weeks 1 to 53"),
                       (["--week", "soon"], "is not an ISO week"),
                       (["--format", "m3u", "-o", str(tmp_path / "x.m3u")], "exactly one --user"),
                       (["-o", str(tmp_path / "dw.txt")], "give --format")]:
        assert main(base + args) == 2
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err
    assert main(base + ["--user", "nosuchuser"]) == 1
    assert capsys.readouterr().err.startswith("error: unknown user 'nosuchuser'")
    assert (tmp_path / "dw.json").read_bytes() == before and not (tmp_path / "x.m3u").exists()


def test_feedback_changes_the_next_models_input(stored):
    store, bundle, lists = stored
    items = [i["item_id"] for i in lists[0]["items"]]
    before = load_interactions(store, user_ids=["2"])
    record_feedback(store, "2", items[0], "play", duration_ms=12_000)   # skipped within 30 s
    record_feedback(store, "2", items[1], "skip", duration_ms=5_000)
    record_feedback(store, "2", items[2], "play", duration_ms=200_000)  # listened through
    record_feedback(store, "2", items[3], "save")
    after = load_interactions(store, user_ids=["2"])
    value = {item: after.user_items[0, after.items.index(item)] for item in items[:4]}
    assert value == {items[0]: -1.0, items[1]: -1.0, items[2]: 1.0, items[3]: 5.0}
    assert after.user_items.nnz == before.user_items.nnz + 4
    # the same short play outside the playlist is a play, as before
    store.append_events([{"user_id": "2", "item_id": items[4], "event": "play", "duration_ms": 12_000}])
    live = load_interactions(store, user_ids=["2"])
    assert live.user_items[0, live.items.index(items[4])] == 1.0
    with pytest.raises(InputError, match="play, skip or save"):
        record_feedback(store, "2", items[0], "like")
    # the next playlist never gives a skipped or saved item again (it is in the history now)
    from playlists_support import train_small

    retrained = train_small(None, store=store, blend=False).bundle
    nxt = discover_weekly(store, retrained, "2026-W49", user_ids=["2"], save=False)
    given = set(np.asarray(retrained.items.ids)[nxt.items[0]].tolist())
    assert not given & set(items)
