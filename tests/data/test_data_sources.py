"""The shared staging step: the SQL shortcuts match what they replace, and the first bad row of a
file read in parallel (many row groups, several threads) is still the one reported."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from tastemaker.data import ingest_events
from tastemaker.data._event_rows import trimmed_sql, utc_sql
from tastemaker.errors import InputError


def test_trimmed_sql_is_trim_for_every_end_character():
    # every ASCII character and every Unicode space separator, alone and at either end
    special = list(range(1, 128)) + [160, 5760, *range(8192, 8203), 8232, 8233, 8239, 8287, 12288, 65279]
    con = duckdb.connect()
    mismatches = con.execute(
        f"""WITH c AS (SELECT chr(unnest(?::INTEGER[])) AS ch),
        v AS (SELECT a.ch || m.mid || b.ch AS v FROM c a, c b, (VALUES (''), ('x'), (' '), ('é')) m(mid)
              UNION ALL SELECT ch FROM c UNION ALL SELECT '' UNION ALL SELECT NULL)
        SELECT list(v) FROM v WHERE {trimmed_sql("v")} IS DISTINCT FROM nullif(trim(v), '')""",
        [special],
    ).fetchone()[0]
    assert mismatches is None


def test_utc_sql_matches_the_cast_and_refuses_infinity():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    texts = ["2009-05-04T23:08:57Z", "2009-05-04 23:08:57+02:00", "2024-01-03", "1969-12-31T23:59:59.5-01:00"]
    fast = con.execute(f"SELECT list({utc_sql('TRY_CAST(t AS TIMESTAMPTZ)')}) FROM unnest(?::VARCHAR[]) u(t)",
                       [texts]).fetchone()[0]  # fmt: skip
    slow = con.execute("SELECT list(TRY_CAST(t AS TIMESTAMPTZ)::TIMESTAMP) FROM unnest(?::VARCHAR[]) u(t)",
                       [texts]).fetchone()[0]  # fmt: skip
    assert fast == slow
    assert con.execute(f"SELECT {utc_sql(chr(39) + 'infinity' + chr(39) + '::TIMESTAMPTZ')}").fetchone() == (None,)


@pytest.mark.parametrize("bad_rows", [[123_456], [250_001, 9], [299_999]])
def test_first_bad_row_of_a_parallel_parquet_scan(store, tmp_path, bad_rows):
    """Regression: the row reported is the earliest bad one in file order, not the first a thread saw."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 300_000
    counts = np.ones(n)
    for row in bad_rows:
        counts[row - 1] = -1.0  # data rows are numbered from 1
    table = pa.table({
        "user_id": pa.array(np.char.add("u", (np.arange(n) % 997).astype(str))),
        "item_id": pa.array(np.char.add("a", (np.arange(n) % 101).astype(str))),
        "event": pa.array(["play"] * n), "count": pa.array(counts), "timestamp": pa.array([None] * n, pa.string()),
    })  # fmt: skip
    path = tmp_path / "many-groups.parquet"
    pq.write_table(table, path, row_group_size=10_000)
    store.con.execute("SET threads = 4")
    before = store.stats()
    with pytest.raises(InputError) as info:
        ingest_events(store, path, progress=False)
    assert (info.value.row, info.value.column) == (min(bad_rows), "count")
    assert info.value.message == "count is negative ('-1.0')"
    assert store.stats() == before


def test_first_bad_row_of_a_large_csv(store, tmp_path):
    n, bad = 400_000, 321_987
    lines = ["user_id,item_id,event,count,timestamp"]
    lines += [f"u{i % 997},a{i % 101},play,{'x' if i == bad - 2 else 1},2024-01-01" for i in range(n)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    store.con.execute("SET threads = 4")
    with pytest.raises(InputError) as info:
        ingest_events(store, path, progress=False)
    assert (info.value.row, info.value.column, info.value.message) == (bad, "count", "count is not a number ('x')")
