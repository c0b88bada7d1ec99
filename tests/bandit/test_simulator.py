"""The HetRec simulator, BaRT learning in it, and the logs' round trips."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from tastemaker.bandit import (
    BaRT,
    BaRTAgent,
    HetRecSimulator,
    StaticAgent,
    greedy_cf_policy,
    random_policy,
)
from tastemaker.bandit._logs import page_record, pages_from_records, read_jsonl, read_records, write_jsonl, write_records
from tastemaker.data import Store
from tastemaker.errors import InputError


@pytest.fixture(scope="module")
def sim(hetrec_db):
    with Store(hetrec_db, read_only=True) as store:
        return HetRecSimulator(store, n_users=120, random_state=0)


def _agents(sim):
    return [StaticAgent(random_policy()), StaticAgent(greedy_cf_policy()),
            BaRTAgent(BaRT(sim.space, epsilon=0.2, epochs=2, random_state=0))]


def test_same_seed_same_run(sim):
    a = sim.run(_agents(sim), rounds=3, pages_per_round=40, seed=5)
    b = sim.run(_agents(sim), rounds=3, pages_per_round=40, seed=5)
    c = sim.run(_agents(sim), rounds=3, pages_per_round=40, seed=6)
    np.testing.assert_array_equal(a.streams, b.streams)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert not np.array_equal(a.expected, c.expected)
    assert a.names == ["random", "greedy CF", "BaRT eps=0.2"]
    assert np.all(a.regret()[:, -1] > 0)  # nobody beats the oracle in expectation
    assert np.all((a.stream_rate() >= 0) & (a.stream_rate() <= 1))


def test_ground_truth_comes_from_held_out_plays(sim):
    u = int(sim.users[0])
    held_out = set(sim.test[u].indices.tolist())
    appeal = sim.appeal[u]
    items = sim.cands[u].items
    assert np.all(appeal[np.isin(items, list(held_out))] >= 0.25)
    assert np.all(appeal[~np.isin(items, list(held_out))] == 0.01)
    trained = set(sim.catalog.history[u].indices.tolist())
    assert not trained & set(items.tolist())  # played items are never candidates
    exam = sim.examination(np.array([0, 0, 1, 2]), np.array([0, 3, 0, 0]), "mobile")
    assert exam[0] == 1.0 and exam[1] < sim.examination(np.array([0]), np.array([3]), "desktop")[0]
    assert np.all(np.diff(exam[[0, 2, 3]]) < 0)


@pytest.mark.slow
def test_bart_learns_to_beat_greedy_cf(sim):
    agents = [StaticAgent(greedy_cf_policy()), BaRTAgent(BaRT(sim.space, epsilon=0.1, random_state=0))]
    result = sim.run(agents, rounds=12, pages_per_round=120, seed=1)
    late = result.expected[:, -4:].sum(axis=1)
    assert late[1] > 1.1 * late[0]


def test_logs_round_trip_through_store_and_jsonl(sim, tmp_path, rng):
    agent = BaRTAgent(BaRT(sim.space, epsilon=0.3, random_state=0))
    sim.run([agent], rounds=1, pages_per_round=20, seed=2)
    users, items = sim.catalog.users, sim.catalog.items
    records = []
    for n, lp in enumerate(agent.logs):
        lp.page_id = f"p{n}"
        records.append(page_record(lp, users.ids[lp.page.user], items.ids[lp.page.cands.items].tolist(),
                                   sim.layout, datetime(2026, 1, 1) + timedelta(minutes=n)))
    with Store(tmp_path / "s.duckdb") as store:
        assert write_records(store, records) == 20
        back = read_records(store)
    write_jsonl(back, tmp_path / "logs.jsonl")
    again = read_jsonl(tmp_path / "logs.jsonl")
    assert again == back
    pages, space, layout = pages_from_records(again, users, items)
    assert layout == sim.layout and len(pages) == 20
    for original, restored in zip(agent.logs, pages):
        np.testing.assert_array_equal(original.trajectory.choice, restored.trajectory.choice)
        np.testing.assert_allclose(original.trajectory.prob, restored.trajectory.prob)
        np.testing.assert_array_equal(original.rewards, restored.rewards)
        np.testing.assert_array_equal(original.page.cands.items, restored.page.cands.items)
        assert original.page.context == restored.page.context


def test_bad_log_file_is_one_clear_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"page_id": "x"}\n')
    with pytest.raises(InputError, match="row 1"):
        read_jsonl(path)
