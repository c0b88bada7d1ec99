"""BaRT: a reward model over (user, item, explanation, context) and its epsilon-greedy policy.

The reward model learns P(stream | card shown at a position) from the policy's own logs, each
impression weighted by the inverse of the probability it had of being shown there (the
product of its shelf's and its own propensity, clipped at ``max_weight`` and normalised to mean
1), so cards the policy rarely shows are not under-counted. Retraining is just fitting again on
the grown logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tastemaker.bandit._features import FeatureSpace
from tastemaker.bandit._fm import FactorizationMachine, LogisticRegression
from tastemaker.bandit._policy import CARD, PageInput, Policy, Trajectory, model_policy

__all__ = ["LoggedPage", "BaRT", "training_rows", "card_propensities", "save_bart", "load_bart"]


@dataclass
class LoggedPage:
    """One home screen as it was shown: what the policy saw, what it did, what happened."""

    page: PageInput
    trajectory: Trajectory
    rewards: np.ndarray  # per decision: 1.0 if the card was streamed, 0 (shelf decisions: 0)
    policy: str = ""
    version: str = ""
    epsilon: float = 0.0
    page_id: str = ""
    extra: dict = field(default_factory=dict)


def card_propensities(traj: Trajectory) -> np.ndarray:
    """For every card decision: P(its shelf was picked for its row) x P(it was picked there)."""
    shelf_prob = 1.0
    out = []
    for kind, prob in zip(traj.kind, traj.prob):
        if kind == CARD:
            out.append(shelf_prob * prob)
        else:
            shelf_prob = prob
    return np.array(out, dtype=np.float64)


def training_rows(pages: Sequence[LoggedPage], space: FeatureSpace, max_weight: float | None = 20.0):
    """Feature rows, outcomes and inverse-propensity weights of every card shown in ``pages``.

    Returns
    -------
    idx, val : ndarray
        Feature rows (see :class:`~tastemaker.bandit.FeatureSpace`).
    y : ndarray
        1 where the card was streamed.
    weight : ndarray
        ``min(1 / propensity, max_weight)`` normalised to mean 1 (all ones if ``max_weight`` is None).
    """
    idxs, vals, ys, props = [], [], [], []
    for lp in pages:
        t = lp.trajectory
        cards = t.cards
        if not len(cards):
            continue
        chosen = t.choice[cards]
        p = lp.page
        sub = _subset(p.cands, chosen)
        idx, val = space.rows(p.user, sub, p.context, p.shown[chosen], p.streamed[chosen],
                              t.row[cards], t.col[cards])
        idxs.append(idx)
        vals.append(val)
        ys.append(lp.rewards[cards])
        props.append(card_propensities(t))
    if not idxs:
        width = FeatureSpace.WIDTH
        return (np.zeros((0, width), np.int64), np.zeros((0, width)), np.zeros(0), np.zeros(0))
    y = np.concatenate(ys).astype(np.float64)
    prop = np.concatenate(props)
    if max_weight is None:
        weight = np.ones_like(y)
    else:
        weight = np.minimum(1.0 / prop, max_weight)
        weight /= weight.mean()
    return np.concatenate(idxs), np.concatenate(vals), y, weight


def _subset(cands, which: np.ndarray):
    from tastemaker.bandit._candidates import CandidateSet

    return CandidateSet(cands.items[which], cands.shelf[which], cands.cf[which], cands.popularity[which],
                        cands.shelves)


class BaRT:
    """Bandits for Recommendations as Treatments: a reward model and an epsilon-greedy policy.

    Parameters
    ----------
    space : FeatureSpace
    epsilon : float, default 0.1
        Exploration rate of :meth:`policy`.
    model : {"fm", "logistic"}, default "fm"
        Factorization machine, or logistic regression (the baseline).
    n_factors, epochs, learning_rate : FM hyper-parameters
    max_weight : float or None, default 20
        Clip of the inverse-propensity weights (None: no weighting).
    random_state : int, Generator or None
    """

    def __init__(self, space: FeatureSpace, epsilon: float = 0.1, model: str = "fm", n_factors: int = 8,
                 epochs: int = 4, learning_rate: float = 0.1, max_weight: float | None = 20.0,
                 random_state=None):
        self.space = space
        self.epsilon = epsilon
        self.model = model
        self.n_factors = n_factors
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.max_weight = max_weight
        self.random_state = random_state
        self.reward_model_ = None
        self.version_ = "cold"
        self.n_trained_ = 0

    def _new_model(self):
        if self.model == "logistic":
            return LogisticRegression(epochs=self.epochs, learning_rate=self.learning_rate,
                                      random_state=self.random_state)
        if self.model != "fm":
            raise ValueError(f"model must be 'fm' or 'logistic', not {self.model!r}")
        return FactorizationMachine(n_factors=self.n_factors, epochs=self.epochs,
                                    learning_rate=self.learning_rate, random_state=self.random_state)

    def fit(self, pages: Sequence[LoggedPage], version: str | None = None) -> BaRT:
        """(Re)train the reward model on logged ``pages``; returns self."""
        idx, val, y, weight = training_rows(pages, self.space, self.max_weight)
        if len(y) == 0:
            raise ValueError("no card impressions to train on")
        self.reward_model_ = self._new_model().fit(idx, val, y, weight, n_features=self.space.n_features)
        self.n_trained_ = int(len(y))
        self.version_ = version or f"{self.model}-{self.n_trained_}"
        return self

    def policy(self, epsilon: float | None = None) -> Policy:
        """The epsilon-greedy policy of the current reward model (the recommender's scores before any training)."""
        eps = self.epsilon if epsilon is None else epsilon
        name = "BaRT" if self.model == "fm" else "BaRT-LR"
        return model_policy(self.reward_model_, self.space, eps, name=name, version=self.version_)

    # -- persistence ----------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict]:
        """JSON metadata and arrays for a model file."""
        meta = {"kind": "bart", "model": self.model, "epsilon": self.epsilon, "space": self.space.to_dict(),
                "version": self.version_, "n_trained": self.n_trained_, "n_factors": self.n_factors,
                "epochs": self.epochs, "learning_rate": self.learning_rate, "max_weight": self.max_weight}
        arrays = self.reward_model_.to_arrays() if self.reward_model_ is not None else {}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict) -> BaRT:
        space = FeatureSpace(**meta["space"])
        bart = cls(space, epsilon=meta["epsilon"], model=meta["model"], n_factors=meta["n_factors"],
                   epochs=meta["epochs"], learning_rate=meta["learning_rate"], max_weight=meta["max_weight"])
        if "w" in arrays:
            kind = LogisticRegression if meta["model"] == "logistic" else FactorizationMachine
            bart.reward_model_ = kind.from_arrays(arrays)
        bart.version_, bart.n_trained_ = meta["version"], meta["n_trained"]
        return bart


def save_bart(bart: BaRT, path) -> None:
    """Write a BaRT model file (``.npz`` with a JSON header, no pickle, atomic)."""
    from tastemaker.cf._io import write_model_file

    meta, arrays = bart.state()
    write_model_file(path, {"metadata": meta}, arrays)


def load_bart(path) -> BaRT:
    """Read a file written by :func:`save_bart`."""
    from tastemaker.cf._io import read_model_file
    from tastemaker.errors import InputError

    meta, arrays = read_model_file(path)
    meta = meta.get("metadata", {})
    if meta.get("kind") != "bart":
        raise InputError("not a BaRT model file", path=path, hint="train one with `tastemaker bandit train`")
    return BaRT.from_state(meta, arrays)
