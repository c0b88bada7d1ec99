"""The indexes a trained model serves from, versioned with the model and saved next to it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from tastemaker._atomic import atomic_write
from tastemaker.errors import InputError
from tastemaker.retrieval._base import ItemIndex
from tastemaker.retrieval._exact import ExactIndex

__all__ = ["Retrieval", "KINDS", "factors_digest", "StaleIndexError", "auto_kind", "VOYAGER_MIN_ITEMS"]

FORMAT = "tastemaker-index"
FORMAT_VERSION = 1
_META_KEY = "__meta__"


class StaleIndexError(InputError):
    """An index file that does not belong to the model next to it (rebuild it)."""


#: index kinds, for ``tastemaker train --index``
KINDS = ("voyager", "exact")


def factors_digest(item_factors: np.ndarray) -> str:
    """A short content hash of the item factors: an index built from other factors is stale."""
    arr = np.ascontiguousarray(item_factors, dtype=np.float32)
    return hashlib.sha256(arr.view(np.uint8)).hexdigest()[:16]


class Retrieval:
    """User -> items (inner product) and item -> similar items (cosine) search over one model.

    Parameters
    ----------
    recommend : ItemIndex
        Inner-product index of the item factors (``metric="ip"``).
    similar : ItemIndex
        Cosine index of the item factors (``metric="cosine"``), the semantics of
        :meth:`~tastemaker.cf._base.MatrixFactorizationBase.similar_items`.
    model_version : str
        The :attr:`Recommender.version` it was built for.
    digest : str
        :func:`factors_digest` of the item factors it was built from.
    """

    def __init__(self, recommend: ItemIndex, similar: ItemIndex, model_version: str, digest: str):
        self.recommend = recommend
        self.similar = similar
        self.model_version = model_version
        self.digest = digest

    @property
    def kind(self) -> str:
        return self.recommend.kind

    @property
    def n_items(self) -> int:
        return self.recommend.n_items

    @classmethod
    def build(cls, item_factors: np.ndarray, kind: str = "exact", *, model_version: str = "",
              num_threads: int = 0, similar: dict | None = None, similar_vectors: np.ndarray | None = None,
              **params) -> Retrieval:
        """Build both indexes of ``kind`` (see :data:`KINDS`) over ``item_factors``.

        ``params`` go to the user -> items :class:`~tastemaker.retrieval.VoyagerIndex` (``M``,
        ``ef_construction``, ``ef``, ``space``, ``order``, ``random_seed``); ``similar`` overrides
        :data:`~tastemaker.retrieval._voyager.SIMILAR_DEFAULTS` for the item -> items index. That
        index searches the cosine of ``item_factors``, or, given ``similar_vectors`` (one row per
        item, e.g. a blend's unit blocks), their inner products.
        """
        sim_vectors, sim_metric = ((item_factors, "cosine") if similar_vectors is None
                                   else (similar_vectors, "ip"))
        digest = factors_digest(item_factors)
        if kind == "exact":
            if params or similar:
                raise ValueError(f"exact indexes take no parameters, got {sorted(params)}")
            return cls(ExactIndex(item_factors, "ip"), ExactIndex(sim_vectors, sim_metric), model_version, digest)
        if kind == "voyager":
            from tastemaker.retrieval._voyager import SIMILAR_DEFAULTS, VoyagerIndex

            similar_params = {**SIMILAR_DEFAULTS, **(similar or {})}
            return cls(VoyagerIndex(item_factors, "ip", num_threads=num_threads, **params),
                       VoyagerIndex(sim_vectors, sim_metric, num_threads=num_threads, **similar_params),
                       model_version, digest)
        raise ValueError(f"index kind must be one of {KINDS}, got {kind!r}")

    def shape_reason(self, item_factors: np.ndarray) -> str | None:
        """Why this index cannot hold these item vectors (None when the shapes agree)."""
        if self.n_items != item_factors.shape[0] or self.recommend.dim != item_factors.shape[1]:
            return (f"it holds {self.n_items:,} items x {self.recommend.dim} dimensions, the model "
                    f"{item_factors.shape[0]:,} x {item_factors.shape[1]}")
        return None

    def stale_reason(self, item_factors: np.ndarray, model_version: str) -> str | None:
        """Why this index does not belong to the model (None when it does)."""
        if self.model_version != model_version:
            return f"it was built for model version {self.model_version}, not {model_version}"
        shape = self.shape_reason(item_factors)
        if shape is not None:
            return shape
        if self.digest != factors_digest(item_factors):
            return "the model's item factors changed since it was built"
        return None

    # --- persistence ---------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the indexes to one ``.npz`` (Voyager's own serialisation inside, no pickle),
        through a temporary file renamed into place."""
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": self.kind,
                "model_version": self.model_version, "digest": self.digest, "n_items": self.n_items,
                "dim": self.recommend.dim, "recommend": self.recommend.params(),
                "similar": self.similar.params()}
        arrays = {_META_KEY: np.array(json.dumps(meta, sort_keys=True))}
        for name in ("recommend", "similar"):
            graph = getattr(getattr(self, name), "graph", None)
            if graph is not None:
                arrays[f"{name}_graph"] = np.frombuffer(graph.as_bytes(), dtype=np.uint8)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path, item_factors: np.ndarray, model_version: str, *, similar_vectors: np.ndarray | None = None,
             verify: bool = True) -> Retrieval:
        """Load an index saved by :meth:`save` for the model with these item factors and version.

        ``similar_vectors`` as for :meth:`build`. ``verify=False`` skips hashing the factors (for
        an index saved inside the model version it belongs to, which nothing changes afterwards).

        Raises
        ------
        StaleIndexError
            The index was built for another model version or other item factors.
        InputError
            The file is not a readable index.
        """
        path = Path(path)
        hint = "rebuild it with `tastemaker index`"
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise InputError("not a tastemaker index (not an .npz archive)", path=path, hint=hint)
        try:
            with np.load(path, allow_pickle=False) as data:
                if _META_KEY not in data.files:
                    raise InputError("not a tastemaker index (no header)", path=path, hint=hint)
                meta = json.loads(str(data[_META_KEY]))
                graphs = {k: data[k] for k in data.files if k.endswith("_graph")}
        except FileNotFoundError:
            raise
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"not a readable tastemaker index ({exc})", path=path, hint=hint) from exc
        if meta.get("format") != FORMAT:
            raise InputError(f"not a tastemaker index (format {meta.get('format')!r})", path=path, hint=hint)
        if meta.get("format_version", 0) > FORMAT_VERSION:
            raise InputError(f"written by a newer tastemaker (index format {meta['format_version']})", path=path,
                             hint="upgrade tastemaker or rebuild the index with `tastemaker index`")
        stub = cls(_Described(meta), _Described(meta), meta.get("model_version", ""), meta.get("digest", ""))
        if verify:
            reason = stub.stale_reason(np.asarray(item_factors), model_version)
        else:
            reason = stub.shape_reason(np.asarray(item_factors))
        if reason is not None:
            raise StaleIndexError(f"stale index: {reason}", path=path, hint=hint)
        sim_vectors = item_factors if similar_vectors is None else similar_vectors
        if meta["kind"] == "exact":
            return cls(ExactIndex(item_factors, "ip"), ExactIndex(sim_vectors, meta["similar"]["metric"]),
                       meta["model_version"], meta["digest"])
        if meta["kind"] != "voyager" or set(graphs) != {"recommend_graph", "similar_graph"}:
            raise InputError(f"index of unknown kind {meta['kind']!r} or without its graphs", path=path, hint=hint)
        from tastemaker.retrieval._voyager import VoyagerIndex, _voyager

        voyager = _voyager()
        parts = {}
        for name in ("recommend", "similar"):
            try:
                graph = voyager.Index.load(io.BytesIO(graphs[f"{name}_graph"].tobytes()))
            except Exception as exc:  # Voyager raises RuntimeError/ValueError on damaged bytes
                raise InputError(f"damaged Voyager graph ({exc})", path=path, hint=hint) from exc
            params = dict(meta[name])
            metric = params.pop("metric")
            vectors = item_factors if name == "recommend" else sim_vectors
            parts[name] = VoyagerIndex(vectors, metric, _graph=graph, **params)
        return cls(parts["recommend"], parts["similar"], meta["model_version"], meta["digest"])


class _Described:
    """What an index file's header says about its index, to check it before loading graphs."""

    def __init__(self, meta: dict):
        self.kind = meta.get("kind")
        self.n_items = int(meta.get("n_items", -1))
        self.dim = int(meta.get("dim", -1))


#: catalogues at least this large get a Voyager index by default (``tastemaker train --index
#: auto``): below it one exact query scores every item in about a millisecond (see the README's
#: retrieval benchmark), so an approximate index would only cost recall
VOYAGER_MIN_ITEMS = 50_000


def auto_kind(n_items: int) -> str:
    """``"voyager"`` for catalogues of :data:`VOYAGER_MIN_ITEMS` items or more (when Voyager is
    installed), else ``"exact"``."""
    if n_items < VOYAGER_MIN_ITEMS:
        return "exact"
    try:
        import voyager  # noqa: F401
    except ImportError:
        return "exact"
    return "voyager"
