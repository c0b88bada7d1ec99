"""Bandit logs: one record per page shown, in the store's ``bandit_*`` tables or a JSON-lines file.

A record is a plain dict (one line of a ``.jsonl`` export)::

    {"page_id", "user_id", "shown_at", "context": {"hour", "dow", "device", "country"},
     "policy", "policy_version", "epsilon", "layout": [rows, cols],
     "shelves": [{"key", "type", "title"}],
     "candidates": {"item_id": [...], "shelf": [...], "cf": [...], "popularity": [...],
                    "shown_before": [...], "streamed_before": [...]},
     "decisions": {"kind": ["shelf"|"card", ...], "choice": [...], "row": [...], "col": [...],
                   "propensity": [...]},
     "streams": [item ids streamed from the page]}

It holds everything off-policy evaluation needs: the candidates with their features, every
decision with its propensity, and the rewards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from tastemaker._atomic import atomic_write
from tastemaker.bandit._bart import LoggedPage
from tastemaker.bandit._candidates import CandidateSet, Shelf
from tastemaker.bandit._features import Context, FeatureSpace
from tastemaker.bandit._policy import CARD, Layout, PageInput, Trajectory
from tastemaker.data import Store, Vocabulary
from tastemaker.errors import InputError

__all__ = ["page_record", "write_records", "read_records", "record_stream", "write_jsonl", "read_jsonl",
           "pages_from_records", "load_logs"]

_KINDS = ("shelf", "card")


def page_record(lp: LoggedPage, user_id: str, item_ids: Sequence[str], layout: Layout,
                shown_at: datetime | None = None) -> dict:
    """The record of a logged page; ``item_ids`` are the external ids of its candidates."""
    p, t, c = lp.page, lp.trajectory, lp.page.cands
    cards = t.cards
    streamed = [str(item_ids[t.choice[k]]) for k in cards if lp.rewards[k] > 0]
    return {
        "page_id": lp.page_id, "user_id": str(user_id),
        "shown_at": (shown_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "context": {"hour": p.context.hour, "dow": p.context.dow, "device": p.context.device,
                    "country": p.context.country},
        "policy": lp.policy, "policy_version": lp.version, "epsilon": lp.epsilon,
        "layout": [layout.rows, layout.cols],
        "shelves": [{"key": s.key, "type": s.type, "title": s.title} for s in c.shelves],
        "candidates": {"item_id": [str(i) for i in item_ids], "shelf": c.shelf.tolist(), "cf": c.cf.tolist(),
                       "popularity": c.popularity.tolist(), "shown_before": p.shown.tolist(),
                       "streamed_before": p.streamed.tolist()},
        "decisions": {"kind": [_KINDS[k] for k in t.kind], "choice": t.choice.tolist(), "row": t.row.tolist(),
                      "col": t.col.tolist(), "propensity": t.prob.tolist()},
        "streams": streamed,
    }


def write_records(store: Store, records: Iterable[dict]) -> int:
    """Insert page records into the store's ``bandit_*`` tables in one transaction; returns how many."""
    pages, cands, decisions, streams = [], [], [], []
    for r in records:
        ctx = r["context"]
        pages.append((r["page_id"], r["user_id"], r["shown_at"], ctx["hour"], ctx["dow"], ctx["device"],
                      ctx["country"], r["policy"], r["policy_version"], r["epsilon"], *r["layout"]))
        c = r["candidates"]
        for k, item in enumerate(c["item_id"]):
            s = r["shelves"][c["shelf"][k]]
            cands.append((r["page_id"], k, item, c["shelf"][k], s["key"], s["type"], s["title"], c["cf"][k],
                          c["popularity"][k], c["shown_before"][k], c["streamed_before"][k]))
        d = r["decisions"]
        for step, (kind, choice, row, col, prop) in enumerate(zip(d["kind"], d["choice"], d["row"], d["col"],
                                                                  d["propensity"])):
            decisions.append((r["page_id"], step, kind, choice, row, None if col < 0 else col, prop))
        streams.extend((r["page_id"], item, r["shown_at"]) for item in r["streams"])
    store._require_writable()
    with store.transaction() as con:
        for table, rows in (("bandit_pages", pages), ("bandit_candidates", cands),
                            ("bandit_decisions", decisions), ("bandit_streams", streams)):
            if rows:
                cols = list(zip(*rows))
                select = ", ".join(f"unnest(${i + 1})" for i in range(len(cols)))
                con.execute(f"INSERT INTO {table} SELECT {select}", [list(col) for col in cols])
    return len(pages)


def record_stream(store: Store, page_id: str, item_id: str, when: datetime | None = None) -> None:
    """Record that ``item_id``, shown as a card on page ``page_id``, was streamed.

    Raises
    ------
    InputError
        If the page does not exist or did not show that item.
    """
    row = store.con.execute(
        """SELECT count(*) FROM bandit_decisions d JOIN bandit_candidates c
           ON c.page_id = d.page_id AND c.cand = d.choice
           WHERE d.page_id = ? AND d.kind = 'card' AND c.item_id = ?""", [page_id, item_id]).fetchone()
    if not row[0]:
        known = store.con.execute("SELECT count(*) FROM bandit_pages WHERE page_id = ?", [page_id]).fetchone()[0]
        what = f"page {page_id!r} did not show item {item_id!r}" if known else f"unknown page {page_id!r}"
        raise InputError(what, hint="report streams of cards from a home page you were served")
    store._require_writable()
    with store.transaction() as con:
        con.execute("INSERT INTO bandit_streams VALUES (?, ?, ?)",
                    [page_id, item_id, when or datetime.now(timezone.utc).replace(tzinfo=None)])


def read_records(store: Store, policy: str | None = None) -> list[dict]:
    """Every logged page of the store (optionally of one policy), oldest first."""
    con = store.con
    where, params = ("WHERE policy = ?", [policy]) if policy else ("", [])
    pages = con.execute(f"""SELECT page_id, user_id, shown_at, hour, dow, device, country, policy,
        policy_version, epsilon, layout_rows, layout_cols FROM bandit_pages {where}
        ORDER BY shown_at, page_id""", params).fetchall()
    records: dict[str, dict] = {}
    for pid, user, at, hour, dow, device, country, pol, ver, eps, rows, cols in pages:
        records[pid] = {"page_id": pid, "user_id": user, "shown_at": at.isoformat(timespec="seconds"),
                        "context": {"hour": hour, "dow": dow, "device": device, "country": country},
                        "policy": pol, "policy_version": ver, "epsilon": eps, "layout": [rows, cols],
                        "shelves": [], "candidates": {k: [] for k in ("item_id", "shelf", "cf", "popularity",
                                                                      "shown_before", "streamed_before")},
                        "decisions": {k: [] for k in ("kind", "choice", "row", "col", "propensity")},
                        "streams": []}
    for pid, cand, item, shelf, key, typ, title, cf, pop, shown, streamed in con.execute(
            "SELECT * FROM bandit_candidates ORDER BY page_id, cand").fetchall():
        r = records.get(pid)
        if r is None:
            continue
        while len(r["shelves"]) <= shelf:
            r["shelves"].append(None)
        r["shelves"][shelf] = {"key": key, "type": typ, "title": title}
        c = r["candidates"]
        for k, v in zip(("item_id", "shelf", "cf", "popularity", "shown_before", "streamed_before"),
                        (item, shelf, cf, pop, shown, streamed)):
            c[k].append(v)
    for pid, _, kind, choice, row, col, prop in con.execute(
            "SELECT * FROM bandit_decisions ORDER BY page_id, step").fetchall():
        r = records.get(pid)
        if r is not None:
            d = r["decisions"]
            for k, v in zip(("kind", "choice", "row", "col", "propensity"),
                            (kind, choice, row, -1 if col is None else col, prop)):
                d[k].append(v)
    for pid, item in con.execute("SELECT DISTINCT page_id, item_id FROM bandit_streams").fetchall():
        if pid in records:
            records[pid]["streams"].append(item)
    return list(records.values())


def write_jsonl(records: Iterable[dict], path: str | os.PathLike) -> int:
    """Write records to a JSON-lines file (atomically); returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with atomic_write(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, separators=(",", ":")) + "\n")
            n += 1
    return n


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Read records written by :func:`write_jsonl` (``tastemaker bandit export``, or a simulation's logs)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                _check_record(r)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise InputError(f"not a bandit log record: {exc}", path=path, row=line_no,
                                 hint="give a file of records written by write_jsonl (e.g. by `tastemaker "
                                      "bandit export`)") from None
            out.append(r)
    return out


def _check_record(r: dict) -> None:
    n = len(r["candidates"]["item_id"])
    d = r["decisions"]
    if not all(len(r["candidates"][k]) == n for k in ("shelf", "cf", "popularity", "shown_before",
                                                       "streamed_before")):
        raise ValueError("candidate columns differ in length")
    if not all(len(d[k]) == len(d["kind"]) for k in ("choice", "row", "col", "propensity")):
        raise ValueError("decision columns differ in length")
    if any(not 0 < p <= 1 for p in d["propensity"]):
        raise ValueError("propensities must be in (0, 1]")
    if any(k not in _KINDS for k in d["kind"]):
        raise ValueError(f"decision kinds must be {_KINDS}")
    len(r["layout"]), r["context"]["hour"], r["policy"]  # noqa: B018  (present)


def load_logs(source: str | os.PathLike | Store) -> list[dict]:
    """Records from a store, a ``.duckdb`` file or a ``.jsonl`` export."""
    if isinstance(source, Store):
        return read_records(source)
    path = Path(source)
    if not path.exists():
        raise InputError("no such file", path=path, hint="give a .jsonl export or a .duckdb store")
    if path.suffix in (".jsonl", ".json"):
        return read_jsonl(path)
    with Store(path, read_only=True) as store:
        return read_records(store)


def pages_from_records(records: Sequence[dict], users: Vocabulary | None = None,
                       items: Vocabulary | None = None) -> tuple[list[LoggedPage], FeatureSpace, Layout]:
    """Logged pages over ``users``/``items`` (default: the ids in the records themselves).

    Pages of unknown users or with unknown items are left out. All pages must share one layout.
    """
    layouts = {tuple(r["layout"]) for r in records}
    if len(layouts) > 1:
        raise InputError(f"the logs mix page layouts {sorted(layouts)}",
                         hint="evaluate the pages of one layout at a time")
    layout = Layout(*layouts.pop()) if layouts else Layout()
    if users is None:
        users = Vocabulary(sorted({r["user_id"] for r in records}), name="user")
    if items is None:
        items = Vocabulary(sorted({i for r in records for i in r["candidates"]["item_id"]}), name="item")
    pages = []
    for r in records:
        ids = r["candidates"]["item_id"]
        if r["user_id"] not in users or not all(i in items for i in ids):
            continue
        c = r["candidates"]
        shelves = [Shelf(s["key"], s["type"], s["title"]) for s in r["shelves"]]
        cands = CandidateSet(items.indices(ids).astype(np.int64), np.asarray(c["shelf"], dtype=np.int64),
                             np.asarray(c["cf"], dtype=np.float64), np.asarray(c["popularity"], dtype=np.float64),
                             shelves)
        ctx = r["context"]
        page = PageInput(users.index(r["user_id"]), cands, Context(ctx["hour"], ctx["dow"], ctx["device"],
                                                                   ctx["country"]),
                         np.asarray(c["shown_before"], dtype=np.float64),
                         np.asarray(c["streamed_before"], dtype=np.float64))
        d = r["decisions"]
        kind = np.array([_KINDS.index(k) for k in d["kind"]], dtype=np.int8)
        choice = np.asarray(d["choice"], dtype=np.int64)
        traj = Trajectory(kind, choice, np.asarray(d["row"], dtype=np.int64), np.asarray(d["col"], dtype=np.int64),
                          np.asarray(d["propensity"], dtype=np.float64), np.full(len(kind), -1, dtype=np.int64))
        streamed = set(r["streams"])
        rewards = np.array([1.0 if k == CARD and ids[ch] in streamed else 0.0 for k, ch in zip(kind, choice)])
        pages.append(LoggedPage(page, traj, rewards, r["policy"], r["policy_version"] or "", r["epsilon"] or 0.0,
                                r["page_id"]))
    space = FeatureSpace(len(users), len(items), max(layout.rows, 1), max(layout.cols, 1))
    return pages, space, layout
