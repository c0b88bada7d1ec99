"""ingest_audio: files to items, spectrograms on disk, idempotence, manifests, damaged files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from audio_synth import CLASSES, PER_CLASS, SR, synth

from tastemaker.content import ingest_audio, load_spectrograms
from tastemaker.errors import InputError

sf = pytest.importorskip("soundfile")


@pytest.fixture
def small_dir(tmp_path):
    """Four 4 s files: two tones and two click tracks, as wav and flac."""
    folder = tmp_path / "small"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("tone_low-0.wav", "tone_high-1.flac", "clicks_slow-2.wav", "clicks_fast-3.wav"):
        kind, param = CLASSES[name.split("-")[0]]
        sf.write(folder / name, synth(kind, param, 4.0, rng), SR)
    return folder


def clips(store):
    return store.con.execute("SELECT item_id, frames FROM audio_clips ORDER BY item_id").fetchall()


def spectrogram_files(store):
    folder = store.location.rsplit(".", 1)[0] + ".spectrograms"
    import pathlib

    return sorted(p.name for p in pathlib.Path(folder).rglob("*.npy"))


def test_files_become_items_with_spectrograms_and_a_second_run_does_nothing(store, small_dir):
    store.append_events([{"user_id": "u1", "item_id": "tone_low-0", "event": "play"}])
    result = ingest_audio(store, small_dir, progress=False)
    assert (result.files, result.added, result.replaced, result.unchanged, result.new_items) == (4, 4, 0, 0, 3)
    assert [r[0] for r in clips(store)] == ["clicks_fast-3", "clicks_slow-2", "tone_high-1", "tone_low-0"]
    assert all(r[1] == 1 + 4 * SR // 1024 for r in clips(store))  # 4 s clips, used whole
    kinds = dict(store.con.execute("SELECT item_id, kind FROM items").fetchall())
    assert kinds["tone_high-1"] == "track" and len(kinds) == 4
    assert len(spectrogram_files(store)) == 4
    again = ingest_audio(store, small_dir, progress=False)
    assert (again.added, again.replaced, again.unchanged, again.new_items) == (0, 0, 4, 0)
    ids, specs = load_spectrograms(store)
    assert ids.tolist() == [r[0] for r in clips(store)]
    assert all(s.shape == (128, 87) and s.dtype == np.float32 for s in specs)


def test_a_changed_file_replaces_its_spectrogram(store, small_dir):
    ingest_audio(store, small_dir, progress=False)
    before = spectrogram_files(store)
    sf.write(small_dir / "tone_low-0.wav", synth("tone", 880.0, 3.0, np.random.default_rng(1)), SR)
    result = ingest_audio(store, small_dir, progress=False)
    assert (result.added, result.replaced, result.unchanged) == (0, 1, 3)
    after = spectrogram_files(store)
    assert len(after) == 4 and after != before  # the old spectrogram is gone, not orphaned
    assert dict(clips(store))["tone_low-0"] == 1 + 3 * SR // 1024


def test_file_names_match_item_names_and_a_manifest_maps_paths(store, small_dir, tmp_path):
    store.append_events([{"user_id": "u1", "item_id": "42", "event": "play", "item_name": "Tone Low 0"}])
    (small_dir / "tone_low-0.wav").rename(small_dir / "tone low 0.wav")
    ingest_audio(store, small_dir, progress=False)
    assert "42" in dict(clips(store))
    manifest = tmp_path / "list.csv"
    manifest.write_text("path,item_id,name\nsmall/tone_high-1.flac,new-song,A New Song\n")
    result = ingest_audio(store, manifest, progress=False)
    assert result.files == 1 and result.new_items == 1
    name = store.con.execute("SELECT name FROM items WHERE item_id = 'new-song'").fetchone()[0]
    assert name == "A New Song"


@pytest.mark.parametrize("manifest, message", [
    ("path,item\nx.wav,1\n", "row 1: the header must name the columns path and item_id"),
    ("path,item_id\nmissing.wav,1\n", "row 2, column path: file 'missing.wav' not found"),
    ("path,item_id\ntone_low-0.wav,1\ntone_high-1.flac,1\n", "row 3, column item_id: item_id '1' also on row 2"),
    ("path,item_id\ntone_low-0.wav,\n", "row 2, column item_id: item_id is empty"),
    ("path,item_id\n", "lists no files"),
])
def test_bad_manifests_are_one_error_and_write_nothing(store, small_dir, manifest, message):
    (small_dir / "manifest.csv").write_text(manifest)
    with pytest.raises(InputError, match=message):
        ingest_audio(store, small_dir, progress=False)
    assert clips(store) == [] and store.stats()["items"] == 0


def test_a_damaged_file_stops_the_ingest_and_leaves_nothing_behind(store, small_dir):
    (small_dir / "zz-broken.ogg").write_bytes(b"OggS" + bytes(100))
    with pytest.raises(InputError, match="zz-broken.ogg: cannot read this audio file"):
        ingest_audio(store, small_dir, progress=False)
    assert clips(store) == [] and store.stats()["items"] == 0
    assert spectrogram_files(store) == []  # the good files' spectrograms were removed again
    result = ingest_audio(store, small_dir, skip_bad=True, progress=False)
    assert result.added == 4 and [b[0].rsplit("/", 1)[-1] for b in result.bad] == ["zz-broken.ogg"]


def test_no_audio_and_two_files_for_one_item(store, tmp_path, small_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no audio files"):
        ingest_audio(store, empty, progress=False)
    shutil.copy(small_dir / "tone_low-0.wav", small_dir / "tone_low-0.ogg")
    with pytest.raises(InputError, match="is item 'tone_low-0'"):
        ingest_audio(store, small_dir, progress=False)
    with pytest.raises(InputError, match="folder not found"):
        ingest_audio(store, tmp_path / "nope", progress=False)


def test_the_session_audio_covers_every_class(audio_dir):
    assert len(list(audio_dir.iterdir())) == len(CLASSES) * PER_CLASS


def test_a_failed_first_ingest_leaves_no_store_file(tmp_path, small_dir):
    from tastemaker.data import Store

    (small_dir / "zz-broken.wav").write_bytes(b"RIFF" + bytes(50))
    path = tmp_path / "new" / "store.duckdb"
    with Store(path) as store:
        with pytest.raises(InputError, match="zz-broken.wav"):
            ingest_audio(store, small_dir, progress=False)
    assert not path.exists()


def test_a_bad_manifest_on_a_new_store_leaves_no_store_file(tmp_path, small_dir):
    from tastemaker.data import Store

    (small_dir / "manifest.csv").write_text("path,item_id\nmissing.wav,1\n")
    path = tmp_path / "new" / "store.duckdb"
    with Store(path) as store:
        with pytest.raises(InputError, match="not found"):
            ingest_audio(store, small_dir, progress=False)
    assert not path.exists()
