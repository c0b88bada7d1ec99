"""The commands end to end on synthetic audio: ingest audio, train, train-audio, similar,
recommend; and the audio CNN's placements surviving every training after it."""

from __future__ import annotations

import numpy as np
import pytest
from audio_synth import CLASSES, PER_CLASS, WARM, item_id

from tastemaker.bundle import ModelBundle
from tastemaker.content import normalize_rows

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COLD = sorted(item_id(c, j) for c in CLASSES for j in range(WARM, PER_CLASS))


def cls(item: str) -> str:
    return item.replace(" ", "-").rsplit("-", 1)[0]


def nearest_class(bundle: ModelBundle, items) -> list[str]:
    """The class whose songs with listeners are closest (cosine of the mean unit factors) to each item."""
    F = normalize_rows(np.asarray(bundle.cf.item_factors_))
    names = list(CLASSES)
    centres = normalize_rows(np.stack([F[bundle.items.indices([item_id(c, j) for j in range(WARM)])].mean(axis=0)
                                       for c in names]))
    return [names[k] for k in np.argmax(F[bundle.items.indices(list(items))] @ centres.T, axis=1)]


def check_placed_by_sound(bundle: ModelBundle) -> None:
    """Every cold song is placed by audio, nearest its own class, and found and recommended as such."""
    assert sorted(bundle.placed_items()["audio"]) == COLD and len(bundle.items) == len(CLASSES) * PER_CLASS
    landed = nearest_class(bundle, COLD)
    assert np.mean([a == cls(c) for a, c in zip(landed, COLD)]) >= 13 / 14, list(zip(COLD, landed))
    agree = [np.mean([cls(s.item_id) == cls(c) for s in bundle.similar(c, n=3)]) for c in COLD]
    assert np.mean(agree) >= 0.9
    # a listener of two classes gets the cold songs of those classes before any other cold song
    liked = {cls(i) for i, _, _ in bundle.top_items("u0", n=20)}
    recs = [r for r in bundle.recommend("u0", n=len(bundle.items) - 8) if r.placed_by]
    assert all(r.placed_by == "audio" for r in recs)
    assert {cls(r.item_id) for r in recs[:2 * (PER_CLASS - WARM)]} <= liked


@pytest.mark.slow
def test_songs_placed_by_their_sound_stay_placed_through_every_training(run_cli, audio_dir, events_csv):
    assert run_cli("ingest", "events", events_csv)[0] == 0
    code, out, err = run_cli("train", "--factors", "8", "--regularization", "0.1")
    assert code == 0, err
    code, out, err = run_cli("ingest", "audio", audio_dir)
    assert code == 0, err
    assert f"56 audio files: 56 new spectrograms, 0 replaced, 0 unchanged; {len(COLD)} new items" in out
    models = run_cli.db.parent / "models"
    before = (models / "CURRENT").read_text()
    code, out, err = run_cli("train-audio", "--epochs", "15")
    assert code == 0, err
    assert "learned from 42 songs with listeners" in out and f"placed {len(COLD)} songs without listeners" in out
    assert (models / "audio.npz").is_file() and (models / "CURRENT").read_text() != before
    first = ModelBundle.load(models)
    check_placed_by_sound(first)
    assert first.metadata["train_audio"]["regressed_version"] == before.strip()
    code, out, _ = run_cli("similar", "tone_low-7", "-n", "3")
    assert code == 0 and out.count("tone_low") == 4  # the title and three neighbours

    # train again, with other factors: the CNN is applied again through a map to the new ones
    code, out, err = run_cli("train", "--factors", "10", "--regularization", "0.1")
    assert code == 0, err
    assert f"placed items without plays: {len(COLD)} by audio" in out
    second = ModelBundle.load(models)
    assert second.version != first.version and np.asarray(second.cf.item_factors_).shape == (56, 10)
    check_placed_by_sound(second)
    code, out, _ = run_cli("similar", "clicks_fast-6", "-n", "3")
    assert code == 0 and out.count("clicks_fast") == 4
    code, out, _ = run_cli("recommend", "u0", "-n", "8")  # u0 has 8 songs of their classes left
    liked = {cls(i) for i, _, _ in second.top_items("u0", n=20)}
    shown = [i for i in COLD if i in out]
    assert code == 0 and len(shown) >= 2 and {cls(i) for i in shown} <= liked, out

    # train-audio again places the same songs again instead of adding them twice
    code, out, err = run_cli("train-audio", "--epochs", "2", "--index", "none")
    assert code == 0, err
    third = ModelBundle.load(models)
    assert len(third.items) == 56 and sorted(third.placed_items()["audio"]) == COLD and third.index is None


TEXTS = "item_id,text\n" + "".join(
    f"{item_id(c, j)},{words}\n"
    for c, words in (("tone_low", "a deep low drone hum"), ("tone_high", "a piercing high whistle tone"))
    for j in (*range(WARM), PER_CLASS - 1))


def features_csv(path, items) -> None:
    """Audio features (the Spotify columns) for the songs named ``items``."""
    from tastemaker.content import REQUIRED_FEATURES

    rng = np.random.default_rng(0)
    lines = ["artists," + ",".join(REQUIRED_FEATURES)]
    for name in items:
        lines.append(name + "," + ",".join(f"{v:.3f}" for v in rng.uniform(0.1, 0.9, len(REQUIRED_FEATURES))))
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_culture_places_before_the_cnn_and_the_cnn_before_audio_features(home, run_cli, tmp_path):
    (tmp_path / "texts.csv").write_text(TEXTS)
    assert run_cli("ingest", "texts", tmp_path / "texts.csv")[0] == 0
    # audio features for the clicks: the songs with listeners (named "clicks_fast 0" by the plays)
    # and one without (named by its file)
    features_csv(tmp_path / "features.csv", [f"clicks_fast {j}" for j in range(WARM)] + ["clicks_fast-7"])
    assert run_cli("ingest", "audio-features", tmp_path / "features.csv")[0] == 0
    code, out, err = run_cli("train", "--factors", "8", "--regularization", "0.1")
    assert code == 0, err
    assert "placed items without plays: 2 by culture, 1 by audio-features" in out  # no CNN yet
    code, out, err = run_cli("train-audio", "--epochs", "2")
    assert code == 0, err
    bundle = ModelBundle.load(home / "models")
    tagged = {item_id("tone_low", PER_CLASS - 1), item_id("tone_high", PER_CLASS - 1)}
    assert set(bundle.placed_items()["culture"]) == tagged  # its tags outrank its sound
    assert sorted(bundle.placed_items()["audio"]) == sorted(set(COLD) - tagged)  # clicks_fast-7 too
    clicks = bundle.items.index("clicks_fast-7")
    assert np.any(np.asarray(bundle.signals["audio"])[clicks])  # its audio features stay in the blend
    code, out, err = run_cli("train", "--factors", "8", "--regularization", "0.1")
    assert code == 0, err
    assert f"placed items without plays: 2 by culture, {len(COLD) - 2} by audio" in out
    bundle = ModelBundle.load(home / "models")
    assert set(bundle.placed_items()["culture"]) == tagged and "audio-features" not in bundle.placed_items()
    assert {cls(s.item_id) for s in bundle.similar("tone_low-7", n=3, by="culture")} == {"tone_low"}


def test_a_failed_train_audio_leaves_the_model_and_the_cnn_as_they_were(home, monkeypatch):
    from tastemaker.content import AudioRegressor
    from tastemaker.errors import InputError
    from tastemaker.pipeline import train_audio_model

    models = home / "models"
    before = sorted(p.name for p in models.iterdir())
    current = (models / "CURRENT").read_text()

    def disk_full(self, root):
        raise OSError("No space left on device")

    monkeypatch.setattr(ModelBundle, "save", disk_full)
    tiny = AudioRegressor(channels=(8,), hidden=8, pools=(), epochs=1, validation_fraction=0.0)
    with pytest.raises(OSError, match="No space left"):
        train_audio_model(home / "tastemaker.duckdb", models, tiny)
    assert sorted(p.name for p in models.iterdir()) == before and (models / "CURRENT").read_text() == current
    assert not (models / "audio.npz").exists()
    monkeypatch.undo()
    with pytest.raises(InputError, match="no store at"):
        train_audio_model(home / "elsewhere.duckdb", models, tiny)
    assert sorted(p.name for p in models.iterdir()) == before


def test_errors_are_one_line(run_cli, events_csv, tmp_path):
    code, _, err = run_cli("ingest", "audio", tmp_path / "nowhere")
    assert code == 1 and err.strip().startswith("error: ") and "folder not found" in err and err.count("\n") == 1
    code, _, err = run_cli("train-audio")
    assert code == 1 and "no model at" in err and err.count("\n") == 1
    assert run_cli("ingest", "events", events_csv)[0] == 0
    assert run_cli("train", "--factors", "8", "--regularization", "0.1")[0] == 0
    current = (run_cli.db.parent / "models" / "CURRENT").read_text()
    code, _, err = run_cli("train-audio")
    assert code == 1 and "the store holds no spectrograms" in err and err.count("\n") == 1
    assert (run_cli.db.parent / "models" / "CURRENT").read_text() == current
    bad = tmp_path / "features.csv"
    bad.write_text("artists,energy\nx,1\n")
    code, _, err = run_cli("ingest", "audio-features", bad)
    assert code == 1 and "missing column(s): acousticness" in err
