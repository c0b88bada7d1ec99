"""Synthetic audio whose classes are known: tones, rhythms and timbres, each class a factor vector.

Every clip is a variation of its class (random phase, level, small detuning or tempo jitter, a
little noise), so a model must learn the class's sound, not one waveform.
"""

from __future__ import annotations

import numpy as np

SR = 22050
#: clips per class in the test fixtures: the first WARM have listeners, the rest are cold (no plays)
PER_CLASS, WARM = 8, 6

#: class -> (what it is, parameters)
CLASSES = {
    "tone_low": ("tone", 220.0),
    "tone_high": ("tone", 1760.0),
    "clicks_slow": ("clicks", 60.0),
    "clicks_fast": ("clicks", 240.0),
    "noise_low": ("noise", (100.0, 600.0)),
    "noise_high": ("noise", (4000.0, 8000.0)),
    "harmonics": ("harmonics", 330.0),
}


def synth(kind: str, param, seconds: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """One clip of ``seconds`` of the given class, float32 in [-1, 1]."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    level = rng.uniform(0.2, 0.5)
    if kind == "tone":
        f = param * rng.uniform(0.97, 1.03)
        y = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    elif kind == "harmonics":
        f = param * rng.uniform(0.97, 1.03)
        y = sum(np.sin(2 * np.pi * f * h * t + rng.uniform(0, 2 * np.pi)) / h for h in range(1, 9))
    elif kind == "clicks":
        bpm = param * rng.uniform(0.95, 1.05)
        y = np.zeros(n)
        period = int(sr * 60.0 / bpm)
        burst = rng.normal(size=200) * np.exp(-np.arange(200) / 30.0)
        for start in range(int(rng.integers(0, period)), n - 200, period):
            y[start:start + 200] += burst
    elif kind == "noise":
        lo, hi = param
        spectrum = np.fft.rfft(rng.normal(size=n))
        freqs = np.fft.rfftfreq(n, 1.0 / sr)
        spectrum[(freqs < lo) | (freqs > hi)] = 0
        y = np.fft.irfft(spectrum, n)
    else:
        raise ValueError(kind)
    y = y / (np.abs(y).max() + 1e-9) * level + rng.normal(scale=0.003, size=n)
    return y.astype(np.float32)


def class_factors(n_factors: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    """A random unit vector per class: the 'collaborative' factors the audio should predict."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(CLASSES), n_factors))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return dict(zip(CLASSES, vectors.astype(np.float32)))


def item_id(cls: str, j: int) -> str:
    """The item id of clip ``j`` of class ``cls``."""
    return f"{cls}-{j}"
