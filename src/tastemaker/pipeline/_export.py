"""The weekly exports: every listener's top recommendations and this week's playlists, as Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tastemaker.data import Store

__all__ = ["export_week", "RECOMMENDATIONS", "PLAYLISTS", "EXPORT_N"]

RECOMMENDATIONS = "recommendations.parquet"
PLAYLISTS = "discover-weekly.parquet"
#: recommendations exported per listener
EXPORT_N = 50


def export_week(db_path, bundle, week, out, *, n: int = EXPORT_N, engine: str = "local", master=None,
                batch_size: int = 50_000) -> list[Path]:
    """Write ``out/recommendations.parquet`` (user_id, rank, item_id, score: the hybrid ranking,
    played items left out) and ``out/discover-weekly.parquet`` (the week's stored playlists:
    user_id, position, item_id, explanation, reason, score, model_version). Each file is written
    under a temporary name and renamed, so a reader never sees half of one.

    With ``engine="spark"`` the recommendations are computed on Spark
    (:func:`tastemaker.spark.batch_recommend`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    recs = out / RECOMMENDATIONS
    if engine == "spark":
        from tastemaker.spark import batch_recommend, default_master, spark_session

        spark = spark_session(master or default_master())
        batch_recommend(spark, bundle, recs, n=n)
    else:
        tmp = recs.with_name("." + recs.name + ".tmp")
        schema = pa.schema([("user_id", pa.string()), ("rank", pa.int16()), ("item_id", pa.string()),
                            ("score", pa.float32())])
        with pq.ParquetWriter(tmp, schema) as writer:
            users = np.asarray(bundle.users.ids)
            items = np.asarray(bundle.items.ids)
            for start in range(0, len(users), batch_size):
                rows = np.arange(start, min(start + batch_size, len(users)))
                cols, scores = bundle.recommend_batch(n, user_rows=rows)
                keep = cols >= 0
                r, k = np.nonzero(keep)
                writer.write_table(pa.table({"user_id": users[rows[r]], "rank": (k + 1).astype(np.int16),
                                             "item_id": items[cols[keep]], "score": scores[keep]}, schema=schema))
        tmp.replace(recs)
    playlists = out / PLAYLISTS
    tmp = playlists.with_name("." + playlists.name + ".tmp")
    with Store(db_path, read_only=True) as store:
        table = store.con.cursor().sql(
            """SELECT user_id, position, item_id, explanation, reason, score, model_version
               FROM discover_weekly WHERE week = ? ORDER BY user_id, position""", params=[str(week)]).to_arrow_table()
    pq.write_table(table, tmp)
    tmp.replace(playlists)
    return [recs, playlists]
