"""A tiny store (shared by tests/text and tests/hybrid) with artists, plays and tags: pop/disco, metal and jazz neighbourhoods."""

from __future__ import annotations

from tastemaker.data import Store

ARTISTS = {
    "1": "ABBA", "2": "Boney M.", "3": "Donna Summer", "4": "Metallica", "5": "Slayer",
    "6": "Megadeth", "7": "Miles Davis", "8": "John Coltrane", "9": "Bill Evans", "10": "Sacred Reich",
}
TAGS = {  # artist -> tags (one assignment each, by user "t1" and "t2")
    "1": ["pop", "disco", "swedish", "70s"], "2": ["disco", "70s", "pop"], "3": ["disco", "70s", "soul"],
    "4": ["thrash metal", "metal", "heavy metal"], "5": ["thrash metal", "metal"], "6": ["thrash metal", "metal"],
    "7": ["jazz", "trumpet", "cool jazz"], "8": ["jazz", "saxophone"], "9": ["jazz", "piano", "cool jazz"],
    "10": ["thrash metal", "bay area"],  # nobody plays Sacred Reich: a cold item
}


def fill(store: Store) -> Store:
    con = store.con
    con.executemany("INSERT INTO items (item_id, kind, name) VALUES (?, 'artist', ?)", list(ARTISTS.items()))
    names = sorted({t for ts in TAGS.values() for t in ts})
    con.executemany("INSERT INTO tags VALUES (?, ?)", [(str(i), t.title()) for i, t in enumerate(names)])
    ids = {t: str(i) for i, t in enumerate(names)}
    con.executemany("INSERT INTO item_tags (user_id, item_id, tag_id) VALUES (?, ?, ?)",
                    [(u, a, ids[t]) for a, ts in TAGS.items() for t in ts for u in ("t1", "t2")])
    groups = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]
    rows = []
    for g, group in enumerate(groups):
        for u in range(12):
            for k, a in enumerate(group):
                if (u + k) % 3 != 2:  # each listener plays two of the three
                    rows.append({"user_id": f"u{g}{u:02d}", "item_id": a, "event": "play", "count": 5 + u + k})
    store.append_events(rows)
    return store

