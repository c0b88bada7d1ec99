"""The audio CNN on the model bundle: ``tastemaker train-audio`` fits it on the songs that have
listeners, and every training applies it again to place the songs that have none.

The network regresses the L2-normalised factors of the model it was fitted on. Those factors
move at every training, so its output is never used as factors directly: a ridge map from its
output to the *current* factors (:func:`~tastemaker.hybrid.place_by_embedding`), learned on the
songs with listeners, turns it into a placement. :func:`place_by_audio_model` does that, for
``train-audio`` right after fitting and for the pipeline's ``place`` step at every training, so a
network fitted once keeps placing songs through any number of trainings (even with another number
of factors).

Which songs it places: those with a spectrogram that the model did not learn from plays and that
no surer signal placed. The order is the pipeline's: culture, then the audio CNN, then audio
features; so a song placed by its tags keeps that placement, and one placed by its audio features
is placed again by its sound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tastemaker.bundle import PLACED_BY, ModelBundle, version_key
from tastemaker.errors import InputError

__all__ = ["place_by_audio_model", "audio_split", "train_audio_model", "AudioTrainResult", "REPLACES"]

#: the signals the audio CNN places again (the ones after it in the pipeline's order, and itself)
REPLACES = ("audio", "audio-features")


def audio_split(bundle: ModelBundle, item_ids) -> tuple[np.ndarray, np.ndarray]:
    """Masks over ``item_ids`` (songs with spectrograms): *warm*, learned from plays and played
    by someone (what the CNN and its map learn from), and *cold*, the songs it places (not in the
    bundle, or placed before by a signal in :data:`REPLACES`)."""
    table = bundle.items._table()
    codes = bundle.placed_codes
    listeners = bundle.listeners
    replaced = [PLACED_BY.index(s) for s in REPLACES]
    cols = np.asarray([table.get(i, -1) for i in np.asarray(item_ids, dtype=str).tolist()], dtype=np.int64)
    known = cols >= 0
    code = np.where(known, codes[np.where(known, cols, 0)], -1)
    warm = known & (code == 0) & (listeners[np.where(known, cols, 0)] > 0)
    cold = ~known | np.isin(code, replaced)
    return warm, cold


def place_by_audio_model(bundle: ModelBundle, cnn, item_ids, spectrograms, *, names: Mapping[str, str] | None = None,
                         rows: Callable[[np.ndarray], dict] | None = None) -> np.ndarray:
    """Place the songs without listeners into ``bundle`` by the audio CNN's output (in place).

    Parameters
    ----------
    bundle : ModelBundle
        With item factors; gains (or re-places) the cold songs of :func:`audio_split`.
    cnn : AudioRegressor
        A fitted network (any number of outputs: the map to the bundle's factors is learned here).
    item_ids : sequence of str
        The songs with spectrograms.
    spectrograms : sequence of ndarray (128 x frames)
        One per id.
    names : mapping of str to str, optional
        Display names of new songs (default: the bundle's name of a song it knows, else the id).
    rows : callable, optional
        ``rows(ids) -> {block: rows}``: the content rows of the songs placed (see
        :meth:`ModelBundle.add_items`); default: the rows the bundle holds for the songs it
        knows, zeros for new ones (the next training gives them theirs).

    Returns
    -------
    ndarray of str
        The ids placed (empty when fewer than two songs with listeners have a spectrogram, or
        none is cold).
    """
    ids = np.asarray(list(item_ids), dtype=str)
    if len(ids) != len(spectrograms):
        raise ValueError(f"{len(spectrograms)} spectrograms for {len(ids)} item ids")
    warm, cold = audio_split(bundle, ids)
    if warm.sum() < 2 or not cold.any():
        return np.zeros(0, dtype=str)
    from tastemaker.hybrid import place_by_embedding

    E_warm = cnn.predict([spectrograms[k] for k in np.flatnonzero(warm)])
    E_cold = cnn.predict([spectrograms[k] for k in np.flatnonzero(cold)])
    V = np.asarray(bundle.cf.item_factors_)
    factors = place_by_embedding(E_warm, V[bundle.items.indices(ids[warm])], E_cold)
    new = ids[cold]
    table = bundle.items._table()
    known = {i: table[i] for i in new.tolist() if i in table}
    shown = [names.get(i, i) if names is not None else (bundle.name(known[i]) if i in known else i)
             for i in new.tolist()]
    bundle.add_items(new, shown, factors, "audio", rows=rows(new) if rows is not None else _kept_rows(bundle, new))
    return new


def _kept_rows(bundle: ModelBundle, ids: np.ndarray) -> dict[str, np.ndarray]:
    """The bundle's content rows of ``ids`` (zeros for the ones it does not know)."""
    table = bundle.items._table()
    cols = np.asarray([table.get(i, -1) for i in ids.tolist()], dtype=np.int64)
    out = {}
    for name, block in bundle.signals.items():
        block = np.asarray(block, np.float32).reshape(len(bundle.items), -1)
        out[name] = np.where((cols >= 0)[:, None], block[np.maximum(cols, 0)], 0.0).astype(np.float32)
    return out


@dataclass
class AudioTrainResult:
    """What :func:`train_audio_model` did.

    Attributes
    ----------
    bundle : ModelBundle
        The new version (saved).
    path : Path
        Its directory.
    audio_path : Path
        The CNN (``<models>/audio.npz``).
    cnn : AudioRegressor
        The fitted network.
    trained_on : int
        Songs with listeners it learned from.
    placed : list of str
        Ids of the songs without listeners it placed.
    index_kind : str
    seconds : dict
        ``read``, ``fit``, ``place``, ``index``, ``save``.
    """

    bundle: ModelBundle
    path: Path
    audio_path: Path
    cnn: object
    trained_on: int
    placed: list[str]
    index_kind: str
    seconds: dict[str, float] = field(default_factory=dict)


def train_audio_model(db_path, root, regressor=None, *, index: str = "auto", show_progress: bool = False
                      ) -> AudioTrainResult:
    """Fit the audio CNN on the current model's songs with listeners, place the songs without,
    and save both: ``read -> fit -> place -> index -> save``.

    Parameters
    ----------
    db_path : path
        The store with the spectrograms (``tastemaker ingest audio``); opened read-only, and
        only while they are read.
    root : path
        The model directory: its current version is read, a new one is saved, and the CNN is
        written to :func:`~tastemaker.pipeline.audio_model_path` (``tastemaker train`` applies
        it again at every training).
    regressor : AudioRegressor, optional
        Unfitted, with the settings to use (default ``AudioRegressor()``).
    index : str
        The retrieval index of the new version (as :attr:`TrainSettings.index`).
    show_progress : bool
        A progress bar over the CNN's epochs.

    Raises
    ------
    InputError
        No model, a model without factors, no spectrograms, fewer than two songs with listeners
        and spectrograms, or a new model version saved meanwhile. Nothing is written then: the
        current version and the CNN file stay as they were (both are written at the end, the
        CNN renamed into place only once the new version is current).
    """
    from tastemaker._atomic import atomic_write
    from tastemaker.content import AudioRegressor, load_spectrograms
    from tastemaker.data import Store
    from tastemaker.pipeline._train import audio_model_path

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    root = Path(root)
    key = version_key(root)
    bundle = ModelBundle.load(root, index=False)
    regressed = bundle.version
    if not bundle.cf.has_factors:
        raise InputError(f"a {type(bundle.cf).__name__} model has no item factors for the audio CNN to learn",
                         hint="train a factor model (als or sgd) first")
    db_path = Path(db_path)
    if not db_path.exists():
        raise InputError(f"no store at {db_path}", hint="ingest data first, e.g. `tastemaker ingest hetrec`")
    with Store(db_path, read_only=True) as store:
        ids, specs = load_spectrograms(store)
        if not len(ids):
            raise InputError("the store holds no spectrograms", path=store.location,
                             hint="ingest audio first: `tastemaker ingest audio DIR`")
        names = dict(store.con.execute("SELECT item_id, coalesce(name, item_id) FROM items").fetchall())
        location = store.location
    seconds["read"] = round(time.perf_counter() - started, 3)

    warm, _ = audio_split(bundle, ids)
    if warm.sum() < 2:
        raise InputError(f"only {int(warm.sum())} song(s) with listeners have spectrograms; the audio CNN needs "
                         "at least 2 to learn from", path=location,
                         hint="ingest audio of songs that have plays, and train on the same store")
    cnn = regressor if regressor is not None else AudioRegressor()
    step = time.perf_counter()
    V = np.asarray(bundle.cf.item_factors_)[bundle.items.indices(ids[warm])]
    cnn.fit([specs[k] for k in np.flatnonzero(warm)], V, show_progress=show_progress)
    seconds["fit"] = round(time.perf_counter() - step, 3)

    step = time.perf_counter()
    placed = place_by_audio_model(bundle, cnn, ids, specs, names=names)
    seconds["place"] = round(time.perf_counter() - step, 3)
    step = time.perf_counter()
    kind = bundle.build_index(index)
    seconds["index"] = round(time.perf_counter() - step, 3)

    bundle.metadata["train_audio"] = {"trained_on": int(warm.sum()), "placed": len(placed),
                                      "regressed_version": regressed, "validation_loss": cnn.validation_loss_,
                                      "seconds": dict(seconds)}
    step = time.perf_counter()
    audio_path = audio_model_path(root)
    if version_key(root) != key:
        raise InputError(f"a new model version was saved in {root} while the audio CNN trained",
                         hint="run train-audio again, on the new version")
    with atomic_write(audio_path) as fh:  # renamed into place only if the new version is saved
        cnn.save(fh, model_version=regressed)
        path = bundle.save(root)
    seconds["save"] = round(time.perf_counter() - step, 3)
    return AudioTrainResult(bundle, path, audio_path, cnn, int(warm.sum()), placed.tolist(), kind, seconds)
