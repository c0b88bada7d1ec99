"""Helpers the home-screen tests share (a module of its own: conftest modules collide across folders)."""

from __future__ import annotations

from tastemaker.data import Store

#: a small, quick ALS (the tests check the home screen, not the model's quality)
SMALL_ALS = {"factors": 32, "iterations": 6, "regularization": 1.0, "num_threads": 1}
#: the unplayed artists added, and the artist (one of listener 2's most played) each is tagged like
UNPLAYED = {"new-1": "Duran Duran", "new-2": "Morcheeba", "new-3": "Air"}


def add_unplayed(store: Store) -> None:
    """Artists without plays, each carrying every tag of a known artist (see :data:`UNPLAYED`)."""
    for item_id, like in UNPLAYED.items():
        store.con.execute("INSERT INTO items (item_id, kind, name) VALUES (?, 'artist', ?)",
                          [item_id, f"New like {like}"])
        store.con.execute("""INSERT INTO item_tags SELECT it.user_id, ?, it.tag_id, it.ts
                             FROM item_tags it JOIN items i USING (item_id) WHERE i.name = ?""", [item_id, like])
