"""The home screen through the library and the command line: shelves, logging, streams, retraining."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.bandit import Context
from tastemaker.bundle import ModelBundle
from tastemaker.cli import main
from tastemaker.data import Store
from tastemaker.errors import InputError
from tastemaker.home import HomeScreen


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_home_command_prints_shelves_and_logs_the_page(paths, capsys):
    db, model = paths
    code, out, err = run(capsys, "--db", db, "--model", model, "home", "2", "--seed", "0", "--device", "mobile")
    assert code == 0, err
    assert out.startswith("home for user 2 (BaRT eps=0.1, reward model cold; page ")
    titles = [line for line in out.splitlines() if line and not line.startswith(" ")][1:]
    assert len(titles) == 4 and len(set(titles)) == 4
    assert any(t.startswith("Because you listened to ") for t in titles)
    with Store(db, read_only=True) as store:
        (pages,) = store.con.execute("SELECT count(*) FROM bandit_pages").fetchone()
        device, = store.con.execute("SELECT device FROM bandit_pages").fetchone()
        props = [p for (p,) in store.con.execute("SELECT propensity FROM bandit_decisions").fetchall()]
        played = {i for (i,) in store.con.execute("SELECT item_id FROM events WHERE user_id = '2'").fetchall()}
        shown = {i for (i,) in store.con.execute(
            """SELECT c.item_id FROM bandit_decisions d JOIN bandit_candidates c
               ON c.page_id = d.page_id AND c.cand = d.choice WHERE d.kind = 'card'""").fetchall()}
    assert pages == 1 and device == "mobile"
    assert len(props) > 4 and all(0 < p <= 1 for p in props)
    assert len(shown) == len(props) - 4 and not shown & played  # cards are unique and new to the user


def test_no_log_writes_nothing_and_unknown_user_is_one_line(paths, capsys):
    db, model = paths
    code, out, _ = run(capsys, "--db", db, "--model", model, "home", "2", "--no-log")
    assert code == 0 and "logged" not in out.splitlines()[0]
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM bandit_pages").fetchone()[0] == 0
    code, out, err = run(capsys, "--db", db, "--model", model, "home", "nosuchuser")
    assert code == 1 and err.startswith("error: unknown user 'nosuchuser'") and len(err.splitlines()) == 1


def test_streams_feed_bart_which_then_drives_the_home_screen(paths, capsys):
    db, model = paths
    bundle = ModelBundle.load(model)
    with Store(db) as store:
        screen = HomeScreen.from_store(store, bundle, None)
        for seed, user in enumerate(["2", "3", "4", "5"] * 3):
            home = screen.build(store, user, Context(hour=20, dow=4, device="web"), random_state=seed)
            first = home.shelves[0].cards[0]
            HomeScreen.stream(store, user, home.page_id, first.item_id)
        streams = store.con.execute("SELECT count(*) FROM bandit_streams").fetchone()[0]
        plays = store.con.execute("SELECT count(*) FROM events WHERE source = 'live'").fetchone()[0]
        with pytest.raises(InputError, match="did not show item"):
            HomeScreen.stream(store, "5", home.page_id, "no-such-item")
        with pytest.raises(InputError, match="unknown page"):
            HomeScreen.stream(store, "5", "nope", first.item_id)
        with pytest.raises(InputError, match="another user"):
            HomeScreen.stream(store, "2", home.page_id, first.item_id)
    assert streams == 12 and plays == 12
    code, out, err = run(capsys, "--db", db, "--model", model, "bandit", "train")
    assert code == 0, err
    assert "trained BaRT (fm) on" in out and (model / "bart.npz").is_file()
    code, out, _ = run(capsys, "--db", db, "--model", model, "home", "2", "--epsilon", "0", "--seed", "1")
    assert code == 0
    assert f"reward model {bundle.version}/12-pages" in out.splitlines()[0] and "(BaRT eps=0," in out.splitlines()[0]
    # the store's logs evaluate as a file too
    code, out, err = run(capsys, "--db", db, "--model", model, "bandit", "export", "-o", db.parent / "logs.jsonl")
    assert code == 0 and "wrote 13 logged pages" in out
    code, out, err = run(capsys, "bandit", "evaluate", db.parent / "logs.jsonl")
    assert code == 0, err
    assert "13 pages logged by BaRT eps=0, BaRT eps=0.1 (" in out
    for policy in ("random", "popularity", "greedy CF", "BaRT eps=0.1"):
        assert f"\n{policy} " in out


def test_bandit_train_without_logs_is_one_clear_error(paths, capsys):
    db, model = paths
    code, _, err = run(capsys, "--db", db, "--model", model, "bandit", "train")
    assert code == 1 and "no home-screen impressions" in err


def test_evaluate_bad_file(tmp_path, capsys, paths):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    code, _, err = run(capsys, "bandit", "evaluate", bad)
    assert code == 1 and "row 1" in err and len(err.splitlines()) == 1


def test_cards_are_ranked_by_the_blend_and_new_holds_placed_items(paths):
    """Shelves rank by the bundle's blended score and "because" shelves by its hybrid similarity;
    the artists placed by their tags (nobody has played them) are new for everyone."""
    from home_support import UNPLAYED

    db, model = paths
    bundle = ModelBundle.load(model)
    placed = bundle.placed_codes > 0
    assert sorted(bundle.items.ids[placed].tolist()) == sorted(UNPLAYED)
    with Store(db, read_only=True) as store:
        screen = HomeScreen.from_store(store, bundle, None)
    user = bundle.users.index("2")
    cands = screen.catalog.candidates(user)
    np.testing.assert_allclose(cands.cf, bundle.score("2", cands.items), rtol=1e-5, atol=1e-5)
    assert screen.catalog.fresh[placed].all()
    # the new shelf ranks the fresh items by the blended score, and the placed artists, tagged
    # like listener 2's most played, are near its top (the offset the blend learns for items
    # nobody has played decides whether one is in the first eight)
    fresh = np.flatnonzero(screen.catalog.fresh)
    blended = bundle.score("2", fresh)
    best = min(int((blended > blended[fresh == col].max()).sum()) for col in np.flatnonzero(placed))
    assert best < 0.05 * len(fresh)
    for k, shelf in enumerate(cands.shelves):
        cols = cands.items[cands.shelf == k]
        if shelf.type in ("tag", "new"):
            assert np.all(np.diff(cands.cf[cands.shelf == k]) <= 1e-6)  # best blended score first
        if shelf.type == "because":
            anchor = shelf.key.split(":", 1)[1]
            similar = [bundle.items.index(s.item_id) for s in bundle.similar(anchor, 200)]
            assert cols.tolist() == [c for c in similar if c in set(cols.tolist())]  # in similarity order
    duran = next(s for s in cands.shelves if s.title == "Because you listened to Duran Duran")
    assert "new-1" in bundle.items.ids[cands.items[cands.shelf == cands.shelves.index(duran)]].tolist()


def test_needs_a_factor_model(paths):
    from tastemaker.cf import Popularity

    db, model = paths
    bundle = ModelBundle.load(model)
    pop = ModelBundle(Popularity().fit(bundle.history), bundle.users, bundle.items, bundle.item_names, bundle.history)
    with Store(db, read_only=True) as store, pytest.raises(InputError, match="factor model") as err:
        HomeScreen.from_store(store, pop, None)
    assert err.value.setting == "algorithm" and "--" not in str(err.value)
