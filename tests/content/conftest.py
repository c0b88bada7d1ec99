"""Fixtures for the content tests: synthetic audio with known classes, a store whose listeners
follow those classes, and torch kept to one thread."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from audio_synth import CLASSES, PER_CLASS, SR, WARM, item_id, synth


@pytest.fixture(scope="session")
def one_torch_thread():
    """PyTorch on one thread (the suite shares two cores); skips without the audio extra."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    """One 4 s clip per item, as wav, flac or ogg by turn, named by item id."""
    sf = pytest.importorskip("soundfile")
    folder = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(7)
    formats = ("wav", "flac", "ogg")
    n = 0
    for cls, (kind, param) in CLASSES.items():
        for j in range(PER_CLASS):
            sf.write(folder / f"{item_id(cls, j)}.{formats[n % 3]}", synth(kind, param, 4.0, rng), SR)
            n += 1
    return folder


@pytest.fixture(scope="session")
def events_csv(tmp_path_factory) -> Path:
    """Listeners who each love two classes and play their warm items (never the cold ones)."""
    rng = np.random.default_rng(3)
    names = list(CLASSES)
    path = tmp_path_factory.mktemp("events") / "plays.csv"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["user_id", "item_id", "event", "count", "timestamp", "item_name"])
        for u in range(84):
            liked = [names[u % len(names)], names[(u // len(names) + u + 1) % len(names)]]
            for cls in liked:
                for j in rng.choice(WARM, size=4, replace=False):
                    out.writerow([f"u{u}", item_id(cls, j), "play", int(rng.integers(5, 40)), "", f"{cls} {j}"])
    return path


@pytest.fixture
def store(tmp_path: Path):
    from tastemaker.data import Store

    with Store(tmp_path / "store" / "tastemaker.duckdb") as store:
        yield store


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``run_cli("train")`` runs ``tastemaker`` in-process on a store in tmp_path: (code, out, err)."""
    from tastemaker.cli import main

    for name in ("TASTEMAKER_HOME", "TASTEMAKER_DB", "TASTEMAKER_MODEL", "TASTEMAKER_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TASTEMAKER_HOME", str(tmp_path / "home"))
    db = tmp_path / "home" / "tastemaker.duckdb"

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--db", str(db), *[str(a) for a in args]])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.db = db
    return run


#: the collaborative model every content test trains (separates the synthetic classes)
ALS = {"factors": 8, "regularization": 0.1}


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory, audio_dir, events_csv) -> Path:
    """A home folder with a store (the listeners' plays and every synthetic clip) and a model
    trained on it, no audio CNN yet: copy it (``home``) before changing it."""
    from tastemaker.content import ingest_audio
    from tastemaker.data import Store, ingest_events
    from tastemaker.pipeline import TrainingPipeline, TrainSettings

    home = tmp_path_factory.mktemp("trained") / "home"
    db = home / "tastemaker.duckdb"
    with Store(db) as store:
        ingest_events(store, events_csv, progress=False)
        ingest_audio(store, audio_dir, progress=False)
    TrainingPipeline(TrainSettings(params=ALS)).run(db, home / "models")
    return home


@pytest.fixture
def home(trained_home, run_cli) -> Path:
    """A copy of ``trained_home`` where ``run_cli`` works (its store and ``models/``)."""
    import shutil

    shutil.copytree(trained_home, run_cli.db.parent)
    return run_cli.db.parent
