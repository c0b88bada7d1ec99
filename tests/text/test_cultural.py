"""CulturalVectors on a tiny store, ingest texts (good and bad input), and the terms/similar CLI."""

from __future__ import annotations

import json

import pytest

from tastemaker.cli import main
from tastemaker.errors import InputError
from tastemaker.text import CulturalVectors, ingest_texts


def test_top_terms_and_similar(store):
    cv = CulturalVectors(min_df=1).fit_store(store)
    terms = [t for t, _ in cv.top_terms("ABBA", 10)]
    assert "swedish" == terms[0]  # held by ABBA alone: the highest idf
    assert set(terms) == {"swedish", "pop", "disco", "70s"}
    similar = [cv.names_[r] for r, _ in cv.similar("Metallica", 3)]
    assert set(similar) == {"Slayer", "Megadeth", "Sacred Reich"}
    assert all(w > 0 for _, w in cv.top_terms("ABBA"))


def test_profile_ranks_fresh_artist_by_taste(store):
    cv = CulturalVectors().fit_store(store)
    rows = [cv.items_.index(i) for i in ("4", "5")]
    profile = cv.profile(rows, [100, 3])
    ranked = cv.rank(profile, n=10, exclude=rows)
    assert cv.names_[ranked[0][0]] in {"Megadeth", "Sacred Reich"}
    fresh = cv.rank(profile, n=2, candidates=[cv.items_.index("10"), cv.items_.index("7")])
    assert cv.names_[fresh[0][0]] == "Sacred Reich"


def test_ingest_texts_csv_jsonl_and_folder(store, tmp_path):
    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text('item_id,artist,text,title\n,Miles Davis,"Kind of Blue: modal jazz, cool jazz trumpet",Review\n'
                        '7,,"Bitches Brew, jazz fusion",\n', encoding="utf-8")
    assert ingest_texts(store, csv_file).rows == 2
    assert ingest_texts(store, csv_file).skipped_duplicate
    jsonl = tmp_path / "bios.jsonl"
    jsonl.write_text(json.dumps({"item_id": "4", "text": "Bay Area thrash metal giants"}) + "\n\n", encoding="utf-8")
    assert ingest_texts(store, jsonl).rows == 1
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "Boney M..txt").write_text("Euro disco from Germany", encoding="utf-8")
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    assert ingest_texts(store, folder).rows == 1
    assert store.stats()["texts"] == 4
    cv = CulturalVectors(min_df=1).fit_store(store)
    assert "modal jazz" in dict(cv.top_terms("Miles Davis", 50))
    assert "cool jazz" in dict(cv.top_terms("Miles Davis", 50))  # the tag phrase, also found in the text


@pytest.mark.parametrize("name, content, message", [
    ("a.csv", "artist,body\nABBA,x\n", "no text column"),
    ("a.csv", "artist,text\nABBA,\n", "row 2, column text: the text is empty"),
    ("a.csv", "artist,text\nABBA,fine\nNobody Knows,text\n", "row 3, column artist: no item is named 'Nobody Knows'"),
    ("a.csv", "item_id,text\n999,text\n", "unknown item_id '999'"),
    ("a.jsonl", '{"artist": "ABBA", "text": "ok"}\n{"artist": \n', "row 2: not valid JSON"),
    ("a.txt", "hello", "unknown text format '.txt'"),
])
def test_ingest_texts_bad_input_writes_nothing(store, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = store.stats()
    with pytest.raises(InputError, match=message):
        ingest_texts(store, path)
    assert store.stats() == before


def test_ingest_texts_new_artists(store, tmp_path):
    path = tmp_path / "fresh.jsonl"
    path.write_text(json.dumps({"artist": "Thrashers United", "text": "Bay Area thrash metal"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="let new artists be created") as info:
        ingest_texts(store, path)
    assert info.value.setting == "new_artists"  # the command line names its flag
    result = ingest_texts(store, path, new_artists=True)
    assert result.counts == {"items": 1, "texts": 1}
    cv = CulturalVectors().fit_store(store)
    assert cv.names_[cv.similar("Thrashers United", 1)[0][0]] == "Sacred Reich"


def test_cli_terms_similar_and_ingest(store, tmp_path, capsys):
    db = store.location
    store.close()
    assert main(["--db", db, "terms", "ABBA"]) == 1  # the cultural vectors are saved with a model
    assert "no model at" in capsys.readouterr().err
    assert main(["--db", db, "train", "--factors", "8", "--regularization", "0.1"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "terms", "ABBA", "-n", "3"]) == 0
    out = capsys.readouterr().out
    # the default drops descriptors only one item has ("swedish" here)
    assert out.startswith("ABBA: ") and "disco" in out and "swedish" not in out and "weight" in out
    assert main(["--db", db, "similar", "Metallica", "--by", "culture", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "culturally similar to Metallica" in out and "thrash metal" in out
    assert main(["--db", db, "terms", "Nobody At All"]) == 1
    assert "no tags or texts describe 'Nobody At All'" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("artist,text\nNobody,x\n", encoding="utf-8")
    assert main(["--db", db, "ingest", "texts", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "row 2" in err


def test_min_df_drops_descriptors_of_one_item(store):
    assert "swedish" in CulturalVectors(min_df=1).fit_store(store).terms_
    assert "swedish" not in CulturalVectors().fit_store(store).terms_


def test_cli_user_profile_ranks_fresh_artists(store, capsys):
    db = store.location
    store.close()
    assert main(["--db", db, "train", "--factors", "8", "--regularization", "0.1", "--no-place"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "terms", "--user", "u100", "-n", "3"]) == 0  # a metal listener
    out = capsys.readouterr().out
    assert out.startswith("user u100 (2 described artists, play-weighted): ") and "metal" in out.splitlines()[0]
    assert "Sacred Reich" in out.split("nobody has played yet")[1]
    assert main(["--db", db, "terms"]) == 2
    assert main(["--db", db, "terms", "--user", "nobody"]) == 1
    assert "unknown user 'nobody'" in capsys.readouterr().err
