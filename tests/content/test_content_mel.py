"""Log-mel extraction: shapes, the middle 30 s, short tracks, every format, damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.content._mel import (EXCERPT_SECONDS, N_MELS, SAMPLE_RATE, excerpt_window, frames_for,
                                     log_mel)
from tastemaker.errors import InputError

sf = pytest.importorskip("soundfile")
pytest.importorskip("librosa")


def tone(freq: float, seconds: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_band(spec: np.ndarray) -> np.ndarray:
    return spec.astype(np.float32).argmax(axis=0)


def test_excerpt_window_takes_the_middle_or_everything():
    assert excerpt_window(90.0) == (30.0, 30.0)
    assert excerpt_window(30.0) == (0.0, 30.0)
    assert excerpt_window(12.5) == (0.0, 12.5)
    assert frames_for(30.0) == 646  # 22,050 Hz, hop 1,024: about 21.5 frames a second


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg"])
def test_a_long_track_gives_128_bands_of_its_middle_30_seconds(tmp_path, fmt):
    # 20 s of a low tone, 30 s of 1 kHz, 20 s of a high tone: only the middle may show
    audio = np.concatenate([tone(110, 20), tone(1000, 30), tone(4000, 20)])
    path = tmp_path / f"track.{fmt}"
    sf.write(path, audio, SAMPLE_RATE)
    spec, offset, duration = log_mel(path)
    assert spec.dtype == np.float16 and spec.shape == (N_MELS, frames_for(EXCERPT_SECONDS))
    assert offset == pytest.approx(20.0) and duration == pytest.approx(70.0)
    bands = peak_band(spec)[2:-2]  # the edge frames see the neighbours through the window
    assert np.all(bands == np.bincount(bands).argmax())
    reference, _, _ = log_mel(_write(tmp_path / "ref.wav", tone(1000, 5)))
    assert bands[0] == peak_band(reference)[5]


def _write(path, audio, sr=SAMPLE_RATE):
    sf.write(path, audio, sr)
    return path


def test_mp3_and_other_sample_rates_are_resampled(tmp_path):
    spec44, _, _ = log_mel(_write(tmp_path / "a.wav", tone(1000, 40, 44100), 44100))
    spec, _, _ = log_mel(_write(tmp_path / "b.mp3", tone(1000, 40, 44100), 44100))
    assert spec44.shape == spec.shape == (N_MELS, 646)
    assert np.median(peak_band(spec)) == np.median(peak_band(spec44))


def test_a_short_track_is_used_whole(tmp_path):
    spec, offset, duration = log_mel(_write(tmp_path / "short.ogg", tone(440, 5.0)))
    assert spec.shape == (N_MELS, frames_for(5.0)) and offset == 0.0 and duration == pytest.approx(5.0)


def test_silence_is_floored_not_minus_infinity(tmp_path):
    spec, _, _ = log_mel(_write(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE * 3, dtype=np.float32)))
    assert np.all(np.isfinite(spec.astype(np.float32))) and spec.min() == -100


@pytest.mark.parametrize("content, message", [
    (b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 4, "cannot read this audio file"),
    (b"not audio at all", "cannot read this audio file"),
])
def test_damaged_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        log_mel(path)
    assert str(path) in str(err.value)


def test_a_cut_short_file_and_a_too_short_track(tmp_path):
    whole = _write(tmp_path / "whole.flac", tone(440, 10))
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(InputError, match="cut.flac"):
        log_mel(cut)
    with pytest.raises(InputError, match="shorter than 1 s"):
        log_mel(_write(tmp_path / "blip.wav", tone(440, 0.4)))
