"""Content models for the cold start: what an item sounds like, when nobody has played it yet.

Two inputs, two models, one goal: factors for items without listeners, so that they take part in
recommendations, similar items and playlists like any other item.

* Tabular audio features (Spotify Web API style: danceability, energy, tempo, valence …), per
  artist or track: :func:`ingest_audio_features`, :func:`load_audio_features`, and
  :class:`FeatureRegressor`, which maps them to normalised collaborative-filtering factors.
* Audio itself: :func:`ingest_audio` turns audio files into log-mel spectrograms (128 mel bins, a
  30 s excerpt from the middle of the track) and :class:`AudioRegressor` regresses item
  factors from them with a 1-D convolutional network over time, in the spirit of
  van den Oord, Dieleman and Schrauwen (2013) and Dieleman's 2014 work at Spotify. Needs the
  ``audio`` extra (PyTorch, librosa, soundfile), imported only when used.

The models only predict. The model bundle places what they predict among the trained items
(:meth:`~tastemaker.bundle.ModelBundle.add_items`), and the pipeline says when
(:mod:`tastemaker.pipeline`): ``tastemaker train`` places items by their audio features and
applies again the audio CNN that ``tastemaker train-audio`` fits.
"""

from __future__ import annotations

from tastemaker.content._clips import AudioIngestResult, default_spectrogram_dir, ingest_audio, load_spectrograms
from tastemaker.content._cnn import AudioRegressor
from tastemaker.content._features import (
    DEFAULT_FEATURES,
    FEATURE_COLUMNS,
    REQUIRED_FEATURES,
    ingest_audio_features,
    load_audio_features,
)
from tastemaker.content._regressor import FeatureRegressor, normalize_rows

__all__ = [
    "AudioRegressor",
    "ingest_audio",
    "load_spectrograms",
    "AudioIngestResult",
    "default_spectrogram_dir",
    "ingest_audio_features",
    "load_audio_features",
    "FeatureRegressor",
    "normalize_rows",
    "FEATURE_COLUMNS",
    "REQUIRED_FEATURES",
    "DEFAULT_FEATURES",
]
