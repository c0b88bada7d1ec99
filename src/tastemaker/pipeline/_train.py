"""The training pipeline: the one place that knows the order of a training.

``read -> train -> signals -> place -> weigh -> index -> save``:

* **read**: the store's events as a users x items matrix, its tags and texts, audio features,
  spectrograms (when an audio CNN exists), and who tagged what (the store is held only here, so a
  running server can write while the model trains);
* **train**: the collaborative model (ALS by default);
* **signals**: cultural vectors (TF-IDF of tags and texts, persisted in the bundle) reduced by
  latent semantic analysis, and standardised audio features: the blend's content blocks;
* **place**: items nobody has played join the factor space from their content: by their
  descriptors (a ridge map, ``culture``), by the audio CNN's embedding of their spectrograms
  (``audio``; re-applied at every training through a map learned on the new factors, so its
  placements survive), or by their audio features (``audio-features``);
* **weigh**: the blend's weights, on a validation split of the training data (a share of the
  played items held out whole, a fifth of everyone else's plays), the model retrained without it;
* **index**: the retrieval index over the blended vectors (Voyager from 50,000 items, else exact);
* **save**: a new version of the bundle, made current atomically.

``tastemaker train``, ``tastemaker demo``, the weekly ``tastemaker pipeline`` and the benchmarks
all run :class:`TrainingPipeline`; the server only loads what it saves.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tastemaker.bundle import ModelBundle, training_metadata
from tastemaker.cf import ALGORITHMS, make_model
from tastemaker.data import Store, Vocabulary, load_interactions
from tastemaker.errors import InputError

__all__ = ["TrainingPipeline", "TrainSettings", "TrainResult", "STEPS", "audio_model_path"]

STEPS = ("read", "train", "signals", "place", "weigh", "index", "save")


def audio_model_path(root) -> Path:
    """Where the audio CNN (``tastemaker train-audio``) lives: beside the model versions."""
    return Path(root) / "audio.npz"


@dataclass(frozen=True)
class TrainSettings:
    """What to train and how (every field has the shipped default).

    Attributes
    ----------
    algorithm : str
        One of :data:`ALGORITHMS`.
    params : dict
        The model's hyper-parameters (``factors``, ``regularization`` …); empty: its defaults.
    place : bool
        Place items nobody has played from their content.
    blend : bool
        Learn the blend's weights (False: collaborative filtering alone is served).
    index : str
        ``auto``, ``voyager``, ``exact`` or ``none``.
    index_params : dict
        Voyager settings (``M``, ``ef_construction``, ``ef``, ``space``).
    culture_dims : int
        Dimensions the cultural vectors are reduced to for the blend (256: on HetRec's tuning
        split seeds 10-14 both the warm protocol and the cold start did better than with 64).
    validation_users : int
        At most this many listeners score the validation split (bounds the weighing step).
    engine : str
        ``local`` (here) or ``spark`` (the collaborative model trained on Spark).
    spark_master : str or None
    events : str or None
        Spark only: an events export on shared storage to train on instead of the store.
    random_state : int
    """

    algorithm: str = "als"
    params: dict = field(default_factory=dict)
    place: bool = True
    blend: bool = True
    index: str = "auto"
    index_params: dict = field(default_factory=dict)
    culture_dims: int = 256
    validation_users: int = 3000
    engine: str = "local"
    spark_master: str | None = None
    events: str | None = None
    random_state: int = 0

    def check(self) -> None:
        """One clear error for settings that do not fit together."""
        if self.algorithm not in ALGORITHMS:
            raise InputError(f"unknown algorithm {self.algorithm!r}; choose from {', '.join(ALGORITHMS)}",
                               setting="algorithm")
        factor_model = self.algorithm in ("als", "sgd")
        if self.index not in ("auto", "voyager", "exact", "none"):
            raise InputError(f"index must be auto, voyager, exact or none, not {self.index!r}", setting="index")
        if self.index in ("voyager", "exact") and not factor_model:
            raise InputError(f"a {self.index} index needs a factor model (als or sgd), not {self.algorithm}",
                               setting="index", hint="build no index for it")
        if self.index_params and self.index not in ("voyager", "auto"):
            raise InputError("Voyager settings are for Voyager indexes", setting=sorted(self.index_params)[0])
        if self.engine not in ("local", "spark"):
            raise InputError(f"engine must be local or spark, not {self.engine!r}", setting="engine")
        if self.engine == "spark":
            if self.algorithm != "als":
                raise InputError("the spark engine trains ALS only", setting="engine")
            if self.params.get("num_threads") is not None:
                raise InputError("threads are for the local engine; Spark's parallelism comes from its master",
                                   setting="num_threads")
        elif self.spark_master is not None or self.events is not None:
            raise InputError("a Spark master or an events export needs the spark engine",
                               setting="spark_master" if self.spark_master is not None else "events")
        if self.algorithm == "sgd" and self.params.get("iterations") is not None:
            raise InputError("iterations are for ALS; SGD has epochs", setting="iterations")
        if not factor_model:
            given = [k for k, v in self.params.items() if v is not None]
            if given:
                raise InputError(f"{self.algorithm} takes none of the factor-model settings ({', '.join(given)})",
                                   setting=given[0])


def peak_gib() -> float:
    """This process's peak resident memory so far, in GiB (0 where the platform does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**30 if sys.platform == "darwin" else 2**20), 3)  # bytes on macOS, KiB elsewhere


@dataclass
class TrainResult:
    """What a pipeline run made."""

    bundle: ModelBundle
    path: Path | None
    seconds: dict[str, float]
    placed: dict[str, int]
    index_kind: str
    notes: list[str] = field(default_factory=list)
    #: the process's peak resident memory (GiB) at the end of each step: where memory grew
    peak_gib: dict[str, float] = field(default_factory=dict)


@dataclass
class _Read:
    """Everything the pipeline reads from the store, read in one go."""

    data: object  # Interactions
    origin: str
    culture: object | None  # CulturalVectors over every described item
    audio_ids: np.ndarray
    audio: np.ndarray  # standardised features, one row per audio_ids
    taggers: dict[str, int]
    names: dict[str, str]
    spectrograms: tuple | None  # (ids, specs) when an audio CNN exists


class TrainingPipeline:
    """Runs the steps of :data:`STEPS` in order (see the module docstring).

    Parameters
    ----------
    settings : TrainSettings
    on_step : callable, optional
        Called after every step as ``on_step(name, seconds, detail)``; ``detail`` is a dict.
    show_progress : bool
        Progress bars of the long steps (training).
    """

    def __init__(self, settings: TrainSettings | None = None, *, on_step: Callable | None = None,
                 show_progress: bool = False):
        self.settings = settings if settings is not None else TrainSettings()
        self.on_step = on_step
        self.show_progress = show_progress

    def plan(self) -> list[str]:
        """The steps a run will take, in order, each with what it will do."""
        s = self.settings
        lines = ["read: the store's events, tags, texts and audio features",
                 f"train: {s.algorithm} ({', '.join(f'{k}={v}' for k, v in s.params.items()) or 'defaults'})"
                 + (" on Spark" if s.engine == "spark" else "")]
        factor_model = s.algorithm in ("als", "sgd")
        lines.append("signals: cultural vectors (TF-IDF, reduced to "
                     f"{s.culture_dims} dimensions) and audio features" if factor_model else "signals: skipped "
                     "(not a factor model)")
        lines.append("place: items without plays by culture, audio CNN, audio features"
                     if (s.place and factor_model) else "place: skipped")
        lines.append(f"weigh: blend weights on a validation split (up to {s.validation_users:,} listeners)"
                     if (s.blend and factor_model) else "weigh: skipped (collaborative filtering alone)")
        lines.append(f"index: {s.index}")
        lines.append("save: a new model version, made current atomically")
        return lines

    # --- running --------------------------------------------------------------------------------
    def run(self, db_path, root=None, *, store: Store | None = None) -> TrainResult:
        """Train on the store at ``db_path`` (or the open ``store``) and save under ``root``
        (None: keep the bundle in memory only)."""
        s = self.settings
        s.check()
        self._root = root
        seconds: dict[str, float] = {}
        peak: dict[str, float] = {}
        notes: list[str] = []

        def step(name: str, fn, *args):
            started = time.perf_counter()
            out = fn(*args)
            seconds[name] = round(time.perf_counter() - started, 3)
            peak[name] = peak_gib()
            detail = out[1] if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict) else {}
            if self.on_step is not None:
                self.on_step(name, seconds[name], detail)
            return out

        started = time.time()
        read = step("read", self._read, db_path, store, root)
        model, _ = step("train", self._train, read)
        bundle = ModelBundle(model, read.data.users, read.data.items, read.data.item_names, read.data.user_items,
                             metadata=training_metadata(model, read.data.user_items, started, read.origin,
                                                        **({"engine": "spark"} if s.engine == "spark" else {})))
        factor_model = model.has_factors
        placed: dict[str, int] = {}
        if factor_model:
            model.prepare()
            step("signals", self._signals, bundle, read)
            if s.place:
                _, placed = step("place", self._place, bundle, read)
            if s.blend and len(bundle.users) > 1 and bundle.signals:  # something to blend with
                _, weighed = step("weigh", self._weigh, bundle, read)
                notes.extend(weighed.get("notes", []))
        kind, _ = step("index", self._index, bundle)
        bundle.metadata["pipeline"] = {"steps": [[name, t] for name, t in seconds.items()], "placed": placed,
                                       "settings": {"algorithm": s.algorithm, "params": s.params, "place": s.place,
                                                    "blend": s.blend, "index": kind}}
        bundle.metadata["train_seconds"] = round(time.time() - started, 3)
        path = None
        if root is not None:
            path, _ = step("save", self._save, bundle, root)
        return TrainResult(bundle, path, seconds, placed, kind, notes, peak)

    # --- the steps ------------------------------------------------------------------------------
    def _read(self, db_path, store: Store | None, root) -> _Read:
        if store is not None:
            return self._read_store(store, root)
        db_path = Path(db_path)
        if not db_path.exists():
            raise InputError(f"no store at {db_path}", hint="ingest data first, e.g. `tastemaker ingest hetrec`")
        with Store(db_path, read_only=True) as opened:
            return self._read_store(opened, root)

    def _read_store(self, store: Store, root) -> _Read:
        from tastemaker.content import load_audio_features
        from tastemaker.text import CulturalVectors

        s = self.settings
        if s.engine == "spark" and s.events is not None:
            data = None  # read by Spark from the export in the train step
        else:
            data = load_interactions(store)
            if data.user_items.nnz == 0:
                raise InputError("the store holds no play, save, playlist_add or skip events to train on",
                                 path=store.location, hint="ingest some first, e.g. `tastemaker ingest hetrec`")
        factor_model = s.algorithm in ("als", "sgd")
        culture = None
        audio_ids, audio = np.zeros(0, dtype=str), np.zeros((0, 0), np.float32)
        taggers: dict[str, int] = {}
        names: dict[str, str] = {}
        spectrograms = None
        if factor_model:
            cv = CulturalVectors().fit_store(store)
            culture = cv if len(cv.items_) and cv.weights_.nnz else None
            every = Vocabulary([r[0] for r in store.con.execute("SELECT item_id FROM items ORDER BY item_id")
                                .fetchall()], name="item")
            cols, audio = load_audio_features(store, every)
            audio_ids = every.ids[cols]
            taggers = dict(store.con.execute(
                "SELECT item_id, count(DISTINCT coalesce(user_id, tag_id)) FROM item_tags GROUP BY item_id").fetchall())
            names = dict(store.con.execute("SELECT item_id, coalesce(name, item_id) FROM items").fetchall())
            if s.place and root is not None and audio_model_path(root).exists():
                from tastemaker.content import load_spectrograms

                spectrograms = load_spectrograms(store)
        origin = store.location
        if data is None:
            data = _SparkSource(s.events)
        return _Read(data, origin, culture, audio_ids, audio, taggers, names, spectrograms)

    def _train(self, read: _Read):
        s = self.settings
        if s.engine == "spark":
            from tastemaker.spark import fit_spark

            model, data = fit_spark(read.data if not isinstance(read.data, _SparkSource) else read.data.path,
                                    s.params, s.spark_master)
            read.data = data
            return model, {**self._trained(model, read), "engine": "spark"}
        model = make_model(s.algorithm, s.params, random_state=s.random_state)
        model.fit(read.data.user_items, show_progress=self.show_progress)
        return model, self._trained(model, read)

    @staticmethod
    def _trained(model, read: _Read) -> dict:
        m = read.data.user_items
        return {"model": type(model).__name__, "interactions": int(m.nnz), "users": int(m.shape[0]),
                "items": int(m.shape[1])}

    def _signals(self, bundle: ModelBundle, read: _Read):
        """The content blocks of the played items (placed ones get theirs in ``place``)."""
        from tastemaker.text import lsa

        detail = {}
        table = bundle.items._table()
        if read.culture is not None:
            cv = read.culture
            coords, projection = lsa(cv.weights_, self.settings.culture_dims)
            read.culture_coords = {i: k for k, i in enumerate(cv.items_.ids.tolist())}
            read.coords = coords
            rows = np.zeros((len(bundle.items), coords.shape[1]), np.float32)
            present = [(table[i], k) for i, k in read.culture_coords.items() if i in table]
            if present:
                cols, ks = (np.asarray(x, np.int64) for x in zip(*present))
                rows[cols] = coords[ks]
            bundle.signals["culture"] = rows
            bundle.culture = cv
            detail["culture"] = {"items": len(cv.items_), "terms": len(cv.terms_), "dims": int(coords.shape[1])}
        if len(read.audio_ids):
            rows = np.zeros((len(bundle.items), read.audio.shape[1]), np.float32)
            present = [(table[i], k) for k, i in enumerate(read.audio_ids.tolist()) if i in table]
            if present:
                cols, ks = (np.asarray(x, np.int64) for x in zip(*present))
                rows[cols] = read.audio[ks]
            bundle.signals["audio"] = rows
            detail["audio"] = {"items": len(read.audio_ids)}
        if read.culture is not None or len(read.audio_ids):
            # every item's tag popularity: the blend's prior for placed items, and a column of
            # the taste regression the played ones are fitted with
            bundle.signals["prior"] = self._content_rows(read, bundle.items.ids)["prior"]
        return None, detail

    def _content_rows(self, read: _Read, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Culture, audio and prior rows for items ``ids`` (zeros where they have none)."""
        out = {}
        if read.culture is not None:
            rows = np.zeros((len(ids), read.coords.shape[1]), np.float32)
            for j, i in enumerate(ids.tolist()):
                k = read.culture_coords.get(i)
                if k is not None:
                    rows[j] = read.coords[k]
            out["culture"] = rows
        if len(read.audio_ids):
            where = {i: k for k, i in enumerate(read.audio_ids.tolist())}
            rows = np.zeros((len(ids), read.audio.shape[1]), np.float32)
            for j, i in enumerate(ids.tolist()):
                k = where.get(i)
                if k is not None:
                    rows[j] = read.audio[k]
            out["audio"] = rows
        if out:
            out["prior"] = np.log1p(np.asarray([read.taggers.get(i, 0) for i in ids.tolist()],
                                               np.float32))[:, None]
        return out

    def _place(self, bundle: ModelBundle, read: _Read):
        """Items without plays into the factor space: culture first, then the audio CNN, then
        audio features (the order of how well each signal places, on HetRec's cold-start
        protocol)."""
        from tastemaker.hybrid import place_by_culture, place_by_features

        played = np.asarray(bundle.listeners > 0)
        table = bundle.items._table()
        V = np.asarray(bundle.cf.item_factors_)
        placed = {}
        taken: set[str] = set(table)
        if read.culture is not None:
            cv = read.culture
            ids = cv.items_.ids
            warm = np.asarray([i in table and played[table[i]] for i in ids.tolist()], dtype=bool)
            cold = np.asarray([i not in taken for i in ids.tolist()], dtype=bool)
            if warm.any() and cold.any():
                cols = bundle.items.indices(ids[warm])
                factors = place_by_culture(cv.weights_[np.flatnonzero(warm)], V[cols], cv.weights_[np.flatnonzero(cold)])
                new = ids[cold]
                bundle.add_items(new, [read.names.get(i, i) for i in new.tolist()], factors, "culture",
                                 rows=self._content_rows(read, new))
                placed["culture"] = int(cold.sum())
                taken |= set(new.tolist())
        if read.spectrograms is not None and len(read.spectrograms[0]):
            placed["audio"] = self._place_cnn(bundle, read)
            taken |= set(bundle.placed_items().get("audio", []))
        if len(read.audio_ids):
            table = bundle.items._table()
            ids = read.audio_ids
            learned = bundle.placed_codes == 0
            warm = np.asarray([i in table and learned[table[i]] and bundle.listeners[table[i]] > 0
                               for i in ids.tolist()], dtype=bool)
            cold = np.asarray([i not in taken for i in ids.tolist()], dtype=bool)
            if warm.any() and cold.any():
                V = np.asarray(bundle.cf.item_factors_)
                factors = place_by_features(read.audio[warm], V[bundle.items.indices(ids[warm])], read.audio[cold])
                new = ids[cold]
                bundle.add_items(new, [read.names.get(i, i) for i in new.tolist()], factors, "audio-features",
                                 rows=self._content_rows(read, new))
                placed["audio-features"] = int(cold.sum())
        return None, placed

    def _place_cnn(self, bundle: ModelBundle, read: _Read) -> int:
        """The audio CNN of ``tastemaker train-audio``, applied again through a map to the new
        factors (:func:`~tastemaker.pipeline._audio.place_by_audio_model`, as train-audio does)."""
        from tastemaker.content import AudioRegressor
        from tastemaker.pipeline._audio import place_by_audio_model

        ids, specs = read.spectrograms
        cnn = AudioRegressor.load(audio_model_path(self._root))
        return len(place_by_audio_model(bundle, cnn, ids, specs, names=read.names,
                                        rows=lambda new: self._content_rows(read, new)))

    def _weigh(self, bundle: ModelBundle, read: _Read):
        from tastemaker.pipeline._weigh import weigh

        blend, summary = weigh(bundle, read, self.settings, self._content_rows)
        bundle.set_blend(blend)
        bundle.metadata["blend"] = summary
        return None, summary

    def _index(self, bundle: ModelBundle):
        s = self.settings
        if bundle.cf.has_factors and bundle.blend is None:
            from tastemaker.hybrid import Blend

            bundle.set_blend(Blend({"cf": 1.0}, standardise=False).fit(bundle.blocks()))  # the model's own scores
        kind = bundle.build_index(s.index, **s.index_params)
        return kind, {"kind": kind, "items": len(bundle.items)}

    def _save(self, bundle: ModelBundle, root):
        path = bundle.save(root)
        return path, {"version": bundle.version, "path": str(path)}


class _SparkSource:
    """An events export on shared storage that Spark reads in the train step."""

    def __init__(self, path):
        self.path = path
