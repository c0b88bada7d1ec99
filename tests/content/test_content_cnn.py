"""The audio CNN: held-out clips land nearest their class's factors; seeded; saved without pickle."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import numpy as np
import pytest
from audio_synth import CLASSES, WARM, class_factors

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="session")
def clips(audio_dir):
    """(class names, warm flags, spectrograms) of the session's synthetic audio, via log_mel."""
    from tastemaker.content._mel import log_mel

    files = sorted(audio_dir.iterdir())
    labels = np.array([f.stem.rsplit("-", 1)[0] for f in files])
    warm = np.array([int(f.stem.rsplit("-", 1)[1]) < WARM for f in files])
    return labels, warm, [log_mel(f)[0] for f in files]


def small(**kwargs):
    from tastemaker.content import AudioRegressor

    settings = dict(channels=(32, 32), hidden=64, pools=(4,), epochs=15, batch_size=16, crop_frames=64,
                    validation_fraction=0.0, random_state=0)
    return AudioRegressor(**{**settings, **kwargs})


def targets(labels, noise=0.05, seed=0):
    """Each clip's factors: its class's vector plus a little noise (listeners are not exact)."""
    factors = class_factors(8)
    rng = np.random.default_rng(seed)
    return np.stack([factors[c] + noise * rng.normal(size=8) for c in labels]).astype(np.float32)


def nearest_class(predicted):
    factors = class_factors(8)
    names = list(factors)
    return np.array(names)[np.argmax(predicted @ np.stack([factors[n] for n in names]).T, axis=1)]


@pytest.fixture(scope="session")
def trained(clips, one_torch_thread):
    labels, warm, specs = clips
    return small().fit([s for s, w in zip(specs, warm) if w], targets(labels[warm]))


def test_held_out_clips_land_nearest_their_class(clips, trained):
    labels, warm, specs = clips
    predicted = trained.predict([s for s, w in zip(specs, warm) if not w])
    assert predicted.shape == ((~warm).sum(), 8)
    accuracy = np.mean(nearest_class(predicted) == labels[~warm])
    assert accuracy >= 13 / 14, list(zip(nearest_class(predicted), labels[~warm]))
    assert len(set(labels[~warm])) == len(CLASSES)  # tones, rhythms and timbres are all tested


def test_the_loss_falls_and_a_validation_split_keeps_the_best_epoch(clips):
    labels, warm, specs = clips
    train = [s for s, w in zip(specs, warm) if w]
    reg = small(epochs=6, validation_fraction=0.2).fit(train, targets(labels[warm]))
    losses = [h[1] for h in reg.history_]
    assert losses[-1] < losses[0]
    assert reg.validation_loss_ == min(h[2] for h in reg.history_) and reg.n_train_ == 34


def test_same_seed_same_model_and_other_lengths_predict(clips):
    labels, warm, specs = clips
    y = targets(labels)
    a = small(epochs=2).fit(specs[:20], y[:20]).predict(specs[20:24])
    b = small(epochs=2).fit(specs[:20], y[:20]).predict(specs[20:24])
    c = small(epochs=2, random_state=1).fit(specs[:20], y[:20]).predict(specs[20:24])
    assert np.array_equal(a, b) and not np.allclose(a, c)
    odd = small(epochs=1).fit(specs[:4], y[:4]).predict([specs[0][:, :5], specs[0][:, :1], specs[0]])
    assert odd.shape == (3, 8) and np.all(np.isfinite(odd))


def test_saved_without_pickle_and_loaded_back(clips, trained, tmp_path):
    from tastemaker.content import AudioRegressor

    _, _, specs = clips
    path = tmp_path / "audio.npz"
    trained.save(path, model_version="v1")
    with zipfile.ZipFile(path) as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())
    with np.load(path, allow_pickle=False) as data:
        assert any(k.startswith("net.") for k in data.files)
    loaded = AudioRegressor.load(path)
    assert np.allclose(loaded.predict(specs[:5]), trained.predict(specs[:5]), atol=1e-6)
    assert loaded.metadata_ == {"model_version": "v1"} and loaded.channels == (32, 32)


@pytest.mark.parametrize("kwargs, specs, factors, message", [
    ({"loss": "huber"}, [np.zeros((128, 10))] * 2, np.ones((2, 3)), "loss must be one of"),
    ({"epochs": 0}, [np.zeros((128, 10))] * 2, np.ones((2, 3)), "epochs must be a positive integer"),
    ({}, [np.zeros((64, 10))] * 2, np.ones((2, 3)), r"spectrogram 0 has shape \(64, 10\)"),
    ({}, [np.zeros((128, 10))] * 2, np.ones((3, 3)), "one row per spectrogram"),
    ({}, [np.zeros((128, 10))], np.ones((1, 3)), "at least two clips"),
    ({}, [np.full((128, 10), np.nan)] * 2, np.ones((2, 3)), "NaN"),
])
def test_bad_input_is_refused(kwargs, specs, factors, message):
    with pytest.raises(ValueError, match=message):
        small(**kwargs).fit(specs, factors)


def test_a_file_of_another_kind_is_refused(tmp_path):
    from tastemaker.cf import ImplicitALS
    from tastemaker.content import AudioRegressor
    import scipy.sparse as sp

    path = tmp_path / "als.npz"
    ImplicitALS(factors=2, iterations=1).fit(sp.random(5, 5, density=0.5, format="csr", random_state=0),
                                              show_progress=False).save(path)
    with pytest.raises(ValueError, match="not an audio model"):
        AudioRegressor.load(path)


def test_import_tastemaker_does_not_import_torch_or_librosa():
    code = ("import sys, tastemaker, tastemaker.content, tastemaker.cli; "
            "print(any(m in sys.modules for m in ('torch', 'librosa')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_pytorch_one_clear_error_and_predict_needs_fit(monkeypatch):
    from tastemaker.content import AudioRegressor
    from tastemaker.errors import InputError

    with pytest.raises(ValueError, match="not fitted yet"):
        AudioRegressor().predict([np.zeros((128, 10))])
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` does without the extra
    with pytest.raises(InputError, match=r"the audio CNN needs PyTorch; install the audio extra"):
        AudioRegressor().fit([np.zeros((128, 10))] * 2, np.ones((2, 3)))
    with pytest.raises(InputError, match="needs PyTorch"):
        AudioRegressor.load("audio.npz")
