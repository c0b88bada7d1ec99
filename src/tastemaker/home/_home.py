"""The home screen: shelves of cards chosen by BaRT, each with its explanation, logged as shown."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from tastemaker.bandit import (BaRT, Context, FeatureSpace, HomeCatalog, Layout, LoggedPage, PageInput, model_policy,
                               walk)
from tastemaker.bandit._bart import load_bart
from tastemaker.bandit._logs import page_record, record_stream, write_records
from tastemaker.data import Store
from tastemaker.errors import InputError

__all__ = ["Card", "HomeShelf", "Home", "HomeScreen", "DEFAULT_LAYOUT", "default_bart_path", "retrain"]

#: four shelves of six cards
DEFAULT_LAYOUT = Layout(rows=4, cols=6)
DEFAULT_EPSILON = 0.1


def default_bart_path(model_root: str | Path) -> Path:
    """BaRT's model file lives in the model directory, beside the model versions: ``<models>/bart.npz``."""
    return Path(model_root).expanduser() / "bart.npz"


@dataclass
class Card:
    """One card: the item, why it is there, and how it was chosen."""

    item_id: str
    name: str
    explanation: str
    score: float  # the policy's score (BaRT: the reward model's logit; cold start: the bundle's blended score)
    propensity: float  # probability this card was picked for its place, given its shelf
    row: int
    col: int


@dataclass
class HomeShelf:
    key: str
    type: str
    title: str
    propensity: float  # probability this shelf was picked for its row
    cards: list[Card] = field(default_factory=list)


@dataclass
class Home:
    """A user's home screen as shown (``page_id`` names it in the logs and in stream reports)."""

    page_id: str
    user_id: str
    policy: str
    policy_version: str
    epsilon: float
    context: Context
    shelves: list[HomeShelf]
    logged: bool

    def to_dict(self) -> dict:
        return asdict(self)


class HomeScreen:
    """Builds home screens from a trained system and, when there is one, a BaRT model.

    Parameters
    ----------
    bundle : ModelBundle
        The trained system (a factor model: its blend ranks the cards).
    catalog : HomeCatalog
        Candidates over the bundle's vocabularies (see :meth:`from_store`).
    bart : BaRT, optional
        A reward model trained on this bundle's vocabularies; None (or one trained on another
        model version) means the cold start: cards by the bundle's blended score, still
        epsilon-greedy and logged.
    layout : Layout
    epsilon : float, optional
        Exploration rate (default: the BaRT model's, else 0.1).
    """

    def __init__(self, bundle, catalog: HomeCatalog, bart: BaRT | None = None, layout: Layout = DEFAULT_LAYOUT,
                 epsilon: float | None = None):
        self.bundle = bundle
        self.catalog = catalog
        self.layout = layout
        self.space = FeatureSpace(len(bundle.users), len(bundle.items), layout.rows, layout.cols)
        if bart is not None and not bart.version_.startswith(f"{bundle.version}/"):
            bart = None  # trained on the logs of another model version's vocabularies: retrain it
        self.bart = bart
        eps = epsilon if epsilon is not None else (bart.epsilon if bart is not None else DEFAULT_EPSILON)
        model = bart.reward_model_ if bart is not None else None
        space = bart.space if bart is not None else self.space
        self.policy = model_policy(model, space, eps, version=bart.version_ if bart is not None else "cold")

    @classmethod
    def from_store(cls, store: Store, bundle, bart: BaRT | str | Path | None = None, **kwargs) -> HomeScreen:
        """A home screen of ``bundle`` over ``store``'s tags, friendships and dates; ``bart`` may be
        a file path (a missing file means the cold start; see :func:`default_bart_path`).

        Raises
        ------
        InputError
            If the bundle's model has no factors.
        """
        catalog = HomeCatalog.from_bundle(store, bundle)
        if isinstance(bart, (str, Path)):
            bart = load_bart(bart) if Path(bart).exists() else None
        return cls(bundle, catalog, bart, **kwargs)

    def page_input(self, store: Store, user_id: str, context: Context) -> PageInput:
        """What the policy sees: the user's candidates, the context, and their history with each card."""
        user = self.bundle.users.index(user_id)
        cands = self.catalog.candidates(user)
        shown = np.zeros(len(cands))
        streamed = np.zeros(len(cands))
        if len(cands):
            counts = _card_history(store, user_id)
            for k, item in enumerate(self.bundle.items.ids[cands.items].tolist()):
                shown[k], streamed[k] = counts.get(item, (0, 0))
        return PageInput(user, cands, context, shown, streamed)

    def build(self, store: Store, user_id: str, context: Context | None = None, log: bool = True,
              random_state=None) -> Home:
        """Choose ``user_id``'s shelves and cards; with ``log``, write the page to the store.

        Raises
        ------
        UnknownIdError
            If the model does not know the user.
        """
        context = context or Context.now()
        page = self.page_input(store, user_id, context)
        rng = np.random.default_rng(random_state)
        scores = self.policy.score(page)
        traj = walk(scores, page.cands, self.layout, self.policy.epsilon, rng)
        page_id = uuid.uuid4().hex
        bundle = self.bundle
        shelves: list[HomeShelf] = []
        for kind, choice, row, col, prob in zip(traj.kind, traj.choice, traj.row, traj.col, traj.prob):
            if kind == 0:
                s = page.cands.shelves[choice]
                shelves.append(HomeShelf(s.key, s.type, s.title, float(prob)))
                continue
            item = int(page.cands.items[choice])
            shelves[-1].cards.append(Card(str(bundle.items.ids[item]), bundle.name(item), shelves[-1].title,
                                          float(scores[choice]), float(prob), int(row), int(col)))
        logged = False
        if log and not store.read_only:
            lp = LoggedPage(page, traj, np.zeros(len(traj.kind)), self.policy.name, self.policy.version,
                            self.policy.epsilon, page_id)
            item_ids = bundle.items.ids[page.cands.items].tolist()
            write_records(store, [page_record(lp, user_id, item_ids, self.layout,
                                              datetime.now(timezone.utc).replace(tzinfo=None))])
            logged = True
        return Home(page_id, user_id, self.policy.name, self.policy.version, self.policy.epsilon, context,
                    shelves, logged)

    @staticmethod
    def stream(store: Store, user_id: str, page_id: str, item_id: str) -> None:
        """Record that ``user_id`` streamed a card of page ``page_id``: the reward for BaRT, and a
        ``play`` event for every other model."""
        owner = store.con.execute("SELECT user_id FROM bandit_pages WHERE page_id = ?", [page_id]).fetchone()
        if owner is not None and owner[0] != user_id:
            raise InputError(f"page {page_id!r} was shown to another user, not {user_id!r}")
        with store.transaction():
            record_stream(store, page_id, item_id)
            store.append_events([{"user_id": user_id, "item_id": item_id, "event": "play", "count": 1}],
                                source="live")


def _card_history(store: Store, user_id: str) -> dict[str, tuple[int, int]]:
    """``{item id: (times shown to the user as a card, times streamed from a card)}``."""
    rows = store.con.execute(
        """SELECT c.item_id, count(*) AS shown,
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM bandit_streams s
                                   WHERE s.page_id = d.page_id AND s.item_id = c.item_id)) AS streamed
           FROM bandit_pages p
           JOIN bandit_decisions d ON d.page_id = p.page_id AND d.kind = 'card'
           JOIN bandit_candidates c ON c.page_id = d.page_id AND c.cand = d.choice
           WHERE p.user_id = ? GROUP BY c.item_id""", [user_id]).fetchall()
    return {item: (int(shown), int(streamed)) for item, shown, streamed in rows}


def retrain(store: Store, bundle, epsilon: float = DEFAULT_EPSILON, model: str = "fm", random_state=0) -> BaRT:
    """Train BaRT on every home page logged in ``store`` (its own logs), over ``bundle``'s ids.

    Raises
    ------
    InputError
        If the store holds no logged cards for this model's users and items.
    """
    from tastemaker.bandit._logs import pages_from_records, read_records

    records = read_records(store)
    pages, space, _ = pages_from_records(records, bundle.users, bundle.items)
    n_cards = sum(len(p.trajectory.cards) for p in pages)
    if n_cards == 0:
        raise InputError("no home-screen impressions to learn from in the store",
                         path=store.location, hint="show home screens first (`tastemaker home USER`, "
                         "GET /users/{id}/home) and report streams")
    bart = BaRT(space, epsilon=epsilon, model=model, random_state=random_state)
    return bart.fit(pages, version=f"{bundle.version}/{len(pages)}-pages")
