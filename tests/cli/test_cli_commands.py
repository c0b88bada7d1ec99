"""Every command in-process through ``main``, on HetRec ingested and trained once (``hetrec_store``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_support import store_stats

HETREC_COUNTS = {"users": 1892, "items": 17632, "events": 92834, "friendships": 25434}


def rows_of(out: str) -> list[list[str]]:
    """The rows of the aligned text table in ``out`` (columns two or more spaces apart)."""
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line and set(line.replace(" ", "")) == {"-"})
    return [re.split(r"\s{2,}", line.strip()) for line in lines[rule + 1:] if line.strip()]


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("ingest", "train", "recommend", "similar", "explain", "evaluate", "demo"):
        assert re.search(rf"^\s+{command}\b", result.out, re.M), command


def test_version(cli):
    from tastemaker import __version__

    result = cli("--version")
    assert result.code == 0
    assert __version__ in result.out


def test_store_holds_hetrec(hetrec_store):
    db, _ = hetrec_store
    stats = store_stats(db)
    assert {k: stats[k] for k in HETREC_COUNTS} == HETREC_COUNTS
    assert stats["ingests"] == 1


def test_ingest_hetrec_twice_is_a_no_op(cli, hetrec_store, hetrec_path):
    db, _ = hetrec_store
    before = store_stats(db)
    result = cli("--db", db, "ingest", "hetrec", hetrec_path)
    assert result.code == 0, result.err
    assert "already ingested (92,834 events), nothing written" in result.out
    assert store_stats(db) == before


def test_recommend_top_5_by_name(cli, hetrec_store):
    db, model = hetrec_store
    result = cli("--db", db, "--model", model, "recommend", "2", "-n", "5")
    assert result.code == 0, result.err
    assert result.out.startswith("recommendations for user 2 (model ")
    rows = rows_of(result.out)
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    names = [r[1] for r in rows]
    assert all(name and not name.isdigit() for name in names), names  # names, not ids
    scores = [float(r[2]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(re.fullmatch(r"(cf|culture|audio|prior|cold) \d+%( \w+ \d+%)*", r[3]) for r in rows), rows
    assert all(re.fullmatch(r"([^,]+ \(\d+%\)(, )?){1,3}", r[4]) for r in rows), rows
    # user 2's own artists are never recommended back
    assert "Duran Duran" not in names


def test_recommend_no_explain(cli, hetrec_store):
    db, model = hetrec_store
    result = cli("--db", db, "--model", model, "recommend", "2", "-n", "3", "--no-explain")
    assert result.code == 0, result.err
    assert "because" not in result.out
    assert [len(r) for r in rows_of(result.out)] == [4, 4, 4]  # #, item, score, signals
    cf = cli("--db", db, "--model", model, "recommend", "2", "-n", "3", "--no-explain", "--blend", "cf")
    assert cf.code == 0 and "(model " in cf.out and ", cf):" in cf.out
    assert [len(r) for r in rows_of(cf.out)] == [3, 3, 3]


def test_model_found_next_to_the_store_from_env(cli, hetrec_store, monkeypatch):
    """TASTEMAKER_DB alone: the model is looked up in models/ beside the store."""
    db, _ = hetrec_store
    monkeypatch.setenv("TASTEMAKER_DB", str(db))
    result = cli("recommend", "2", "-n", "2", "--no-explain")
    assert result.code == 0, result.err
    assert len(rows_of(result.out)) == 2


def test_model_from_env(cli, hetrec_store, monkeypatch):
    _, model = hetrec_store
    monkeypatch.setenv("TASTEMAKER_MODEL", str(model))
    result = cli("similar", "289", "-n", "2")  # no store needed, only the model
    assert result.code == 0, result.err
    assert "similar to Britney Spears (hybrid):" in result.out


@pytest.mark.parametrize("query", ["the beatles", "THE BEATLES", "The Beatles"])
def test_similar_by_name_any_case(cli, hetrec_store, query):
    _, model = hetrec_store
    result = cli("--model", model, "similar", query, "-n", "5", "--by", "cf")
    assert result.code == 0, result.err
    assert result.out.startswith("similar to The Beatles (cf):")
    rows = rows_of(result.out)
    assert len(rows) == 5
    names = [r[1] for r in rows]
    assert "The Beatles" not in names
    assert {"Pink Floyd", "Radiohead"} & set(names), names
    cosines = [float(r[2]) for r in rows]
    assert cosines == sorted(cosines, reverse=True) and all(-1 <= c <= 1 for c in cosines)


def test_similar_by_id(cli, hetrec_store):
    _, model = hetrec_store
    result = cli("--model", model, "similar", "289", "-n", "3")  # 289 is Britney Spears in HetRec
    assert result.code == 0, result.err
    assert result.out.startswith("similar to Britney Spears (hybrid):")
    rows = rows_of(result.out)
    assert len(rows) == 3 and all(r[3].startswith("cf ") for r in rows)  # the signals behind each


def test_explain(cli, hetrec_store):
    db, model = hetrec_store
    result = cli("--db", db, "--model", model, "explain", "2", "Madonna", "-n", "4")
    assert result.code == 0, result.err
    assert re.match(r"Madonna scores -?\d+\.\d{3} for user 2: because you listened to [^;]+; signals cf \d+%",
                    result.out)
    assert "the listened items behind its collaborative part:" in result.out
    rows = rows_of(result.out)
    assert 1 <= len(rows) <= 4
    shares = [float(r[1].rstrip("%")) for r in rows]
    assert shares == sorted(shares, reverse=True)
    assert "Kylie Minogue" in [r[0] for r in rows]  # one of user 2's most played


def test_itemknn_recommends_without_explanations(cli, hetrec_store, tmp_path):
    db, als_model = hetrec_store
    model = tmp_path / "itemknn"
    current = (als_model / "CURRENT").read_text()
    trained = cli("--db", db, "--model", model, "train", "--algorithm", "itemknn")
    assert trained.code == 0, trained.err
    assert trained.out.startswith("trained ItemKNN on 92,834 interactions (1,892 users x 17,632 items)")
    assert (model / "CURRENT").is_file() and (als_model / "CURRENT").read_text() == current

    result = cli("--model", model, "recommend", "2", "-n", "5")  # --explain is the default
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    rows = rows_of(result.out)
    assert len(rows) == 5 and "Pet Shop Boys" in [r[1] for r in rows]

    similar = cli("--model", model, "similar", "the beatles", "-n", "3")
    assert similar.code == 0, similar.err
    assert len(rows_of(similar.out)) == 3


def test_evaluate_writes_a_report(cli, hetrec_store, tmp_path):
    db, _ = hetrec_store
    out = tmp_path / "eval"
    result = cli("--db", db, "evaluate", "--models", "als,popularity", "--k", "10", "--out", out)
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if line.startswith("| ")]
    headers = [c.strip() for c in lines[0].strip("|").split("|")]
    assert headers[0] == "model" and "ndcg@10" in headers
    table = {cells[0]: dict(zip(headers, cells))
             for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[1:])}
    assert list(table) == ["als", "popularity"]
    assert float(table["als"]["ndcg@10"]) > float(table["popularity"]["ndcg@10"])
    report = out / "report.md"
    assert f"report: {report}" in result.out
    assert report.is_file() and "| als |" in report.read_text(encoding="utf-8")
    assert not Path("reports").exists()  # --out was honoured, nothing in the working directory


def test_the_model_is_a_directory_of_versions(cli, hetrec_store, tmp_path):
    db, _ = hetrec_store
    folder = tmp_path / "models" / "m"
    trained = cli("--db", db, "--model", folder, "train", "--algorithm", "popularity")
    assert trained.code == 0, trained.err
    version = (folder / "CURRENT").read_text().strip()
    assert f"saved model {version} to {folder}" in trained.out
    assert sorted(p.name for p in folder.iterdir()) == sorted(["CURRENT", version])
    result = cli("--model", folder, "recommend", "2", "-n", "2")
    assert result.code == 0, result.err
    old = tmp_path / "old.npz"
    old.write_bytes(b"PK\x03\x04")
    result = cli("--model", old, "recommend", "2")
    assert result.code == 1 and "single-file model of an earlier tastemaker" in result.err
