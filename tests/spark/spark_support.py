"""What the Spark tests share (a module of its own: conftest modules collide across folders)."""

from __future__ import annotations

import numpy as np


def read_top(bundle, path, n: int):
    """``batch_recommend``'s Parquet back as ``recommend_batch``'s arrays (n_users x n, -1 padded)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    assert table.column_names == ["user_id", "rank", "item_id", "score"]
    users = bundle.users.indices(table["user_id"].to_pylist())
    ranks = table["rank"].to_numpy().astype(np.int64)
    items = np.full((len(bundle.users), n), -1, np.int64)
    scores = np.full((len(bundle.users), n), -np.inf, np.float32)
    items[users, ranks - 1] = bundle.items.indices(table["item_id"].to_pylist())
    scores[users, ranks - 1] = table["score"].to_numpy()
    return items, scores
