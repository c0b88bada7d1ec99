"""The commands end to end on synthetic audio: ingest audio, train, train-audio, similar, recommend."""

from __future__ import annotations

import numpy as np
import pytest
from audio_synth import CLASSES, WARM

from tastemaker.recommender import Recommender

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def cls(item: str) -> str:
    return item.replace(" ", "-").rsplit("-", 1)[0]


@pytest.mark.slow
def test_songs_without_listeners_are_placed_by_their_sound(run_cli, audio_dir, events_csv):
    assert run_cli("ingest", "events", events_csv)[0] == 0
    code, out, err = run_cli("train", "--factors", "8", "--regularization", "0.1")
    assert code == 0, err
    code, out, err = run_cli("ingest", "audio", audio_dir)
    assert code == 0, err
    cold = len(CLASSES) * (8 - WARM)
    assert f"56 audio files: 56 new spectrograms, 0 replaced, 0 unchanged; {cold} new items" in out
    code, out, err = run_cli("train-audio", "--epochs", "15")
    assert code == 0, err
    assert "learned from 42 songs with listeners" in out and f"placed {cold} songs without listeners by their sound" in out
    model = run_cli.db.parent / "models" / "als.npz"
    assert (run_cli.db.parent / "models" / "als.audio.npz").is_file()
    rec = Recommender.load(model)
    placed = rec.metadata["cold_items"]["audio"]
    assert len(placed) == cold and rec.history.shape[1] == 56
    # every cold song's nearest songs are of its own class (sound -> listeners' taste)
    agree = [np.mean([cls(i) == cls(c) for i, _, _ in rec.similar(c, n=3)]) for c in placed]
    assert np.mean(agree) >= 0.9
    code, out, _ = run_cli("similar", "tone_low-7", "-n", "3")
    assert code == 0 and out.count("tone_low") == 4  # the title and three neighbours
    # a listener of two classes gets cold songs of those classes before any other cold song
    user = "u0"
    liked = {cls(i) for i, _, _ in rec.top_items(user, n=20)}
    recs = [r.item_id for r in rec.recommend(user, n=56 - 8) if r.item_id in placed]
    assert {cls(i) for i in recs[:2 * (8 - WARM)]} <= liked
    # train-audio again re-places the same songs instead of adding them twice
    code, out, err = run_cli("train-audio", "--epochs", "2")
    assert code == 0, err
    assert Recommender.load(model).history.shape[1] == 56


def test_errors_are_one_line(run_cli, events_csv, tmp_path):
    code, _, err = run_cli("ingest", "audio", tmp_path / "nowhere")
    assert code == 1 and err.strip().startswith("error: ") and "folder not found" in err and err.count("\n") == 1
    assert run_cli("ingest", "events", events_csv)[0] == 0
    assert run_cli("train", "--factors", "8", "--regularization", "0.1")[0] == 0
    code, _, err = run_cli("train-audio")
    assert code == 1 and "the store holds no spectrograms" in err and err.count("\n") == 1
    bad = tmp_path / "features.csv"
    bad.write_text("artists,energy\nx,1\n")
    code, _, err = run_cli("ingest", "audio-features", bad)
    assert code == 1 and "missing column(s): acousticness" in err
