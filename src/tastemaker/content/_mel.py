"""Log-mel spectrograms of a 30 s excerpt from the middle of a track (librosa, imported lazily).

The settings follow Dieleman and Schrauwen's work on Spotify's audio (2014): 22,050 Hz mono,
128 mel bands, about 21.5 frames per second (2,048-sample windows, hop 1,024), so 30 s are
646 frames. Values are decibels of mel power (``10 log10``, floored at -100 dB), stored as
float16.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tastemaker.errors import InputError

__all__ = ["SAMPLE_RATE", "N_MELS", "N_FFT", "HOP_LENGTH", "EXCERPT_SECONDS", "MIN_SECONDS",
           "AUDIO_SUFFIXES", "excerpt_window", "log_mel", "frames_for"]

SAMPLE_RATE = 22050
N_MELS = 128
N_FFT = 2048
HOP_LENGTH = 1024
EXCERPT_SECONDS = 30.0
#: a file with less sound than this is reported, not used
MIN_SECONDS = 1.0
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg")
_FLOOR_DB = -100.0


def frames_for(seconds: float) -> int:
    """Spectrogram frames for ``seconds`` of audio (librosa's centred frames)."""
    return 1 + int(round(seconds * SAMPLE_RATE)) // HOP_LENGTH


def excerpt_window(duration: float, seconds: float = EXCERPT_SECONDS) -> tuple[float, float]:
    """``(offset, length)`` in seconds of the excerpt: ``seconds`` from the middle, or all of a
    shorter track."""
    if duration <= seconds:
        return 0.0, float(duration)
    return (duration - seconds) / 2.0, float(seconds)


def _duration(path: Path) -> float:
    import soundfile

    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # libsndfile says why in its own words; any failure is a bad file
        raise InputError(f"cannot read this audio file ({_reason(exc)})", path=path,
                         hint="check it plays; convert it to WAV, FLAC, OGG or MP3") from None
    if info.samplerate <= 0 or info.frames <= 0:
        raise InputError("holds no audio", path=path, hint="remove it or give a file with sound")
    return info.frames / info.samplerate


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace(" : ", ": ")


def log_mel(path: str | os.PathLike, seconds: float = EXCERPT_SECONDS) -> tuple[np.ndarray, float, float]:
    """The log-mel spectrogram of the middle ``seconds`` of an audio file.

    Parameters
    ----------
    path : str or os.PathLike
        A WAV, MP3, FLAC or OGG file (anything libsndfile reads).
    seconds : float
        Excerpt length.

    Returns
    -------
    spectrogram : ndarray of float16, shape (128, frames)
        Mel bands x time; ``frames_for(seconds)`` frames (646 for 30 s), fewer for a shorter track.
    offset : float
        Where the excerpt starts, in seconds.
    duration : float
        The whole track's length, in seconds.

    Raises
    ------
    InputError
        An unreadable or damaged file, or less than :data:`MIN_SECONDS` of audio.
    """
    try:
        import librosa
        import soundfile
    except ImportError:
        raise InputError("reading audio needs librosa and soundfile",
                         hint="install the audio extra: pip install 'tastemaker[audio]'") from None

    path = Path(path)
    duration = _duration(path)
    if duration < MIN_SECONDS:
        raise InputError(f"is {duration:.2f} s long, shorter than {MIN_SECONDS:g} s", path=path,
                         hint="give at least a second of audio")
    offset, length = excerpt_window(duration, seconds)
    try:
        with soundfile.SoundFile(str(path)) as f:
            f.seek(int(offset * f.samplerate))
            audio = f.read(int(round(length * f.samplerate)), dtype="float32", always_2d=True)
            rate = f.samplerate
    except Exception as exc:
        raise InputError(f"cannot decode this audio file ({_reason(exc)})", path=path,
                         hint="check it plays; convert it to WAV, FLAC, OGG or MP3") from None
    if audio.shape[0] < MIN_SECONDS * rate:
        raise InputError(f"decodes to {audio.shape[0] / rate:.2f} s of audio, shorter than {MIN_SECONDS:g} s",
                         path=path, hint="the file may be cut short; check it plays")
    mono = audio.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise InputError("decodes to NaN or infinite samples", path=path, hint="the file is damaged")
    if rate != SAMPLE_RATE:
        mono = librosa.resample(mono, orig_sr=rate, target_sr=SAMPLE_RATE)
    mel = librosa.feature.melspectrogram(y=mono, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH,
                                         n_mels=N_MELS, power=2.0)
    db = 10.0 * np.log10(np.maximum(mel, 10.0 ** (_FLOOR_DB / 10.0)))
    return db.astype(np.float16), float(offset), float(duration)
