"""A convolutional network from log-mel spectrograms to collaborative-filtering factors (PyTorch).

In the spirit of van den Oord, Dieleman and Schrauwen (2013) and Dieleman's 2014 Spotify work:
1-D convolutions over time with the 128 mel bands as input channels, max-pooling over time,
then global temporal pooling (mean, max and L2 norm of every channel over the whole clip) and
dense layers that output the item's factors. The network is fully convolutional up to the
global pooling, so it trains on short random crops and predicts from the whole 30 s excerpt.

PyTorch is imported when a model is built, fitted or loaded, never by ``import tastemaker``.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from tastemaker.cf._io import read_model_file, write_model_file
from tastemaker.content._mel import N_MELS
from tastemaker.content._regressor import normalize_rows
from tastemaker.errors import InputError

__all__ = ["AudioRegressor", "build_network"]

_CLASS = "AudioRegressor"
_LOSSES = ("mse", "cosine")


def _torch():
    """PyTorch, or one clear error saying which extra brings it."""
    try:
        import torch
    except ImportError:
        raise InputError("the audio CNN needs PyTorch",
                         hint="install the audio extra: pip install 'tastemaker[audio]'") from None
    return torch


def build_network(n_factors: int, channels=(64, 128, 128), hidden: int = 256, kernel_size: int = 4,
                  pools=(4, 2), dropout: float = 0.1, n_mels: int = N_MELS):
    """The network (a ``torch.nn.Module``): spectrogram batch (B x 128 x T) -> factors (B x f).

    ``len(channels)`` convolutions of ``kernel_size`` frames with ReLU; after the first
    ``len(pools)`` of them a max-pooling over time by the given factor; then mean, max and L2
    pooling over all remaining frames, concatenated, and two dense layers.
    """
    import torch
    from torch import nn

    class _GlobalPool(nn.Module):
        def forward(self, x):  # B x C x T -> B x 3C
            return torch.cat([x.mean(dim=2), x.amax(dim=2), torch.sqrt((x * x).mean(dim=2) + 1e-8)], dim=1)

    class AudioCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("band_mean", torch.zeros(n_mels))
            self.register_buffer("band_std", torch.ones(n_mels))
            layers, c_in = [], n_mels
            for i, c_out in enumerate(channels):
                layers += [nn.Conv1d(c_in, c_out, kernel_size, padding=kernel_size // 2), nn.ReLU()]
                if i < len(pools):
                    layers.append(nn.MaxPool1d(pools[i], ceil_mode=True))
                c_in = c_out
            self.features = nn.Sequential(*layers)
            self.pool = _GlobalPool()
            self.head = nn.Sequential(nn.Linear(3 * c_in, hidden), nn.ReLU(), nn.Dropout(dropout),
                                      nn.Linear(hidden, n_factors))

        def forward(self, x):
            x = (x - self.band_mean[None, :, None]) / self.band_std[None, :, None]
            return self.head(self.pool(self.features(x)))

    return AudioCNN()


@contextlib.contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class AudioRegressor:
    """Regress L2-normalised item factors from log-mel spectrograms with a CNN (PyTorch, CPU).

    Parameters
    ----------
    channels : tuple of int
        Filters of each convolution.
    hidden : int
        Width of the dense layer.
    kernel_size : int
        Frames each convolution spans.
    pools : tuple of int
        Max-pooling factors after the first convolutions.
    dropout : float
        Before the output layer.
    epochs : int
        Passes over the training clips.
    batch_size : int
    learning_rate : float
        Adam's step size.
    weight_decay : float
        AdamW's decoupled weight decay.
    crop_frames : int
        Training crop length in frames (128 frames are about 6 s); shorter clips are repeated.
    loss : {"mse", "cosine"}
        Squared error to the normalised factors (an unsure prediction shrinks towards 0, so the
        item scores lower for everyone) or one minus their cosine.
    validation_fraction : float
        Clips held out to pick the best epoch (0: keep the last epoch).
    random_state : int
        Seeds initialisation, shuffling, crops and the validation split.
    num_threads : int
        PyTorch CPU threads while fitting and predicting.

    Examples
    --------
    >>> reg = AudioRegressor(epochs=20).fit(spectrograms, item_factors)    # doctest: +SKIP
    >>> reg.predict(new_spectrograms).shape                                # doctest: +SKIP
    (12, 128)
    """

    def __init__(self, channels=(64, 128, 128), hidden: int = 256, kernel_size: int = 4, pools=(4, 2),
                 dropout: float = 0.1, epochs: int = 30, batch_size: int = 32, learning_rate: float = 1e-3,
                 weight_decay: float = 1e-4, crop_frames: int = 128, loss: str = "mse",
                 validation_fraction: float = 0.1, random_state: int = 0, num_threads: int = 1):
        self.channels = channels
        self.hidden = hidden
        self.kernel_size = kernel_size
        self.pools = pools
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.crop_frames = crop_frames
        self.loss = loss
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.num_threads = num_threads

    _ARCH = ("channels", "hidden", "kernel_size", "pools", "dropout")
    _TRAIN = ("epochs", "batch_size", "learning_rate", "weight_decay", "crop_frames", "loss",
              "validation_fraction", "random_state", "num_threads")

    def get_params(self) -> dict:
        """The constructor parameters, as given."""
        return {k: getattr(self, k) for k in self._ARCH + self._TRAIN}

    def __repr__(self) -> str:
        return "AudioRegressor(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"

    # --- fitting -------------------------------------------------------------------------------
    def _validate(self) -> None:
        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {', '.join(_LOSSES)}, not {self.loss!r}")
        for name in ("epochs", "batch_size", "crop_frames", "hidden", "kernel_size", "num_threads"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), not {self.validation_fraction!r}")
        if not self.channels or any(int(c) < 1 for c in self.channels) or len(self.pools) > len(self.channels):
            raise ValueError("channels must be positive and at least as many as pools")

    def fit(self, spectrograms, item_factors, show_progress: bool = False, callback=None) -> AudioRegressor:
        """Learn to map each spectrogram (128 x frames) to its item's normalised factors.

        Parameters
        ----------
        spectrograms : sequence of ndarray (128 x frames)
            One per item, e.g. from :func:`load_spectrograms`.
        item_factors : ndarray (n x f)
            The items' factors (normalised to unit length here).
        show_progress : bool
            A progress bar over epochs.
        callback : callable, optional
            ``callback(epoch, train_loss, validation_loss)`` after each epoch.

        Returns
        -------
        self
        """
        torch = _torch()
        self._validate()
        specs = _check_specs(spectrograms)
        targets = normalize_rows(np.asarray(item_factors, dtype=np.float32))
        if targets.ndim != 2 or len(targets) != len(specs):
            raise ValueError(f"item_factors must have one row per spectrogram ({len(specs)}), got {targets.shape}")
        if len(specs) < 2:
            raise ValueError("at least two clips are needed to fit")
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(specs))
        n_val = int(round(self.validation_fraction * len(specs)))
        n_val = min(n_val, len(specs) - 1)
        val, train = order[:n_val], order[n_val:]
        started = time.time()
        with _torch_threads(self.num_threads):
            torch.manual_seed(int(self.random_state))
            net = build_network(targets.shape[1], tuple(int(c) for c in self.channels), int(self.hidden),
                                int(self.kernel_size), tuple(int(p) for p in self.pools), float(self.dropout))
            frames = np.concatenate([specs[i] for i in train], axis=1)
            net.band_mean.copy_(torch.from_numpy(frames.mean(axis=1)))
            net.band_std.copy_(torch.from_numpy(np.maximum(frames.std(axis=1), 1e-3)))
            del frames
            opt = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
            Y = torch.from_numpy(targets)
            self.history_: list[tuple[int, float, float | None]] = []
            best, best_loss = None, np.inf
            epochs = range(int(self.epochs))
            if show_progress:
                from tqdm.auto import tqdm

                epochs = tqdm(epochs, desc="train audio CNN", unit="epoch", leave=False)
            for epoch in epochs:
                net.train()
                perm = train[rng.permutation(len(train))]
                total = 0.0
                for start in range(0, len(perm), int(self.batch_size)):
                    batch = perm[start:start + int(self.batch_size)]
                    x = torch.from_numpy(np.stack([_crop(specs[i], int(self.crop_frames), rng) for i in batch]))
                    loss = self._loss(net(x), Y[batch])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(batch)
                train_loss = total / len(train)
                val_loss = None
                if len(val):
                    net.eval()
                    with torch.no_grad():
                        pred = torch.from_numpy(_predict(net, [specs[i] for i in val]))
                        val_loss = float(self._loss(pred, Y[val]))
                    if val_loss < best_loss:
                        best_loss = val_loss
                        best = {k: v.detach().clone() for k, v in net.state_dict().items()}
                self.history_.append((epoch + 1, train_loss, val_loss))
                if callback is not None:
                    callback(epoch + 1, train_loss, val_loss)
            if best is not None:
                net.load_state_dict(best)
            net.eval()
        self.network_ = net
        self.n_factors_ = int(targets.shape[1])
        self.n_train_ = int(len(train))
        self.validation_loss_ = None if best is None else float(best_loss)
        self.fit_seconds_ = round(time.time() - started, 3)
        return self

    def _loss(self, pred, target):
        import torch

        if self.loss == "mse":
            return ((pred - target) ** 2).sum(dim=1).mean()
        return (1.0 - torch.nn.functional.cosine_similarity(pred, target, dim=1)).mean()

    def _check_fitted(self) -> None:
        if getattr(self, "network_", None) is None:
            raise ValueError("AudioRegressor is not fitted yet: call fit(spectrograms, item_factors) first")

    # --- predicting ----------------------------------------------------------------------------
    def predict(self, spectrograms) -> np.ndarray:
        """Predicted normalised-factor vectors (n x f, float32), each from the whole clip."""
        self._check_fitted()
        specs = _check_specs(spectrograms)
        with _torch_threads(self.num_threads):
            return _predict(self.network_, specs)

    # --- persistence ---------------------------------------------------------------------------
    def save(self, path, **metadata) -> None:
        """Write the network and its configuration to an ``.npz`` (no pickle; atomic)."""
        self._check_fitted()
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        meta = {"class": _CLASS, "params": params, "n_factors": self.n_factors_, "n_train": self.n_train_,
                "validation_loss": self.validation_loss_, "history": self.history_, "metadata": metadata}
        arrays = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.network_.state_dict().items()}
        write_model_file(path, meta, arrays)

    @classmethod
    def load(cls, path) -> AudioRegressor:
        """Load a file written by :meth:`save`."""
        torch = _torch()

        meta, arrays = read_model_file(path)
        if meta.get("class") != _CLASS:
            raise ValueError(f"{path} holds a {meta.get('class')}, not an audio model; train one with "
                             "`tastemaker train-audio`")
        params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in meta["params"].items()}
        model = cls(**params)
        net = build_network(int(meta["n_factors"]), model.channels, model.hidden, model.kernel_size, model.pools,
                            model.dropout)
        state = {k[4:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("net.")}
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise ValueError(f"{path} does not match its own configuration: {str(exc).splitlines()[0]}") from None
        net.eval()
        model.network_ = net
        model.n_factors_ = int(meta["n_factors"])
        model.n_train_ = int(meta.get("n_train", 0))
        model.validation_loss_ = meta.get("validation_loss")
        model.history_ = [tuple(h) for h in meta.get("history", [])]
        model.metadata_ = meta.get("metadata", {})
        return model


def _check_specs(spectrograms) -> list[np.ndarray]:
    specs = [np.asarray(s, dtype=np.float32) for s in spectrograms]
    for i, s in enumerate(specs):
        if s.ndim != 2 or s.shape[0] != N_MELS or s.shape[1] < 1:
            raise ValueError(f"spectrogram {i} has shape {s.shape}; expected ({N_MELS}, frames)")
        if not np.all(np.isfinite(s)):
            raise ValueError(f"spectrogram {i} holds NaN or infinite values")
    return specs


def _crop(spec: np.ndarray, frames: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``frames``-long window; a shorter clip is repeated to that length."""
    if spec.shape[1] < frames:
        spec = np.tile(spec, (1, -(-frames // spec.shape[1])))
    start = int(rng.integers(0, spec.shape[1] - frames + 1))
    return spec[:, start:start + frames]


def _predict(net, specs: list[np.ndarray]) -> np.ndarray:
    """Whole clips, batched by equal length."""
    import torch

    out = np.zeros((len(specs), net.head[-1].out_features), dtype=np.float32)
    by_length: dict[int, list[int]] = {}
    for i, s in enumerate(specs):
        by_length.setdefault(s.shape[1], []).append(i)
    net.eval()
    with torch.no_grad():
        for idx in by_length.values():
            for start in range(0, len(idx), 64):
                part = idx[start:start + 64]
                x = torch.from_numpy(np.stack([specs[i] for i in part]))
                out[part] = net(x).numpy()
    return out
