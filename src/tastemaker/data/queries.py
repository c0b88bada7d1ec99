"""Small look-ups on the store: names, friends, tags."""

from __future__ import annotations

from collections.abc import Iterable

from tastemaker.data.store import Store

__all__ = ["item_names_for", "user_friends", "item_tags"]


def item_names_for(store: Store, item_ids: Iterable[str]) -> list[str]:
    """Display names of ``item_ids``, in order; an item without a name (or unknown) shows its id.

    A track shows as ``"Artist – Title"`` when its artist's name is known.
    """
    ids = [str(i) for i in item_ids]
    if not ids:
        return []
    rows = store.con.execute(
        """SELECT item_id,
            CASE WHEN kind = 'track' AND artist_name IS NOT NULL AND name IS NOT NULL
                THEN artist_name || ' – ' || name ELSE name END
        FROM items WHERE item_id IN (SELECT unnest(?::VARCHAR[]))""",
        [ids],
    ).fetchall()
    names = {item_id: name for item_id, name in rows if name is not None}
    return [names.get(i, i) for i in ids]


def user_friends(store: Store, user_id: str) -> list[str]:
    """The friends of ``user_id``, sorted by id (empty if none or unknown)."""
    rows = store.con.execute(
        "SELECT DISTINCT friend_id FROM friendships WHERE user_id = ? ORDER BY friend_id",
        [str(user_id)],
    ).fetchall()
    return [r[0] for r in rows]


def item_tags(store: Store, item_id: str, limit: int | None = 10) -> list[tuple[str, int]]:
    """The tags people gave ``item_id``: ``(tag name, how many times)``, most used first."""
    rows = store.con.execute(
        """SELECT t.name, count(*) AS n FROM item_tags it JOIN tags t USING (tag_id)
        WHERE it.item_id = ? GROUP BY t.name ORDER BY n DESC, t.name
        LIMIT ?""",
        [str(item_id), limit if limit is not None else 2**62],
    ).fetchall()
    return [(name, int(n)) for name, n in rows]
